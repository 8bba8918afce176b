#include "job_output.hpp"

#include "output.hpp"

#include <decant/util/strings.hpp>

#include <fmt/format.h>

#include <ctime>
#include <iostream>
#include <iterator>
#include <registry.hpp>

namespace decant::cli {

namespace {

using job::JobStage;
using job::StageState;
using nlohmann::json;

// "3m", "2h", "4d" since an RFC 3339 time.
std::string
age(const std::string& rfc3339)
{
  std::tm tm{};
  if (::strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) == nullptr) {
    return "?";
  }
  double seconds = std::difftime(std::time(nullptr), ::timegm(&tm));
  if (seconds < 120) {
    return fmt::format("{:.0f}s", std::max(seconds, 0.0));
  }
  if (seconds < 7200) {
    return fmt::format("{:.0f}m", seconds / 60);
  }
  return seconds < 172800 ? fmt::format("{:.0f}h", seconds / 3600)
                          : fmt::format("{:.0f}d", seconds / 86400);
}

// "pack 45%", "4/6 stages".
std::string
progress_text(const job::Job& job)
{
  if (job::is_running_state(job.shown_state()) && job.progress && job.progress->total > 0) {
    return fmt::format("{} {:.0f}%",
                       to_string(job.progress->stage),
                       100.0 * static_cast<double>(job.progress->done)
                           / static_cast<double>(job.progress->total));
  }
  size_t done = 0;
  size_t counted = 0;
  for (const auto& record : job.stages) {
    counted += record.state == StageState::skipped ? 0 : 1;
    done += record.state == StageState::done ? 1 : 0;
  }
  return fmt::format("{}/{} stages", done, counted);
}

std::string
stage_times(const job::Job& job, double& total)
{
  std::vector<std::string> parts;
  for (const auto& record : job.stages) {
    if (record.state == StageState::done && record.stage != JobStage::confirm) {
      parts.push_back(fmt::format("{} {:.1f}s", to_string(record.stage), record.seconds));
      total += record.seconds;
    }
  }
  return join(parts, ", ");
}

void
print_layers_of(const job::Job& job)
{
  const json& result = job.record(JobStage::pack).result;
  if (!result.contains("layers") || !result["layers"].is_array()) {
    return;
  }
  const char* label = "layers";
  for (const auto& layer : result["layers"]) {
    fmt::print(stderr,
               "{:<10} {:<8} {}  {:>10}  ({} uncompressed, {} files){}\n",
               label,
               layer.value("role", ""),
               layer.value("digest", "").substr(0, 19),
               human_bytes(layer.value("size", uint64_t{0})),
               human_bytes(layer.value("uncompressedSize", uint64_t{0})),
               layer.value("files", 0),
               layer.value("cached", false) ? "  reused" : "");
    label = "";
  }
}

void
print_summary(const workflow::JobReport& report)
{
  const job::Job& job = report.job;
  double total = 0;
  std::string times = stage_times(job, total);
  fmt::print(stderr,
             "\njob {} {} ({}){}\n",
             job.id,
             to_string(job.shown_state()),
             job.application_id.empty() ? job.settings.target : job.application_id,
             times.empty() ? "" : fmt::format(" in {:.1f}s", total));
  if (!job.pushed_reference.empty()) {
    fmt::print(stderr, "{:<10} {}\n", "image", job.pushed_reference);
  }
  print_layers_of(job);
  if (report.verify) {
    fmt::print(stderr, "verify\n");
    print_verify_report(*report.verify, stderr);
  }
  if (job.record(JobStage::generate).state == StageState::done) {
    fmt::print(stderr, "{:<10} {}/kubernetes\n", "manifests", report.deploy_dir);
  }
  if (!times.empty()) {
    fmt::print(stderr, "{:<10} {}\n", "stages", times);
  }
}

} // namespace

