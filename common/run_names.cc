#include "common/run_names.h"

#include <sys/random.h>

#include <cerrno>
#include <charconv>
#include <cstdint>

namespace thumbpipe {

Status NewRunNames(pid_t pid, RunNames* names) {
  uint64_t random = 0;
  if (::getrandom(&random, sizeof random, 0) != static_cast<ssize_t>(sizeof random)) {
    return Status::FromErrno(errno, "cannot get random bytes for shared-memory names");
  }
  names->prefix = fmt::format("thumbpipe.{}.{:016x}", pid, random);
  return Status::OK();
}

bool ParseRunObjectName(std::string_view name, std::string* prefix, pid_t* pid) {
  constexpr std::string_view kStart = "thumbpipe.";
  if (!name.starts_with(kStart)) return false;
  std::string_view rest = name.substr(kStart.size());
  long value = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  if (ec != std::errc() || value <= 0 || end == rest.data() || *end != '.') return false;
  const size_t pid_digits = static_cast<size_t>(end - rest.data());
  std::string_view random = rest.substr(pid_digits + 1);
  const size_t dot = random.find('.');
  random = random.substr(0, dot);
  if (random.size() != 16 ||
      random.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
    return false;
  }
  *pid = static_cast<pid_t>(value);
  *prefix = std::string(name.substr(0, kStart.size() + pid_digits + 1 + random.size()));
  return true;
}

}  // namespace thumbpipe
