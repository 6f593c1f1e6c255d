// A stand-in for thumbpipe-worker: the real worker, plus misbehaviour chosen by the
// environment variable FAKE_WORKER, for the launcher's crash and hang tests:
//   crash-at-start          SIGSEGV before attaching to the run
//   crash-on=<text>         SIGSEGV when a file whose path contains <text> comes up
//   abort-on=<text>         SIGABRT likewise
//   hang-on=<text>          sleep forever on such a file
//   exit-on=<text>          _exit(3) on such a file
//   lock-and-die-on=<text>  take the results queue's lock, then SIGKILL, on such a file
//   delete-on=<text>        delete such a file just before it is read (it vanished)
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "common/ipc_queue.h"
#include "worker/worker.h"

int main(int argc, char** argv) {
  const char* env = std::getenv("FAKE_WORKER");
  const std::string mode = env != nullptr ? env : "";
  if (mode == "crash-at-start") ::raise(SIGSEGV);
  const size_t eq = mode.find('=');
  const std::string action = mode.substr(0, eq);
  const std::string text = eq == std::string::npos ? "" : mode.substr(eq + 1);
  std::string run;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--run") run = argv[i + 1];
  }
  return thumbpipe::WorkerProcessMain(argc, argv, [&](const std::string& path) {
    if (text.empty() || path.find(text) == std::string::npos) return;
    if (action == "lock-and-die-on") thumbpipe::IpcQueue::LockAndDieForTesting(run + ".results");
    if (action == "delete-on") ::unlink(path.c_str());
    if (action == "crash-on") ::raise(SIGSEGV);
    if (action == "abort-on") std::abort();
    if (action == "exit-on") ::_exit(3);
    if (action == "hang-on") {
      for (;;) ::pause();
    }
  });
}
