#include "common/role.h"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <charconv>
#include <cstring>

#include "common/log.h"

namespace thumbpipe {
namespace {

bool ParseIndex(std::string_view text, int* index) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *index);
  return ec == std::errc() && end == text.data() + text.size() && *index >= 0 &&
         *index < kMaxWorkers;
}

}  // namespace

Status AttachToRun(int argc, char** argv, std::string_view role, bool needs_index,
                   RoleContext* context) {
  SetLogPrefix(fmt::format("thumbpipe-{}", role));
  std::string prefix;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--run" && i + 1 < argc) {
      prefix = argv[++i];
    } else if (arg == "--index" && i + 1 < argc && needs_index) {
      if (!ParseIndex(argv[++i], &context->index)) {
        return Status::Error(fmt::format("bad --index '{}'", argv[i]));
      }
    } else {
      return Status::Error(fmt::format(
          "unexpected argument '{}'; this program is started by thumbpipe, not by hand", arg));
    }
  }
  pid_t pid = 0;
  std::string parsed_prefix;
  if (!ParseRunObjectName(prefix, &parsed_prefix, &pid) || parsed_prefix != prefix) {
    return Status::Error("missing or malformed --run; this program is started by thumbpipe");
  }
  if (needs_index && context->index < 0) return Status::Error("missing --index");
  if (needs_index) SetLogPrefix(fmt::format("thumbpipe-{}[{}]", role, context->index));
  context->names.prefix = prefix;

  // Interrupts reach the whole process group (Ctrl-C, systemd's KillMode=control-group);
  // the launcher turns them into an orderly stop, so the roles ignore them.
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGTERM, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGXFSZ, SIG_IGN);  // a file size limit must fail the write, not kill us

  if (Status status = SharedControl::Open(context->names.control(), &context->control);
      !status.ok()) {
    return status;
  }
  context->launcher_pid = context->control->block()->launcher_pid;
  if (context->launcher_pid != pid) return Status::Error("control block of another run");
  if (needs_index && context->index >= context->control->block()->options.workers) {
    return Status::Error(fmt::format("--index {} but the run has {} workers", context->index,
                                     context->control->block()->options.workers));
  }
  context->options = context->control->options();
  SetLogVerbosity(context->options.verbosity);
  // The launcher asked the kernel (before exec) to kill us when it dies; it may have died
  // before that request took effect.
  if (std::string gone = LauncherGoneReason(*context); !gone.empty()) return Status::Error(gone);
  return Status::OK();
}

std::string LauncherGoneReason(const RoleContext& context) {
  if (::getppid() != context.launcher_pid) return "the launcher is gone";
  return {};
}

int RoleExitStatus(const Status& status) {
  if (status.ok()) return kRoleExitOk;
  LogError("{}", status.message());
  return status.IsQueueBroken() ? kRoleExitQueueBroken : kRoleExitFailed;
}

}  // namespace thumbpipe
