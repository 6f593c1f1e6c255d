#include "producer/carry_over.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/support/support.h"

namespace thumbpipe {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
const std::string kName = std::string(64, 'c') + ".png";

class CarryOverTest : public ::testing::Test {
 protected:
  CarryOverTest() {
    testing::WriteFile(dir_ / kName, "png bytes");
    fd_ = ::open(dir_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  ~CarryOverTest() override { ::close(fd_); }

  static CatalogEntry Entry(const std::string& path, ResultKind outcome) {
    CatalogEntry entry;
    entry.path = path;
    entry.stamp = kStamp;
    entry.found_ns = kStamp.mtime_ns + 10 * kSecond;
    entry.settings = "box=200x200 pixels=1";
    entry.outcome = outcome;
    if (outcome == ResultKind::kThumbnail) entry.thumbnail = kName;
    if (outcome == ResultKind::kFailed) entry.reason = "cut short";
    return entry;
  }
  CarryOver Make(std::vector<CatalogEntry> entries, bool retry_failed = false) {
    std::unordered_map<std::string, CatalogEntry> map;
    for (CatalogEntry& e : entries) map.emplace(e.path, std::move(e));
    return CarryOver(std::move(map), "box=200x200 pixels=1", retry_failed, fd_);
  }

  static constexpr FileStamp kStamp{5000, 1'700'000'000 * kSecond, 77, 2049};
  testing::TempDir dir_;
  int fd_ = -1;
};

TEST_F(CarryOverTest, UnchangedThumbnailIsCarriedAsItWas) {
  const CarryOver carry = Make({Entry("/p/a.jpg", ResultKind::kThumbnail)});
  Result result;
  ASSERT_TRUE(carry.Carry("/p/a.jpg", kStamp, &result));
  EXPECT_EQ(result.kind, ResultKind::kThumbnail);
  EXPECT_EQ(result.flags, kResultUnchanged);
  EXPECT_EQ(result.worker, kProducerId);
  EXPECT_EQ(result.thumbnail, kName);
  EXPECT_EQ(result.path, "/p/a.jpg");
  EXPECT_FALSE(carry.Carry("/p/unknown.jpg", kStamp, &result));
}

TEST_F(CarryOverTest, AnyChangeOfTheFileOrSettingsMeansDoItAgain) {
  const CarryOver carry = Make({Entry("/p/a.jpg", ResultKind::kThumbnail)});
  Result result;
  for (FileStamp changed :
       {FileStamp{5001, kStamp.mtime_ns, 77, 2049}, FileStamp{5000, kStamp.mtime_ns + 1, 77, 2049},
        FileStamp{5000, kStamp.mtime_ns, 78, 2049}, FileStamp{5000, kStamp.mtime_ns, 77, 2050},
        FileStamp{}}) {
    EXPECT_FALSE(carry.Carry("/p/a.jpg", changed, &result));
  }
  std::unordered_map<std::string, CatalogEntry> map;
  map.emplace("/p/a.jpg", Entry("/p/a.jpg", ResultKind::kThumbnail));
  const CarryOver other_box(std::move(map), "box=100x100 pixels=1", false, fd_);
  EXPECT_FALSE(other_box.Carry("/p/a.jpg", kStamp, &result));
}

TEST_F(CarryOverTest, ThumbnailGoneFromDiskIsMadeAgain) {
  const CarryOver carry = Make({Entry("/p/a.jpg", ResultKind::kThumbnail)});
  Result result;
  ASSERT_EQ(::unlink((dir_ / kName).c_str()), 0);
  EXPECT_FALSE(carry.Carry("/p/a.jpg", kStamp, &result));
}

TEST_F(CarryOverTest, FailuresAreSkippedUnlessRetried) {
  Result result;
  ASSERT_TRUE(
      Make({Entry("/p/bad.jpg", ResultKind::kFailed)}).Carry("/p/bad.jpg", kStamp, &result));
  EXPECT_EQ(result.kind, ResultKind::kFailed);
  EXPECT_EQ(result.reason, "cut short");
  EXPECT_FALSE(Make({Entry("/p/bad.jpg", ResultKind::kFailed)}, /*retry_failed=*/true)
                   .Carry("/p/bad.jpg", kStamp, &result));
  ASSERT_TRUE(
      Make({Entry("/p/notes.txt", ResultKind::kNotImage)}).Carry("/p/notes.txt", kStamp, &result));
  EXPECT_EQ(result.kind, ResultKind::kNotImage);
}

TEST_F(CarryOverTest, MtimeCloseToWhenItWasFoundIsNotTrusted) {
  // Nanosecond times (ext4, XFS, Btrfs): trusted 20 ms on. Whole seconds (FAT, some network
  // file systems): trusted two seconds on.
  for (const auto& [mtime_ns, window_ns] : {std::pair{kStamp.mtime_ns + 123'456'789, kRacyWindowNs},
                                            std::pair{kStamp.mtime_ns, kCoarseRacyWindowNs}}) {
    FileStamp stamp = kStamp;
    stamp.mtime_ns = mtime_ns;
    CatalogEntry racy = Entry("/p/a.jpg", ResultKind::kThumbnail);
    racy.stamp = stamp;
    racy.found_ns = mtime_ns + window_ns - 1;
    CatalogEntry settled = Entry("/p/b.jpg", ResultKind::kThumbnail);
    settled.stamp = stamp;
    settled.found_ns = mtime_ns + window_ns;
    const CarryOver carry = Make({racy, settled});
    Result result;
    EXPECT_FALSE(carry.Carry("/p/a.jpg", stamp, &result)) << window_ns;
    EXPECT_TRUE(carry.Carry("/p/b.jpg", stamp, &result)) << window_ns;
  }
}

}  // namespace
}  // namespace thumbpipe
