#include "producer/walker.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "common/escape.h"
#include "common/real_path.h"
#include "common/status.h"

namespace thumbpipe {
namespace {

struct Entry {
  std::string name;
  unsigned char type;  // d_type
};

std::string Join(const std::string& folder, const std::string& name) {
  return folder.ends_with('/') ? folder + name : folder + "/" + name;
}

// Reads all names of the open folder `fd` (which it takes over), sorted.
bool ReadFolder(int fd, std::vector<Entry>* entries, int* err) {
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    *err = errno;
    ::close(fd);
    return false;
  }
  errno = 0;
  while (const dirent* d = ::readdir(dir)) {
    const std::string_view name = d->d_name;
    if (name != "." && name != "..") entries->push_back({std::string(name), d->d_type});
    errno = 0;
  }
  *err = errno;
  ::closedir(dir);
  std::sort(entries->begin(), entries->end(),
            [](const Entry& a, const Entry& b) { return a.name < b.name; });
  return *err == 0;
}

class Walker {
 public:
  Walker(const WalkCallbacks& callbacks, const WalkExclusions& exclusions, SymlinkPolicy symlinks,
         std::string real_root)
      : callbacks_(callbacks),
        exclusions_(exclusions),
        classifier_(symlinks, std::move(real_root), callbacks.skipped) {}

