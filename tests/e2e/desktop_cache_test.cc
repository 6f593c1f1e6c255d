// End to end: --layout freedesktop, checked by a real client of the desktop's cache. GNOME's
// thumbnail factory (gnome-desktop through python3-gi, tests/e2e/desktop_factory.py) is asked
// about every file thumbpipe was given: every thumbnail must be found and current in every
// flavour made, a touched file must read as stale until the next run, failures must leave
// markers the factory would accept. Also the modes, the text chunks and the sizes.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/desktop_cache.h"
#include "common/escape.h"
#include "common/file_uri.h"
#include "common/png_text.h"
#include "tests/e2e/e2e.h"

namespace thumbpipe::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr const char* kAllFlavours[] = {"normal", "large", "x-large", "xx-large"};

// Names a file manager must cope with, each a copy of a photo.
const std::vector<std::string> kAwkwardNames = {"with space.jpg",
                                                "a&b (1).jpg",
                                                "hash#tag.jpg",
                                                "100%.jpg",
                                                "what?;.jpg",
                                                "caf\xC3\xA9.jpg",
                                                "\xE6\x97\xA5\xE6\x9C\xAC/photo.jpg",
                                                "new\nline.jpg",
                                                "plus+equals=.jpg"};

struct FactoryView {
  std::string uri;
  long mtime = 0;
  std::map<std::string, std::string> lookup;  // flavour -> path; missing: not found
  bool failed = false;
  bool can_thumbnail = false;
};

std::string FromHex(const std::string& hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return bytes;
}

