#include "common/message.h"

#include <vector>

#include <gtest/gtest.h>

namespace thumbpipe {
namespace {

TEST(Message, WorkItemRoundTrip) {
  std::vector<char> buffer(kMaxWorkMessageBytes);
  for (const WorkItem& item :
       {WorkItem{WorkKind::kFile, "/a/b c\n\xff.jpg", FileStamp{12, -3, 99, 7}, 5},
        WorkItem{WorkKind::kEnd, "", {}, 0},
        WorkItem{WorkKind::kFile, std::string(kMaxPathBytes, 'p'), {}, 0}}) {
    const size_t size = EncodeWorkItem(item, buffer);
    ASSERT_GT(size, 0u);
    WorkItem back;
    std::string err;
    ASSERT_TRUE(DecodeWorkItem({buffer.data(), size}, &back, &err)) << err;
    EXPECT_EQ(back.kind, item.kind);
    EXPECT_EQ(back.path, item.path);
    EXPECT_EQ(back.stamp, item.stamp);
    EXPECT_EQ(back.found_ns, item.found_ns);
  }
}

TEST(Message, PathTooLongDoesNotEncode) {
  std::vector<char> buffer(kMaxWorkMessageBytes);
  EXPECT_EQ(EncodeWorkItem({WorkKind::kFile, std::string(kMaxPathBytes + 1, 'p'), {}, 0}, buffer),
            0u);
}

TEST(Message, ResultRoundTrip) {
  std::vector<char> buffer(kMaxResultMessageBytes);
  Result result;
  result.kind = ResultKind::kThumbnail;
  result.worker = 7;
  result.width = 200;
  result.height = 133;
  result.source_bytes = 123456789012;
  result.path = "/x/y.jpg";
  result.thumbnail = std::string(64, 'a') + ".webp";  // the longest name
  result.reason = "";
  result.flags = kResultUnchanged;
  result.format = 3;
  result.thumbnail_bytes = 4567;
  result.stamp = FileStamp{1, 1700000000123456789, 42, 2049};
  result.found_ns = 1700000001000000000;
  const size_t size = EncodeResult(result, buffer);
  ASSERT_GT(size, 0u);
  Result back;
  std::string err;
  ASSERT_TRUE(DecodeResult({buffer.data(), size}, &back, &err)) << err;
  EXPECT_EQ(back.kind, result.kind);
  EXPECT_EQ(back.worker, 7);
  EXPECT_EQ(back.width, 200u);
  EXPECT_EQ(back.height, 133u);
  EXPECT_EQ(back.source_bytes, 123456789012u);
  EXPECT_EQ(back.path, result.path);
  EXPECT_EQ(back.thumbnail, result.thumbnail);
  EXPECT_EQ(back.flags, kResultUnchanged);
  EXPECT_EQ(back.format, 3);
  EXPECT_EQ(back.thumbnail_bytes, 4567u);
  EXPECT_EQ(back.stamp, result.stamp);
  EXPECT_EQ(back.found_ns, result.found_ns);
}

TEST(Message, LongReasonIsCut) {
  std::vector<char> buffer(kMaxResultMessageBytes);
  Result result;
  result.kind = ResultKind::kFailed;
  result.path = std::string(kMaxPathBytes, 'p');
  result.reason = std::string(5000, 'r');
  const size_t size = EncodeResult(result, buffer);
  ASSERT_GT(size, 0u);
  Result back;
  std::string err;
  ASSERT_TRUE(DecodeResult({buffer.data(), size}, &back, &err)) << err;
  EXPECT_EQ(back.reason, std::string(kMaxReasonBytes, 'r'));
  EXPECT_EQ(back.path.size(), kMaxPathBytes);
}

TEST(Message, RejectsForeignAndDamagedMessages) {
  std::vector<char> buffer(kMaxResultMessageBytes);
  std::string err;
  WorkItem item;
  Result result;
  const size_t size = EncodeWorkItem({WorkKind::kFile, "/a", {}, 0}, buffer);
  // A work item is not a result.
  EXPECT_FALSE(DecodeResult({buffer.data(), size}, &result, &err));
  EXPECT_EQ(err, "message of the wrong kind (magic 0x57)");
  // Another protocol version.
  buffer[1] = static_cast<char>(kProtocolVersion + 1);
  EXPECT_FALSE(DecodeWorkItem({buffer.data(), size}, &item, &err));
  EXPECT_EQ(err, "message of protocol version 5, this program speaks 4");
  buffer[1] = static_cast<char>(kProtocolVersion);
  // Cut short, or with trailing bytes.
  EXPECT_FALSE(DecodeWorkItem({buffer.data(), size - 1}, &item, &err));
  EXPECT_FALSE(DecodeWorkItem({buffer.data(), size + 1}, &item, &err));
  EXPECT_FALSE(DecodeWorkItem({buffer.data(), 3}, &item, &err));
  EXPECT_TRUE(DecodeWorkItem({buffer.data(), size}, &item, &err));
}

}  // namespace
}  // namespace thumbpipe
