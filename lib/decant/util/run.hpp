#pragma once

// Runs a program (no shell) and collects what it printed: for the few tools decant starts
// itself, like the source JDK's jlink.

#include <decant/error.hpp>

#include <string>
#include <vector>

namespace decant {

struct RunResult {
  int exit_code = -1; // 128 + signal number when killed by a signal
  std::string output; // stdout and stderr interleaved
};

// Starts argv[0] (an absolute path) with exactly `env` as its environment and waits for it.
// Fails only when the program cannot be started; a non-zero exit is in the result.
Result<RunResult> run_program(const std::vector<std::string>& argv,
                              const std::vector<std::string>& env);

} // namespace decant
