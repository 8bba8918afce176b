#pragma once

// The packed files read again on the source (`decant migrate --checksum`): each regular file's
// SHA-256 as it went into its layer (recorded by the layer writer while it read the file, so
// packing reads nothing twice) against the file on the source now. A difference means the image
// holds a version of the file the source no longer has.

#include <decant/error.hpp>
#include <decant/oci/layer_writer.hpp>
#include <decant/proc/host_root.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace decant {

struct ChecksumDifference {
  std::string path;
  std::string packed; // "sha256:<hex>, N bytes"
  std::string now;    // the same, or "gone", "unreadable: ..."
};

// Reads every file of `checksums` through `root` and lists the ones that differ, in order.
// `progress` gets the bytes read so far and the total.
std::vector<ChecksumDifference>
compare_checksums(const HostRoot& root,
                  const std::vector<FileChecksum>& checksums,
                  const std::function<void(uint64_t done, uint64_t total)>& progress = {});

// checksums.json: [{"path", "size", "sha256"}...]
nlohmann::json to_json(const std::vector<FileChecksum>& checksums);
Result<std::vector<FileChecksum>> checksums_from_json(const nlohmann::json& json);

} // namespace decant
