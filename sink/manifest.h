// The manifest: one line "<name>.<ext>: <escaped absolute source path>" per thumbnail, sorted by
// source path so that equal runs give equal files. Written by the sink.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "common/status.h"

namespace thumbpipe {

class Manifest {
 public:
  // Adds a thumbnail, or replaces the one listed for `source_path`, and returns its line
  // (with the newline), valid until the next change.
  std::string_view Add(std::string_view thumbnail, std::string_view source_path);
  // Takes `source_path` off the list; false if it was not on it.
  bool Remove(std::string_view source_path);
  size_t size() const { return entries_.size(); }
  // Calls fn(thumbnail name) for every line.
  template <typename Fn>
  void ForEachThumbnail(Fn fn) const {
    for (const std::string& entry : entries_) {
      const std::string_view line = LineOf(entry);
      fn(line.substr(0, line.find(": ")));
    }
  }

  // The whole text, sorted by source path.
  std::string Render() const;
  // Writes Render() to `path` atomically (temporary file, fsync, rename).
  Status WriteTo(const std::string& path) const;

 private:
  // "<source path>\0<line>": one allocation per thumbnail, ordered by source path, each line
  // escaped once.
  static std::string_view PathOf(std::string_view entry) {
    return entry.substr(0, entry.find('\0'));
  }
  static std::string_view LineOf(std::string_view entry) {
    return entry.substr(entry.find('\0') + 1);
  }
  struct ByPath {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return PathOf(a) < PathOf(b); }
  };
  std::set<std::string, ByPath> entries_;
  size_t text_bytes_ = 0;  // of all the lines
};

// Parses one manifest line (without its newline) back into its parts.
bool ParseManifestLine(std::string_view line, std::string* thumbnail, std::string* source_path);

// One manifest line for a thumbnail, with its newline.
std::string ManifestLine(std::string_view thumbnail, std::string_view source_path);

// Makes the manifest from a journal of manifest lines (in any order; a last line cut short is
// dropped) and removes the journal. *lines is set to the number of thumbnails listed.
Status WriteManifestFromJournal(const std::string& journal, const std::string& manifest,
                                size_t* lines);

}  // namespace thumbpipe
