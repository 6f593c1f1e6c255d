// Reading thumbnails back for tests, with OpenCV and OpenSSL used directly, independently of
// the code under test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

namespace thumbpipe::testing {

// Loads a thumbnail (PNG, JPEG or WebP) as 8-bit with channels in R,G,B[,A] / grey[,alpha]
// order; empty on failure.
cv::Mat LoadThumbnail(const std::string& path);

// The naming rule, computed with OpenSSL's one-shot SHA256(): hex of
// SHA-256("<w>x<h>x<c>\n" + rows) + `extension`.
std::string ExpectedName(const cv::Mat& pixels, std::string_view extension = ".png");

// Writes a w x h test image (a gradient shifted by `seed`, so sizes and seeds give distinct
// pixels) in the format of the path's extension (.jpg, .png, .webp, ...).
void WriteTestImage(const std::string& path, int w, int h, int seed = 0);

// Writes a w x h image of random pixels (it does not compress), in the path's format.
void WriteNoiseImage(const std::string& path, int w, int h, int seed = 0);

// A PNG whose header claims w x h 8-bit RGB pixels, with `zero_rows` rows of zero pixels as
// data (deflated, so a huge claim stays a small file). Interlaced: all of the data, zero.
std::string PngClaiming(uint32_t w, uint32_t h, uint32_t zero_rows, bool interlaced = false);

// `png` without its chunks of `type` (e.g. "gAMA").
std::string PngWithoutChunk(const std::string& png, std::string_view type);
// The big-endian 32-bit number at `at` of `bytes`.
uint32_t Be32(const std::string& bytes, size_t at);

// A PNG chunk: its length, `type` (four letters), `data` and CRC.
std::string PngChunk(std::string_view type, const std::string& data);
// `data` compressed by zlib at level 6, as a PNG's image data or a zTXt/iCCP payload.
std::string Zlib(const std::string& data);

// Runs heif-enc (from libheif-examples) on `source` with `options`, writing `out`. Returns ""
// on success, else why not (heif-enc missing, or what it said).
std::string EncodeHeif(const std::string& source, const std::string& out,
                       const std::vector<std::string>& options = {});

// Turns the 'pixi' property of a HEIF written by heif-enc into an 'irot' of `quarter_turns`
// x 90 degrees anticlockwise, or an 'imir' whose axis field is `axis` (0 or 1):
// heif-enc writes neither. The image item keeps its reference to the property. Return false if
// the file has no pixi box.
bool RotateHeif(std::string* file, int quarter_turns);
bool MirrorHeif(std::string* file, int axis);

// PSNR of two same-sized images converted to grey (so channel order does not matter).
double PsnrGrey(const cv::Mat& a, const cv::Mat& b);

}  // namespace thumbpipe::testing
