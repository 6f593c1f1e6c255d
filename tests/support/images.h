// Reading thumbnails back for tests, with OpenCV and OpenSSL used directly, independently of
// the code under test.
#pragma once

#include <string>

#include <opencv2/core.hpp>

namespace thumbpipe::testing {

// Loads a PNG as 8-bit with channels in R,G,B[,A] / grey[,alpha] order; empty on failure.
cv::Mat LoadThumbnail(const std::string& path);

// The naming rule, computed with OpenSSL's one-shot SHA256(): hex of
// SHA-256("<w>x<h>x<c>\n" + rows) + ".png".
std::string ExpectedName(const cv::Mat& pixels);

// PSNR of two same-sized images converted to grey (so channel order does not matter).
double PsnrGrey(const cv::Mat& a, const cv::Mat& b);

}  // namespace thumbpipe::testing
