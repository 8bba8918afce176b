#include "cli.hpp"
#include "job_output.hpp"
#include "output.hpp"

#include <decant/workflow/migrate.hpp>

#include <fmt/format.h>

namespace decant::cli {

namespace {

const char* const k_jobs_help = R"(
Jobs live in <workspace>/jobs/<job-id>/: job.json (state, stage, per-stage times and results,
progress, error, image digest), job.log, analysis.json, the image layout and deploy/. A job whose
decant process died (kill -9, a reboot) shows as interrupted. ID is the job id or a name only one
job has.

  decant jobs [--json]          list: id, name, application, state, stage, progress, age
  decant jobs show ID [--json]  everything about one job, with its last verification
  decant jobs start ID          run a job made with --create-only
  decant jobs confirm ID        continue a job awaiting confirmation, with its (edited) analysis
  decant jobs resume ID         continue an errored or interrupted job where it stopped
  decant jobs cancel ID         stop it at once, remove its image and temporary files
  decant jobs rm ID             remove a job that does not run, with its files

start, confirm and resume run the job in the foreground, with the progress of `decant migrate`,
and exit with the job's exit code.)";

const char* const k_resume_help = R"(
Finished stages are not done again; layers packed before come from the layer cache; blobs the
registry has are skipped and an unfinished upload continues. --limit-mbps changes only the push.
--compression changes every layer's bytes, so a packed image is packed again (then checked,
verified and pushed again); layers cached at that level are reused. Given to a running job,
either one stops its process and continues here with the new setting. An analysis.json edited
since packing is packed again. After the source restarted (exit 7) resume refuses unless
--reanalyze: the new process is analyzed, what changed is shown, and the job goes on.

Examples:
  decant jobs resume j-3f9a0c12
  decant jobs resume j-3f9a0c12 --limit-mbps 50
  decant jobs resume shop-web --reanalyze)";

using Work = std::function<Result<workflow::JobReport>(const workflow::JobContext&)>;

// A subcommand taking ID that runs the job in the foreground.
CLI::App*
add_run_subcommand(CLI::App* jobs,
                   Context& ctx,
                   const char* name,
                   const char* description,
                   const std::function<Work(const std::string&)>& make_work,
                   std::shared_ptr<std::string> id = std::make_shared<std::string>())
{
  auto* cmd = jobs->add_subcommand(name, description);
  auto common = std::make_shared<JobCommandOptions>();
  cmd->add_option("id", *id, "Job id or name")->required();
  cmd->add_flag("--password-stdin",
                common->password_stdin,
                "Read the registry password from standard input (it is never kept)");
  cmd->add_flag("--json", common->json, "JSON lines on standard output: every event, then the job");
  cmd->callback([&ctx, id, common, make_work] {
    ctx.run = [&ctx, id, common, make_work] {
      return run_job_command(ctx, *common, make_work(*id));
    };
  });
  return cmd;
}

void
add_resume(CLI::App* jobs, Context& ctx)
{
  auto options = std::make_shared<workflow::ResumeOptions>();
  auto* cmd = add_run_subcommand(jobs,
                                 ctx,
                                 "resume",
                                 "Continue an errored or interrupted job",
                                 [options](const std::string& id) {
                                   return Work([id, options](const workflow::JobContext& c) {
                                     return workflow::resume_job(c, id, *options);
                                   });
                                 });
  cmd->add_option("--limit-mbps", options->limit_mbps, "New upload cap, megabits per second");
  cmd->add_option("--compression", options->compression, "New compression level 0-10 (repacks)");
  cmd->add_flag("--reanalyze",
                options->reanalyze,
                "Analyze the (restarted) process again and show what changed");
  cmd->footer(k_resume_help);
}

void
add_list_commands(CLI::App* jobs, Context& ctx, std::shared_ptr<bool> json)
{
  auto id = std::make_shared<std::string>();
  auto* show = jobs->add_subcommand("show", "Show one job");
  show->add_option("id", *id, "Job id or name")->required();
  show->add_flag("--json", *json, "Print its job.json");
  show->callback([&ctx, id, json] {
    ctx.run = [&ctx, id, json]() -> Status {
      auto report = workflow::show_job(ctx.workspace, *id);
      if (!report) {
        return fail(report.error());
      }
      print_job_details(*report, *json);
      return {};
    };
  });
  auto* cancel = jobs->add_subcommand("cancel", "Stop a job at once and remove its partial image");
  cancel->add_option("id", *id, "Job id or name")->required();
  cancel->callback([&ctx, id] {
    ctx.run = [&ctx, id]() -> Status {
      auto job = workflow::cancel_job(ctx.workspace, *id);
      if (job) {
        fmt::print(stderr, "job {} cancelled; its analysis is kept in its directory\n", job->id);
      }
      return job ? Status() : fail(job.error());
    };
  });
  auto* rm = jobs->add_subcommand("rm", "Remove a job that does not run, with its files");
  rm->add_option("id", *id, "Job id or name")->required();
  rm->callback(
      [&ctx, id] { ctx.run = [&ctx, id] { return workflow::remove_job(ctx.workspace, *id); }; });
}

} // namespace

void
add_jobs_command(CLI::App& app, Context& ctx)
{
  auto* jobs = app.add_subcommand(
      "jobs", "List, show, start, confirm, resume, cancel or remove migration jobs");
  auto json = std::make_shared<bool>(false);
  jobs->add_flag("--json", *json, "One JSON array of the jobs");
  jobs->require_subcommand(0, 1);
  jobs->footer(k_jobs_help);
  add_run_subcommand(
      jobs, ctx, "start", "Run a job made with --create-only", [](const std::string& id) {
        return Work([id](const workflow::JobContext& c) { return workflow::start_job(c, id); });
      });
  add_run_subcommand(
      jobs, ctx, "confirm", "Continue a job awaiting confirmation", [](const std::string& id) {
        return Work([id](const workflow::JobContext& c) { return workflow::confirm_job(c, id); });
      });
  add_resume(jobs, ctx);
  add_list_commands(jobs, ctx, json);
  jobs->callback([&ctx, jobs, json] {
    if (!jobs->get_subcommands().empty()) {
      return;
    }
    ctx.run = [&ctx, json]() -> Status {
      auto listing = workflow::list_jobs(ctx.workspace);
      if (!listing) {
        return fail(listing.error());
      }
      print_job_list(*listing, *json);
      for (const auto& broken : listing->broken) {
        fmt::print(stderr, "decant: error: {}\nhint: {}\n", broken.message, broken.hint);
      }
      return listing->broken.empty()
                 ? Status()
                 : fail(Error(
                     ErrorCode::invalid_input,
                     fmt::format("{} job files could not be read (above)", listing->broken.size()),
                     "fix or remove them: decant jobs rm ID"));
    };
  });
}

} // namespace decant::cli
