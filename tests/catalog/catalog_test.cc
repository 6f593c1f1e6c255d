#include "catalog/catalog.h"

#include <sqlite3.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "catalog/entry.h"
#include "tests/support/support.h"

namespace thumbpipe {
namespace {

CatalogEntry Entry(std::string path, ResultKind outcome = ResultKind::kThumbnail) {
  CatalogEntry entry;
  entry.path = std::move(path);
  entry.stamp = FileStamp{1234, 1'600'000'000'123'456'789, 0xfedcba9876543210, 2049};
  entry.found_ns = 1'600'000'100'000'000'000;
  entry.settings = "box=200x200 pixels=1";
  entry.outcome = outcome;
  entry.thumbnail = outcome == ResultKind::kThumbnail ? std::string(64, 'a') + ".png" : "";
  entry.reason = outcome == ResultKind::kFailed ? "decode: cut short" : "";
  return entry;
}

std::vector<CatalogEntry> Under(Catalog* catalog, const std::string& root) {
  std::vector<CatalogEntry> entries;
  EXPECT_TRUE(
      catalog->ForEachUnder(root, [&](CatalogEntry&& e) { entries.push_back(std::move(e)); }).ok());
  return entries;
}

// The names among `candidates`, fed in their order, that ForEachUnreferred reports.
std::vector<std::string> Unreferred(Catalog* catalog, const std::vector<std::string>& candidates) {
  size_t next = 0;
  std::vector<std::string> unreferred;
  EXPECT_TRUE(catalog
                  ->ForEachUnreferred(
                      [&](std::string* name) {
                        if (next == candidates.size()) return false;
                        *name = candidates[next++];
                        return true;
                      },
                      [&](const std::string& name) { unreferred.push_back(name); })
                  .ok());
  return unreferred;
}

class CatalogTest : public ::testing::Test {
 protected:
  std::unique_ptr<Catalog> Open(Catalog::Mode mode) {
    std::unique_ptr<Catalog> catalog;
    const Status status = Catalog::Open(path_, mode, &catalog);
    EXPECT_TRUE(status.ok()) << status.message();
    return catalog;
  }
  testing::TempDir dir_;
  std::string path_ = dir_ / "processed.txt.catalog";
};

TEST_F(CatalogTest, MissingCatalogReadsAsEmpty) {
  auto catalog = Open(Catalog::Mode::kRead);
  ASSERT_NE(catalog, nullptr);
  EXPECT_TRUE(catalog->IsEmpty());
  EXPECT_THAT(Under(catalog.get(), "/photos"), ::testing::IsEmpty());
  EXPECT_FALSE(testing::ListFolder(dir_.path()).size() > 0);  // reading creates nothing
}

TEST_F(CatalogTest, EntriesRoundTripOnlyOnceCommitted) {
  auto writer = Open(Catalog::Mode::kWrite);
  const std::string odd = std::string("/photos/a\nb\xff\x01.jpg");
  ASSERT_TRUE(writer->Put(Entry(odd)).ok());
  ASSERT_TRUE(writer->Put(Entry("/photos/bad.jpg", ResultKind::kFailed)).ok());
  // A reader sees nothing of an open transaction.
  EXPECT_THAT(Under(Open(Catalog::Mode::kRead).get(), "/photos"), ::testing::IsEmpty());
  ASSERT_TRUE(writer->Commit().ok());

  const std::vector<CatalogEntry> back = Under(Open(Catalog::Mode::kRead).get(), "/photos");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].path, odd);
  EXPECT_EQ(back[0].stamp, Entry("").stamp);
  EXPECT_EQ(back[0].found_ns, Entry("").found_ns);
  EXPECT_EQ(back[0].settings, "box=200x200 pixels=1");
  EXPECT_EQ(back[0].outcome, ResultKind::kThumbnail);
  EXPECT_EQ(back[0].thumbnail, std::string(64, 'a') + ".png");
  EXPECT_EQ(back[1].outcome, ResultKind::kFailed);
  EXPECT_EQ(back[1].reason, "decode: cut short");
}

