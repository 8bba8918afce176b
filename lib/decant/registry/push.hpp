#pragma once

// Pushes one image from an OCI layout to a registry by the OCI distribution spec
// (distribution-spec spec.md, "Push"): for every blob, HEAD and skip it when present; else try
// a cross-repository mount from a repository known to hold it; else upload it, in one PUT when
// small and in PATCH chunks when large (an interrupted chunked upload is resumed from the
// registry's reported offset next time); then PUT the manifest under its tag.

#include <decant/error.hpp>
#include <decant/registry/auth.hpp>
#include <decant/registry/oci_layout_reader.hpp>
#include <decant/registry/reference.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace decant {

struct PushProgress {
  size_t index = 0; // 1-based blob being sent
  size_t count = 0; // blobs to send in this run
  std::string digest;
  uint64_t sent = 0;  // bytes counted towards `total` so far
  uint64_t total = 0; // bytes of the blobs the registry lacks
  double bytes_per_second = 0;
};

struct PushOptions {
  bool insecure = false; // plain http to this registry (and to its token realm on the same host)
  std::optional<Credentials> credentials;
  double limit_mbps = 0;               // megabits per second, 0 = no cap
  int retries = 5;                     // per request sequence, on 5xx/429 and dropped connections
  double backoff_seconds = 1;          // first wait; doubles each retry, at most 30 s
  uint64_t chunk_bytes = 8u << 20;     // blobs larger than this go in PATCH chunks of this size
  std::vector<std::string> mount_from; // repositories on the same registry to mount from
  // Remembers, per registry, which repositories hold which blobs (mount sources) and upload
  // sessions in flight (resume). Empty = remember nothing.
  std::string state_file;
  // After tagging, read the manifest back by its tag and compare its digest with the local one
  // (a mismatch is ErrorCode::verification, exit 10).
  bool check_manifest = false;
  std::function<void(const PushProgress&)> on_progress; // a few times a second while sending
  std::function<void(const std::string&)> on_event;     // one line per blob/manifest step
};

struct BlobOutcome {
  Descriptor blob;
  std::string status; // "exists" | "mounted" | "uploaded" | "resumed"
  std::string mounted_from;
  uint64_t bytes_uploaded = 0; // body bytes sent in this run, failed attempts included
  uint64_t resumed_from = 0;   // offset a resumed upload continued at
};

struct PushOutcome {
  RegistryReference reference;
  std::string manifest_digest;
  std::string manifest_media_type;
  std::string registry_manifest_digest; // with check_manifest: what the registry serves
  std::vector<BlobOutcome> blobs;
  uint64_t bytes_uploaded = 0;
  uint64_t image_bytes = 0; // config + layers
  int retries = 0;          // retries that were needed
  double seconds = 0;
};

// The cap in bytes per second for --limit-mbps (1 Mbit/s = 125000 bytes/s).
uint64_t mbps_to_bytes_per_second(double mbps);

// Pushes `image` to `reference`. Errors carry ErrorCode::network with the URL and the cause, the
// credential used (never the password) on 401/403, and the registry's error body on rejection.
Result<PushOutcome> push_image(const LayoutImage& image,
                               const RegistryReference& reference,
                               const PushOptions& options);

// {"reference", "digest", "mediaType", "blobs": [{"digest","size","mediaType","status",
//  "bytesUploaded"}...], "bytesUploaded", "imageBytes", "retries", "seconds"}
nlohmann::json to_json(const PushOutcome& outcome);

// "DIGEST_INVALID: provided digest did not match uploaded content" from a registry error body
// ({"errors":[{"code","message","detail"}]}); the raw body (shortened) when it is not that.
std::string describe_registry_error(const std::string& body);

// Parses a Range header of an upload ("0-1023", "bytes=0-1023") into the next offset (1024).
std::optional<uint64_t> next_offset_from_range(const std::string& range);

} // namespace decant
