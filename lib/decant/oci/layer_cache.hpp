#pragma once

// A cache of packed layers in the workspace (<workspace>/cache/layers/), so packing the same
// files again costs a lookup instead of reading, compressing and hashing them: a second pack of
// an unchanged application, a resumed migration, or a new one after one webapp file changed
// (only that file's layer is written again).
//
// A layer is keyed by everything that decides its bytes: each entry's path, type, size, mode,
// owner, mtime (with nanoseconds), ctime, device, inode, link count, link target, extended
// attributes, generated content and, for files read from elsewhere (a runtime rebuilt by jlink),
// that file's identity; the compression algorithm and level; the clamp date of --reproducible;
// and the writer (decant's version and k_layer_format). Identical inputs give an identical
// layer, so a hit gives the same digest a fresh pack would.
//
// Layout: entries/<key>.json (the layer's digests, sizes and, when recorded, its files'
// checksums) and blobs/sha256/<hex>, hard-linked into and out of image layouts (copied across
// file systems). Every file is written under a temporary name and renamed, so concurrent packs
// share the cache safely; a reader that finds a blob gone treats it as a miss. The blobs are
// bounded (max_bytes): least recently used entries go first.

#include <decant/error.hpp>
#include <decant/files/file_set.hpp>
#include <decant/oci/layer_writer.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace decant {

// Bump when the layer writer's output changes for the same input without a version change.
inline constexpr int k_layer_format = 1;

inline constexpr uint64_t k_default_layer_cache_bytes = 10ULL << 30;

class LayerCache
{
public:
  // Creates the directories when missing and removes what processes that no longer run left
  // half-written. Fails (the caller packs without a cache) when `dir` cannot be used.
  static Result<LayerCache> open(const std::string& dir, uint64_t max_bytes);

  // The key of the layer these entries make with these options (64 hex digits).
  static std::string key(const std::vector<PackEntry>& entries, const LayerOptions& options);

  // The cached layer for `key`, its blob placed in `blobs_dir` (an image layout's
  // blobs/sha256); nullopt on a miss, or when `need_checksums` and none were recorded.
  std::optional<LayerResult>
  take(const std::string& key, const std::string& blobs_dir, bool need_checksums) const;

  // Keeps `layer` (its blob is in `blobs_dir`) under `key`, with its checksums when they were
  // recorded, then trims the cache to its bound. Best effort: a failure only costs packing the
  // layer again next time.
  void store(const std::string& key,
             const LayerResult& layer,
             const std::string& blobs_dir,
             bool checksums_recorded) const;

  // Removes least recently used entries, then unreferenced blobs, until the blobs fit.
  void trim() const;

  const std::string&
  dir() const
  {
    return m_dir;
  }

private:
  LayerCache(std::string dir, uint64_t max_bytes)
      : m_dir(std::move(dir)),
        m_max_bytes(max_bytes)
  {
  }

  std::string m_dir;
  uint64_t m_max_bytes = k_default_layer_cache_bytes;
};

// Places the file `from` at `to`: a hard link, else (another file system) a copy, written under
// a temporary name and renamed. An existing `to` is left as it is.
Status link_or_copy(const std::string& from, const std::string& to);

// Removes the files in `dir` named "*.tmp.<pid>" (write_file_atomic's temporary names) whose
// process no longer runs.
void remove_stale_temporary_files(const std::string& dir);

} // namespace decant
