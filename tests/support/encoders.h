// Runs the command-line encoders that tests make JPEG XL and JPEG 2000 files with: cjxl (from
// libjxl-tools) and opj_compress (from libopenjp2-tools), both in THUMBPIPE_TEST_PACKAGES. A
// missing encoder is reported as an error naming the package to install, so the test fails.
#pragma once

#include <string>
#include <vector>

namespace thumbpipe::testing {

// Runs `program`, found on PATH, with `args`, and checks that it wrote `out`. Returns "" on
// success, else why not: the program is missing (install `package`), or what it printed.
std::string RunEncoder(const std::string& program, const std::string& package,
                       const std::vector<std::string>& args, const std::string& out);

// cjxl `source` `out` with `options` (e.g. {"-d", "0"} for lossless).
std::string EncodeJxl(const std::string& source, const std::string& out,
                      const std::vector<std::string>& options = {});

// opj_compress -i `source` -o `out` with `options`; `out` ending in .jp2 gives a JP2 file,
// .j2k a raw codestream. Without options the coding is lossless with 6 resolution levels.
std::string EncodeJp2(const std::string& source, const std::string& out,
                      const std::vector<std::string>& options = {});

}  // namespace thumbpipe::testing
