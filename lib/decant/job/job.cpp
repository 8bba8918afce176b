#include <decant/job/job.hpp>
#include <decant/proc/parse.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/strings.hpp>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <ctime>
#include <type_traits>

namespace decant::job {

using nlohmann::json;

namespace {

struct StateName {
  JobState state;
  const char* name;
};

const StateName k_states[] = {
    {JobState::created, "created"},
    {JobState::analyzing, "analyzing"},
    {JobState::awaiting_confirmation, "awaiting-confirmation"},
    {JobState::packing, "packing"},
    {JobState::verifying, "verifying"},
    {JobState::pushing, "pushing"},
    {JobState::generating, "generating"},
    {JobState::completed, "completed"},
    {JobState::error, "error"},
    {JobState::cancelled, "cancelled"},
    {JobState::interrupted, "interrupted"},
};

struct StageName {
  JobStage stage;
  const char* name;
  JobState state;
};

const StageName k_stages[] = {
    {JobStage::analyze, "analyze", JobState::analyzing},
    {JobStage::confirm, "confirm", JobState::awaiting_confirmation},
    {JobStage::pack, "pack", JobState::packing},
    {JobStage::checksum, "checksum", JobState::verifying},
    {JobStage::verify, "verify", JobState::verifying},
    {JobStage::push, "push", JobState::pushing},
    {JobStage::generate, "generate", JobState::generating},
};

const char* const k_stage_states[] = {"pending", "running", "done", "failed", "skipped"};

// Reads the fields of one JSON object; the first problem names the field ("settings.image").
class Reader
{
public:
  Reader(const json& object, std::string where)
      : m_object(object),
        m_where(std::move(where))
  {
  }

  bool
  has(const char* key) const
  {
    return m_object.is_object() && m_object.contains(key) && !m_object[key].is_null();
  }

  template<typename T>
  void
  get(const char* key, T& out, bool required = false)
  {
    if (!has(key)) {
      if (required) {
        problem(key, "is missing");
      }
      return;
    }
    const json& value = m_object[key];
    bool ok = false;
    if constexpr (std::is_same_v<T, std::string>) {
      ok = value.is_string();
    } else if constexpr (std::is_same_v<T, bool>) {
      ok = value.is_boolean();
    } else if constexpr (std::is_floating_point_v<T>) {
      ok = value.is_number();
    } else if constexpr (std::is_unsigned_v<T>) {
      ok = value.is_number_unsigned();
    } else if constexpr (std::is_integral_v<T>) {
      ok = value.is_number_integer();
    } else {
      ok = value.is_array() && std::all_of(value.begin(), value.end(), [](const json& item) {
             return item.is_string();
           });
    }
    if (!ok) {
      problem(key, "has the wrong type");
      return;
    }
    out = value.get<T>();
  }

  const json&
  object(const char* key)
  {
    static const json k_empty = json::object();
    if (!has(key)) {
      return k_empty;
    }
    if (!m_object[key].is_object()) {
      problem(key, "must be an object");
      return k_empty;
    }
    return m_object[key];
  }

  void
  problem(const std::string& key, const std::string& what)
  {
    if (!m_error) {
      m_error = Error(ErrorCode::invalid_input, fmt::format("{}{} {}", m_where, key, what));
    }
  }

  std::string
  where(const char* key) const
  {
    return m_where + key + ".";
  }

