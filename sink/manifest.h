// The manifest: one line "<name>.<ext>: <escaped absolute source path>" per thumbnail, sorted by
// source path so that equal runs give equal files. With several boxes a source has one line
// for each, "<W>x<H>/<name>.<ext>: <path>", in the order the boxes were given: one entry of
// the manifest, a block of lines. Written by the sink.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "sink/sorted_spill.h"

namespace thumbpipe {

// The default of Manifest's memory: the entries kept in memory before a sorted run of them is
// spilled next to the manifest (sink/sorted_spill.h). A few MB cost little beside the
// workers, and make runs of tens of thousands of lines.
inline constexpr size_t kDefaultManifestMemoryBytes = size_t{8} << 20;

// Holds the manifest's entries while a run collects them, sorted by source path, with at most
// `memory_bytes` of them in memory: the rest waits in sorted runs in files named
// "<spill_prefix>-<n>" (ManifestSpillPrefix), removed as they are merged and when the
// Manifest is destroyed. Memory therefore stays flat with the size of the tree.
//
// An entry is the text listed for one source path: one line or a block of several (all of
// them end with a newline), kept as given; entries are written in byte order of their
// source paths.
class Manifest {
 public:
  explicit Manifest(std::string spill_prefix, size_t memory_bytes = kDefaultManifestMemoryBytes);

  // Lists `entry` for `source_path`, replacing what was listed for it before.
  void Put(std::string_view source_path, std::string_view entry);
  // Lists the thumbnail's line for `source_path` (ManifestLine; a block of lines for a list of
  // them, common/boxes.h) and returns it.
  std::string Add(std::string_view thumbnail, std::string_view source_path);
  // Takes `source_path` off the list, if it is there.
  void Remove(std::string_view source_path);

  // Writes the entries, sorted by source path, to `path` atomically (temporary file, fsync,
  // rename) and sets *entries (when given) to how many there are. With `keep`, they stay for
  // the next WriteTo (watch mode rewrites the manifest as the tree changes); without, the
  // Manifest is empty afterwards. On failure nothing is lost when `keep`.
  Status WriteTo(const std::string& path, bool keep = false, size_t* entries = nullptr);

  // Whether entries were spilled to run files at some point (for tests).
  size_t runs() const { return entries_.runs(); }

 private:
  SortedSpill entries_;  // source path -> entry
};

// Where the manifest's sorted runs go: "<manifest folder>/.<manifest name>.<pid>.run", so that
// RemoveStaleRuns finds those of a run whose launcher died.
std::string ManifestSpillPrefix(const std::string& manifest, int launcher_pid);

// How much of the manifest the sink keeps in memory: THUMBPIPE_MANIFEST_MEMORY (bytes; a hook
// for tests, which force a tiny value so that many runs spill) if set and a number, else
// kDefaultManifestMemoryBytes.
size_t ManifestMemoryBytes();

// Parses one manifest line (without its newline) back into its parts.
bool ParseManifestLine(std::string_view line, std::string* thumbnail, std::string* source_path);

// One manifest line for a thumbnail (a block of lines for a list), with its newline.
std::string ManifestLine(std::string_view thumbnail, std::string_view source_path);

// Makes the manifest from a journal of manifest lines (in any order, but a source's block of
// lines together; of several entries for one source path the last stands; a last line cut
// short is dropped) and removes the journal. Sorts as Manifest does, spilling runs to
// "<spill_prefix>-<n>". *lines is set to the number of sources listed.
Status WriteManifestFromJournal(const std::string& journal, const std::string& manifest,
                                const std::string& spill_prefix, size_t* lines);

}  // namespace thumbpipe
