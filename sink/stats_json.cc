#include "sink/stats_json.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/escape.h"

namespace thumbpipe {
namespace {

using Json = nlohmann::ordered_json;

double Seconds(uint64_t ns) { return std::round(static_cast<double>(ns) / 1e3) / 1e6; }

std::string_view VerbosityName(Verbosity verbosity) {
  switch (verbosity) {
    case Verbosity::kQuiet:
      return "quiet";
    case Verbosity::kNormal:
      return "normal";
    case Verbosity::kVerbose:
      return "verbose";
  }
  return "normal";
}

std::string_view SymlinkPolicyName(SymlinkPolicy policy) {
  switch (policy) {
    case SymlinkPolicy::kAll:
      return "all";
    case SymlinkPolicy::kInside:
      return "inside";
    case SymlinkPolicy::kNone:
      return "none";
  }
  return "all";
}

Json Options(const RunOptions& o) {
  return Json{
      {"root", EscapePath(o.root)},
      {"workers", o.workers},
      {"size", BoxListName(RunBoxes(o))},
      {"output", EscapePath(o.output_dir)},
      {"manifest", EscapePath(o.manifest)},
      {"timeout_seconds", o.timeout_seconds},
      {"max_pixels", o.max_pixels},
      {"max_memory", o.max_memory},
      {"readahead", o.readahead},
      {"verbosity", VerbosityName(o.verbosity)},
      {"symlinks", SymlinkPolicyName(o.symlinks)},
      {"format", std::string(OutputFormatName(o.format))},
      {"quality", o.quality},
      {"background", ColourName(o.background)},
      {"incremental", o.incremental},
      {"catalog", o.incremental ? Json(EscapePath(o.catalog)) : Json(nullptr)},
      {"force", o.force},
      {"retry_failed", o.retry_failed},
      {"prune", o.prune},
      {"watch", o.watch},
      {"shard",
       o.shard.active() ? Json(fmt::format("{}/{}", o.shard.index, o.shard.count)) : Json(nullptr)},
      {"files_from", o.files_from.empty() ? Json(nullptr) : Json(EscapePath(o.files_from))},
      {"files_from_nul", o.files_from_nul},
      {"progress", o.progress},
      {"stats_json", EscapePath(o.stats_json)},
  };
}

}  // namespace

std::string RenderStatsJson(const StatsReport& report) {
  const RunCounters& c = *report.counters;
  const uint64_t thumbnails = c.thumbnails.load(), not_images = c.not_images.load(),
                 failed = c.failed.load(), found = c.found.load();
  const uint64_t reported = thumbnails + not_images + failed;

  Json by_format = Json::object();
  for (const auto& [format, outcomes] : report.stats->by_format()) {
    by_format[std::string(FormatKey(format))] = {{"thumbnails", outcomes.thumbnails},
                                                 {"not_images", outcomes.not_images},
                                                 {"failed", outcomes.failed}};
  }
  std::vector<const RunStats::Failure*> failures;
  for (const RunStats::Failure& failure : report.stats->failures()) failures.push_back(&failure);
  std::sort(failures.begin(), failures.end(),
            [](const auto* a, const auto* b) { return a->path < b->path; });
  Json failure_list = Json::array();
  for (const RunStats::Failure* failure : failures) {
    failure_list.push_back({{"path", EscapePath(failure->path)}, {"reason", failure->reason}});
  }

  const Json document = {
      {"version", report.version},
      {"path_escaping", "manifest"},
      {"wall_seconds", std::round(report.wall_seconds * 1e6) / 1e6},
      {"counts",
       {{"found", found},
        {"thumbnails", thumbnails},
        {"not_images", not_images},
        {"failed", failed},
        {"not_processed", found > reported ? found - reported : 0},
        {"unchanged", c.unchanged.load()},
        {"skipped_failed", c.skipped_failed.load()},
        {"removed", c.removed.load()}}},
      {"by_format", by_format},
      {"bytes", {{"read", c.bytes_read.load()}, {"written", c.bytes_written.load()}}},
      {"stage_seconds",
       {{"walk", Seconds(c.walk_ns.load())},
        {"read", Seconds(c.read_ns.load())},
        {"decode", Seconds(c.decode_ns.load())},
        {"encode", Seconds(c.encode_ns.load())},
        {"write", Seconds(c.write_ns.load())}}},
      {"failures", failure_list},
      {"options", Options(*report.options)},
  };
  // Paths are escaped to UTF-8 already; a reason with stray bytes gets U+FFFD rather than
  // an exception.
  return document.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Status WriteStatsJson(const std::string& path, const StatsReport& report) {
  std::string text;
  try {
    text = RenderStatsJson(report);
  } catch (const std::exception& e) {
    return Status::Error(fmt::format("cannot make the statistics: {}", e.what()));
  }
  std::unique_ptr<AtomicFileWriter> writer;
  Status status = AtomicFileWriter::Create(path, &writer);
  if (status.ok()) status = writer->Append(text);
  if (status.ok()) status = writer->Commit();
  if (!status.ok()) {
    return status.WithContext(fmt::format("cannot write the statistics '{}'", EscapePath(path)));
  }
  return Status::OK();
}

Status PrepareStatsDestination(const std::string& path) {
  if (path.empty()) return Status::OK();
  if (Status status = PrepareFolderFor("--stats-json", path); !status.ok()) return status;
  if (std::filesystem::is_directory(path)) {
    return Status::Error(
        fmt::format("--stats-json '{}' is a folder; give a file name", EscapePath(path)));
  }
  return Status::OK();
}

}  // namespace thumbpipe
