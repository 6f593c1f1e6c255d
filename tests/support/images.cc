#include "tests/support/images.h"

#include <openssl/sha.h>

#include <cstdio>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

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
  if (head[25] == 4 && mat.channels() == 4) {
    cv::Mat ga(mat.rows, mat.cols, CV_8UC2);
    const int from_to[] = {0, 0, 3, 1};
    cv::mixChannels(&mat, 1, &ga, 1, from_to, 2);
    mat = ga;
  }
  return mat.isContinuous() ? mat : mat.clone();
}

std::string ExpectedName(const cv::Mat& pixels) {
  char header[64];
  const int header_size =
      std::snprintf(header, sizeof header, "%dx%dx%d\n", pixels.cols, pixels.rows, pixels.channels());
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
  return hex + ".png";
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

}  // namespace thumbpipe::testing
