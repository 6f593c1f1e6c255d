// decode_floor: how long decoding alone takes, for the benchmarks' floor and overhead figures.
//
//   decode_floor [--box WxH] [--encode] [--write DIR] [--repeat N] LIST
//   decode_floor --png [--repeat N] LIST
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
//
// With --png, every file must be a non-interlaced PNG, and each is timed in parts instead: its
// whole decode through libpng as thumbpipe used it alone (palette and tRNS expanded, 16 bits
// scaled to 8, row by row), its image data inflated alone by zlib and by ISA-L (into a
// reused 256 KiB buffer), and the rows unfiltered alone (by thumbpipe's own
// worker/decoders/png/unfilter.cc, on data inflated beforehand): thread CPU seconds, the
// fastest of --repeat runs. ISA-L's inflate plus the unfiltering is the floor of a decoder
// that hands over 8-bit rows as they are stored.
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
#include <zlib.h>
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>

#include "worker/decoders/png/inflater.h"
#include "worker/decoders/png/unfilter.h"

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

uint32_t Be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

// A PNG's header and its image data, end to end; false unless a non-interlaced PNG.
struct PngParts {
  uint32_t width = 0, height = 0, depth = 0, colour = 0;
  std::vector<uint8_t> idat;
  size_t bpp() const {
    static const int kSamples[] = {1, 0, 3, 1, 2, 0, 4};
    return std::max<size_t>(1, kSamples[colour] * depth / 8);
  }
  size_t stride() const {
    static const int kSamples[] = {1, 0, 3, 1, 2, 0, 4};
    return (size_t(width) * kSamples[colour] * depth + 7) / 8;
  }
};

bool SplitPng(const std::vector<uint8_t>& f, PngParts* parts) {
  if (f.size() < 33 || std::memcmp(f.data(), "\x89PNG\r\n\x1a\n", 8) != 0) return false;
  parts->width = Be32(&f[16]);
  parts->height = Be32(&f[20]);
  parts->depth = f[24];
  parts->colour = f[25];
  if (f[28] != 0 || parts->colour > 6) return false;
  for (size_t at = 8; at + 12 <= f.size();) {
    const uint32_t length = Be32(&f[at]);
    if (length > f.size() - at - 12) return false;
    if (std::memcmp(&f[at + 4], "IDAT", 4) == 0)
      parts->idat.insert(parts->idat.end(), &f[at + 8], &f[at + 8] + length);
    at += 12 + size_t(length);
  }
  return !parts->idat.empty();
}

void ReadPngMemory(png_structp png, png_bytep out, size_t size) {
  auto* in = static_cast<std::pair<const uint8_t*, size_t>*>(png_get_io_ptr(png));
  if (size > in->second) png_error(png, "truncated");
  std::memcpy(out, in->first, size);
  in->first += size;
  in->second -= size;
}

// As thumbpipe's libpng path: expanded to 8-bit samples, row by row into one buffer.
bool DecodeLibpng(const std::vector<uint8_t>& file) {
  std::pair<const uint8_t*, size_t> in(file.data(), file.size());
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  std::vector<uint8_t> row;
  if (setjmp(png_jmpbuf(png)) != 0) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_set_read_fn(png, &in, ReadPngMemory);
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, nullptr, -1);
  png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
  png_read_info(png, info);
  png_set_expand(png);
  png_set_scale_16(png);
  png_read_update_info(png, info);
  row.resize(png_get_rowbytes(png, info));
  const uint32_t height = png_get_image_height(png, info);
  for (uint32_t y = 0; y < height; ++y) png_read_row(png, row.data(), nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

constexpr size_t kInflateBuffer = 256 * 1024;

bool InflateZlib(const std::vector<uint8_t>& idat, std::vector<uint8_t>* buffer) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return false;
  z.next_in = const_cast<uint8_t*>(idat.data());
  z.avail_in = uInt(idat.size());
  int status = Z_OK;
  while (status == Z_OK) {
    z.next_out = buffer->data();
    z.avail_out = uInt(buffer->size());
    status = inflate(&z, Z_NO_FLUSH);
  }
  inflateEnd(&z);
  return status == Z_STREAM_END;
}

