#include "tests/support/images.h"

#include <openssl/sha.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "tests/support/support.h"

namespace thumbpipe::testing {

cv::Mat LoadThumbnail(const std::string& path) {
  cv::Mat mat = cv::imread(path, cv::IMREAD_UNCHANGED);
  if (mat.empty() || mat.depth() != CV_8U) return {};
  if (mat.channels() == 3) cv::cvtColor(mat, mat, cv::COLOR_BGR2RGB);
  if (mat.channels() == 4) cv::cvtColor(mat, mat, cv::COLOR_BGRA2RGBA);
  // OpenCV reads grey+alpha PNGs as BGRA; the file says grey+alpha, so take it back.
  const std::string head = [&] {
    FILE* f = std::fopen(path.c_str(), "rb");
    char buffer[26] = {};
    if (f != nullptr) {
      (void)!std::fread(buffer, 1, sizeof buffer, f);
      std::fclose(f);
    }
    return std::string(buffer, sizeof buffer);
  }();
  if (head.starts_with("\x89PNG") && head[25] == 4 && mat.channels() == 4) {
    cv::Mat ga(mat.rows, mat.cols, CV_8UC2);
    const int from_to[] = {0, 0, 3, 1};
    cv::mixChannels(&mat, 1, &ga, 1, from_to, 2);
    mat = ga;
  }
  return mat.isContinuous() ? mat : mat.clone();
}

std::string ExpectedName(const cv::Mat& pixels, std::string_view extension) {
  char header[64];
  const int header_size = std::snprintf(header, sizeof header, "%dx%dx%d\n", pixels.cols,
                                        pixels.rows, pixels.channels());
  std::string bytes(header, static_cast<size_t>(header_size));
  bytes.append(reinterpret_cast<const char*>(pixels.data), pixels.total() * pixels.elemSize());
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  std::string hex;
  for (unsigned char byte : digest) {
    char two[3];
    std::snprintf(two, sizeof two, "%02x", byte);
    hex += two;
  }
  return hex + std::string(extension);
}

void WriteTestImage(const std::string& path, int w, int h, int seed) {
  cv::Mat image(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      image.at<cv::Vec3b>(y, x) = cv::Vec3b((x * 255 / w + seed) % 256,
                                            (y * 255 / h + seed / 256) % 256, (x + y + seed) % 256);
    }
  }
  if (!cv::imwrite(path, image)) throw std::runtime_error("cannot write " + path);
}

void WriteNoiseImage(const std::string& path, int w, int h, int seed) {
  cv::Mat image(h, w, CV_8UC3);
  cv::RNG rng(static_cast<uint64_t>(seed) + 1);
  rng.fill(image, cv::RNG::UNIFORM, 0, 256);
  if (!cv::imwrite(path, image)) throw std::runtime_error("cannot write " + path);
}

uint32_t Be32(const std::string& bytes, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(bytes[at])) << 24 |
         static_cast<uint32_t>(static_cast<uint8_t>(bytes[at + 1])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(bytes[at + 2])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(bytes[at + 3]));
}

std::string PngWithoutChunk(const std::string& png, std::string_view type) {
  std::string out = png.substr(0, 8);
  for (size_t at = 8; at + 12 <= png.size();) {
    const size_t size = 12 + size_t{Be32(png, at)};
    if (png.compare(at + 4, 4, type) != 0) out += png.substr(at, size);
    at += size;
  }
  return out;
}

namespace {

void AppendBe32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((v >> shift) & 0xFF));
}

void AppendChunk(std::string* out, const char* type, const std::string& data) {
  out->append(PngChunk(type, data));
}

}  // namespace

std::string PngChunk(std::string_view type, const std::string& data) {
  std::string out;
  AppendBe32(&out, static_cast<uint32_t>(data.size()));
  const std::string body = std::string(type.substr(0, 4)) + data;
  out.append(body);
  AppendBe32(&out, static_cast<uint32_t>(
                       crc32(0, reinterpret_cast<const Bytef*>(body.data()), body.size())));
  return out;
}

std::string Zlib(const std::string& data) {
  uLongf size = compressBound(data.size());
  std::string out(size, '\0');
  compress2(reinterpret_cast<Bytef*>(out.data()), &size,
            reinterpret_cast<const Bytef*>(data.data()), data.size(), 6);
  out.resize(size);
  return out;
}

