// The stages of a migration job: each calls the stage function of the same name with the job's
// settings and files, and returns what goes into job.json's stage record.

#include <decant/analysis/analysis.hpp>
#include <decant/oci/checksums.hpp>
#include <decant/proc/parse.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/json.hpp>
#include <decant/util/strings.hpp>
#include <decant/verify/verify.hpp>
#include <decant/workflow/analyze.hpp>
#include <decant/workflow/generate.hpp>
#include <decant/workflow/job_runner.hpp>
#include <decant/workflow/pack.hpp>
#include <decant/workflow/push.hpp>

#include <filesystem>

namespace decant::workflow {

using job::JobStage;
using job::StageState;
using nlohmann::json;

namespace {

// The first few items of a list for a one-line message.
std::string
first_of(const std::vector<std::string>& items, size_t count)
{
  std::vector<std::string> shown(items.begin(), items.begin() + std::min(count, items.size()));
  std::string text = join(shown, "; ");
  if (items.size() > count) {
    text += fmt::format(" (and {} more)", items.size() - count);
  }
  return text;
}

// The operator's --exclude for an application: added to the analysis' own exclusions.
Status
add_exclusions(AnalyzeSummary& summary, const std::vector<std::string>& exclude)
{
  if (exclude.empty()) {
    return {};
  }
  for (const auto& path : exclude) {
    summary.analysis.exclude.push_back({path, "--exclude of the migration job"});
  }
  return save_analysis(summary.analysis, summary.path);
}

json
analysis_result(const AnalyzeSummary& summary)
{
  json ports = json::array();
  for (const auto& port : summary.analysis.ports) {
    if (port.expose) {
      ports.push_back(port.port);
    }
  }
  return {{"analyzer", summary.analyzer},
          {"applicationId", summary.analysis.application_id},
          {"applicationType", summary.analysis.application_type},
          {"pid", summary.pid},
          {"ports", ports},
          {"files", summary.analysis.files.size()},
          {"volumes", summary.analysis.volumes.size()},
          {"secrets", summary.analysis.secrets.size()},
          {"warnings", summary.analysis.warnings.size()},
          {"path", summary.path}};
}

} // namespace

std::string
analysis_fingerprint(const std::string& path)
{
  auto text = read_file(path);
  if (!text) {
    return {};
  }
  json analysis = parse_json(*text, path).value_or(json());
  if (analysis.is_object() && analysis.contains("extensions")
      && analysis["extensions"].is_object()) {
    analysis["extensions"].erase("verify"); // verify writes its verdict there
    if (analysis["extensions"].empty()) {
      analysis.erase("extensions"); // and made the object for it
    }
  }
  return sha256_hex(analysis.dump());
}

Result<json>
JobRunner::analyze()
{
  const auto& settings = m_job.settings;
  AnalyzeOptions options;
  // Once analyzed, the job follows its application, not the PID it was started with: a server
  // restarted under the job (resume --reanalyze) has a new PID and the same application id.
  options.target =
      m_job.application_id.empty() || settings.machine ? settings.target : m_job.application_id;
  options.machine = settings.machine;
  options.exclude = settings.machine ? settings.exclude : std::vector<std::string>{};
  options.output = m_paths.analysis;
  options.workspace = m_store.workspace();
  auto summary = workflow::analyze(*m_context.root, *m_context.analyzers, options, sink());
  if (!summary) {
    return fail(summary.error());
  }
  if (!settings.machine) {
    if (auto added = add_exclusions(*summary, settings.exclude); !added) {
      return fail(added.error());
    }
  }
  report_changes(summary->analysis);
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_job.application_id = summary->analysis.application_id;
    m_job.source = {summary->pid, summary->start_time};
    m_job.source_started = job::start_time_text(
        summary->start_time, m_context.root->read_file("/proc/stat").value_or(""));
    if (m_job.name.empty()) {
      m_job.name = m_job.application_id;
    }
  }
  if (auto locked = lock_application(); !locked) {
    return fail(locked.error());
  }
  return analysis_result(*summary);
}

