#include "producer/walker.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/support.h"

namespace thumbpipe {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::TempDir;
using testing::WriteFile;

struct Walk {
  std::vector<std::string> files, skipped, problems;
  std::map<std::string, struct stat> stats;  // of each file, as the walk handed it over
};

Walk WalkAll(const std::string& root, SymlinkPolicy symlinks = SymlinkPolicy::kAll) {
  Walk walk;
  WalkCallbacks callbacks;
  callbacks.file = [&](const std::string& path, const struct stat& st) {
    walk.files.push_back(path);
    walk.stats[path] = st;
    return true;
  };
  callbacks.skipped = [&](const std::string& m) { walk.skipped.push_back(m); };
  callbacks.problem = [&](const std::string& m) { walk.problems.push_back(m); };
  EXPECT_TRUE(WalkTree(root, callbacks, {}, symlinks));
  return walk;
}

TEST(WalkTree, ReportsRegularFilesInNameOrder) {
  TempDir dir;
  std::filesystem::create_directories(dir / "b/c");
  WriteFile(dir / "z.jpg", "");
  WriteFile(dir / "a.jpg", "");
  WriteFile(dir / "b/c/deep.png", "");
  WriteFile(dir / "b/x", "");
  const Walk walk = WalkAll(dir.path());
  EXPECT_THAT(walk.files,
              ElementsAre(dir / "a.jpg", dir / "b/c/deep.png", dir / "b/x", dir / "z.jpg"));
  EXPECT_TRUE(walk.problems.empty());
}

TEST(WalkTree, SkipsSpecialFilesAndSymlinkedFolders) {
  TempDir dir;
  std::filesystem::create_directories(dir / "real");
  WriteFile(dir / "real/photo.jpg", "");
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  const int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string sock_path = dir / "sock";
  ASSERT_LT(sock_path.size(), sizeof address.sun_path);
  std::strcpy(address.sun_path, sock_path.c_str());
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ::close(sock);
  std::filesystem::create_directory_symlink(dir / "real", dir / "link-to-folder");
  std::filesystem::create_directory_symlink(dir.path(), dir / "real/loop");
  std::filesystem::create_symlink(dir / "real/photo.jpg", dir / "link-to-file.jpg");
  std::filesystem::create_symlink("dangling-target", dir / "dangling.jpg");
  std::filesystem::create_symlink(dir / "self", dir / "self");

  const Walk walk = WalkAll(dir.path());
  // Symlinks to files are files; dangling ones and loops go to a worker, which says why.
  EXPECT_THAT(walk.files, ElementsAre(dir / "dangling.jpg", dir / "link-to-file.jpg",
                                      dir / "real/photo.jpg", dir / "self"));
  EXPECT_THAT(walk.skipped,
              ElementsAre("skipping FIFO '" + (dir / "fifo") + "'",
                          "not following symlinked folder '" + (dir / "link-to-folder") + "'",
                          "not following symlinked folder '" + (dir / "real/loop") + "'",
                          "skipping socket '" + (dir / "sock") + "'"));
}

// Root reads everything, so the unreadable-folder case runs as nobody in a child process.
TEST(WalkTree, UnreadableFolderIsReportedAndSkipped) {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  std::filesystem::create_directories(dir / "locked");
  WriteFile(dir / "locked/secret.jpg", "");
  WriteFile(dir / "open.jpg", "");
  ::chmod((dir / "locked").c_str(), 0);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(10);
    Walk walk;
    WalkCallbacks callbacks;
    callbacks.file = [&](const std::string& path, const struct stat&) {
      walk.files.push_back(path);
      return true;
    };
    callbacks.skipped = [](const std::string&) {};
    callbacks.problem = [&](const std::string& m) { walk.problems.push_back(m); };
    WalkTree(dir.path(), callbacks);
    std::string report;
    for (const auto& f : walk.files) report += "file " + f + "\n";
    for (const auto& p : walk.problems) report += "problem " + p + "\n";
    (void)!::write(pipe_fds[1], report.data(), report.size());
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string report;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) report.append(buffer, n);
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(report, "file " + (dir / "open.jpg") + "\nproblem cannot open folder '" +
                        (dir / "locked") + "': Permission denied\n");
}

