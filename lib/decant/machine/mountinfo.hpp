#pragma once

// /proc/self/mountinfo (proc(5)): which mount points lie below the root being packed. Machine
// mode leaves every mount below the root out (data disks, NFS, tmpfs, bind mounts), except the
// root's own file system: data disks hold data to migrate separately, not the system.

#include <decant/error.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace decant {

struct MountInfo {
  int id = 0;
  int parent_id = 0;
  std::string device;      // "major:minor"
  std::string root;        // the root of the mount within its file system ("/" unless a bind)
  std::string mount_point; // as this process sees it, escapes (\040 ...) decoded
  std::string options;
  std::string fs_type;
  std::string source;
};

// Undoes the kernel's octal escapes in mountinfo fields: \040 space, \011 tab, \012 newline,
// \134 backslash (fs/proc_namespace.c, mangle()).
std::string unescape_mount_field(std::string_view field);

// Parses mountinfo: "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw". Optional
// fields end at the "-" separator; a malformed line is an error naming its number.
Result<std::vector<MountInfo>> parse_mountinfo(std::string_view content);

// A mount point that machine mode leaves out.
struct ExcludedMount {
  std::string path; // host path (relative to the root being packed), e.g. "/data"
  std::string fs_type;
  std::string source;
  std::string reason;
};

// Mounts strictly below `root_dir` (a path on this machine, "/" or "/host"), as host paths
// relative to it, sorted, each named once (stacked mounts) and nested ones folded into their
// parent. The mount of `root_dir` itself is the root's own file system and stays in.
std::vector<ExcludedMount> mounts_below(const std::vector<MountInfo>& mounts,
                                        const std::string& root_dir);

} // namespace decant
