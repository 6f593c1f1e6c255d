#include "worker/opencv_codec.h"

#include <cstdlib>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace thumbpipe {
namespace {

// PNG colour type from IHDR (byte 25), or -1.
int PngColorType(std::span<const uint8_t> file) { return file.size() > 25 ? file[25] : -1; }

// OpenCV hands grey PNGs with transparency back as BGRA; bring them back to grey+alpha.
bool IsGreyPng(std::span<const uint8_t> file, Format format) {
  const int type = PngColorType(file);
  return format == Format::kPng && (type == 0 || type == 4);
}

// Copies an 8-bit OpenCV image (BGR order) into `image` in our channel order.
void ToImage(const cv::Mat& mat, bool grey_source, Image* image) {
  const int channels = mat.channels();
  cv::Mat converted;
  uint32_t out_channels = static_cast<uint32_t>(channels);
  if (channels == 3) {
    if (grey_source) {
      cv::extractChannel(mat, converted, 0);
      out_channels = 1;
    } else {
      cv::cvtColor(mat, converted, cv::COLOR_BGR2RGB);
    }
  } else if (channels == 4) {
    if (grey_source) {
      const int from_to[] = {0, 0, 3, 1};
      converted.create(mat.rows, mat.cols, CV_8UC2);
      cv::mixChannels(&mat, 1, &converted, 1, from_to, 2);
      out_channels = 2;
    } else {
      cv::cvtColor(mat, converted, cv::COLOR_BGRA2RGBA);
    }
  } else {
    converted = mat;
  }
  image->Allocate(static_cast<uint32_t>(mat.cols), static_cast<uint32_t>(mat.rows), out_channels);
  cv::Mat target(mat.rows, mat.cols, CV_8UC(static_cast<int>(out_channels)), image->pixels.data());
  converted.copyTo(target);
}

// Brings any depth to 8 bits: 16-bit by /257 (65535 -> 255), floats from 0..1.
Status ToEightBit(cv::Mat* mat) {
  switch (mat->depth()) {
    case CV_8U: return Status::OK();
    case CV_16U: mat->convertTo(*mat, CV_8U, 1.0 / 257.0); return Status::OK();
    case CV_32F:
    case CV_64F: mat->convertTo(*mat, CV_8U, 255.0); return Status::OK();
    default: return Status::Error(fmt::format("unsupported sample type (OpenCV depth {})", mat->depth()));
  }
}

void Premultiply(Image* image) {
  const uint32_t c = image->channels;
  for (size_t i = 0; i < image->pixels.size(); i += c) {
    const uint32_t alpha = image->pixels[i + c - 1];
    for (uint32_t k = 0; k + 1 < c; ++k) {
      image->pixels[i + k] = static_cast<uint8_t>((image->pixels[i + k] * alpha + 127) / 255);
    }
  }
}

void Unpremultiply(Image* image) {
  const uint32_t c = image->channels;
  for (size_t i = 0; i < image->pixels.size(); i += c) {
    const uint32_t alpha = image->pixels[i + c - 1];
    for (uint32_t k = 0; k + 1 < c; ++k) {
      const uint32_t value = alpha == 0 ? 0 : (image->pixels[i + k] * 255 + alpha / 2) / alpha;
      image->pixels[i + k] = static_cast<uint8_t>(value > 255 ? 255 : value);
    }
  }
}

}  // namespace

Status OpenCvDecoder::Decode(std::span<const uint8_t> file, const DecodeRequest& request,
                             Decoded* decoded) const {
  try {
    const cv::Mat buffer(1, static_cast<int>(file.size()), CV_8UC1, const_cast<uint8_t*>(file.data()));
    cv::Mat mat = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
    if (mat.empty()) {
      return Status::Error(fmt::format("{} data is damaged or of an unsupported kind", FormatName(format_)));
    }
    const Size full{static_cast<uint32_t>(mat.cols), static_cast<uint32_t>(mat.rows)};
    decoded->full_size = full;
    if (request.max_pixels != 0 && static_cast<uint64_t>(full.width) * full.height > request.max_pixels) {
      return TooManyPixels(full, request.max_pixels);
    }
    if (Status status = ToEightBit(&mat); !status.ok()) return status;
    ToImage(mat, IsGreyPng(file, format_), &decoded->image);
  } catch (const cv::Exception& e) {
    return Status::Error(fmt::format("OpenCV: {}", e.err));
  } catch (const std::exception& e) {
    return Status::Error(e.what());
  }
  return Status::OK();
}

Status ResizeArea(Image* image, Size size, Image* out) {
  try {
    if (image->has_alpha()) Premultiply(image);
    const int type = CV_8UC(static_cast<int>(image->channels));
    const cv::Mat src(static_cast<int>(image->height), static_cast<int>(image->width), type,
                      image->pixels.data());
    out->Allocate(size.width, size.height, image->channels);
    cv::Mat dst(static_cast<int>(size.height), static_cast<int>(size.width), type, out->pixels.data());
    cv::resize(src, dst, dst.size(), 0, 0, cv::INTER_AREA);
    if (dst.data != out->pixels.data()) return Status::Error("resize reallocated its output");
    if (out->has_alpha()) Unpremultiply(out);
  } catch (const cv::Exception& e) {
    return Status::Error(fmt::format("resize: {}", e.err));
  }
  return Status::OK();
}

void ConfigureCodecs(uint64_t max_pixels) {
  // OpenCV reads its size limit from the environment once, on first use.
  if (max_pixels != 0) {
    ::setenv("OPENCV_IO_MAX_IMAGE_PIXELS", std::to_string(max_pixels).c_str(), 1);
  }
  cv::setNumThreads(1);
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
}

}  // namespace thumbpipe