TEST(WalkTree, PathsLongerThanPathMaxAreWalked) {
  TempDir dir;
  // Build a chain of folders whose full path passes 4096 bytes, relative to an open folder
  // since the full path is too long for the kernel.
  std::string path = dir.path();
  int fd = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY);
  const std::string name(200, 'd');
  while (path.size() < 4500) {
    ASSERT_EQ(::mkdirat(fd, name.c_str(), 0755), 0);
    const int next = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY);
    ::close(fd);
    fd = next;
    path += "/" + name;
  }
  const int file = ::openat(fd, "deep.jpg", O_WRONLY | O_CREAT, 0644);
  ::close(file);
  ::close(fd);
  const Walk walk = WalkAll(dir.path());
  ASSERT_EQ(walk.files.size(), 1u);
  EXPECT_EQ(walk.files[0], path + "/deep.jpg");
  EXPECT_TRUE(walk.problems.empty());
}

TEST(WalkTree, StopsWhenTold) {
  TempDir dir;
  for (const char* name : {"a", "b", "c"}) WriteFile(dir / name, "");
  int calls = 0;
  WalkCallbacks callbacks;
  callbacks.file = [&](const std::string&, const struct stat&) { return ++calls < 2; };
  callbacks.skipped = callbacks.problem = [](const std::string&) {};
  EXPECT_FALSE(WalkTree(dir.path(), callbacks));
  EXPECT_EQ(calls, 2);
}

TEST(WalkTree, MissingRootIsAProblem) {
  TempDir dir;
  const Walk walk = WalkAll(dir / "missing");
  EXPECT_TRUE(walk.files.empty());
  EXPECT_THAT(walk.problems, ElementsAre(HasSubstr("No such file or directory")));
}

// The identity of a file as incremental runs see it.
bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

struct stat StatOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st;
}

TEST(WalkTree, HandsOverTheStatOfWhatEachPathResolvesTo) {
  TempDir dir;
  WriteFile(dir / "photo.jpg", "12345");
  WriteFile(dir / "target.jpg", "123");
  std::filesystem::create_symlink("target.jpg", dir / "link.jpg");
  std::filesystem::create_symlink("gone.jpg", dir / "dangling.jpg");
  const Walk walk = WalkAll(dir.path());
  ASSERT_THAT(walk.files, ElementsAre(dir / "dangling.jpg", dir / "link.jpg", dir / "photo.jpg",
                                      dir / "target.jpg"));
  EXPECT_TRUE(SameFile(walk.stats.at(dir / "photo.jpg"), StatOf(dir / "photo.jpg")));
  EXPECT_EQ(walk.stats.at(dir / "photo.jpg").st_size, 5);
  // A link's is its target's.
  EXPECT_TRUE(SameFile(walk.stats.at(dir / "link.jpg"), StatOf(dir / "target.jpg")));
  EXPECT_TRUE(S_ISREG(walk.stats.at(dir / "link.jpg").st_mode));
  // Nothing to stat: all zero, and the worker says why.
  EXPECT_EQ(walk.stats.at(dir / "dangling.jpg").st_ino, 0u);
  EXPECT_EQ(walk.stats.at(dir / "dangling.jpg").st_mode, 0u);
}

