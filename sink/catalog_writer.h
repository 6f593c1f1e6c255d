// Incremental runs, sink side: records each new outcome in the catalog once its thumbnail is
// on disk, drops the entries of files that are gone, and prunes thumbnails no entry refers
// to. Sink only.
#pragma once

#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "catalog/catalog.h"
#include "common/message.h"
#include "common/status.h"

namespace thumbpipe {

class CatalogWriter {
 public:
  // Opens (or creates) the catalog at `path` for files under `root`, made with `settings`.
  static Status Open(const std::string& path, std::string root, std::string settings,
                     std::unique_ptr<CatalogWriter>* writer);

  // Non-empty when a damaged catalog had to be set aside (catalog.h).
  const std::string& note() const { return catalog_->set_aside_note(); }

  // Remembers a result: a new outcome is put in the catalog (outcomes carried over are there
  // already; transient failures are not remembered); every path is marked as seen (in a
  // temporary table of the catalog: memory does not grow with the tree).
  void Record(const Result& result);
  // The file at `path` is gone.
  void Forget(const std::string& path);
  // Makes what was recorded durable. Failures are reported once, as warnings: a catalog that
  // cannot be written costs the next run time, never this run's thumbnails.
  void Commit();

  // After a complete walk of the root: removes the entries of files not seen since Open.
  // Returns how many.
  size_t DropUnseen();

  // Removes from `output_dir` and its box folders ("<W>x<H>", common/boxes.h: of this run's
  // boxes or any run's before) every thumbnail (IsThumbnailName, of any output format: a run
  // that changed --format leaves the other format's files unreferred) that no entry of the
  // catalog refers to ("<name>" at the top, "<W>x<H>/<name>" in a box folder), nor any
  // thumbnail of this run that the catalog does not hold (see uncatalogued_). Returns how many, or
  // an error; does nothing when a write to the catalog failed in this run (it may then miss
  // thumbnails that the manifest lists). A box folder left empty by that is removed too,
  // unless it is one of `run_folders` (this run's box folders, which its workers may still
  // write to).
  Status Prune(const std::string& output_dir, const std::vector<std::string>& run_folders,
               size_t* removed);

 private:
  CatalogWriter(std::unique_ptr<Catalog> catalog, std::string root, std::string settings)
      : catalog_(std::move(catalog)), root_(std::move(root)), settings_(std::move(settings)) {}
  void Warn(const Status& status);

  std::unique_ptr<Catalog> catalog_;
  std::string root_;
  std::string settings_;
  // Thumbnails of this run whose files the catalog does not remember (transient results,
  // files that could not be stamped): rare, not one per file. Each entry of a list apart.
  std::unordered_set<std::string> uncatalogued_;
  bool warned_ = false;
};

// Whether `name` is a thumbpipe thumbnail name: 64 lowercase hex digits and the extension of
// one of the output formats (".png", ".jpg", ".webp").
bool IsThumbnailName(std::string_view name);

}  // namespace thumbpipe