Result<json>
JobRunner::pack()
{
  if (auto same = check_source("before packing"); !same) {
    return fail(same.error());
  }
  const auto& settings = m_job.settings;
  PackOptions options;
  options.analysis = m_paths.analysis;
  options.output = m_paths.image;
  options.tag = m_paths.tag;
  options.compression = settings.compression;
  options.zstd = settings.zstd;
  options.reproducible = settings.reproducible;
  options.source_date_epoch = settings.source_date_epoch;
  options.force = true; // the job's own layout, from an earlier try
  options.externalize_secrets = settings.externalize_secrets;
  options.logs = settings.logs == "files" ? LogRouting::files : LogRouting::stdout;
  options.layer_cache = m_layer_cache;
  options.layer_cache_max_bytes = m_context.layer_cache_max_bytes;
  options.checksums = settings.checksum;
  options.annotations = m_job.labels;
  if (!m_job.description.empty()) {
    options.annotations["org.opencontainers.image.description"] = m_job.description;
  }
  options.cancel = m_context.cancel;
  auto summary = workflow::pack(*m_context.root, options, sink());
  if (!summary) {
    return fail(summary.error());
  }
  if (auto same = check_source("after packing"); !same) {
    return fail(same.error());
  }
  const ImageSummary& image = *summary->image;
  if (settings.checksum) {
    std::vector<FileChecksum> all;
    for (const auto& layer : image.layers) {
      all.insert(all.end(), layer.checksums.begin(), layer.checksums.end());
    }
    if (auto written = write_file_atomic(m_paths.checksums, to_json(all).dump() + "\n"); !written) {
      return fail(written.error());
    }
  }
  json result = to_json(image);
  result["analysisFingerprint"] = analysis_fingerprint(m_paths.analysis);
  return result;
}

Result<json>
JobRunner::checksum()
{
  auto text = read_file(m_paths.checksums);
  json parsed = text ? parse_json(*text, m_paths.checksums).value_or(json()) : json();
  auto checksums = checksums_from_json(parsed);
  if (!checksums) {
    m_job.record(JobStage::pack).state = StageState::pending; // pack again to record them
    return fail(Error(ErrorCode::invalid_input,
                      fmt::format("{}: {}", m_paths.checksums, checksums.error().message),
                      fmt::format("decant jobs resume {} packs again and records them", m_job.id)));
  }
  EventSink to_job = sink(); // Events keeps a reference
  Events events(Stage::checksum, to_job);
  events.message(fmt::format("reading the {} packed files again on the source", checksums->size()));
  auto differences =
      compare_checksums(*m_context.root, *checksums, [&events](uint64_t done, uint64_t total) {
        events.progress(done, total);
      });
  json changed = json::array();
  std::vector<std::string> lines;
  for (const auto& d : differences) {
    changed.push_back({{"path", d.path}, {"packed", d.packed}, {"now", d.now}});
    lines.push_back(d.path);
    events.warning("file-changed", fmt::format("{}: packed {}, now {}", d.path, d.packed, d.now));
  }
  json result = {{"files", checksums->size()}, {"changed", changed}};
  if (differences.empty()) {
    events.message(fmt::format("all {} packed files are as they were packed", checksums->size()));
  } else if (!m_job.settings.allow_changed) {
    m_job.record(JobStage::pack).state = StageState::pending; // the image holds old versions
    return fail(Error(ErrorCode::verification,
                      fmt::format("{} packed files changed on the source after they were "
                                  "packed: {}",
                                  differences.size(),
                                  first_of(lines, 5)),
                      fmt::format("once the application stops changing them, `decant jobs "
                                  "resume {}` packs them again; or migrate with "
                                  "--allow-changed, or add them to \"exclude\" or \"volumes\"",
                                  m_job.id)));
  }
  return result;
}

