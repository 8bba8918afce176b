#include "cli.hpp"
#include "job_output.hpp"

#include <decant/workflow/migrate.hpp>

namespace decant::cli {

namespace {

// What `decant migrate --help` shows below the options.
const char* const k_migrate_help = R"(
One job does what the stage commands do one by one: analyze the process, (wait for
confirmation with --confirm), pack the image, (read the packed files again on the source with
--checksum), verify that the image answers like the source, push it, and write the Kubernetes
manifests. The job lives in <workspace>/jobs/<job-id>/ (job.json, job.log, analysis.json, the
image layout, deploy/); `decant jobs` lists, shows, starts, confirms, resumes, cancels and
removes jobs.

A job that stops (an error, Ctrl-C, kill -9, a reboot) continues with `decant jobs resume ID`:
finished stages are not done again, layers packed before come from the layer cache, blobs the
registry has are not sent again. The source process must not restart: its PID and start time
are checked before packing, after packing and before pushing; a restart stops the job with
exit 7, and resume then asks for --reanalyze.

On a terminal each stage shows one line with bytes, rate and time left = (total - done) /
rate; otherwise a progress line every few seconds; --json prints JSON lines. At the end: the
image REFERENCE@DIGEST, its layers, the verification table, the manifests' directory and the
time per stage (standard error); the job id goes to standard output.

Exit: the job's exit code (0 completed, or waiting after --confirm / --create-only; 7 the
source restarted; 10 verification or --checksum found differences; ...). A target that is not
running (3) or that decant cannot analyze (4) is refused before a job is created (with
--create-only, when `decant jobs start` runs it).

Examples:
  decant migrate 1234 --image registry.example.com/shop/tomcat:1.0
  decant migrate java-tomcat-5924e694 --image 127.0.0.1:5000/shop/tomcat:1.0 --insecure \
      --name shop-web --label team=shop --label tier=web --checksum --limit-mbps 200
  decant migrate 1234 --image reg.example.com/shop/tomcat:1.0 --confirm
      (then edit <workspace>/jobs/<id>/analysis.json and: decant jobs confirm <id>)
  decant migrate --machine --image reg.example.com/legacy/web01:2024-11 --exclude /srv/cache
  printf '%s' "$TOKEN" | decant migrate 1234 --image reg.example.com/a/b:1 --username ci \
      --password-stdin)";

void
add_settings(CLI::App* cmd, workflow::MigrateOptions& o)
{
  cmd->add_option(
         "--compression", o.compression, "0 = uncompressed, 1-9 = deflate levels, 10 = strongest")
      ->capture_default_str();
  cmd->add_flag("--zstd", o.zstd, "zstd layers instead of gzip");
  cmd->add_flag("--reproducible",
                o.reproducible,
                "Dates from SOURCE_DATE_EPOCH (when the job is made), else the analysis' "
                "createdAt: same files, same digest");
  cmd->add_option("--limit-mbps", o.limit_mbps, "Cap the upload rate, in megabits per second");
  cmd->add_flag("--insecure", o.insecure, "Plain http to the registry");
  cmd->add_option("--username", o.username, "User name for the registry (with --password-stdin)");
  cmd->add_flag("--externalize-secrets",
                o.externalize_secrets,
                "Leave files marked secret out of the image; the manifests mount them");
  cmd->add_option("--exclude", o.exclude, "Leave this path or glob out of the image (repeatable)");
  cmd->add_option("--deploy-dir",
                  o.deploy_dir,
                  "Where the manifests go (default <job dir>/deploy; must be missing or empty)");
  cmd->add_flag_callback(
      "--no-verify",
      [&o] { o.verify = false; },
      "Do not run the image in a sandbox and compare it with the source");
  cmd->add_option("--probe", o.probes, "Another HTTP path verify compares (repeatable)");
  cmd->add_option("--namespace", o.namespace_name, "Kubernetes namespace of the manifests");
  cmd->add_option("--logs",
                  o.logs,
                  "stdout: the image's init also forwards the log volumes' files to the "
                  "container's output (kubectl logs); files: they stay in their volumes only")
      ->check(CLI::IsMember({"stdout", "files"}))
      ->capture_default_str();
}

void
add_job_options(CLI::App* cmd, workflow::MigrateOptions& o)
{
  cmd->add_option("--name", o.name, "The job's name (default: the application id)");
  cmd->add_option("--description", o.description, "What the job is for");
  cmd->add_option("--label",
                  o.labels,
                  "KEY=VALUE, at most 20: image annotations and Kubernetes labels (repeatable)");
  cmd->add_flag("--confirm",
                o.confirm,
                "Wait after the analysis for `decant jobs confirm ID` (exit 0 while waiting)");
  cmd->add_flag("--create-only", o.create_only, "Create the job; `decant jobs start ID` runs it");
  cmd->add_flag("--checksum",
                o.checksum,
                "Read every packed file again on the source and compare SHA-256 (exit 10 on a "
                "difference); compare the registry's manifest digest after the push");
  cmd->add_flag("--allow-changed",
                o.allow_changed,
                "With --checksum: files changed since packing are warnings");
}

} // namespace

void
add_migrate_command(CLI::App& app, Context& ctx)
{
  auto* cmd = app.add_subcommand(
      "migrate", "Analyze, pack, verify, push and deploy an application as one resumable job");
  auto o = std::make_shared<workflow::MigrateOptions>();
  auto common = std::make_shared<JobCommandOptions>();
  cmd->add_option("target", o->target, "PID or application id (from `decant inventory`)");
  cmd->add_flag("--machine", o->machine, "The whole server (machine-level mode; no target)");
  cmd->add_option("--image", o->image, "Where the image goes: REGISTRY/REPOSITORY:TAG")->required();
  add_settings(cmd, *o);
  add_job_options(cmd, *o);
  cmd->add_flag(
      "--password-stdin", common->password_stdin, "Read the registry password from standard input");
  cmd->add_flag("--json", common->json, "JSON lines on standard output: every event, then the job");
  cmd->footer(k_migrate_help);
  cmd->callback([&ctx, o, common] {
    ctx.run = [&ctx, o, common] {
      return run_job_command(ctx, *common, [o](const workflow::JobContext& context) {
        return workflow::migrate(context, *o);
      });
    };
  });
}

} // namespace decant::cli
