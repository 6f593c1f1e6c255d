#include "launcher/shard_spec.h"

#include <gtest/gtest.h>

#include <map>

#include <fmt/format.h>

namespace thumbpipe {
namespace {

class ShardSpecTest : public ::testing::Test {
 protected:
  bool Parse(const std::string& text) {
    shard_ = Shard();
    error_.clear();
    return ParseShardSpec(
        text,
        [this](const std::string& name) -> std::optional<std::string> {
          const auto it = env_.find(name);
          if (it == env_.end()) return std::nullopt;
          return it->second;
        },
        &shard_, &error_);
  }
  void ExpectError(const std::string& text, const std::string& message) {
    EXPECT_FALSE(Parse(text)) << text;
    EXPECT_EQ(error_, message) << text;
  }
  std::map<std::string, std::string> env_;
  Shard shard_;
  std::string error_;
};

TEST_F(ShardSpecTest, KOfN) {
  ASSERT_TRUE(Parse("0/4")) << error_;
  EXPECT_EQ(shard_.index, 0u);
  EXPECT_EQ(shard_.count, 4u);
  ASSERT_TRUE(Parse("3/4")) << error_;
  EXPECT_EQ(shard_.index, 3u);
  ASSERT_TRUE(Parse("0/1")) << error_;
  for (const char* bad : {"4/4", "1/0", "-1/4", "a/4", "1/", "/4", "1", "1/4/2", "", "1/1000001"}) {
    ExpectError(bad, fmt::format("--shard must be K/N (for example 0/4), slurm, slurm/N or "
                                 "k8s/N, with 0 <= K < N <= 1000000, not '{}'",
                                 bad));
  }
}

TEST_F(ShardSpecTest, SlurmTakesTheTaskAndTheArraysSize) {
  env_ = {{"SLURM_ARRAY_TASK_ID", "2"},
          {"SLURM_ARRAY_TASK_COUNT", "4"},
          {"SLURM_ARRAY_TASK_MIN", "0"},
          {"SLURM_ARRAY_TASK_MAX", "3"}};
  ASSERT_TRUE(Parse("slurm")) << error_;
  EXPECT_EQ(shard_.index, 2u);
  EXPECT_EQ(shard_.count, 4u);
}

TEST_F(ShardSpecTest, SlurmNamesTheVariableAtFault) {
  ExpectError("slurm",
              "--shard slurm: SLURM_ARRAY_TASK_ID is not set; run it as a task of a Slurm job "
              "array (sbatch --array=0-3)");
  env_ = {{"SLURM_ARRAY_TASK_ID", "2"}};
  ExpectError("slurm",
              "--shard slurm: SLURM_ARRAY_TASK_COUNT is not set; run it as a task of a Slurm job "
              "array (sbatch --array=0-3)");
  env_ = {{"SLURM_ARRAY_TASK_ID", "two"}, {"SLURM_ARRAY_TASK_COUNT", "4"}};
  ExpectError("slurm", "--shard slurm: SLURM_ARRAY_TASK_ID must be a whole number, not 'two'");
  env_ = {{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_COUNT", "x"}};
  ExpectError("slurm", "--shard slurm: SLURM_ARRAY_TASK_COUNT must be a whole number, not 'x'");
  env_ = {{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_COUNT", "0"}};
  ExpectError("slurm", "--shard slurm: SLURM_ARRAY_TASK_COUNT must be from 1 to 1000000, not 0");
}

TEST_F(ShardSpecTest, APartOfAnArrayNeedsN) {
  // sbatch --array=2 to redo shard 2: the array has one task, its N is not the shards' N.
  env_ = {{"SLURM_ARRAY_TASK_ID", "2"},
          {"SLURM_ARRAY_TASK_COUNT", "1"},
          {"SLURM_ARRAY_TASK_MIN", "2"},
          {"SLURM_ARRAY_TASK_MAX", "2"}};
  ExpectError("slurm",
              "--shard slurm: the array's tasks are not 0-0 (SLURM_ARRAY_TASK_MIN is '2'), so the "
              "number of shards is unknown; give it: --shard slurm/N");
  ASSERT_TRUE(Parse("slurm/4")) << error_;
  EXPECT_EQ(shard_.index, 2u);
  EXPECT_EQ(shard_.count, 4u);
  ExpectError("slurm/2",
              "--shard slurm/2: SLURM_ARRAY_TASK_ID is 2, but there are 2 shards (0 to 1)");
  ExpectError("slurm/x",
              "--shard slurm/N needs N, the number of shards, from 1 to 1000000, not 'x'");
}

TEST_F(ShardSpecTest, Kubernetes) {
  ExpectError("k8s",
              "--shard k8s needs the number of shards: --shard k8s/N, with N the Job's "
              "completions");
  ExpectError("k8s/4",
              "--shard k8s/4: JOB_COMPLETION_INDEX is not set; run it in a pod of an Indexed Job "
              "(completionMode: Indexed)");
  env_ = {{"JOB_COMPLETION_INDEX", "3"}};
  ASSERT_TRUE(Parse("k8s/4")) << error_;
  EXPECT_EQ(shard_.index, 3u);
  EXPECT_EQ(shard_.count, 4u);
  ExpectError("k8s/3", "--shard k8s/3: JOB_COMPLETION_INDEX is 3, but there are 3 shards (0 to 2)");
  env_ = {{"JOB_COMPLETION_INDEX", ""}};
  ExpectError("k8s/3", "--shard k8s/3: JOB_COMPLETION_INDEX must be a whole number, not ''");
}

}  // namespace
}  // namespace thumbpipe
