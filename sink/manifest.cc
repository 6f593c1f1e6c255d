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
  source_path.push_back('\0');
  source_path.append(thumbnail);
  entries_.push_back(std::move(source_path));
}

std::string Manifest::Render() {
  std::sort(entries_.begin(), entries_.end());
  std::string text;
  for (const std::string& entry : entries_) {
    const size_t split = entry.find('\0');
    text += ManifestLine(std::string_view(entry).substr(split + 1),
                         std::string_view(entry).substr(0, split));
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
