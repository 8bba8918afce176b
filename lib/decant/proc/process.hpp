#pragma once

#include <decant/error.hpp>
#include <decant/proc/host_root.hpp>
#include <decant/proc/parse.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace decant {

struct OpenFile {
  int fd = -1;
  std::string target; // host path, or "socket:[N]", "pipe:[N]", "anon_inode:..."
  int flags = 0;      // from fdinfo; -1 when fdinfo could not be read
  bool writable = false;
  bool deleted = false;
  std::optional<uint64_t> socket_inode;

  bool
  is_file() const
  {
    return !target.empty() && target[0] == '/';
  }
};

// What decant knows of one process, read through a HostRoot. Every path is a host path.
struct ProcessInfo {
  int pid = 0;
  int ppid = 0;
  ProcStat stat;
  ProcStatus status;
  std::vector<std::string> cmdline;
  EnvList environ;
  bool environ_readable = true;
  std::string exe; // host path of the executable ("" when unreadable)
  bool exe_deleted = false;
  std::string cwd;
  std::string root = "/"; // the process's root directory (a container's rootfs, chroot)
  // Set when the process does not see this host's file system (HostRoot::shares_file_system):
  // paths it names would be read from the wrong tree, so it is not analyzed.
  std::string foreign_root;
  std::map<std::string, Limit> limits;
  std::vector<CgroupEntry> cgroups;
  std::vector<MapsEntry> maps;
  std::vector<OpenFile> open_files;
  std::vector<TcpSocket> listening;   // sockets this process listens on
  std::vector<TcpSocket> established; // its connections
  std::vector<int> children;
  std::vector<std::string> warnings; // what could not be read, said once each

  // The value of an environment variable of the process.
  std::optional<std::string> env(std::string_view name) const;
  // A path the process names (argument, config), as a host path: relative paths are taken
  // against its working directory, and everything lies under its root.
  std::string host_path(std::string_view path) const;
  // argv[0]'s base name, or comm when argv is empty.
  std::string name() const;
  // Mapped regular files (host paths), in maps order.
  std::vector<std::string> mapped_files() const;
  // Distinct listening ports.
  std::vector<uint16_t> listening_ports() const;
};

struct ReadOptions {
  bool maps = true;
  bool fds = true; // open files and sockets
  bool children = true;
  bool limits = true;
};

// Reads /proc/<pid> under the root. Fails with not_found for a PID that does not exist,
// unsupported for kernel threads and zombies, and source_changed when the process exits (or the
// PID is reused) while it is being read. Files that cannot be read for lack of permission are
// recorded in `warnings` (environ_readable says whether the environment was seen).
Result<ProcessInfo> read_process(const HostRoot& root, int pid, const ReadOptions& options = {});

// Checks that PID still runs the same process (same start time): the migration fails when the
// source restarts.
Status check_same_process(const HostRoot& root, const ProcessInfo& process);

} // namespace decant
