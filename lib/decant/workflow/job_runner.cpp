#include <decant/analysis/analysis.hpp>
#include <decant/analyzer/inventory.hpp>
#include <decant/oci/layer_cache.hpp>
#include <decant/proc/parse.hpp>
#include <decant/registry/reference.hpp>
#include <decant/util/strings.hpp>
#include <decant/workflow/job_runner.hpp>

#include <signal.h>

#include <cerrno>
#include <filesystem>

namespace decant::workflow {

using job::JobStage;
using job::JobState;
using job::StageState;
using nlohmann::json;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double
seconds_since(Clock::time_point start)
{
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// REPOSITORY:TAG of the --image: the image's name in the job's layout.
std::string
layout_tag(const std::string& image)
{
  auto reference = parse_registry_reference(image);
  if (!reference) {
    return "image:latest";
  }
  return reference->repository + ":" + (reference->tag.empty() ? "latest" : reference->tag);
}

bool
process_runs(int pid)
{
  return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

// "<output>.decant-tmp-<pid>" directories of generate runs that no longer run.
void
remove_stale_staging(const std::string& output)
{
  fs::path out(output);
  std::string prefix = out.filename().string() + ".decant-tmp-";
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(out.parent_path(), ec)) {
    std::string name = item.path().filename().string();
    if (name.rfind(prefix, 0) != 0) {
      continue;
    }
    auto pid = parse_u64(name.substr(prefix.size()));
    if (pid && *pid <= 0x7fffffff && !process_runs(static_cast<int>(*pid))) {
      std::error_code ignored;
      fs::remove_all(item.path(), ignored);
    }
  }
}

} // namespace

JobPaths
JobPaths::of(const job::JobStore& store, const job::Job& job)
{
  JobPaths paths;
  paths.dir = store.job_dir(job.id);
  paths.analysis = paths.dir + "/analysis.json";
  paths.image = paths.dir + "/image";
  paths.tag = layout_tag(job.settings.image);
  paths.verify = paths.dir + "/verify.json";
  paths.checksums = paths.dir + "/checksums.json";
  paths.push_state = paths.dir + "/push-state.json";
  paths.tmp = paths.dir + "/tmp";
  paths.deploy = job.settings.deploy_dir.empty() ? paths.dir + "/deploy" : job.settings.deploy_dir;
  return paths;
}

void
remove_job_temporaries(const JobPaths& paths, const std::string& layer_cache, bool partial_image)
{
  std::error_code ignored;
  fs::remove_all(paths.tmp, ignored);
  remove_stale_temporary_files(paths.dir);
  remove_stale_temporary_files(paths.image);
  remove_stale_staging(paths.deploy);
  if (!layer_cache.empty()) {
    remove_stale_temporary_files(layer_cache + "/entries");
    remove_stale_temporary_files(layer_cache + "/blobs/sha256");
  }
  if (partial_image) {
    fs::remove_all(paths.image, ignored);
  }
}

JobRunner::JobRunner(const JobContext& context,
                     const job::JobStore& store,
                     job::Job& job,
                     JobReport& report)
    : m_context(context),
      m_store(store),
      m_job(job),
      m_report(report),
      m_paths(JobPaths::of(store, job)),
      m_layer_cache(context.layer_cache.empty() ? store.workspace() + "/cache/layers"
                                                : context.layer_cache)
{
}

bool
JobRunner::cancelled() const
{
  return m_context.cancel != nullptr && m_context.cancel->load();
}

Status
JobRunner::run()
{
  if (auto began = begin(); !began) {
    return began;
  }
  if (m_job.state == JobState::error) {
    return {}; // begin() could not take the application's lock
  }
  for (JobStage stage : job::job_stages()) {
    auto& record = m_job.record(stage);
    if (record.state == StageState::done || record.state == StageState::skipped) {
      continue;
    }
    if (cancelled()) {
      return stop(JobState::interrupted,
                  Error(ErrorCode::aborted,
                        fmt::format("stopped by the operator before {}", to_string(stage)),
                        fmt::format("decant jobs resume {} continues it", m_job.id)));
    }
    if (stage == JobStage::confirm && m_job.settings.confirm) {
      record.state = StageState::running;
      record.started_at = utc_now();
      message(fmt::format("job {} awaits confirmation: review (or edit) {}, then run "
                          "`decant jobs confirm {}`",
                          m_job.id,
                          m_paths.analysis,
                          m_job.id));
      return stop(JobState::awaiting_confirmation, std::nullopt);
    }
    if (auto ran = run_stage(stage); !ran) {
      return ran;
    }
    if (m_job.state == JobState::error || m_job.state == JobState::interrupted
        || m_job.state == JobState::awaiting_confirmation) {
      return {};
    }
  }
  return finish();
}

Status
JobRunner::begin()
{
  m_job.runner = job::own_process();
  m_job.error.reset();
  for (auto& record : m_job.stages) {
    if (record.state == StageState::running && record.stage != JobStage::confirm) {
      record.state = StageState::pending; // its process died: it starts over
    }
  }
  for (JobStage stage : job::job_stages()) {
    if (m_job.record(stage).state == StageState::pending) {
      m_job.state = job::running_state(stage); // what this process is about to do
      m_job.stage = stage;
      break;
    }
  }
  remove_job_temporaries(m_paths, m_layer_cache, false);
  if (auto saved = save(); !saved) {
    return saved;
  }
  if (auto locked = lock_application(); !locked) {
    return stop(JobState::error, locked.error());
  }
  return {};
}

Status
JobRunner::lock_application()
{
  if (m_lock) {
    return {};
  }
  std::string application = m_job.settings.machine ? "machine" : m_job.application_id;
  if (application.empty()) {
    // Before the analysis: the id of the target's application, as inventory computes it. When
    // it cannot be found, the analysis says why; the lock is taken after it.
    auto target = resolve_target(*m_context.root, *m_context.analyzers, m_job.settings.target);
    auto identity = target ? target->analyzer->identify(target->process, *m_context.root)
                           : Result<AppIdentity>(fail(target.error()));
    if (!identity) {
      return {};
    }
    application = identity->application_id;
  }
  auto lock = job::ApplicationLock::acquire(m_store, application, m_job.id);
  if (!lock) {
    return fail(lock.error());
  }
  m_lock.emplace(std::move(*lock));
  return {};
}

Status
JobRunner::run_stage(JobStage stage)
{
  auto& record = m_job.record(stage);
  if ((stage == JobStage::checksum && !m_job.settings.checksum)
      || (stage == JobStage::verify && !m_job.settings.verify)
      || (stage == JobStage::confirm && !m_job.settings.confirm)) {
    record.state = StageState::skipped;
    return save();
  }
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_rerun = !record.started_at.empty();
    record.state = StageState::running;
    record.started_at = utc_now();
    record.ended_at.clear();
    record.result = json::object();
    m_job.state = job::running_state(stage);
    m_job.stage = stage;
    m_job.progress.reset();
    m_job.error.reset();
    m_stage_started = Clock::now();
  }
  if (auto saved = save(); !saved) {
    return saved;
  }
  m_store.log(m_job.id, to_string(stage), "started");
  auto result = stage_result(stage);
  record.ended_at = utc_now();
  record.seconds = seconds_since(m_stage_started);
  if (!result) {
    record.state = StageState::failed;
    bool stopped = result.error().code == ErrorCode::aborted && cancelled();
    return stop(stopped ? JobState::interrupted : JobState::error, result.error());
  }
  record.state = StageState::done;
  record.result = std::move(*result);
  m_job.progress.reset();
  m_store.log(m_job.id, to_string(stage), fmt::format("done in {:.1f}s", record.seconds));
  return save();
}

