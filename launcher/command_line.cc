#include "launcher/command_line.h"

#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "common/desktop_cache.h"
#include "common/escape.h"
#include "common/message.h"

namespace thumbpipe {
namespace {

constexpr std::string_view kExamples = R"(
Makes a thumbnail of every image under ROOT, fitted in a box (aspect kept, never
enlarged), named by the SHA-256 of its pixels, and writes a manifest of
"<name>.png: <source path>" lines (.jpg or .webp with --format). A JPEG thumbnail of an
image with transparency is composited on --background first, and named by the SHA-256 of
the composited pixels; WebP keeps transparency. Several boxes (--size 128x128,512x512)
are all made from one decode of each image, each box in its own folder <W>x<H>, listed
"<W>x<H>/<name>.png: <source path>".

Examples:
  thumbpipe ~/Pictures                  thumbnails in ./thumbnails, list in ./processed.txt
  thumbpipe -j 4 --size 320x240 ~/Pictures --output /tmp/thumbs
  thumbpipe --format jpeg --quality 90 ~/Pictures
  thumbpipe --size 256x256,1024x1024 ~/Pictures   a grid size and a preview size
  thumbpipe --incremental ~/Pictures    again later: only new and changed files are done
  thumbpipe --watch ~/Pictures          then keep up with files as they arrive
  thumbpipe --layout freedesktop ~/Pictures
                                        fill the desktop's thumbnail cache (file managers
                                        find them there): only what is new or changed
  thumbpipe --shard 2/4 /shared/photos  one of four runs (hosts, jobs), then:
  thumbpipe merge processed.txt processed.txt.*-of-4
  find ~/Pictures -newer stamp -print0 | thumbpipe --files-from - -0 ~/Pictures

Exit status: 0 done (single images may have failed; see the counts), 1 the run could not
complete, 2 bad usage, 129/130/143 stopped by SIGHUP/SIGINT/SIGTERM.
)";

bool ParseNumber(std::string_view text, long min, long max, long* value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size() && *value >= min && *value <= max;
}

bool ParseWorkers(std::string_view text, int* workers) {
  long value = 0;
  if (!ParseNumber(text, 1, kMaxWorkers, &value)) return false;
  *workers = static_cast<int>(value);
  return true;
}

bool ParseSize(std::string_view text, uint32_t* width, uint32_t* height) {
  const size_t x = text.find('x');
  long w = 0, h = 0;
  if (x == std::string_view::npos || !ParseNumber(text.substr(0, x), 1, kMaxBoxSide, &w) ||
      !ParseNumber(text.substr(x + 1), 1, kMaxBoxSide, &h)) {
    return false;
  }
  *width = static_cast<uint32_t>(w);
  *height = static_cast<uint32_t>(h);
  return true;
}

// --size with --layout freedesktop: "normal,large" or "128x128,256x256" (or both mixed).
bool ParseDesktopFlavours(std::string_view text, uint32_t* flavours) {
  *flavours = 0;
  for (;;) {
    const size_t comma = text.find(',');
    const std::optional<int> flavour = ParseDesktopFlavour(text.substr(0, comma));
    if (!flavour) return false;
    *flavours |= 1u << *flavour;
    if (comma == std::string_view::npos) return true;
    text.remove_prefix(comma + 1);
  }
}

// "1073741824", "512M", "2G", "1.5G" (binary units: K, M, G, T).
bool ParseBytes(std::string_view text, uint64_t* bytes) {
  if (text.empty()) return false;
  uint64_t unit = 1;
  switch (text.back()) {
    case 'K':
    case 'k':
      unit = uint64_t{1} << 10;
      break;
    case 'M':
    case 'm':
      unit = uint64_t{1} << 20;
      break;
    case 'G':
    case 'g':
      unit = uint64_t{1} << 30;
      break;
    case 'T':
    case 't':
      unit = uint64_t{1} << 40;
      break;
    default:
      break;
  }
  if (unit != 1) text.remove_suffix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !(value >= 0) ||
      value * unit > 1e18) {
    return false;
  }
  *bytes = static_cast<uint64_t>(value * static_cast<double>(unit));
  return true;
}

bool ParseSeconds(std::string_view text, double* seconds) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *seconds);
  return ec == std::errc() && end == text.data() + text.size() && *seconds >= 0 && *seconds <= 1e6;
}

