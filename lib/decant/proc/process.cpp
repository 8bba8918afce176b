#include <decant/proc/process.hpp>
#include <decant/util/strings.hpp>

#include <fcntl.h>

#include <algorithm>
#include <set>

namespace decant {

namespace {

bool
is_gone(const Error& error)
{
  return error.code == ErrorCode::not_found;
}

Error
exited(int pid)
{
  return Error(ErrorCode::source_changed,
               fmt::format("PID {} exited while decant was reading it", pid),
               "start the application again and rerun with its new PID (or its application id)");
}

void
read_sockets(const HostRoot& root, ProcessInfo& process)
{
  std::set<uint64_t> inodes;
  for (const auto& file : process.open_files) {
    if (file.socket_inode) {
      inodes.insert(*file.socket_inode);
    }
  }
  if (inodes.empty()) {
    return;
  }
  // /proc/<pid>/net/* shows the process's own network namespace; /proc/net is the fallback.
  for (bool ipv6 : {false, true}) {
    const char* name = ipv6 ? "net/tcp6" : "net/tcp";
    auto content = root.read_proc(process.pid, name);
    if (!content) {
      content = root.read_file(std::string("/proc/") + name);
    }
    if (!content) {
      continue;
    }
    auto sockets = parse_net_tcp(*content, ipv6);
    if (!sockets) {
      process.warnings.push_back(
          fmt::format("/proc/{}/{}: {}", process.pid, name, sockets.error().message));
      continue;
    }
    for (auto& socket : *sockets) {
      if (!inodes.count(socket.inode)) {
        continue;
      }
      if (socket.state == TcpState::listen) {
        process.listening.push_back(socket);
      } else if (socket.state == TcpState::established) {
        process.established.push_back(socket);
      }
    }
  }
}

void
read_open_files(const HostRoot& root, ProcessInfo& process)
{
  auto fds = root.list_directory(root.proc_path(process.pid, "fd"));
  if (!fds) {
    process.warnings.push_back(
        fmt::format("cannot list open files of PID {}: {}", process.pid, fds.error().message));
    return;
  }
  for (const auto& name : *fds) {
    auto fd = parse_u64(name);
    if (!fd) {
      continue;
    }
    auto link = root.read_proc_link(process.pid, "fd/" + name);
    if (!link) {
      continue; // closed meanwhile
    }
    OpenFile file;
    file.fd = static_cast<int>(*fd);
    file.target = *link;
    const std::string deleted = " (deleted)";
    if (ends_with(file.target, deleted)) {
      file.deleted = true;
      file.target.resize(file.target.size() - deleted.size());
    }
    file.socket_inode = parse_socket_link(file.target);
    if (auto info = root.read_proc(process.pid, "fdinfo/" + name)) {
      if (auto parsed = parse_fdinfo(*info)) {
        file.flags = parsed->flags;
        int mode = parsed->flags & O_ACCMODE;
        file.writable = mode == O_WRONLY || mode == O_RDWR;
      }
    } else {
      file.flags = -1;
    }
    process.open_files.push_back(std::move(file));
  }
}

void
read_children(const HostRoot& root, ProcessInfo& process)
{
  // task/<tid>/children needs CONFIG_PROC_CHILDREN; scanning every stat is the fallback.
  bool found_file = false;
  if (auto tasks = root.list_directory(root.proc_path(process.pid, "task"))) {
    for (const auto& tid : *tasks) {
      if (auto content = root.read_proc(process.pid, "task/" + tid + "/children")) {
        found_file = true;
        for (auto& field : split(trim(*content), ' ')) {
          if (auto child = parse_u64(field)) {
            process.children.push_back(static_cast<int>(*child));
          }
        }
      }
    }
  }
  if (!found_file) {
    for (int pid : root.list_pids()) {
      auto content = root.read_proc(pid, "stat");
      if (!content) {
        continue;
      }
      auto stat = parse_stat(*content);
      if (stat && stat->ppid == process.pid) {
        process.children.push_back(pid);
      }
    }
  }
  std::sort(process.children.begin(), process.children.end());
  process.children.erase(std::unique(process.children.begin(), process.children.end()),
                         process.children.end());
}

} // namespace

std::optional<std::string>
ProcessInfo::env(std::string_view name) const
{
  // The last definition wins, as getenv() of a process with duplicates sees it in glibc order;
  // duplicates are rare enough that either choice is defensible.
  for (const auto& [key, value] : environ) {
    if (key == name) {
      return value;
    }
  }
  return std::nullopt;
}

std::string
ProcessInfo::host_path(std::string_view path) const
{
  std::string in_process = host_path_join(cwd.empty() ? "/" : cwd, path);
  if (root.empty() || root == "/") {
    return in_process;
  }
  return HostRoot::normalize(root + in_process);
}

std::string
ProcessInfo::name() const
{
  if (!cmdline.empty() && !cmdline[0].empty()) {
    auto slash = cmdline[0].rfind('/');
    return slash == std::string::npos ? cmdline[0] : cmdline[0].substr(slash + 1);
  }
  return stat.comm;
}

std::vector<std::string>
ProcessInfo::mapped_files() const
{
  auto files = decant::mapped_files(maps);
  if (root.empty() || root == "/") {
    return files;
  }
  for (auto& file : files) {
    file = HostRoot::normalize(root + file);
  }
  return files;
}

std::vector<uint16_t>
ProcessInfo::listening_ports() const
{
  std::vector<uint16_t> ports;
  for (const auto& socket : listening) {
    ports.push_back(socket.local_port);
  }
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  return ports;
}

namespace {

// stat, status and cmdline: what every caller needs. Refuses zombies and kernel threads, which
// have no program to pack.
Status
read_identity(const HostRoot& root, ProcessInfo& process)
{
  int pid = process.pid;
  auto stat_content = root.read_proc(pid, "stat");
  if (!stat_content) {
    if (is_gone(stat_content.error())) {
      return fail(Error(ErrorCode::not_found,
                        fmt::format("no such process: PID {}", pid),
                        "list candidates with `decant inventory`"));
    }
    return fail(stat_content.error());
  }
  auto stat = parse_stat(*stat_content);
  if (!stat) {
    return fail(stat.error().context(fmt::format("/proc/{}", pid)));
  }
  process.stat = *stat;
  process.ppid = stat->ppid;
  if (stat->state == 'Z') {
    return fail(ErrorCode::unsupported,
                "PID {} ({}) is a zombie: it has exited and waits for its parent",
                pid,
                stat->comm);
  }

  auto status_content = root.read_proc(pid, "status");
  if (!status_content) {
    return fail(is_gone(status_content.error()) ? exited(pid) : status_content.error());
  }
  auto status = parse_status(*status_content);
  if (!status) {
    return fail(status.error().context(fmt::format("/proc/{}", pid)));
  }
  process.status = *status;

  auto cmdline = root.read_proc(pid, "cmdline");
  if (!cmdline) {
    return fail(is_gone(cmdline.error()) ? exited(pid) : cmdline.error());
  }
  process.cmdline = parse_cmdline(*cmdline);
  if (process.cmdline.empty() && (process.status.kernel_thread || process.ppid == 2 || pid == 2)) {
    return fail(ErrorCode::unsupported, "PID {} ({}) is a kernel thread", pid, stat->comm);
  }
  return {};
}

// exe, cwd and root, and whether the process sees this file system; an unreadable link is a
// warning.
void
read_links(const HostRoot& root, ProcessInfo& process)
{
  int pid = process.pid;
  auto link = [&](const char* name, std::string& out) {
    if (auto target = root.read_proc_link(pid, name)) {
      out = *target;
      return true;
    } else {
      process.warnings.push_back(target.error().message);
      return false;
    }
  };
  if (link("exe", process.exe) && ends_with(process.exe, " (deleted)")) {
    process.exe_deleted = true;
    process.exe.resize(process.exe.size() - 10);
  }
  link("cwd", process.cwd);
  if (!link("root", process.root)) {
    process.root = "/";
  }
  if (std::string why; !root.shares_file_system(pid, why)) {
    process.foreign_root = why;
  }
}

// What the options ask for besides the identity (limits, maps, open files and sockets,
// children) and the cgroups; what cannot be read or parsed is a warning.
void
read_details(const HostRoot& root, ProcessInfo& process, const ReadOptions& options)
{
  int pid = process.pid;
  if (options.limits) {
    if (auto content = root.read_proc(pid, "limits")) {
      if (auto limits = parse_limits(*content)) {
        process.limits = std::move(*limits);
      } else {
        process.warnings.push_back(limits.error().message);
      }
    }
  }
  if (auto content = root.read_proc(pid, "cgroup")) {
    if (auto cgroups = parse_cgroup(*content)) {
      process.cgroups = std::move(*cgroups);
    }
  }
  if (options.maps) {
    if (auto content = root.read_proc(pid, "maps")) {
      if (auto maps = parse_maps(*content)) {
        process.maps = std::move(*maps);
      } else {
        process.warnings.push_back(maps.error().message);
      }
    } else {
      process.warnings.push_back(content.error().message);
    }
  }
  if (options.fds) {
    read_open_files(root, process);
    read_sockets(root, process);
  }
  if (options.children) {
    read_children(root, process);
  }
}

} // namespace

Result<ProcessInfo>
read_process(const HostRoot& root, int pid, const ReadOptions& options)
{
  ProcessInfo process;
  process.pid = pid;
  if (auto identity = read_identity(root, process); !identity) {
    return fail(identity.error());
  }
  if (auto environ = root.read_proc(pid, "environ")) {
    process.environ = parse_environ(*environ);
  } else {
    process.environ_readable = false;
    process.warnings.push_back(
        fmt::format("cannot read the environment of PID {}: {}", pid, environ.error().message));
  }
  read_links(root, process);
  read_details(root, process, options);

  // A process that exited (or whose PID was reused) during the reads above gave a mix of two
  // processes' data: refuse it.
  if (auto status = check_same_process(root, process); !status) {
    return fail(status.error());
  }
  return process;
}

Status
check_same_process(const HostRoot& root, const ProcessInfo& process)
{
  auto content = root.read_proc(process.pid, "stat");
  if (!content) {
    return fail(exited(process.pid));
  }
  auto stat = parse_stat(*content);
  if (!stat || stat->start_time != process.stat.start_time || stat->state == 'Z') {
    return fail(Error(ErrorCode::source_changed,
                      fmt::format("PID {} was restarted or replaced while decant worked on it "
                                  "(start time changed)",
                                  process.pid),
                      "do not restart the application during a migration; run again"));
  }
  return {};
}

} // namespace decant
