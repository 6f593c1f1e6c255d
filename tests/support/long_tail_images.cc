// Writers of long-tail format files for tests (see long_tail_images.h): Pillow run as a
// program, PSD and XPM laid out here.
#include "tests/support/long_tail_images.h"

#include <map>

namespace thumbpipe::testing {
namespace {

// Reads raw pixels, converts them when asked and saves them; exits with a sentence when Pillow
// is missing.
constexpr const char* kPillowScript = R"py(import sys
try:
    from PIL import Image
except ImportError:
    sys.exit("Pillow is missing: install python3-pil (THUMBPIPE_TEST_PACKAGES in scripts/lib/setup.sh)")
raw, out, mode, width, height, fmt, convert_to, options = sys.argv[1:9]
with open(raw, "rb") as f:
    image = Image.frombytes(mode, (int(width), int(height)), f.read())
if convert_to == "1":
    image = image.convert("1", dither=Image.Dither.NONE)
elif convert_to == "P":
    image = image.convert("P", palette=Image.Palette.ADAPTIVE)
elif convert_to:
    image = image.convert(convert_to)
image.save(out, fmt, **eval("dict(" + options + ")"))
)py";

void PutBe16(std::string* out, uint32_t v) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v));
}
void PutBe32(std::string* out, uint32_t v) {
  PutBe16(out, v >> 16);
  PutBe16(out, v & 0xFFFF);
}

// PackBits with literal runs only (at most 128 bytes each), which every reader accepts.
std::string PackBits(const uint8_t* row, size_t size) {
  std::string packed;
  for (size_t at = 0; at < size; at += 128) {
    const size_t n = std::min<size_t>(128, size - at);
    packed.push_back(static_cast<char>(n - 1));
    packed.append(reinterpret_cast<const char*>(row + at), n);
  }
  return packed;
}

// The layer and mask section: one layer covering the image, its pixels the composite's
// inverted, stored raw; no masks.
std::string LayerSection(const Pixels& pixels) {
  const bool alpha = pixels.channels == 2 || pixels.channels == 4;
  const uint32_t plane = pixels.width * pixels.height;
  std::string info;
  PutBe16(&info, alpha ? 0xFFFF : 1);  // -1: one layer, and the composite has alpha
  PutBe32(&info, 0);                   // top, left, bottom, right
  PutBe32(&info, 0);
  PutBe32(&info, pixels.height);
  PutBe32(&info, pixels.width);
  PutBe16(&info, pixels.channels);
  for (uint32_t c = 0; c < pixels.channels; ++c) {
    const bool is_alpha = alpha && c + 1 == pixels.channels;
    PutBe16(&info, is_alpha ? 0xFFFF : c);  // channel id; -1 is transparency
    PutBe32(&info, 2 + plane);
  }
  info += "8BIMnorm";
  info += std::string("\xFF\0\0\0", 4);  // opacity, clipping, flags, filler
  PutBe32(&info, 12);                    // extra data:
  PutBe32(&info, 0);                     //   no layer mask
  PutBe32(&info, 0);                     //   no blending ranges
  PutBe32(&info, 0);                     //   empty name, padded to four bytes
  for (uint32_t c = 0; c < pixels.channels; ++c) {
    const bool is_alpha = alpha && c + 1 == pixels.channels;
    PutBe16(&info, 0);  // raw
    for (uint32_t y = 0; y < pixels.height; ++y) {
      for (uint32_t x = 0; x < pixels.width; ++x) {
        const uint8_t v = pixels.at(x, y)[c];
        info.push_back(static_cast<char>(is_alpha ? v : 255 - v));
      }
    }
  }
  if (info.size() % 2 != 0) info.push_back('\0');
  std::string section;
  PutBe32(&section, static_cast<uint32_t>(4 + info.size() + 4));
  PutBe32(&section, static_cast<uint32_t>(info.size()));
  section += info;
  PutBe32(&section, 0);  // no global layer mask
  return section;
}

}  // namespace

Pixels Pattern(uint32_t width, uint32_t height, uint32_t channels) {
  Pixels pixels{width, height, channels, {}};
  pixels.data.reserve(size_t{width} * height * channels);
  for (uint32_t y = 0; y < height; ++y) {
    for (uint32_t x = 0; x < width; ++x) {
      const uint8_t r = static_cast<uint8_t>((x * 37 + y * 11) % 256);
      const uint8_t g = static_cast<uint8_t>((x * 5 + y * 53 + 80) % 256);
      const uint8_t b = static_cast<uint8_t>((x * 97 + y * 13 + 160) % 256);
      const uint8_t a = static_cast<uint8_t>(1 + (x * 17 + y * 29) % 255);
      if (channels <= 2) pixels.data.push_back(r);
      if (channels == 2) pixels.data.push_back(a);
      if (channels >= 3) pixels.data.insert(pixels.data.end(), {r, g, b});
      if (channels == 4) pixels.data.push_back(a);
    }
  }
  return pixels;
}

