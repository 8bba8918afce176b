#pragma once

// The migration job (`decant migrate`, `decant jobs`): analyze -> (confirm) -> pack ->
// (checksum) -> verify -> push -> generate as one job that remembers how far it got
// (job/job.hpp), can wait for the operator's confirmation, be resumed after an error or a
// killed process without redoing finished stages, be cancelled, and fails (exit 7) when the
// source process restarts under it. Each function runs in the caller's thread and returns when
// the job completed, paused or stopped; the stages report through `events` as the stage
// functions do. docs/migrate.md describes the job; docs/library.md how to call this.

#include <decant/analysis/compare.hpp>
#include <decant/analyzer/analyzer.hpp>
#include <decant/error.hpp>
#include <decant/events/events.hpp>
#include <decant/job/job.hpp>
#include <decant/job/store.hpp>
#include <decant/proc/host_root.hpp>
#include <decant/verify/report.hpp>

#include <atomic>
#include <optional>
#include <string>
#include <vector>

namespace decant::workflow {

// What every job command needs from its caller.
struct JobContext {
  const HostRoot* root = nullptr;            // the source host (HostRoot::open("/"))
  const AnalyzerList* analyzers = nullptr;   // analyzers() of decant_analyzers
  std::string workspace = "/var/lib/decant"; // jobs in <workspace>/jobs
  std::string layer_cache;                   // "" = <workspace>/cache/layers
  uint64_t layer_cache_max_bytes = 10ULL << 30;
  std::optional<std::string> password;       // for the job's registry user; never stored
  EventSink events;                          // every stage's events, plus Stage::migrate
  const std::atomic<bool>* cancel = nullptr; // set: stop at the next check (state interrupted)
};

// `decant migrate`: the job's settings (job::JobSettings) and how to start it.
struct MigrateOptions {
  std::string target;   // PID or application id; empty with machine
  bool machine = false; // the whole server (machine-level mode)
  std::string image;    // REGISTRY/REPOSITORY:TAG
  int compression = 7;
  bool zstd = false;
  bool reproducible = false;
  std::optional<double> limit_mbps;
  bool insecure = false;
  std::string username; // with JobContext::password
  bool externalize_secrets = false;
  std::vector<std::string> exclude;
  std::string deploy_dir; // "" = <job dir>/deploy
  bool verify = true;
  std::string name;
  std::string description;
  std::vector<std::string> labels; // KEY=VALUE, at most 20 (job/labels.hpp)
  bool confirm = false;            // wait for `jobs confirm` after the analysis
  bool create_only = false;        // create the job; `jobs start` runs it
  bool checksum = false;           // read the packed files again on the source; compare digests
  bool allow_changed = false;      // with checksum: changed files are warnings, not exit 10
  std::vector<std::string> probes; // verify's extra HTTP paths
  std::string namespace_name;      // the manifests' namespace
  std::string logs = "stdout";     // pack --logs: "stdout" or "files"
};

struct ResumeOptions {
  std::optional<double> limit_mbps; // new transfer cap for the push
  std::optional<int> compression;   // a new level repacks (and verifies and pushes again)
  bool reanalyze = false;           // analyze again (after a restart) and show what changed
};

// How a job command ended. A job that failed is still a report: its error is in job.error and
// status() gives it back, so the caller exits with the job's exit code.
struct JobReport {
  job::Job job;
  std::string dir;                     // the job's directory
  std::string analysis;                // its analysis.json
  std::string deploy_dir;              // its manifests' directory
  std::vector<std::string> notes;      // what the command did not do, and why
  std::vector<AnalysisChange> changes; // with reanalyze: the analysis before -> after
  std::optional<VerifyReport> verify;  // the last verification (verify.json)

  // The job's error, or success (completed, awaiting confirmation, created).
  Status status() const;
};

// Creates the job and, unless create_only, runs it. Errors before the job exists (options, a
// target that names no application decant can analyze unless create_only, workspace, deploy
// directory) come back as errors; after, as the report's status.
Result<JobReport> migrate(const JobContext& context, const MigrateOptions& options);
// Runs a job created with create_only.
Result<JobReport> start_job(const JobContext& context, const std::string& id);
// Re-validates the (possibly edited) analysis.json of a job awaiting confirmation, continues.
Result<JobReport> confirm_job(const JobContext& context, const std::string& id);
// Continues an errored or interrupted job from where it stopped; a completed one is left as
// it is (a note says so). A running job is stopped first when transfer settings change.
Result<JobReport>
resume_job(const JobContext& context, const std::string& id, const ResumeOptions& options);

// Stops a running job at once (its process and children), removes its partial image and
// temporary files, keeps its analysis; the job is then cancelled.
Result<job::Job> cancel_job(const std::string& workspace, const std::string& id);
// Every job of the workspace (and the job.json files that could not be read).
Result<job::JobStore::Listing> list_jobs(const std::string& workspace);
// One job with its last verification.
Result<JobReport> show_job(const std::string& workspace, const std::string& id);
// Removes a job that does not run, with its directory (its analysis and image).
Status remove_job(const std::string& workspace, const std::string& id);

// The job as `decant jobs --json` lists it: id, name, applicationId, state, stage, progress,
// createdAt, updatedAt, image and imageDigest once pushed, error.
nlohmann::json job_summary_json(const job::Job& job);

} // namespace decant::workflow
