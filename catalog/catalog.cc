#include "catalog/catalog.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "common/boxes.h"
#include "common/escape.h"

namespace thumbpipe {
namespace {

constexpr int kSchemaVersion = 1;
// Another run may hold the write lock for a moment (two runs sharing a catalog).
constexpr int kBusyTimeoutMs = 10'000;

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS files (
  path BLOB PRIMARY KEY NOT NULL,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  inode INTEGER NOT NULL,
  device INTEGER NOT NULL,
  found_ns INTEGER NOT NULL,
  settings TEXT NOT NULL,
  outcome INTEGER NOT NULL,
  thumbnail TEXT NOT NULL,
  reason TEXT NOT NULL
) WITHOUT ROWID;
)";

constexpr const char* kTemporaryTables = R"(
CREATE TEMP TABLE IF NOT EXISTS seen (path BLOB PRIMARY KEY NOT NULL) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS candidates (name TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;
)";

constexpr const char* kColumns =
    "path, size, mtime_ns, inode, device, found_ns, settings, outcome, thumbnail, reason";

// SQLite stores signed 64-bit integers; inode and device numbers are kept as their bits.
int64_t AsStored(uint64_t value) { return static_cast<int64_t>(value); }
uint64_t FromStored(int64_t value) { return static_cast<uint64_t>(value); }

std::string Text(sqlite3_stmt* statement, int column) {
  const auto* bytes = sqlite3_column_blob(statement, column);
  const int size = sqlite3_column_bytes(statement, column);
  return bytes == nullptr ? std::string() : std::string(static_cast<const char*>(bytes), size);
}

// Fills *entry from a row of kColumns; false for an outcome that is not one of ours (the
// file is then done again).
bool ReadEntry(sqlite3_stmt* row, CatalogEntry* entry) {
  entry->path = Text(row, 0);
  entry->stamp.size = FromStored(sqlite3_column_int64(row, 1));
  entry->stamp.mtime_ns = sqlite3_column_int64(row, 2);
  entry->stamp.inode = FromStored(sqlite3_column_int64(row, 3));
  entry->stamp.device = FromStored(sqlite3_column_int64(row, 4));
  entry->found_ns = sqlite3_column_int64(row, 5);
  entry->settings = Text(row, 6);
  const int outcome = sqlite3_column_int(row, 7);
  if (outcome != static_cast<int>(ResultKind::kThumbnail) &&
      outcome != static_cast<int>(ResultKind::kNotImage) &&
      outcome != static_cast<int>(ResultKind::kFailed)) {
    return false;
  }
  entry->outcome = static_cast<ResultKind>(outcome);
  entry->thumbnail = Text(row, 8);
  entry->reason = Text(row, 9);
  return true;
}

bool IsDamage(int code) {
  code &= 0xff;
  return code == SQLITE_NOTADB || code == SQLITE_CORRUPT;
}

// Finalizes a statement when it goes out of scope.
struct Statement {
  sqlite3_stmt* handle = nullptr;
  ~Statement() { sqlite3_finalize(handle); }
};

}  // namespace

Status Catalog::Failure(std::string_view what) const {
  return Status::Error(fmt::format("catalog '{}': {}: {}", EscapePath(path_), what,
                                   db_ != nullptr ? sqlite3_errmsg(db_) : "cannot open"));
}

Status Catalog::Open(const std::string& path, Mode mode, std::unique_ptr<Catalog>* catalog) {
  std::unique_ptr<Catalog> opened(new Catalog(path));
  if (mode == Mode::kRead && ::access(path.c_str(), F_OK) != 0 && errno == ENOENT) {
    *catalog = std::move(opened);  // no catalog yet: nothing to skip
    return Status::OK();
  }
  Status status = opened->OpenDatabase(mode);
  if (!status.ok() && mode == Mode::kWrite && sqlite3_errcode(opened->db_) != SQLITE_OK &&
      IsDamage(sqlite3_extended_errcode(opened->db_))) {
    // A damaged catalog costs one full run, never every run after it.
    sqlite3_close(opened->db_);
    opened->db_ = nullptr;
    const std::string aside = path + ".damaged";
    if (std::rename(path.c_str(), aside.c_str()) != 0) {
      return Status::FromErrno(errno, "catalog '{}' is damaged and cannot be set aside",
                               EscapePath(path));
    }
    ::unlink((path + "-wal").c_str());
    ::unlink((path + "-shm").c_str());
    opened->set_aside_note_ =
        fmt::format("catalog '{}' was damaged ({}); it was moved to '{}' and a new one begun",
                    EscapePath(path), status.message(), EscapePath(aside));
    status = opened->OpenDatabase(mode);
  }
  if (!status.ok()) return status;
  *catalog = std::move(opened);
  return Status::OK();
}

