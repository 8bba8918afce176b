#pragma once

// The part of the migration job that runs stages (migrate.hpp is the interface): where a job's
// files are, the per-application lock, the source checks, one function per stage, and the
// events of the stages turned into job.json progress and job.log lines.

#include <decant/analysis/analysis.hpp>
#include <decant/job/store.hpp>
#include <decant/workflow/migrate.hpp>

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

namespace decant::workflow {

// The files of a job, in its directory.
struct JobPaths {
  std::string dir;
  std::string analysis;   // analysis.json (secrets.json beside it)
  std::string image;      // the OCI image layout
  std::string tag;        // its name in the layout: REPOSITORY:TAG of the --image
  std::string verify;     // verify.json: the last verification's report
  std::string checksums;  // checksums.json: --checksum's record of the packed files
  std::string push_state; // the push's upload sessions, for a resumed push
  std::string tmp;        // the verify sandbox's tree and other temporary files
  std::string deploy;     // the manifests

  static JobPaths of(const job::JobStore& store, const job::Job& job);
};

// Removes what a process of this job that no longer runs left behind: the temporary
// directory, half-written files of the job, the manifests' staging directories and the layer
// cache's temporary files. `partial_image` also removes the image layout.
void
remove_job_temporaries(const JobPaths& paths, const std::string& layer_cache, bool partial_image);

// Sets `from` and every later stage back to pending (their results cleared); the pushed image's
// digest goes when the push is to be done again.
void reset_stages(job::Job& job, job::JobStage from);

// SHA-256 of analysis.json without extensions.verify (which verify rewrites): whether the
// operator changed the analysis since the image was packed from it.
std::string analysis_fingerprint(const std::string& path);

class JobRunner
{
public:
  JobRunner(const JobContext& context,
            const job::JobStore& store,
            job::Job& job,
            JobReport& report);

  // Runs the stages not done yet, from the first one; returns when the job completed, waits
  // for confirmation, or stopped (job.state and job.error say which). Fails only when job.json
  // cannot be written.
  Status run();

  // Analyzes again (resume --reanalyze): the stages from the analysis on are done anew, and the
  // report lists what changed against the previous analysis.
  Status reanalyze();

private:
  Status begin();
  Status run_stage(job::JobStage stage);
  Result<nlohmann::json> stage_result(job::JobStage stage);
  Result<nlohmann::json> analyze();
  Result<nlohmann::json> pack();
  Result<nlohmann::json> checksum();
  Result<nlohmann::json> verify();
  Result<nlohmann::json> push();
  Result<nlohmann::json> generate();
  void report_changes(const Analysis& after);
  Status lock_application();
  Status check_source(const char* when);
  Status stop(job::JobState state, std::optional<Error> error);
  Status finish();
  bool cancelled() const;

  EventSink sink();
  void on_event(const Event& event);
  void message(const std::string& text);
  Status save();

  const JobContext& m_context;
  const job::JobStore& m_store;
  job::Job& m_job;
  JobReport& m_report;
  JobPaths m_paths;
  std::string m_layer_cache;
  std::optional<job::ApplicationLock> m_lock;
  std::optional<Analysis> m_before; // reanalyze: the analysis it replaces
  std::mutex m_mutex;               // job.json and the log are written from the stages' threads too
  bool m_rerun = false;             // the stage in work ran before (its outputs may be there)
  std::chrono::steady_clock::time_point m_stage_started;
  std::chrono::steady_clock::time_point m_last_saved;
};

} // namespace decant::workflow
