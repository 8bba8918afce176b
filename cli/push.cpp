#include "cli.hpp"

#include <decant/registry/auth.hpp>
#include <decant/registry/oci_layout_reader.hpp>
#include <decant/registry/progress.hpp>
#include <decant/registry/push.hpp>
#include <decant/registry/reference.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>

namespace decant::cli {

namespace {

struct PushCommandOptions {
  std::string layout;
  std::string reference;
  bool insecure = false;
  std::string username;
  bool password_stdin = false;
  std::optional<double> limit_mbps;
  int retries = 5;
  double chunk_mb = 8;
  std::vector<std::string> mount_from;
  bool json = false;
};

// Where mount sources and unfinished uploads are remembered between runs.
std::string
default_state_file()
{
  if (const char* cache = std::getenv("XDG_CACHE_HOME"); cache && *cache) {
    return std::string(cache) + "/decant/push-state.json";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::string(home) + "/.cache/decant/push-state.json";
  }
  return {};
}

Status
run_push(const PushCommandOptions& o)
{
  if (o.limit_mbps && *o.limit_mbps <= 0) {
    return fail(Error(ErrorCode::usage,
                      fmt::format("--limit-mbps {} is not a positive rate", *o.limit_mbps),
                      "give megabits per second, e.g. --limit-mbps 100; leave it out for no cap"));
  }
  if (o.retries < 0) {
    return fail(Error(ErrorCode::usage, "--retries must be 0 or more"));
  }
  if (o.chunk_mb <= 0) {
    return fail(Error(ErrorCode::usage, "--chunk-mb must be positive"));
  }
  if (o.password_stdin && o.username.empty()) {
    return fail(Error(ErrorCode::usage,
                      "--password-stdin needs --username",
                      "e.g. printf '%s' \"$TOKEN\" | decant push DIR REF --username ci "
                      "--password-stdin"));
  }
  if (!o.username.empty() && !o.password_stdin) {
    // Passwords on the command line end up in shell history and `ps`; decant takes none there.
    return fail(Error(ErrorCode::usage,
                      "--username needs --password-stdin",
                      "e.g. printf '%s' \"$TOKEN\" | decant push DIR REF --username ci "
                      "--password-stdin"));
  }
  auto reference = parse_registry_reference(o.reference);
  if (!reference) {
    return fail(reference.error());
  }
  auto [dir, name] = split_layout_argument(o.layout);
  auto image = read_oci_layout(dir, name);
  if (!image) {
    return fail(image.error());
  }

  PushOptions options;
  options.insecure = o.insecure;
  options.limit_mbps = o.limit_mbps.value_or(0);
  options.retries = o.retries;
  options.chunk_bytes = static_cast<uint64_t>(o.chunk_mb * 1024 * 1024);
  options.mount_from = o.mount_from;
  options.state_file = default_state_file();
  if (!o.username.empty()) {
    Credentials creds;
    creds.username = o.username;
    creds.source = "--username";
    if (o.password_stdin) {
      std::string password((std::istreambuf_iterator<char>(std::cin)),
                           std::istreambuf_iterator<char>());
      while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
        password.pop_back();
      }
      creds.password = password;
      creds.source = "--username/--password-stdin";
    }
    options.credentials = creds;
  } else {
    auto found = find_config_credentials(reference->registry);
    if (!found) {
      return fail(found.error());
    }
    options.credentials = *found;
  }

  bool tty = ::isatty(STDERR_FILENO) == 1;
  bool line_open = false;
  options.on_event = [&](const std::string& line) {
    if (line_open) {
      std::fputs("\r\033[K", stderr);
      line_open = false;
    }
    fmt::print(stderr, "{}\n", line);
  };
  if (tty) {
    options.on_progress = [&](const PushProgress& p) {
      if (p.total == 0) {
        return;
      }
      fmt::print(stderr,
                 "\r\033[K{}",
                 format_progress(p.index, p.count, p.digest, p.sent, p.total, p.bytes_per_second));
      line_open = true;
    };
  }
  fmt::print(stderr,
             "pushing {} ({} blobs, {}) to {}{}\n",
             image->dir,
             image->layers.size() + 1,
             format_bytes(image->config.size +
                          [&] {
                            uint64_t sum = 0;
                            for (const auto& l : image->layers) {
                              sum += l.size;
                            }
                            return sum;
                          }()),
             reference->str(),
             options.credentials ? " as " + options.credentials->describe() : "");
  auto outcome = push_image(*image, *reference, options);
  if (line_open) {
    std::fputs("\r\033[K", stderr);
  }
  if (!outcome) {
    return fail(outcome.error());
  }
  double rate = outcome->seconds > 0 ? outcome->bytes_uploaded / outcome->seconds : 0;
  fmt::print(stderr,
             "pushed {}@{}: {} of {} sent in {:.1f}s ({}/s)\n",
             reference->str(),
             outcome->manifest_digest,
             format_bytes(outcome->bytes_uploaded),
             format_bytes(outcome->image_bytes),
             outcome->seconds,
             format_bytes(static_cast<uint64_t>(rate)));
  if (o.json) {
    fmt::print("{}\n", to_json(*outcome).dump(2));
  } else {
    fmt::print("{}@{}\n", reference->str(), outcome->manifest_digest);
  }
  return {};
}

} // namespace

void
add_push_command(CLI::App& app, Context& ctx)
{
  auto* cmd = app.add_subcommand("push", "Push an OCI image layout to a container registry");
  auto o = std::make_shared<PushCommandOptions>();
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
      "--password-stdin", o->password_stdin, "Read the password (or token) from standard input");
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
                o->json,
                "Print a JSON summary (bytesUploaded per blob and in total) on standard output");
  cmd->footer(R"(
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
  decant push ./oci:tomcat registry.example.com/shop/tomcat:1.1 --mount-from shop/base)");
  cmd->callback([&ctx, o] { ctx.run = [o] { return run_push(*o); }; });
}

} // namespace decant::cli
