#include "launcher/shard_spec.h"

#include <charconv>

#include <fmt/format.h>

#include "common/escape.h"

namespace thumbpipe {
namespace {

constexpr std::string_view kForms = "K/N (for example 0/4), slurm, slurm/N or k8s/N";

bool ParseWhole(std::string_view text, uint32_t max, uint32_t* value) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size() && *value <= max;
}

bool ParseCount(std::string_view text, uint32_t* count) {
  return ParseWhole(text, kMaxShards, count) && *count > 0;
}

// Reads the variable `name` as a whole number into *value.
bool ReadVariable(const EnvironmentLookup& environment, std::string_view form,
                  const std::string& name, uint32_t* value, std::string* error) {
  const std::optional<std::string> text = environment ? environment(name) : std::nullopt;
  if (!text) {
    *error = fmt::format("--shard {}: {} is not set; {}", form, name,
                         form.starts_with("k8s")
                             ? "run it in a pod of an Indexed Job (completionMode: Indexed)"
                             : "run it as a task of a Slurm job array (sbatch --array=0-3)");
    return false;
  }
  if (!ParseWhole(*text, UINT32_MAX, value)) {
    *error = fmt::format("--shard {}: {} must be a whole number, not '{}'", form, name,
                         EscapePath(*text));
    return false;
  }
  return true;
}

}  // namespace

bool ParseShardSpec(const std::string& text, const EnvironmentLookup& environment, Shard* shard,
                    std::string* error) {
  const size_t slash = text.find('/');
  const std::string_view head = std::string_view(text).substr(0, slash);
  const std::string_view tail =
      slash == std::string::npos ? std::string_view() : std::string_view(text).substr(slash + 1);
  Shard parsed;
  if (head == "slurm" || head == "k8s") {
    const bool slurm = head == "slurm";
    const std::string index_variable = slurm ? "SLURM_ARRAY_TASK_ID" : "JOB_COMPLETION_INDEX";
    if (slash != std::string::npos && !ParseCount(tail, &parsed.count)) {
      *error = fmt::format("--shard {}/N needs N, the number of shards, from 1 to {}, not '{}'",
                           head, kMaxShards, EscapePath(tail));
      return false;
    }
    if (!slurm && slash == std::string::npos) {
      *error =
          "--shard k8s needs the number of shards: --shard k8s/N, with N the Job's completions";
      return false;
    }
    if (!ReadVariable(environment, text, index_variable, &parsed.index, error)) return false;
    if (slurm && slash == std::string::npos) {
      if (!ReadVariable(environment, text, "SLURM_ARRAY_TASK_COUNT", &parsed.count, error)) {
        return false;
      }
      if (parsed.count == 0 || parsed.count > kMaxShards) {
        *error = fmt::format("--shard slurm: SLURM_ARRAY_TASK_COUNT must be from 1 to {}, not {}",
                             kMaxShards, parsed.count);
        return false;
      }
      // A part of an array (sbatch --array=2) counts only its own tasks: its N is not the
      // shards' N, and guessing would split the files another way.
      for (auto [variable, expected] :
           {std::pair{"SLURM_ARRAY_TASK_MIN", 0u}, {"SLURM_ARRAY_TASK_MAX", parsed.count - 1}}) {
        const std::optional<std::string> value = environment ? environment(variable) : std::nullopt;
        uint32_t number = 0;
        if (value && (!ParseWhole(*value, UINT32_MAX, &number) || number != expected)) {
          *error = fmt::format(
              "--shard slurm: the array's tasks are not 0-{} ({} is '{}'), so the number of "
              "shards is unknown; give it: --shard slurm/N",
              parsed.count - 1, variable, EscapePath(*value));
          return false;
        }
      }
    }
    if (parsed.index >= parsed.count) {
      *error = fmt::format("--shard {}: {} is {}, but there are {} shards (0 to {})", text,
                           index_variable, parsed.index, parsed.count, parsed.count - 1);
      return false;
    }
    *shard = parsed;
    return true;
  }
  if (slash == std::string::npos || !ParseWhole(head, kMaxShards, &parsed.index) ||
      !ParseCount(tail, &parsed.count) || parsed.index >= parsed.count) {
    *error = fmt::format("--shard must be {}, with 0 <= K < N <= {}, not '{}'", kForms, kMaxShards,
                         EscapePath(text));
    return false;
  }
  *shard = parsed;
  return true;
}

}  // namespace thumbpipe