Result<json>
JobRunner::verify()
{
  if (auto made = make_directories(m_paths.tmp, 0700); !made) {
    return fail(made.error());
  }
  VerifyOptions options;
  options.layout = m_paths.image + ":" + m_paths.tag;
  options.analysis = m_paths.analysis;
  options.probes = m_job.settings.probes;
  options.root = m_context.root->root();
  options.workspace = m_store.workspace();
  options.analyzers = m_context.analyzers;
  options.temp_dir = m_paths.tmp;
  options.events = sink();
  options.cancel = m_context.cancel;
  auto report = verify_image(options);
  if (!report) {
    return fail(report.error());
  }
  (void)write_file_atomic(m_paths.verify, to_json(*report).dump(1) + "\n");
  m_report.verify = *report;
  json result = {{"result", report->passed() ? "passed" : "failed"},
                 {"compared", report->compared},
                 {"probes", report->probes.size()},
                 {"failures", report->failures},
                 {"startupSeconds", report->startup_seconds}};
  if (report->source_restarted) {
    return fail(Error(
        ErrorCode::source_changed,
        report->source_restart_message,
        fmt::format("start a new migration, or decant jobs resume {} --reanalyze", m_job.id)));
  }
  if (!report->passed()) {
    return fail(Error(ErrorCode::verification,
                      "the image does not answer like the source: " + first_of(report->failures, 3),
                      fmt::format("`decant jobs show {0}` shows the comparison; fix "
                                  "{1} (files, start command, ports), then `decant jobs resume "
                                  "{0}` packs and verifies again",
                                  m_job.id,
                                  m_paths.analysis)));
  }
  return result;
}

Result<json>
JobRunner::push()
{
  if (auto same = check_source("before pushing"); !same) {
    return fail(same.error());
  }
  const auto& settings = m_job.settings;
  if (!settings.username.empty() && !m_context.password) {
    return fail(Error(ErrorCode::usage,
                      fmt::format("job {} pushes to the registry as {}: its password is not "
                                  "kept, give it again",
                                  m_job.id,
                                  settings.username),
                      fmt::format("printf '%s' \"$PASSWORD\" | decant jobs resume {} "
                                  "--password-stdin",
                                  m_job.id)));
  }
  PushOptions options;
  options.layout = m_paths.image + ":" + m_paths.tag;
  options.reference = settings.image;
  options.insecure = settings.insecure;
  options.username = settings.username;
  options.password = settings.username.empty() ? std::nullopt : m_context.password;
  options.limit_mbps = settings.limit_mbps;
  options.state_file = m_paths.push_state;
  options.check_manifest = settings.checksum;
  auto summary = workflow::push(options, sink());
  if (!summary) {
    return fail(summary.error());
  }
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_job.image_digest = summary->outcome.manifest_digest;
    m_job.pushed_reference = summary->image;
  }
  json result = to_json(summary->outcome);
  result["image"] = summary->image;
  return result;
}

Result<json>
JobRunner::generate()
{
  GenerateOptions options;
  options.analysis = m_paths.analysis;
  options.image = m_job.pushed_reference;
  options.output = m_paths.deploy;
  options.force = m_rerun; // what this job wrote before
  options.namespace_name = m_job.settings.namespace_name;
  options.externalize_secrets = m_job.settings.externalize_secrets;
  options.labels = m_job.labels;
  auto summary = workflow::generate(Result<HostRoot>(*m_context.root), options, sink());
  if (!summary) {
    return fail(summary.error());
  }
  return json{{"output", summary->output},
              {"manifests", summary->manifests},
              {"warnings", summary->warnings}};
}

Status
JobRunner::reanalyze()
{
  if (auto before = load_analysis_without_secrets(m_paths.analysis)) {
    m_before = std::move(*before);
  }
  reset_stages(m_job, JobStage::analyze);
  return run();
}

void
JobRunner::report_changes(const Analysis& after)
{
  if (!m_before) {
    return;
  }
  m_report.changes = compare_analyses(*m_before, after);
  if (m_report.changes.empty()) {
    message("the new analysis is the same as the previous one");
    return;
  }
  size_t count = m_report.changes.size();
  message(fmt::format("what changed since the previous analysis ({} {}):",
                      count,
                      count == 1 ? "change" : "changes"));
  for (const auto& change : m_report.changes) {
    message("  " + to_string(change));
  }
}

void
reset_stages(job::Job& job, JobStage from)
{
  bool reset = false;
  for (JobStage stage : job::job_stages()) {
    reset = reset || stage == from;
    if (reset) {
      job.record(stage).state = StageState::pending;
      job.record(stage).result = json::object();
    }
  }
  if (job.record(JobStage::push).state == StageState::pending) {
    job.image_digest.clear();
    job.pushed_reference.clear();
  }
}

} // namespace decant::workflow
