#include "merge/manifest_merge.h"

#include <gtest/gtest.h>

#include "sink/manifest.h"
#include "tests/support/support.h"

namespace thumbpipe {
namespace {

using testing::ListFolder;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

std::string Name(char c) { return std::string(64, c) + ".png"; }

// The bytes the sink writes for `manifest`, sorted with a run spilled for nearly every entry
// (the bounded sort a large tree gets).
std::string Render(Manifest* manifest, const TempDir& scratch) {
  const Status status = manifest->WriteTo(scratch / "rendered");
  EXPECT_TRUE(status.ok()) << status.message();
  return ReadFile(scratch / "rendered");
}

class ManifestMergeTest : public ::testing::Test {
 protected:
  // Writes a manifest of `sources` (thumbnail names from `names`) as the sink would.
  std::string Shard(const std::string& file, const std::vector<std::string>& sources,
                    char name = 'a') {
    Manifest manifest(scratch_ / ".m.1.run", 1);
    for (const std::string& source : sources) manifest.Add(Name(name), source);
    WriteFile(dir_ / file, Render(&manifest, scratch_));
    return dir_ / file;
  }
  std::string MergeError(const std::vector<std::string>& inputs) {
    MergeCounts counts;
    const Status status = MergeManifests(inputs, dir_ / "out.txt", &counts);
    return status.ok() ? "" : status.message();
  }
  TempDir dir_;
  TempDir scratch_;  // the manifests' sorted runs
};

TEST_F(ManifestMergeTest, GivesTheManifestOfTheWholeByteForByte) {
  // Paths that sort differently as bytes and as escaped text ('\n' escapes to "\\n", 0xff to
  // "\\xff") and by signed char: the merge must order as the sink does.
  const std::vector<std::string> all = {
      "/p/a b.jpg",  "/p/a\nb.jpg", "/p/a/b.jpg", "/p/\xc3\xa9t\xc3\xa9.jpg",
      "/p/\xff.jpg", "/p/z.jpg",    "/p/A.jpg"};
  Manifest whole(scratch_ / ".whole.1.run", 1);
  for (const std::string& source : all) whole.Add(Name('a'), source);
  std::vector<std::vector<std::string>> parts(3);
  for (size_t i = 0; i < all.size(); ++i) parts[(i * 5) % 3].push_back(all[i]);
  const std::vector<std::string> inputs = {Shard("m.0-of-3", parts[0]), Shard("m.1-of-3", parts[1]),
                                           Shard("m.2-of-3", parts[2])};
  MergeCounts counts;
  ASSERT_TRUE(MergeManifests(inputs, dir_ / "out.txt", &counts).ok());
  EXPECT_EQ(counts.lines, all.size());
  EXPECT_EQ(ReadFile(dir_ / "out.txt"), Render(&whole, scratch_));
  // Nothing but the inputs and the output.
  EXPECT_EQ(ListFolder(dir_.path()),
            (std::vector<std::string>{"m.0-of-3", "m.1-of-3", "m.2-of-3", "out.txt"}));
}

TEST_F(ManifestMergeTest, EmptyShardsAndOneShard) {
  const std::string a = Shard("m.0-of-2", {});
  const std::string b = Shard("m.1-of-2", {"/p/x.jpg"});
  MergeCounts counts;
  ASSERT_TRUE(MergeManifests({a, b}, dir_ / "out.txt", &counts).ok());
  EXPECT_EQ(ReadFile(dir_ / "out.txt"), ManifestLine(Name('a'), "/p/x.jpg"));
  ASSERT_TRUE(MergeManifests({a}, dir_ / "out.txt", &counts).ok());
  EXPECT_EQ(ReadFile(dir_ / "out.txt"), "");
}

TEST_F(ManifestMergeTest, TheLinesOfOneSourceStayTogetherAsTheyAre) {
  // Several thumbnails of one source (one per size) come from one shard, in its order.
  WriteFile(dir_ / "m.0-of-2", "100x100/" + Name('b') + ": /p/b.jpg\n" + "50x50/" + Name('c') +
                                   ": /p/b.jpg\n" + "100x100/" + Name('d') + ": /p/d.jpg\n");
  WriteFile(dir_ / "m.1-of-2", "100x100/" + Name('a') + ": /p/a.jpg\n" + "100x100/" + Name('c') +
                                   ": /p/c.jpg\n" + "50x50/" + Name('e') + ": /p/c.jpg\n");
  MergeCounts counts;
  ASSERT_TRUE(
      MergeManifests({dir_ / "m.0-of-2", dir_ / "m.1-of-2"}, dir_ / "out.txt", &counts).ok());
  EXPECT_EQ(ReadFile(dir_ / "out.txt"),
            "100x100/" + Name('a') + ": /p/a.jpg\n" + "100x100/" + Name('b') + ": /p/b.jpg\n" +
                "50x50/" + Name('c') + ": /p/b.jpg\n" + "100x100/" + Name('c') + ": /p/c.jpg\n" +
                "50x50/" + Name('e') + ": /p/c.jpg\n" + "100x100/" + Name('d') + ": /p/d.jpg\n");
}

TEST_F(ManifestMergeTest, RefusesWhatIsNotShardsOfOneRunAndWritesNothing) {
  const std::string a = Shard("m.0-of-2", {"/p/a.jpg", "/p/b.jpg"});
  const std::string b = Shard("m.1-of-2", {"/p/b.jpg"});
  EXPECT_EQ(MergeError({a, b}), "'/p/b.jpg' is listed in both '" + a + "' and '" + b +
                                    "': these are not shards of one run");
  WriteFile(dir_ / "m.1-of-2",
            ManifestLine(Name('a'), "/p/z.jpg") + ManifestLine(Name('a'), "/p/c.jpg"));
  EXPECT_EQ(MergeError({a, b}), "'" + b +
                                    "' is not sorted by source path (line 2), as thumbpipe "
                                    "writes manifests");
  WriteFile(dir_ / "m.1-of-2", ManifestLine(Name('a'), "/p/c.jpg") + Name('a') + ": /p/d");
  EXPECT_EQ(MergeError({a, b}),
            "'" + b + "' ends in a line cut short (line 2): not a whole manifest");
  WriteFile(dir_ / "m.1-of-2", "not a manifest\n");
  EXPECT_EQ(MergeError({a, b}), "line 1 of '" + b + "' is not a manifest line");
  EXPECT_EQ(MergeError({a, dir_ / "gone.1-of-2"}),
            "cannot read '" + dir_ / "gone.1-of-2" + "': No such file or directory");
  EXPECT_EQ(ListFolder(dir_.path()), (std::vector<std::string>{"m.0-of-2", "m.1-of-2"}));
}

}  // namespace
}  // namespace thumbpipe
