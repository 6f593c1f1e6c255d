#include "producer/watcher.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "common/escape.h"

namespace thumbpipe {
namespace {

constexpr uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE |
                           IN_DELETE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;

}  // namespace

Status Watcher::Create(std::unique_ptr<Watcher>* watcher) {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "cannot watch the tree (inotify_init1)");
  watcher->reset(new Watcher(fd));
  return Status::OK();
}

Watcher::~Watcher() { ::close(fd_); }

Status Watcher::Watch(const std::string& path) {
  const int wd = ::inotify_add_watch(fd_, path.c_str(), kMask);
  if (wd < 0) {
    if (errno == ENOSPC) {
      out_of_watches_ = true;
      return Status::Error(fmt::format(
          "cannot watch '{}': out of inotify watches; raise the sysctl "
          "fs.inotify.max_user_watches (watching one per folder); until then the tree is "
          "rescanned every 10 seconds",
          EscapePath(path)));
    }
    return Status::FromErrno(errno, "cannot watch '{}'", EscapePath(path));
  }
  folders_[wd] = path;  // the same folder again (moved) gets its new path
  return Status::OK();
}

Status Watcher::Wait(std::chrono::milliseconds timeout, std::vector<TreeEvent>* events) {
  pollfd p{fd_, POLLIN, 0};
  const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (ready < 0 && errno != EINTR) return Status::FromErrno(errno, "cannot wait for the tree");
  if (ready <= 0) return Status::OK();
  alignas(inotify_event) char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return Status::OK();
    if (n <= 0) return Status::FromErrno(errno, "cannot read the tree's events");
    for (ssize_t at = 0; at < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      if ((event->mask & IN_Q_OVERFLOW) != 0) {
        events->push_back({TreeEvent::kRescan, ""});
        continue;
      }
      if ((event->mask & IN_IGNORED) != 0) {
        folders_.erase(event->wd);
        continue;
      }
      const auto folder = folders_.find(event->wd);
      if (folder == folders_.end() || event->len == 0) continue;  // DELETE_SELF: seen by parent
      std::string path = folder->second;
      if (!path.ends_with('/')) path += '/';
      path += event->name;
      const bool is_folder = (event->mask & IN_ISDIR) != 0;
      if ((event->mask & (IN_DELETE | IN_MOVED_FROM)) != 0) {
        events->push_back({is_folder ? TreeEvent::kFolderGone : TreeEvent::kFileGone, path});
      } else if (is_folder && (event->mask & (IN_CREATE | IN_MOVED_TO)) != 0) {
        events->push_back({TreeEvent::kFolderNew, path});
      } else if (!is_folder && (event->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) != 0) {
        events->push_back({TreeEvent::kFileReady, path});
      }
      // A file made (IN_CREATE) is not complete until it is closed; a symlink made is
      // complete at once, but is picked up by the next rescan only.
    }
  }
}

}  // namespace thumbpipe
