#include "common/escape.h"

#include <fmt/format.h>

namespace thumbpipe {
namespace {

// Length of the well-formed UTF-8 sequence starting at s[0], or 0 if there is none
// (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
size_t Utf8SequenceLength(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto continuation = [&](size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) return continuation(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!continuation(1) || !continuation(2)) return 0;
    if (b0 == 0xE0 && byte(1) < 0xA0) return 0;   // overlong
    if (b0 == 0xED && byte(1) >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
    if (b0 == 0xF0 && byte(1) < 0x90) return 0;   // overlong
    if (b0 == 0xF4 && byte(1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string EscapePath(std::string_view raw) {
  std::string out;
  AppendEscapedPath(raw, &out);
  return out;
}

void AppendEscapedPath(std::string_view raw, std::string* out_string) {
  std::string& out = *out_string;
  out.reserve(out.size() + raw.size());
  size_t i = 0;
  while (i < raw.size()) {
    const unsigned char c = static_cast<unsigned char>(raw[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02x}", c);
    } else if (c >= 0x80) {
      const size_t n = Utf8SequenceLength(raw.substr(i));
      if (n == 0) {
        out += fmt::format("\\x{:02x}", c);
      } else {
        out.append(raw.substr(i, n));
        i += n;
        continue;
      }
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
}

bool UnescapePath(std::string_view escaped, std::string* raw) {
  raw->clear();
  for (size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] != '\\') {
      *raw += escaped[i];
      continue;
    }
    if (++i == escaped.size()) return false;
    switch (escaped[i]) {
      case 'n':
        *raw += '\n';
        break;
      case '\\':
        *raw += '\\';
        break;
      case 'x': {
        if (i + 2 >= escaped.size()) return false;
        const int hi = HexValue(escaped[i + 1]);
        const int lo = HexValue(escaped[i + 2]);
        if (hi < 0 || lo < 0) return false;
        *raw += static_cast<char>(hi * 16 + lo);
        i += 2;
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

}  // namespace thumbpipe
