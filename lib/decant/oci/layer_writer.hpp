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

#include <atomic>
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

// The SHA-256 of one regular file's content as it went into a layer (pack --checksum), so the
// source can be read again later and compared without another pass at packing time.
struct FileChecksum {
  std::string path; // image path (the host path)
  uint64_t size = 0;
  std::string sha256; // 64 hex digits
};

struct LayerOptions {
  Compression compression;
  std::optional<int64_t> clamp_mtime;        // --reproducible: mtimes above it are set to it
  std::optional<int64_t> directory_mtime;    // --reproducible: every directory's mtime
  std::function<void(uint64_t)> progress;    // called with content bytes read so far (this layer)
  bool checksums = false;                    // record each host file's SHA-256 while it is read
  const std::atomic<bool>* cancel = nullptr; // set: stop between files with ErrorCode::aborted
};

struct LayerResult {
  BlobInfo blob;
  std::string diff_id; // "sha256:<hex>" of the uncompressed tar
  std::string media_type;
  uint64_t tar_size = 0;
  size_t files = 0;                    // entries that are not directories
  std::vector<FileChecksum> checksums; // with LayerOptions::checksums, in tar order
  // A file's size or mtime when opened differed from its entry (changed after the walk): the
  // layer holds what was read, but its entries no longer describe it (not for the layer cache).
  bool changed_since_walk = false;
};

// A file whose size or mtime changes while it is read gives ErrorCode::source_changed naming it:
// the caller may write the layer again.
Result<LayerResult> write_layer(const std::vector<PackEntry>& entries,
                                const HostRoot& root,
                                const std::string& blobs_dir,
                                const LayerOptions& options);

struct EntryWriteOptions {
  std::optional<int64_t> clamp_mtime;
  std::optional<int64_t> directory_mtime;
  std::function<void(uint64_t)> progress;
  std::vector<FileChecksum>* checksums = nullptr; // set: each host file's SHA-256 as read
  const std::atomic<bool>* cancel = nullptr;      // set: checked between entries
  bool* changed_since_walk = nullptr;             // set to true as LayerResult says
};

// The mtime an entry gets in a layer: with directory_mtime set, that for every directory (a
// directory's mtime says when an entry in it was last added or removed, which any process of a
// live host changes at any moment: /tmp, /etc, an app's logs/; nothing reads it back from an
// image), otherwise the entry's own, lowered to clamp_mtime when above it.
int64_t layer_mtime(const PackEntry& entry,
                    std::optional<int64_t> clamp_mtime,
                    std::optional<int64_t> directory_mtime);

// Streams the entries into an open libarchive writer (a tar writer or archive_write_disk).
// Hard links are made between regular files of the same inode in this list.
Status write_entries(struct archive* archive,
                     const std::vector<PackEntry>& entries,
                     const HostRoot& root,
                     const EntryWriteOptions& options);
Status write_entries(struct archive* archive,
                     const std::vector<PackEntry>& entries,
                     const HostRoot& root,
                     std::optional<int64_t> clamp_mtime,
                     const std::function<void(uint64_t)>& progress);

} // namespace decant
