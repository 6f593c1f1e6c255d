// The catalog of incremental runs: one SQLite database (WAL) that remembers, for every source
// path, the stamp of the file it was made from, the settings, and the outcome (see entry.h).
// The producer reads it at the start of a run to skip unchanged files; the sink alone writes
// it, after each thumbnail is on disk, so an entry never names a thumbnail that was not
// written. The only file that includes sqlite3.h. Not thread-safe; one per process.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "catalog/entry.h"
#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace thumbpipe {

class Catalog {
 public:
  enum class Mode {
    kRead,   // an existing catalog; a missing one is an empty catalog (IsEmpty())
    kWrite,  // created with its schema if missing; a damaged one is set aside and made anew
  };

  // Opens the catalog at `path`. On failure *catalog is left empty and the status says why.
  static Status Open(const std::string& path, Mode mode, std::unique_ptr<Catalog>* catalog);
  ~Catalog();
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  // True when opened for reading and there was no catalog yet.
  bool IsEmpty() const { return db_ == nullptr; }
  // Non-empty when Open(kWrite) had to set a damaged catalog aside: says where it went.
  const std::string& set_aside_note() const { return set_aside_note_; }

  // Calls `fn` for each entry whose path lies under the folder `root` (absolute), in path
  // order.
  Status ForEachUnder(const std::string& root, const std::function<void(CatalogEntry&&)>& fn);
  // The entry of `path`, if there is one of ours (*found). One indexed look-up: the producer
  // asks for each file it finds rather than holding the whole catalog in memory.
  Status Find(const std::string& path, CatalogEntry* entry, bool* found);

  // kWrite only. The rest of a run's lists live in SQLite's temporary tables (in a temporary
  // file beyond a small cache), so that the writer's memory does not grow with the tree.
  // Marks `path` as seen in this run (or no longer, with seen false).
  Status MarkSeen(const std::string& path, bool seen = true);
  // Removes the entries under the folder `root` of paths not marked seen; *removed says how
  // many. Joins the transaction, as Put does.
  Status RemoveUnseenUnder(const std::string& root, size_t* removed);
  // Takes names from next() until it returns false, then calls fn for each (in byte order,
  // once) that no entry refers to as its thumbnail: its name, or with several boxes any
  // "<W>x<H>/<name>" of its list (common/boxes.h).
  Status ForEachUnreferred(const std::function<bool(std::string* name)>& next,
                           const std::function<void(const std::string& name)>& fn);

  // Put and Remove join one transaction, made durable by Commit (kWrite only).
  Status Put(const CatalogEntry& entry);
  Status Remove(const std::string& path);
  Status Commit();

 private:
  explicit Catalog(std::string path) : path_(std::move(path)) {}
  Status OpenDatabase(Mode mode);
  Status Execute(const char* sql);
  Status Prepare(const char* sql, sqlite3_stmt** statement);
  Status Begin();
  Status Failure(std::string_view what) const;

  std::string path_;
  std::string set_aside_note_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* put_ = nullptr;
  sqlite3_stmt* remove_ = nullptr;
  sqlite3_stmt* find_ = nullptr;
  sqlite3_stmt* see_ = nullptr;
  sqlite3_stmt* unsee_ = nullptr;
  bool in_transaction_ = false;
};

}  // namespace thumbpipe
