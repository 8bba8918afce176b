#include "cli.hpp"
#include "output.hpp"

#include <decant/workflow/analyze.hpp>

#include <fmt/format.h>

#include <registry.hpp>

namespace decant::cli {

namespace {

Status
run_analyze(const Context& ctx, workflow::AnalyzeOptions options)
{
  auto root = ctx.host_root();
  if (!root) {
    return fail(root.error());
  }
  options.workspace = ctx.workspace;
  EventPrinter printer(false);
  auto summary = workflow::analyze(*root, analyzers(), options, printer.sink());
  if (!summary) {
    return fail(summary.error());
  }
  const Analysis& analysis = summary->analysis;
  fmt::print(stderr,
             "{} ({}): {} ports, {} files, {} volumes, {} secrets\n",
             analysis.application_id,
             analysis.application_type,
             analysis.ports.size(),
             analysis.files.size(),
             analysis.volumes.size(),
             analysis.secrets.size());
  fmt::print("{}\n", summary->path);
  return {};
}

// What `decant analyze --help` shows below the options.
const char* const k_analyze_help = R"(
Reads the process through /proc (command line, environment, open files, sockets, mapped
libraries) and the runtime's configuration, then writes analysis.json: ports, environment,
start command, and every file the image needs with the reason it is there. Secret values
(passwords, tokens, keys) go to a secrets file (mode 0600) beside it, never into analysis.json:
analysis.json keeps secrets.json, any other NAME.json keeps NAME.secrets.json.
The path written is printed on standard output; a summary and warnings go to standard error.

Examples:
  decant analyze 1234
  decant analyze java-tomcat-5924e694 -o ./tomcat/analysis.json
  decant analyze --machine --exclude /srv/cache -o ./web01/analysis.json)";

} // namespace

void
add_analyze_command(CLI::App& app, Context& ctx)
{
  auto* cmd = app.add_subcommand("analyze", "Analyze a running application into analysis.json");
  auto options = std::make_shared<workflow::AnalyzeOptions>();
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
  cmd->footer(k_analyze_help);
  cmd->callback(
      [&ctx, options] { ctx.run = [&ctx, options] { return run_analyze(ctx, *options); }; });
}

} // namespace decant::cli
