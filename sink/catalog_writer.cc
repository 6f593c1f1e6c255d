#include "sink/catalog_writer.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

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
    if (result.kind == ResultKind::kThumbnail) uncatalogued_.insert(result.thumbnail);
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

Status CatalogWriter::Prune(const std::string& output_dir, size_t* removed) {
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
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    const int err = errno;
    ::close(fd);
    return Status::FromErrno(err, "cannot read the output folder '{}'", EscapePath(output_dir));
  }
  // The folder's thumbnails go through the catalog's temporary table, not memory: the folder
  // may hold as many as the tree has images.
  auto next = [dir](std::string* name) {
    while (const dirent* d = ::readdir(dir)) {
      if (IsThumbnailName(d->d_name)) {
        *name = d->d_name;
        return true;
      }
    }
    return false;
  };
  Status unlinked;
  Status status = catalog_->ForEachUnreferred(next, [&](const std::string& name) {
    if (uncatalogued_.count(name) != 0) return;
    if (::unlinkat(::dirfd(dir), name.c_str(), 0) == 0) {
      ++*removed;
    } else if (errno != ENOENT && unlinked.ok()) {
      unlinked = Status::FromErrno(errno, "cannot remove '{}/{}'", EscapePath(output_dir), name);
    }
  });
  ::closedir(dir);
  Commit();
  return status.ok() ? unlinked : status;
}

}  // namespace thumbpipe
