// FileUri against fixed examples, and against GLib's own g_filename_to_uri (through python3-gi)
// for every byte value and for names that are hard to escape.
#include "common/file_uri.h"

#include <gtest/gtest.h>

#include <sstream>

#include "tests/support/support.h"

namespace thumbpipe {
namespace {

using testing::RunCommand;
using testing::TempDir;

TEST(FileUriTest, LeavesGlibsSetAndEscapesTheRest) {
  EXPECT_EQ(FileUri("/home/ana/a&b (1).png"), "file:///home/ana/a&b%20(1).png");
  EXPECT_EQ(FileUri("/x/!$&'()*+,:=@-._~"), "file:///x/!$&'()*+,:=@-._~");
  EXPECT_EQ(FileUri("/x/#%?;\"<>[]\\^`{|}"),
            "file:///x/%23%25%3F%3B%22%3C%3E%5B%5D%5C%5E%60%7B%7C%7D");
  EXPECT_EQ(FileUri("/x/caf\xC3\xA9\n\x7F\xFF"), "file:///x/caf%C3%A9%0A%7F%FF");
  EXPECT_EQ(FileUri("/"), "file:///");
}

std::string Hex(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (const char c : bytes) {
    hex += kDigits[static_cast<unsigned char>(c) >> 4];
    hex += kDigits[static_cast<unsigned char>(c) & 0xF];
  }
  return hex;
}

// GLib, asked about each path (hex-encoded, one a line, so any byte travels), answers one URI
// a line.
std::vector<std::string> GlibUris(const std::vector<std::string>& paths) {
  TempDir dir;
  std::string input;
  for (const std::string& path : paths) input += Hex(path) + "\n";
  testing::WriteFile(dir / "paths", input);
  testing::WriteFile(dir / "uris.py", R"(import sys
try:
    import gi
    from gi.repository import GLib
except ImportError as e:
    sys.exit("python3-gi with GLib is needed (Debian: python3-gi): %s" % e)
for line in open(sys.argv[1]):
    print(GLib.filename_to_uri(bytes.fromhex(line.strip()), None))
)");
  const testing::CommandResult run =
      RunCommand({"/usr/bin/python3", dir / "uris.py", dir / "paths"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  std::vector<std::string> uris;
  std::istringstream lines(run.out);
  for (std::string line; std::getline(lines, line);) uris.push_back(line);
  return uris;
}

TEST(FileUriTest, EscapesAsGlibDoes) {
  std::vector<std::string> paths;
  for (int byte = 1; byte <= 255; ++byte) {
    paths.push_back("/tmp/a" + std::string(1, static_cast<char>(byte)) + "b.png");
    paths.push_back("/" + std::string(1, static_cast<char>(byte)));
  }
  for (const char* name :
       {"/home/ana/Pictures/a&b (1).png", "/p/with space.jpg", "/p/hash#tag.png", "/p/100%.png",
        "/p/what?.png", "/p/semi;colon.png", "/p/caf\xC3\xA9/\xE6\x97\xA5\xE6\x9C\xAC.jpg",
        "/p/\xF0\x9F\x93\xB7 photo.heic", "/p/invalid\xFF\xFE utf8.png", "/p/half\xC3.png",
        "/p/new\nline.png", "/p/tab\there\r.png", "/p/%20already%2Fescaped.png",
        "/p/a+b=c,d;e@f:g.png", "/p/[brackets]{braces}<angle>.png", "/p/back\\slash.png",
        "/p/quote\"s'.png", "/p/tilde~caret^pipe|grave`.png", "/p/./../x//y.png"}) {
    paths.push_back(name);
  }
  const std::vector<std::string> glib = GlibUris(paths);
  ASSERT_EQ(glib.size(), paths.size());
  for (size_t i = 0; i < paths.size(); ++i) {
    EXPECT_EQ(FileUri(paths[i]), glib[i]) << "path (hex) " << Hex(paths[i]);
  }
}

}  // namespace
}  // namespace thumbpipe
