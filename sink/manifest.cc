#include "sink/manifest.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <memory>

#include "common/atomic_file.h"
#include "common/boxes.h"
#include "common/escape.h"

namespace thumbpipe {

namespace {

void AppendManifestLine(std::string_view thumbnail, std::string_view source_path,
                        std::string* out) {
  for (const std::string_view entry : SplitThumbnails(thumbnail)) {
    out->append(entry);
    out->append(": ");
    AppendEscapedPath(source_path, out);
    out->push_back('\n');
  }
}

// The "<W>x<H>/" folder of a list entry; empty for a one-box entry.
std::string_view FolderOf(std::string_view entry) {
  const size_t slash = entry.find('/');
  return slash == std::string_view::npos ? std::string_view() : entry.substr(0, slash + 1);
}

}  // namespace

std::string_view Manifest::Add(std::string_view thumbnail, std::string_view source_path) {
  std::string entry;
  entry.reserve(2 * source_path.size() + thumbnail.size() + 4);
  entry.append(source_path);
  entry.push_back('\0');
  AppendManifestLine(thumbnail, source_path, &entry);
  text_bytes_ += entry.size() - source_path.size() - 1;
  Remove(source_path);
  return LineOf(*entries_.insert(std::move(entry)).first);
}

bool Manifest::Remove(std::string_view source_path) {
  // The path alone compares as an entry: PathOf stops at the end of the string.
  const auto it = entries_.find(source_path);
  if (it == entries_.end()) return false;
  text_bytes_ -= LineOf(*it).size();
  entries_.erase(it);
  return true;
}

std::string Manifest::Render() const {
  std::string text;
  text.reserve(text_bytes_);
  for (const std::string& entry : entries_) text.append(LineOf(entry));
  return text;
}

Status Manifest::WriteTo(const std::string& path) const {
  std::unique_ptr<AtomicFileWriter> writer;
  Status status = AtomicFileWriter::Create(path, &writer);
  if (status.ok()) status = writer->Append(Render());
  if (status.ok()) status = writer->Commit();
  return status;
}

std::string ManifestLine(std::string_view thumbnail, std::string_view source_path) {
  std::string line;
  AppendManifestLine(thumbnail, source_path, &line);
  return line;
}

Status WriteManifestFromJournal(const std::string& journal, const std::string& manifest,
                                size_t* lines) {
  *lines = 0;
  std::ifstream in(journal, std::ios::binary);
  if (!in) return Status::FromErrno(errno, "cannot read the journal '{}'", EscapePath(journal));
  Manifest result;
  std::string line, thumbnail, source;
  // A source's block of lines (several boxes) comes together; a line of the source before
  // for a box folder the block does not have yet continues it, anything else starts over.
  std::string block, block_source;
  while (std::getline(in, line)) {
    // A line without its newline was being written when the sink died.
    if (in.eof()) break;
    if (!ParseManifestLine(line, &thumbnail, &source)) continue;
    const std::string_view folder = FolderOf(thumbnail);
    bool continues = !block.empty() && source == block_source && !folder.empty();
    for (const std::string_view entry : SplitThumbnails(block)) {
      if (continues && FolderOf(entry) == folder) continues = false;
    }
    if (continues) {
      block += '\n';
      block += thumbnail;
    } else {
      block = thumbnail;
      block_source = source;
    }
    result.Add(block, source);
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
