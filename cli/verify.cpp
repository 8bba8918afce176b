#include "cli.hpp"
#include "output.hpp"

#include <decant/registry/progress.hpp>
#include <decant/verify/verify.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <registry.hpp>

namespace decant::cli {

namespace {

const char* const k_verify_help = R"(
Unpacks the image (libarchive; every blob's sha256 and every layer's diffID checked first: a
changed byte fails with exit 10 naming the blob) and starts its Entrypoint + Cmd, Env,
WorkingDir and User (with the groups of the image's /etc/group) in fresh PID, mount, UTS, IPC
and network namespaces with the OCI default mounts and nothing over the image's /tmp. Volumes of
the analysis are empty directories with their owner and mode; secrets are given as the generated
Deployment gives them (variables, ${secret:...} arguments, files left out by
--externalize-secrets, read from the source host). Needs root. No container engine is used.

Every exposed TCP port must listen within --timeout. Then each probe path is fetched from the
source and from the image: status, Content-Type and body are compared (never Date or other
headers). A body that differs only in session ids, tokens, numbers or dates is "same shape" and
passes, listed with the differing byte ranges. HTTPS ports must present the source's
certificate; other ports must accept a TCP connect. Default paths: / and each Tomcat/TomEE
context, each JBoss .war context root, plus extensions.verify.paths of the analysis and --probe.

The analysis: --analysis FILE, else analysis.json beside the layout directory (DIR/../), else
<workspace>/<application-id>/analysis.json (the id is the image's io.decant.application-id label).
The source: --against PID or APP-ID; by default the analyzed process, or the application's
current process when it was restarted; none running (or --against none): the image is run and
its ports checked, and the report says no comparison was possible. Machine-level images run
/.decant/init and each recorded service's port must listen.

The verdict goes into extensions.verify of the analysis (the paths that answered 2xx, used by
`decant generate` for HTTP probes). Ctrl-C stops the sandbox and removes its files; nothing of
it survives decant, not even kill -9 (files of a killed run are removed by the next one).

Exit: 0 the image answers like the source, 10 it does not (or the layout is corrupt), 7 the
source restarted during verification, 5 not root, 3 layout/tag/secrets file not found.

Examples:
  decant verify /tmp/tomcat/image
  decant verify ./oci:shop/tomcat:1.0 --probe /shop/cart.jsp --probe /health
  decant verify ./oci --against none --timeout 300 --json)";

std::string
join_failures(const std::vector<std::string>& failures)
{
  std::string out;
  for (size_t i = 0; i < failures.size() && i < 3; ++i) {
    out += (i ? "; " : "") + failures[i];
  }
  if (failures.size() > 3) {
    out += fmt::format(" (and {} more)", failures.size() - 3);
  }
  return out;
}

Status
run_verify(const Context& ctx, VerifyOptions options, bool json)
{
  options.root = ctx.root;
  options.analyzers = &analyzers();
  options.workspace = ctx.workspace;
  CancelOnSignal cancel_on_signal;
  options.cancel = cancel_on_signal.flag();
  EventPrinter printer(true);
  options.events = printer.sink();
  auto report = verify_image(options);
  printer.finish();
  if (!report) {
    return fail(report.error());
  }
  json ? print_json(to_json(*report)) : print_verify_report(*report);
  std::fflush(stdout);
  if (report->source_restarted) {
    return fail(Error(ErrorCode::source_changed,
                      report->source_restart_message,
                      "verify again once the application runs steadily"));
  }
  if (!report->passed()) {
    return fail(Error(ErrorCode::verification,
                      fmt::format("the image does not answer like the source: {}",
                                  join_failures(report->failures)),
                      "fix analysis.json (files, start command, ports), pack again and verify; "
                      "--keep keeps the unpacked image and its output"));
  }
  fmt::print(stderr,
             "verified: {}\n",
             report->compared ? "the image answers like the source"
                              : "the image runs and its ports answer (no source to compare with)");
  return {};
}

} // namespace

void
add_verify_command(CLI::App& app, Context& ctx)
{
  auto* cmd = app.add_subcommand("verify",
                                 "Run a packed image in a sandbox and compare it with the source");
  auto o = std::make_shared<VerifyOptions>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option(
         "oci-dir", o->layout, "OCI image layout written by `decant pack` (DIR or DIR:TAG)")
      ->required();
  cmd->add_option("--analysis", o->analysis, "The image's analysis.json (default: see below)");
  cmd->add_option("--secrets", o->secrets, "Secrets file (default: the one beside the analysis)");
  cmd->add_option("--probe", o->probes, "Another HTTP path to compare (repeatable)");
  cmd->add_option("--against", o->against, "Compare with this PID or application id, or none");
  cmd->add_option("--timeout", o->timeout_seconds, "Seconds to wait for every port to listen")
      ->capture_default_str();
  cmd->add_flag("--keep", o->keep, "Keep the unpacked image, its volumes and its output log");
  cmd->add_flag("--json", *json, "Print the whole report as one JSON document");
  cmd->footer(k_verify_help);
  cmd->callback(
      [&ctx, o, json] { ctx.run = [&ctx, o, json] { return run_verify(ctx, *o, *json); }; });
}

} // namespace decant::cli