TEST_F(CatalogTest, UnderMeansInsideTheFolderOnly) {
  auto writer = Open(Catalog::Mode::kWrite);
  for (const char* path : {"/photos/a.jpg", "/photos/sub/b.jpg", "/photos2/c.jpg",
                           "/photos.old/d.jpg", "/photo/e.jpg", "/other/f.jpg"}) {
    ASSERT_TRUE(writer->Put(Entry(path)).ok());
  }
  ASSERT_TRUE(writer->Commit().ok());
  std::vector<std::string> paths;
  for (const CatalogEntry& e : Under(writer.get(), "/photos")) paths.push_back(e.path);
  EXPECT_THAT(paths, ::testing::ElementsAre("/photos/a.jpg", "/photos/sub/b.jpg"));
  EXPECT_EQ(Under(writer.get(), "/").size(), 6u);
}

TEST_F(CatalogTest, PutReplacesRemoveForgets) {
  auto writer = Open(Catalog::Mode::kWrite);
  ASSERT_TRUE(writer->Put(Entry("/p/a.jpg")).ok());
  ASSERT_TRUE(writer->Put(Entry("/p/b.jpg")).ok());
  CatalogEntry changed = Entry("/p/a.jpg", ResultKind::kNotImage);
  changed.reason = "not an image";
  ASSERT_TRUE(writer->Put(changed).ok());
  ASSERT_TRUE(writer->Remove("/p/b.jpg").ok());
  ASSERT_TRUE(writer->Commit().ok());
  const std::vector<CatalogEntry> back = Under(writer.get(), "/p");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].outcome, ResultKind::kNotImage);
  // a.jpg's thumbnail was replaced: its name is no longer referred to.
  const std::vector<std::string> candidates = {Entry("/p/a.jpg").thumbnail, "other.png"};
  const std::vector<std::string> unreferred = Unreferred(writer.get(), candidates);
  std::vector<std::string> expected = candidates;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(unreferred, expected);
}

TEST_F(CatalogTest, FindLooksUpOnePath) {
  auto writer = Open(Catalog::Mode::kWrite);
  ASSERT_TRUE(writer->Put(Entry("/p/a.jpg")).ok());
  ASSERT_TRUE(writer->Commit().ok());
  auto reader = Open(Catalog::Mode::kRead);
  CatalogEntry entry;
  bool found = false;
  ASSERT_TRUE(reader->Find("/p/a.jpg", &entry, &found).ok());
  ASSERT_TRUE(found);
  EXPECT_EQ(entry.path, "/p/a.jpg");
  EXPECT_EQ(entry.thumbnail, Entry("/p/a.jpg").thumbnail);
  ASSERT_TRUE(reader->Find("/p/b.jpg", &entry, &found).ok());
  EXPECT_FALSE(found);
}

TEST_F(CatalogTest, UnreferredThumbnailsAreThoseNoEntryNames) {
  auto writer = Open(Catalog::Mode::kWrite);
  CatalogEntry a = Entry("/p/a.jpg");
  a.thumbnail = "aaa.png";
  ASSERT_TRUE(writer->Put(a).ok());
  ASSERT_TRUE(writer->Commit().ok());
  const std::vector<std::string> candidates = {"zzz.png", "aaa.png", "bbb.png", "zzz.png"};
  const std::vector<std::string> unreferred = Unreferred(writer.get(), candidates);
  EXPECT_EQ(unreferred, (std::vector<std::string>{"bbb.png", "zzz.png"}));
}

// With several boxes an entry names a list of thumbnails, one in each box folder: every one of
// them is referred to, and nothing else in those folders.
TEST_F(CatalogTest, EveryThumbnailOfAnEntrysListIsReferredTo) {
  auto writer = Open(Catalog::Mode::kWrite);
  CatalogEntry a = Entry("/p/a.jpg");
  a.thumbnail = "1x1/aaa.png\n2x2/bbb.png\n3x3/ccc.png";
  CatalogEntry b = Entry("/p/b.jpg");
  b.thumbnail = "ddd.png";
  ASSERT_TRUE(writer->Put(a).ok());
  ASSERT_TRUE(writer->Put(b).ok());
  ASSERT_TRUE(writer->Commit().ok());
  const std::vector<std::string> candidates = {
      "1x1/aaa.png", "2x2/bbb.png", "3x3/ccc.png", "ddd.png",     "aaa.png",
      "2x2/aaa.png", "1x1/ddd.png", "4x4/ccc.png", "3x3/ccc.png", "2x2/bbb.png\n3x3/ccc.png"};
  const std::vector<std::string> unreferred = Unreferred(writer.get(), candidates);
  EXPECT_EQ(unreferred,
            (std::vector<std::string>{"1x1/ddd.png", "2x2/aaa.png", "2x2/bbb.png\n3x3/ccc.png",
                                      "4x4/ccc.png", "aaa.png"}));
}

