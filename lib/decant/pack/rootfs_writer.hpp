#pragma once

// Writes a file set as a directory tree (`decant pack --rootfs DIR`): the same entries, owners,
// modes, capabilities and links as the image's layers, applied in layer order, through
// libarchive's archive_write_disk with its secure flags, so no entry can write through a
// symlink or outside DIR whatever the packed links point at.

#include <decant/error.hpp>
#include <decant/pack/file_set.hpp>
#include <decant/proc/host_root.hpp>
#include <decant/util/output_directory.hpp>

#include <optional>
#include <string>

namespace decant {

// --rootfs DIR for check_output_directory (util/output_directory.hpp): --force replaces a tree
// holding decant's marker file .decant-rootfs.
const OutputKind& rootfs_output();

// `dir` must be missing or empty (or force: an earlier rootfs is replaced).
Status write_rootfs(const FileSet& set,
                    const HostRoot& root,
                    const std::string& dir,
                    std::optional<int64_t> clamp_mtime,
                    bool force);

} // namespace decant
