#include "cli.hpp"
#include "output.hpp"

#include <decant/machine/walk.hpp>
#include <decant/util/strings.hpp>
#include <decant/workflow/machine.hpp>

#include <fmt/format.h>

namespace decant::cli {

namespace {

void
print_size_report(const SizeReport& report)
{
  fmt::print(stderr,
             "size: {} in {} files and {} directories (about {} of uncompressed layers)\n",
             human_bytes(report.total_bytes),
             report.files,
             report.directories,
             human_bytes(report.tar_bytes));
  fmt::print(stderr, "largest directories:\n");
  for (const auto& [path, bytes] : report.largest_directories) {
    fmt::print(stderr, "  {:>10}  {}\n", human_bytes(bytes), path);
  }
  fmt::print(stderr, "largest files:\n");
  for (const auto& [path, bytes] : report.largest_files) {
    fmt::print(stderr, "  {:>10}  {}\n", human_bytes(bytes), path);
  }
}

void
print_image(const workflow::MachineSummary& summary, bool json)
{
  if (json) {
    auto out = to_json(*summary.image);
    out["analysis"] = summary.analysis_path;
    print_json(out);
    return;
  }
  print_layers(*summary.image);
  fmt::print("oci:{}:{}\n", summary.image->layout, summary.image->reference);
}

Status
run_machine(const Context& ctx,
            workflow::MachineImageOptions options,
            const std::string& max_size,
            bool json)
{
  if (!max_size.empty()) {
    auto parsed = parse_size(max_size);
    if (!parsed) {
      return fail(parsed.error().context("--max-size"));
    }
    options.max_size = *parsed;
  }
  auto root = ctx.host_root();
  if (!root) {
    return fail(Error(root.error().code,
                      root.error().message,
                      "--root must be an existing directory holding the system to pack"));
  }
  options.workspace = ctx.workspace;
  EventPrinter printer(!json);
  auto summary = workflow::machine(*root, options, printer.sink());
  printer.finish();
  if (!summary) {
    return fail(summary.error());
  }
  if (options.list) {
    for (const auto& path : summary->files) {
      fmt::print("{}\n", path);
    }
  } else if (options.size_report) {
    if (json) {
      print_json(to_json(summary->size));
    } else {
      print_size_report(summary->size);
    }
  } else {
    print_image(*summary, json);
  }
  return summary->unreadable;
}

// What `decant machine --help` shows below the options.
const char* const k_machine_help = R"(
Machine-level mode: the whole operating system and its data in one image, with minimal
trimming, for system-level disaster recovery and applications no analyzer knows. The root file
system is streamed straight into the layers (system: /usr /bin /lib*; config: /etc and the
init; app: everything else); nothing is copied on the way. Hard links, symlinks, modes,
numeric owners, setuid/setgid, file capabilities, POSIX ACLs and user.* xattrs are kept;
sparse files keep their holes.

Left out, each listed with its reason in analysis.json "exclude": the contents of /proc, /sys,
/dev, /run, /tmp, /var/tmp, /mnt, /media and /boot, /lost+found, kernel modules, swap files,
package-manager caches, every mount below the root that is not its own file system (data disks,
NFS, tmpfs, bind mounts, from decant's /proc/self/mountinfo), decant's output and workspace.

The services that were listening (their systemd unit's ExecStart, User=, WorkingDirectory=
when they belong to one, else their command line) become /.decant/entrypoint.sh, run by
/.decant/init (forwards SIGTERM/SIGINT/SIGHUP, reaps zombies, exits with the services'
status); their ports become ExposedPorts. Cron jobs are listed with a warning.
Files that change during the walk are packed as read: pack a snapshot (LVM, btrfs) mounted
with --root for a consistent image.

Examples:
  decant machine --size-report                       where the bytes are, before packing
  decant machine -o /srv/img --tag backup/web01:2026-11 --max-size 20G
  decant machine -o img --exclude /var/log/journal --exclude '*.core'
  decant --root /host machine -o /out/img            (decant in a container, host at /host)
  decant analyze --machine -o m/analysis.json && decant pack m/analysis.json -o img
  decant generate <workspace>/<id>/analysis.json --image REG/backup/web01:2026-11 -o deploy

Exit codes of note: 2 bad option or --root not a directory, 3 decant-init not found,
5 unreadable files (without --allow-unreadable), 8 output directory not empty,
11 --max-size exceeded (nothing written). Full table: decant --help.
)";

} // namespace

void
add_machine_command(CLI::App& app, Context& ctx)
{
  auto* cmd = app.add_subcommand(
      "machine", "Pack the whole server (all of its root file system) into one OCI image");
  auto options = std::make_shared<workflow::MachineImageOptions>();
  auto max_size = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto no_services = std::make_shared<bool>(false);
  cmd->add_option("-o,--output", options->output, "OCI image layout directory to write");
  cmd->add_option("--exclude",
                  options->exclude,
                  "Also leave out this path or glob (repeatable; \"/srv/cache/*\", \"*.log\")");
  cmd->add_option("--tag", options->tag, "Image reference NAME:VERSION (default <app-id>:latest)");
  cmd->add_option("--compression",
                  options->compression,
                  "0 = uncompressed tar, 1-9 = deflate levels, 10 = strongest")
      ->capture_default_str();
  cmd->add_flag("--zstd", options->zstd, "zstd layers (tar+zstd) instead of gzip");
  cmd->add_flag("--force", options->force, "Replace an image layout already in the output");
  cmd->add_option("--max-size",
                  *max_size,
                  "Refuse, before writing anything, when the uncompressed image would exceed "
                  "this (20G, 512M)");
  cmd->add_option("--analysis",
                  options->analysis,
                  "Where to write analysis.json (default <workspace>/<app-id>/analysis.json)");
  cmd->add_flag("--list", options->list, "Print every file that would go in; pack nothing");
  cmd->add_flag("--size-report",
                options->size_report,
                "Print the total size and the largest directories and files; pack nothing");
  cmd->add_flag("--json", *json, "JSON output (image summary, or the size report)");
  cmd->add_flag("--allow-unreadable",
                options->allow_unreadable,
                "Build the image without files that cannot be read instead of failing");
  cmd->add_flag("--no-services", *no_services, "Do not look for listening services and cron jobs");
  cmd->footer(k_machine_help);
  cmd->callback([&ctx, options, max_size, json, no_services] {
    ctx.run = [&ctx, options, max_size, json, no_services] {
      options->services = !*no_services;
      return run_machine(ctx, *options, *max_size, *json);
    };
  });
}

} // namespace decant::cli
