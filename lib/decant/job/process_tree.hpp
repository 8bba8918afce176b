#pragma once

// Stopping a job's process at once: the decant process working on it and everything it
// started (jlink, the verify sandbox and the image's processes in it), found by their parent
// links in /proc and each known by PID and start time, so a PID reused meanwhile is never hit.

#include <decant/error.hpp>
#include <decant/job/job.hpp>

#include <chrono>
#include <vector>

namespace decant::job {

// The process and all its descendants that run now; empty when the process itself is gone.
std::vector<ProcessIdentity> process_tree(const ProcessIdentity& root);

// Freezes the tree (SIGSTOP, so nothing forks meanwhile, then once more for children made in
// between), kills every process in it (SIGKILL) and waits until none runs. Fails (exit 1) naming
// the PIDs still running after `wait`.
Status kill_process_tree(const ProcessIdentity& root, std::chrono::milliseconds wait);

} // namespace decant::job
