// Escaping of paths in the manifest and in log lines, so that one path is always one line
// and the manifest stays valid UTF-8. Used by the sink and by anyone printing a path.
//
//   newline -> \n    backslash -> \\    other control bytes (0x00-0x1f, 0x7f) -> \xHH
//   a byte that is not part of a well-formed UTF-8 sequence -> \xHH
// Everything else, including well-formed multibyte UTF-8, is copied unchanged.
#pragma once

#include <string>
#include <string_view>

namespace thumbpipe {

std::string EscapePath(std::string_view raw);
// The same, appended to *out.
void AppendEscapedPath(std::string_view raw, std::string* out);

// Reverses EscapePath. Returns false and leaves *raw unspecified on a malformed escape.
bool UnescapePath(std::string_view escaped, std::string* raw);

}  // namespace thumbpipe
