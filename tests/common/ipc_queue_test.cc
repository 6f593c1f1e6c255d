#include "common/ipc_queue.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "common/run_names.h"

namespace thumbpipe {
namespace {

class IpcQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RunNames names;
    ASSERT_TRUE(NewRunNames(::getpid(), &names).ok());
    name_ = names.work();
  }
  void TearDown() override { IpcQueue::Remove(name_); }
  std::string name_;
};

TEST_F(IpcQueueTest, CreatedPrivateAndOpenedByName) {
  std::unique_ptr<IpcQueue> created, opened;
  ASSERT_TRUE(IpcQueue::Create(name_, 4, 64, &created).ok());
  struct stat st;
  ASSERT_EQ(::stat(("/dev/shm/" + name_).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(IpcQueue::Open(name_, &opened).ok());
  EXPECT_EQ(opened->max_message_bytes(), 64u);

  bool sent = false;
  ASSERT_TRUE(
      created->Send(std::span<const char>("hello", 5), std::chrono::milliseconds(10), &sent).ok());
  EXPECT_TRUE(sent);
  char buffer[64];
  size_t size = 0;
  ASSERT_TRUE(opened->Receive(buffer, std::chrono::milliseconds(10), &size).ok());
  EXPECT_EQ(std::string(buffer, size), "hello");
}

TEST_F(IpcQueueTest, CreateRefusesAnExistingName) {
  std::unique_ptr<IpcQueue> first, second;
  ASSERT_TRUE(IpcQueue::Create(name_, 4, 64, &first).ok());
  const Status status = IpcQueue::Create(name_, 4, 64, &second);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("cannot create queue '" + name_ + "'"), std::string::npos)
      << status.message();
}

TEST_F(IpcQueueTest, OpenOfMissingQueueSaysWhich) {
  std::unique_ptr<IpcQueue> queue;
  const Status status = IpcQueue::Open(name_, &queue);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("cannot open queue '" + name_ + "'"), std::string::npos);
}

TEST_F(IpcQueueTest, TimesOutWhenFullOrEmpty) {
  std::unique_ptr<IpcQueue> queue;
  ASSERT_TRUE(IpcQueue::Create(name_, 2, 8, &queue).ok());
  char buffer[8];
  size_t size = 99;
  ASSERT_TRUE(queue->Receive(buffer, std::chrono::milliseconds(20), &size).ok());
  EXPECT_EQ(size, 0u);
  bool sent = false;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(
        queue->Send(std::span<const char>("x", 1), std::chrono::milliseconds(20), &sent).ok());
    EXPECT_TRUE(sent);
  }
  ASSERT_TRUE(
      queue->Send(std::span<const char>("x", 1), std::chrono::milliseconds(20), &sent).ok());
  EXPECT_FALSE(sent);
  size_t count = 0;
  ASSERT_TRUE(queue->CountMessages(&count).ok());
  EXPECT_EQ(count, 2u);
}

TEST_F(IpcQueueTest, KeepsOrder) {
  std::unique_ptr<IpcQueue> queue;
  ASSERT_TRUE(IpcQueue::Create(name_, 8, 8, &queue).ok());
  bool sent = false;
  for (char c : std::string("abcdef")) {
    ASSERT_TRUE(
        queue->Send(std::span<const char>(&c, 1), std::chrono::milliseconds(10), &sent).ok());
  }
  std::string got;
  char buffer[8];
  size_t size = 0;
  while (queue->Receive(buffer, std::chrono::milliseconds(10), &size).ok() && size > 0)
    got += buffer[0];
  EXPECT_EQ(got, "abcdef");
}

TEST_F(IpcQueueTest, WaitingCallsGiveUpWhenTold) {
  std::unique_ptr<IpcQueue> queue;
  ASSERT_TRUE(IpcQueue::Create(name_, 1, 8, &queue).ok());
  char buffer[8];
  size_t size = 0;
  int asked = 0;
  const Status status = ReceiveWaiting(
      queue.get(), buffer,
      [&] { return ++asked == 2 ? std::string("the launcher is gone") : std::string(); }, &size);
  EXPECT_EQ(status.message(), "the launcher is gone");
  EXPECT_EQ(asked, 2);
}

}  // namespace
}  // namespace thumbpipe