std::string PngClaiming(uint32_t w, uint32_t h, uint32_t zero_rows, bool interlaced) {
  std::string png("\x89PNG\r\n\x1A\n", 8);
  std::string ihdr;
  AppendBe32(&ihdr, w);
  AppendBe32(&ihdr, h);
  ihdr += std::string("\x08\x02\x00\x00", 4);  // 8-bit RGB, deflate, no filter
  ihdr += interlaced ? '\x01' : '\x00';
  AppendChunk(&png, "IHDR", ihdr);
  // Rows of filter byte 0 and zero samples; an interlaced image has the rows of its seven
  // passes, each pass's rows as wide as its share of the columns.
  std::vector<std::pair<uint32_t, uint32_t>> rows;  // (count, samples per row)
  if (interlaced) {
    const uint32_t x0[] = {0, 4, 0, 2, 0, 1, 0}, dx[] = {8, 8, 4, 4, 2, 2, 1};
    const uint32_t y0[] = {0, 0, 4, 0, 2, 0, 1}, dy[] = {8, 8, 8, 4, 4, 2, 2};
    for (int pass = 0; pass < 7; ++pass) {
      const uint32_t cols = w > x0[pass] ? (w - x0[pass] + dx[pass] - 1) / dx[pass] : 0;
      const uint32_t count = h > y0[pass] ? (h - y0[pass] + dy[pass] - 1) / dy[pass] : 0;
      if (cols != 0 && count != 0) rows.push_back({count, cols});
    }
  } else {
    rows.push_back({zero_rows, w});
  }
  z_stream z{};
  deflateInit(&z, 1);
  const std::string row(1 + static_cast<size_t>(w) * 3, '\0');
  std::string idat;
  std::vector<char> buffer(1 << 16);
  const auto feed = [&](size_t bytes, int flush) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(row.data()));
    z.avail_in = static_cast<uInt>(bytes);
    do {
      z.next_out = reinterpret_cast<Bytef*>(buffer.data());
      z.avail_out = static_cast<uInt>(buffer.size());
      deflate(&z, flush);
      idat.append(buffer.data(), buffer.size() - z.avail_out);
    } while (z.avail_out == 0);
  };
  for (const auto& [count, cols] : rows) {
    for (uint32_t y = 0; y < count; ++y) feed(1 + static_cast<size_t>(cols) * 3, Z_NO_FLUSH);
  }
  feed(0, Z_FINISH);
  deflateEnd(&z);
  AppendChunk(&png, "IDAT", idat);
  AppendChunk(&png, "IEND", "");
  return png;
}

double PsnrGrey(const cv::Mat& a, const cv::Mat& b) {
  auto grey = [](const cv::Mat& m) {
    cv::Mat g;
    if (m.channels() == 1) return m;
    cv::cvtColor(m, g, m.channels() == 4 ? cv::COLOR_RGBA2GRAY : cv::COLOR_RGB2GRAY);
    return g;
  };
  return cv::PSNR(grey(a), grey(b));
}

std::string EncodeHeif(const std::string& source, const std::string& out,
                       const std::vector<std::string>& options) {
  std::string program;
  const char* path = std::getenv("PATH");
  std::string folders = path != nullptr ? path : "/usr/bin:/bin";
  for (size_t start = 0; start <= folders.size();) {
    size_t end = folders.find(':', start);
    if (end == std::string::npos) end = folders.size();
    const std::string candidate = folders.substr(start, end - start) + "/heif-enc";
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) {
      program = candidate;
      break;
    }
    start = end + 1;
  }
  if (program.empty()) return "heif-enc is missing: install libheif-examples";
  std::vector<std::string> argv = {program};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.insert(argv.end(), {"-o", out, source});
  const CommandResult run = RunCommand(argv);
  if (run.exit_code != 0) return "heif-enc failed: " + run.out + run.err;
  return "";
}

namespace {

// Overwrites heif-enc's pixi box with a box of `type` holding `value`, keeping its size (libheif
// skips what follows the value), so no offset in the file moves.
bool ReplacePixi(std::string* file, const char* type, uint8_t value) {
  const size_t at = file->find("pixi");
  if (at == std::string::npos || at < 4) return false;
  const size_t box = at - 4;
  const auto byte = [&](size_t i) { return static_cast<uint8_t>((*file)[i]); };
  const size_t size = size_t{byte(box)} << 24 | size_t{byte(box + 1)} << 16 |
                      size_t{byte(box + 2)} << 8 | byte(box + 3);
  if (size < 9 || box + size > file->size()) return false;
  file->replace(at, 4, type);
  (*file)[box + 8] = static_cast<char>(value);
  for (size_t i = box + 9; i < box + size; ++i) (*file)[i] = 0;
  return true;
}

}  // namespace

bool RotateHeif(std::string* file, int quarter_turns) {
  return ReplacePixi(file, "irot", static_cast<uint8_t>(quarter_turns & 3));
}

bool MirrorHeif(std::string* file, int axis) {
  return ReplacePixi(file, "imir", static_cast<uint8_t>(axis & 1));
}

}  // namespace thumbpipe::testing