std::string WriteWithPillow(const Pixels& pixels, const std::string& path,
                            const std::string& format, const std::string& options,
                            const std::string& mode) {
  static const std::map<uint32_t, std::string> kModes{{1, "L"}, {2, "LA"}, {3, "RGB"}, {4, "RGBA"}};
  TempDir scratch;
  const std::string raw = scratch / "pixels.raw";
  WriteFile(raw, std::string(pixels.data.begin(), pixels.data.end()));
  // Debian's python3, for which python3-pil is installed (not any other python3 on PATH).
  const std::string python = "/usr/bin/python3";
  const CommandResult run = RunCommand({python, "-c", kPillowScript, raw, path,
                                        kModes.at(pixels.channels), std::to_string(pixels.width),
                                        std::to_string(pixels.height), format, mode, options});
  if (run.exit_code == 0) return "";
  if (run.exit_code == 127 || run.exit_code == 126)
    return python + " cannot run: install python3-pil (THUMBPIPE_TEST_PACKAGES)";
  return "Pillow could not write " + format + ": " + run.out + run.err;
}

std::string Psd(const Pixels& pixels, bool packbits, const std::vector<uint8_t>& icc) {
  std::string out = "8BPS";
  PutBe16(&out, 1);
  out.append(6, '\0');
  PutBe16(&out, pixels.channels);
  PutBe32(&out, pixels.height);
  PutBe32(&out, pixels.width);
  PutBe16(&out, 8);
  PutBe16(&out, pixels.channels >= 3 ? 3 : 1);  // RGB or greyscale
  PutBe32(&out, 0);                             // no colour mode data
  std::string resources;
  if (!icc.empty()) {
    resources += "8BIM";
    PutBe16(&resources, 0x040F);  // ICC profile
    resources.append(2, '\0');    // empty Pascal name, padded to even
    PutBe32(&resources, static_cast<uint32_t>(icc.size()));
    resources.append(icc.begin(), icc.end());
    if (icc.size() % 2 != 0) resources.push_back('\0');
  }
  PutBe32(&out, static_cast<uint32_t>(resources.size()));
  out += resources;
  out += LayerSection(pixels);
  PutBe16(&out, packbits ? 1 : 0);
  // Planar: each channel's rows in turn. With alpha, the colours are stored matted against
  // white, as Photoshop stores a composite.
  const bool alpha = pixels.channels == 2 || pixels.channels == 4;
  std::vector<std::string> rows;
  for (uint32_t c = 0; c < pixels.channels; ++c) {
    for (uint32_t y = 0; y < pixels.height; ++y) {
      std::vector<uint8_t> row(pixels.width);
      for (uint32_t x = 0; x < pixels.width; ++x) {
        const uint8_t* p = pixels.at(x, y);
        const uint32_t a = alpha ? p[pixels.channels - 1] : 255;
        row[x] = alpha && c + 1 < pixels.channels
                     ? static_cast<uint8_t>((p[c] * a + 255 * (255 - a) + 127) / 255)
                     : p[c];
      }
      rows.push_back(packbits ? PackBits(row.data(), row.size())
                              : std::string(row.begin(), row.end()));
    }
  }
  if (packbits) {
    for (const std::string& row : rows) PutBe16(&out, static_cast<uint32_t>(row.size()));
  }
  for (const std::string& row : rows) out += row;
  return out;
}

std::string Xpm(const Pixels& pixels) {
  constexpr std::string_view kDigits =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-";
  std::map<std::string, std::string> codes;  // "#RRGGBB" or "None" -> two characters
  std::vector<std::string> names;
  const auto colour_of = [&](uint32_t x, uint32_t y) {
    const uint8_t* p = pixels.at(x, y);
    if (pixels.channels == 4 && p[3] == 0) return std::string("None");
    char hex[8];
    std::snprintf(hex, sizeof hex, "#%02X%02X%02X", p[0], p[1], p[2]);
    return std::string(hex);
  };
  std::string body;
  for (uint32_t y = 0; y < pixels.height; ++y) {
    body += '"';
    for (uint32_t x = 0; x < pixels.width; ++x) {
      const std::string colour = colour_of(x, y);
      auto [it, added] = codes.try_emplace(colour);
      if (added) {
        const size_t n = names.size();
        it->second = {kDigits[n / kDigits.size()], kDigits[n % kDigits.size()]};
        names.push_back(colour);
      }
      body += it->second;
    }
    body += y + 1 < pixels.height ? "\",\n" : "\"\n";
  }
  std::string out = "/* XPM */\nstatic char *test[] = {\n";
  out += "\"" + std::to_string(pixels.width) + " " + std::to_string(pixels.height) + " " +
         std::to_string(names.size()) + " 2\",\n";
  for (const std::string& name : names) out += "\"" + codes[name] + " c " + name + "\",\n";
  return out + body + "};\n";
}

}  // namespace thumbpipe::testing
