#include "cli.hpp"
#include "output.hpp"

#include <decant/registry/progress.hpp>
#include <decant/verify/verify.hpp>

#include <fmt/format.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
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

std::atomic<bool> g_cancel{false};

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

void
on_signal(int)
{
  g_cancel.store(true);
}

// Ctrl-C and SIGTERM stop the verification cleanly (sandbox stopped, files removed) instead of
// killing decant; the previous handlers come back afterwards.
struct CancelOnSignal {
  struct sigaction old_int {
  };
  struct sigaction old_term {
  };
  CancelOnSignal()
  {
    struct sigaction sa {
    };
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_int);
    ::sigaction(SIGTERM, &sa, &old_term);
  }
  ~CancelOnSignal()
  {
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGTERM, &old_term, nullptr);
  }
};

std::string
side_text(const std::optional<ProbeSide>& side)
{
  if (!side) {
    return "-";
  }
  return side->answered ? std::to_string(side->status) : "no answer";
}

std::string
ttfb_text(const ProbeResult& p)
{
  auto ms = [](const ProbeSide& s) {
    return s.answered ? fmt::format("{}", static_cast<int64_t>(s.ttfb_seconds * 1000 + 0.5)) : "-";
  };
  if (p.scheme == "tcp") {
    return "";
  }
  return p.source ? fmt::format("{} / {} ms", ms(*p.source), ms(p.image)) : ms(p.image) + " ms";
}

void
print_report(const VerifyReport& r)
{
  fmt::print("{:<6} {:<44} {:>9} {:>9}  {:<11} {}\n",
             "PORT",
             "PATH",
             "SOURCE",
             "IMAGE",
             "VERDICT",
             "TTFB source/image");
  for (const auto& p : r.probes) {
    std::string path = p.scheme == "tcp" ? "(tcp connect)" : p.path;
    fmt::print("{:<6} {:<44} {:>9} {:>9}  {:<11} {}\n",
               p.port,
               path.size() > 44 ? path.substr(0, 41) + "..." : path,
               side_text(p.source),
               p.scheme == "tcp" ? (p.image.answered ? "open" : "closed") : side_text(p.image),
               p.verdict,
               ttfb_text(p));
    if (p.verdict == "same shape") {
      for (const auto& d : p.ranges) {
        fmt::print("         {} at image bytes {}-{} (source {}-{}): \"{}\" / \"{}\"\n",
                   d.kind,
                   d.image_begin,
                   d.image_end,
                   d.source_begin,
                   d.source_end,
                   d.source_text,
                   d.image_text);
      }
    } else if (!p.passed || !p.reason.empty()) {
      fmt::print("         {}\n", p.reason);
    }
  }
  for (const auto& port : r.ports) {
    if (!port.listening) {
      fmt::print("{:<6} did not listen\n", port.port);
    }
  }
  for (const auto& t : r.tls) {
    fmt::print("TLS on {}: image {} source {}: {}\n",
               t.port,
               t.image_sha256,
               t.source_sha256,
               t.match ? "same certificate" : "DIFFERENT certificate");
  }
  fmt::print("\nstart-up {:.1f}s (until every port listened), peak memory {}; unpack {:.1f}s, "
             "probes {:.1f}s, total {:.1f}s\n",
             r.startup_seconds,
             format_bytes(r.peak_rss_bytes),
             r.unpack_seconds,
             r.probe_seconds,
             r.total_seconds);
  for (const auto& note : r.notes) {
    fmt::print("note: {}\n", note);
  }
  if (!r.log_tail.empty()) {
    fmt::print("\nthe image's last {} output lines:\n", r.log_tail.size());
    for (const auto& line : r.log_tail) {
      fmt::print("  | {}\n", line);
    }
  }
  if (!r.kept_dir.empty()) {
    fmt::print("kept: {} (rootfs/, output.log)\n", r.kept_dir);
  }
}

Status
run_verify(const Context& ctx, VerifyOptions options, bool json)
{
  options.root = ctx.root;
  options.analyzers = &analyzers();
  options.workspace = ctx.workspace;
  options.cancel = &g_cancel;
  EventPrinter printer(true);
  options.events = printer.sink();
  CancelOnSignal cancel_on_signal;
  auto report = verify_image(options);
  printer.finish();
  if (!report) {
    return fail(report.error());
  }
  json ? print_json(to_json(*report)) : print_report(*report);
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
