#pragma once

// A migration job (`decant migrate`, `decant jobs`): what was asked (settings, name, labels),
// how far it got (state, per-stage records, progress), what went wrong (error with its exit
// code) and what came out (the pushed image's digest). A job lives in
// <workspace>/jobs/<job-id>/ as job.json (job/store.hpp) with its log, its analysis.json, its
// image layout and its manifests; docs/migrate.md describes the file.

#include <decant/error.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace decant::job {

enum class JobState {
  created,               // --create-only: waits for `decant jobs start`
  analyzing,             // the running states name the stage in work
  awaiting_confirmation, // --confirm: the analysis waits for `decant jobs confirm`
  packing,
  verifying, // also while --checksum reads the packed files again
  pushing,
  generating,
  completed,
  error,       // stopped by an error; `resume` continues (not after a source restart)
  cancelled,   // `decant jobs cancel`
  interrupted, // its process died (kill -9, reboot) or was stopped by a signal
};

// "created", "awaiting-confirmation", ...
const char* to_string(JobState state);
std::optional<JobState> job_state_from_string(std::string_view text);
// analyzing, packing, verifying, pushing, generating: a process is working on the job.
bool is_running_state(JobState state);

// The stages of a job, in the order they run.
enum class JobStage { analyze, confirm, pack, checksum, verify, push, generate };
const std::vector<JobStage>& job_stages();
const char* to_string(JobStage stage);
std::optional<JobStage> job_stage_from_string(std::string_view text);
// The state a job is in while `stage` runs (confirm: awaiting-confirmation).
JobState running_state(JobStage stage);

enum class StageState { pending, running, done, failed, skipped };
const char* to_string(StageState state);

struct StageRecord {
  JobStage stage = JobStage::analyze;
  StageState state = StageState::pending;
  std::string started_at; // RFC 3339; empty until it starts
  std::string ended_at;
  double seconds = 0;
  nlohmann::json result = nlohmann::json::object(); // what the stage made (digests, counts, ...)
};

// A process by PID and start time (/proc/PID/stat field 22): a PID alone may be reused.
struct ProcessIdentity {
  int pid = 0;
  uint64_t start_time = 0;

  bool
  empty() const
  {
    return pid == 0;
  }
};

// This process.
ProcessIdentity own_process();
// Whether the process still runs: same PID, same start time, not a zombie (this machine's /proc).
bool is_running(const ProcessIdentity& process);

// The settings of a job: the options of `decant migrate` that shape its work. No secret: the
// registry password is given again to each command that pushes.
struct JobSettings {
  std::string target; // PID or application id as given; empty with machine
  bool machine = false;
  std::string image; // REGISTRY/REPOSITORY:TAG
  int compression = 7;
  bool zstd = false;
  bool reproducible = false;
  std::optional<int64_t> source_date_epoch; // with reproducible: SOURCE_DATE_EPOCH when created
  std::optional<double> limit_mbps;
  bool insecure = false;
  std::string username;
  bool externalize_secrets = false;
  std::vector<std::string> exclude;
  std::string deploy_dir; // where the manifests go; "" = <job dir>/deploy
  bool verify = true;
  bool confirm = false;
  bool checksum = false;
  bool allow_changed = false;
  std::vector<std::string> probes; // verify's extra HTTP paths
  std::string namespace_name;      // the manifests' namespace
  // The log volumes' files: "stdout" (the image's init forwards them to the container's output
  // too) or "files" (only in the volumes); pack --logs.
  std::string logs = "stdout";
};

struct JobProgress {
  JobStage stage = JobStage::pack;
  uint64_t done = 0;
  uint64_t total = 0;
  double bytes_per_second = 0;
  double seconds_left = -1; // (total - done) / rate; -1 = unknown
};

struct Job {
  std::string id;
  std::string name;
  std::string description;
  std::map<std::string, std::string> labels;
  std::string created_at;
  std::string updated_at;
  JobSettings settings;
  JobState state = JobState::created;
  std::optional<JobStage> stage; // the stage in work, or where the job stopped
  std::vector<StageRecord> stages;
  std::optional<JobProgress> progress;
  std::optional<Error> error;
  std::string application_id;   // once known
  ProcessIdentity source;       // the process analyzed (application mode)
  std::string source_started;   // its start as RFC 3339, for messages
  ProcessIdentity runner;       // the decant process working on the job; empty when none
  std::string image_digest;     // the manifest digest, once pushed
  std::string pushed_reference; // REFERENCE@DIGEST, once pushed

  // A job with every stage pending.
  static Job make();
  StageRecord& record(JobStage stage);
  const StageRecord& record(JobStage stage) const;
  // The state to show: a running state whose runner is gone is interrupted.
  JobState shown_state() const;
};

// job.json. to_json writes the shown state; `job_from_json` errors name the field.
nlohmann::json to_json(const Job& job);
Result<Job> job_from_json(const nlohmann::json& json);

// RFC 3339 UTC of a start time in clock ticks after boot (/proc/stat btime), read from
// `proc_stat` (the text of /proc/stat); "" when unknown.
std::string start_time_text(uint64_t start_ticks, const std::string& proc_stat);

} // namespace decant::job
