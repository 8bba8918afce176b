#pragma once

// The push stage (`decant push`): an image of an OCI layout to a registry, by the distribution
// spec (registry/push.hpp): blobs the registry has are skipped, an interrupted push resumes.

#include <decant/error.hpp>
#include <decant/registry/push.hpp>
#include <decant/events/events.hpp>

#include <optional>
#include <string>
#include <vector>

namespace decant::workflow {

struct PushOptions {
  std::string layout;    // "DIR", or "DIR:NAME" when the layout holds several images
  std::string reference; // REGISTRY[:PORT]/REPOSITORY[:TAG]
  bool insecure = false; // plain http
  // Both or neither; without them, credentials come from the registry's entry in the docker or
  // containers auth files (registry/auth.hpp). The password never appears in a message.
  std::string username;
  std::optional<std::string> password;
  std::optional<double> limit_mbps;    // megabits per second; nullopt = no cap
  int retries = 5;                     // per step, on 5xx answers and dropped connections
  double chunk_mb = 8;                 // blobs above this go in PATCH chunks of this size (MiB)
  std::vector<std::string> mount_from; // repositories of the registry that may hold the blobs
  // Mount sources and unfinished uploads remembered between runs; nullopt =
  // default_push_state_file(), "" = none.
  std::optional<std::string> state_file;
  bool check_manifest = false; // read the manifest back by its tag and compare digests
};

struct PushSummary {
  std::string reference; // the reference pushed, normalized ("127.0.0.1:5000/shop/app:1")
  std::string image;     // REFERENCE@DIGEST: what a deployment pulls
  PushOutcome outcome;   // per blob: skipped, mounted, uploaded, resumed; bytes; seconds
};

// Sends a line per blob step as a message event and the bytes sent (with the rate over the last
// seconds) as progress events.
Result<PushSummary> push(const PushOptions& options, const EventSink& on_event = {});

// $XDG_CACHE_HOME/decant/push-state.json, else ~/.cache/decant/push-state.json; "" without a
// home.
std::string default_push_state_file();

} // namespace decant::workflow