  std::optional<Error>&
  error()
  {
    return m_error;
  }

private:
  const json& m_object;
  std::string m_where;
  std::optional<Error> m_error;
};

json
identity_json(const ProcessIdentity& process)
{
  if (process.empty()) {
    return nullptr;
  }
  return {{"pid", process.pid}, {"startTime", process.start_time}};
}

ProcessIdentity
identity_from(Reader& parent, const char* key)
{
  ProcessIdentity process;
  if (!parent.has(key)) {
    return process;
  }
  Reader reader(parent.object(key), parent.where(key));
  reader.get("pid", process.pid, true);
  reader.get("startTime", process.start_time, true);
  if (reader.error()) {
    parent.problem(key, "is not {pid, startTime}: " + reader.error()->message);
  }
  return process;
}

json
settings_json(const JobSettings& s)
{
  json out = {{"target", s.target},
              {"machine", s.machine},
              {"image", s.image},
              {"compression", s.compression},
              {"zstd", s.zstd},
              {"reproducible", s.reproducible},
              {"insecure", s.insecure},
              {"username", s.username},
              {"externalizeSecrets", s.externalize_secrets},
              {"exclude", s.exclude},
              {"deployDir", s.deploy_dir},
              {"verify", s.verify},
              {"confirm", s.confirm},
              {"checksum", s.checksum},
              {"allowChanged", s.allow_changed},
              {"probes", s.probes},
              {"namespace", s.namespace_name},
              {"logs", s.logs}};
  out["sourceDateEpoch"] = s.source_date_epoch ? json(*s.source_date_epoch) : json(nullptr);
  out["limitMbps"] = s.limit_mbps ? json(*s.limit_mbps) : json(nullptr);
  return out;
}

void
settings_from(Reader& parent, JobSettings& s)
{
  Reader r(parent.object("settings"), parent.where("settings"));
  r.get("target", s.target);
  r.get("machine", s.machine);
  r.get("image", s.image, true);
  r.get("compression", s.compression);
  r.get("zstd", s.zstd);
  r.get("reproducible", s.reproducible);
  if (r.has("sourceDateEpoch")) {
    int64_t epoch = 0;
    r.get("sourceDateEpoch", epoch);
    s.source_date_epoch = epoch;
  }
  if (r.has("limitMbps")) {
    double limit = 0;
    r.get("limitMbps", limit);
    s.limit_mbps = limit;
  }
  r.get("insecure", s.insecure);
  r.get("username", s.username);
  r.get("externalizeSecrets", s.externalize_secrets);
  r.get("exclude", s.exclude);
  r.get("deployDir", s.deploy_dir);
  r.get("verify", s.verify);
  r.get("confirm", s.confirm);
  r.get("checksum", s.checksum);
  r.get("allowChanged", s.allow_changed);
  r.get("probes", s.probes);
  r.get("namespace", s.namespace_name);
  r.get("logs", s.logs);
  if (s.logs != "stdout" && s.logs != "files") {
    r.problem("logs", "must be \"stdout\" or \"files\"");
  }
  if (r.error()) {
    parent.problem("settings", "is invalid: " + r.error()->message);
  }
}

json
stage_json(const StageRecord& record)
{
  json out = {{"name", to_string(record.stage)}, {"state", to_string(record.state)}};
  if (!record.started_at.empty()) {
    out["startedAt"] = record.started_at;
  }
  if (!record.ended_at.empty()) {
    out["endedAt"] = record.ended_at;
    out["seconds"] = std::round(record.seconds * 1000) / 1000;
  }
  if (!record.result.empty()) {
    out["result"] = record.result;
  }
  return out;
}

Status
stages_from(const json& in, Job& job)
{
  if (!in.is_array()) {
    return fail(ErrorCode::invalid_input, "stages must be an array");
  }
  for (size_t i = 0; i < in.size(); ++i) {
    Reader r(in[i], fmt::format("stages[{}].", i));
    std::string name;
    std::string state;
    r.get("name", name, true);
    r.get("state", state, true);
    auto stage = job_stage_from_string(name);
    auto found = std::find(std::begin(k_stage_states), std::end(k_stage_states), state);
    if (!r.error() && (!stage || found == std::end(k_stage_states))) {
      r.problem("name", fmt::format("or state is unknown (\"{}\", \"{}\")", name, state));
    }
    if (r.error()) {
      return fail(*r.error());
    }
    StageRecord& record = job.record(*stage);
    record.state = static_cast<StageState>(found - std::begin(k_stage_states));
    r.get("startedAt", record.started_at);
    r.get("endedAt", record.ended_at);
    r.get("seconds", record.seconds);
    if (r.has("result")) {
      record.result = in[i]["result"];
    }
    if (r.error()) {
      return fail(*r.error());
    }
  }
  return {};
}

json
progress_json(const std::optional<JobProgress>& progress)
{
  if (!progress) {
    return nullptr;
  }
  json out = {{"stage", to_string(progress->stage)},
              {"done", progress->done},
              {"total", progress->total},
              {"bytesPerSecond", std::round(progress->bytes_per_second)}};
  if (progress->seconds_left >= 0) {
    out["secondsLeft"] = std::round(progress->seconds_left);
  }
  return out;
}

void
progress_from(Reader& parent, Job& job)
{
  if (!parent.has("progress")) {
    return;
  }
  Reader r(parent.object("progress"), parent.where("progress"));
  JobProgress progress;
  std::string stage;
  r.get("stage", stage, true);
  r.get("done", progress.done);
  r.get("total", progress.total);
  r.get("bytesPerSecond", progress.bytes_per_second);
  r.get("secondsLeft", progress.seconds_left);
  if (auto known = job_stage_from_string(stage)) {
    progress.stage = *known;
  } else if (!r.error()) {
    r.problem("stage", "is unknown");
  }
  if (r.error()) {
    parent.problem("progress", "is invalid: " + r.error()->message);
    return;
  }
  job.progress = progress;
}

void
error_from(Reader& parent, Job& job)
{
  if (!parent.has("error")) {
    return;
  }
  Reader r(parent.object("error"), parent.where("error"));
  int code = 1;
  Error error;
  r.get("code", code, true);
  r.get("message", error.message, true);
  r.get("hint", error.hint);
  if (code < 1 || code > exit_code(ErrorCode::aborted)) {
    r.problem("code", "is not an exit code of decant");
  }
  if (r.error()) {
    parent.problem("error", "is invalid: " + r.error()->message);
    return;
  }
  error.code = static_cast<ErrorCode>(code);
  job.error = error;
}

} // namespace

const char*
to_string(JobState state)
{
  for (const auto& entry : k_states) {
    if (entry.state == state) {
      return entry.name;
    }
  }
  return "unknown";
}

std::optional<JobState>
job_state_from_string(std::string_view text)
{
  for (const auto& entry : k_states) {
    if (text == entry.name) {
      return entry.state;
    }
  }
  return std::nullopt;
}

bool
is_running_state(JobState state)
{
  return state == JobState::analyzing || state == JobState::packing || state == JobState::verifying
         || state == JobState::pushing || state == JobState::generating;
}

const std::vector<JobStage>&
job_stages()
{
  static const std::vector<JobStage> k_order = {JobStage::analyze,
                                                JobStage::confirm,
                                                JobStage::pack,
                                                JobStage::checksum,
                                                JobStage::verify,
                                                JobStage::push,
                                                JobStage::generate};
  return k_order;
}

const char*
to_string(JobStage stage)
{
  for (const auto& entry : k_stages) {
    if (entry.stage == stage) {
      return entry.name;
    }
  }
  return "unknown";
}

std::optional<JobStage>
job_stage_from_string(std::string_view text)
{
  for (const auto& entry : k_stages) {
    if (text == entry.name) {
      return entry.stage;
    }
  }
  return std::nullopt;
}

JobState
running_state(JobStage stage)
{
  for (const auto& entry : k_stages) {
    if (entry.stage == stage) {
      return entry.state;
    }
  }
  return JobState::error;
}

const char*
to_string(StageState state)
{
  return k_stage_states[static_cast<int>(state)];
}

ProcessIdentity
own_process()
{
  ProcessIdentity self;
  self.pid = static_cast<int>(::getpid());
  if (auto text = read_file("/proc/self/stat")) {
    if (auto stat = parse_stat(*text)) {
      self.start_time = stat->start_time;
    }
  }
  return self;
}

bool
is_running(const ProcessIdentity& process)
{
  if (process.empty()) {
    return false;
  }
  auto text = read_file(fmt::format("/proc/{}/stat", process.pid));
  if (!text) {
    return false;
  }
  auto stat = parse_stat(*text);
  return stat && stat->start_time == process.start_time && stat->state != 'Z' && stat->state != 'X';
}

Job
Job::make()
{
  Job job;
  for (JobStage stage : job_stages()) {
    StageRecord record;
    record.stage = stage;
    job.stages.push_back(record);
  }
  return job;
}

StageRecord&
Job::record(JobStage stage)
{
  return stages.at(static_cast<size_t>(stage));
}

const StageRecord&
Job::record(JobStage stage) const
{
  return stages.at(static_cast<size_t>(stage));
}

JobState
Job::shown_state() const
{
  if (is_running_state(state) && !is_running(runner)) {
    return JobState::interrupted;
  }
  return state;
}

json
to_json(const Job& job)
{
  json stages = json::array();
  for (const auto& record : job.stages) {
    stages.push_back(stage_json(record));
  }
  json out = {{"schemaVersion", 1},
              {"id", job.id},
              {"name", job.name},
              {"description", job.description},
              {"labels", job.labels},
              {"createdAt", job.created_at},
              {"updatedAt", job.updated_at},
              {"applicationId", job.application_id},
              {"state", to_string(job.shown_state())},
              {"stage", job.stage ? json(to_string(*job.stage)) : json(nullptr)},
              {"settings", settings_json(job.settings)},
              {"stages", stages},
              {"progress", progress_json(job.progress)},
              {"source", identity_json(job.source)},
              {"runner", identity_json(job.runner)},
              {"imageDigest", job.image_digest.empty() ? json(nullptr) : json(job.image_digest)},
              {"image", job.pushed_reference.empty() ? json(nullptr) : json(job.pushed_reference)}};
  if (!job.source_started.empty()) {
    out["source"]["startedAt"] = job.source_started;
  }
  out["error"] = job.error ? json{{"code", exit_code(job.error->code)},
                                  {"message", job.error->message},
                                  {"hint", job.error->hint}}
                           : json(nullptr);
  return out;
}

Result<Job>
job_from_json(const json& in)
{
  if (!in.is_object()) {
    return fail(ErrorCode::invalid_input, "not a JSON object");
  }
  Job job = Job::make();
  Reader r(in, "");
  int schema = 0;
  r.get("schemaVersion", schema, true);
  if (!r.error() && schema != 1) {
    r.problem("schemaVersion",
              fmt::format("{} is not 1 (written by another decant version)", schema));
  }
  r.get("id", job.id, true);
  r.get("name", job.name);
  r.get("description", job.description);
  for (const auto& [key, value] : r.object("labels").items()) {
    if (!value.is_string()) {
      r.problem("labels." + key, "must be a string");
      break;
    }
    job.labels[key] = value.get<std::string>();
  }
  r.get("createdAt", job.created_at);
  r.get("updatedAt", job.updated_at);
  r.get("applicationId", job.application_id);
  std::string state;
  std::string stage;
  r.get("state", state, true);
  r.get("stage", stage);
  settings_from(r, job.settings);
  progress_from(r, job);
  error_from(r, job);
  job.source = identity_from(r, "source");
  if (r.has("source")) {
    Reader(r.object("source"), "source.").get("startedAt", job.source_started);
  }
  job.runner = identity_from(r, "runner");
  r.get("imageDigest", job.image_digest);
  r.get("image", job.pushed_reference);
  if (!r.error()) {
    auto known = job_state_from_string(state);
    known ? (void)(job.state = *known)
          : r.problem("state", fmt::format("\"{}\" is unknown", state));
  }
  if (!r.error() && !stage.empty()) {
    auto known = job_stage_from_string(stage);
    known ? (void)(job.stage = *known)
          : r.problem("stage", fmt::format("\"{}\" is unknown", stage));
  }
  if (r.error()) {
    return fail(*r.error());
  }
  if (in.contains("stages")) {
    if (auto read = stages_from(in["stages"], job); !read) {
      return fail(read.error());
    }
  }
  return job;
}

std::string
start_time_text(uint64_t start_ticks, const std::string& proc_stat)
{
  long ticks_per_second = ::sysconf(_SC_CLK_TCK);
  for (const auto& line : split(proc_stat, '\n')) {
    if (line.rfind("btime ", 0) == 0 && ticks_per_second > 0) {
      auto boot = parse_u64(trim(line.substr(6)));
      if (!boot) {
        return {};
      }
      time_t at =
          static_cast<time_t>(*boot + start_ticks / static_cast<uint64_t>(ticks_per_second));
      std::tm tm{};
      ::gmtime_r(&at, &tm);
      char buffer[32];
      std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm);
      return buffer;
    }
  }
  return {};
}

} // namespace decant::job
