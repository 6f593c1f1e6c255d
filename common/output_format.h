// The thumbnails' file format (--format), its quality (--quality) and the background a JPEG's
// transparency is composited on (--background): names, extensions, defaults and ranges, as the
// launcher parses them and the worker, sink and catalog use them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace thumbpipe {

// The numbers travel in the control block: append, never renumber.
enum class OutputFormat : int32_t { kPng = 0, kJpeg = 1, kWebp = 2 };

inline constexpr OutputFormat kOutputFormats[] = {OutputFormat::kPng, OutputFormat::kJpeg,
                                                  OutputFormat::kWebp};

// "png", "jpeg", "webp": the --format value.
std::string_view OutputFormatName(OutputFormat format);
std::optional<OutputFormat> ParseOutputFormat(std::string_view name);
// ".png", ".jpg", ".webp": what a thumbnail's name ends with.
std::string_view OutputExtension(OutputFormat format);

// --quality: the zlib level for PNG (0-9, default 1: three times faster than zlib's 6 on
// thumbnails, for files 0.2% to 5% larger), the encoder's quality for JPEG and WebP (1-100,
// default 85).
int MinQuality(OutputFormat format);
int MaxQuality(OutputFormat format);
int DefaultQuality(OutputFormat format);

// The longest side an image of the format may have: JPEG 65500, WebP 16383, PNG more than a
// box can be (65535).
uint32_t MaxSide(OutputFormat format);

// An opaque sRGB colour, 0xRRGGBB.
inline constexpr uint32_t kWhite = 0xFFFFFF;
inline constexpr uint32_t kBlack = 0x000000;
// "#rrggbb" (either case), "white" or "black".
std::optional<uint32_t> ParseColour(std::string_view text);
// "#rrggbb", lowercase.
std::string ColourName(uint32_t rgb);

}  // namespace thumbpipe
