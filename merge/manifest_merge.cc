#include "merge/manifest_merge.h"

#include <cerrno>
#include <cstdio>
#include <memory>
#include <queue>

#include <fmt/format.h>

#include "common/atomic_file.h"
#include "common/escape.h"
#include "sink/manifest.h"

namespace thumbpipe {
namespace {

// One input, read a line at a time; `path` is the source path of `line`.
class ManifestReader {
 public:
  static Status Open(const std::string& file, std::unique_ptr<ManifestReader>* reader) {
    FILE* stream = std::fopen(file.c_str(), "rbe");
    if (stream == nullptr) return Status::FromErrno(errno, "cannot read '{}'", EscapePath(file));
    reader->reset(new ManifestReader(stream, file));
    return (*reader)->Advance();
  }
  ~ManifestReader() {
    std::fclose(stream_);
    std::free(buffer_);
  }
  ManifestReader(const ManifestReader&) = delete;
  ManifestReader& operator=(const ManifestReader&) = delete;

  bool done() const { return done_; }
  const std::string& line() const { return line_; }
  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }
  uint64_t line_number() const { return line_number_; }

  // Reads the next line; done() at the end.
  Status Advance() {
    errno = 0;
    const ssize_t n = ::getline(&buffer_, &capacity_, stream_);
    if (n < 0) {
      if (errno != 0) return Status::FromErrno(errno, "cannot read '{}'", EscapePath(file_));
      done_ = true;
      return Status::OK();
    }
    ++line_number_;
    if (buffer_[n - 1] != '\n') {
      return Status::Error(
          fmt::format("'{}' ends in a line cut short (line {}): not a whole "
                      "manifest",
                      EscapePath(file_), line_number_));
    }
    line_.assign(buffer_, static_cast<size_t>(n - 1));
    std::string previous = std::move(path_);
    std::string thumbnail;
    if (!ParseManifestLine(line_, &thumbnail, &path_)) {
      return Status::Error(
          fmt::format("line {} of '{}' is not a manifest line", line_number_, EscapePath(file_)));
    }
    if (line_number_ > 1 && path_ < previous) {
      return Status::Error(
          fmt::format("'{}' is not sorted by source path (line {}), as thumbpipe writes manifests",
                      EscapePath(file_), line_number_));
    }
    return Status::OK();
  }

 private:
  ManifestReader(FILE* stream, std::string file) : stream_(stream), file_(std::move(file)) {}
  FILE* stream_;
  std::string file_;
  char* buffer_ = nullptr;
  size_t capacity_ = 0;
  bool done_ = false;
  uint64_t line_number_ = 0;
  std::string line_;
  std::string path_;
};

}  // namespace

Status MergeManifests(const std::vector<std::string>& inputs, const std::string& output,
                      MergeCounts* counts) {
  *counts = {};
  std::vector<std::unique_ptr<ManifestReader>> readers(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (Status status = ManifestReader::Open(inputs[i], &readers[i]); !status.ok()) return status;
  }
  // The smallest source path first; among equal paths, the earlier input (to name both).
  auto later = [&readers](size_t a, size_t b) {
    if (readers[a]->path() != readers[b]->path()) return readers[a]->path() > readers[b]->path();
    return a > b;
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(later)> heads(later);
  for (size_t i = 0; i < readers.size(); ++i) {
    if (!readers[i]->done()) heads.push(i);
  }
  std::unique_ptr<AtomicFileWriter> writer;
  if (Status status = AtomicFileWriter::Create(output, &writer); !status.ok()) return status;
  std::string last_path;
  size_t last_input = 0;
  bool any = false;
  while (!heads.empty()) {
    const size_t i = heads.top();
    heads.pop();
    ManifestReader& reader = *readers[i];
    if (any && reader.path() == last_path) {
      return Status::Error(fmt::format(
          "'{}' is listed in both '{}' and '{}': these are not "
          "shards of one run",
          EscapePath(last_path), EscapePath(inputs[last_input]), EscapePath(reader.file())));
    }
    last_path = reader.path();
    last_input = i;
    any = true;
    // Every line of this source path, as it is.
    do {
      std::string line = reader.line();
      line.push_back('\n');
      if (Status status = writer->Append(line); !status.ok()) return status;
      ++counts->lines;
      if (Status status = reader.Advance(); !status.ok()) return status;
    } while (!reader.done() && reader.path() == last_path);
    if (!reader.done()) heads.push(i);
  }
  return writer->Commit();
}

}  // namespace thumbpipe
