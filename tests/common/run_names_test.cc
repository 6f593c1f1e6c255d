#include "common/run_names.h"

#include <gtest/gtest.h>

namespace thumbpipe {
namespace {

TEST(RunNames, FreshNamesDifferAndParseBack) {
  RunNames a, b;
  ASSERT_TRUE(NewRunNames(1234, &a).ok());
  ASSERT_TRUE(NewRunNames(1234, &b).ok());
  EXPECT_NE(a.prefix, b.prefix);
  EXPECT_TRUE(a.prefix.starts_with("thumbpipe.1234."));
  for (const std::string& name : {a.work(), a.results(), a.control(), a.prefix}) {
    std::string prefix;
    pid_t pid = 0;
    ASSERT_TRUE(ParseRunObjectName(name, &prefix, &pid)) << name;
    EXPECT_EQ(prefix, a.prefix);
    EXPECT_EQ(pid, 1234);
  }
}

TEST(RunNames, RejectsOtherNames) {
  std::string prefix;
  pid_t pid = 0;
  for (const char* name :
       {"thumbpipe", "thumbpipe.", "thumbpipe.x.0123456789abcdef", "thumbpipe.12.0123",
        "thumbpipe.12.0123456789ABCDEF.work", "thumbpipe.0.0123456789abcdef",
        "sem.thumbpipe.12.0123456789abcdef", "thumbpipe.-5.0123456789abcdef"}) {
    EXPECT_FALSE(ParseRunObjectName(name, &prefix, &pid)) << name;
  }
}

}  // namespace
}  // namespace thumbpipe