Result<json>
JobRunner::stage_result(JobStage stage)
{
  switch (stage) {
  case JobStage::analyze:
    return analyze();
  case JobStage::pack:
    return pack();
  case JobStage::checksum:
    return checksum();
  case JobStage::verify:
    return verify();
  case JobStage::push:
    return push();
  case JobStage::generate:
    return generate();
  case JobStage::confirm:
    break;
  }
  return json::object();
}

Status
JobRunner::check_source(const char* when)
{
  if (m_job.settings.machine || m_job.source.empty()) {
    return {};
  }
  const HostRoot& root = *m_context.root;
  auto stat_of = [&root](int pid) -> std::optional<ProcStat> {
    auto text = root.read_proc(pid, "stat");
    auto stat = text ? parse_stat(*text) : Result<ProcStat>(fail(text.error()));
    return stat && stat->state != 'Z' ? std::optional<ProcStat>(*stat) : std::nullopt;
  };
  auto same = stat_of(m_job.source.pid);
  if (same && same->start_time == m_job.source.start_time) {
    return {};
  }
  std::string proc_stat = root.read_file("/proc/stat").value_or("");
  auto started = [&proc_stat](uint64_t ticks) {
    std::string text = job::start_time_text(ticks, proc_stat);
    return text.empty() ? fmt::format("{} ticks after boot", ticks) : text;
  };
  std::string now = "not running";
  if (auto pid = find_target(root, *m_context.analyzers, m_job.application_id)) {
    if (auto stat = stat_of(*pid)) {
      now = fmt::format("PID {} started at {}", *pid, started(stat->start_time));
    }
  }
  m_store.log(m_job.id, "migrate", fmt::format("source check {}: the process restarted", when));
  return fail(
      Error(ErrorCode::source_changed,
            fmt::format("the application process restarted during the migration (PID {} started at "
                        "{}, now {})",
                        m_job.source.pid,
                        started(m_job.source.start_time),
                        now),
            fmt::format("start a new migration (decant migrate {} --image {}), or analyze the new "
                        "process and see what changed: decant jobs resume {} --reanalyze",
                        m_job.application_id,
                        m_job.settings.image,
                        m_job.id)));
}

