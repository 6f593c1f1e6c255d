// What a person or journald sees on stderr, end to end: the progress line on a real terminal
// (tmux) and log lines with syslog priorities when stderr is systemd's journal.
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <gmock/gmock.h>

#include "tests/e2e/e2e.h"

namespace thumbpipe::testing {
namespace {

using ::testing::HasSubstr;

const std::regex kProgressLine(
    R"(^thumbpipe: [0-9]+ found( so far)?, [0-9]+ done, [0-9]+ failed(, [0-9.]+ files/s)?, )"
    R"([0-9:]+( s)? elapsed(, about [0-9:]+( s)? left)?$)");
const std::regex kSummaryLine(
    R"(^thumbpipe: Finished in [0-9]+\.[0-9]+ s: [0-9]+ thumbnails, [0-9]+ not images, [0-9]+ failed$)");

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// ---- The progress line on a terminal ----

class TerminalTest : public E2eTest {
 protected:
  ~TerminalTest() override {
    if (started_) Tmux({"kill-server"});
  }
  CommandResult Tmux(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/bin/sh", "-c", R"(exec tmux -S "$0" "$@")",
                                     terminal_ / "tmux.socket"};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandOptions options;
    options.timeout = std::chrono::seconds(20);
    return RunCommand(argv, options);
  }
  // The screen as a person sees it: its lines without trailing blanks, empty ones left out.
  std::vector<std::string> Screen() {
    std::vector<std::string> screen;
    for (std::string line : Lines(Tmux({"capture-pane", "-p", "-t", "run"}).out)) {
      line.erase(line.find_last_not_of(' ') + 1);
      if (!line.empty()) screen.push_back(line);
    }
    return screen;
  }
  // Runs thumbpipe with `args` in a new 160x40 terminal, then says how it exited.
  void StartInTerminal(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env) {
    std::string script = fmt::format("cd '{}' || exit\n", work().path());
    for (const auto& [key, value] : env) script += fmt::format("export {}='{}'\n", key, value);
    script += "'" + LauncherPath() + "'";
    for (const std::string& arg : args) script += " '" + arg + "'";
    script += "\necho \"exit status $?\"\nexec sleep 120\n";
    WriteFile(terminal_ / "run.sh", script);
    const CommandResult started = Tmux({"new-session", "-d", "-s", "run", "-x", "160", "-y", "40",
                                        "sh " + (terminal_ / "run.sh")});
    ASSERT_EQ(started.exit_code, 0) << "is tmux installed? " << started.err;
    started_ = true;
  }

