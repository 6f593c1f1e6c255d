#include "producer/file_list.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/support/support.h"

namespace thumbpipe {
namespace {

using testing::TempDir;
using testing::WriteFile;

std::vector<std::string> ReadAll(const std::string& text, bool nul) {
  TempDir dir;
  WriteFile(dir / "list", text);
  std::unique_ptr<FileList> list;
  EXPECT_TRUE(FileList::Open(dir / "list", nul, &list).ok());
  std::vector<std::string> entries;
  std::string entry;
  while (list->Next(&entry)) entries.push_back(entry);
  EXPECT_TRUE(list->status().ok());
  return entries;
}

TEST(FileListTest, NewlinesOrNuls) {
  EXPECT_EQ(ReadAll("a.jpg\nb c.jpg\n\n/x/y.jpg", false),
            (std::vector<std::string>{"a.jpg", "b c.jpg", "/x/y.jpg"}));
  EXPECT_EQ(ReadAll(std::string("a\nb.jpg\0c.jpg\0", 15), true),
            (std::vector<std::string>{"a\nb.jpg", "c.jpg"}));
  EXPECT_EQ(ReadAll("", false), std::vector<std::string>{});
  // Longer than one read.
  std::string many;
  for (int i = 0; i < 20000; ++i) many += "folder/file" + std::to_string(i) + ".jpg\n";
  const std::vector<std::string> entries = ReadAll(many, false);
  ASSERT_EQ(entries.size(), 20000u);
  EXPECT_EQ(entries[19999], "folder/file19999.jpg");
}

TEST(FileListTest, AListThatCannotBeOpened) {
  std::unique_ptr<FileList> list;
  const Status status = FileList::Open("/nonexistent/list", false, &list);
  EXPECT_EQ(status.message(),
            "cannot read --files-from '/nonexistent/list': No such file or directory");
}

class ListResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::mkdir((dir_ / "root").c_str(), 0755);
    ::mkdir((dir_ / "root/sub").c_str(), 0755);
    ::mkdir((dir_ / "outside").c_str(), 0755);
    WriteFile(dir_ / "root/a.jpg", "a");
    WriteFile(dir_ / "root/sub/b.jpg", "b");
    WriteFile(dir_ / "outside/secret.jpg", "s");
    ASSERT_EQ(::symlink((dir_ / "outside").c_str(), (dir_ / "root/linked").c_str()), 0);
    ASSERT_EQ(::symlink((dir_ / "outside/secret.jpg").c_str(), (dir_ / "root/out.jpg").c_str()), 0);
    ASSERT_EQ(::symlink("sub/b.jpg", (dir_ / "root/in.jpg").c_str()), 0);
  }
  ListedFile Resolve(const std::string& entry, SymlinkPolicy policy = SymlinkPolicy::kAll) {
    ListResolver resolver(root(), policy,
                          [this](const std::string& message) { skipped_.push_back(message); });
    return resolver.Resolve(entry);
  }
  std::string root() const { return dir_ / "root"; }
  TempDir dir_;
  std::vector<std::string> skipped_;
};

TEST_F(ListResolverTest, RelativeAndAbsolutePathsInsideRootAreNamedAsTheWalkNamesThem) {
  for (const std::string& entry : std::vector<std::string>{
           "sub/b.jpg", "./sub//b.jpg", "sub/../sub/b.jpg", root() + "/sub/b.jpg"}) {
    const ListedFile file = Resolve(entry);
    EXPECT_EQ(file.kind, ListedFile::Kind::kFile) << entry << ": " << file.reason;
    EXPECT_EQ(file.path, root() + "/sub/b.jpg") << entry;
    EXPECT_EQ(file.relative, "sub/b.jpg") << entry;
    EXPECT_EQ(file.st.st_size, 1) << entry;
  }
  ListResolver resolver(root(), SymlinkPolicy::kAll, [](const std::string&) {});
  EXPECT_EQ(resolver.Resolve("a.jpg").kind, ListedFile::Kind::kFile);
  EXPECT_EQ(resolver.Resolve("sub/b.jpg").kind, ListedFile::Kind::kFile);
  EXPECT_EQ(resolver.Resolve("sub/b.jpg").kind, ListedFile::Kind::kFile);  // the cached folder
}

