// decode_floor: how long decoding alone takes, for the benchmarks' floor and overhead figures.
//
//   decode_floor [--box WxH] [--encode] [--write DIR] [--repeat N] LIST
//
// LIST names one image per line (or NUL-separated). Each file is read into memory (not
// timed) and decoded the way thumbpipe decodes it: JPEG through libjpeg with the largest DCT
// scale (1/8, 1/4, 1/2, else 1) whose output still covers the thumbnail size, every other
// format fully through OpenCV's imdecode. With --encode the decoded picture is also encoded
// as PNG with libpng's defaults (what thumbpipe's encoder does; meant for images that are
// already no larger than the box); with --write DIR the PNG is also written to a new file in
// DIR (open, write, close: the least any tool must do per thumbnail). Prints one JSON object per
// file and a total line, all times in seconds of this thread's CPU (CLOCK_THREAD_CPUTIME_ID) and of
// the wall clock.
#include <algorithm>
#include <csetjmp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <fcntl.h>
#include <jpeglib.h>
#include <png.h>
#include <unistd.h>
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>

namespace {

struct Clock {
  double cpu, wall;
  static Clock Now() {
    timespec c{}, w{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c);
    clock_gettime(CLOCK_MONOTONIC, &w);
    return {c.tv_sec + c.tv_nsec * 1e-9, w.tv_sec + w.tv_nsec * 1e-9};
  }
};

struct Picture {
  int width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;
};

// thumbpipe's FitInBox: aspect kept, never enlarged, the other side rounded to nearest.
void FitInBox(uint32_t w, uint32_t h, uint32_t bw, uint32_t bh, uint32_t* ow, uint32_t* oh) {
  if (w <= bw && h <= bh) {
    *ow = w;
    *oh = h;
    return;
  }
  if (uint64_t(w) * bh >= uint64_t(bw) * h) {
    *ow = bw;
    *oh = uint32_t((2 * uint64_t(h) * bw + w) / (2 * uint64_t(w)));
  } else {
    *oh = bh;
    *ow = uint32_t((2 * uint64_t(w) * bh + h) / (2 * uint64_t(h)));
  }
  *ow = std::max(*ow, 1u);
  *oh = std::max(*oh, 1u);
}

struct JpegError {
  jpeg_error_mgr base;
  std::jmp_buf jump;
};

[[noreturn]] void OnJpegError(j_common_ptr cinfo) {
  std::longjmp(reinterpret_cast<JpegError*>(cinfo->err)->jump, 1);
}

bool DecodeJpeg(const std::vector<uint8_t>& file, uint32_t bw, uint32_t bh, Picture* out,
                int* denom) {
  jpeg_decompress_struct cinfo;
  JpegError error;
  cinfo.err = jpeg_std_error(&error.base);
  error.base.error_exit = OnJpegError;
  error.base.output_message = [](j_common_ptr) {};
  if (setjmp(error.jump) != 0) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, file.data(), file.size());
  jpeg_read_header(&cinfo, TRUE);
  uint32_t tw = 0, th = 0;
  FitInBox(cinfo.image_width, cinfo.image_height, bw, bh, &tw, &th);
  *denom = 1;
  for (int d : {8, 4, 2}) {
    if ((cinfo.image_width + d - 1) / d >= tw && (cinfo.image_height + d - 1) / d >= th) {
      *denom = d;
      break;
    }
  }
  if (cinfo.jpeg_color_space == JCS_GRAYSCALE) {
    cinfo.out_color_space = JCS_GRAYSCALE;
  } else if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    cinfo.out_color_space = JCS_CMYK;
  } else {
    cinfo.out_color_space = JCS_EXT_RGB;
  }
  cinfo.scale_num = 1;
  cinfo.scale_denom = unsigned(*denom);
  jpeg_start_decompress(&cinfo);
  out->width = int(cinfo.output_width);
  out->height = int(cinfo.output_height);
  out->channels = cinfo.output_components;
  const size_t stride = size_t(out->width) * out->channels;
  out->pixels.resize(stride * out->height);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = out->pixels.data() + stride * cinfo.output_scanline;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

bool DecodeOpenCv(const std::vector<uint8_t>& file, Picture* out) {
  try {
    const cv::Mat buffer(1, int(file.size()), CV_8UC1, const_cast<uint8_t*>(file.data()));
    cv::Mat mat = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
    if (mat.empty()) return false;
    if (mat.depth() == CV_16U) mat.convertTo(mat, CV_8U, 1.0 / 257.0);
    if (mat.depth() != CV_8U || mat.channels() > 4) return false;
    out->width = mat.cols;
    out->height = mat.rows;
    out->channels = mat.channels();
    const size_t stride = size_t(mat.cols) * mat.channels();
    out->pixels.resize(stride * mat.rows);
    for (int y = 0; y < mat.rows; ++y)
      std::memcpy(out->pixels.data() + stride * y, mat.ptr(y), stride);
  } catch (const cv::Exception&) {
    return false;
  }
  return true;
}

void AppendPng(png_structp png, png_bytep data, size_t size) {
  auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + size);
}