  TempDir terminal_;
  bool started_ = false;
};

TEST_F(TerminalTest, OneProgressLineWhileRunningAndACleanScreenAtTheEnd) {
  TempDir photos;
  MakePhotos(photos, 100);
  StandInRoles roles;
  // Two workers at 40 ms a file: two seconds or so, time for twenty redraws.
  StartInTerminal({photos.path(), "2"}, roles.env("slow=40"));
  if (HasFatalFailure()) return;

  std::vector<std::string> progress_seen;
  bool estimate_seen = false;
  std::vector<std::string> screen;
  const bool ended = WaitFor(
      [&] {
        screen = Screen();
        for (const std::string& line : screen) {
          if (!std::regex_match(line, kProgressLine)) continue;
          progress_seen.push_back(line);
          estimate_seen = estimate_seen || line.find(" left") != std::string::npos;
        }
        return !screen.empty() && screen.back().starts_with("exit status ");
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(ended) << ::testing::PrintToString(screen);

  ASSERT_FALSE(progress_seen.empty()) << "no progress line was ever on the screen";
  EXPECT_THAT(progress_seen.front(), ::testing::StartsWith("thumbpipe: "));
  EXPECT_TRUE(estimate_seen) << "no estimate of the time left; last line seen: "
                             << progress_seen.back();
  // At the end: the failure's log line whole, the summary, nothing of the progress line.
  const std::vector<std::string> expected = {
      "thumbpipe-sink: failed: '" + (photos / "broken.jpg") + "': " + kBrokenReason, "SUMMARY",
      "exit status 0"};
  ASSERT_EQ(screen.size(), expected.size()) << ::testing::PrintToString(screen);
  EXPECT_EQ(screen[0], expected[0]);
  EXPECT_TRUE(std::regex_match(screen[1], kSummaryLine)) << screen[1];
  EXPECT_THAT(screen[1], ::testing::EndsWith(": 100 thumbnails, 0 not images, 1 failed"));
  EXPECT_EQ(screen[2], expected[2]);
}

TEST_F(TerminalTest, NoProgressLeavesOnlyTheLogLines) {
  TempDir photos;
  MakePhotos(photos, 20);
  StandInRoles roles;
  StartInTerminal({"--no-progress", photos.path(), "2"}, roles.env("slow=40"));
  if (HasFatalFailure()) return;
  std::vector<std::string> screen;
  bool progress_seen = false;
  ASSERT_TRUE(WaitFor(
      [&] {
        screen = Screen();
        for (const std::string& line : screen)
          progress_seen = progress_seen || std::regex_match(line, kProgressLine);
        return !screen.empty() && screen.back().starts_with("exit status ");
      },
      std::chrono::seconds(60)));
  EXPECT_FALSE(progress_seen);
  ASSERT_EQ(screen.size(), 3u) << ::testing::PrintToString(screen);
  EXPECT_TRUE(std::regex_match(screen[1], kSummaryLine)) << screen[1];
}

// ---- Under systemd's journal ----

class JournalTest : public E2eTest {
 protected:
  // Runs thumbpipe with stderr going to a file whose device and inode JOURNAL_STREAM names,
  // as systemd does for a service whose stderr is the journal (or, with `as_journal` false,
  // names another file).
  CommandResult RunUnderJournal(const std::vector<std::string>& args, bool as_journal = true,
                                CommandOptions options = {}) {
    const std::string named = as_journal ? "/dev/stderr" : std::string(other_ / "file");
    WriteFile(other_ / "file", "");
    std::vector<std::string> argv = {
        "/bin/sh", "-c",
        R"(JOURNAL_STREAM=$(stat -L -c %d:%i "$0") && export JOURNAL_STREAM && exec "$@")", named,
        LauncherPath()};
    argv.insert(argv.end(), args.begin(), args.end());
    options.cwd = work().path();
    CommandResult result = RunCommand(argv, options);
    EXPECT_FALSE(result.timed_out) << result.err;
    EXPECT_EQ(ShmObjectsOf(result.pid), std::vector<std::string>{}) << "shared memory left behind";
    return result;
  }
  TempDir other_;
};

TEST_F(JournalTest, EveryLineOfEveryProcessStartsWithItsPriority) {
  TempDir photos;
  MakePhotos(photos, 3);
  WriteFile(photos / "notes.txt", "not an image\n");
  const CommandResult run = RunUnderJournal({"-v", photos.path(), "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<std::string> lines = Lines(run.err);
  ASSERT_FALSE(lines.empty());
  const std::regex kPrefixed(R"(^<[3467]>thumbpipe(-producer|-sink|-worker\[[0-9]+\])?: .+$)");
  for (const std::string& line : lines) EXPECT_TRUE(std::regex_match(line, kPrefixed)) << line;
  EXPECT_THAT(run.err, HasSubstr("<4>thumbpipe-sink: failed: '" + (photos / "broken.jpg") +
                                 "': " + kBrokenReason + "\n"));
  EXPECT_THAT(run.err, HasSubstr("]: Processing file 0001.jpg\n"));
  EXPECT_THAT(run.err, ::testing::ContainsRegex("<7>thumbpipe-worker\\[[01]\\]: Processing file"));
  EXPECT_THAT(run.err, HasSubstr("<7>thumbpipe-sink: not an image: '" + (photos / "notes.txt")));
  // The summary is the last line, an info line.
  EXPECT_TRUE(std::regex_match(lines.back().substr(3), kSummaryLine)) << lines.back();
  EXPECT_TRUE(lines.back().starts_with("<6>")) << lines.back();
}

TEST_F(JournalTest, ErrorsAreErrors) {
  const CommandResult run = RunUnderJournal({"--size", "0x10", work().path()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(run.err.starts_with("<3>thumbpipe: --size")) << run.err;
}

TEST_F(JournalTest, AStderrThatIsNotTheNamedStreamGetsNoPrefixes) {
  TempDir photos;
  MakePhotos(photos, 2);
  const CommandResult run = RunUnderJournal({photos.path(), "2"}, /*as_journal=*/false);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err.find('<'), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find('\033'), std::string::npos) << run.err;
  EXPECT_TRUE(ParseSummary(run.err).found) << run.err;
}

TEST_F(JournalTest, ProgressIsAnInfoLineEveryTenSeconds) {
  TempDir photos;
  MakePhotos(photos, 24);
  StandInRoles roles;
  CommandOptions options;
  options.env = roles.env("slow=500");  // one worker: twelve and a half seconds
  const CommandResult run = RunUnderJournal({photos.path(), "1"}, true, options);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<std::string> progress;
  for (const std::string& line : Lines(run.err)) {
    if (line.starts_with("<6>") && std::regex_match(line.substr(3), kProgressLine))
      progress.push_back(line);
  }
  ASSERT_EQ(progress.size(), 1u) << run.err;
  EXPECT_THAT(progress[0],
              ::testing::MatchesRegex("<6>thumbpipe: 25 found, [0-9]+ done, [01] failed, [0-9.]+ "
                                      "files/s, 10 s elapsed, about [0-9]+ s left"));
  EXPECT_TRUE(Lines(run.err).back().starts_with("<6>thumbpipe: Finished in ")) << run.err;
}

}  // namespace
}  // namespace thumbpipe::testing
