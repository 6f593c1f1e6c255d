#include "sink/manifest.h"

#include <algorithm>
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
  for (const Entry& entry : entries_) {
    text.append(entry.thumbnail).append(": ").append(EscapePath(entry.source_path)).push_back('\n');
  }
  return text;
}

Status Manifest::WriteTo(const std::string& path) {
  std::unique_ptr<AtomicFileWriter> writer;
  Status status = AtomicFileWriter::Create(path, &writer);
  if (status.ok()) status = writer->Append(Render());
  if (status.ok()) status = writer->Commit();
  return status;
}

bool ParseManifestLine(std::string_view line, std::string* thumbnail, std::string* source_path) {
  const size_t colon = line.find(": ");
  if (colon == std::string_view::npos) return false;
  *thumbnail = std::string(line.substr(0, colon));
  return UnescapePath(line.substr(colon + 2), source_path);
}

}  // namespace thumbpipe
