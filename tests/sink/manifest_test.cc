#include "sink/manifest.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/support/support.h"

namespace thumbpipe {
namespace {

TEST(Manifest, SortedBySourcePathAndEscaped) {
  testing::TempDir dir;
  Manifest manifest(dir / ".m.1.run");
  manifest.Add("bbb.png", "/p/z.jpg");
  manifest.Add("aaa.png", "/p/new\nline.jpg");
  manifest.Add("ccc.png", "/p/back\\slash \xE9.jpg");
  size_t entries = 0;
  ASSERT_TRUE(manifest.WriteTo(dir / "m", false, &entries).ok());
  EXPECT_EQ(entries, 3u);
  EXPECT_EQ(testing::ReadFile(dir / "m"),
            "ccc.png: /p/back\\\\slash \\xe9.jpg\n"
            "aaa.png: /p/new\\nline.jpg\n"
            "bbb.png: /p/z.jpg\n");
}

TEST(Manifest, LinesParseBackToTheRawPaths) {
  const std::vector<std::string> paths = {"/p/new\nline.jpg", "/p/back\\slash.jpg",
                                          "/p/\xFF\xFE.jpg",  "/p/a: b.jpg",
                                          "/p/tab\there.jpg", "/p/ok é.jpg"};
  testing::TempDir dir;
  Manifest manifest(dir / ".processed.txt.1.run");
  for (const std::string& path : paths) manifest.Add("x.png", path);
  ASSERT_TRUE(manifest.WriteTo(dir / "processed.txt").ok());
  const std::vector<testing::ManifestLine> lines = testing::ReadManifest(dir / "processed.txt");
  ASSERT_EQ(lines.size(), paths.size());
  std::vector<std::string> back;
  for (const auto& line : lines) {
    EXPECT_EQ(line.thumbnail, "x.png");
    back.push_back(line.source);
  }
  std::vector<std::string> sorted = paths;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(back, sorted);
}

TEST(Manifest, WriteErrorNamesTheFile) {
  testing::TempDir dir;
  Manifest manifest(dir / ".processed.txt.1.run");
  const Status status = manifest.WriteTo("/nonexistent-folder/processed.txt");
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(status.message().starts_with("cannot create '/nonexistent-folder/.processed.txt."))
      << status.message();
  EXPECT_TRUE(status.message().ends_with(".tmp': No such file or directory")) << status.message();
}

// The same entries, in the same order, give the same bytes whether the manifest fits in
// memory or spills a run for nearly every line; escaped paths, replaced and removed entries
// and blocks of several lines included.
TEST(Manifest, SpillingGivesTheSameBytesAsMemory) {
  testing::TempDir dir;
  Manifest in_memory(dir / ".big.1.run", size_t{1} << 30);
  Manifest spilled(dir / ".small.1.run", 100);
  std::mt19937 random(11);
  for (int i = 0; i < 2000; ++i) {
    std::string path = "/photos/" + std::to_string(random() % 900) + ".jpg";
    if (random() % 4 == 0) path.insert(8, "odd\n\\\x01\xff ");
    const std::string thumbnail = std::to_string(i) + ".png";
    if (random() % 9 == 0) {
      in_memory.Remove(path);
      spilled.Remove(path);
    } else if (random() % 5 == 0) {
      // One source path, several lines (one per size, say): kept together, as given.
      const std::string block =
          ManifestLine("s1-" + thumbnail, path) + ManifestLine("s2-" + thumbnail, path);
      in_memory.Put(path, block);
      spilled.Put(path, block);
    } else {
      EXPECT_EQ(in_memory.Add(thumbnail, path), spilled.Add(thumbnail, path));
    }
  }
  EXPECT_EQ(in_memory.runs(), 0u);
  EXPECT_GT(spilled.runs(), 1u);
  size_t a = 0, b = 0;
  ASSERT_TRUE(in_memory.WriteTo(dir / "a.txt", false, &a).ok());
  ASSERT_TRUE(spilled.WriteTo(dir / "b.txt", false, &b).ok());
  EXPECT_EQ(a, b);
  EXPECT_GT(a, 500u);
  EXPECT_EQ(testing::ReadFile(dir / "a.txt"), testing::ReadFile(dir / "b.txt"));
  EXPECT_EQ(testing::ListFolder(dir.path()), (std::vector<std::string>{"a.txt", "b.txt"}));
}

// Watch mode: written again and again as entries come and go.
TEST(Manifest, KeptEntriesAreRewrittenWithTheChanges) {
  testing::TempDir dir;
  Manifest manifest(dir / ".m.1.run", 1);
  manifest.Add("a.png", "/a.jpg");
  manifest.Add("b.png", "/b.jpg");
  ASSERT_TRUE(manifest.WriteTo(dir / "m", true).ok());
  EXPECT_EQ(testing::ReadFile(dir / "m"), "a.png: /a.jpg\nb.png: /b.jpg\n");
  manifest.Remove("/a.jpg");
  manifest.Add("c.png", "/c.jpg");
  manifest.Remove("/not-listed.jpg");
  ASSERT_TRUE(manifest.WriteTo(dir / "m", true).ok());
  EXPECT_EQ(testing::ReadFile(dir / "m"), "b.png: /b.jpg\nc.png: /c.jpg\n");
  manifest.Add("b2.png", "/b.jpg");
  ASSERT_TRUE(manifest.WriteTo(dir / "m", true).ok());
  EXPECT_EQ(testing::ReadFile(dir / "m"), "b2.png: /b.jpg\nc.png: /c.jpg\n");
}

TEST(Manifest, SpillPrefixIsBesideTheManifest) {
  EXPECT_EQ(ManifestSpillPrefix("/var/lib/t/processed.txt", 42),
            "/var/lib/t/.processed.txt.42.run");
}

TEST(Manifest, JournalIsSortedWithBoundedMemoryToo) {
  testing::TempDir dir;
  std::string journal;
  for (int i = 99; i >= 0; --i)
    journal += ManifestLine(std::to_string(i) + ".png", "/" + std::to_string(i % 60));
  testing::WriteFile(dir / "j", journal);
  ::setenv("THUMBPIPE_MANIFEST_MEMORY", "1", 1);
  size_t lines = 0;
  const Status status = WriteManifestFromJournal(dir / "j", dir / "m", dir / ".m.1.run", &lines);
  ::unsetenv("THUMBPIPE_MANIFEST_MEMORY");
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(lines, 60u);
  std::string expected;
  std::vector<std::string> paths;
  for (int i = 0; i < 60; ++i) paths.push_back("/" + std::to_string(i));
  std::sort(paths.begin(), paths.end());
  // Of two lines for a path the later one stands: /5 had 65.png, then 5.png.
  for (const std::string& path : paths) expected += ManifestLine(path.substr(1) + ".png", path);
  EXPECT_EQ(testing::ReadFile(dir / "m"), expected);
  EXPECT_EQ(testing::ListFolder(dir.path()), std::vector<std::string>{"m"});
}

// With several boxes a source's entry is a block of lines; in memory or spilled nearly one run
// per entry, it stays together and is replaced whole.
TEST(Manifest, SeveralBoxesGiveABlockOfLinesPerSource) {
  for (const size_t memory : {size_t{1} << 20, size_t{1}}) {
    testing::TempDir dir;
    Manifest manifest(dir / ".m.1.run", memory);
    manifest.Add("128x128/bbb.png\n512x512/ddd.png", "/p/z.jpg");
    manifest.Add("128x128/aaa.png\n512x512/ccc.png", "/p/a\nb.jpg");
    EXPECT_EQ(manifest.runs() > 0, memory == 1);
    size_t entries = 0;
    ASSERT_TRUE(manifest.WriteTo(dir / "m", true, &entries).ok());
    EXPECT_EQ(entries, 2u);
    EXPECT_EQ(testing::ReadFile(dir / "m"),
              "128x128/aaa.png: /p/a\\nb.jpg\n"
              "512x512/ccc.png: /p/a\\nb.jpg\n"
              "128x128/bbb.png: /p/z.jpg\n"
              "512x512/ddd.png: /p/z.jpg\n");
    // Replacing a source replaces its whole block.
    EXPECT_EQ(manifest.Add("128x128/eee.png\n512x512/fff.png", "/p/z.jpg"),
              "128x128/eee.png: /p/z.jpg\n512x512/fff.png: /p/z.jpg\n");
    ASSERT_TRUE(manifest.WriteTo(dir / "m", true).ok());
    EXPECT_EQ(testing::ReadFile(dir / "m"),
              "128x128/aaa.png: /p/a\\nb.jpg\n"
              "512x512/ccc.png: /p/a\\nb.jpg\n"
              "128x128/eee.png: /p/z.jpg\n"
              "512x512/fff.png: /p/z.jpg\n");
    manifest.Remove("/p/z.jpg");
    ASSERT_TRUE(manifest.WriteTo(dir / "m").ok());
    EXPECT_EQ(testing::ReadFile(dir / "m"),
              "128x128/aaa.png: /p/a\\nb.jpg\n"
              "512x512/ccc.png: /p/a\\nb.jpg\n");
    EXPECT_EQ(testing::ListFolder(dir.path()), std::vector<std::string>{"m"});
  }
}

// The journal's blocks go through the bounded sort too (THUMBPIPE_MANIFEST_MEMORY=1: a run per
// block).
TEST(Manifest, AJournalOfBlocksGivesBackEachSourcesLastBlock) {
  testing::TempDir dir;
  std::string text;
  text += ManifestLine("1x1/a.png\n2x2/b.png", "/p/one.jpg");
  text += ManifestLine("1x1/c.png\n2x2/d.png", "/p/two.jpg");
  text += ManifestLine("1x1/e.png\n2x2/f.png", "/p/one.jpg");  // done again (watch mode)
  text += "1x1/g.png: /p/thr";                                 // cut short
  testing::WriteFile(dir / "journal", text);
  ::setenv("THUMBPIPE_MANIFEST_MEMORY", "1", 1);
  size_t sources = 0;
  const Status status = WriteManifestFromJournal(dir / "journal", dir / "processed.txt",
                                                 dir / ".processed.txt.1.run", &sources);
  ::unsetenv("THUMBPIPE_MANIFEST_MEMORY");
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(sources, 2u);
  EXPECT_EQ(testing::ReadFile(dir / "processed.txt"),
            "1x1/e.png: /p/one.jpg\n2x2/f.png: /p/one.jpg\n"
            "1x1/c.png: /p/two.jpg\n2x2/d.png: /p/two.jpg\n");
  EXPECT_EQ(testing::ListFolder(dir.path()), std::vector<std::string>{"processed.txt"});
}

}  // namespace
}  // namespace thumbpipe
