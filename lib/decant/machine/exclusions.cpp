#include <decant/machine/exclusions.hpp>
#include <decant/util/strings.hpp>

#include <fnmatch.h>

namespace decant {

std::vector<Exclusion>
default_machine_exclusions()
{
  return {
      {"/proc/*", "kernel process information; the container runtime mounts its own /proc"},
      {"/sys/*", "kernel objects; the container runtime mounts its own /sys"},
      {"/dev/*", "device nodes of the source machine; the container runtime provides /dev"},
      {"/run/*", "state of the running system (PID files, sockets, locks), rebuilt at start"},
      {"/tmp/*", "temporary files"},
      {"/var/tmp/*", "temporary files"},
      {"/mnt/*", "mounted data disks and media; migrate data separately"},
      {"/media/*", "removable media"},
      {"/lost+found", "fragments recovered by fsck, not data of the system"},
      {"/boot/*", "kernel and boot loader: a container runs on the node's kernel"},
      {"/lib/modules", "kernel modules: a container cannot load them"},
      {"/usr/lib/modules", "kernel modules: a container cannot load them"},
      {"/var/cache/apt/archives/*.deb", "package-manager cache (downloaded .deb files)"},
      {"/var/cache/yum/*", "package-manager cache (yum)"},
      {"/var/cache/dnf/*", "package-manager cache (dnf)"},
      {"/swapfile", "swap file: a container has no swap of its own"},
      {"/swap.img", "swap file: a container has no swap of its own"},
  };
}

std::string
glob_escape(std::string_view path)
{
  std::string out;
  for (char c : path) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

std::vector<std::string>
swap_files(std::string_view proc_swaps, const std::string& root_dir)
{
  // "Filename Type Size Used Priority", then one line per swap area; names escaped like
  // mountinfo (\040).
  std::vector<std::string> out;
  bool header = true;
  for (const auto& line : split(proc_swaps, '\n')) {
    if (header) {
      header = false;
      continue;
    }
    std::vector<std::string> fields;
    for (const auto& field : split(line, ' ')) {
      if (!field.empty()) {
        for (const auto& part : split(field, '\t')) {
          if (!part.empty()) {
            fields.push_back(part);
          }
        }
      }
    }
    if (fields.size() < 2 || fields[1] != "file") {
      continue;
    }
    std::string path = unescape_mount_field(fields[0]);
    if (root_dir == "/" || root_dir.empty()) {
      out.push_back(path);
    } else if (starts_with(path, root_dir + "/")) {
      out.push_back(path.substr(root_dir.size()));
    }
  }
  return out;
}

std::vector<Exclusion>
machine_exclusions(const std::vector<ExcludedMount>& mounts,
                   const std::vector<std::string>& swaps,
                   const std::vector<std::string>& own_paths,
                   const std::string& root_dir)
{
  std::vector<Exclusion> out = default_machine_exclusions();
  for (const auto& swap : swaps) {
    out.push_back({glob_escape(swap), "swap file (/proc/swaps): a container has no swap"});
  }
  for (const auto& mount : mounts) {
    out.push_back({glob_escape(mount.path) + "/*", mount.reason});
  }
  std::string root = root_dir.size() > 1 && root_dir.back() == '/'
                         ? root_dir.substr(0, root_dir.size() - 1)
                         : root_dir;
  for (const auto& own : own_paths) {
    std::string path = HostRoot::normalize(own);
    if (root == "/") {
      out.push_back({glob_escape(path), "decant's own output or workspace"});
    } else if (starts_with(path, root + "/")) {
      out.push_back({glob_escape(path.substr(root.size())), "decant's own output or workspace"});
    }
  }
  return out;
}

ExclusionMatcher::ExclusionMatcher(const std::vector<Exclusion>& exclude)
{
  for (const auto& rule : exclude) {
    if (rule.path.empty()) {
      continue;
    }
    bool literal = rule.path.find_first_of("*?[\\") == std::string::npos;
    m_rules.push_back({&rule, rule.path[0] == '/', literal});
  }
}

const Exclusion*
ExclusionMatcher::match(const std::string& path, std::string_view name) const
{
  std::string name_text(name);
  for (const auto& rule : m_rules) {
    const std::string& pattern = rule.exclusion->path;
    const std::string& subject = rule.absolute ? path : name_text;
    if (rule.literal ? subject == pattern : ::fnmatch(pattern.c_str(), subject.c_str(), 0) == 0) {
      return rule.exclusion;
    }
  }
  return nullptr;
}

} // namespace decant
