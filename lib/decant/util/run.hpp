#pragma once

// Runs a program (no shell) and collects what it printed: for the few tools decant starts
// itself, like the source JDK's jlink.

#include <decant/error.hpp>

#include <string>
#include <vector>

namespace decant {

struct RunOptions {
  std::string cwd; // working directory of the program; empty: decant's own
  // Runs the program's threads one at a time, always in the same order, in an address space
  // laid out the same way on every host: pinned to one CPU, under SCHED_FIFO (a thread runs
  // until it blocks; no time slices), without address-space randomization and with an 8 MiB
  // stack limit (which decides where mmap(2) starts). A program whose output depends on thread
  // timing or on heap addresses (the JDK 17 class-data sharing dump) then writes the same
  // bytes on every run. SCHED_FIFO needs CAP_SYS_NICE or an RLIMIT_RTPRIO: without it the
  // program still runs, and RunResult::not_serialized says what did not take effect.
  bool serialize = false;
  int timeout_seconds = 0; // 0: none; else the program is killed and an error returned
  // Runs the program in a private mount namespace where `bind_source` (a directory) is
  // bind-mounted over `bind_target`, so it sees those files at that path and nothing else
  // sees the mount. Needs CAP_SYS_ADMIN: without it run_program fails (ErrorCode::permission)
  // and nothing runs.
  std::string bind_source;
  std::string bind_target;
};

struct RunResult {
  int exit_code = -1; // 128 + signal number when killed by a signal
  std::string output; // stdout and stderr interleaved
  // With RunOptions::serialize: empty when every setting took effect, else the ones that did
  // not, with the reason ("SCHED_FIFO: Operation not permitted").
  std::string not_serialized;
};

// Starts argv[0] (an absolute path) with exactly `env` as its environment and waits for it.
// Fails only when the program cannot be started or runs past the timeout; a non-zero exit is
// in the result.
Result<RunResult> run_program(const std::vector<std::string>& argv,
                              const std::vector<std::string>& env,
                              const RunOptions& options = {});

} // namespace decant
