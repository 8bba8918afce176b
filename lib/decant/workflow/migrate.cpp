#include <decant/analyzer/inventory.hpp>
#include <decant/job/labels.hpp>
#include <decant/job/process_tree.hpp>
#include <decant/oci/compress.hpp>
#include <decant/registry/reference.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/json.hpp>
#include <decant/util/output_directory.hpp>
#include <decant/util/strings.hpp>
#include <decant/verify/verify.hpp>
#include <decant/workflow/generate.hpp>
#include <decant/workflow/job_runner.hpp>
#include <decant/workflow/migrate.hpp>
#include <decant/workflow/pack.hpp>

#include <cstdlib>
#include <filesystem>

namespace decant::workflow {

using job::Job;
using job::JobStage;
using job::JobState;
using job::StageState;

namespace {

namespace fs = std::filesystem;

std::string
absolute(const std::string& path)
{
  std::error_code ec;
  auto full = fs::absolute(path, ec);
  return ec ? path : full.lexically_normal().string();
}

Status
check_target(const MigrateOptions& o)
{
  if (o.machine && !o.target.empty()) {
    return fail(
        Error(ErrorCode::usage,
              "--machine migrates the whole server, not a process: drop the target " + o.target,
              "decant migrate --machine --image REGISTRY/REPO:TAG"));
  }
  if (!o.machine && o.target.empty()) {
    return fail(Error(ErrorCode::usage,
                      "no target given",
                      "decant migrate PID|APP-ID --image REGISTRY/REPO:TAG (decant inventory "
                      "lists them), or decant migrate --machine --image ..."));
  }
  if (o.image.empty()) {
    return fail(Error(ErrorCode::usage,
                      "--image is missing",
                      "--image REGISTRY/REPO:TAG names where the image goes, e.g. "
                      "--image registry.example.com/shop/tomcat:1.0"));
  }
  auto reference = parse_registry_reference(o.image);
  if (!reference) {
    return fail(reference.error().context("--image " + o.image));
  }
  if (reference->tag.empty()) {
    return fail(Error(ErrorCode::usage,
                      fmt::format("--image {} names a digest, not a tag", o.image),
                      "give a tag: REGISTRY/REPO:TAG"));
  }
  return {};
}

Status
check_settings(const MigrateOptions& o)
{
  if (auto level = check_compression_level(o.compression); !level) {
    return level;
  }
  if (o.limit_mbps && *o.limit_mbps <= 0) {
    return fail(Error(ErrorCode::usage,
                      fmt::format("--limit-mbps {} is not a positive rate", *o.limit_mbps),
                      "give megabits per second, e.g. --limit-mbps 100"));
  }
  if (o.allow_changed && !o.checksum) {
    return fail(Error(ErrorCode::usage,
                      "--allow-changed goes with --checksum",
                      "add --checksum to compare the packed files with the source"));
  }
  if (o.name.size() > 128 || o.description.size() > 1024) {
    return fail(
        Error(ErrorCode::usage, "--name is limited to 128 characters, --description to 1024"));
  }
  for (char c : o.name + o.description) {
    if (static_cast<unsigned char>(c) < 0x20) {
      return fail(Error(ErrorCode::usage, "--name and --description take no control characters"));
    }
  }
  return {};
}

// SOURCE_DATE_EPOCH when the job is made: a resumed job packs with the same date.
Result<std::optional<int64_t>>
creation_epoch(bool reproducible)
{
  if (!reproducible) {
    return std::optional<int64_t>();
  }
  return source_date_epoch_from_environment();
}

Result<Job>
job_from_options(const MigrateOptions& o)
{
  if (auto checked = check_target(o); !checked) {
    return fail(checked.error());
  }
  if (auto checked = check_settings(o); !checked) {
    return fail(checked.error());
  }
  auto labels = job::parse_labels(o.labels);
  if (!labels) {
    return fail(labels.error());
  }
  auto epoch = creation_epoch(o.reproducible);
  if (!epoch) {
    return fail(epoch.error());
  }
  Job job = Job::make();
  job.name = o.name;
  job.description = o.description;
  job.labels = std::move(*labels);
  auto& s = job.settings;
  s = {o.target,
       o.machine,
       o.image,
       o.compression,
       o.zstd,
       o.reproducible,
       *epoch,
       o.limit_mbps,
       o.insecure,
       o.username,
       o.externalize_secrets,
       o.exclude,
       o.deploy_dir.empty() ? "" : absolute(o.deploy_dir),
       o.verify,
       o.confirm,
       o.checksum,
       o.allow_changed,
       o.probes,
       o.namespace_name,
       o.logs};
  return job;
}

Status
check_context(const JobContext& context)
{
  if (context.root == nullptr || context.analyzers == nullptr) {
    return fail(Error(ErrorCode::failure, "JobContext needs a root and the analyzers"));
  }
  return {};
}

Result<job::JobStore>
open_store(const std::string& workspace, bool create)
{
  return job::JobStore::open(absolute(workspace), create);
}

// A job to run (start, confirm, resume) and the store it is kept in.
struct StoredJob {
  job::JobStore store;
  Job job;
};

Result<StoredJob>
load_job(const std::string& workspace, const std::string& id, bool create)
{
  auto store = open_store(workspace, create);
  if (!store) {
    return fail(store.error());
  }
  auto job = store->load(id);
  if (!job) {
    return fail(job.error());
  }
  return StoredJob{std::move(*store), std::move(*job)};
}

Result<StoredJob>
open_job(const JobContext& context, const std::string& id)
{
  if (auto checked = check_context(context); !checked) {
    return fail(checked.error());
  }
  return load_job(context.workspace, id, true);
}

JobReport
report_of(const job::JobStore& store, Job job)
{
  JobReport report;
  JobPaths paths = JobPaths::of(store, job);
  report.dir = paths.dir;
  report.analysis = paths.analysis;
  report.deploy_dir = paths.deploy;
  report.job = std::move(job);
  return report;
}

// Runs the job in this thread until it completes, pauses or stops.
Result<JobReport>
run_job(const JobContext& context, const job::JobStore& store, JobReport report, bool reanalyze)
{
  auto lock = job::JobLock::acquire(store, report.job.id);
  if (!lock) {
    return fail(lock.error());
  }
  // Another process may have worked on the job between loading it and taking the lock.
  auto now = store.load(report.job.id);
  if (!now) {
    return fail(now.error());
  }
  if (now->updated_at != report.job.updated_at) {
    return fail(Error(ErrorCode::failure,
                      fmt::format("job {} changed while this command started (another decant "
                                  "process worked on it)",
                                  report.job.id),
                      fmt::format("see where it is now (decant jobs show {}) and run the "
                                  "command again",
                                  report.job.id)));
  }
  JobRunner runner(context, store, report.job, report);
  auto ran = reanalyze ? runner.reanalyze() : runner.run();
  if (!ran) {
    return fail(ran.error());
  }
  return report;
}

Error
wrong_state(const Job& job, const std::string& wanted, const std::string& hint)
{
  return Error(ErrorCode::usage,
               fmt::format("job {} is {}, not {}", job.id, to_string(job.shown_state()), wanted),
               hint);
}

// The state a command may act on: one a process works on is refused (or, for resume with new
// transfer settings, that process is stopped first).
Status
check_not_running(const Job& job, const std::string& command)
{
  if (job::is_running_state(job.shown_state())) {
    return fail(Error(ErrorCode::usage,
                      fmt::format("job {} is {} now (decant PID {})",
                                  job.id,
                                  to_string(job.shown_state()),
                                  job.runner.pid),
                      fmt::format("wait for it (decant jobs show {0}), stop it (decant jobs "
                                  "cancel {0}), or give new transfer settings: decant jobs "
                                  "resume {0} --limit-mbps N{1}",
                                  job.id,
                                  command.empty() ? "" : "")));
  }
  return {};
}

Status
check_resume_options(const ResumeOptions& options)
{
  if (options.limit_mbps && *options.limit_mbps <= 0) {
    return fail(Error(ErrorCode::usage,
                      fmt::format("--limit-mbps {} is not a positive rate", *options.limit_mbps),
                      "give megabits per second, e.g. --limit-mbps 100"));
  }
  if (options.compression) {
    return check_compression_level(*options.compression);
  }
  return {};
}

// resume's new settings: --limit-mbps for the push; --compression repacks.
void
apply_resume_options(Job& job, const ResumeOptions& options, JobReport& report)
{
  if (options.limit_mbps) {
    job.settings.limit_mbps = options.limit_mbps;
  }
  if (options.compression && *options.compression != job.settings.compression) {
    job.settings.compression = *options.compression;
    if (job.record(JobStage::pack).state == StageState::done) {
      reset_stages(job, JobStage::pack);
      report.notes.push_back(fmt::format(
          "--compression {} changes every layer's bytes: the image is packed again (layers "
          "cached at that level are reused), then checked, verified and pushed again",
          *options.compression));
    }
  }
}

// The operator edited analysis.json after the image was packed from it: pack it again.
void
repack_when_edited(Job& job, const JobPaths& paths, JobReport& report)
{
  const auto& pack = job.record(JobStage::pack);
  if (pack.state != StageState::done || !pack.result.contains("analysisFingerprint")) {
    return;
  }
  if (pack.result["analysisFingerprint"] != analysis_fingerprint(paths.analysis)) {
    reset_stages(job, JobStage::pack);
    report.notes.push_back(
        fmt::format("{} changed since the image was packed from it: the image is packed again",
                    paths.analysis));
  }
}

Status
check_resumable(const Job& job, const ResumeOptions& options)
{
  JobState state = job.shown_state();
  if (state == JobState::awaiting_confirmation) {
    return fail(wrong_state(job,
                            "stopped",
                            fmt::format("it awaits confirmation: review its analysis.json, then "
                                        "decant jobs confirm {}",
                                        job.id)));
  }
  if (state == JobState::cancelled) {
    return fail(
        wrong_state(job, "stopped", "a cancelled job stays cancelled: start a new migration"));
  }
  if (state == JobState::error && job.error && job.error->code == ErrorCode::source_changed
      && !options.reanalyze) {
    return fail(
        Error(ErrorCode::source_changed,
              fmt::format("job {} stopped because the application process restarted: "
                          "its analysis no longer describes the running process",
                          job.id),
              fmt::format("start a new migration (decant migrate {} --image {}), or "
                          "decant jobs resume {} --reanalyze (analyzes the new process, "
                          "shows what changed, and goes on)",
                          job.application_id.empty() ? job.settings.target : job.application_id,
                          job.settings.image,
                          job.id)));
  }
  return {};
}

} // namespace

Status
JobReport::status() const
{
  if (job.error && (job.state == JobState::error || job.state == JobState::interrupted)) {
    Error error = *job.error;
    std::string stage = job.stage ? std::string(", ") + to_string(*job.stage) : "";
    return fail(error.context(fmt::format("job {}{}", job.id, stage)));
  }
  return {};
}

Result<JobReport>
migrate(const JobContext& context, const MigrateOptions& options)
{
  if (auto checked = check_context(context); !checked) {
    return fail(checked.error());
  }
  auto job = job_from_options(options);
  if (!job) {
    return fail(job.error());
  }
  if (options.username.empty() != !context.password) {
    return fail(Error(ErrorCode::usage,
                      options.username.empty() ? "--password-stdin needs --username"
                                               : "--username needs --password-stdin",
                      "e.g. printf '%s' \"$TOKEN\" | decant migrate 1234 --image REG/REPO:TAG "
                      "--username ci --password-stdin"));
  }
  if (!options.machine && !options.create_only) {
    // A target that names no application decant can analyze (a mistyped PID, a process no
    // analyzer recognizes, one in a container) is refused before a job exists: such a job could
    // only fail, and would stay in the workspace until removed. A job made to be started later
    // may name a server that is not running yet: `jobs start` finds out.
    auto target = resolve_target(*context.root, *context.analyzers, options.target);
    if (!target) {
      return fail(target.error());
    }
  }
  auto store = open_store(context.workspace, true);
  if (!store) {
    return fail(store.error());
  }
  if (!job->settings.deploy_dir.empty()) {
    auto state = check_output_directory(job->settings.deploy_dir, false, deploy_output());
    if (!state) {
      return fail(state.error().context("--deploy-dir"));
    }
  }
  auto created = store->create(std::move(*job));
  if (!created) {
    return fail(created.error());
  }
  store->log(created->id, "migrate", "created: " + created->settings.image);
  JobReport report = report_of(*store, std::move(*created));
  if (options.create_only) {
    report.notes.push_back(fmt::format(
        "job {} created; start it with `decant jobs start {}`", report.job.id, report.job.id));
    return report;
  }
  return run_job(context, *store, std::move(report), false);
}

Result<JobReport>
start_job(const JobContext& context, const std::string& id)
{
  auto opened = open_job(context, id);
  if (!opened) {
    return fail(opened.error());
  }
  auto* store = &opened->store;
  auto* job = &opened->job;
  if (job->shown_state() != JobState::created) {
    return fail(wrong_state(*job,
                            "created",
                            fmt::format("jobs start is for a job made with --create-only; "
                                        "continue this one with decant jobs resume {}",
                                        job->id)));
  }
  return run_job(context, *store, report_of(*store, std::move(*job)), false);
}

Result<JobReport>
confirm_job(const JobContext& context, const std::string& id)
{
  auto opened = open_job(context, id);
  if (!opened) {
    return fail(opened.error());
  }
  auto* store = &opened->store;
  auto* job = &opened->job;
  if (job->shown_state() != JobState::awaiting_confirmation) {
    return fail(wrong_state(*job,
                            "awaiting confirmation",
                            "only a job made with --confirm waits for it, once its analysis "
                            "is done; `decant jobs show "
                                + job->id + "` shows where it is"));
  }
  JobReport report = report_of(*store, std::move(*job));
  if (auto valid = load_analysis(report.analysis); !valid) {
    return fail(Error(valid.error().code,
                      valid.error().message,
                      "correct the file and confirm again; the job keeps waiting"));
  }
  auto& record = report.job.record(JobStage::confirm);
  record.state = StageState::done;
  record.ended_at = utc_now();
  store->log(report.job.id, "confirm", "confirmed: " + report.analysis);
  return run_job(context, *store, std::move(report), false);
}

Result<JobReport>
resume_job(const JobContext& context, const std::string& id, const ResumeOptions& options)
{
  if (auto checked = check_resume_options(options); !checked) {
    return fail(checked.error());
  }
  auto opened = open_job(context, id);
  if (!opened) {
    return fail(opened.error());
  }
  auto* store = &opened->store;
  Result<Job> job = std::move(opened->job);
  if (job::is_running_state(job->shown_state())) {
    if (!options.limit_mbps && !options.compression) {
      return fail(check_not_running(*job, "resume").error());
    }
    // New transfer settings for a running job: its process stops, this one goes on.
    if (auto killed = job::kill_process_tree(job->runner, std::chrono::seconds(10)); !killed) {
      return fail(killed.error().context("stopping job " + job->id));
    }
    job = store->load(job->id);
    if (!job) {
      return fail(job.error());
    }
  }
  JobReport report = report_of(*store, std::move(*job));
  if (report.job.shown_state() == JobState::completed) {
    report.notes.push_back(fmt::format("job {} is completed: nothing to do", report.job.id));
    return report;
  }
  if (auto resumable = check_resumable(report.job, options); !resumable) {
    return fail(resumable.error());
  }
  store->log(report.job.id,
             "migrate",
             fmt::format("resumed; it was {}{}",
                         to_string(report.job.shown_state()),
                         report.job.stage ? std::string(" at ") + to_string(*report.job.stage)
                                          : std::string()));
  apply_resume_options(report.job, options, report);
  repack_when_edited(report.job, JobPaths::of(*store, report.job), report);
  for (const auto& note : report.notes) {
    store->log(report.job.id, "migrate", note);
  }
  return run_job(context, *store, std::move(report), options.reanalyze);
}

Result<job::Job>
cancel_job(const std::string& workspace, const std::string& id)
{
  auto stored = load_job(workspace, id, false);
  if (!stored) {
    return fail(stored.error());
  }
  job::JobStore& store = stored->store;
  const Job& found = stored->job;
  if (found.shown_state() == JobState::completed) {
    return fail(wrong_state(found,
                            "running or stopped",
                            fmt::format("a completed job has nothing to cancel; decant jobs rm "
                                        "{} removes it",
                                        found.id)));
  }
  if (found.shown_state() == JobState::cancelled) {
    return found;
  }
  if (auto killed = job::kill_process_tree(found.runner, std::chrono::seconds(10)); !killed) {
    return fail(killed.error().context("cancelling job " + found.id));
  }
  auto lock = job::JobLock::acquire(store, found.id);
  if (!lock) {
    return fail(lock.error().context("cancelling job " + found.id));
  }
  auto job = store.load(found.id); // as its process last wrote it
  if (!job) {
    return fail(job.error());
  }
  JobPaths paths = JobPaths::of(store, *job);
  remove_job_temporaries(paths, store.workspace() + "/cache/layers", true);
  std::error_code ignored;
  fs::remove(paths.push_state, ignored);
  fs::remove(paths.checksums, ignored);
  for (auto& record : job->stages) {
    if (record.state == StageState::running) {
      record.state = StageState::failed;
    }
  }
  job->state = JobState::cancelled;
  job->runner = {};
  job->progress.reset();
  store.log(job->id, "migrate", "cancelled; its image and temporary files removed");
  if (auto saved = store.save(*job); !saved) {
    return fail(saved.error());
  }
  return job;
}

Result<job::JobStore::Listing>
list_jobs(const std::string& workspace)
{
  auto store = open_store(workspace, false);
  if (!store) {
    return fail(store.error());
  }
  return store->list();
}

Result<JobReport>
show_job(const std::string& workspace, const std::string& id)
{
  auto stored = load_job(workspace, id, false);
  if (!stored) {
    return fail(stored.error());
  }
  JobReport report = report_of(stored->store, std::move(stored->job));
  std::string verify_path = JobPaths::of(stored->store, report.job).verify;
  if (auto text = read_file(verify_path)) {
    auto json = parse_json(*text, verify_path);
    if (auto verify = json ? verify_report_from_json(*json) : std::nullopt) {
      report.verify = std::move(*verify);
    }
  }
  return report;
}

Status
remove_job(const std::string& workspace, const std::string& id)
{
  auto store = open_store(workspace, false);
  auto job = store ? store->load(id) : Result<Job>(fail(store.error()));
  if (!job && store && job.error().code == ErrorCode::invalid_input && job::is_job_id(id)) {
    // A job.json that cannot be read is removed by its id: nothing else can be done with it.
    // Its lock tells whether a process still works on it.
    if (auto idle = job::check_job_idle(*store, id); !idle) {
      return idle;
    }
    return store->remove(id);
  }
  if (!job) {
    return fail(job.error());
  }
  if (auto idle = check_not_running(*job, ""); !idle) {
    return idle;
  }
  auto lock = job::JobLock::acquire(*store, job->id);
  if (!lock) {
    return fail(lock.error());
  }
  return store->remove(job->id);
}

nlohmann::json
job_summary_json(const Job& job)
{
  size_t done = 0;
  size_t counted = 0;
  for (const auto& record : job.stages) {
    counted += record.state == StageState::skipped ? 0 : 1;
    done += record.state == StageState::done ? 1 : 0;
  }
  nlohmann::json full = to_json(job);
  nlohmann::json out = {{"id", job.id},
                        {"name", job.name},
                        {"applicationId", job.application_id},
                        {"state", full["state"]},
                        {"stage", full["stage"]},
                        {"stagesDone", done},
                        {"stages", counted},
                        {"progress", full["progress"]},
                        {"createdAt", job.created_at},
                        {"updatedAt", job.updated_at},
                        {"labels", job.labels},
                        {"error", full["error"]}};
  if (!job.image_digest.empty()) {
    out["imageDigest"] = job.image_digest;
    out["image"] = job.pushed_reference;
  }
  return out;
}

} // namespace decant::workflow
