// A stand-in for thumbpipe-worker: the real worker, plus misbehaviour chosen by the
// environment variable FAKE_WORKER (comma-separated), for the launcher's crash and hang tests:
//   crash-at-start          SIGSEGV before attaching to the run
//   exit2-at-start          exit with status 2 (a failed set-up) before attaching
//   crash-at-end            SIGSEGV right after taking the end-of-work sentinel
//   slow=<ms>               sleep that long before each file
//   crash-on=<text>         SIGSEGV when a file whose path contains <text> comes up
//   abort-on=<text>         SIGABRT likewise
//   kill-on=<text>          SIGKILL likewise (as the OOM killer or an admin would)
//   hang-on=<text>          sleep forever on such a file
//   exit-on=<text>          _exit(3) on such a file
//   lock-and-die-on=<text>  take the results queue's lock, then SIGKILL, on such a file
//   delete-on=<text>        delete such a file just before it is read (it vanished)
//   swap-folder-on=<text>   just before such a file is read, move its folder aside and put a
//                           symlink to $FAKE_WORKER_SWAP_TO in its place (a swap after the walk)
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/ipc_queue.h"
#include "worker/worker.h"

namespace {

struct Mode {
  std::string action;
  std::string text;
};

std::vector<Mode> ParseModes(const char* env) {
  std::vector<Mode> modes;
  std::string rest = env != nullptr ? env : "";
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string item = rest.substr(0, comma);
    rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
    const size_t eq = item.find('=');
    modes.push_back({item.substr(0, eq), eq == std::string::npos ? "" : item.substr(eq + 1)});
  }
  return modes;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<Mode> modes = ParseModes(std::getenv("FAKE_WORKER"));
  for (const Mode& mode : modes) {
    if (mode.action == "crash-at-start") ::raise(SIGSEGV);
    if (mode.action == "exit2-at-start") ::_exit(2);
  }
  std::string run;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--run") run = argv[i + 1];
  }
  return thumbpipe::WorkerProcessMain(argc, argv, [&](const std::string& path) {
    for (const Mode& mode : modes) {
      if (path.empty()) {  // the end-of-work sentinel was taken
        if (mode.action == "crash-at-end") ::raise(SIGSEGV);
        continue;
      }
      if (mode.action == "slow")
        ::usleep(static_cast<useconds_t>(std::atoi(mode.text.c_str()) * 1000));
      if (mode.text.empty() || path.find(mode.text) == std::string::npos) continue;
      if (mode.action == "crash-on") ::raise(SIGSEGV);
      if (mode.action == "abort-on") std::abort();
      if (mode.action == "kill-on") ::raise(SIGKILL);
      if (mode.action == "exit-on") ::_exit(3);
      if (mode.action == "lock-and-die-on")
        thumbpipe::IpcQueue::LockAndDieForTesting(run + ".results");
      if (mode.action == "delete-on") ::unlink(path.c_str());
      if (mode.action == "swap-folder-on") {
        const std::string folder = path.substr(0, path.rfind('/'));
        const char* target = std::getenv("FAKE_WORKER_SWAP_TO");
        if (target == nullptr || std::rename(folder.c_str(), (folder + ".moved").c_str()) != 0 ||
            ::symlink(target, folder.c_str()) != 0) {
          ::_exit(4);
        }
      }
      if (mode.action == "hang-on") {
        for (;;) ::pause();
      }
    }
  });
}