TEST_F(CatalogTest, EntriesNotSeenInThisRunAreRemoved) {
  auto writer = Open(Catalog::Mode::kWrite);
  for (const char* path : {"/p/a.jpg", "/p/b.jpg", "/p/c.jpg", "/q/d.jpg"}) {
    ASSERT_TRUE(writer->Put(Entry(path)).ok());
  }
  ASSERT_TRUE(writer->Commit().ok());
  ASSERT_TRUE(writer->MarkSeen("/p/a.jpg").ok());
  ASSERT_TRUE(writer->MarkSeen("/p/c.jpg").ok());
  ASSERT_TRUE(writer->MarkSeen("/p/c.jpg", false).ok());
  size_t removed = 0;
  ASSERT_TRUE(writer->RemoveUnseenUnder("/p", &removed).ok());
  ASSERT_TRUE(writer->Commit().ok());
  EXPECT_EQ(removed, 2u);
  const std::vector<CatalogEntry> left = Under(writer.get(), "/");
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].path, "/p/a.jpg");
  EXPECT_EQ(left[1].path, "/q/d.jpg");  // not under /p: untouched
}

TEST_F(CatalogTest, DamagedCatalogIsSetAsideForWritingAndAnErrorForReading) {
  testing::WriteFile(path_, std::string(4096, 'x'));
  std::unique_ptr<Catalog> reader;
  const Status read = Catalog::Open(path_, Catalog::Mode::kRead, &reader);
  EXPECT_FALSE(read.ok());
  EXPECT_THAT(read.message(), ::testing::HasSubstr("file is not a database"));

  auto writer = Open(Catalog::Mode::kWrite);
  ASSERT_NE(writer, nullptr);
  EXPECT_THAT(writer->set_aside_note(), ::testing::HasSubstr(".catalog.damaged"));
  EXPECT_EQ(testing::ReadFile(path_ + ".damaged"), std::string(4096, 'x'));
  ASSERT_TRUE(writer->Put(Entry("/p/a.jpg")).ok());
  EXPECT_TRUE(writer->Commit().ok());
}

TEST_F(CatalogTest, CatalogOfANewerSchemaIsRefused) {
  { auto writer = Open(Catalog::Mode::kWrite); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  std::unique_ptr<Catalog> catalog;
  const Status status = Catalog::Open(path_, Catalog::Mode::kWrite, &catalog);
  EXPECT_THAT(status.message(), ::testing::HasSubstr("was made by a newer thumbpipe (schema 99"));
}

}  // namespace
}  // namespace thumbpipe

namespace thumbpipe {
namespace {

TEST(ThumbnailSettings, PngAtItsDefaultLevelIsAsBeforeFormatsExisted) {
  RunOptions options;
  EXPECT_EQ(ThumbnailSettings(options), "box=200x200 pixels=2");
  options.background = 0x000000;  // not a JPEG: the background changes nothing
  EXPECT_EQ(ThumbnailSettings(options), "box=200x200 pixels=2");
  options.quality = 9;
  EXPECT_EQ(ThumbnailSettings(options), "box=200x200 pixels=2 format=png quality=9");
}

TEST(ThumbnailSettings, FormatQualityAndJpegBackgroundAreSettings) {
  RunOptions options;
  options.format = OutputFormat::kJpeg;
  options.quality = 85;
  EXPECT_EQ(ThumbnailSettings(options),
            "box=200x200 pixels=2 format=jpeg quality=85 background=#ffffff");
  options.background = 0x336699;
  EXPECT_EQ(ThumbnailSettings(options),
            "box=200x200 pixels=2 format=jpeg quality=85 background=#336699");
  options.format = OutputFormat::kWebp;
  options.quality = 70;
  EXPECT_EQ(ThumbnailSettings(options), "box=200x200 pixels=2 format=webp quality=70");
}

}  // namespace
}  // namespace thumbpipe
