#include "common/boxes.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "common/control_block.h"
#include "common/message.h"
#include "common/run_names.h"

namespace thumbpipe {
namespace {

TEST(Boxes, NamesAndFolders) {
  EXPECT_EQ(BoxName({320, 240}), "320x240");
  EXPECT_EQ(BoxListName({{128, 128}, {1024, 768}}), "128x128,1024x768");
  EXPECT_EQ(BoxListName({{200, 200}}), "200x200");
  for (const char* name : {"1x1", "128x128", "65535x65535", "300x20"}) {
    EXPECT_TRUE(IsBoxFolderName(name)) << name;
  }
  for (const char* name : {"", "x", "128x", "x128", "0x1", "01x1", "65536x1", "128X128", "128x128x",
                           "a1x1", ".128x128", "128x128.png"}) {
    EXPECT_FALSE(IsBoxFolderName(name)) << name;
  }
}

TEST(Boxes, OneBoxListsTheNameAloneSeveralTheirFolders) {
  EXPECT_EQ(ThumbnailEntry({200, 200}, 1, "a.png"), "a.png");
  EXPECT_EQ(ThumbnailEntry({128, 96}, 3, "a.png"), "128x96/a.png");
  const std::string list = JoinThumbnails({"1x1/a.png", "2x2/b.png", "3x3/c.png"});
  EXPECT_EQ(list, "1x1/a.png\n2x2/b.png\n3x3/c.png");
  EXPECT_EQ(SplitThumbnails(list),
            (std::vector<std::string_view>{"1x1/a.png", "2x2/b.png", "3x3/c.png"}));
  EXPECT_EQ(SplitThumbnails("a.png"), (std::vector<std::string_view>{"a.png"}));
  EXPECT_TRUE(SplitThumbnails("").empty());
  EXPECT_EQ(JoinThumbnails({"a.png"}), "a.png");
}

TEST(Boxes, TheLongestListTravelsInAResult) {
  std::vector<std::string> entries;
  for (size_t i = 0; i < kMaxBoxes; ++i) {
    entries.push_back(ThumbnailEntry({65535, static_cast<uint32_t>(65528 + i)}, kMaxBoxes,
                                     std::string(64, 'f') + ".webp"));
  }
  Result result;
  result.path = "/p/" + std::string(kMaxPathBytes - 3, 'x');
  result.thumbnail = JoinThumbnails(entries);
  EXPECT_EQ(result.thumbnail.size(), kMaxThumbnailListBytes - 1);
  std::vector<char> buffer(kMaxResultMessageBytes);
  const size_t size = EncodeResult(result, buffer);
  ASSERT_GT(size, 0u);
  Result back;
  std::string err;
  ASSERT_TRUE(DecodeResult({buffer.data(), size}, &back, &err)) << err;
  EXPECT_EQ(back.thumbnail, result.thumbnail);
  result.thumbnail += std::string(2, 'x');
  EXPECT_EQ(EncodeResult(result, buffer), 0u);
}

TEST(Boxes, EveryBoxReachesEveryRole) {
  RunOptions options;
  options.box_width = 128;
  options.box_height = 96;
  for (uint32_t i = 2; i <= kMaxBoxes; ++i) options.more_boxes.push_back({128 * i, 96 * i});
  RunNames names;
  ASSERT_TRUE(NewRunNames(::getpid(), &names).ok());
  std::unique_ptr<SharedControl> created, opened;
  ASSERT_TRUE(SharedControl::Create(names.control(), options, &created).ok());
  const Status status = SharedControl::Open(names.control(), &opened);
  SharedControl::Remove(names.control());
  ASSERT_TRUE(status.ok()) << status.message();
  const RunOptions back = opened->options();
  EXPECT_EQ(RunBoxes(back), RunBoxes(options));
  EXPECT_EQ(RunBoxes(back).size(), kMaxBoxes);
  EXPECT_EQ(RunBoxes(back)[1], (Box{256, 192}));
}

}  // namespace
}  // namespace thumbpipe
