#include "common/file_uri.h"

namespace thumbpipe {
namespace {

// GLib's table (gconvert.c, UNSAFE_PATH): RFC 3986's unreserved characters, the sub-delimiters
// but ';', and ':', '@', '/'. Everything else is escaped, control and non-ASCII bytes too.
bool LeftAsIs(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-':
    case '.':
    case '_':
    case '~':
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case ':':
    case '=':
    case '@':
    case '/':
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string FileUri(std::string_view absolute_path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string uri = "file://";
  uri.reserve(uri.size() + absolute_path.size() * 3);
  for (const char ch : absolute_path) {
    const auto c = static_cast<unsigned char>(ch);
    if (LeftAsIs(c)) {
      uri += ch;
    } else {
      uri += '%';
      uri += kHex[c >> 4];
      uri += kHex[c & 0xF];
    }
  }
  return uri;
}

}  // namespace thumbpipe