// The PNG's text chunks and size (from its IHDR).
struct PngFacts {
  std::vector<PngText> texts;
  uint32_t width = 0, height = 0;
};
PngFacts ReadPngFacts(const std::string& path) {
  const std::string bytes = ReadFile(path);
  PngFacts facts;
  const std::span<const uint8_t> data(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  EXPECT_TRUE(ReadPngText(data, &facts.texts).ok()) << path;
  if (bytes.size() >= 24) {
    const auto u32 = [&](size_t at) {
      return uint32_t{data[at]} << 24 | uint32_t{data[at + 1]} << 16 | uint32_t{data[at + 2]} << 8 |
             data[at + 3];
    };
    facts.width = u32(16);
    facts.height = u32(20);
  }
  return facts;
}

std::string Text(const PngFacts& facts, std::string_view key) {
  const std::string* value = FindPngText(facts.texts, key);
  return value == nullptr ? "<missing " + std::string(key) + ">" : *value;
}

class DesktopCacheTest : public E2eTest {
 protected:
  void SetUp() override {
    photos_ = work() / "photos";
    cache_ = work() / "cache";
    fs::create_directories(photos_);
  }

  std::string thumbnails_folder() const { return cache_ + "/thumbnails"; }
  std::string desktop_manifest() const { return cache_ + "/thumbpipe/processed.txt"; }

  CommandOptions Env() const {
    CommandOptions options;
    options.env["XDG_CACHE_HOME"] = cache_;
    options.env["HOME"] = work() / "home";
    return options;
  }

  CommandResult Run(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--layout",     "freedesktop",        "-v", "-j", "2",
                                     "--stats-json", work() / "stats.json"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(photos_);
    CommandResult run = Thumbpipe(args, Env());
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return run;
  }

  Json Stats() const {
    try {
      return Json::parse(ReadFile(work() / "stats.json"));
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
      return Json();
    }
  }

  // What GNOME's factory says of every file under photos_, by path.
  std::map<std::string, FactoryView> AskFactory(const std::string& mime = "image/jpeg") const {
    CommandOptions options;
    options.env["XDG_CACHE_HOME"] = cache_;
    options.env["HOME"] = work() / "home";
    const CommandResult run = RunCommand(
        {"/usr/bin/python3", std::string(THUMBPIPE_TEST_SOURCE_DIR) + "/e2e/desktop_factory.py",
         photos_, mime},
        options);
    EXPECT_EQ(run.exit_code, 0)
        << "desktop_factory.py failed (Debian's python3-gi and gir1.2-gnomedesktop-3.0 are "
           "needed):\n"
        << run.err;
    std::map<std::string, FactoryView> views;
    std::istringstream lines(run.out);
    for (std::string line; std::getline(lines, line);) {
      const Json json = Json::parse(line);
      FactoryView view;
      view.uri = json["uri"];
      view.mtime = json["mtime"];
      for (const auto& [flavour, found] : json["lookup"].items()) {
        if (!found.is_null()) view.lookup[flavour] = found;
      }
      view.failed = json["failed"];
      view.can_thumbnail = json["can_thumbnail"];
      views[FromHex(json["path"])] = view;
    }
    return views;
  }

  // Files a worker opened, as --verbose names them.
  static std::vector<std::string> Processed(const std::string& err) {
    std::vector<std::string> names;
    static const std::regex kLine(R"(thumbpipe-worker\[\d+\]: Processing file (.*))");
    std::smatch match;
    std::istringstream lines(err);
    for (std::string line; std::getline(lines, line);) {
      if (std::regex_match(line, match, kLine)) names.push_back(match[1]);
    }
    return names;
  }

  static void SetMTime(const std::string& path, time_t seconds) {
    const timespec times[2] = {{seconds, 0}, {seconds, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
  }
  static time_t MTimeOf(const std::string& path) {
    struct stat st;
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mtim.tv_sec;
  }

  void AddAwkwardNames() {
    for (const std::string& name : kAwkwardNames) {
      const std::string path = photos_ + "/" + name;
      fs::create_directories(fs::path(path).parent_path());
      fs::copy_file(CorpusPath("exif-orientation/Landscape_3.jpg"), path);
    }
  }

  // Every file of the manifest has its thumbnails in every flavour of `flavours`, and the
  // factory finds each of them, current; files that failed have none, and a marker.
  void ExpectFactoryFindsEverything(const std::vector<std::string>& flavours) {
    const std::vector<ManifestLine> lines = ReadManifest(desktop_manifest());
    const std::map<std::string, FactoryView> views = AskFactory();
    std::set<std::string> thumbnailed;
    for (const ManifestLine& line : lines) {
      thumbnailed.insert(line.source);
      const auto view = views.find(line.source);
      ASSERT_NE(view, views.end()) << "the factory was not asked about " << line.source;
      EXPECT_EQ(view->second.uri, FileUri(line.source));
      EXPECT_EQ(line.thumbnail, DesktopCacheName(view->second.uri));
      for (const std::string& flavour : flavours) {
        const auto found = view->second.lookup.find(flavour);
        EXPECT_NE(found, view->second.lookup.end())
            << "GNOME's factory finds no current " << flavour << " thumbnail of "
            << EscapePath(line.source);
        if (found != view->second.lookup.end()) {
          EXPECT_EQ(found->second, thumbnails_folder() + "/" + flavour + "/" + line.thumbnail);
        }
      }
      for (const char* flavour : kAllFlavours) {
        if (std::find(flavours.begin(), flavours.end(), flavour) != flavours.end()) continue;
        EXPECT_EQ(view->second.lookup.count(flavour), 0u) << flavour << " was not asked for";
      }
    }
    const Json stats = Stats();
    std::set<std::string> failed;
    for (const Json& failure : stats["failures"]) {
      std::string path;
      ASSERT_TRUE(UnescapePath(failure["path"].get<std::string>(), &path));
      failed.insert(path);
      EXPECT_TRUE(views.at(path).lookup.empty()) << path;
      // A refusal by the run's limits is not the file's failure: no marker (a run with other
      // limits tries it again). Every other failure has one.
      const std::string reason = failure["reason"];
      const bool transient =
          reason.ends_with("(--max-pixels)") || reason.ends_with("(--max-memory)");
      EXPECT_EQ(fs::exists(thumbnails_folder() + "/" + DesktopFailMarkerName(FileUri(path))),
                !transient)
          << "failure marker for " << EscapePath(path) << " (" << reason << ")";
    }
    EXPECT_EQ(thumbnailed.size(), stats["counts"]["thumbnails"].get<size_t>());
    EXPECT_EQ(thumbnailed.size() + failed.size() + stats["counts"]["not_images"].get<size_t>(),
              views.size());
  }

  // Folders 0700, files 0600, no temporary files left.
  void ExpectModes() {
    size_t files = 0;
    for (const auto& entry : fs::recursive_directory_iterator(thumbnails_folder())) {
      struct stat st;
      ASSERT_EQ(::lstat(entry.path().c_str(), &st), 0);
      EXPECT_NE(entry.path().filename().string()[0], '.') << "left behind: " << entry.path();
      if (S_ISDIR(st.st_mode)) {
        EXPECT_EQ(st.st_mode & 07777, 0700u) << entry.path();
      } else {
        ++files;
        EXPECT_TRUE(S_ISREG(st.st_mode)) << entry.path();
        EXPECT_EQ(st.st_mode & 07777, 0600u) << entry.path();
      }
    }
    struct stat st;
    ASSERT_EQ(::stat(thumbnails_folder().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700u);
    EXPECT_GT(files, 0u);
  }

  std::string photos_, cache_;
};

TEST_F(DesktopCacheTest, GnomeFindsEveryThumbnailOfTheCorpusInEveryFlavour) {
  fs::copy(CorpusPath(), photos_, fs::copy_options::recursive);
  AddAwkwardNames();
  const CommandResult run = Run({"--size", "normal,large,x-large,1024x1024"});
  const Summary summary = ParseSummary(run.err);
  EXPECT_GT(summary.thumbnails, 150);
  EXPECT_GT(summary.failed, 0);
  EXPECT_EQ(summary.unchanged, 0);
  ExpectFactoryFindsEverything({"normal", "large", "x-large", "xx-large"});
  ExpectModes();

  // Every awkward name was thumbnailed, and its text chunks are the standard's.
  const std::vector<ManifestLine> lines = ReadManifest(desktop_manifest());
  const std::set<std::string> sources = Sources(lines);
  for (const std::string& name : kAwkwardNames) {
    const std::string path = photos_ + "/" + name;
    ASSERT_EQ(sources.count(path), 1u) << EscapePath(path);
    const std::string uri = FileUri(path);
    for (const char* flavour : kAllFlavours) {
      const PngFacts facts =
          ReadPngFacts(thumbnails_folder() + "/" + flavour + "/" + DesktopCacheName(uri));
      EXPECT_EQ(Text(facts, "Thumb::URI"), uri);
      EXPECT_EQ(Text(facts, "Thumb::MTime"), std::to_string(MTimeOf(path)));
      EXPECT_EQ(Text(facts, "Thumb::Size"), std::to_string(fs::file_size(path)));
      EXPECT_EQ(Text(facts, "Thumb::Mimetype"), "image/jpeg");
      EXPECT_TRUE(Text(facts, "Software").starts_with("thumbpipe ")) << Text(facts, "Software");
    }
  }
  // The longer side is the flavour's size, aspect kept, never larger than the original.
  const std::string photo = photos_ + "/exif-orientation/Landscape_1.jpg";  // 1800x1200
  const std::string small = photos_ + "/pngsuite/basn2c08.png";             // 32x32
  const std::map<std::string, std::pair<uint32_t, uint32_t>> expected = {{"normal", {128, 85}},
                                                                         {"large", {256, 171}},
                                                                         {"x-large", {512, 341}},
                                                                         {"xx-large", {1024, 683}}};
  for (const auto& [flavour, size] : expected) {
    const PngFacts facts =
        ReadPngFacts(thumbnails_folder() + "/" + flavour + "/" + DesktopCacheName(FileUri(photo)));
    EXPECT_EQ(std::pair(facts.width, facts.height), size) << flavour;
    const PngFacts tiny =
        ReadPngFacts(thumbnails_folder() + "/" + flavour + "/" + DesktopCacheName(FileUri(small)));
    EXPECT_EQ(std::pair(tiny.width, tiny.height), std::pair(32u, 32u)) << flavour;
    EXPECT_EQ(Text(tiny, "Thumb::Mimetype"), "image/png");
  }
  // Portrait photos turn upright: taller than wide.
  const PngFacts portrait =
      ReadPngFacts(thumbnails_folder() + "/normal/" +
                   DesktopCacheName(FileUri(photos_ + "/exif-orientation/Portrait_6.jpg")));
  EXPECT_EQ(std::pair(portrait.width, portrait.height), std::pair(85u, 128u));
}

TEST_F(DesktopCacheTest, TouchedFileIsStaleUntilTheNextRunAndUnchangedRunsDecodeNothing) {
  AddAwkwardNames();
  fs::copy_file(CorpusPath("pngsuite/basn6a08.png"), photos_ + "/alpha.png");
  WriteFile(photos_ + "/notes.txt", "not an image\n");
  const time_t hour_ago = ::time(nullptr) - 3600;
  for (const auto& entry : fs::recursive_directory_iterator(photos_)) {
    SetMTime(entry.path(), hour_ago);
  }
  const CommandResult first = Run();
  EXPECT_EQ(Processed(first.err).size(), kAwkwardNames.size() + 2);
  ExpectFactoryFindsEverything({"normal", "large"});
  ExpectModes();

  const std::string touched = photos_ + "/a&b (1).jpg";
  SetMTime(touched, hour_ago + 60);
  std::map<std::string, FactoryView> views = AskFactory();
  EXPECT_TRUE(views.at(touched).lookup.empty()) << "a touched file's thumbnail must be stale";
  EXPECT_EQ(views.at(photos_ + "/with space.jpg").lookup.size(), 2u);

  const CommandResult second = Run();
  EXPECT_EQ(Processed(second.err), (std::vector<std::string>{"a&b (1).jpg", "notes.txt"}))
      << second.err;
  Summary summary = ParseSummary(second.err);
  EXPECT_EQ(summary.thumbnails, static_cast<long>(kAwkwardNames.size()) + 1);
  EXPECT_EQ(summary.unchanged, static_cast<long>(kAwkwardNames.size()));
  views = AskFactory();
  EXPECT_EQ(views.at(touched).lookup.size(), 2u) << "current again after the next run";
  ExpectFactoryFindsEverything({"normal", "large"});

  // Nothing changed: only the file that is not an image is looked at (it has no thumbnail to
  // be current), and nothing is decoded or written.
  const CommandResult third = Run();
  EXPECT_EQ(Processed(third.err), std::vector<std::string>{"notes.txt"}) << third.err;
  const Json stats = Stats();
  EXPECT_EQ(stats["counts"]["unchanged"], stats["counts"]["thumbnails"]);
  EXPECT_EQ(stats["counts"]["thumbnails"], kAwkwardNames.size() + 1);
  EXPECT_EQ(stats["bytes"]["written"], 0);
  EXPECT_EQ(stats["options"]["layout"], "freedesktop");
  EXPECT_EQ(stats["options"]["flavours"], "normal,large");
  EXPECT_EQ(stats["options"]["output"], thumbnails_folder());
  // --force makes them all again.
  const CommandResult forced = Run({"--force"});
  EXPECT_EQ(Processed(forced.err).size(), kAwkwardNames.size() + 2);
  EXPECT_EQ(ParseSummary(forced.err).unchanged, 0);
}

TEST_F(DesktopCacheTest, FailuresLeaveMarkersTheFactoryAccepts) {
  const std::string jpeg = ReadFile(CorpusPath("exif-orientation/Landscape_1.jpg"));
  const std::string broken = photos_ + "/broken #1.jpg";
  WriteFile(broken, jpeg.substr(0, jpeg.size() / 3));
  fs::copy_file(CorpusPath("pngsuite/basn2c08.png"), photos_ + "/good.png");
  const time_t hour_ago = ::time(nullptr) - 3600;
  SetMTime(broken, hour_ago);
  SetMTime(photos_ + "/good.png", hour_ago);

  const CommandResult first = Run();
  EXPECT_EQ(ParseSummary(first.err).failed, 1) << first.err;
  const std::string uri = FileUri(broken);
  const std::string marker = thumbnails_folder() + "/" + DesktopFailMarkerName(uri);
  ASSERT_TRUE(fs::exists(marker));
  const PngFacts facts = ReadPngFacts(marker);
  EXPECT_EQ(Text(facts, "Thumb::URI"), uri);
  EXPECT_EQ(Text(facts, "Thumb::MTime"), std::to_string(hour_ago));
  EXPECT_EQ(Text(facts, "X-Thumbpipe::Reason"), kBrokenReason);
  ExpectFactoryFindsEverything({"normal", "large"});
  ExpectModes();

  // The factory looks only at its own failures (fail/gnome-thumbnail-factory); put there, our
  // marker is one it takes as valid, and then it would not try the file itself.
  std::map<std::string, FactoryView> views = AskFactory();
  EXPECT_FALSE(views.at(broken).failed);
  EXPECT_TRUE(views.at(broken).can_thumbnail);
  const std::string gnome_fail = thumbnails_folder() + "/fail/gnome-thumbnail-factory";
  fs::create_directories(gnome_fail);
  fs::copy_file(marker, gnome_fail + "/" + DesktopCacheName(uri));
  views = AskFactory();
  EXPECT_TRUE(views.at(broken).failed);
  EXPECT_FALSE(views.at(broken).can_thumbnail);
  EXPECT_FALSE(views.at(photos_ + "/good.png").failed);
  EXPECT_TRUE(views.at(photos_ + "/good.png").can_thumbnail);
  fs::remove_all(gnome_fail);

  // Not tried again while the marker is current, unless asked.
  const CommandResult second = Run();
  EXPECT_TRUE(Processed(second.err).empty()) << second.err;
  EXPECT_EQ(ParseSummary(second.err).skipped_failed, 1);
  EXPECT_EQ(Stats()["failures"][0]["reason"], kBrokenReason);
  const CommandResult retried = Run({"--retry-failed"});
  EXPECT_EQ(Processed(retried.err), std::vector<std::string>{"broken #1.jpg"});
  EXPECT_EQ(ParseSummary(retried.err).skipped_failed, 0);

  // Touched: the marker is stale, so it is tried again.
  SetMTime(broken, hour_ago + 60);
  const CommandResult touched = Run();
  EXPECT_EQ(Processed(touched.err), std::vector<std::string>{"broken #1.jpg"});
  EXPECT_EQ(Text(ReadPngFacts(marker), "Thumb::MTime"), std::to_string(hour_ago + 60));

  // Mended: a thumbnail, and the stale marker is gone.
  WriteFile(broken, jpeg);
  SetMTime(broken, hour_ago + 120);
  const CommandResult mended = Run();
  EXPECT_EQ(ParseSummary(mended.err).failed, 0) << mended.err;
  EXPECT_FALSE(fs::exists(marker));
  views = AskFactory();
  EXPECT_EQ(views.at(broken).lookup.size(), 2u);
  ExpectModes();
}

// --max-pixels and --max-memory are the run's limits, not the file's fault: an image refused by
// them gets no marker, and a run with a larger limit makes its thumbnails without
// --retry-failed. A damaged file beside it still gets its marker and is passed over.
TEST_F(DesktopCacheTest, FileRefusedByTheRunsLimitsGetsNoMarkerAndIsTriedAgain) {
  const std::string jpeg = ReadFile(CorpusPath("exif-orientation/Landscape_1.jpg"));
  const std::string large = photos_ + "/large.jpg";    // 1800x1200
  const std::string broken = photos_ + "/broken.png";  // 32x32, within the limit
  const std::string png = ReadFile(CorpusPath("pngsuite/basn2c08.png"));
  WriteFile(large, jpeg);
  WriteFile(broken, png.substr(0, png.size() / 2));
  const time_t hour_ago = ::time(nullptr) - 3600;
  SetMTime(large, hour_ago);
  SetMTime(broken, hour_ago);

  const CommandResult limited = Run({"--max-pixels", "1000000"});
  EXPECT_EQ(ParseSummary(limited.err).failed, 2) << limited.err;
  EXPECT_NE(limited.err.find("(--max-pixels)"), std::string::npos) << limited.err;
  EXPECT_FALSE(fs::exists(thumbnails_folder() + "/" + DesktopFailMarkerName(FileUri(large))));
  EXPECT_TRUE(fs::exists(thumbnails_folder() + "/" + DesktopFailMarkerName(FileUri(broken))));

  const CommandResult unlimited = Run();
  EXPECT_EQ(Processed(unlimited.err), std::vector<std::string>{"large.jpg"}) << unlimited.err;
  const Summary summary = ParseSummary(unlimited.err);
  EXPECT_EQ(summary.thumbnails, 1) << unlimited.err;
  EXPECT_EQ(summary.skipped_failed, 1);  // the damaged file, counted as failed
  EXPECT_EQ(AskFactory().at(large).lookup.size(), 2u);
}

TEST_F(DesktopCacheTest, FileItsWorkerCrashedOnGetsAMarkerAndIsNotTriedAgain) {
  fs::copy_file(CorpusPath("pngsuite/basn2c08.png"), photos_ + "/poison.png");
  fs::copy_file(CorpusPath("pngsuite/basn2c08.png"), photos_ + "/good.png");
  const time_t hour_ago = ::time(nullptr) - 3600;
  SetMTime(photos_ + "/poison.png", hour_ago);
  SetMTime(photos_ + "/good.png", hour_ago);
  const StandInRoles roles;
  CommandOptions options = Env();
  for (const auto& [key, value] : roles.env("crash-on=poison")) options.env[key] = value;
  const std::vector<std::string> args = {"--layout", "freedesktop", "-v", "-j", "2", photos_};
  const CommandResult first = Thumbpipe(args, options);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(ParseSummary(first.err).failed, 1);
  const std::string marker =
      thumbnails_folder() + "/" + DesktopFailMarkerName(FileUri(photos_ + "/poison.png"));
  ASSERT_TRUE(fs::exists(marker)) << first.err;
  const PngFacts facts = ReadPngFacts(marker);
  EXPECT_EQ(Text(facts, "Thumb::MTime"), std::to_string(hour_ago));
  EXPECT_EQ(Text(facts, "X-Thumbpipe::Reason"),
            "the worker was killed by signal 11 (Segmentation fault) while decoding it");
  ExpectModes();

  const CommandResult second = Thumbpipe(args, options);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(Processed(second.err).empty()) << second.err;
  const Summary summary = ParseSummary(second.err);
  EXPECT_EQ(summary.skipped_failed, 1);
  EXPECT_EQ(summary.unchanged, 1);
}

TEST_F(DesktopCacheTest, CacheFollowsHomeWhenXdgCacheHomeIsUnsetOrRelative) {
  fs::copy_file(CorpusPath("pngsuite/basn2c08.png"), photos_ + "/good.png");
  for (const char* xdg : {"", "relative/cache"}) {
    CommandOptions options;
    options.env["HOME"] = work() / "home";
    options.env["XDG_CACHE_HOME"] = xdg;
    const CommandResult run = Thumbpipe({"--layout", "freedesktop", photos_}, options);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_TRUE(fs::exists(work() / "home/.cache/thumbnails/normal/" +
                           DesktopCacheName(FileUri(photos_ + "/good.png"))));
    EXPECT_FALSE(fs::exists(work() / "relative"));
    fs::remove_all(work() / "home");
  }
}

}  // namespace
}  // namespace thumbpipe::testing
