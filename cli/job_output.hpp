#pragma once

// What `decant migrate` and `decant jobs` print, and the frame every command that runs a job
// shares: the job's context from the global options, progress on standard error (or JSON lines),
// Ctrl-C as a clean stop, the outcome, and the job's exit code.

#include "cli.hpp"

#include <decant/workflow/migrate.hpp>

#include <functional>
#include <string>

namespace decant::cli {

struct JobCommandOptions {
  bool json = false;           // JSON lines on standard output
  bool password_stdin = false; // read the registry password from standard input
};

// Opens the root, builds the job's context, calls `work` with it and prints the outcome: the
// summary on standard error and the job id on standard output (with json, the events and then
// {"stage": "migrate", "event": "result", "job": {...}} as JSON lines). Returns the job's status.
Status run_job_command(
    const Context& ctx,
    const JobCommandOptions& options,
    const std::function<Result<workflow::JobReport>(const workflow::JobContext&)>& work);

// `decant jobs`: a table, or with json one JSON array.
void print_job_list(const job::JobStore::Listing& listing, bool json);
// `decant jobs show`: the job in full (settings, stages with times, error, image, files, the
// last verification), or with json its job.json.
void print_job_details(const workflow::JobReport& report, bool json);

} // namespace decant::cli
