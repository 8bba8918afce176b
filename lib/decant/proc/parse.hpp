#pragma once

// Pure parsers for /proc files, one per file (proc(5)). Each takes the file's content as read to
// EOF and never touches the file system, so tests feed them strings, malformed ones included.

#include <decant/error.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace decant {

using EnvList = std::vector<std::pair<std::string, std::string>>;

// /proc/<pid>/cmdline: NUL-separated argv. A process that rewrote its argv with spaces (some
// daemons do) yields one element; a trailing NUL is optional.
std::vector<std::string> parse_cmdline(std::string_view content);

// /proc/<pid>/environ: NUL-separated NAME=VALUE, in the process's order. Entries without '='
// are kept with an empty value.
EnvList parse_environ(std::string_view content);

struct ProcStat {
  int pid = 0;
  std::string comm;
  char state = '?';
  int ppid = 0;
  uint64_t utime = 0;      // field 14, clock ticks
  uint64_t stime = 0;      // field 15
  int64_t num_threads = 0; // field 20
  uint64_t start_time = 0; // field 22, clock ticks after boot
  uint64_t vsize = 0;      // field 23, bytes
  int64_t rss_pages = 0;   // field 24
};

// /proc/<pid>/stat. comm may hold spaces and ')' (it is the executable's name, chosen by whoever
// named the file), so the fields after it are split after the *last* ')'.
Result<ProcStat> parse_stat(std::string_view content);

struct ProcStatus {
  std::string name;
  char state = '?';
  int ppid = 0;
  uint32_t uid[4] = {0, 0, 0, 0}; // real, effective, saved, filesystem
  uint32_t gid[4] = {0, 0, 0, 0};
  std::vector<uint32_t> groups; // supplementary groups
  uint64_t cap_eff = 0;
  uint64_t cap_amb = 0;
  uint64_t cap_prm = 0;
  std::optional<uint64_t> vm_hwm_bytes; // peak RSS; absent for kernel threads
  std::optional<uint64_t> vm_rss_bytes;
  int64_t threads = 0;
  bool kernel_thread =
      false; // no Vm* lines and PF_KTHREAD cannot be seen here: see is_kernel_thread
};

// /proc/<pid>/status (the "Key:\tvalue" format).
Result<ProcStatus> parse_status(std::string_view content);

struct Limit {
  std::optional<uint64_t> soft; // nullopt = unlimited
  std::optional<uint64_t> hard;
  std::string unit;
};

// /proc/<pid>/limits: a header line, then fixed-width columns "Limit Soft Hard Units".
// Keyed by the limit's name as printed ("Max open files").
Result<std::map<std::string, Limit>> parse_limits(std::string_view content);

struct CgroupEntry {
  std::string hierarchy_id;
  std::string controllers;
  std::string path;
};

// /proc/<pid>/cgroup: "id:controllers:path" per line (cgroup v2 has the single "0::/path").
Result<std::vector<CgroupEntry>> parse_cgroup(std::string_view content);

// /proc/meminfo's MemTotal in bytes ("MemTotal:       24684084 kB"); nullopt when absent.
std::optional<uint64_t> parse_meminfo_total(std::string_view content);

// A cgroup memory limit file: cgroup v2 memory.max ("max" = none) or v1
// memory.limit_in_bytes (a page-rounded LONG_MAX = none); nullopt for no limit or bad content.
std::optional<uint64_t> parse_cgroup_memory_limit(std::string_view content);

struct MapsEntry {
  uint64_t start = 0;
  uint64_t end = 0;
  std::string perms;
  uint64_t offset = 0;
  std::string dev;
  uint64_t inode = 0;
  std::string path; // empty for anonymous mappings; "[heap]" etc. for pseudo ones
  bool deleted = false;
};

// /proc/<pid>/maps. Paths may contain spaces; " (deleted)" marks an unlinked file.
Result<std::vector<MapsEntry>> parse_maps(std::string_view content);

// The distinct regular files a maps listing names (no pseudo entries, no deleted files).
std::vector<std::string> mapped_files(const std::vector<MapsEntry>& maps);

struct FdInfo {
  uint64_t pos = 0;
  int flags = 0; // octal in the file; O_ACCMODE part says read/write
  uint64_t mnt_id = 0;
};

// /proc/<pid>/fdinfo/<fd>.
Result<FdInfo> parse_fdinfo(std::string_view content);

enum class TcpState { established, listen, other };

struct TcpSocket {
  std::string local_address; // textual: "0.0.0.0", "127.0.0.1", "::", "::ffff:10.0.0.1"
  uint16_t local_port = 0;
  std::string remote_address;
  uint16_t remote_port = 0;
  TcpState state = TcpState::other;
  uint32_t uid = 0;
  uint64_t inode = 0;
  bool ipv6 = false;
};

// /proc/net/tcp or /proc/net/tcp6 (a header line, then "sl local rem st ... uid timeout inode").
// Addresses are hex in host byte order per 32-bit word, which this function undoes.
Result<std::vector<TcpSocket>> parse_net_tcp(std::string_view content, bool ipv6);

// "socket:[12345]" -> 12345.
std::optional<uint64_t> parse_socket_link(std::string_view link);

// /etc/os-release: KEY=value with optional shell quotes.
std::map<std::string, std::string> parse_os_release(std::string_view content);

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string home;
  std::string shell;
  std::string line; // the original line, copied into images as is
};

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
  std::string line;
};

std::vector<PasswdEntry> parse_passwd(std::string_view content);
std::vector<GroupEntry> parse_group(std::string_view content);

// Capability names for a CapEff-style mask ("cap_net_bind_service", ...).
std::vector<std::string> capability_names(uint64_t mask);

} // namespace decant
