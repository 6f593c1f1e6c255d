// The manifest: one line "<name>.png: <escaped absolute source path>" per thumbnail, sorted by
// source path so that equal runs give equal files. Written by the sink.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace thumbpipe {

class Manifest {
 public:
  // Adds a thumbnail and returns its line (with the newline), valid until the next Add.
  std::string_view Add(std::string_view thumbnail, std::string_view source_path);
  size_t size() const { return entries_.size(); }

  // The whole text, sorted by source path.
  std::string Render();
  // Writes Render() to `path` atomically (temporary file, fsync, rename).
  Status WriteTo(const std::string& path);

 private:
  // "<source path>\0<line>": one allocation per thumbnail, sorted as a whole string (by
  // path, then name, which starts the line), each line escaped once.
  std::vector<std::string> entries_;
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
