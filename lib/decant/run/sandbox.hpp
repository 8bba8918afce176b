#pragma once

// Runs an unpacked image the way a container runtime does, without one: a process tree in fresh
// PID, mount, UTS, IPC and network namespaces (loopback up), with the OCI runtime spec's default
// mounts (/proc; /dev as tmpfs with null, zero, full, random, urandom, tty, pts, shm, mqueue;
// read-only /sys), the caller's bind mounts (volumes, secret files), and nothing over the
// image's own /tmp.
//
// PID 1 of the new PID namespace is a small holder forked from the caller. It stays root, dies
// with the thread that started it (PR_SET_PDEATHSIG, so also when decant is killed with -9),
// reaps orphans, and forks the image's process, which drops to the image's user and groups and
// executes the entrypoint. When PID 1 of a PID namespace dies the kernel kills every process in
// it, and the mounts live in a mount namespace of their own: nothing is left behind on the
// host whatever way the sandbox ends. The holder runs between fork and exec of a possibly
// multi-threaded program, so it uses raw system calls only (no allocation, no locks).

#include <decant/error.hpp>

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace decant {

struct SandboxMount {
  std::string source; // host path: a directory, or a file when `file`
  std::string target; // path inside the image
  bool file = false;
  bool read_only = false;
};

struct SandboxSpec {
  std::string rootfs; // unpacked image
  std::vector<std::string> argv;
  std::vector<std::string> env; // NAME=VALUE; PATH from here finds argv[0] when it has no '/'
  std::string working_dir = "/";
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> groups; // supplementary
  std::string hostname = "decant";
  std::vector<SandboxMount> mounts;
  std::string log_path; // the image's standard output and error, appended
};

class Sandbox
{
public:
  // Prepares the mount points, starts the holder and the image's process, and returns once the
  // entrypoint was executed (or fails saying which step failed: a missing program is
  // not_found, a refused namespace or mount permission).
  static Result<std::unique_ptr<Sandbox>> start(const SandboxSpec& spec);
  ~Sandbox(); // stop()
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // Host PID of the holder (PID 1 inside).
  pid_t
  holder_pid() const
  {
    return m_holder;
  }
  // The image's process has exited: its status (exit code, or 128 + signal), else nullopt.
  std::optional<int> exit_status();
  // An open file descriptor of the sandbox's network namespace (for setns).
  int
  net_fd() const
  {
    return m_net_fd;
  }
  // Sum of the resident memory of every process in the sandbox but the holder, now.
  uint64_t rss_bytes() const;
  // Stops the sandbox and waits until every process of it is gone. With a grace period, as a
  // container runtime does: SIGTERM to every process first (the application shuts down,
  // flushes its buffered logs, decant-init forwards their last lines), SIGKILL to PID 1 when
  // they are not gone by then; without one, SIGKILL at once.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(0));

private:
  Sandbox() = default;
  void read_messages(bool block, int timeout_ms);

  pid_t m_holder = -1;
  int m_net_fd = -1;
  int m_status_fd = -1; // messages from the holder
  int m_life_fd = -1;   // the holder sees it close when this process dies
  std::optional<int> m_exit;
  bool m_started = false;
  std::optional<std::pair<int, int>> m_failure; // (step, errno)
};

// The host PIDs of a process's descendants (children files of every thread).
std::vector<pid_t> descendants(pid_t pid);

} // namespace decant
