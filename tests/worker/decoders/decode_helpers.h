// Helpers for the tests of decoders that read files made by command-line encoders (JPEG XL,
// JPEG 2000): source images written with OpenCV, a sink that records what a decoder tells it,
// one call to decode bytes, exact comparisons of decoded rows with source pixels, and whether a
// library is loaded in this process.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "tests/fakes/image_sink.h"
#include "tests/support/support.h"
#include "worker/decoders/decoder.h"
#include "worker/thumbnailer.h"

namespace thumbpipe::testing {

// An ImageSink that also keeps the colour description, the size of the rows and the block.
class RecordingSink : public ImageSink {
 public:
  void SetColour(ColourSource source) override { colours_.push_back(std::move(source)); }
  Status Begin(Size full, Size rows, uint32_t channels, uint32_t block) override {
    rows_ = rows;
    block_ = block;
    return ImageSink::Begin(full, rows, channels, block);
  }
  const std::vector<ColourSource>& colours() const { return colours_; }
  Size rows() const { return rows_; }
  uint32_t block() const { return block_; }

 private:
  std::vector<ColourSource> colours_;
  Size rows_;
  uint32_t block_ = 0;
};

struct Decoded {
  Status status;
  Image image;
  Size full;
  Size rows;
  uint32_t block = 0;
  std::vector<ColourSource> colours;
};

// Decodes `file` with `decoder`, asking for at least `needed` ({0, 0}: the full size).
inline Decoded DecodeWith(const Decoder& decoder, const std::string& file, uint64_t max_pixels = 0,
                          Size needed = {0, 0}) {
  MemoryInput input({reinterpret_cast<const uint8_t*>(file.data()), file.size()});
  DecodeRequest request;
  request.needed_size = [needed](Size full) { return needed.width == 0 ? full : needed; };
  request.max_pixels = max_pixels;
  RecordingSink sink;
  Decoded decoded;
  decoded.status = decoder.Decode(input, request, &sink);
  decoded.image = std::move(sink.image());
  decoded.full = sink.full();
  decoded.rows = sink.rows();
  decoded.block = sink.block();
  decoded.colours = sink.colours();
  return decoded;
}

inline Thumbnail ThumbnailOf(const std::string& file, Size box, uint64_t max_pixels = 0) {
  ThumbnailRequest request;
  request.box = box;
  request.max_pixels = max_pixels;
  Thumbnail thumbnail;
  MakeThumbnail({reinterpret_cast<const uint8_t*>(file.data()), file.size()}, request, &thumbnail);
  return thumbnail;
}

// Whether this process has mapped a file whose path holds `name` (a library or a plug-in).
inline bool Mapped(const std::string& name) {
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    if (line.find(name) != std::string::npos) return true;
  }
  return false;
}

inline cv::Mat ToMat(const Image& image) {
  cv::Mat mat(static_cast<int>(image.height), static_cast<int>(image.width),
              CV_8UC(static_cast<int>(image.channels)));
  for (uint32_t y = 0; y < image.height; ++y)
    std::memcpy(mat.ptr(static_cast<int>(y)), image.row(y), image.stride());
  return mat;
}

// A picture with detail everywhere (so a decoder that loses or moves pixels shows): a gradient
// with a pattern on it, `channels` 1 (grey), 3 (RGB) or 4 (RGBA, the alpha a ramp that is 0 on
// the right quarter), in 8 or 16 bits. Channels in R,G,B,A order.
inline cv::Mat Picture(int w, int h, int channels, bool sixteen = false) {
  cv::Mat mat(h, w, CV_MAKETYPE(sixteen ? CV_16U : CV_8U, channels));
  const double top = sixteen ? 65535.0 : 255.0;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const double v[4] = {(x * 0.7 + y * 0.3) / (w + h) + 0.1 * ((x / 3 + y / 5) % 3),
                           static_cast<double>(y) / h, ((x * 7 + y * 13) % 31) / 31.0,
                           x < w * 3 / 4 ? static_cast<double>(x) / w + 0.2 : 0.0};
      for (int c = 0; c < channels; ++c) {
        const double value = std::min(1.0, v[c]) * top;
        if (sixteen) {
          mat.ptr<uint16_t>(y)[x * channels + c] = static_cast<uint16_t>(value);
        } else {
          mat.ptr<uint8_t>(y)[x * channels + c] = static_cast<uint8_t>(value);
        }
      }
    }
  }
  return mat;
}

// Writes `rgb` (R,G,B[,A] or grey) as a PNG at `path` (OpenCV wants B,G,R[,A]).
inline void WritePng(const std::string& path, const cv::Mat& rgb) {
  cv::Mat bgr;  // a new buffer: converting into a copy of `rgb`'s header would change `rgb`
  if (rgb.channels() == 3) {
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  } else if (rgb.channels() == 4) {
    cv::cvtColor(rgb, bgr, cv::COLOR_RGBA2BGRA);
  } else {
    bgr = rgb;
  }
  ASSERT_TRUE(cv::imwrite(path, bgr)) << path;
}

// Writes an 8-bit grey+alpha image (two interleaved channels) as a PAM, which OpenCV cannot
// write as PNG but both encoders read.
inline void WriteGreyAlphaPam(const std::string& path, const cv::Mat& grey_alpha) {
  std::string pam = "P7\nWIDTH " + std::to_string(grey_alpha.cols) + "\nHEIGHT " +
                    std::to_string(grey_alpha.rows) +
                    "\nDEPTH 2\nMAXVAL 255\nTUPLTYPE GRAYSCALE_ALPHA\nENDHDR\n";
  for (int y = 0; y < grey_alpha.rows; ++y)
    pam.append(reinterpret_cast<const char*>(grey_alpha.ptr(y)), grey_alpha.cols * 2);
  WriteFile(path, pam);
}

// `sixteen` scaled to 8 bits as a decoder must: round(v * 255 / 65535).
inline cv::Mat To8Bit(const cv::Mat& sixteen) {
  cv::Mat eight(sixteen.rows, sixteen.cols, CV_8UC(sixteen.channels()));
  for (int y = 0; y < sixteen.rows; ++y) {
    for (int i = 0; i < sixteen.cols * sixteen.channels(); ++i) {
      eight.ptr<uint8_t>(y)[i] =
          static_cast<uint8_t>(std::lround(sixteen.ptr<uint16_t>(y)[i] * 255.0 / 65535.0));
    }
  }
  return eight;
}

// The largest difference between two 8-bit images of the same shape; -1 if their shapes differ.
inline int MaxDifference(const Image& image, const cv::Mat& expected) {
  if (static_cast<int>(image.width) != expected.cols ||
      static_cast<int>(image.height) != expected.rows ||
      static_cast<int>(image.channels) != expected.channels() || expected.depth() != CV_8U) {
    return -1;
  }
  int worst = 0;
  for (uint32_t y = 0; y < image.height; ++y) {
    const uint8_t* a = image.row(y);
    const uint8_t* b = expected.ptr<uint8_t>(static_cast<int>(y));
    for (size_t i = 0; i < image.stride(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  }
  return worst;
}

}  // namespace thumbpipe::testing
