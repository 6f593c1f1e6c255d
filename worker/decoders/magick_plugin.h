/* The interface of thumbpipe-magick.so, a plug-in the worker (magick_codec.cc) loads only when
 * it meets one of the long-tail formats (TGA, ICO/CUR, PSD, PCX, SGI, XPM, XBM). Plain C, so
 * the two sides share no C++ types.
 *
 * Why ImageMagick's MagickCore (Debian libmagickcore-6.q16) and not GraphicsMagick (Debian
 * libgraphicsmagick-q16-3), compared on Debian 12:
 *  - Formats: GraphicsMagick 1.3.40 has no PSD reader at all ("no decode delegate"), and PSD
 *    is one of the formats this plug-in is for. MagickCore reads all of them, PSD's composite
 *    image included; neither reads QOI.
 *  - Start-up: dlopen of libGraphicsMagick pulls in 44 libraries (x265, aom, dav1d, jxl among
 *    them), about 34 ms; libMagickCore 32, about 10 ms, then one small coder module per format
 *    on first use. InitializeMagick and MagickCoreGenesis both take 1-3 ms.
 *  - Resource limits: both have SetMagickResourceLimit for memory, map, disk, pixels (area),
 *    width, height and threads; MagickCore also limits the length of an image list.
 *  - Security record: both are large C code bases fuzzed by OSS-Fuzz with a long list of CVEs,
 *    ImageMagick's the longer; both get Debian security updates (Debian 12's ImageMagick 6 is at
 *    its fifteenth update, deb12u15, GraphicsMagick at its first). GraphicsMagick has a hook that
 * can refuse every file, URL or program a coder would open (MagickSetConfirmAccessHandler);
 * MagickCore has a policy file instead (Debian's /etc/ImageMagick-6/policy.xml denies the
 * PostScript/PDF delegates, URL coders and "@file" paths), which a program cannot tighten once it
 * is loaded (SetMagickSecurityPolicy refuses when a policy file exists). So MagickCore, for PSD,
 * and it is confined by what this plug-in does, not by the policy file alone: every read is of a
 * blob in memory with the coder named by thumbpipe's own sniffing
 * ("TGA:" and so on: never guessed from the content), only from a fixed list of coders that
 * read blobs natively (so no temporary copy of the file is ever written) and start no
 * delegate program; the pixel cache never spills to disk (disk limit 0); memory, area, width,
 * height and list length are limited and ImageMagick runs on one thread; the header is pinged
 * first and --max-pixels applied before any pixel is decoded; ImageMagick installs no signal
 * handlers. */
#ifndef THUMBPIPE_WORKER_MAGICK_PLUGIN_H_
#define THUMBPIPE_WORKER_MAGICK_PLUGIN_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 8-bit pixels, rows packed, channels R,G,B[,A] or grey[,alpha]; `pixels` and `icc` from
 * malloc (icc null when the image has no ICC profile). */
typedef struct ThumbpipeMagickImage {
  uint32_t width;
  uint32_t height;
  uint32_t channels;
  uint8_t* pixels;
  uint8_t* icc;
  size_t icc_size;
} ThumbpipeMagickImage;

/* What thumbpipe_magick_decode returns. */
enum {
  THUMBPIPE_MAGICK_OK = 0,
  THUMBPIPE_MAGICK_FAILED = 1,          /* `error` says why */
  THUMBPIPE_MAGICK_TOO_MANY_PIXELS = 2, /* image->width and height say how big it claims to be */
  THUMBPIPE_MAGICK_OUT_OF_MEMORY = 3    /* likewise */
};

/* Decodes `size` bytes with ImageMagick's coder `coder` ("TGA", "ICO", "CUR", "PSD", "PSB",
 * "PCX", "SGI", "XPM" or "XBM"; any other is refused). The first image is read (for ICO/CUR:
 * the largest icon). Images whose header claims more than `max_pixels` (0: no limit) are
 * refused before their pixels are decoded. On THUMBPIPE_MAGICK_OK fills *image (release it
 * with thumbpipe_magick_free); on THUMBPIPE_MAGICK_FAILED writes a one-line reason
 * (NUL-terminated) into `error`. One call at a time. */
int thumbpipe_magick_decode(const uint8_t* data, size_t size, const char* coder,
                            uint64_t max_pixels, ThumbpipeMagickImage* image, char* error,
                            size_t error_size);
void thumbpipe_magick_free(ThumbpipeMagickImage* image);

#define THUMBPIPE_MAGICK_PLUGIN "thumbpipe-magick.so"

#ifdef __cplusplus
}
#endif

#endif /* THUMBPIPE_WORKER_MAGICK_PLUGIN_H_ */
