#pragma once

// Building the file set of an image (files/file_set.hpp): expand_file_set() turns
// analysis.json's files/volumes/exclude into it (directories walked, symlink targets and parents
// added, ELF closure, system files); the OCI layer writer and the rootfs writer consume it.

#include <decant/analysis/analysis.hpp>
#include <decant/error.hpp>
#include <decant/files/file_set.hpp>
#include <decant/proc/host_root.hpp>

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace decant {

// Where the application's log files end up in a container (`pack --logs`).
enum class LogRouting {
  stdout, // also forwarded to the container's output by the image's init (the default)
  files,  // only in the log volumes, as on the source
};

struct ExpandOptions {
  // Leave files marked secret out; archives listing files[].externalize go in with those values
  // replaced (pack/archive_secrets.hpp).
  bool externalize_secrets = false;
  bool system_files = true; // passwd/group, nsswitch, hosts, CA certs, tz, locale, /tmp
  // stdout: when the analysis has log volumes, the image runs its start command under
  // decant-init (/.decant/init, read from `init_binary`, else find_init_binary()), which
  // forwards every file of those volumes, line by line with the file's name, to the
  // container's output (`kubectl logs`); the application's configuration stays as it is.
  LogRouting logs = LogRouting::stdout;
  std::string init_binary;
};

// Builds the file set from an analysis against the host it came from. Errors name the
// analysis entry at fault ("files[3]: /opt/app: no such file"); optional entries that vanished
// become warnings.
Result<FileSet>
expand_file_set(const Analysis& analysis, const HostRoot& root, const ExpandOptions& options);

// True when `path` is removed by an exclude pattern. A pattern starting with '/' is matched
// against the whole path with fnmatch(3) ('*' crosses '/'); any other pattern against the last
// component only. A match also excludes everything below the matched path.
bool is_excluded(const std::string& path, const std::vector<Exclusion>& exclude);

// is_excluded() for many paths against the same rules: patterns without glob characters are
// looked up in hash sets (path and each parent, or each component) instead of going through
// fnmatch(3) once per parent per rule.
class ExclusionIndex
{
public:
  explicit ExclusionIndex(const std::vector<Exclusion>& exclude);
  bool excluded(std::string_view path) const;

private:
  std::unordered_set<std::string_view> m_paths; // literal absolute patterns
  std::unordered_set<std::string_view> m_names; // literal component patterns
  std::vector<std::string> m_path_globs;
  std::vector<std::string> m_name_globs;
};

} // namespace decant
