#include "cli.hpp"
#include "output.hpp"

#include <decant/workflow/generate.hpp>

#include <fmt/format.h>

namespace decant::cli {

namespace {

Status
run_generate(const Context& ctx, const workflow::GenerateOptions& options)
{
  EventPrinter printer(false);
  // The root is optional here: only names and secret files of the source host come from it.
  auto summary = workflow::generate(ctx.host_root(), options, printer.sink());
  if (!summary) {
    return fail(summary.error());
  }
  for (const auto& file : summary->manifests) {
    fmt::print("{}\n", file);
  }
  if (!summary->dockerfile.empty()) {
    fmt::print("{}\n", summary->dockerfile);
  }
  fmt::print(stderr,
             "apply with: kubectl apply -k {}/kubernetes{}\n",
             summary->output,
             summary->dockerfile.empty()
                 ? ""
                 : fmt::format("   build with: docker build {}/docker", summary->output));
  return {};
}

// What `decant generate --help` shows below the options.
const char* const k_generate_help = R"(
Writes OUT/kubernetes/ (apply with kubectl apply -k OUT/kubernetes):
  deployment.yaml  the start command as command/args (secrets as $(NAME) from the Secret),
                   workingDir, runAsUser/runAsGroup/supplementalGroups of the source process,
                   fsGroup when there are volumes, NET_BIND_SERVICE for ports below 1024,
                   memory/CPU from the measured peak RSS, heap maximum and CPUs (a warning when
                   the heap would not fit the limit), startup/readiness probes on the main port
                   (HTTP when a path is known to answer, else TCP) and a TCP liveness probe,
                   hostAliases for the dependencies' entries in the source's /etc/hosts
  service.yaml     the ports marked "expose" (none: no Service)
  configmap.yaml   plain environment variables
  secret.yaml      the values of the secrets file (mode 0600; never in the other files)
  secret-files.yaml  with --externalize-secrets: the files marked secret, each mounted read-only
                   at its path (contents read through --root from the source host)
  pvc-*.yaml       one PersistentVolumeClaim per "data" volume; log/work/temp volumes are emptyDir
Run on the source host (or with --root at its file system), supplementary group names are
turned into gids from its /etc/group and /etc/hosts entries of the hosts the application depends
on become hostAliases.
With --oci DIR, OUT/docker/ holds a Dockerfile (FROM scratch, one ADD per layer, ENV, WORKDIR,
USER, EXPOSE, ENTRYPOINT) and the layers, for docker build or buildah bud.

Examples:
  decant generate ./tomcat/analysis.json --image registry.example.com/shop/tomcat:1.0 -o ./deploy
  decant generate analysis.json --image 127.0.0.1:5000/shop/app:1 -o out --namespace shop \
      --replicas 2 --probe-path /health --oci ./tomcat-oci)";

} // namespace

void
add_generate_command(CLI::App& app, Context& ctx)
{
  auto* cmd = app.add_subcommand(
      "generate", "Write Kubernetes manifests (and a Dockerfile) that deploy the pushed image");
  auto o = std::make_shared<workflow::GenerateOptions>();
  cmd->add_option("analysis", o->analysis, "analysis.json (its secrets file is read too)")
      ->required();
  cmd->add_option("--secrets",
                  o->secrets,
                  "Secrets file of the analysis (default: beside it, analysis.json -> "
                  "secrets.json, NAME.json -> NAME.secrets.json)");
  cmd->add_option("--image", o->image, "Image reference the Deployment runs (what push printed)");
  cmd->add_option("-o,--output", o->output, "Output directory (created; must be empty)")
      ->required();
  cmd->add_option("--oci",
                  o->oci,
                  "OCI layout of the image: also write docker/Dockerfile and its build context");
  cmd->add_option("--namespace", o->namespace_name, "Namespace to put in every object");
  cmd->add_option("--name", o->name, "Object name (default: the application id)");
  cmd->add_option("--replicas", o->replicas, "Pod replicas")->capture_default_str();
  cmd->add_option("--probe-path",
                  o->probe_path,
                  "HTTP path that answers 2xx/3xx on the main port (else probes are TCP)");
  cmd->add_option("--memory-limit",
                  o->memory_limit,
                  "Memory limit (e.g. 1Gi) instead of the one derived from the analysis");
  cmd->add_option("--storage-size", o->storage_size, "Size of each PersistentVolumeClaim")
      ->capture_default_str();
  cmd->add_flag(
      "--force", o->force, "Replace kubernetes/ and docker/ written before (nothing else)");
  cmd->add_flag("--externalize-secrets",
                o->externalize_secrets,
                "The image was packed without the files marked secret: mount them from a "
                "Secret (contents read from the source host, see --root)");
  cmd->footer(k_generate_help);
  cmd->callback([&ctx, o] { ctx.run = [&ctx, o] { return run_generate(ctx, *o); }; });
}

} // namespace decant::cli
