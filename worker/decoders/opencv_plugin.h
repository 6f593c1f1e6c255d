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

/* Decodes `size` bytes. Returns 0 and fills *image (release it with thumbpipe_opencv_free), or
 * returns non-zero and writes a one-line reason (NUL-terminated) into `error`. Images claiming
 * more than `max_pixels` (0: no limit) fail before their pixels are allocated. */
int thumbpipe_opencv_decode(const uint8_t* data, size_t size, uint64_t max_pixels,
                            ThumbpipeDecodedImage* image, char* error, size_t error_size);
void thumbpipe_opencv_free(ThumbpipeDecodedImage* image);

#define THUMBPIPE_OPENCV_PLUGIN "thumbpipe-opencv.so"

#ifdef __cplusplus
}
#endif

#endif /* THUMBPIPE_WORKER_OPENCV_PLUGIN_H_ */
