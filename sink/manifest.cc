#include "sink/manifest.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <memory>

#include "common/atomic_file.h"
#include "common/escape.h"

namespace thumbpipe {

void Manifest::Add(std::string thumbnail, std::string source_path) {
  entries_.push_back({std::move(source_path), std::move(thumbnail)});
}

std::string Manifest::Render() {
  std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
    return a.source_path != b.source_path ? a.source_path < b.source_path : a.thumbnail < b.thumbnail;
  });
  std::string text;
  for (const Entry& entry : entries_) text += ManifestLine(entry.thumbnail, entry.source_path);
  return text;
}

Status Manifest::WriteTo(const std::string& path) {
  std::unique_ptr<AtomicFileWriter> writer;
  Status status = AtomicFileWriter::Create(path, &writer);
  if (status.ok()) status = writer->Append(Render());
  if (status.ok()) status = writer->Commit();
  return status;
}

std::string ManifestLine(std::string_view thumbnail, std::string_view source_path) {
  return fmt::format("{}: {}\n", thumbnail, EscapePath(source_path));
}

Status WriteManifestFromJournal(const std::string& journal, const std::string& manifest,
                                size_t* lines) {
  *lines = 0;
  std::ifstream in(journal, std::ios::binary);
  if (!in) return Status::FromErrno(errno, "cannot read the journal '{}'", EscapePath(journal));
  Manifest result;
  std::string line, thumbnail, source;
  while (std::getline(in, line)) {
    // A line without its newline was being written when the sink died.
    if (in.eof()) break;
    if (ParseManifestLine(line, &thumbnail, &source)) result.Add(thumbnail, source);
  }
  *lines = result.size();
  if (Status status = result.WriteTo(manifest); !status.ok()) return status;
  ::unlink(journal.c_str());
  return Status::OK();
}

bool ParseManifestLine(std::string_view line, std::string* thumbnail, std::string* source_path) {
  const size_t colon = line.find(": ");
  if (colon == std::string_view::npos) return false;
  *thumbnail = std::string(line.substr(0, colon));
  return UnescapePath(line.substr(colon + 2), source_path);
}

}  // namespace thumbpipe