// A ROOT ("photos") holding symlinks of every kind, beside files outside it:
//   base/outside.jpg, base/photos2/prefix.jpg, base/elsewhere/in-folder.jpg
//   base/hop.jpg -> photos/a.jpg                 outside ROOT, leading back in
//   base/photos/a.jpg, base/photos/sub/b.jpg     plain files
//   photos/inside.jpg -> <base>/photos/a.jpg     absolute, inside
//   photos/relative.jpg -> sub/b.jpg             relative, inside
//   photos/sub/climb.jpg -> ../../outside.jpg    relative, climbing out
//   photos/outside.jpg -> <base>/outside.jpg     absolute, outside
//   photos/prefix.jpg -> <base>/photos2/...      outside, though its path starts like ROOT's
//   photos/chain-in.jpg -> inside.jpg            a chain that stays inside
//   photos/chain-out.jpg -> outside.jpg          a chain that ends outside
//   photos/back-in.jpg -> <base>/hop.jpg         a chain that leaves ROOT but ends inside
//   photos/folder -> <base>/elsewhere            a folder outside
//   photos/proc-root.jpg -> /proc/self/root<base>/outside.jpg
//   photos/proc-cwd.jpg -> /proc/self/cwd/<the way from here>/outside.jpg
//   photos/proc-inside.jpg -> /proc/self/root<base>/photos/a.jpg
//   photos/dangling.jpg -> nowhere.jpg
class WalkSymlinksTest : public ::testing::Test {
 protected:
  WalkSymlinksTest() {
    namespace fs = std::filesystem;
    fs::create_directories(base_ / "photos/sub");
    fs::create_directories(base_ / "photos2");
    fs::create_directories(base_ / "elsewhere");
    WriteFile(base_ / "outside.jpg", "outside");
    WriteFile(base_ / "photos2/prefix.jpg", "prefix");
    WriteFile(base_ / "elsewhere/in-folder.jpg", "in folder");
    WriteFile(In("a.jpg"), "a");
    WriteFile(In("sub/b.jpg"), "bb");
    fs::create_symlink(In("a.jpg"), base_ / "hop.jpg");
    fs::create_symlink(In("a.jpg"), In("inside.jpg"));
    fs::create_symlink("sub/b.jpg", In("relative.jpg"));
    fs::create_symlink("../../outside.jpg", In("sub/climb.jpg"));
    fs::create_symlink(base_ / "outside.jpg", In("outside.jpg"));
    fs::create_symlink(base_ / "photos2/prefix.jpg", In("prefix.jpg"));
    fs::create_symlink("inside.jpg", In("chain-in.jpg"));
    fs::create_symlink("outside.jpg", In("chain-out.jpg"));
    fs::create_symlink(base_ / "hop.jpg", In("back-in.jpg"));
    fs::create_directory_symlink(base_ / "elsewhere", In("folder"));
    fs::create_symlink("/proc/self/root" + (base_ / "outside.jpg"), In("proc-root.jpg"));
    fs::create_symlink(
        "/proc/self/cwd/" + fs::relative(base_ / "outside.jpg", fs::current_path()).string(),
        In("proc-cwd.jpg"));
    fs::create_symlink("/proc/self/root" + In("a.jpg"), In("proc-inside.jpg"));
    fs::create_symlink("nowhere.jpg", In("dangling.jpg"));
    real_base_ = fs::canonical(base_.path());
  }

  std::string root() const { return base_ / "photos"; }
  std::string In(const std::string& name) const { return base_ / ("photos/" + name); }
  // What --symlinks inside says of `link` in ROOT, which leads to `target` in base.
  std::string LeadsOut(const std::string& link, const std::string& target) const {
    return "not following symlink '" + In(link) + "': its target '" + real_base_ + "/" + target +
           "' lies outside ROOT (--symlinks inside)";
  }

  TempDir base_;
  std::string real_base_;  // base_, every symlink resolved
};

TEST_F(WalkSymlinksTest, AllFollowsEveryLinkToAFileWhereverItPoints) {
  const Walk walk = WalkAll(root(), SymlinkPolicy::kAll);
  EXPECT_THAT(walk.files,
              ElementsAre(In("a.jpg"), In("back-in.jpg"), In("chain-in.jpg"), In("chain-out.jpg"),
                          In("dangling.jpg"), In("inside.jpg"), In("outside.jpg"), In("prefix.jpg"),
                          In("proc-cwd.jpg"), In("proc-inside.jpg"), In("proc-root.jpg"),
                          In("relative.jpg"), In("sub/b.jpg"), In("sub/climb.jpg")));
  EXPECT_THAT(walk.skipped, ElementsAre("not following symlinked folder '" + In("folder") + "'"));
  EXPECT_TRUE(SameFile(walk.stats.at(In("proc-root.jpg")), StatOf(base_ / "outside.jpg")));
  EXPECT_TRUE(walk.problems.empty());
}

