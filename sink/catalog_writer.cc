#include "sink/catalog_writer.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
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

namespace {

// Removes from the folder `fd` (its path `path`, for messages; `prefix` what names in `in_use`
// start with there: "" or "<W>x<H>/") the thumbnails not in `referred` nor `in_use`, and
// returns its box folders in *box_folders (at the top only: `box_folders` null elsewhere).
// Takes `fd` over.
Status PruneFolder(int fd, const std::string& path, const std::string& prefix,
                   const std::unordered_set<std::string>& referred,
                   const std::unordered_set<std::string>& in_use,
                   std::vector<std::string>* box_folders, size_t* removed) {
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    const int err = errno;
    ::close(fd);
    return Status::FromErrno(err, "cannot read the output folder '{}'", EscapePath(path));
  }
  std::vector<std::string> unused;
  while (const dirent* d = ::readdir(dir)) {
    const std::string_view name = d->d_name;
    if (IsThumbnailName(name)) {
      const std::string entry = prefix + std::string(name);
      if (referred.count(entry) == 0 && in_use.count(entry) == 0) unused.emplace_back(name);
    } else if (box_folders != nullptr && IsBoxFolderName(name)) {
      box_folders->emplace_back(name);
    }
  }
  Status status;
  for (const std::string& name : unused) {
    if (::unlinkat(::dirfd(dir), name.c_str(), 0) == 0) {
      ++*removed;
    } else if (errno != ENOENT && status.ok()) {
      status = Status::FromErrno(errno, "cannot remove '{}/{}'", EscapePath(path), name);
    }
  }
  ::closedir(dir);
  return status;
}

}  // namespace

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
  const int top = ::dup(fd);
  std::vector<std::string> box_folders;
  Status status = PruneFolder(fd, output_dir, "", referred, in_use, &box_folders, removed);
  // The folders of boxes, of this run or of runs before with other boxes.
  for (const std::string& folder : box_folders) {
    const int sub =
        top < 0 ? -1
                : ::openat(top, folder.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) {
      if (status.ok()) {
        status = Status::FromErrno(errno, "cannot open the output folder '{}/{}' to prune it",
                                   EscapePath(output_dir), folder);
      }
      continue;
    }
    Status folder_status = PruneFolder(sub, output_dir + "/" + folder, folder + "/", referred,
                                       in_use, nullptr, removed);
    if (status.ok()) status = folder_status;
  }
  if (top >= 0) ::close(top);
  return status;
}

}  // namespace thumbpipe
