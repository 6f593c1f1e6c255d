// Names of a run's shared-memory objects: thumbpipe.<launcher pid>.<random>.{work,results,control}.
// The pid lets a later run recognise objects whose launcher died; the random part keeps
// runs from colliding and squatters from guessing. Used by the launcher and the roles.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/status.h"

namespace thumbpipe {

struct RunNames {
  std::string prefix;  // thumbpipe.<pid>.<random>

  std::string work() const { return prefix + ".work"; }
  std::string results() const { return prefix + ".results"; }
  std::string control() const { return prefix + ".control"; }
};

// A fresh prefix for a run started by `pid`, with 64 bits from getrandom(2).
Status NewRunNames(pid_t pid, RunNames* names);

// Accepts "thumbpipe.<pid>.<hex>" optionally followed by ".<suffix>"; stores the prefix and pid.
bool ParseRunObjectName(std::string_view name, std::string* prefix, pid_t* pid);

}  // namespace thumbpipe
