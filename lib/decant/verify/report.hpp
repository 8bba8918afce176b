#pragma once

// What `decant verify` found: per port whether it listens, per probe the source's and the
// image's answer with the verdict, the certificates of HTTPS ports, the image's start-up time
// and peak memory, and the timings of each phase. Printed as a table by the CLI, as one JSON
// document with --json, and summed up in analysis.json extensions.verify.

#include <decant/error.hpp>
#include <decant/run/unpack.hpp>
#include <decant/verify/diff.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace decant {

struct ProbeSide {
  bool answered = false;
  std::string error;
  long status = 0;
  std::string content_type;
  uint64_t bytes = 0;
  double ttfb_seconds = 0;
};

struct ProbeResult {
  uint16_t port = 0;
  std::string scheme; // "http", "https", "tcp"
  std::string path;   // "" for tcp
  std::optional<ProbeSide> source;
  ProbeSide image;
  // "same", "same shape", "different", "answers" (nothing to compare with), "no answer"
  // (neither side answered), "connects" (tcp), "failed".
  std::string verdict;
  bool passed = false;
  std::string reason; // why it failed, or what differs
  std::vector<DiffRange> ranges;
};

struct PortResult {
  uint16_t port = 0;
  std::string protocol = "tcp";
  std::string role; // from the analysis: http, https, ajp, other, ... ("" unknown)
  bool listening = false;
  double after_seconds = 0; // since the image started
};

struct TlsResult {
  uint16_t port = 0;
  std::string source_sha256;
  std::string image_sha256;
  bool match = false;
};

struct VerifyReport {
  std::string image; // DIR:NAME
  std::string manifest_digest;
  std::string analysis_path; // "" when none was found
  std::string application_id;
  std::string application_type;
  bool machine = false;

  bool compared = false; // a live source was compared with
  int source_pid = 0;
  std::string no_comparison; // why not, when !compared
  bool source_restarted = false;
  std::string source_restart_message;

  double unpack_seconds = 0;
  double startup_seconds = 0; // start until every port listens
  double probe_seconds = 0;
  double total_seconds = 0;
  UnpackSummary unpack;
  uint64_t peak_rss_bytes = 0;
  std::optional<int> image_exit_status; // when the image's process ended by itself

  std::vector<PortResult> ports;
  std::vector<ProbeResult> probes;
  std::vector<TlsResult> tls;
  std::vector<std::string> failures; // one line each; empty = passed
  std::vector<std::string> notes;    // what was not checked, and why
  std::vector<std::string> log_tail; // the image's last output lines, when it failed
  std::string log_path;
  std::string kept_dir; // with --keep

  bool
  passed() const
  {
    return failures.empty() && !source_restarted;
  }
  // 0 passed, 7 the source restarted during verification, 10 otherwise.
  int exit_code() const;
};

nlohmann::json to_json(const VerifyReport& report);
// The report back from to_json (a migration job keeps its last one in verify.json); fields
// missing or of another type keep their defaults.
std::optional<VerifyReport> verify_report_from_json(const nlohmann::json& json);

// Writes the verdict into extensions.verify of the analysis at `path` (atomically, everything
// else kept as it is): lastRun {at, image, manifest, result, compared, exitCode}, `answered`
// (paths that answered 2xx in the image) and `httpPath` (one of them, for `decant generate`'s
// HTTP probes; an operator's choice is kept while it still answers). `paths`, the operator's
// extra probe paths, is left alone.
Status record_verification(const std::string& path, const VerifyReport& report);

// The last `count` lines of a file (at most 64 KiB read from its end).
std::vector<std::string> tail_lines(const std::string& path, size_t count);

} // namespace decant
