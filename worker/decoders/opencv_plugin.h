/* The interface of thumbpipe-opencv.so, a plug-in the worker loads only when it meets a format
 * that has no direct decoder (BMP, PNM). OpenCV's image codecs pull in some hundred shared
 * libraries (GDAL among them): loading them costs each worker tens of megabytes and tens of
 * milliseconds, so a worker that never needs them never loads them. Plain C, so the two sides
 * share no C++ types. */
#ifndef THUMBPIPE_WORKER_OPENCV_PLUGIN_H_
#define THUMBPIPE_WORKER_OPENCV_PLUGIN_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 8-bit pixels, rows packed, channels R,G,B[,A] or grey[,alpha]; `pixels` from malloc. */
typedef struct ThumbpipeDecodedImage {
  uint32_t width;
  uint32_t height;
  uint32_t channels;
  uint8_t* pixels;
} ThumbpipeDecodedImage;

/* Why a decode failed: OpenCV's exceptions and complaints, sorted. */
typedef enum ThumbpipeOpenCvOutcome {
  THUMBPIPE_OPENCV_OK = 0,
  THUMBPIPE_OPENCV_DAMAGED_OR_UNSUPPORTED = 1, /* OpenCV said only that it could not */
  THUMBPIPE_OPENCV_TRUNCATED = 2,
  THUMBPIPE_OPENCV_BAD_HEADER = 3,
  THUMBPIPE_OPENCV_BAD_DATA = 4,
  THUMBPIPE_OPENCV_UNSUPPORTED = 5,
  THUMBPIPE_OPENCV_TOO_MANY_PIXELS = 6,
  THUMBPIPE_OPENCV_OUT_OF_MEMORY = 7
} ThumbpipeOpenCvOutcome;

/* Decodes `size` bytes. Returns THUMBPIPE_OPENCV_OK and fills *image (release it with
 * thumbpipe_opencv_free), or returns why not and writes into `error` (NUL-terminated) what is
 * damaged or unsupported in plain words, or nothing when OpenCV did not say. Images claiming
 * more than `max_pixels` (0: no limit) fail, before their pixels are allocated when the loader
 * set OPENCV_IO_MAX_IMAGE_PIXELS to it before loading the plug-in: OpenCV reads it as its
 * library loads. */
ThumbpipeOpenCvOutcome thumbpipe_opencv_decode(const uint8_t* data, size_t size,
                                               uint64_t max_pixels, ThumbpipeDecodedImage* image,
                                               char* error, size_t error_size);
void thumbpipe_opencv_free(ThumbpipeDecodedImage* image);

#define THUMBPIPE_OPENCV_PLUGIN "thumbpipe-opencv.so"

#ifdef __cplusplus
}
#endif

#endif /* THUMBPIPE_WORKER_OPENCV_PLUGIN_H_ */
