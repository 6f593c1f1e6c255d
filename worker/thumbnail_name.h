// The naming rule of thumbnails: lowercase hex SHA-256 of the header "<w>x<h>x<c>\n" followed
// by the pixel rows (8 bits per sample, R,G,B[,A] or grey[,alpha]), then the output format's
// extension (".png", ".jpg", ".webp"). The pixels are those the encoder is given, after
// worker/compositing.h. Worker only.
#pragma once

#include <string>

#include "common/output_format.h"
#include "worker/image.h"

namespace thumbpipe {

std::string ThumbnailName(const Image& image, OutputFormat format = OutputFormat::kPng);

}  // namespace thumbpipe
