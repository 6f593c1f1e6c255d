// thumbpipe-opencv.so: OpenCV's image codecs behind the C interface of opencv_plugin.h.
#include "worker/decoders/opencv_plugin.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "worker/decoders/stderr_capture.h"

namespace {

// OpenCV and the libraries under it (libtiff, libwebp) print their complaints to stderr
// instead of returning them: a StderrCapture holds them, and Complaint sorts its last line.
using thumbpipe::StderrCapture;

ThumbpipeOpenCvOutcome Fail(ThumbpipeOpenCvOutcome outcome, const std::string& what, char* error,
                            size_t error_size) {
  if (error_size > 0) std::snprintf(error, error_size, "%s", what.c_str());
  return outcome;
}

// What an assertion in OpenCV's header readers was about, in words; empty if not known.
std::string HeaderFault(const std::string& said) {
  if (said.find("m_rle_code") != std::string::npos) return "its compression method is unknown";
  if (said.find("clrused") != std::string::npos)
    return "the number of palette colours is out of range";
  if (said.find("ReadNumber") != std::string::npos) return "a number in it is malformed";
  return {};
}

// OpenCV's decoders report a failure by throwing, which imdecode catches and prints as
// "imdecode_(''): can't read header: OpenCV(4.6.0) <source>:<line>: error: (-215:Assertion
// failed) <condition> in function '<name>'", or "can't read data: ...". Sorted by which of the
// two failed and what the condition was about; the text itself is not passed on.
ThumbpipeOpenCvOutcome Complaint(const std::string& said, char* error, size_t error_size) {
  if (said.find("can't read header") != std::string::npos)
    return Fail(THUMBPIPE_OPENCV_BAD_HEADER, HeaderFault(said), error, error_size);
  if (said.find("Unexpected end of input") != std::string::npos)
    return Fail(THUMBPIPE_OPENCV_TRUNCATED, "", error, error_size);
  if (said.find("can't read data") != std::string::npos)
    return Fail(THUMBPIPE_OPENCV_BAD_DATA, "", error, error_size);
  return Fail(THUMBPIPE_OPENCV_DAMAGED_OR_UNSUPPORTED, "", error, error_size);
}

// An exception out of imdecode: memory, or the size checks it makes between reading the header
// and the pixels (CV_Assert on size.width > 0, <= CV_IO_MAX_IMAGE_WIDTH, pixels <=
// CV_IO_MAX_IMAGE_PIXELS, which the loader sets to --max-pixels).
ThumbpipeOpenCvOutcome Thrown(const cv::Exception& e, char* error, size_t error_size) {
  if (e.code == cv::Error::StsNoMem)
    return Fail(THUMBPIPE_OPENCV_OUT_OF_MEMORY, "", error, error_size);
  if (e.err.find("MAX_IMAGE_PIXELS") != std::string::npos)
    return Fail(THUMBPIPE_OPENCV_TOO_MANY_PIXELS, "", error, error_size);
  if (e.err.find("MAX_IMAGE_WIDTH") != std::string::npos ||
      e.err.find("MAX_IMAGE_HEIGHT") != std::string::npos) {
    return Fail(THUMBPIPE_OPENCV_UNSUPPORTED, "a width or height above 1048576 pixels", error,
                error_size);
  }
  if (e.err.find("> 0") != std::string::npos)
    return Fail(THUMBPIPE_OPENCV_BAD_HEADER, "it claims no pixels", error, error_size);
  return Fail(THUMBPIPE_OPENCV_DAMAGED_OR_UNSUPPORTED, "", error, error_size);
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

void Configure() {
  static bool configured = false;
  if (configured) return;
  configured = true;
  cv::setNumThreads(1);
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
}

}  // namespace

extern "C" ThumbpipeOpenCvOutcome thumbpipe_opencv_decode(const uint8_t* data, size_t size,
                                                          uint64_t max_pixels,
                                                          ThumbpipeDecodedImage* image, char* error,
                                                          size_t error_size) {
  *image = ThumbpipeDecodedImage{0, 0, 0, nullptr};
  Configure();
  StderrCapture capture;
  try {
    const cv::Mat buffer(1, static_cast<int>(size), CV_8UC1, const_cast<uint8_t*>(data));
    cv::Mat mat = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
    if (mat.empty()) return Complaint(capture.LastLine(), error, error_size);
    if (max_pixels != 0 &&
        static_cast<uint64_t>(mat.cols) * static_cast<uint64_t>(mat.rows) > max_pixels) {
      return Fail(THUMBPIPE_OPENCV_TOO_MANY_PIXELS, "", error, error_size);
    }
    if (!ToEightBit(&mat))
      return Fail(THUMBPIPE_OPENCV_UNSUPPORTED, "signed or half-float samples", error, error_size);
    const int channels = mat.channels();
    if (channels == 3) cv::cvtColor(mat, mat, cv::COLOR_BGR2RGB);
    if (channels == 4) cv::cvtColor(mat, mat, cv::COLOR_BGRA2RGBA);
    if (channels < 1 || channels > 4) {
      return Fail(THUMBPIPE_OPENCV_UNSUPPORTED, std::to_string(channels) + " channels", error,
                  error_size);
    }
    const size_t bytes = mat.total() * mat.elemSize();
    auto* pixels = static_cast<uint8_t*>(std::malloc(bytes));
    if (pixels == nullptr) return Fail(THUMBPIPE_OPENCV_OUT_OF_MEMORY, "", error, error_size);
    cv::Mat target(mat.rows, mat.cols, mat.type(), pixels);
    mat.copyTo(target);
    *image = ThumbpipeDecodedImage{static_cast<uint32_t>(mat.cols), static_cast<uint32_t>(mat.rows),
                                   static_cast<uint32_t>(channels), pixels};
    return THUMBPIPE_OPENCV_OK;
  } catch (const cv::Exception& e) {
    return Thrown(e, error, error_size);
  } catch (const std::bad_alloc&) {
    return Fail(THUMBPIPE_OPENCV_OUT_OF_MEMORY, "", error, error_size);
  } catch (const std::exception&) {
    return Fail(THUMBPIPE_OPENCV_DAMAGED_OR_UNSUPPORTED, "", error, error_size);
  }
}

extern "C" void thumbpipe_opencv_free(ThumbpipeDecodedImage* image) {
  std::free(image->pixels);
  image->pixels = nullptr;
}
