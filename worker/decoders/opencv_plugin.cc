// thumbpipe-opencv.so: OpenCV's image codecs behind the C interface of opencv_plugin.h.
#include "worker/decoders/opencv_plugin.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

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
// LastLine() returns what was written: the reason for a failure.
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
  // The last non-empty line written so far, tidied.
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

void SetError(const std::string& text, char* error, size_t error_size) {
  if (error_size == 0) return;
  std::snprintf(error, error_size, "%s", text.c_str());
}

// Brings any depth to 8 bits: 16-bit by /257 (65535 -> 255), floats from 0..1.
bool ToEightBit(cv::Mat* mat) {
  switch (mat->depth()) {
    case CV_8U:
      return true;
    case CV_16U:
      mat->convertTo(*mat, CV_8U, 1.0 / 257.0);
      return true;
    case CV_32F:
    case CV_64F:
      mat->convertTo(*mat, CV_8U, 255.0);
      return true;
    default:
      return false;
  }
}

void Configure(uint64_t max_pixels) {
  static bool configured = false;
  if (configured) return;
  configured = true;
  // OpenCV reads its size limit from the environment once, on first use.
  if (max_pixels != 0)
    ::setenv("OPENCV_IO_MAX_IMAGE_PIXELS", std::to_string(max_pixels).c_str(), 1);
  cv::setNumThreads(1);
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
}

}  // namespace

extern "C" int thumbpipe_opencv_decode(const uint8_t* data, size_t size, uint64_t max_pixels,
                                       ThumbpipeDecodedImage* image, char* error,
                                       size_t error_size) {
  *image = ThumbpipeDecodedImage{0, 0, 0, nullptr};
  Configure(max_pixels);
  StderrCapture capture;
  try {
    const cv::Mat buffer(1, static_cast<int>(size), CV_8UC1, const_cast<uint8_t*>(data));
    cv::Mat mat = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
    if (mat.empty()) {
      const std::string said = capture.LastLine();
      SetError(said.empty() ? "damaged or of an unsupported kind"
                            : "damaged or of an unsupported kind: " + said,
               error, error_size);
      return 1;
    }
    if (max_pixels != 0 &&
        static_cast<uint64_t>(mat.cols) * static_cast<uint64_t>(mat.rows) > max_pixels) {
      SetError("more pixels than the limit", error, error_size);
      return 1;
    }
    if (!ToEightBit(&mat)) {
      SetError("unsupported sample type", error, error_size);
      return 1;
    }
    const int channels = mat.channels();
    if (channels == 3) cv::cvtColor(mat, mat, cv::COLOR_BGR2RGB);
    if (channels == 4) cv::cvtColor(mat, mat, cv::COLOR_BGRA2RGBA);
    if (channels < 1 || channels > 4) {
      SetError("unsupported number of channels", error, error_size);
      return 1;
    }
    const size_t bytes = mat.total() * mat.elemSize();
    auto* pixels = static_cast<uint8_t*>(std::malloc(bytes));
    if (pixels == nullptr) {
      SetError("not enough memory", error, error_size);
      return 1;
    }
    cv::Mat target(mat.rows, mat.cols, mat.type(), pixels);
    mat.copyTo(target);
    *image = ThumbpipeDecodedImage{static_cast<uint32_t>(mat.cols), static_cast<uint32_t>(mat.rows),
                                   static_cast<uint32_t>(channels), pixels};
    return 0;
  } catch (const cv::Exception& e) {
    SetError("OpenCV: " + e.err, error, error_size);
  } catch (const std::exception& e) {
    SetError(e.what(), error, error_size);
  }
  return 1;
}

extern "C" void thumbpipe_opencv_free(ThumbpipeDecodedImage* image) {
  std::free(image->pixels);
  image->pixels = nullptr;
}
