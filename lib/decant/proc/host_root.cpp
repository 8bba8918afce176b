#include <decant/proc/host_root.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/strings.hpp>

#include <dirent.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace decant {

namespace {

const int k_max_symlinks = 40; // as the kernel's MAXSYMLINKS

std::deque<std::string>
components(std::string_view path)
{
  std::deque<std::string> parts;
  for (auto& part : split(path, '/')) {
    if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
  }
  return parts;
}

std::string
to_path(const std::vector<std::string>& stack)
{
  if (stack.empty()) {
    return "/";
  }
  std::string out;
  for (const auto& part : stack) {
    out += '/';
    out += part;
  }
  return out;
}

// The target of `real_path` when it is a symlink that can be read; nullopt for anything else
// (not a link, missing, unreadable).
std::optional<std::string>
symlink_target(const std::string& real_path)
{
  struct stat st {
  };
  if (::lstat(real_path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) {
    return std::nullopt;
  }
  char target[PATH_MAX];
  ssize_t n = ::readlink(real_path.c_str(), target, sizeof(target) - 1);
  if (n < 0) {
    return std::nullopt;
  }
  return std::string(target, static_cast<size_t>(n));
}

Error
too_many_links(std::string_view host_path)
{
  return Error(ErrorCode::invalid_input,
               fmt::format("too many levels of symbolic links resolving {}", host_path));
}

// "a//b/./c/" -> "/a/b/c", keeping ".." (only resolution may take it back: "link/.." is the
// parent of the link's target, not the directory holding the link).
std::string
normalize_keeping_dots(std::string_view path)
{
  std::string out;
  for (const auto& part : components(path)) {
    out += '/';
    out += part;
  }
  return out.empty() ? "/" : out;
}

} // namespace

HostRoot::HostRoot(std::string root)
    : m_root(std::move(root))
{
}

Result<HostRoot>
HostRoot::open(const std::string& root)
{
  if (root.empty()) {
    return fail(ErrorCode::usage, "--root is empty");
  }
  std::error_code ec;
  std::string absolute = root;
  if (absolute[0] != '/') {
    char cwd[4096];
    if (::getcwd(cwd, sizeof(cwd)) == nullptr) {
      return fail(errno_error("cannot resolve", root, errno));
    }
    absolute = std::string(cwd) + "/" + root;
  }
  char resolved[PATH_MAX];
  if (::realpath(absolute.c_str(), resolved) == nullptr) {
    Error error = errno_error("host root", root, errno);
    error.hint = "--root (or DECANT_ROOT) must name the directory where the host is mounted";
    return fail(error);
  }
  struct stat st {
  };
  if (::stat(resolved, &st) != 0 || !S_ISDIR(st.st_mode)) {
    return fail(Error(ErrorCode::usage,
                      fmt::format("host root {} is not a directory", root),
                      "--root (or DECANT_ROOT) must name the directory where the host is mounted"));
  }
  return HostRoot(resolved);
}

std::string
HostRoot::normalize(std::string_view host_path)
{
  std::vector<std::string> stack;
  for (auto& part : components(host_path)) {
    if (part == "..") {
      if (!stack.empty()) {
        stack.pop_back();
      }
    } else {
      stack.push_back(part);
    }
  }
  return to_path(stack);
}

std::string
HostRoot::real(std::string_view host_path) const
{
  std::string normalized = normalize(host_path);
  if (m_root == "/") {
    return normalized;
  }
  return normalized == "/" ? m_root : m_root + normalized;
}

struct HostRoot::ResolveCache {
  std::mutex mutex;
  std::unordered_map<std::string, std::string> directories; // as written -> resolved
};

HostRoot
HostRoot::with_resolve_cache() const
{
  HostRoot copy = *this;
  copy.m_cache = std::make_shared<ResolveCache>();
  return copy;
}

Result<std::string>
HostRoot::resolve_directory(const std::string& host_path) const
{
  {
    std::lock_guard<std::mutex> lock(m_cache->mutex);
    if (auto found = m_cache->directories.find(host_path); found != m_cache->directories.end()) {
      return found->second;
    }
  }
  auto resolved = resolve_uncached(host_path, true);
  if (resolved) {
    std::lock_guard<std::mutex> lock(m_cache->mutex);
    m_cache->directories.emplace(host_path, *resolved);
  }
  return resolved;
}

Result<std::string>
HostRoot::resolve(std::string_view host_path, bool follow_last) const
{
  if (!m_cache) {
    return resolve_uncached(host_path, follow_last);
  }
  // The parent from the cache, then the last component as resolve_uncached() would take it;
  // a symlink there starts over with its target, whose parent is again a cache lookup.
  std::string path = normalize_keeping_dots(host_path);
  int links = 0;
  for (;;) {
    size_t slash = path.rfind('/');
    std::string last = path.substr(slash + 1);
    if (last.empty() || last == "..") {
      return resolve_uncached(path, follow_last); // "/" or a trailing "..": nothing to save
    }
    auto parent = resolve_directory(slash == 0 ? "/" : path.substr(0, slash));
    if (!parent) {
      return parent;
    }
    std::string joined = *parent == "/" ? "/" + last : *parent + "/" + last;
    if (!follow_last) {
      return joined;
    }
    auto link = symlink_target(real(joined));
    if (!link) {
      return joined;
    }
    if (++links > k_max_symlinks) {
      return fail(too_many_links(host_path));
    }
    path =
        normalize_keeping_dots(!link->empty() && (*link)[0] == '/' ? *link : *parent + "/" + *link);
  }
}

Result<std::string>
HostRoot::resolve_uncached(std::string_view host_path, bool follow_last) const
{
  std::deque<std::string> todo = components(host_path);
  std::vector<std::string> stack;
  int links = 0;
  while (!todo.empty()) {
    std::string part = todo.front();
    todo.pop_front();
    if (part == "..") {
      if (!stack.empty()) {
        stack.pop_back();
      }
      continue;
    }
    stack.push_back(part);
    if (todo.empty() && !follow_last) {
      break;
    }
    // Not a link, or does not exist (or cannot be seen): the rest is kept as written.
    auto target = symlink_target(real(to_path(stack)));
    if (!target) {
      continue;
    }
    if (++links > k_max_symlinks) {
      return fail(too_many_links(host_path));
    }
    std::string_view link = *target;
    stack.pop_back();
    if (!link.empty() && link[0] == '/') {
      stack.clear();
    }
    auto link_parts = components(link);
    todo.insert(todo.begin(), link_parts.begin(), link_parts.end());
  }
  return to_path(stack);
}

std::string
HostRoot::real_resolved(std::string_view host_path) const
{
  auto resolved = resolve(host_path);
  return real(resolved ? *resolved : std::string(host_path));
}

namespace {

// Names the host path in a read error, not the real one under the root: that is what the
// operator knows.
Error
as_host_error(Error error, const std::string& real_path, std::string_view host_path)
{
  size_t at = error.message.find(real_path);
  std::string rest =
      at == std::string::npos ? ": " + error.message : error.message.substr(at + real_path.size());
  error.message = fmt::format("cannot read {}{}", host_path, rest);
  return error;
}

} // namespace

Result<std::string>
HostRoot::read_file(std::string_view host_path, uint64_t max_bytes) const
{
  return read_resolved(host_path,
                       [&](const std::string& path) { return decant::read_file(path, max_bytes); });
}

Result<std::string>
HostRoot::read_file_head(std::string_view host_path, size_t bytes) const
{
  return read_resolved(
      host_path, [&](const std::string& path) { return decant::read_file_head(path, bytes); });
}

Result<std::string>
HostRoot::read_resolved(std::string_view host_path,
                        const std::function<Result<std::string>(const std::string&)>& read) const
{
  auto resolved = resolve(host_path);
  if (!resolved) {
    return fail(resolved.error());
  }
  std::string path = real(*resolved);
  auto content = read(path);
  if (!content) {
    return fail(as_host_error(content.error(), path, host_path));
  }
  return content;
}

Result<std::string>
HostRoot::read_link(std::string_view host_path) const
{
  auto parent = resolve(host_path, false);
  if (!parent) {
    return fail(parent.error());
  }
  std::string path = real(*parent);
  char target[PATH_MAX];
  ssize_t n = ::readlink(path.c_str(), target, sizeof(target) - 1);
  if (n < 0) {
    return fail(errno_error("cannot read link", std::string(host_path), errno));
  }
  return std::string(target, static_cast<size_t>(n));
}

Result<struct stat>
HostRoot::stat(std::string_view host_path) const
{
  auto resolved = resolve(host_path);
  if (!resolved) {
    return fail(resolved.error());
  }
  struct stat st {
  };
  if (::lstat(real(*resolved).c_str(), &st) != 0) {
    return fail(errno_error("cannot stat", std::string(host_path), errno));
  }
  return st;
}

Result<struct stat>
HostRoot::lstat(std::string_view host_path) const
{
  auto resolved = resolve(host_path, false);
  if (!resolved) {
    return fail(resolved.error());
  }
  struct stat st {
  };
  if (::lstat(real(*resolved).c_str(), &st) != 0) {
    return fail(errno_error("cannot stat", std::string(host_path), errno));
  }
  return st;
}

bool
HostRoot::exists(std::string_view host_path) const
{
  return stat(host_path).has_value();
}

bool
HostRoot::is_directory(std::string_view host_path) const
{
  auto st = stat(host_path);
  return st && S_ISDIR(st->st_mode);
}

bool
HostRoot::is_regular_file(std::string_view host_path) const
{
  auto st = stat(host_path);
  return st && S_ISREG(st->st_mode);
}

Result<std::vector<std::string>>
HostRoot::list_directory(std::string_view host_path) const
{
  auto resolved = resolve(host_path);
  if (!resolved) {
    return fail(resolved.error());
  }
  DIR* dir = ::opendir(real(*resolved).c_str());
  if (dir == nullptr) {
    return fail(errno_error("cannot list", std::string(host_path), errno));
  }
  std::vector<std::string> names;
  while (struct dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") {
      names.push_back(std::move(name));
    }
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

std::string
HostRoot::proc_path(int pid, std::string_view name) const
{
  return fmt::format("/proc/{}/{}", pid, name);
}

Result<std::string>
HostRoot::read_proc(int pid, std::string_view name) const
{
  std::string host = proc_path(pid, name);
  std::string path = real(host);
  auto content = decant::read_file(path);
  if (!content) {
    return fail(as_host_error(content.error(), path, host));
  }
  return content;
}

Result<std::string>
HostRoot::read_proc_link(int pid, std::string_view name) const
{
  std::string host = proc_path(pid, name);
  char target[PATH_MAX];
  ssize_t n = ::readlink(real(host).c_str(), target, sizeof(target) - 1);
  if (n < 0) {
    return fail(errno_error("cannot read link", host, errno));
  }
  return std::string(target, static_cast<size_t>(n));
}

std::vector<int>
HostRoot::list_pids() const
{
  std::vector<int> pids;
  auto names = list_directory("/proc");
  if (!names) {
    return pids;
  }
  for (const auto& name : *names) {
    if (auto pid = parse_u64(name)) {
      pids.push_back(static_cast<int>(*pid));
    }
  }
  std::sort(pids.begin(), pids.end());
  return pids;
}

std::map<std::string, std::string>
HostRoot::os_release() const
{
  for (const char* path : {"/etc/os-release", "/usr/lib/os-release"}) {
    if (auto content = read_file(path)) {
      return parse_os_release(*content);
    }
  }
  return {};
}

std::vector<PasswdEntry>
HostRoot::passwd() const
{
  auto content = read_file("/etc/passwd");
  return content ? parse_passwd(*content) : std::vector<PasswdEntry>{};
}

std::vector<GroupEntry>
HostRoot::groups() const
{
  auto content = read_file("/etc/group");
  return content ? parse_group(*content) : std::vector<GroupEntry>{};
}

std::string
HostRoot::hostname() const
{
  for (const char* path : {"/proc/sys/kernel/hostname", "/etc/hostname"}) {
    if (auto content = read_file(path)) {
      std::string name(trim(*content));
      if (!name.empty()) {
        return name;
      }
    }
  }
  return "unknown";
}

std::string
HostRoot::kernel_release() const
{
  if (auto content = read_file("/proc/sys/kernel/osrelease")) {
    return std::string(trim(*content));
  }
  return "";
}

std::string
HostRoot::timezone() const
{
  if (auto content = read_file("/etc/timezone")) {
    std::string zone(trim(*content));
    if (!zone.empty()) {
      return zone;
    }
  }
  // /etc/localtime -> /usr/share/zoneinfo/Europe/Berlin
  if (auto link = read_link("/etc/localtime")) {
    size_t pos = link->find("zoneinfo/");
    if (pos != std::string::npos) {
      return link->substr(pos + 9);
    }
  }
  return "UTC";
}

std::string
HostRoot::architecture() const
{
  // The host's own /bin/sh says what the host runs (a host mounted at /host may differ from
  // decant's machine in a test tree): ELF e_machine at offset 18.
  if (auto elf = read_file("/bin/sh"); elf && elf->size() > 20 && elf->compare(1, 3, "ELF") == 0) {
    unsigned machine = static_cast<unsigned char>((*elf)[18])
                       | static_cast<unsigned>(static_cast<unsigned char>((*elf)[19])) << 8;
    switch (machine) {
    case 62:
      return "x86_64";
    case 183:
      return "aarch64";
    case 3:
      return "i386";
    case 40:
      return "arm";
    case 21:
      return "ppc64le";
    case 22:
      return "s390x";
    default:
      break;
    }
  }
  struct utsname uts {
  };
  ::uname(&uts);
  return uts.machine;
}

std::string
host_path_join(std::string_view base, std::string_view path)
{
  if (!path.empty() && path[0] == '/') {
    return HostRoot::normalize(path);
  }
  return HostRoot::normalize(std::string(base) + "/" + std::string(path));
}

} // namespace decant
