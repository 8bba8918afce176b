#pragma once

// An OCI image layout (image-spec v1.1): oci-layout, index.json naming the manifest with
// org.opencontainers.image.ref.name, the manifest, the config and one layer per file role
// (system libraries, runtime, server, application, instance configuration), so images of the
// same runtime share their lower layers in a registry and a node's cache.

#include <decant/analysis/analysis.hpp>
#include <decant/error.hpp>
#include <decant/files/file_set.hpp>
#include <decant/oci/compress.hpp>
#include <decant/oci/layer_cache.hpp>
#include <decant/oci/reference.hpp>
#include <decant/proc/host_root.hpp>
#include <decant/util/output_directory.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace decant {

struct LayerSummary {
  FileRole role = FileRole::system;
  std::string digest;
  std::string diff_id;
  std::string media_type;
  uint64_t size = 0;
  uint64_t tar_size = 0;
  size_t files = 0;
  bool cached = false;                 // taken from the layer cache, not written again
  std::vector<FileChecksum> checksums; // with ImageOptions::checksums
};

struct ImageSummary {
  std::string layout;
  std::string reference;
  std::string manifest_digest;
  std::string config_digest;
  std::vector<LayerSummary> layers;
  uint64_t total_size = 0; // compressed layers + config + manifest
  size_t files = 0;
};

// Progress of a pack: bytes of file content written so far out of the total. Layers are written
// concurrently; the callback is called from their threads, never two at once.
using PackProgress = std::function<void(uint64_t done, uint64_t total)>;

struct ImageOptions {
  std::string output; // layout directory
  ImageReference reference;
  Compression compression;
  // Set = reproducible: mtimes clamped (shared layers and every directory: k_shared_layer_mtime),
  // fixed dates.
  std::optional<int64_t> source_date_epoch;
  bool force = false;
  PackProgress progress;
  std::map<std::string, std::string> annotations; // the manifest's annotations; none when empty
  const LayerCache* cache = nullptr;              // reuse and keep layers; nullptr = none
  bool checksums = false; // record each host file's SHA-256 (LayerSummary::checksums)
  const std::atomic<bool>* cancel = nullptr; // set: stop between files with ErrorCode::aborted
};

// "Layer roles" in image order.
const std::vector<FileRole>& layer_roles();
std::string layer_description(FileRole role);

// The mtime of every entry of a shared layer (is_shared_layer) with --reproducible
// (1970-01-01T00:00:01Z, as Jib writes): a directory's mtime is when the host installed the
// package, a generated file's when the host generated it, so clamping to the analysis' date would
// leave two hosts with different bytes for the same files. The server's own layers keep their
// mtimes (clamped).
constexpr int64_t k_shared_layer_mtime = 1;

// The image config (image-spec config.md). Secret environment values never appear: their
// names are listed in the label io.decant.secret-env for the deployment to supply them.
nlohmann::json image_config(const Analysis& analysis,
                            const FileSet& set,
                            const std::vector<LayerSummary>& layers,
                            const std::string& created);

// -o DIR of an image layout for check_output_directory (util/output_directory.hpp): --force
// replaces a directory holding only oci-layout, index.json and blobs/ (and what an interrupted
// pack leaves).
const OutputKind& image_layout_output();

// Checks that `dir` can receive a layout (check_output_directory): missing, empty, or (with
// force) an existing OCI layout that is then cleared. Anything else is refused. Clearing removes
// index.json and oci-layout and moves the old blobs aside, to `dir`/.decant-old-blobs.<pid>:
// the returned paths (old blobs, and those left by an interrupted run) are for the caller to
// delete, which write_image_layout() does while the new layers are written (deleting a freshly
// written 50 MB blob waits 40 ms for its writeback).
Result<std::vector<std::string>> prepare_output_directory(const std::string& dir, bool force);

// Writes the whole layout, one thread per layer; a layer the cache holds is linked instead. A
// layer whose file changes while it is read is written again once.
// index.json is written last, so a failed pack never leaves a layout that looks valid.
Result<ImageSummary> write_image_layout(const Analysis& analysis,
                                        const FileSet& set,
                                        const HostRoot& root,
                                        const ImageOptions& options);

nlohmann::json to_json(const ImageSummary& summary);

// RFC 3339 UTC of a Unix time ("1970-01-01T00:00:00Z").
std::string rfc3339(int64_t seconds);

} // namespace decant
