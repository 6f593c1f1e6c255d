// --shard: which part of the work this run takes, given as K/N or taken from the scheduler
// that started the run (Slurm job arrays, Kubernetes Indexed Jobs). Parsing only: the
// environment is read through a function, so every message can be tested. Launcher only.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "common/shard.h"

namespace thumbpipe {

// Looks up an environment variable; nullopt when it is not set.
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Accepts
//   K/N      this run is shard K of N (0 <= K < N <= 1000000)
//   slurm    K from SLURM_ARRAY_TASK_ID, N from SLURM_ARRAY_TASK_COUNT; the array must be
//            0..N-1 (SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_MAX, when set, say so)
//   slurm/N  K from SLURM_ARRAY_TASK_ID, N given: for a part of an array submitted again
//            (sbatch --array=2 to redo shard 2 of 4)
//   k8s/N    K from JOB_COMPLETION_INDEX (an Indexed Job's pod), N given (its completions)
// On failure returns false with a one-line message in *error that names the variable at fault.
bool ParseShardSpec(const std::string& text, const EnvironmentLookup& environment, Shard* shard,
                    std::string* error);

}  // namespace thumbpipe
