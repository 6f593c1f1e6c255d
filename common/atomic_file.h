// Files that are never seen half-written: the data goes to a temporary file in the target's
// folder, which is then linked or renamed into place. Used by the workers (thumbnails) and
// the sink (manifest).
#pragma once

#include <span>
#include <string>

#include "common/status.h"

namespace thumbpipe {

// Set to 1, makes OutputDir write as on a file system without O_TMPFILE (NFS): through a
// named temporary file. For tests.
inline constexpr char kNoTmpfileVariable[] = "THUMBPIPE_NO_TMPFILE";

// A folder that receives content-addressed files. Keeps the folder open, so it stays the same
// folder even if its path is renamed during the run.
class OutputDir {
 public:
  // Opens an existing folder.
  static Status Open(const std::string& path, std::unique_ptr<OutputDir>* dir);
  ~OutputDir();
  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;

  bool Exists(const std::string& name) const;

  // Creates `name` with `data` unless a file of that name exists (then *existed is true and
  // nothing is written). The file appears complete or not at all; on failure no temporary
  // file is left behind. Safe when processes of several hosts write into one folder of a
  // network file system: where O_TMPFILE is refused, the data goes to
  // ".<name>.<host>.<pid>.<n>.tmp", which is linked to `name` (never renamed over it).
  Status WriteOnce(const std::string& name, std::span<const unsigned char> data, bool* existed);

  const std::string& path() const { return path_; }

 private:
  OutputDir(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  Status WriteViaTempName(const std::string& name, std::span<const unsigned char> data,
                          bool* existed);
  int LinkTempFile(int fd, const std::string& name);
  int fd_;
  std::string path_;
  bool empty_path_refused_ = false;
  bool tmpfile_refused_ = false;
};

// A file rewritten as a whole: written to "<dir>/.<name>.<pid>.tmp", then fsync'd and renamed
// over the target by Commit(). Destroying it without Commit() removes the temporary file.
class AtomicFileWriter {
 public:
  static Status Create(const std::string& path, std::unique_ptr<AtomicFileWriter>* writer);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  Status Append(std::string_view data);
  Status Commit();

  const std::string& temp_path() const { return temp_path_; }

 private:
  AtomicFileWriter(int fd, std::string path, std::string temp_path)
      : fd_(fd), path_(std::move(path)), temp_path_(std::move(temp_path)) {}
  Status Flush();
  int fd_;
  std::string path_;
  std::string temp_path_;
  std::string buffer_;
  bool committed_ = false;
};

// Before a run: creates the folder of the file at `path` if missing and checks that files can
// be written in it. `what` names the file in the message ("the manifest", "--stats-json").
Status PrepareFolderFor(std::string_view what, const std::string& path);

// Writes all of `data` to `fd`, retrying on EINTR and short writes. Returns errno or 0.
int WriteAll(int fd, std::span<const unsigned char> data);

}  // namespace thumbpipe
