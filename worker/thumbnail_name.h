// The naming rule of thumbnails: lowercase hex SHA-256 of the header "<w>x<h>x<c>\n" followed
// by the pixel rows (8 bits per sample, R,G,B[,A] or grey[,alpha]), then ".png". Worker only.
#pragma once

#include <string>

#include "worker/image.h"

namespace thumbpipe {

std::string ThumbnailName(const Image& image);

}  // namespace thumbpipe
