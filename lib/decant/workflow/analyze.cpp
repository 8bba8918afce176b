#include <decant/analyzer/inventory.hpp>
#include <decant/machine/machine.hpp>
#include <decant/proc/process.hpp>
#include <decant/util/fs.hpp>
#include <decant/workflow/analyze.hpp>
#include <decant/workflow/machine.hpp>

namespace decant::workflow {

namespace {

// analyze --machine: the whole server, no application analyzer (docs/machine.md). The root is
// walked once for the size report (extensions.machine.sizeReport) and unreadable files.
Result<Analysis>
analyze_whole_machine(const HostRoot& root, const AnalyzeOptions& options)
{
  std::vector<std::string> own_paths = {options.workspace};
  if (!options.output.empty()) {
    own_paths.push_back(options.output);
  }
  auto analysis = analyze_machine(root, own_machine_options(root, options.exclude, own_paths));
  if (!analysis) {
    return analysis;
  }
  auto walk = walk_machine(*analysis, root);
  if (!walk) {
    return fail(walk.error());
  }
  for (const auto& warning : walk_warnings(*walk)) {
    analysis->warn(warning.code, warning.message);
  }
  if (auto status = check_unreadable(*walk, options.allow_unreadable); !status) {
    return fail(status.error());
  }
  analysis->extensions["machine"]["sizeReport"] = to_json(walk->size);
  return analysis;
}

Status
check_options(const AnalyzeOptions& options)
{
  if (options.machine) {
    if (!options.target.empty()) {
      return fail(Error(ErrorCode::usage,
                        "--machine analyzes the whole server, not a process: drop the target "
                            + options.target,
                        "decant analyze --machine [-o FILE] [--exclude PATH]..."));
    }
    return {};
  }
  if (options.target.empty()) {
    return fail(Error(ErrorCode::usage,
                      "no target given",
                      "decant analyze PID|APP-ID, or decant analyze --machine"));
  }
  if (!options.exclude.empty()) {
    return fail(Error(ErrorCode::usage,
                      "--exclude is for --machine",
                      "edit \"exclude\" in analysis.json for an application"));
  }
  return {};
}

// One application: its process, its analyzer, and the check that it did not restart meanwhile
// (a mix of two runs is no analysis).
Result<AnalyzeSummary>
analyze_application(const HostRoot& root,
                    const AnalyzerList& analyzers,
                    const AnalyzeOptions& options,
                    const Events& events)
{
  auto pid = find_target(root, analyzers, options.target);
  if (!pid) {
    return fail(pid.error());
  }
  auto target = select_analyzer(root, analyzers, *pid);
  if (!target) {
    return fail(target.error());
  }
  if (!target->process.environ_readable) {
    return fail(Error(ErrorCode::permission,
                      fmt::format("cannot read the environment of PID {} (owned by uid {})",
                                  *pid,
                                  target->process.status.uid[0]),
                      fmt::format("run decant as root: sudo decant analyze {}", options.target)));
  }
  const Analyzer& analyzer = *target->analyzer;
  if (!target->note.empty()) {
    events.message(target->note); // the jsvc controller: its child is analyzed
  }
  events.message(fmt::format(
      "analyzing PID {} with the {} analyzer", target->process.pid, analyzer.info().id));
  auto analysis = analyzer.analyze(target->process, root);
  if (!analysis) {
    return fail(analysis.error().context(analyzer.info().id));
  }
  if (auto same = check_same_process(root, target->process); !same) {
    return fail(same.error());
  }
  AnalyzeSummary summary;
  summary.analysis = std::move(*analysis);
  summary.analyzer = analyzer.info().id;
  summary.pid = target->process.pid;
  summary.start_time = target->process.stat.start_time;
  return summary;
}

} // namespace

Result<std::string>
save_analysis_to(const Analysis& analysis, const std::string& output, const std::string& workspace)
{
  std::string path = output;
  if (path.empty()) {
    std::string dir = workspace + "/" + analysis.application_id;
    if (auto made = make_directories(dir, 0700); !made) {
      return fail(made.error());
    }
    path = dir + "/analysis.json";
  } else if (auto slash = path.rfind('/'); slash != std::string::npos && slash > 0) {
    if (auto made = make_directories(path.substr(0, slash), 0755); !made) {
      return fail(made.error());
    }
  }
  if (auto saved = save_analysis(analysis, path); !saved) {
    return fail(saved.error());
  }
  return path;
}

Result<AnalyzeSummary>
analyze(const HostRoot& root,
        const AnalyzerList& analyzers,
        const AnalyzeOptions& options,
        const EventSink& on_event)
{
  Events events(Stage::analyze, on_event);
  if (auto checked = check_options(options); !checked) {
    return fail(checked.error());
  }
  Result<AnalyzeSummary> summary;
  if (options.machine) {
    auto analysis = analyze_whole_machine(root, options);
    if (!analysis) {
      return fail(analysis.error());
    }
    summary = AnalyzeSummary{};
    summary->analysis = std::move(*analysis);
    summary->analyzer = "machine";
  } else {
    summary = analyze_application(root, analyzers, options, events);
    if (!summary) {
      return summary;
    }
  }
  auto path = save_analysis_to(summary->analysis, options.output, options.workspace);
  if (!path) {
    return fail(path.error());
  }
  summary->path = *path;
  for (const auto& warning : summary->analysis.warnings) {
    events.warning(warning.code, warning.message);
  }
  return summary;
}

} // namespace decant::workflow
