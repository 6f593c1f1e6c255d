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

}  // namespace
}  // namespace thumbpipe