TEST_F(WalkSymlinksTest, InsideFollowsOnlyLinksThatResolveInsideRoot) {
  const Walk walk = WalkAll(root(), SymlinkPolicy::kInside);
  EXPECT_THAT(walk.files,
              ElementsAre(In("a.jpg"), In("back-in.jpg"), In("chain-in.jpg"), In("inside.jpg"),
                          In("proc-inside.jpg"), In("relative.jpg"), In("sub/b.jpg")));
  EXPECT_THAT(
      walk.skipped,
      ElementsAre(LeadsOut("chain-out.jpg", "outside.jpg"),
                  "not following symlink '" + In("dangling.jpg") +
                      "': cannot resolve it: No such file or directory (--symlinks inside)",
                  LeadsOut("folder", "elsewhere"), LeadsOut("outside.jpg", "outside.jpg"),
                  LeadsOut("prefix.jpg", "photos2/prefix.jpg"),
                  LeadsOut("proc-cwd.jpg", "outside.jpg"), LeadsOut("proc-root.jpg", "outside.jpg"),
                  LeadsOut("sub/climb.jpg", "outside.jpg")));
  // A followed link hands over its target's stat.
  for (const char* link : {"back-in.jpg", "chain-in.jpg", "inside.jpg", "proc-inside.jpg"}) {
    EXPECT_TRUE(SameFile(walk.stats.at(In(link)), StatOf(In("a.jpg")))) << link;
  }
  EXPECT_TRUE(SameFile(walk.stats.at(In("relative.jpg")), StatOf(In("sub/b.jpg"))));
  EXPECT_TRUE(walk.problems.empty());
}

TEST_F(WalkSymlinksTest, NoneFollowsNoLink) {
  const Walk walk = WalkAll(root(), SymlinkPolicy::kNone);
  EXPECT_THAT(walk.files, ElementsAre(In("a.jpg"), In("sub/b.jpg")));
  std::vector<std::string> expected;
  for (const char* link : {"back-in.jpg", "chain-in.jpg", "chain-out.jpg", "dangling.jpg", "folder",
                           "inside.jpg", "outside.jpg", "prefix.jpg", "proc-cwd.jpg",
                           "proc-inside.jpg", "proc-root.jpg", "relative.jpg", "sub/climb.jpg"}) {
    expected.push_back("not following symlink '" + In(link) + "' (--symlinks none)");
  }
  EXPECT_EQ(walk.skipped, expected);
  EXPECT_TRUE(walk.problems.empty());
}

// ROOT reached through a symlink (as /home -> /data/home) is resolved once: links into its
// real path, or through the same symlink, are inside.
TEST_F(WalkSymlinksTest, InsideResolvesRootGivenThroughASymlink) {
  std::filesystem::create_directory_symlink(base_ / "photos", base_ / "alias");
  std::filesystem::create_symlink(base_ / "alias/a.jpg", In("via-alias.jpg"));
  const std::string alias = base_ / "alias";
  const Walk walk = WalkAll(alias, SymlinkPolicy::kInside);
  EXPECT_THAT(walk.files,
              ElementsAre(alias + "/a.jpg", alias + "/back-in.jpg", alias + "/chain-in.jpg",
                          alias + "/inside.jpg", alias + "/proc-inside.jpg",
                          alias + "/relative.jpg", alias + "/sub/b.jpg", alias + "/via-alias.jpg"));
  EXPECT_THAT(
      walk.skipped,
      ::testing::Contains("not following symlink '" + alias + "/outside.jpg': its target '" +
                          real_base_ + "/outside.jpg' lies outside ROOT (--symlinks inside)"));
  EXPECT_TRUE(walk.problems.empty());
}

}  // namespace
}  // namespace thumbpipe

namespace thumbpipe {
namespace {

TEST(WalkTree, FilesNotWantedAreNeitherReportedNorFollowed) {
  TempDir dir;
  std::filesystem::create_directories(dir / "sub");
  WriteFile(dir / "a.jpg", "");
  WriteFile(dir / "sub/b.jpg", "");
  ASSERT_EQ(::symlink("/nonexistent", (dir / "dangling.jpg").c_str()), 0);
  std::vector<std::string> asked, files;
  WalkCallbacks callbacks;
  callbacks.wanted = [&](const std::string& path) {
    asked.push_back(path);
    return path.ends_with("b.jpg");
  };
  callbacks.file = [&](const std::string& path, const struct stat&) {
    files.push_back(path);
    return true;
  };
  callbacks.skipped = [](const std::string&) {};
  callbacks.problem = [](const std::string&) {};
  EXPECT_TRUE(WalkTree(dir.path(), callbacks));
  // The dangling link is not wanted, so not reported (as a file the worker would fail on).
  EXPECT_THAT(files, ElementsAre(dir / "sub/b.jpg"));
  EXPECT_THAT(asked, ElementsAre(dir / "a.jpg", dir / "dangling.jpg", dir / "sub/b.jpg"));
}

}  // namespace
}  // namespace thumbpipe
