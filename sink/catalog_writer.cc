#include "sink/catalog_writer.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

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
  seen_.insert(result.path);
  if ((result.flags & (kResultUnchanged | kResultTransient)) != 0) return;
  if (result.stamp.inode == 0) return;  // never stamped (a path too long): nothing to match
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
  seen_.erase(path);
  if (Status status = catalog_->Remove(path); !status.ok()) Warn(status);
}

void CatalogWriter::Commit() {
  if (Status status = catalog_->Commit(); !status.ok()) Warn(status);
}

size_t CatalogWriter::DropUnseen() {
  std::vector<std::string> gone;
  Status status = catalog_->ForEachUnder(root_, [&](CatalogEntry&& entry) {
    if (seen_.count(entry.path) == 0) gone.push_back(std::move(entry.path));
  });
  if (!status.ok()) {
    Warn(status);
    return 0;
  }
  for (const std::string& path : gone) {
    if (status = catalog_->Remove(path); !status.ok()) {
      Warn(status);
      return 0;
    }
  }
  Commit();
  return gone.size();
}

Status CatalogWriter::Prune(const std::string& output_dir,
                            const std::unordered_set<std::string>& in_use, size_t* removed) {
  *removed = 0;
  std::unordered_set<std::string> referred;
  if (Status status = catalog_->Thumbnails(&referred); !status.ok()) return status;
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
  std::vector<std::string> unused;
  while (const dirent* d = ::readdir(dir)) {
    const std::string_view name = d->d_name;
    if (IsThumbnailName(name) && referred.count(std::string(name)) == 0 &&
        in_use.count(std::string(name)) == 0) {
      unused.emplace_back(name);
    }
  }
  Status status;
  for (const std::string& name : unused) {
    if (::unlinkat(::dirfd(dir), name.c_str(), 0) == 0) {
      ++*removed;
    } else if (errno != ENOENT && status.ok()) {
      status = Status::FromErrno(errno, "cannot remove '{}/{}'", EscapePath(output_dir), name);
    }
  }
  ::closedir(dir);
  return status;
}

}  // namespace thumbpipe
