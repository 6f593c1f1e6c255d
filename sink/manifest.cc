#include "sink/manifest.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include <fmt/format.h>

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

Manifest::Manifest(std::string spill_prefix, size_t memory_bytes)
    : entries_(std::move(spill_prefix), memory_bytes) {}

void Manifest::Put(std::string_view source_path, std::string_view entry) {
  entries_.Put(source_path, entry);
}

std::string Manifest::Add(std::string_view thumbnail, std::string_view source_path) {
  std::string line = ManifestLine(thumbnail, source_path);
  entries_.Put(source_path, line);
  return line;
}

void Manifest::Remove(std::string_view source_path) { entries_.Remove(source_path); }

Status Manifest::WriteTo(const std::string& path, bool keep, size_t* entries) {
  std::unique_ptr<AtomicFileWriter> writer;
  Status status = AtomicFileWriter::Create(path, &writer);
  if (!status.ok()) return status;
  size_t count = 0;
  status = entries_.ForEach(
      [&writer, &count](std::string_view, std::string_view entry) {
        ++count;
        return writer->Append(entry);
      },
      keep);
  if (status.ok()) status = writer->Commit();
  if (status.ok() && entries != nullptr) *entries = count;
  return status;
}

std::string ManifestSpillPrefix(const std::string& manifest, int launcher_pid) {
  const std::filesystem::path path(manifest);
  return (path.parent_path() / fmt::format(".{}.{}.run", path.filename().string(), launcher_pid))
      .string();
}

size_t ManifestMemoryBytes() {
  const char* text = std::getenv("THUMBPIPE_MANIFEST_MEMORY");
  size_t bytes = 0;
  if (text == nullptr) return kDefaultManifestMemoryBytes;
  const std::string_view view(text);
  const auto [end, ec] = std::from_chars(view.data(), view.data() + view.size(), bytes);
  if (ec != std::errc() || end != view.data() + view.size()) return kDefaultManifestMemoryBytes;
  return bytes;
}

std::string ManifestLine(std::string_view thumbnail, std::string_view source_path) {
  std::string line;
  AppendManifestLine(thumbnail, source_path, &line);
  return line;
}

Status WriteManifestFromJournal(const std::string& journal, const std::string& manifest,
                                const std::string& spill_prefix, size_t* lines) {
  *lines = 0;
  std::ifstream in(journal, std::ios::binary);
  if (!in) return Status::FromErrno(errno, "cannot read the journal '{}'", EscapePath(journal));
  Manifest result(spill_prefix, ManifestMemoryBytes());
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
  if (Status status = result.WriteTo(manifest, /*keep=*/false, lines); !status.ok()) {
    return status;
  }
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
