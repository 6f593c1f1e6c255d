// The manifest: one line "<name>.<ext>: <escaped absolute source path>" per thumbnail, sorted by
// source path so that equal runs give equal files. With several boxes a source has one line
// for each, "<W>x<H>/<name>.<ext>: <path>", in the order the boxes were given: one entry of
// the manifest, a block of lines. Written by the sink.
#pragma once

#include <algorithm>
#include <set>
#include <string>
#include <string_view>

#include "common/status.h"

namespace thumbpipe {

class Manifest {
 public:
  // Adds a thumbnail (or a list of them, common/boxes.h), or replaces what is listed for
  // `source_path`, and returns its lines (each with its newline), valid until the next change.
  std::string_view Add(std::string_view thumbnail, std::string_view source_path);
  // Takes `source_path` off the list; false if it was not on it.
  bool Remove(std::string_view source_path);
  size_t size() const { return entries_.size(); }
  // Calls fn(thumbnail name) for every line (with several boxes, "<W>x<H>/<name>").
  template <typename Fn>
  void ForEachThumbnail(Fn fn) const {
    for (const std::string& entry : entries_) {
      std::string_view lines = LineOf(entry);
      while (!lines.empty()) {
        fn(lines.substr(0, lines.find(": ")));
        lines.remove_prefix(std::min(lines.size(), lines.find('\n') + 1));
      }
    }
  }

  // The whole text, sorted by source path.
  std::string Render() const;
  // Writes Render() to `path` atomically (temporary file, fsync, rename).
  Status WriteTo(const std::string& path) const;

 private:
  // "<source path>\0<lines>": one allocation per source, ordered by source path, each line
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

// One manifest line for a thumbnail (a block of lines for a list), with its newline.
std::string ManifestLine(std::string_view thumbnail, std::string_view source_path);

// Makes the manifest from a journal of manifest lines (in any order, but a source's block of
// lines together; a last line cut short is dropped) and removes the journal. *lines is set to
// the number of sources listed.
Status WriteManifestFromJournal(const std::string& journal, const std::string& manifest,
                                size_t* lines);

}  // namespace thumbpipe
