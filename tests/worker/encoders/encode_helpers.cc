#include "tests/worker/encoders/encode_helpers.h"

#include <cmath>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace thumbpipe::testing {

Image SmoothImage(uint32_t w, uint32_t h, uint32_t channels) {
  Image image;
  image.Allocate(w, h, channels);
  for (uint32_t y = 0; y < h; ++y) {
    for (uint32_t x = 0; x < w; ++x) {
      uint8_t* p = image.row(y) + static_cast<size_t>(x) * channels;
      const double r = 127 + 100 * std::sin(x / 17.0) * std::cos(y / 23.0);
      const double g = 255.0 * x / w;
      const double b = 255.0 * y / h;
      const double values[4] = {r, g, b, 255.0 * (x + y) / (w + h)};
      if (channels <= 2) {
        p[0] = static_cast<uint8_t>((r + g + b) / 3);
        if (channels == 2) p[1] = static_cast<uint8_t>(values[3]);
      } else {
        for (uint32_t c = 0; c < channels; ++c) p[c] = static_cast<uint8_t>(values[c]);
      }
    }
  }
  return image;
}

cv::Mat AsMat(const Image& image) {
  return cv::Mat(static_cast<int>(image.height), static_cast<int>(image.width),
                 CV_8UC(static_cast<int>(image.channels)),
                 const_cast<uint8_t*>(image.pixels.data()));
}

cv::Mat DecodeBack(const std::vector<uint8_t>& file) {
  cv::Mat mat = cv::imdecode(file, cv::IMREAD_UNCHANGED);
  if (mat.empty()) return mat;
  if (mat.channels() == 3) cv::cvtColor(mat, mat, cv::COLOR_BGR2RGB);
  if (mat.channels() == 4) cv::cvtColor(mat, mat, cv::COLOR_BGRA2RGBA);
  return mat;
}

double Psnr(const cv::Mat& a, const cv::Mat& b) { return cv::PSNR(a, b); }

}  // namespace thumbpipe::testing
