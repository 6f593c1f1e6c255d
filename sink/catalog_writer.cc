#include "sink/catalog_writer.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <map>
#include <set>
#include <vector>

#include "common/boxes.h"
#include "common/escape.h"
#include "common/log.h"
#include "common/output_format.h"

namespace thumbpipe {

bool IsThumbnailName(std::string_view name) {
  if (name.size() < 64) return false;
  bool known_extension = false;
  for (OutputFormat format : kOutputFormats) {
    known_extension = known_extension || name.substr(64) == OutputExtension(format);
  }
  if (!known_extension) return false;
  for (char c : name.substr(0, 64)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Status CatalogWriter::Open(const std::string& path, std::string root, std::string settings,
                           std::unique_ptr<CatalogWriter>* writer) {
  std::unique_ptr<Catalog> catalog;
  if (Status status = Catalog::Open(path, Catalog::Mode::kWrite, &catalog); !status.ok()) {
    return status;
  }
  writer->reset(new CatalogWriter(std::move(catalog), std::move(root), std::move(settings)));
  return Status::OK();
}

void CatalogWriter::Warn(const Status& status) {
  if (warned_) return;
  warned_ = true;
  LogWarning("{} (the next run may do files again)", status.message());
}

void CatalogWriter::Record(const Result& result) {
  if (result.kind != ResultKind::kThumbnail && result.kind != ResultKind::kNotImage &&
      result.kind != ResultKind::kFailed) {
    return;
  }
  if (Status status = catalog_->MarkSeen(result.path); !status.ok()) Warn(status);
  if ((result.flags & kResultUnchanged) != 0) return;
  const bool uncatalogued = (result.flags & kResultTransient) != 0 ||
                            result.stamp.inode == 0;  // never stamped: nothing to match
  if (uncatalogued) {
    if (result.kind == ResultKind::kThumbnail) {
      for (const std::string_view name : SplitThumbnails(result.thumbnail)) {
        uncatalogued_.emplace(name);
      }
    }
    return;
  }
  CatalogEntry entry;
  entry.path = result.path;
  entry.stamp = result.stamp;
  entry.found_ns = result.found_ns;
  entry.settings = settings_;
  entry.outcome = result.kind;
  entry.thumbnail = result.thumbnail;
  entry.reason = result.reason;
  if (Status status = catalog_->Put(entry); !status.ok()) Warn(status);
}

void CatalogWriter::Forget(const std::string& path) {
  Status status = catalog_->MarkSeen(path, false);
  if (status.ok()) status = catalog_->Remove(path);
  if (!status.ok()) Warn(status);
}

void CatalogWriter::Commit() {
  if (Status status = catalog_->Commit(); !status.ok()) Warn(status);
}

size_t CatalogWriter::DropUnseen() {
  size_t removed = 0;
  if (Status status = catalog_->RemoveUnseenUnder(root_, &removed); !status.ok()) {
    Warn(status);
    return 0;
  }
  Commit();
  return removed;
}

Status CatalogWriter::Prune(const std::string& output_dir,
                            const std::vector<std::string>& run_folders, size_t* removed) {
  *removed = 0;
  if (warned_) {
    return Status::Error(
        "skipped: the catalog could not be written in this run, so it may not know every "
        "thumbnail in use");
  }
  const int fd = ::open(output_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return Status::FromErrno(errno, "cannot open the output folder '{}' to prune it",
                             EscapePath(output_dir));
  }
  // The folder's thumbnails, then those of its box folders (of this run or of runs before with
  // other boxes), go through the catalog's temporary table, not memory: the folders may hold
  // as many as the tree has images. A box folder's names go as "<W>x<H>/<name>".
  std::vector<std::string> box_folders;
  std::map<std::string, int, std::less<>> folder_fds;  // "" or "<W>x<H>" -> its descriptor
  folder_fds[""] = fd;
  Status opened;
  DIR* dir = nullptr;
  std::string prefix;  // what the names of the folder being read start with
  bool started = false;
  size_t next_folder = 0;
  auto next = [&](std::string* name) {
    while (true) {
      if (dir != nullptr) {
        while (const dirent* d = ::readdir(dir)) {
          const std::string_view entry = d->d_name;
          if (IsThumbnailName(entry)) {
            *name = prefix + std::string(entry);
            return true;
          }
          if (prefix.empty() && IsBoxFolderName(entry)) box_folders.emplace_back(entry);
        }
        ::closedir(dir);
        dir = nullptr;
      }
      int folder_fd = fd;
      if (!started) {
        started = true;
      } else {
        if (next_folder >= box_folders.size()) return false;
        const std::string& folder = box_folders[next_folder++];
        folder_fd = ::openat(fd, folder.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (folder_fd < 0) {
          if (opened.ok()) {
            opened = Status::FromErrno(errno, "cannot open the output folder '{}/{}' to prune it",
                                       EscapePath(output_dir), folder);
          }
          continue;
        }
        folder_fds[folder] = folder_fd;
        prefix = folder + "/";
      }
      const int dup = ::dup(folder_fd);
      dir = dup < 0 ? nullptr : ::fdopendir(dup);
      if (dir == nullptr) {
        if (opened.ok()) {
          opened = Status::FromErrno(errno, "cannot read the output folder '{}/{}'",
                                     EscapePath(output_dir), prefix);
        }
        if (dup >= 0) ::close(dup);
      }
    }
  };
  Status unlinked;
  std::set<std::string> emptied;  // box folders a thumbnail was removed from, maybe the last
  Status status = catalog_->ForEachUnreferred(next, [&](const std::string& name) {
    if (uncatalogued_.count(name) != 0) return;
    const size_t slash = name.find('/');
    const std::string folder = slash == std::string::npos ? "" : name.substr(0, slash);
    const std::string file = slash == std::string::npos ? name : name.substr(slash + 1);
    const auto it = folder_fds.find(folder);
    if (it == folder_fds.end()) return;
    if (::unlinkat(it->second, file.c_str(), 0) == 0) {
      ++*removed;
      if (!folder.empty()) emptied.insert(folder);
    } else if (errno != ENOENT && unlinked.ok()) {
      unlinked = Status::FromErrno(errno, "cannot remove '{}/{}'", EscapePath(output_dir), name);
    }
  });
  if (dir != nullptr) ::closedir(dir);
  // A box folder of other runs' boxes that now holds nothing goes too; rmdir(2) leaves one
  // that still holds anything.
  for (const std::string& folder : run_folders) emptied.erase(folder);
  for (const std::string& folder : emptied) {
    if (::unlinkat(fd, folder.c_str(), AT_REMOVEDIR) != 0 && errno != ENOTEMPTY &&
        errno != EEXIST && errno != ENOENT && unlinked.ok()) {
      unlinked = Status::FromErrno(errno, "cannot remove the emptied folder '{}/{}'",
                                   EscapePath(output_dir), folder);
    }
  }
  for (const auto& [folder, folder_fd] : folder_fds) ::close(folder_fd);
  Commit();
  if (!status.ok()) return status;
  return unlinked.ok() ? opened : unlinked;
}

}  // namespace thumbpipe
