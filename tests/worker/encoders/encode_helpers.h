// Helpers of the encoders' tests: test pictures as Images, and reading an encoded file back
// with OpenCV, a decoder independent of the code under test.
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

#include "worker/image.h"

namespace thumbpipe::testing {

// A w x h image of `channels` with smooth gradients and a little texture, as a photo's
// thumbnail: what lossy encoders are made for.
Image SmoothImage(uint32_t w, uint32_t h, uint32_t channels);

// The image as a cv::Mat in its own channel order (no copy: valid while `image` lives).
cv::Mat AsMat(const Image& image);

// Decodes `file` with cv::imdecode, unchanged (grey stays one channel, alpha is kept), with
// channels put back in R,G,B[,A] order. Empty on failure.
cv::Mat DecodeBack(const std::vector<uint8_t>& file);

// PSNR of two images of equal size and channels, over every sample.
double Psnr(const cv::Mat& a, const cv::Mat& b);

}  // namespace thumbpipe::testing
