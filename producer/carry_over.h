// Incremental runs, producer side: decides for each file found whether its last outcome, as
// the catalog remembers it, still holds, so that the file is not opened again. Each file's
// entry is looked up in the catalog when the file is found, so memory does not grow with the
// catalog. Producer only.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "catalog/catalog.h"
#include "catalog/entry.h"
#include "common/message.h"
#include "common/options.h"
#include "common/status.h"

namespace thumbpipe {

class CarryOver {
 public:
  // Opens options.catalog for reading (no entries with --force, or when there is no catalog
  // yet). `output_fd` is the output folder, open, owned by the caller: a thumbnail missing
  // from it is made again.
  static Status Load(const RunOptions& options, int output_fd,
                     std::unique_ptr<CarryOver>* carry_over);
  // For tests: from entries in memory.
  CarryOver(std::unordered_map<std::string, CatalogEntry> entries, std::string settings,
            bool retry_failed, int output_fd);

  // When the last outcome for `path` holds for the file stamped `stamp`, fills *result with
  // it (flagged kResultUnchanged) and returns true; the file need not be opened.
  //   a thumbnail       the same file and settings, and the thumbnail (of every box) is
  //                     still on disk
  //   not an image      the same file
  //   failed            the same file and settings, unless retry_failed
  // A catalog that cannot be read counts as having no entry (the file is done again).
  bool Carry(const std::string& path, const FileStamp& stamp, Result* result) const;

 private:
  CarryOver(std::unique_ptr<Catalog> catalog, std::string settings, bool retry_failed,
            int output_fd);
  bool ThumbnailExists(const std::string& name) const;
  bool Find(const std::string& path, CatalogEntry* entry) const;

  std::unique_ptr<Catalog> catalog_;  // null: the entries below (tests)
  std::unordered_map<std::string, CatalogEntry> entries_;
  std::string settings_;
  bool retry_failed_;
  int output_fd_;
};

}  // namespace thumbpipe