bool InflateIsal(const std::vector<uint8_t>& idat, std::vector<uint8_t>* buffer) {
  thumbpipe::Inflater inflater;
  inflater.Feed(idat);
  for (;;) {
    size_t written = 0;
    const auto result = inflater.Inflate(*buffer, &written);
    if (result == thumbpipe::Inflater::Result::kEnd) return true;
    if (result == thumbpipe::Inflater::Result::kError || written == 0) return false;
  }
}

bool Unfilter(const PngParts& parts, const std::vector<uint8_t>& raw) {
  const size_t stride = parts.stride();
  std::vector<uint8_t> rows(2 * stride, 0);
  uint8_t* prior = rows.data();
  uint8_t* out = rows.data() + stride;
  for (uint32_t y = 0; y < parts.height; ++y) {
    const uint8_t* in = raw.data() + y * (stride + 1);
    if (!thumbpipe::UnfilterRow(in[0], in + 1, prior, out, stride, parts.bpp())) return false;
    std::swap(prior, out);
  }
  return true;
}

// Times the parts of decoding one PNG; false if any fails.
bool TimePng(const std::vector<uint8_t>& file, int repeat, double cpu[4]) {
  PngParts parts;
  if (!SplitPng(file, &parts)) return false;
  std::vector<uint8_t> buffer(kInflateBuffer);
  std::vector<uint8_t> raw(parts.height * (parts.stride() + 1));
  if (!thumbpipe::InflateWhole(parts.idat, raw)) return false;
  for (int i = 0; i < 4; ++i) cpu[i] = 1e300;
  for (int r = 0; r < repeat; ++r) {
    bool ok = true;
    for (int part = 0; part < 4; ++part) {
      const Clock start = Clock::Now();
      switch (part) {
        case 0:
          ok = ok && DecodeLibpng(file);
          break;
        case 1:
          ok = ok && InflateZlib(parts.idat, &buffer);
          break;
        case 2:
          ok = ok && InflateIsal(parts.idat, &buffer);
          break;
        default:
          ok = ok && Unfilter(parts, raw);
      }
      cpu[part] = std::min(cpu[part], Clock::Now().cpu - start.cpu);
    }
    if (!ok) return false;
  }
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
  bool encode = false, png_parts = false;
  int repeat = 1;
  std::string list, write_dir;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--box" && i + 1 < argc) {
      if (std::sscanf(argv[++i], "%ux%u", &bw, &bh) != 2) return 2;
    } else if (arg == "--png") {
      png_parts = true;
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
    std::fprintf(stderr,
                 "usage: decode_floor [--box WxH] [--encode] [--write DIR] [--repeat N] LIST\n"
                 "       decode_floor --png [--repeat N] LIST\n");
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

  if (png_parts) {
    double total[4] = {};
    int failed = 0;
    for (const std::string& path : paths) {
      std::ifstream file(path, std::ios::binary);
      const std::vector<uint8_t> data((std::istreambuf_iterator<char>(file)),
                                      std::istreambuf_iterator<char>());
      double cpu[4];
      if (!TimePng(data, repeat, cpu)) {
        ++failed;
        std::printf("{\"path\": %s, \"failed\": true}\n", JsonString(path).c_str());
        continue;
      }
      for (int i = 0; i < 4; ++i) total[i] += cpu[i];
      std::printf(
          "{\"path\": %s, \"libpng_cpu\": %.6f, \"zlib_cpu\": %.6f, \"isal_cpu\": %.6f, "
          "\"unfilter_cpu\": %.6f}\n",
          JsonString(path).c_str(), cpu[0], cpu[1], cpu[2], cpu[3]);
    }
    std::printf(
        "{\"total\": true, \"files\": %zu, \"failed\": %d, \"libpng_cpu\": %.6f, "
        "\"zlib_cpu\": %.6f, \"isal_cpu\": %.6f, \"unfilter_cpu\": %.6f}\n",
        paths.size(), failed, total[0], total[1], total[2], total[3]);
    return failed == 0 ? 0 : 1;
  }

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