Status Catalog::OpenDatabase(Mode mode) {
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (mode == Mode::kWrite ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    return Failure("cannot open");
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  // Reading the schema version is the first read: a file that is not a database fails here.
  int found_version = 0;
  {
    Statement version;
    if (Status status = Prepare("PRAGMA user_version", &version.handle); !status.ok()) {
      return status;
    }
    if (sqlite3_step(version.handle) != SQLITE_ROW) return Failure("cannot read");
    found_version = sqlite3_column_int(version.handle, 0);
  }
  if (found_version > kSchemaVersion) {
    return Status::Error(fmt::format(
        "catalog '{}' was made by a newer thumbpipe (schema {}, this one knows {}); give "
        "another --catalog",
        EscapePath(path_), found_version, kSchemaVersion));
  }
  if (mode == Mode::kRead) {
    if (found_version == 0) {  // being created by a sink right now, or empty
      sqlite3_close(db_);
      db_ = nullptr;
    }
    return Status::OK();
  }
  // WAL: the producer reads while the sink writes; NORMAL: a commit survives any crash of
  // the process (not of the machine, which costs a redo, never a wrong entry).
  Status status = Execute("PRAGMA journal_mode=WAL");
  if (status.ok()) status = Execute("PRAGMA synchronous=NORMAL");
  if (status.ok() && found_version == 0) {
    status = Execute(kSchema);
    if (status.ok())
      status = Execute(fmt::format("PRAGMA user_version={}", kSchemaVersion).c_str());
  }
  if (status.ok()) {
    status = Prepare(fmt::format("INSERT OR REPLACE INTO files ({}) VALUES "
                                 "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                                 kColumns)
                         .c_str(),
                     &put_);
  }
  if (status.ok()) status = Prepare("DELETE FROM files WHERE path = ?1", &remove_);
  // The writer's lists of one run (paths seen, thumbnails to prune) live in temporary tables,
  // which SQLite keeps in a temporary file beyond a small cache: they may be as long as the
  // tree, the sink's memory stays flat.
  if (status.ok()) status = Execute("PRAGMA temp_store=FILE");
  if (status.ok()) status = Execute(kTemporaryTables);
  if (status.ok()) status = Prepare("INSERT OR IGNORE INTO temp.seen (path) VALUES (?1)", &see_);
  if (status.ok()) status = Prepare("DELETE FROM temp.seen WHERE path = ?1", &unsee_);
  return status;
}

Catalog::~Catalog() {
  if (in_transaction_) Execute("ROLLBACK");
  sqlite3_finalize(put_);
  sqlite3_finalize(remove_);
  sqlite3_finalize(find_);
  sqlite3_finalize(see_);
  sqlite3_finalize(unsee_);
  sqlite3_close(db_);
}

Status Catalog::Execute(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string text = message != nullptr ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    return Status::Error(fmt::format("catalog '{}': {}", EscapePath(path_), text));
  }
  return Status::OK();
}

Status Catalog::Prepare(const char* sql, sqlite3_stmt** statement) {
  if (sqlite3_prepare_v2(db_, sql, -1, statement, nullptr) != SQLITE_OK) {
    return Failure("cannot read");
  }
  return Status::OK();
}

Status Catalog::ForEachUnder(const std::string& root,
                             const std::function<void(CatalogEntry&&)>& fn) {
  if (db_ == nullptr) return Status::OK();
  // Every path under "<root>/" sorts from "<root>/" up to, not including, "<root>0".
  std::string low = root.ends_with('/') ? root : root + "/";
  std::string high = low;
  high.back() = '/' + 1;
  Statement query;
  if (Status status = Prepare(fmt::format("SELECT {} FROM files WHERE path >= ?1 AND path < ?2 "
                                          "ORDER BY path",
                                          kColumns)
                                  .c_str(),
                              &query.handle);
      !status.ok()) {
    return status;
  }
  sqlite3_bind_blob(query.handle, 1, low.data(), static_cast<int>(low.size()), SQLITE_STATIC);
  sqlite3_bind_blob(query.handle, 2, high.data(), static_cast<int>(high.size()), SQLITE_STATIC);
  int step;
  while ((step = sqlite3_step(query.handle)) == SQLITE_ROW) {
    CatalogEntry entry;
    if (ReadEntry(query.handle, &entry)) fn(std::move(entry));
  }
  return step == SQLITE_DONE ? Status::OK() : Failure("cannot read");
}

Status Catalog::Find(const std::string& path, CatalogEntry* entry, bool* found) {
  *found = false;
  if (db_ == nullptr) return Status::OK();
  if (find_ == nullptr) {
    if (Status status =
            Prepare(fmt::format("SELECT {} FROM files WHERE path = ?1", kColumns).c_str(), &find_);
        !status.ok()) {
      return status;
    }
  }
  sqlite3_reset(find_);
  sqlite3_bind_blob(find_, 1, path.data(), static_cast<int>(path.size()), SQLITE_STATIC);
  const int step = sqlite3_step(find_);
  if (step == SQLITE_ROW) *found = ReadEntry(find_, entry);
  sqlite3_reset(find_);
  return step == SQLITE_ROW || step == SQLITE_DONE ? Status::OK() : Failure("cannot read");
}

Status Catalog::MarkSeen(const std::string& path, bool seen) {
  if (Status status = Begin(); !status.ok()) return status;
  sqlite3_stmt* s = seen ? see_ : unsee_;
  sqlite3_reset(s);
  sqlite3_bind_blob(s, 1, path.data(), static_cast<int>(path.size()), SQLITE_STATIC);
  const int step = sqlite3_step(s);
  sqlite3_reset(s);
  return step == SQLITE_DONE ? Status::OK() : Failure("cannot write");
}

Status Catalog::RemoveUnseenUnder(const std::string& root, size_t* removed) {
  *removed = 0;
  if (Status status = Begin(); !status.ok()) return status;
  std::string low = root.ends_with('/') ? root : root + "/";
  std::string high = low;
  high.back() = '/' + 1;
  Statement remove;
  if (Status status = Prepare("DELETE FROM files WHERE path >= ?1 AND path < ?2 AND path NOT IN "
                              "(SELECT path FROM temp.seen)",
                              &remove.handle);
      !status.ok()) {
    return status;
  }
  sqlite3_bind_blob(remove.handle, 1, low.data(), static_cast<int>(low.size()), SQLITE_STATIC);
  sqlite3_bind_blob(remove.handle, 2, high.data(), static_cast<int>(high.size()), SQLITE_STATIC);
  if (sqlite3_step(remove.handle) != SQLITE_DONE) return Failure("cannot write");
  *removed = static_cast<size_t>(sqlite3_changes(db_));
  return Status::OK();
}

Status Catalog::ForEachUnreferred(const std::function<bool(std::string* name)>& next,
                                  const std::function<void(const std::string& name)>& fn) {
  if (db_ == nullptr) return Status::OK();
  if (Status status = Begin(); !status.ok()) return status;
  Status status = Execute("DELETE FROM temp.candidates");
  Statement insert;
  if (status.ok()) {
    status = Prepare("INSERT OR IGNORE INTO temp.candidates (name) VALUES (?1)", &insert.handle);
  }
  std::string name;
  while (status.ok() && next(&name)) {
    sqlite3_reset(insert.handle);
    sqlite3_bind_text(insert.handle, 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
    if (sqlite3_step(insert.handle) != SQLITE_DONE) status = Failure("cannot write");
  }
  // An entry's thumbnail is one name, or with several boxes a list of them (common/boxes.h):
  // the one-name entries go in one statement, each name of a list by itself.
  if (status.ok()) {
    status = Execute("DELETE FROM temp.candidates WHERE name IN (SELECT thumbnail FROM files)");
  }
  Statement lists, unrefer;
  if (status.ok()) {
    status =
        Prepare("SELECT thumbnail FROM files WHERE instr(thumbnail, char(10)) > 0", &lists.handle);
  }
  if (status.ok()) status = Prepare("DELETE FROM temp.candidates WHERE name = ?1", &unrefer.handle);
  int step = SQLITE_DONE;
  while (status.ok() && (step = sqlite3_step(lists.handle)) == SQLITE_ROW) {
    const std::string list = Text(lists.handle, 0);
    for (const std::string_view entry : SplitThumbnails(list)) {
      sqlite3_reset(unrefer.handle);
      sqlite3_bind_text(unrefer.handle, 1, entry.data(), static_cast<int>(entry.size()),
                        SQLITE_STATIC);
      if (sqlite3_step(unrefer.handle) != SQLITE_DONE) status = Failure("cannot write");
    }
  }
  if (status.ok() && step != SQLITE_DONE) status = Failure("cannot read");
  Statement query;
  if (status.ok()) {
    status = Prepare("SELECT name FROM temp.candidates ORDER BY name", &query.handle);
  }
  if (!status.ok()) return status;
  while ((step = sqlite3_step(query.handle)) == SQLITE_ROW) fn(Text(query.handle, 0));
  if (step != SQLITE_DONE) return Failure("cannot read");
  return Execute("DELETE FROM temp.candidates");
}

Status Catalog::Begin() {
  if (in_transaction_) return Status::OK();
  if (Status status = Execute("BEGIN IMMEDIATE"); !status.ok()) return status;
  in_transaction_ = true;
  return Status::OK();
}

Status Catalog::Put(const CatalogEntry& entry) {
  if (Status status = Begin(); !status.ok()) return status;
  sqlite3_stmt* s = put_;
  sqlite3_reset(s);
  sqlite3_bind_blob(s, 1, entry.path.data(), static_cast<int>(entry.path.size()), SQLITE_STATIC);
  sqlite3_bind_int64(s, 2, AsStored(entry.stamp.size));
  sqlite3_bind_int64(s, 3, entry.stamp.mtime_ns);
  sqlite3_bind_int64(s, 4, AsStored(entry.stamp.inode));
  sqlite3_bind_int64(s, 5, AsStored(entry.stamp.device));
  sqlite3_bind_int64(s, 6, entry.found_ns);
  sqlite3_bind_text(s, 7, entry.settings.data(), static_cast<int>(entry.settings.size()),
                    SQLITE_STATIC);
  sqlite3_bind_int(s, 8, static_cast<int>(entry.outcome));
  sqlite3_bind_text(s, 9, entry.thumbnail.data(), static_cast<int>(entry.thumbnail.size()),
                    SQLITE_STATIC);
  sqlite3_bind_text(s, 10, entry.reason.data(), static_cast<int>(entry.reason.size()),
                    SQLITE_STATIC);
  const int step = sqlite3_step(s);
  sqlite3_reset(s);
  return step == SQLITE_DONE ? Status::OK() : Failure("cannot write");
}

Status Catalog::Remove(const std::string& path) {
  if (Status status = Begin(); !status.ok()) return status;
  sqlite3_reset(remove_);
  sqlite3_bind_blob(remove_, 1, path.data(), static_cast<int>(path.size()), SQLITE_STATIC);
  const int step = sqlite3_step(remove_);
  sqlite3_reset(remove_);
  return step == SQLITE_DONE ? Status::OK() : Failure("cannot write");
}

Status Catalog::Commit() {
  if (!in_transaction_) return Status::OK();
  in_transaction_ = false;
  if (Status status = Execute("COMMIT"); !status.ok()) {
    Execute("ROLLBACK");
    return status;
  }
  return Status::OK();
}

}  // namespace thumbpipe
