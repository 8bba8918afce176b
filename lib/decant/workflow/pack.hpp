#pragma once

// The pack stage (`decant pack`): an analysis.json into a layered OCI image layout and/or a
// directory tree, or only the list of files that would go in. Application analyses are expanded
// (ELF closure, system files, runtime.jlink trimming); machine analyses are walked whole.

#include <decant/error.hpp>
#include <decant/oci/image_layout.hpp>
#include <decant/pack/file_set.hpp>
#include <decant/proc/host_root.hpp>
#include <decant/events/events.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace decant::workflow {

// SOURCE_DATE_EPOCH (reproducible-builds.org) when set; a value that is not a number of seconds
// is a usage error naming it.
Result<std::optional<int64_t>> source_date_epoch_from_environment();

struct PackOptions {
  std::string analysis; // analysis.json (its secrets file is read too)
  std::string secrets;  // the secrets file; "" = secrets_path_for(analysis)
  std::string output;   // OCI image layout directory to write; empty = none
  std::string tag;      // NAME:VERSION; empty = <app-id>:latest
  int compression = 7;  // 0-10 (oci/compress.hpp)
  bool zstd = false;
  bool reproducible = false; // clamp dates to SOURCE_DATE_EPOCH, else the analysis' createdAt
  std::string rootfs;        // also write the files as a directory tree here; empty = none
  bool list = false;         // only compute the files (PackSummary::files); write nothing
  bool force = false;        // replace an image layout / a rootfs decant wrote
  bool externalize_secrets = false; // leave files marked secret out
  bool strict_tags = false;         // a tag outside the strict rule is an error, not a warning
  bool allow_unreadable = false;    // machine analyses: leave unreadable files out
  // stdout: an application image with log volumes forwards their files to the container's
  // output through decant-init (ExpandOptions::logs); files: they stay in the volumes only.
  LogRouting logs = LogRouting::stdout;
  // Layers packed before are reused from here (oci/layer_cache.hpp, docs/packing.md), and new
  // ones kept; "" = no cache. The CLI uses <workspace>/cache/layers.
  std::string layer_cache;
  uint64_t layer_cache_max_bytes = k_default_layer_cache_bytes;
  // Record each packed host file's SHA-256 (ImageSummary's LayerSummary::checksums).
  bool checksums = false;
  std::map<std::string, std::string> annotations; // the image manifest's annotations
  // With reproducible: the clamp date; nullopt = SOURCE_DATE_EPOCH, else the analysis' createdAt.
  std::optional<int64_t> source_date_epoch;
  const std::atomic<bool>* cancel = nullptr; // set: stop while writing layers (aborted, exit 11)
};

// One file of the image, with why it is there.
struct ListedFile {
  std::string path;
  EntryType type = EntryType::regular; // regular or symlink
  FileRole role = FileRole::system;    // its layer
  uint64_t size = 0;
  std::string reason; // "needed by /usr/bin/java", ...
};

struct PackSummary {
  std::string reference;             // the image's name, "shop/tomcat:1.0"
  std::vector<ListedFile> files;     // with list: every regular file and symlink, sorted
  std::optional<ImageSummary> image; // with output: the layout written
  std::string rootfs;                // with rootfs: the tree written
  std::vector<PackWarning> warnings; // every warning also sent as an event
};

// Sends warnings (set expansion, secret files packed, a tag outside the strict rule, a runtime
// not trimmed), jlink's notices and the bytes written as events.
Result<PackSummary>
pack(const HostRoot& root, const PackOptions& options, const EventSink& on_event = {});

// [{"path", "type": "file"|"symlink", "role", "size", "reason"}...] (`decant pack --list --json`)
nlohmann::json to_json(const std::vector<ListedFile>& files);

} // namespace decant::workflow
