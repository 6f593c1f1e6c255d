// A fixture for tests of ParseCommandLine: Parse runs it as `thumbpipe ARGS...` in a temporary
// folder, with the environment in env_ and default_workers_ CPUs; ExpectUsageError checks a
// usage error's exact one-line message.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "launcher/command_line.h"
#include "tests/support/support.h"

namespace thumbpipe {

class CommandLineFixture : public ::testing::Test {
 protected:
  ParseOutcome Parse(std::vector<std::string> args) {
    args.insert(args.begin(), "thumbpipe");
    std::vector<const char*> argv;
    for (const std::string& a : args) argv.push_back(a.c_str());
    CommandLineContext context;
    context.cwd = dir_.path();
    context.default_workers = default_workers_;
    context.environment = [this](const std::string& name) -> std::optional<std::string> {
      const auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    options_ = RunOptions();
    text_.clear();
    return ParseCommandLine(static_cast<int>(argv.size()), argv.data(), context, &options_, &text_);
  }
  void ExpectUsageError(std::vector<std::string> args, const std::string& message) {
    EXPECT_EQ(Parse(args), ParseOutcome::kUsageError) << ::testing::PrintToString(args);
    EXPECT_EQ(text_, message) << ::testing::PrintToString(args);
    EXPECT_EQ(text_.find('\n'), std::string::npos);
  }

  testing::TempDir dir_;
  std::map<std::string, std::string> env_;
  int default_workers_ = 2;
  RunOptions options_;
  std::string text_;
};

}  // namespace thumbpipe
