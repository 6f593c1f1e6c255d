// Recognises an image format from a file's first bytes; the extension is never consulted.
// Worker only; the formats themselves are in common/image_format.h, which of them are decoded
// in worker/decoders/decoder_table.cc.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "common/image_format.h"

namespace thumbpipe {

Format SniffFormat(std::span<const uint8_t> head);

}  // namespace thumbpipe
