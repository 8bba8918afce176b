#include "cli.hpp"

#include <decant/analyzer/inventory.hpp>
#include <decant/machine/machine.hpp>
#include <decant/util/fs.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <registry.hpp>

namespace decant::cli {

namespace {

struct AnalyzeOptions {
  std::string target;
  std::string output;
  bool machine = false;
  std::vector<std::string> exclude; // --machine only
  bool allow_unreadable = false;    // --machine only
};

Status
save_and_summarize(const Context& ctx, const Analysis& analysis, const std::string& output_option);

// analyze --machine: the whole server, no application analyzer (docs/machine.md). The root is
// walked once for the size report (extensions.machine.sizeReport) and unreadable files.
Result<Analysis>
analyze_whole_machine(const Context& ctx, const HostRoot& root, const AnalyzeOptions& options)
{
  MachineOptions machine;
  machine.exclude = options.exclude;
  machine.own_paths = {ctx.workspace};
  if (!options.output.empty()) {
    machine.own_paths.push_back(options.output);
  }
  machine.mountinfo = own_mountinfo();
  machine.self_pid = root.is_live() ? static_cast<int>(::getpid()) : 0;
  auto analysis = analyze_machine(root, machine);
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
run_analyze(const Context& ctx, const AnalyzeOptions& options)
{
  auto root = ctx.host_root();
  if (!root) {
    return fail(root.error());
  }
  if (options.machine) {
    if (!options.target.empty()) {
      return fail(Error(ErrorCode::usage,
                        "--machine analyzes the whole server, not a process: drop the target "
                            + options.target,
                        "decant analyze --machine [-o FILE] [--exclude PATH]..."));
    }
    auto analysis = analyze_whole_machine(ctx, *root, options);
    if (!analysis) {
      return fail(analysis.error());
    }
    return save_and_summarize(ctx, *analysis, options.output);
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
  auto pid = find_target(*root, analyzers(), options.target);
  if (!pid) {
    return fail(pid.error());
  }
  auto target = select_analyzer(*root, analyzers(), *pid);
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
  fmt::print(stderr, "analyzing PID {} with the {} analyzer\n", *pid, analyzer.info().id);
  auto analysis = analyzer.analyze(target->process, *root);
  if (!analysis) {
    return fail(analysis.error().context(analyzer.info().id));
  }
  // The source must not have restarted while it was analyzed: a mix of two runs is no analysis.
  if (auto same = check_same_process(*root, target->process); !same) {
    return same;
  }
  return save_and_summarize(ctx, *analysis, options.output);
}

Status
save_and_summarize(const Context& ctx, const Analysis& analysis, const std::string& output_option)
{
  std::string output = output_option;
  if (output.empty()) {
    std::string dir = ctx.workspace + "/" + analysis.application_id;
    if (auto made = make_directories(dir, 0700); !made) {
      return made;
    }
    output = dir + "/analysis.json";
  } else if (auto slash = output.rfind('/'); slash != std::string::npos && slash > 0) {
    if (auto made = make_directories(output.substr(0, slash), 0755); !made) {
      return made;
    }
  }
  if (auto saved = save_analysis(analysis, output); !saved) {
    return saved;
  }
  for (const auto& warning : analysis.warnings) {
    fmt::print(stderr, "warning: {}: {}\n", warning.code, warning.message);
  }
  fmt::print(stderr,
             "{} ({}): {} ports, {} files, {} volumes, {} secrets\n",
             analysis.application_id,
             analysis.application_type,
             analysis.ports.size(),
             analysis.files.size(),
             analysis.volumes.size(),
             analysis.secrets.size());
  fmt::print("{}\n", output);
  return {};
}

} // namespace

void
add_analyze_command(CLI::App& app, Context& ctx)
{
  auto* cmd = app.add_subcommand("analyze", "Analyze a running application into analysis.json");
  auto options = std::make_shared<AnalyzeOptions>();
  cmd->add_option("target", options->target, "PID or application id (from `decant inventory`)");
  cmd->add_flag("--machine",
                options->machine,
                "Analyze the whole server for machine-level mode (no target): analysis.json of "
                "type \"machine\" (see `decant machine --help`)");
  cmd->add_option("--exclude",
                  options->exclude,
                  "With --machine: also leave out this path or glob (repeatable)");
  cmd->add_flag("--allow-unreadable",
                options->allow_unreadable,
                "With --machine: unreadable files are warnings, not an error");
  cmd->add_option("-o,--output",
                  options->output,
                  "Where to write analysis.json (default <workspace>/<app-id>/analysis.json)");
  cmd->footer(R"(
Reads the process through /proc (command line, environment, open files, sockets, mapped
libraries) and the runtime's configuration, then writes analysis.json: ports, environment,
start command, and every file the image needs with the reason it is there. Secret values
(passwords, tokens, keys) go to secrets.json (mode 0600) beside it, never into analysis.json.
The path written is printed on standard output; a summary and warnings go to standard error.

Examples:
  decant analyze 1234
  decant analyze java-tomcat-5924e694 -o ./tomcat/analysis.json
  decant analyze --machine --exclude /srv/cache -o ./web01/analysis.json)");
  cmd->callback(
      [&ctx, options] { ctx.run = [&ctx, options] { return run_analyze(ctx, *options); }; });
}

} // namespace decant::cli