  // Walks the folder open as `fd` (taken over) whose path is `path`.
  bool WalkFolder(int fd, const std::string& path) {
    if (callbacks_.folder) callbacks_.folder(path);
    std::vector<Entry> entries;
    int err = 0;
    // Keep our own handle: fdopendir takes over the one it gets.
    const int listing_fd = ::dup(fd);
    if (listing_fd < 0 || !ReadFolder(listing_fd, &entries, &err)) {
      if (listing_fd < 0) err = errno;
      callbacks_.problem(
          Status::FromErrno(err, "cannot read folder '{}'", EscapePath(path)).message());
      if (entries.empty()) {
        ::close(fd);
        return true;
      }
    }
    bool keep_going = true;
    for (const Entry& entry : entries) {
      const std::string child = Join(path, entry.name);
      if (callbacks_.wanted && (entry.type == DT_REG || entry.type == DT_LNK) &&
          !callbacks_.wanted(child)) {
        continue;
      }
      struct stat st {};
      const EntryKind kind = classifier_.Classify(fd, entry.name, entry.type, child, &st);
      if (kind != EntryKind::kOther && exclusions_.paths.count(child) != 0) {
        callbacks_.skipped(fmt::format("not walking our own output '{}'", EscapePath(child)));
        continue;
      }
      if (kind == EntryKind::kFile) {
        keep_going = callbacks_.file(child, st);
      } else if (kind == EntryKind::kFolder) {
        const int child_fd =
            ::openat(fd, entry.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (child_fd < 0) {
          callbacks_.problem(
              Status::FromErrno(errno, "cannot open folder '{}'", EscapePath(child)).message());
          continue;
        }
        if (IsExcluded(child_fd)) {
          callbacks_.skipped(fmt::format("not walking our own output '{}'", EscapePath(child)));
          ::close(child_fd);
          continue;
        }
        keep_going = WalkFolder(child_fd, child);
      }
      if (!keep_going) break;
    }
    ::close(fd);
    return keep_going;
  }

 private:
  bool IsExcluded(int folder_fd) const {
    if (exclusions_.folders.empty()) return false;
    struct stat st;
    return ::fstat(folder_fd, &st) == 0 && exclusions_.folders.count({st.st_dev, st.st_ino}) != 0;
  }

  const WalkCallbacks& callbacks_;
  const WalkExclusions& exclusions_;
  EntryClassifier classifier_;
};

}  // namespace

EntryKind EntryClassifier::Classify(int dir_fd, const std::string& name, unsigned char type,
                                    const std::string& path, struct stat* st) const {
  if (type == DT_DIR) return EntryKind::kFolder;
  if (type == DT_LNK) return ClassifyLink(dir_fd, name, path, st);
  if (type != DT_REG && type != DT_UNKNOWN) return Skip(path, DTTOIF(type));
  if (::fstatat(dir_fd, name.c_str(), st, AT_SYMLINK_NOFOLLOW) != 0) {
    *st = {};
    return EntryKind::kFile;
  }
  if (S_ISREG(st->st_mode)) return EntryKind::kFile;
  if (S_ISDIR(st->st_mode)) return EntryKind::kFolder;
  if (S_ISLNK(st->st_mode)) return ClassifyLink(dir_fd, name, path, st);
  return Skip(path, st->st_mode);
}

EntryKind EntryClassifier::ClassifyLink(int dir_fd, const std::string& name,
                                        const std::string& path, struct stat* st) const {
  *st = {};
  if (symlinks_ == SymlinkPolicy::kNone) {
    skipped_(fmt::format("not following symlink '{}' (--symlinks none)", EscapePath(path)));
    return EntryKind::kOther;
  }
  if (symlinks_ == SymlinkPolicy::kInside) {
    std::string why;
    if (!ResolveInside(dir_fd, name, st, &why)) {
      skipped_(
          fmt::format("not following symlink '{}': {} (--symlinks inside)", EscapePath(path), why));
      return EntryKind::kOther;
    }
  } else if (::fstatat(dir_fd, name.c_str(), st, 0) != 0) {
    *st = {};
    return EntryKind::kFile;  // dangling or a loop: the worker reports why
  }
  if (S_ISREG(st->st_mode)) return EntryKind::kFile;
  if (S_ISDIR(st->st_mode)) {
    skipped_(fmt::format("not following symlinked folder '{}'", EscapePath(path)));
    return EntryKind::kOther;
  }
  return Skip(path, st->st_mode);
}

// Resolves the link `entry` fully (magic links such as /proc/self/root too) and stats its
// target. False, with the reason in *why, when it cannot be resolved or leads out of ROOT.
bool EntryClassifier::ResolveInside(int dir_fd, const std::string& name, struct stat* st,
                                    std::string* why) const {
  // O_PATH opens nothing for reading: a FIFO does not block, a device is not touched.
  const int fd = ::openat(dir_fd, name.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) {
    *why = Status::FromErrno(errno, "cannot resolve it").message();
    return false;
  }
  std::string target;
  Status status = RealPathOf(fd, &target);
  if (status.ok() && ::fstat(fd, st) != 0) {
    status = Status::FromErrno(errno, "cannot stat its target");
  }
  ::close(fd);
  if (!status.ok()) {
    *why = status.message();
    return false;
  }
  if (!IsInsideRoot(target, real_root_)) {
    *why = fmt::format("its target '{}' lies outside ROOT", EscapePath(target));
    return false;
  }
  return true;
}

EntryKind EntryClassifier::Skip(const std::string& path, mode_t mode) const {
  const char* what = S_ISFIFO(mode)                   ? "FIFO"
                     : S_ISSOCK(mode)                 ? "socket"
                     : S_ISCHR(mode) || S_ISBLK(mode) ? "device"
                                                      : "special file";
  skipped_(fmt::format("skipping {} '{}'", what, EscapePath(path)));
  return EntryKind::kOther;
}

bool WalkTree(const std::string& root, const WalkCallbacks& callbacks,
              const WalkExclusions& exclusions, SymlinkPolicy symlinks) {
  const int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    callbacks.problem(
        Status::FromErrno(errno, "cannot open folder '{}'", EscapePath(root)).message());
    return true;
  }
  // The folder walked is the one resolved, so the two cannot differ.
  std::string real_root;
  if (symlinks == SymlinkPolicy::kInside) {
    if (Status status = RealPathOf(fd, &real_root); !status.ok()) {
      callbacks.problem(
          status
              .WithContext(fmt::format("cannot resolve ROOT '{}', so no symlink is followed "
                                       "(--symlinks inside)",
                                       EscapePath(root)))
              .message());
    }
  }
  return Walker(callbacks, exclusions, symlinks, std::move(real_root)).WalkFolder(fd, root);
}

}  // namespace thumbpipe
