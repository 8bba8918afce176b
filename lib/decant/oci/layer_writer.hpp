#pragma once

// Writes one image layer: a tar stream (libarchive, PAX, numeric owners, entries sorted, paths
// relative with no "..") that is hashed for the diffID, compressed and hashed again for the
// blob digest, all in one streaming pass into blobs/sha256/ (umoci's tar_generate + cas/dir).
// The pass is a pipeline: reading + tar formatting, the diffID hash, the compressor and the blob
// (hash + write) each run on their own thread (oci/pipeline.hpp).

#include <decant/error.hpp>
#include <decant/files/file_set.hpp>
#include <decant/oci/blob.hpp>
#include <decant/oci/compress.hpp>
#include <decant/proc/host_root.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

struct archive;
struct archive_entry;

namespace decant {

// The entries of one role's layer: every entry with that role plus all its parent directories
// (with their source metadata, or 0755 root:root when the source has none), sorted by path.
std::vector<PackEntry> layer_entries(const FileSet& set, FileRole role);

struct LayerOptions {
  Compression compression;
  std::optional<int64_t> clamp_mtime;     // --reproducible: mtimes above it are set to it
  std::function<void(uint64_t)> progress; // called with content bytes read so far (this layer)
};

struct LayerResult {
  BlobInfo blob;
  std::string diff_id; // "sha256:<hex>" of the uncompressed tar
  std::string media_type;
  uint64_t tar_size = 0;
  size_t files = 0; // entries that are not directories
};

// A file whose size or mtime changes while it is read gives ErrorCode::source_changed naming it:
// the caller may write the layer again.
Result<LayerResult> write_layer(const std::vector<PackEntry>& entries,
                                const HostRoot& root,
                                const std::string& blobs_dir,
                                const LayerOptions& options);

// Streams the entries into an open libarchive writer (a tar writer or archive_write_disk).
// Hard links are made between regular files of the same inode in this list.
Status write_entries(struct archive* archive,
                     const std::vector<PackEntry>& entries,
                     const HostRoot& root,
                     std::optional<int64_t> clamp_mtime,
                     const std::function<void(uint64_t)>& progress);

} // namespace decant
