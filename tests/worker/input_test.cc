// Input: a file streamed, rewound and streamed again gives the same bytes, whether it fits in
// the head or not.
#include "worker/input.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/support.h"

namespace thumbpipe {
namespace {

std::string ReadAll(Input& input, size_t piece) {
  std::string out;
  std::vector<uint8_t> buffer(piece);
  for (;;) {
    size_t got = 0;
    EXPECT_TRUE(input.Read(buffer.data(), buffer.size(), &got).ok());
    if (got == 0) return out;
    out.append(reinterpret_cast<const char*>(buffer.data()), got);
  }
}

std::string Bytes(size_t size) {
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(i * 131 + i / 997);
  return bytes;
}

TEST(Input, FileRewindsToItsFirstByte) {
  testing::TempDir dir;
  const SourceOpener sources;
  for (size_t size : {size_t{0}, size_t{100}, Input::kHeadBytes, 3 * Input::kHeadBytes + 17}) {
    const std::string bytes = Bytes(size);
    testing::WriteFile(dir / "file", bytes);
    std::vector<uint8_t> buffer;
    std::unique_ptr<FileInput> input;
    ASSERT_TRUE(FileInput::Open(sources, dir / "file", &buffer, &input).ok());
    EXPECT_EQ(ReadAll(*input, 64 * 1024), bytes) << size;
    ASSERT_TRUE(input->Rewind().ok());
    EXPECT_EQ(ReadAll(*input, 1000), bytes) << size;
    // Halfway, then again from the start.
    ASSERT_TRUE(input->Rewind().ok());
    std::vector<uint8_t> some(size / 2 + 1);
    size_t got = 0;
    ASSERT_TRUE(input->Read(some.data(), some.size(), &got).ok());
    ASSERT_TRUE(input->Rewind().ok());
    EXPECT_EQ(ReadAll(*input, 4096), bytes) << size;
  }
}

// Changed: only when a second read would go to the file again and the file says it is not
// the same any more.
TEST(Input, ChangedWhenTheFileIsWrittenAgainAndNotHeldWhole) {
  testing::TempDir dir;
  const SourceOpener sources;
  const timespec hour_ago{::time(nullptr) - 3600, 0};
  const timespec times[2] = {hour_ago, hour_ago};
  for (size_t size : {size_t{100}, 3 * Input::kHeadBytes + 17}) {
    const std::string bytes = Bytes(size);
    testing::WriteFile(dir / "file", bytes);
    ASSERT_EQ(::utimensat(AT_FDCWD, (dir / "file").c_str(), times, 0), 0);
    std::vector<uint8_t> buffer;
    std::unique_ptr<FileInput> input;
    ASSERT_TRUE(FileInput::Open(sources, dir / "file", &buffer, &input).ok());
    EXPECT_EQ(ReadAll(*input, 4096), bytes);
    EXPECT_FALSE(input->Changed()) << size;
    testing::WriteFile(dir / "file", bytes);  // the same bytes, written again
    EXPECT_EQ(input->Changed(), size > Input::kHeadBytes) << size;
  }
  MemoryInput memory({});
  EXPECT_FALSE(memory.Changed());
}

TEST(Input, MemoryRewindsToItsFirstByte) {
  const std::string bytes = Bytes(5000);
  MemoryInput input({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  EXPECT_EQ(ReadAll(input, 777), bytes);
  ASSERT_TRUE(input.Rewind().ok());
  EXPECT_EQ(ReadAll(input, 4096), bytes);
}

}  // namespace
}  // namespace thumbpipe
