#pragma once

#include <decant/error.hpp>
#include <decant/proc/parse.hpp>
#include <decant/util/limits.hpp>

#include <sys/stat.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace decant {

// All access to the host being migrated goes through one HostRoot: "/" on the machine itself,
// a directory holding a fake host tree in tests, or /host when decant runs in a container with
// the host mounted there (falcosecurity's host_root, osquery's procfs root).
//
// Paths handed to a HostRoot are *host paths*: absolute paths as the host sees them. Resolving
// one follows symlinks like openat2(RESOLVE_IN_ROOT): ".." and absolute link targets clamp at
// the root, so a host tree's links can never lead decant outside it.
class HostRoot
{
public:
  // Fails when `root` is not an existing directory.
  static Result<HostRoot> open(const std::string& root);

  const std::string&
  root() const
  {
    return m_root;
  }
  bool
  is_live() const
  {
    return m_root == "/";
  }

  // "/a/./b/../c" -> "/a/c"; ".." at the top stays at "/"; relative paths are made absolute.
  static std::string normalize(std::string_view host_path);

  // Follows symlinks inside the root. Missing trailing components are kept as written, so a
  // path that does not exist resolves to where it would be. Fails on a symlink loop.
  Result<std::string> resolve(std::string_view host_path, bool follow_last = true) const;

  // A copy that remembers how each parent directory resolved, so resolving the thousand files
  // of one tree lstats every directory once instead of every component of every path (19,000
  // lstat calls for the 1,200 files of a Tomcat + JDK file set). Only for work that takes the
  // host as fixed while it runs, like expanding a file set: links changed after a directory
  // was resolved are not seen. Copies share the cache.
  HostRoot with_resolve_cache() const;

  // Where a host path lives on this machine, without resolving links: root + host_path.
  std::string real(std::string_view host_path) const;

  // resolve() then real(); on a loop, the unresolved real path.
  std::string real_resolved(std::string_view host_path) const;

  // Reads a regular file by host path, following links inside the root, at most `max_bytes`
  // (util/fs.hpp read_file: a FIFO, socket or device is refused, never read).
  Result<std::string> read_file(std::string_view host_path,
                                uint64_t max_bytes = limits::k_text_file_bytes) const;

  // Up to `bytes` from the start of a regular file (a script's "#!" line, an ELF header).
  Result<std::string> read_file_head(std::string_view host_path, size_t bytes) const;

  // readlink(2) of the host path itself (the last component is not followed).
  Result<std::string> read_link(std::string_view host_path) const;

  bool exists(std::string_view host_path) const;
  bool is_directory(std::string_view host_path) const;
  bool is_regular_file(std::string_view host_path) const;
  Result<struct stat> stat(std::string_view host_path) const;  // follows links in the root
  Result<struct stat> lstat(std::string_view host_path) const; // link itself, parents resolved

  // Entry names of a directory (no "." and ".."), sorted.
  Result<std::vector<std::string>> list_directory(std::string_view host_path) const;

  // /proc/<pid>/<name> as a host path, and reading it without following links (proc's magic
  // links must not be resolved as if they were ordinary ones).
  std::string proc_path(int pid, std::string_view name) const;
  Result<std::string> read_proc(int pid, std::string_view name) const;
  Result<std::string> read_proc_link(int pid, std::string_view name) const;
  std::vector<int> list_pids() const;

  // Facts about the host system, each from its usual file under the root.
  std::map<std::string, std::string> os_release() const;
  std::vector<PasswdEntry> passwd() const;
  std::vector<GroupEntry> groups() const;
  std::string hostname() const;
  std::string kernel_release() const;
  std::string timezone() const;
  std::string architecture() const;

private:
  explicit HostRoot(std::string root);
  Result<std::string> resolve_uncached(std::string_view host_path, bool follow_last) const;
  Result<std::string> resolve_directory(const std::string& host_path) const;
  // Resolves `host_path` and calls `read` with the real path; errors name the host path.
  Result<std::string>
  read_resolved(std::string_view host_path,
                const std::function<Result<std::string>(const std::string&)>& read) const;

  struct ResolveCache;

  std::string m_root; // absolute, no trailing slash except for "/"
  std::shared_ptr<ResolveCache> m_cache;
};

// A path as the host writes it, joined onto a base directory when relative.
std::string host_path_join(std::string_view base, std::string_view path);

} // namespace decant