bool EncodePng(const Picture& picture, std::vector<uint8_t>* out) {
  static const int kTypes[] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                               PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
  out->clear();
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png)) != 0) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, out, AppendPng, nullptr);
  png_set_IHDR(png, info, picture.width, picture.height, 8, kTypes[picture.channels],
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const size_t stride = size_t(picture.width) * picture.channels;
  for (int y = 0; y < picture.height; ++y) {
    png_write_row(png, const_cast<uint8_t*>(picture.pixels.data() + stride * y));
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

const char* FormatOf(const std::vector<uint8_t>& f) {
  if (f.size() >= 3 && f[0] == 0xFF && f[1] == 0xD8 && f[2] == 0xFF) return "jpeg";
  if (f.size() >= 8 && std::memcmp(f.data(), "\x89PNG\r\n\x1a\n", 8) == 0) return "png";
  if (f.size() >= 12 && std::memcmp(f.data(), "RIFF", 4) == 0 &&
      std::memcmp(f.data() + 8, "WEBP", 4) == 0) {
    return "webp";
  }
  return "other";
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t bw = 200, bh = 200;
  bool encode = false;
  int repeat = 1;
  std::string list, write_dir;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--box" && i + 1 < argc) {
      if (std::sscanf(argv[++i], "%ux%u", &bw, &bh) != 2) return 2;
    } else if (arg == "--encode") {
      encode = true;
    } else if (arg == "--write" && i + 1 < argc) {
      write_dir = argv[++i];
      encode = true;
    } else if (arg == "--repeat" && i + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++i]));
    } else {
      list = arg;
    }
  }
  if (list.empty()) {
    std::fprintf(stderr, "usage: decode_floor [--box WxH] [--encode] [--repeat N] LIST\n");
    return 2;
  }
  cv::setNumThreads(1);
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);

  std::ifstream in(list, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> paths;
  std::string current;
  for (char c : text) {
    if (c == '\n' || c == '\0') {
      if (!current.empty()) paths.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) paths.push_back(current);

  double total_decode_cpu = 0, total_decode_wall = 0, total_encode_cpu = 0, total_encode_wall = 0;
  double total_write_cpu = 0, total_write_wall = 0;
  size_t index = 0;
  int failed = 0;
  std::vector<uint8_t> png;
  for (const std::string& path : paths) {
    std::ifstream file(path, std::ios::binary);
    const std::vector<uint8_t> data((std::istreambuf_iterator<char>(file)),
                                    std::istreambuf_iterator<char>());
    const char* format = FormatOf(data);
    double decode_cpu = 1e300, decode_wall = 1e300, encode_cpu = 1e300, encode_wall = 1e300;
    Picture picture;
    int denom = 1;
    bool ok = true;
    // The fastest of `repeat` decodes: the floor is what the machine can do at best.
    for (int r = 0; r < repeat && ok; ++r) {
      const Clock start = Clock::Now();
      ok = std::strcmp(format, "jpeg") == 0 ? DecodeJpeg(data, bw, bh, &picture, &denom)
                                            : DecodeOpenCv(data, &picture);
      const Clock end = Clock::Now();
      decode_cpu = std::min(decode_cpu, end.cpu - start.cpu);
      decode_wall = std::min(decode_wall, end.wall - start.wall);
      if (ok && encode) {
        const Clock e0 = Clock::Now();
        ok = EncodePng(picture, &png);
        const Clock e1 = Clock::Now();
        encode_cpu = std::min(encode_cpu, e1.cpu - e0.cpu);
        encode_wall = std::min(encode_wall, e1.wall - e0.wall);
      }
    }
    if (!ok) {
      ++failed;
      std::printf("{\"path\": %s, \"format\": \"%s\", \"failed\": true}\n",
                  JsonString(path).c_str(), format);
      continue;
    }
    if (!encode) encode_cpu = encode_wall = 0;
    double write_cpu = 0, write_wall = 0;
    if (!write_dir.empty()) {
      const std::string name = write_dir + "/" + std::to_string(index++) + ".png";
      const Clock w0 = Clock::Now();
      const int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      const bool written = fd >= 0 && ::write(fd, png.data(), png.size()) == ssize_t(png.size());
      if (fd >= 0) ::close(fd);
      const Clock w1 = Clock::Now();
      if (!written) {
        std::fprintf(stderr, "decode_floor: cannot write %s\n", name.c_str());
        return 1;
      }
      write_cpu = w1.cpu - w0.cpu;
      write_wall = w1.wall - w0.wall;
    }
    total_write_cpu += write_cpu;
    total_write_wall += write_wall;
    total_decode_cpu += decode_cpu;
    total_decode_wall += decode_wall;
    total_encode_cpu += encode_cpu;
    total_encode_wall += encode_wall;
    std::printf(
        "{\"path\": %s, \"format\": \"%s\", \"scale\": %d, \"decoded\": [%d, %d, %d], "
        "\"decode_cpu\": %.6f, \"decode_wall\": %.6f, \"encode_cpu\": %.6f, \"encode_wall\": %.6f, "
        "\"write_cpu\": %.6f, \"write_wall\": %.6f}\n",
        JsonString(path).c_str(), format, denom, picture.width, picture.height, picture.channels,
        decode_cpu, decode_wall, encode_cpu, encode_wall, write_cpu, write_wall);
  }
  std::printf(
      "{\"total\": true, \"files\": %zu, \"failed\": %d, \"decode_cpu\": %.6f, \"decode_wall\": "
      "%.6f, "
      "\"encode_cpu\": %.6f, \"encode_wall\": %.6f, \"write_cpu\": %.6f, \"write_wall\": %.6f}\n",
      paths.size(), failed, total_decode_cpu, total_decode_wall, total_encode_cpu,
      total_encode_wall, total_write_cpu, total_write_wall);
  return 0;
}