std::string Absolute(const std::string& cwd, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_relative()) p = std::filesystem::path(cwd) / p;
  std::string normal = p.lexically_normal().string();
  while (normal.size() > 1 && normal.ends_with('/')) normal.pop_back();
  return normal;
}

std::string CheckPathLength(std::string_view what, const std::string& path) {
  if (path.size() <= kMaxPathBytes) return {};
  return fmt::format("{} is {} bytes long; thumbpipe handles paths of up to {} bytes", what,
                     path.size(), kMaxPathBytes);
}

}  // namespace

uint64_t PhysicalMemory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page_size > 0
             ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size)
             : 0;
}

uint64_t DefaultMaxMemory(uint64_t memory_bytes, int workers) {
  constexpr uint64_t kGiB = uint64_t{1} << 30;
  const uint64_t share = memory_bytes / 4 * 3 / static_cast<uint64_t>(std::max(workers, 1));
  return std::clamp(share, kGiB, 16 * kGiB);
}

int AvailableCpus() {
  cpu_set_t set;
  if (::sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return 1;
}

ParseOutcome ParseCommandLine(int argc, const char* const* argv, const CommandLineContext& context,
                              RunOptions* options, std::string* text) {
  CLI::App app("thumbpipe: thumbnails of every image in a folder tree, in parallel", "thumbpipe");
  app.footer(std::string(kExamples));
  app.set_version_flag("--version", fmt::format("thumbpipe {}", THUMBPIPE_VERSION));

  std::string root, workers_positional, workers_option, size, output = "thumbnails",
                                                              manifest = "processed.txt";
  std::string timeout, max_pixels, max_memory, readahead, symlinks, catalog, stats_json;
  std::string format, quality, background, layout, shard, files_from;
  bool files_from_nul = false;
  std::string decode_slots;
  bool verbose = false, quiet = false, no_progress = false;
  app.add_option("ROOT", root, "Folder to walk (recursively)")->type_name("DIR");
  app.add_option("WORKERS", workers_positional, "Number of worker processes (default: CPUs)")
      ->type_name("N");
  app.add_option("-j,--workers", workers_option, "Number of worker processes (default: CPUs)")
      ->type_name("N");
  app.add_option("--decode-slots", decode_slots,
                 "At most N workers make thumbnails at once; more workers wait their turn "
                 "asleep. 0 for no limit (default: CPUs)")
      ->type_name("N");
  app.add_option("--size", size,
                 "Box the thumbnails fit in (default: 200x200); several boxes, separated by "
                 "commas, are all made from one decode, each in its folder <W>x<H>; with --layout "
                 "freedesktop the standard's sizes: normal, large, x-large, xx-large (128 to "
                 "1024), several separated by commas (default: normal,large)")
      ->type_name("WxH");
  auto* layout_option =
      app.add_option("--layout", layout,
                     "Where thumbnails go: flat (<output>/<sha256>.<ext>) or freedesktop (the "
                     "desktop's cache, $XDG_CACHE_HOME/thumbnails, as file managers read it; "
                     "only new or changed files are done) (default: flat)")
          ->type_name("LAYOUT");
  auto* format_option =
      app.add_option("--format", format, "Thumbnails' format: png, jpeg or webp (default: png)")
          ->type_name("FORMAT");
  app.add_option("--quality", quality,
                 "JPEG and WebP quality, 1 to 100 (default: 85); for PNG the zlib level, 0 to 9 "
                 "(default: 1)")
      ->type_name("Q");
  auto* background_option =
      app.add_option("--background", background,
                     "With --format jpeg: the colour transparency is composited on, before the "
                     "thumbnail is named: #rrggbb, white or black (default: white)")
          ->type_name("COLOUR");
  auto* output_option =
      app.add_option("--output", output, "Folder for thumbnails, created if missing")
          ->type_name("DIR")
          ->capture_default_str();
  auto* manifest_option = app.add_option("--manifest", manifest,
                                         "Manifest file to write (with --layout freedesktop: "
                                         "$XDG_CACHE_HOME/thumbpipe/processed.txt)")
                              ->type_name("FILE")
                              ->capture_default_str();
  app.add_option("--timeout", timeout,
                 "Seconds one image may take before its worker is stopped and it is counted "
                 "failed; 0 for no limit (default: 30)")
      ->type_name("SECONDS");
  app.add_option("--max-pixels", max_pixels,
                 "Images whose header claims more pixels fail before decoding; 0 for no limit "
                 "(default: 200000000)")
      ->type_name("N");
  app.add_option("--max-memory", max_memory,
                 "Address space of each worker, e.g. 2G; 0 for no limit (default: a share of "
                 "the machine's memory, 1G to 16G)")
      ->type_name("BYTES");
  app.add_option("--readahead", readahead,
                 "How much of the queued files to ask the disk for before the workers open "
                 "them, e.g. 256M; 0 to turn it off (default: 64M)")
      ->type_name("BYTES");
  auto* symlinks_option =
      app.add_option("--symlinks", symlinks,
                     "Which symlinks to files to follow: all, inside (only those whose target lies "
                     "inside ROOT) or none; symlinked folders are never followed (default: all)")
          ->type_name("POLICY");
  app.add_flag("--incremental", options->incremental,
               "Remember every file in a catalog and, next time, redo only what changed");
  app.add_option("--catalog", catalog,
                 "The catalog of --incremental runs (default: the manifest's path + .catalog)")
      ->type_name("FILE");
  app.add_flag("--force", options->force,
               "With --incremental: do every file again and rewrite the catalog (with --layout "
               "freedesktop: make every thumbnail again)");
  app.add_flag("--retry-failed", options->retry_failed,
               "With --incremental or --layout freedesktop: try again the files that failed "
               "before, even unchanged");
  app.add_flag("--prune", options->prune,
               "With --incremental: remove thumbnails in the output folder that no file in the "
               "catalog refers to any more, and the box folders (WxH) that leaves empty");
  app.add_flag("--watch", options->watch,
               "After the first (incremental) pass, keep watching ROOT and make thumbnails of "
               "files as they arrive, until stopped");
  auto* shard_option =
      app.add_option("--shard", shard,
                     "Take only the files of shard K of N (K/N), or of this task of a Slurm job "
                     "array (slurm, or slurm/N when only some of its tasks are submitted) or of "
                     "a Kubernetes Indexed Job (k8s/N); the manifest's name gets .K-of-N")
          ->type_name("K/N|slurm|slurm/N|k8s/N");
  auto* files_from_option =
      app.add_option("--files-from", files_from,
                     "Process exactly the files listed in FILE (- for standard input), one a "
                     "line, relative to ROOT or absolute inside it, instead of walking ROOT")
          ->type_name("FILE");
  app.add_flag("-0,--null", files_from_nul,
               "With --files-from: the paths are separated by NUL bytes (find -print0)");
  app.add_option("--stats-json", stats_json, "Write the run's statistics to FILE as JSON")
      ->type_name("FILE");
  app.add_flag("--no-progress", no_progress, "Do not report progress while the run goes on");
  auto* verbose_flag = app.add_flag("-v,--verbose", verbose, "Log every file as it is processed");
  app.add_flag("-q,--quiet", quiet, "Do not report single files that failed")
      ->excludes(verbose_flag);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    *text = app.help();
    return ParseOutcome::kPrintText;
  } catch (const CLI::CallForVersion&) {
    *text = fmt::format("thumbpipe {}\n", THUMBPIPE_VERSION);
    return ParseOutcome::kPrintText;
  } catch (const CLI::ExtrasError& e) {
    const std::string first = e.what();
    *text = fmt::format("{}; see 'thumbpipe --help'", first);
    return ParseOutcome::kUsageError;
  } catch (const CLI::ParseError& e) {
    *text = fmt::format("{}; see 'thumbpipe --help'", e.what());
    return ParseOutcome::kUsageError;
  }

  if (root.empty()) {
    *text = "missing ROOT, the folder to make thumbnails of (for example: thumbpipe ~/Pictures)";
    return ParseOutcome::kUsageError;
  }
  options->workers = context.default_workers;
  for (const std::string* given : {&workers_positional, &workers_option}) {
    if (!given->empty() && !ParseWorkers(*given, &options->workers)) {
      *text = fmt::format("WORKERS must be a whole number from 1 to {}, not '{}'", kMaxWorkers,
                          EscapePath(*given));
      return ParseOutcome::kUsageError;
    }
  }
  if (!workers_positional.empty() && !workers_option.empty() &&
      workers_positional != workers_option) {
    *text = fmt::format("the number of workers is given twice ({} and -j {}); give it once",
                        workers_positional, workers_option);
    return ParseOutcome::kUsageError;
  }
  options->decode_slots = context.default_workers;
  if (!decode_slots.empty()) {
    long value = 0;
    if (!ParseNumber(decode_slots, 0, kMaxWorkers, &value)) {
      *text = fmt::format("--decode-slots must be a whole number from 0 (no limit) to {}, not '{}'",
                          kMaxWorkers, EscapePath(decode_slots));
      return ParseOutcome::kUsageError;
    }
    options->decode_slots = static_cast<int>(value);
  }
  std::vector<Box> boxes = {{options->box_width, options->box_height}};
  if (layout_option->count() > 0) {
    if (layout == "freedesktop") {
      options->layout = OutputLayout::kFreedesktop;
    } else if (layout != "flat") {
      *text = fmt::format("--layout must be flat or freedesktop, not '{}'", EscapePath(layout));
      return ParseOutcome::kUsageError;
    }
  }
  const bool desktop = options->layout == OutputLayout::kFreedesktop;
  if (desktop) {
    options->desktop_flavours = kDefaultDesktopFlavours;
    if (!size.empty() && !ParseDesktopFlavours(size, &options->desktop_flavours)) {
      *text = fmt::format(
          "--size with --layout freedesktop takes the standard's sizes: normal (128x128), large "
          "(256x256), x-large (512x512) or xx-large (1024x1024), several separated by commas "
          "(for example normal,large), not '{}'",
          EscapePath(size));
      return ParseOutcome::kUsageError;
    }
    if (format_option->count() > 0 && format != "png") {
      *text =
          "--layout freedesktop writes PNG thumbnails, as the Thumbnail Managing Standard says; "
          "leave out --format";
      return ParseOutcome::kUsageError;
    }
    if (output_option->count() > 0) {
      *text =
          "--layout freedesktop writes where desktops look, $XDG_CACHE_HOME/thumbnails (or "
          "~/.cache/thumbnails); leave out --output, or set XDG_CACHE_HOME";
      return ParseOutcome::kUsageError;
    }
    for (auto [flag, given] : {std::pair{"--incremental", options->incremental},
                               {"--watch", options->watch},
                               {"--catalog", !catalog.empty()},
                               {"--prune", options->prune}}) {
      if (!given) continue;
      *text = std::string(flag) == "--prune"
                  ? "--prune is not for --layout freedesktop: the cache is shared with other "
                    "programs, whose thumbnails are not thumbpipe's to remove"
                  : fmt::format(
                        "{} is not for --layout freedesktop: the cache itself says which "
                        "thumbnails are current, so every run does only what is new or changed",
                        flag);
      return ParseOutcome::kUsageError;
    }
    std::string thumbnails;
    std::optional<std::string> xdg_cache_home, home;
    if (context.environment) {
      xdg_cache_home = context.environment("XDG_CACHE_HOME");
      home = context.environment("HOME");
    }
    if (Status status = DesktopThumbnailsFolder(xdg_cache_home ? xdg_cache_home->c_str() : nullptr,
                                                home ? home->c_str() : nullptr, &thumbnails);
        !status.ok()) {
      *text = status.message();
      return ParseOutcome::kUsageError;
    }
    output = thumbnails;
    if (manifest_option->count() == 0) {
      manifest = thumbnails.substr(0, thumbnails.rfind('/')) + "/thumbpipe/processed.txt";
    }
    for (int i = kDesktopFlavourCount - 1; i >= 0; --i) {
      if ((options->desktop_flavours & (1u << i)) == 0) continue;
      options->box_width = options->box_height = kDesktopFlavours[i].size;
      break;
    }
    boxes = {{options->box_width, options->box_height}};
  } else if (!size.empty()) {
    boxes.clear();
    for (std::string_view rest = size;;) {
      const size_t comma = rest.find(',');
      Box box;
      if (!ParseSize(rest.substr(0, comma), &box.width, &box.height)) {
        *text = fmt::format(
            "--size must be WxH with both sides from 1 to {} (for example 200x200){}, not '{}'",
            kMaxBoxSide,
            size.find(',') == std::string::npos
                ? ""
                : ", or several such boxes separated by commas (128x128,512x512)",
            EscapePath(size));
        return ParseOutcome::kUsageError;
      }
      if (std::find(boxes.begin(), boxes.end(), box) != boxes.end()) {
        *text = fmt::format("--size gives {} twice; give each box once", BoxName(box));
        return ParseOutcome::kUsageError;
      }
      boxes.push_back(box);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (boxes.size() > kMaxBoxes) {
      *text = fmt::format("--size gives {} boxes; at most {} are made from one decode",
                          boxes.size(), kMaxBoxes);
      return ParseOutcome::kUsageError;
    }
    options->box_width = boxes.front().width;
    options->box_height = boxes.front().height;
    options->more_boxes.assign(boxes.begin() + 1, boxes.end());
  }
  if (format_option->count() > 0) {
    const std::optional<OutputFormat> parsed = ParseOutputFormat(format);
    if (!parsed) {
      *text = fmt::format("--format must be png, jpeg or webp, not '{}'", EscapePath(format));
      return ParseOutcome::kUsageError;
    }
    options->format = *parsed;
  }
  for (const Box& box : boxes) {
    if (const uint32_t max_side = MaxSide(options->format);
        box.width > max_side || box.height > max_side) {
      *text = fmt::format("--size {}x{} is too large for {} thumbnails, whose sides are at most {}",
                          box.width, box.height,
                          options->format == OutputFormat::kJpeg ? "JPEG" : "WebP", max_side);
      return ParseOutcome::kUsageError;
    }
  }
  options->quality = DefaultQuality(options->format);
  if (!quality.empty()) {
    long value = 0;
    const int min = MinQuality(options->format), max = MaxQuality(options->format);
    if (!ParseNumber(quality, min, max, &value)) {
      *text = options->format == OutputFormat::kPng
                  ? fmt::format(
                        "--quality of PNG thumbnails is the zlib level, a whole number from {} "
                        "to {}, not '{}'",
                        min, max, EscapePath(quality))
                  : fmt::format(
                        "--quality of {} thumbnails must be a whole number from {} to {}, not "
                        "'{}'",
                        options->format == OutputFormat::kJpeg ? "JPEG" : "WebP", min, max,
                        EscapePath(quality));
      return ParseOutcome::kUsageError;
    }
    options->quality = static_cast<int>(value);
  }
  if (background_option->count() > 0) {
    const std::optional<uint32_t> colour = ParseColour(background);
    if (!colour) {
      *text = fmt::format("--background must be #rrggbb, white or black, not '{}'",
                          EscapePath(background));
      return ParseOutcome::kUsageError;
    }
    if (options->format != OutputFormat::kJpeg) {
      *text = "--background is for --format jpeg (PNG and WebP thumbnails keep transparency)";
      return ParseOutcome::kUsageError;
    }
    options->background = *colour;
  }
  if (!timeout.empty() && !ParseSeconds(timeout, &options->timeout_seconds)) {
    *text = fmt::format("--timeout must be a number of seconds from 0 to 1000000, not '{}'",
                        EscapePath(timeout));
    return ParseOutcome::kUsageError;
  }
  if (!max_pixels.empty()) {
    long value = 0;
    if (!ParseNumber(max_pixels, 0, std::numeric_limits<long>::max(), &value)) {
      *text = fmt::format("--max-pixels must be a whole number (0 for no limit), not '{}'",
                          EscapePath(max_pixels));
      return ParseOutcome::kUsageError;
    }
    options->max_pixels = static_cast<uint64_t>(value);
  }
  options->max_memory = DefaultMaxMemory(context.memory_bytes, options->workers);
  if (!max_memory.empty()) {
    if (!ParseBytes(max_memory, &options->max_memory) ||
        (options->max_memory != 0 && options->max_memory < (uint64_t{512} << 20))) {
      *text = fmt::format(
          "--max-memory must be a size of at least 512M such as 1G or 1.5G (0 for "
          "no limit), not '{}'",
          EscapePath(max_memory));
      return ParseOutcome::kUsageError;
    }
  }
  if (!readahead.empty() && !ParseBytes(readahead, &options->readahead)) {
    *text = fmt::format("--readahead must be a size such as 64M or 1G (0 to turn it off), not '{}'",
                        EscapePath(readahead));
    return ParseOutcome::kUsageError;
  }
  if (output.empty() || manifest.empty()) {
    *text = output.empty() ? "--output must not be empty" : "--manifest must not be empty";
    return ParseOutcome::kUsageError;
  }
  // Given empty (an unset variable in a unit file, say) is an error, not the default: the
  // default is the policy that follows the most.
  if (symlinks_option->count() == 0 || symlinks == "all") {
    options->symlinks = SymlinkPolicy::kAll;
  } else if (symlinks == "inside") {
    options->symlinks = SymlinkPolicy::kInside;
  } else if (symlinks == "none") {
    options->symlinks = SymlinkPolicy::kNone;
  } else {
    *text = fmt::format("--symlinks must be all, inside or none, not '{}'", EscapePath(symlinks));
    return ParseOutcome::kUsageError;
  }
  if (options->watch) options->incremental = true;
  for (auto [flag, given] : {std::pair{"--force", options->force && !desktop},
                             {"--retry-failed", options->retry_failed && !desktop},
                             {"--prune", options->prune},
                             {"--catalog", !catalog.empty()}}) {
    if (given && !options->incremental) {
      *text = fmt::format("{} is for incremental runs; add --incremental", flag);
      return ParseOutcome::kUsageError;
    }
  }
  if (shard_option->count() > 0 &&
      !ParseShardSpec(shard, context.environment, &options->shard, text)) {
    return ParseOutcome::kUsageError;
  }
  if (files_from_option->count() > 0 && files_from.empty()) {
    *text = "--files-from must name a file (- for standard input)";
    return ParseOutcome::kUsageError;
  }
  if (files_from_nul && files_from.empty()) {
    *text = "-0 is for --files-from: it says the list's paths are separated by NUL bytes";
    return ParseOutcome::kUsageError;
  }
  // A shard sees only its own files, and a list only the files listed: neither knows which
  // thumbnails the rest of the tree still uses, nor can it watch the rest.
  for (auto [given, what] :
       {std::pair{options->shard.active(), "--shard"}, {!files_from.empty(), "--files-from"}}) {
    if (!given) continue;
    if (options->prune) {
      *text = fmt::format(
          "--prune cannot be used with {}: this run does not see every file, so it cannot know "
          "which thumbnails the others still use; prune with one run over the whole tree",
          what);
      return ParseOutcome::kUsageError;
    }
    if (options->watch) {
      *text =
          fmt::format("--watch cannot be used with {}: watch the whole tree with one run", what);
      return ParseOutcome::kUsageError;
    }
  }
  options->files_from_nul = files_from_nul;
  options->progress = !no_progress;
  options->verbosity = verbose ? Verbosity::kVerbose
                       : quiet ? Verbosity::kQuiet
                               : Verbosity::kNormal;
  options->root = Absolute(context.cwd, root);
  options->output_dir = Absolute(context.cwd, output);
  options->manifest = Absolute(context.cwd, manifest);
  if (options->shard.active() && !options->manifest.ends_with(options->shard.Suffix())) {
    options->manifest += options->shard.Suffix();
  }
  if (!files_from.empty()) {
    options->files_from = files_from == "-" ? files_from : Absolute(context.cwd, files_from);
  }
  options->catalog =
      catalog.empty() ? DefaultCatalogPath(options->manifest) : Absolute(context.cwd, catalog);
  // A catalog forgets the files under ROOT its run did not see: shards sharing one would
  // forget each other's files, so a given catalog is one per shard too.
  if (!catalog.empty() && options->shard.active() &&
      !options->catalog.ends_with(options->shard.Suffix())) {
    options->catalog += options->shard.Suffix();
  }
  if (!stats_json.empty()) options->stats_json = Absolute(context.cwd, stats_json);

  for (auto [what, path] : {std::pair{"ROOT", &options->root},
                            {"--output", &options->output_dir},
                            {"--manifest", &options->manifest},
                            {"--catalog", &options->catalog},
                            {"--stats-json", &options->stats_json},
                            {"--files-from", &options->files_from}}) {
    if (std::string err = CheckPathLength(what, *path); !err.empty()) {
      *text = err;
      return ParseOutcome::kUsageError;
    }
  }
  struct stat st;
  if (::stat(options->root.c_str(), &st) != 0) {
    *text = fmt::format("cannot use ROOT '{}': {}", EscapePath(root), std::strerror(errno));
    return ParseOutcome::kUsageError;
  }
  if (!S_ISDIR(st.st_mode)) {
    *text = fmt::format("ROOT '{}' is not a folder; give the folder that holds the images",
                        EscapePath(root));
    return ParseOutcome::kUsageError;
  }
  return ParseOutcome::kRun;
}

}  // namespace thumbpipe