Status
run_job_command(const Context& ctx,
                const JobCommandOptions& options,
                const std::function<Result<workflow::JobReport>(const workflow::JobContext&)>& work)
{
  auto root = ctx.host_root();
  if (!root) {
    return fail(root.error());
  }
  workflow::JobContext context;
  context.root = &*root;
  context.analyzers = &analyzers();
  context.workspace = ctx.workspace;
  if (auto cache = use_layer_cache(ctx, context.layer_cache, context.layer_cache_max_bytes);
      !cache) {
    return cache;
  }
  if (options.password_stdin) {
    context.password = read_password_stdin();
  }
  CancelOnSignal stop;
  context.cancel = stop.flag();
  EventPrinter printer(EventPrinter::Style{true, true, options.json});
  context.events = printer.sink();
  auto report = work(context);
  printer.finish();
  if (!report) {
    return fail(report.error());
  }
  for (const auto& note : report->notes) {
    fmt::print(stderr, "note: {}\n", note);
  }
  if (options.json) {
    json result = {{"stage", "migrate"}, {"event", "result"}, {"job", to_json(report->job)}};
    fmt::print("{}\n", result.dump());
  } else {
    if (report->job.shown_state() == job::JobState::completed
        || report->job.shown_state() == job::JobState::error) {
      print_summary(*report);
    }
    fmt::print("{}\n", report->job.id);
  }
  return report->status();
}

void
print_job_list(const job::JobStore::Listing& listing, bool json)
{
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& job : listing.jobs) {
      out.push_back(workflow::job_summary_json(job));
    }
    print_json(out);
    return;
  }
  fmt::print("{:<12} {:<24} {:<24} {:<22} {:<9} {:<12} {}\n",
             "ID",
             "NAME",
             "APPLICATION",
             "STATE",
             "STAGE",
             "PROGRESS",
             "AGE");
  for (const auto& job : listing.jobs) {
    fmt::print("{:<12} {:<24} {:<24} {:<22} {:<9} {:<12} {}\n",
               job.id,
               job.name.size() > 24 ? job.name.substr(0, 21) + "..." : job.name,
               job.application_id.empty() ? "-" : job.application_id,
               to_string(job.shown_state()),
               job.stage ? to_string(*job.stage) : "-",
               progress_text(job),
               age(job.created_at));
  }
}

void
print_job_details(const workflow::JobReport& report, bool json)
{
  const job::Job& job = report.job;
  if (json) {
    print_json(to_json(job));
    return;
  }
  fmt::print("job          {}  {}\n", job.id, job.name);
  if (!job.description.empty()) {
    fmt::print("description  {}\n", job.description);
  }
  fmt::print("application  {}{}\n",
             job.application_id.empty() ? job.settings.target : job.application_id,
             job.source.empty()
                 ? ""
                 : fmt::format(" (PID {} started at {})", job.source.pid, job.source_started));
  fmt::print("state        {}{}\n",
             to_string(job.shown_state()),
             job.runner.empty() ? "" : fmt::format(" (decant PID {})", job.runner.pid));
  if (job.error) {
    fmt::print("error        exit {}: {}\nhint         {}\n",
               exit_code(job.error->code),
               job.error->message,
               job.error->hint);
  }
  fmt::print("image        {}\n",
             job.pushed_reference.empty() ? job.settings.image : job.pushed_reference);
  for (const auto& [key, value] : job.labels) {
    fmt::print("label        {}={}\n", key, value);
  }
  for (const auto& record : job.stages) {
    fmt::print("stage        {:<9} {:<8} {}{}\n",
               to_string(record.stage),
               to_string(record.state),
               record.started_at,
               record.ended_at.empty() ? "" : fmt::format("  {:.1f}s", record.seconds));
  }
  if (job.progress && job::is_running_state(job.shown_state())) {
    fmt::print("progress     {} {} / {}, {}/s\n",
               to_string(job.progress->stage),
               human_bytes(job.progress->done),
               human_bytes(job.progress->total),
               human_bytes(static_cast<uint64_t>(job.progress->bytes_per_second)));
  }
  fmt::print("files        {} (analysis.json, image/, job.log); manifests in {}\n",
             report.dir,
             report.deploy_dir);
  if (report.verify) {
    fmt::print("\n");
    print_verify_report(*report.verify);
  }
}

} // namespace decant::cli
