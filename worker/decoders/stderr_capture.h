// Holds back what a library prints to stderr while it decodes: some (libjxl as Debian builds
// it) print their complaints instead of returning them, and every line a worker writes must
// be its own. While a StderrCapture lives, this process's stderr goes to a memory file; its
// last line can tell an adapter what kind of failure it was (OpenCV's plug-in sorts it), but
// is never itself shown as a reason. One at a time, on the process's one thread.
#pragma once

#include <string>

namespace thumbpipe {

class StderrCapture {
 public:
  // If the memory file cannot be made, stderr is left as it is and LastLine() is empty.
  StderrCapture();
  ~StderrCapture();
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  // The last non-empty line written so far (of the first 64 KiB), without its line break.
  std::string LastLine() const;

 private:
  int memory_ = -1;
  int saved_ = -1;
};

}  // namespace thumbpipe
