#include "sink/manifest.h"

#include <gtest/gtest.h>

#include "tests/support/support.h"

namespace thumbpipe {
namespace {

TEST(Manifest, SortedBySourcePathAndEscaped) {
  Manifest manifest;
  manifest.Add("bbb.png", "/p/z.jpg");
  manifest.Add("aaa.png", "/p/new\nline.jpg");
  manifest.Add("ccc.png", "/p/back\\slash \xE9.jpg");
  EXPECT_EQ(manifest.Render(),
            "ccc.png: /p/back\\\\slash \\xe9.jpg\n"
            "aaa.png: /p/new\\nline.jpg\n"
            "bbb.png: /p/z.jpg\n");
}

TEST(Manifest, LinesParseBackToTheRawPaths) {
  const std::vector<std::string> paths = {"/p/new\nline.jpg", "/p/back\\slash.jpg",
                                          "/p/\xFF\xFE.jpg",  "/p/a: b.jpg",
                                          "/p/tab\there.jpg", "/p/ok é.jpg"};
  Manifest manifest;
  for (const std::string& path : paths) manifest.Add("x.png", path);
  testing::TempDir dir;
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
  Manifest manifest;
  const Status status = manifest.WriteTo("/nonexistent-folder/processed.txt");
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(status.message().starts_with("cannot create '/nonexistent-folder/.processed.txt."))
      << status.message();
  EXPECT_TRUE(status.message().ends_with(".tmp': No such file or directory")) << status.message();
}

TEST(Manifest, SeveralBoxesGiveABlockOfLinesPerSource) {
  Manifest manifest;
  manifest.Add("128x128/bbb.png\n512x512/ddd.png", "/p/z.jpg");
  manifest.Add("128x128/aaa.png\n512x512/ccc.png", "/p/a\nb.jpg");
  EXPECT_EQ(manifest.size(), 2u);
  EXPECT_EQ(manifest.Render(),
            "128x128/aaa.png: /p/a\\nb.jpg\n"
            "512x512/ccc.png: /p/a\\nb.jpg\n"
            "128x128/bbb.png: /p/z.jpg\n"
            "512x512/ddd.png: /p/z.jpg\n");
  // Replacing a source replaces its whole block.
  const std::string_view lines = manifest.Add("128x128/eee.png\n512x512/fff.png", "/p/z.jpg");
  EXPECT_EQ(lines, "128x128/eee.png: /p/z.jpg\n512x512/fff.png: /p/z.jpg\n");
  std::vector<std::string> names;
  manifest.ForEachThumbnail([&names](std::string_view name) { names.emplace_back(name); });
  EXPECT_EQ(names, (std::vector<std::string>{"128x128/aaa.png", "512x512/ccc.png",
                                             "128x128/eee.png", "512x512/fff.png"}));
  EXPECT_TRUE(manifest.Remove("/p/z.jpg"));
  EXPECT_EQ(manifest.Render(),
            "128x128/aaa.png: /p/a\\nb.jpg\n"
            "512x512/ccc.png: /p/a\\nb.jpg\n");
}

TEST(Manifest, AJournalOfBlocksGivesBackEachSourcesLastBlock) {
  testing::TempDir dir;
  Manifest journal;
  std::string text;
  text += journal.Add("1x1/a.png\n2x2/b.png", "/p/one.jpg");
  text += journal.Add("1x1/c.png\n2x2/d.png", "/p/two.jpg");
  text += journal.Add("1x1/e.png\n2x2/f.png", "/p/one.jpg");  // done again (watch mode)
  text += "1x1/g.png: /p/thr";                                // cut short
  testing::WriteFile(dir / "journal", text);
  size_t sources = 0;
  ASSERT_TRUE(WriteManifestFromJournal(dir / "journal", dir / "processed.txt", &sources).ok());
  EXPECT_EQ(sources, 2u);
  EXPECT_EQ(testing::ReadFile(dir / "processed.txt"),
            "1x1/e.png: /p/one.jpg\n2x2/f.png: /p/one.jpg\n"
            "1x1/c.png: /p/two.jpg\n2x2/d.png: /p/two.jpg\n");
}

}  // namespace
}  // namespace thumbpipe
