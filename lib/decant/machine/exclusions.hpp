#pragma once

// What machine mode leaves out of the whole-system image, each with its reason: kernel
// and runtime file systems, temporary files, removable media and data disks, the boot loader and
// kernel modules, swap files, package-manager caches, every mount below the root, and decant's
// own output and workspace. All are analysis.json `exclude[]` entries the operator can edit.

#include <decant/analysis/analysis.hpp>
#include <decant/machine/mountinfo.hpp>
#include <decant/proc/host_root.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace decant {

// The fixed list: "/proc/*" (the directory stays, as a mount point, its contents go), "/boot/*",
// "/lib/modules", "/var/cache/apt/archives/*", ...
std::vector<Exclusion> default_machine_exclusions();

// A path made into an exclude pattern that matches only itself: fnmatch(3) specials escaped.
std::string glob_escape(std::string_view path);

// Swap files named in /proc/swaps (type "file"), as host paths under the root.
std::vector<std::string> swap_files(std::string_view proc_swaps, const std::string& root_dir);

// Everything machine mode excludes by default: the fixed list, swap files, the mounts below the
// root (their contents; the mount point stays an empty directory), and `own_paths` (decant's
// output directory and workspace, paths on this machine) when they lie inside the root.
std::vector<Exclusion> machine_exclusions(const std::vector<ExcludedMount>& mounts,
                                          const std::vector<std::string>& swaps,
                                          const std::vector<std::string>& own_paths,
                                          const std::string& root_dir);

// Matches paths during a top-down walk against exclude patterns with is_excluded()'s meaning
// ("/x/*" patterns against the whole path, fnmatch without FNM_PATHNAME; others against the last
// component). Only the path itself is checked: its parents were checked on the way down.
class ExclusionMatcher
{
public:
  explicit ExclusionMatcher(const std::vector<Exclusion>& exclude);
  // The rule that excludes `path` (name = its last component), or nullptr.
  const Exclusion* match(const std::string& path, std::string_view name) const;

private:
  struct Rule {
    const Exclusion* exclusion;
    bool absolute;
    bool literal; // no glob characters: a string comparison
  };
  std::vector<Rule> m_rules;
};

} // namespace decant
