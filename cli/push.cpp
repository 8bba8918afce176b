#include "cli.hpp"
#include "output.hpp"

#include <decant/registry/progress.hpp>
#include <decant/workflow/push.hpp>

#include <fmt/format.h>

#include <iostream>
#include <iterator>

namespace decant::cli {

namespace {

Status
run_push(workflow::PushOptions options, bool password_stdin, bool json)
{
  if (password_stdin) {
    // Without --username the library refuses before anything is read from a terminal.
    options.password = options.username.empty() ? "" : read_password_stdin();
  }
  EventPrinter printer(true);
  auto summary = workflow::push(options, printer.sink());
  printer.finish();
  if (!summary) {
    return fail(summary.error());
  }
  const PushOutcome& outcome = summary->outcome;
  double rate = outcome.seconds > 0 ? outcome.bytes_uploaded / outcome.seconds : 0;
  fmt::print(stderr,
             "pushed {}: {} of {} sent in {:.1f}s ({}/s)\n",
             summary->image,
             format_bytes(outcome.bytes_uploaded),
             format_bytes(outcome.image_bytes),
             outcome.seconds,
             format_bytes(static_cast<uint64_t>(rate)));
  if (json) {
    print_json(to_json(outcome));
  } else {
    fmt::print("{}\n", summary->image);
  }
  return {};
}

// What `decant push --help` shows below the options.
const char* const k_push_help = R"(
Sends the image by the OCI distribution spec. Every blob the registry already has is skipped
(HEAD), a blob another repository of the registry holds is mounted instead of sent, small blobs
go in one PUT and large ones in PATCH chunks. An interrupted push, run again, sends only what is
missing: finished blobs are skipped, and an unfinished chunked upload continues where the
registry says it stopped when the registry kept the session (else that blob starts over). Mount sources and unfinished uploads are remembered in
$XDG_CACHE_HOME/decant/push-state.json (default ~/.cache/decant/).

Credentials: --username with --password-stdin, else the `auths` entry for the registry in
$DOCKER_CONFIG/config.json (~/.docker/config.json), $REGISTRY_AUTH_FILE or
$XDG_RUNTIME_DIR/containers/auth.json (written by docker/podman/skopeo login). Basic and Bearer
token authentication (the token service named in the registry's WWW-Authenticate) are spoken.
Passwords never appear in messages.

On a terminal, progress shows the rate and the time left = (total - sent) / rate. Standard
output gets REFERENCE@DIGEST, or with --json one JSON document.

Examples:
  decant push ./tomcat-oci registry.example.com/shop/tomcat:1.0
  printf '%s' "$REGISTRY_TOKEN" | decant push ./oci registry.example.com/shop/app:1.0 \
      --username ci --password-stdin
  decant push ./oci 127.0.0.1:5000/test/app:dev --insecure --limit-mbps 50 --json
  decant push ./oci:tomcat registry.example.com/shop/tomcat:1.1 --mount-from shop/base)";

} // namespace

void
add_push_command(CLI::App& app, Context& ctx)
{
  auto* cmd = app.add_subcommand("push", "Push an OCI image layout to a container registry");
  auto o = std::make_shared<workflow::PushOptions>();
  auto password_stdin = std::make_shared<bool>(false);
  auto json = std::make_shared<bool>(false);
  cmd->add_option("oci-dir",
                  o->layout,
                  "OCI image layout written by `decant pack` (DIR, or DIR:NAME when it holds "
                  "several images)")
      ->required();
  cmd->add_option("reference", o->reference, "Where to push: REGISTRY[:PORT]/REPOSITORY[:TAG]")
      ->required();
  cmd->add_flag("--insecure",
                o->insecure,
                "Talk plain http to this registry (certificates are otherwise always verified)");
  cmd->add_option("--username", o->username, "User name for the registry");
  cmd->add_flag(
      "--password-stdin", *password_stdin, "Read the password (or token) from standard input");
  cmd->add_option("--limit-mbps", o->limit_mbps, "Cap the upload rate, in megabits per second");
  cmd->add_option("--retries",
                  o->retries,
                  "Retries per step on 5xx answers and dropped connections (backoff 1s, 2s, 4s, "
                  "... at most 30s)")
      ->capture_default_str();
  cmd->add_option("--chunk-mb",
                  o->chunk_mb,
                  "Blobs larger than this are sent in PATCH chunks of this size (MiB)")
      ->capture_default_str();
  cmd->add_option("--mount-from",
                  o->mount_from,
                  "Repository on the same registry that may hold the layers already "
                  "(cross-repository mount; repeatable)");
  cmd->add_flag("--json",
                *json,
                "Print a JSON summary (bytesUploaded per blob and in total) on standard output");
  cmd->footer(k_push_help);
  cmd->callback([&ctx, o, password_stdin, json] {
    ctx.run = [o, password_stdin, json] { return run_push(*o, *password_stdin, *json); };
  });
}

} // namespace decant::cli
