#include "worker/opencv_codec.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace thumbpipe {
namespace {

// "imdecode_(''): can't read header: OpenCV(4.6.0) ./modules/x.cpp:149: error: (-215:Assertion
// failed) a >= 0 in function 'f'" -> "can't read header: a >= 0 in function 'f'"
std::string Tidy(std::string line) {
  constexpr std::string_view kCall = "imdecode_(''): ";
  if (line.starts_with(kCall)) line.erase(0, kCall.size());
  const size_t opencv = line.find("OpenCV(");
  const size_t error = line.find("error: (", opencv == std::string::npos ? 0 : opencv);
  const size_t close = error == std::string::npos ? error : line.find(") ", error);
  if (opencv != std::string::npos && close != std::string::npos) {
    line = line.substr(0, opencv) + line.substr(close + 2);
  }
  return line;
}

// OpenCV and the libraries under it (libtiff, libwebp) print their complaints to stderr
// instead of returning them. While it lives, this sends stderr to a memory file, and
// Text() returns what was written: the reason for a failure.
class StderrCapture {
 public:
  StderrCapture() {
    memory_ = ::memfd_create("thumbpipe-stderr", MFD_CLOEXEC);
    saved_ = memory_ >= 0 ? ::dup(STDERR_FILENO) : -1;
    if (saved_ >= 0) ::dup2(memory_, STDERR_FILENO);
  }
  ~StderrCapture() {
    if (saved_ >= 0) {
      std::fflush(stderr);
      ::dup2(saved_, STDERR_FILENO);
      ::close(saved_);
    }
    if (memory_ >= 0) ::close(memory_);
  }
  // The last non-empty line written so far, trimmed.
  std::string LastLine() const {
    if (memory_ < 0) return {};
    std::fflush(stderr);
    std::string text(4096, '\0');
    const ssize_t n = ::pread(memory_, text.data(), text.size(), 0);
    text.resize(n > 0 ? static_cast<size_t>(n) : 0);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    const size_t newline = text.rfind('\n');
    return Tidy(newline == std::string::npos ? text : text.substr(newline + 1));
  }

 private:
  int memory_ = -1;
  int saved_ = -1;
};

// Copies an 8-bit OpenCV image (BGR order) into `image` in our channel order.
void ToImage(const cv::Mat& mat, Image* image) {
  const int channels = mat.channels();
  cv::Mat converted;
  const uint32_t out_channels = static_cast<uint32_t>(channels);
  if (channels == 3) {
    cv::cvtColor(mat, converted, cv::COLOR_BGR2RGB);
  } else if (channels == 4) {
    cv::cvtColor(mat, converted, cv::COLOR_BGRA2RGBA);
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
  StderrCapture capture;
  try {
    const cv::Mat buffer(1, static_cast<int>(file.size()), CV_8UC1, const_cast<uint8_t*>(file.data()));
    cv::Mat mat = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
    if (mat.empty()) {
      const std::string said = capture.LastLine();
      return Status::Error(fmt::format("{} data is damaged or of an unsupported kind{}{}",
                                       FormatName(format_), said.empty() ? "" : ": ", said));
    }
    const Size full{static_cast<uint32_t>(mat.cols), static_cast<uint32_t>(mat.rows)};
    decoded->full_size = full;
    if (request.max_pixels != 0 && static_cast<uint64_t>(full.width) * full.height > request.max_pixels) {
      return TooManyPixels(full, request.max_pixels);
    }
    if (Status status = ToEightBit(&mat); !status.ok()) return status;
    ToImage(mat, &decoded->image);
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