TEST_F(ListResolverTest, OutsideRootIsFailedAndNeverFollowed) {
  const std::string outside_reason =
      "listed in --files-from, but it lies outside ROOT '" + root() + "'; not followed";
  for (const std::string& entry :
       {dir_ / "outside/secret.jpg", std::string("../outside/secret.jpg"),
        std::string("sub/../../outside/secret.jpg"), std::string("/etc/passwd")}) {
    const ListedFile file = Resolve(entry);
    EXPECT_EQ(file.kind, ListedFile::Kind::kFailed) << entry;
    EXPECT_EQ(file.reason, outside_reason) << entry;
    EXPECT_EQ(file.relative, file.path) << entry;
  }
  // Through a symlinked folder: never followed, whatever the policy.
  const ListedFile linked = Resolve("linked/secret.jpg");
  EXPECT_EQ(linked.kind, ListedFile::Kind::kFailed);
  EXPECT_EQ(linked.reason, "listed in --files-from, but its folder '" + root() +
                               "/linked' is a symlink, which thumbpipe never follows");
  EXPECT_EQ(Resolve(".").reason, "listed in --files-from, but it is ROOT itself, a folder");
}

TEST_F(ListResolverTest, MissingFilesAndFoldersAreFailed) {
  EXPECT_EQ(Resolve("nope.jpg").reason, "listed in --files-from, but there is no such file");
  EXPECT_EQ(Resolve("nope/b.jpg").reason, "listed in --files-from, but there is no such file");
  EXPECT_EQ(Resolve("a.jpg/b.jpg").reason,
            "listed in --files-from, but '" + root() + "/a.jpg' is not a folder");
  EXPECT_EQ(Resolve("sub").reason,
            "listed in --files-from, but it is a folder (list the files in it)");
  EXPECT_EQ(Resolve("sub").kind, ListedFile::Kind::kFailed);
}

TEST_F(ListResolverTest, TheSymlinkPolicyApplies) {
  EXPECT_EQ(Resolve("out.jpg", SymlinkPolicy::kAll).kind, ListedFile::Kind::kFile);
  EXPECT_EQ(Resolve("out.jpg", SymlinkPolicy::kInside).kind, ListedFile::Kind::kSkipped);
  EXPECT_EQ(Resolve("in.jpg", SymlinkPolicy::kInside).kind, ListedFile::Kind::kFile);
  EXPECT_EQ(Resolve("in.jpg", SymlinkPolicy::kNone).kind, ListedFile::Kind::kSkipped);
  ASSERT_EQ(skipped_.size(), 2u);
  EXPECT_EQ(skipped_[0], "not following symlink '" + root() + "/out.jpg': its target '" +
                             dir_ / "outside/secret.jpg" +
                             "' lies outside ROOT (--symlinks inside)");
  EXPECT_EQ(skipped_[1], "not following symlink '" + root() + "/in.jpg' (--symlinks none)");
}

TEST_F(ListResolverTest, WhatIsNotWantedIsNotLookedAt) {
  ListResolver resolver(root(), SymlinkPolicy::kAll, [](const std::string&) {});
  std::vector<std::string> asked;
  const auto only_a = [&asked](std::string_view relative) {
    asked.emplace_back(relative);
    return relative == "a.jpg";
  };
  EXPECT_EQ(resolver.Resolve("a.jpg", only_a).kind, ListedFile::Kind::kFile);
  // Missing, or outside ROOT: another shard's to report.
  EXPECT_EQ(resolver.Resolve("nope/missing.jpg", only_a).kind, ListedFile::Kind::kNotWanted);
  EXPECT_EQ(resolver.Resolve("/etc/passwd", only_a).kind, ListedFile::Kind::kNotWanted);
  EXPECT_EQ(asked, (std::vector<std::string>{"a.jpg", "nope/missing.jpg", "/etc/passwd"}));
}

}  // namespace
}  // namespace thumbpipe