Status
JobRunner::stop(JobState state, std::optional<Error> error)
{
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_job.state = state;
    m_job.error = std::move(error);
    m_job.runner = {};
    m_job.progress.reset();
  }
  m_store.log(m_job.id,
              "migrate",
              fmt::format("{}{}",
                          to_string(state),
                          m_job.error ? ": " + m_job.error->message : std::string()));
  auto saved = save();
  m_lock.reset();
  return saved;
}

Status
JobRunner::finish()
{
  std::error_code ignored;
  fs::remove(m_paths.push_state, ignored);
  fs::remove_all(m_paths.tmp, ignored);
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_job.state = JobState::completed;
    m_job.error.reset();
    m_job.runner = {};
    m_job.progress.reset();
  }
  message(fmt::format("job {} completed: {}", m_job.id, m_job.pushed_reference));
  auto saved = save();
  m_lock.reset();
  return saved;
}

EventSink
JobRunner::sink()
{
  return [this](const Event& event) { on_event(event); };
}

void
JobRunner::on_event(const Event& event)
{
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (event.kind == Event::Kind::progress && m_job.stage) {
      job::JobProgress progress;
      progress.stage = *m_job.stage;
      progress.done = event.done;
      progress.total = event.total;
      double elapsed = seconds_since(m_stage_started);
      progress.bytes_per_second = event.bytes_per_second > 0 ? event.bytes_per_second
                                  : elapsed > 0 ? static_cast<double>(event.done) / elapsed
                                                : 0;
      if (progress.bytes_per_second > 0 && event.total >= event.done) {
        progress.seconds_left =
            static_cast<double>(event.total - event.done) / progress.bytes_per_second;
      }
      m_job.progress = progress;
      auto now = Clock::now();
      if (now - m_last_saved >= std::chrono::seconds(1)) {
        m_last_saved = now;
        (void)m_store.save(m_job); // progress only; a failure shows at the next stage
      }
    } else if (event.kind != Event::Kind::progress) {
      std::string text =
          event.kind == Event::Kind::warning
              ? "warning: " + (event.code.empty() ? "" : event.code + ": ") + event.message
              : event.message;
      m_store.log(m_job.id, to_string(event.stage), text);
    }
  }
  if (m_context.events) {
    m_context.events(event);
  }
}

void
JobRunner::message(const std::string& text)
{
  EventSink to_job = sink();
  Events(Stage::migrate, to_job).message(text);
}

Status
JobRunner::save()
{
  std::lock_guard<std::mutex> lock(m_mutex);
  m_last_saved = Clock::now();
  return m_store.save(m_job);
}

} // namespace decant::workflow
