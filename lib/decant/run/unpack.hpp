#pragma once

// Unpacks an image of an OCI image layout into a root file system, trusting nothing: every
// layer blob is hashed while it streams (its sha256 must be its name) and so is its
// uncompressed tar (the diffID the config lists for it), in one pass with the extraction. A
// mismatch stops with a verification error naming the blob, and the caller removes the tree
// before anything runs from it. Whiteouts follow the image-spec layer rules (".wh.NAME" removes
// NAME of the layers below, ".wh..wh..opq" empties its directory of them); entries cannot
// leave the tree (absolute names and ".." are refused, nothing is written through a symlink).

#include <decant/error.hpp>
#include <decant/registry/oci_layout_reader.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace decant {

struct UnpackProgress {
  size_t layer = 0; // 1-based
  size_t layers = 0;
  uint64_t done = 0;  // compressed bytes read, all layers
  uint64_t total = 0; // compressed bytes of all layers
};

struct UnpackOptions {
  std::function<void(const UnpackProgress&)> progress;
  const std::atomic<bool>* cancel = nullptr; // set: stop with ErrorCode::aborted
};

struct UnpackSummary {
  uint64_t compressed_bytes = 0;
  uint64_t tar_bytes = 0;
  size_t entries = 0;
  size_t whiteouts = 0;
};

// Unpacks the layers of `image` in order into `rootfs`, an existing empty directory. diff_ids
// are the config's rootfs.diff_ids (one per layer). Corrupt blobs fail with
// ErrorCode::verification; a layer that is not a tar (or uses an unknown compression) with
// invalid_input.
Result<UnpackSummary> unpack_layers(const LayoutImage& image,
                                    const std::vector<std::string>& diff_ids,
                                    const std::string& rootfs,
                                    const UnpackOptions& options = {});

// "a/./b//c" -> "a/b/c"; leading "/" and "./" dropped; nullopt when a ".." component would
// leave the tree (layer entry names, hard link targets).
std::optional<std::string> clean_entry_name(const std::string& name);

} // namespace decant
