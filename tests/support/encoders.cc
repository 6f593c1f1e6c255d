#include "tests/support/encoders.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "tests/support/support.h"

namespace thumbpipe::testing {

std::string RunEncoder(const std::string& program, const std::string& package,
                       const std::vector<std::string>& args, const std::string& out) {
  std::string path;
  const char* env = std::getenv("PATH");
  const std::string folders = env != nullptr ? env : "/usr/bin:/bin";
  for (size_t start = 0; start <= folders.size() && path.empty();) {
    size_t end = folders.find(':', start);
    if (end == std::string::npos) end = folders.size();
    const std::string candidate = folders.substr(start, end - start) + "/" + program;
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) path = candidate;
    start = end + 1;
  }
  if (path.empty()) return program + " is missing: install " + package;
  std::vector<std::string> argv = {path};
  argv.insert(argv.end(), args.begin(), args.end());
  ::unlink(out.c_str());
  const CommandResult run = RunCommand(argv);
  struct stat written;
  if (run.exit_code != 0 || ::stat(out.c_str(), &written) != 0 || written.st_size == 0)
    return program + " failed (exit " + std::to_string(run.exit_code) + "): " + run.out + run.err;
  return "";
}

std::string EncodeJxl(const std::string& source, const std::string& out,
                      const std::vector<std::string>& options) {
  std::vector<std::string> args = {source, out};
  args.insert(args.end(), options.begin(), options.end());
  return RunEncoder("cjxl", "libjxl-tools", args, out);
}

std::string EncodeJp2(const std::string& source, const std::string& out,
                      const std::vector<std::string>& options) {
  std::vector<std::string> args = {"-i", source, "-o", out};
  args.insert(args.end(), options.begin(), options.end());
  return RunEncoder("opj_compress", "libopenjp2-tools", args, out);
}

}  // namespace thumbpipe::testing
