#pragma once

// The file set of an image: every path that goes in, with the metadata it has on the source.
// Plain data, below both the code that builds it (pack/file_set.hpp expand_file_set, machine/
// walk.hpp) and the code that writes it (oci/layer_writer.hpp, pack/rootfs_writer.hpp), so
// neither folder includes the other's headers for it.

#include <decant/analysis/analysis.hpp>

#include <sys/stat.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace decant {

enum class EntryType { directory, regular, symlink };

struct PackEntry {
  std::string path; // absolute image path, normalized; the same path as on the source host
  EntryType type = EntryType::regular;
  FileRole role = FileRole::system;
  uint32_t mode = 0; // permission bits with setuid/setgid/sticky
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime = 0;
  // The rest of the source's timestamps, for the layer cache (oci/layer_cache.hpp): a file
  // rewritten within the same second, or replaced by another of the same size, still changes
  // its key. ctime cannot be set from user space.
  int64_t mtime_nsec = 0;
  int64_t ctime_ns = 0;
  uint64_t size = 0;
  uint64_t device = 0; // st_dev/st_ino/st_nlink: hard links are detected per layer
  uint64_t inode = 0;
  uint64_t links = 1;
  std::string link_target; // symlink: the target exactly as on the source
  bool generated = false;  // content below, not read from the host (passwd, group, ...)
  std::string content;
  std::string capability; // raw security.capability xattr; empty when none
  // Further extended attributes kept as on the source (name, raw value): the POSIX ACLs
  // system.posix_acl_access/default and user.* (read_kept_xattrs). Never security.selinux.
  std::vector<std::pair<std::string, std::string>> xattrs;
  // Machine mode reads a live system: a file that changes or vanishes while it is read is
  // packed as it was read (padded when it shrank) instead of failing the layer.
  bool live = false;
  std::string reason; // why it is in the image ("needed by /usr/bin/java", ...)
  // Where the content is read on this machine when not at the host path: a runtime rebuilt by
  // jlink (pack/jlink.hpp). Empty: the host path under the root.
  std::string source;
};

// Copies the timestamps of `st` into `entry` (mtime, mtime_nsec, ctime_ns).
void set_times(PackEntry& entry, const struct stat& st);

// Reads the extended attributes an image keeps from the file at `real_path` (a path on this
// machine): security.capability into entry.capability, POSIX ACLs (system.posix_acl_access,
// system.posix_acl_default) and user.* into entry.xattrs. security.selinux, security.ima/evm
// and trusted.* (overlayfs internals) describe the source host and are dropped.
void read_kept_xattrs(const std::string& real_path, PackEntry& entry);

struct PackWarning {
  std::string code;
  std::string message;
};

struct FileSet {
  std::map<std::string, PackEntry> entries; // by image path: sorted, unique
  std::vector<PackWarning> warnings;
  // Secret entries packed (or, with externalize_secrets, left out); archives packed with their
  // secrets replaced (files[].externalize) are not among them.
  std::vector<std::string> secret_files;
  // Environment the image needs beyond the analysis' own (TZ, LANG when replaced).
  std::map<std::string, std::string> extra_env;
  // What the image runs in front of start.command (its config's Entrypoint, start.command
  // being its Cmd): decant-init following the log volumes; empty for none.
  std::vector<std::string> entrypoint;

  // Regular files and symlinks (what --list prints), sorted.
  std::vector<std::string> listed_paths() const;
  uint64_t total_bytes() const;
};

} // namespace decant
