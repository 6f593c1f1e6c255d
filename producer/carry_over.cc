#include "producer/carry_over.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "catalog/catalog.h"
#include "common/boxes.h"

namespace thumbpipe {

Status CarryOver::Load(const RunOptions& options, int output_fd,
                       std::unique_ptr<CarryOver>* carry_over) {
  std::unique_ptr<Catalog> catalog;
  Status status;
  if (!options.force) status = Catalog::Open(options.catalog, Catalog::Mode::kRead, &catalog);
  if (catalog == nullptr) {
    carry_over->reset(new CarryOver(std::unordered_map<std::string, CatalogEntry>(),
                                    ThumbnailSettings(options), options.retry_failed, output_fd));
    return status;
  }
  carry_over->reset(new CarryOver(std::move(catalog), ThumbnailSettings(options),
                                  options.retry_failed, output_fd));
  return Status::OK();
}

CarryOver::CarryOver(std::unordered_map<std::string, CatalogEntry> entries, std::string settings,
                     bool retry_failed, int output_fd)
    : entries_(std::move(entries)),
      settings_(std::move(settings)),
      retry_failed_(retry_failed),
      output_fd_(output_fd) {}

CarryOver::CarryOver(std::unique_ptr<Catalog> catalog, std::string settings, bool retry_failed,
                     int output_fd)
    : catalog_(std::move(catalog)),
      settings_(std::move(settings)),
      retry_failed_(retry_failed),
      output_fd_(output_fd) {}

bool CarryOver::Find(const std::string& path, CatalogEntry* entry) const {
  if (catalog_ == nullptr) {
    const auto found = entries_.find(path);
    if (found == entries_.end()) return false;
    *entry = found->second;
    return true;
  }
  bool found = false;
  return catalog_->Find(path, entry, &found).ok() && found;
}

bool CarryOver::ThumbnailExists(const std::string& name) const {
  struct stat st;
  return ::fstatat(output_fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
         S_ISREG(st.st_mode) && st.st_size > 0;
}

bool CarryOver::Carry(const std::string& path, const FileStamp& stamp, Result* result) const {
  CatalogEntry entry;
  if (!Find(path, &entry)) return false;
  if (!IsReusable(entry, stamp, settings_)) return false;
  switch (entry.outcome) {
    case ResultKind::kThumbnail:
      if (entry.thumbnail.empty()) return false;
      // Every box's thumbnail must still be there.
      for (const std::string_view name : SplitThumbnails(entry.thumbnail)) {
        if (!ThumbnailExists(std::string(name))) return false;
      }
      break;
    case ResultKind::kFailed:
      if (retry_failed_) return false;
      break;
    case ResultKind::kNotImage:
      break;
    default:
      return false;
  }
  result->kind = entry.outcome;
  result->flags = kResultUnchanged;
  result->worker = kProducerId;
  result->item = 0;
  result->path = path;
  result->thumbnail = entry.thumbnail;
  result->reason = entry.reason;
  result->stamp = stamp;
  result->found_ns = entry.found_ns;
  return true;
}

}  // namespace thumbpipe
