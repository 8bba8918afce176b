#include "cli.hpp"

#include <decant/analysis/analysis.hpp>
#include <decant/machine/machine.hpp>
#include <decant/oci/image_layout.hpp>
#include <decant/oci/reference.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/strings.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <filesystem>

namespace decant::cli {

namespace {

struct MachineCommandOptions {
  std::string output;
  std::vector<std::string> exclude;
  std::string tag;
  int compression = 7;
  bool zstd = false;
  bool force = false;
  std::string max_size;
  std::string analysis;
  bool list = false;
  bool size_report = false;
  bool json = false;
  bool allow_unreadable = false;
  bool no_services = false;
};

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

Status
run_machine(const Context& ctx, const MachineCommandOptions& options)
{
  if (options.compression < 0 || options.compression > 10) {
    return fail(Error(ErrorCode::usage,
                      fmt::format("--compression {} is out of range", options.compression),
                      "use 0 (none) to 10 (strongest)"));
  }
  if (options.output.empty() && !options.list && !options.size_report) {
    return fail(Error(ErrorCode::usage,
                      "nothing to write",
                      "give -o DIR for the OCI image layout, or --list / --size-report to look "
                      "first"));
  }
  uint64_t max_size = 0;
  if (!options.max_size.empty()) {
    auto parsed = parse_size(options.max_size);
    if (!parsed) {
      return fail(parsed.error().context("--max-size"));
    }
    max_size = *parsed;
  }
  auto root = ctx.host_root();
  if (!root) {
    return fail(Error(root.error().code,
                      root.error().message,
                      "--root must be an existing directory holding the system to pack"));
  }
  std::optional<ImageReference> reference;
  if (!options.output.empty() && !options.tag.empty()) {
    auto parsed = parse_reference(options.tag);
    if (!parsed) {
      return fail(parsed.error());
    }
    reference = *parsed;
  }

  MachineOptions machine;
  machine.exclude = options.exclude;
  machine.own_paths = {ctx.workspace};
  if (!options.output.empty()) {
    machine.own_paths.push_back(options.output);
  }
  if (!options.analysis.empty()) {
    machine.own_paths.push_back(options.analysis);
  }
  machine.mountinfo = own_mountinfo();
  machine.self_pid = root->is_live() ? static_cast<int>(::getpid()) : 0;
  machine.services = !options.no_services;
  auto analysis = analyze_machine(*root, machine);
  if (!analysis) {
    return fail(analysis.error());
  }
  auto init = find_init_binary();
  if (!init) {
    return fail(init.error());
  }
  auto walk = machine_file_set(*analysis, *root, *init);
  if (!walk) {
    return fail(walk.error());
  }
  for (const auto& warning : analysis->warnings) {
    fmt::print(stderr, "warning: {}: {}\n", warning.code, warning.message);
  }
  for (const auto& warning : walk_warnings(*walk)) {
    fmt::print(stderr, "warning: {}: {}\n", warning.code, warning.message);
  }
  for (const auto& line : walk->unreadable) {
    fmt::print(stderr, "unreadable: {}\n", line);
  }
  analysis->extensions["machine"]["sizeReport"] = to_json(walk->size);

  if (options.list) {
    for (const auto& path : walk->set.listed_paths()) {
      fmt::print("{}\n", path);
    }
    return check_unreadable(*walk, options.allow_unreadable);
  }
  if (options.size_report) {
    if (options.json) {
      fmt::print("{}\n", to_json(walk->size).dump(2));
    } else {
      print_size_report(walk->size);
    }
    return check_unreadable(*walk, options.allow_unreadable);
  }
  // Both checks before anything is written: a refused run leaves no output behind.
  if (auto status = check_unreadable(*walk, options.allow_unreadable); !status) {
    return status;
  }
  if (auto status = check_max_size(*walk, max_size); !status) {
    return status;
  }
  if (!reference) {
    auto parsed = parse_reference(analysis->application_id + ":latest");
    if (!parsed) {
      return fail(parsed.error());
    }
    reference = *parsed;
  }

  std::string analysis_path = options.analysis;
  if (analysis_path.empty()) {
    std::string dir = ctx.workspace + "/" + analysis->application_id;
    if (auto made = make_directories(dir, 0700); !made) {
      return made;
    }
    analysis_path = dir + "/analysis.json";
  }
  if (auto saved = save_analysis(*analysis, analysis_path); !saved) {
    return saved;
  }
  fmt::print(stderr,
             "{}: {} files, {} ({} services, {} cron jobs); analysis: {}\n",
             analysis->application_id,
             walk->size.files,
             human_bytes(walk->size.total_bytes),
             analysis->extensions["machine"]["services"].size(),
             analysis->extensions["machine"]["cronJobs"].size(),
             analysis_path);

  ImageOptions image;
  image.output = options.output;
  image.reference = *reference;
  image.compression = make_compression(options.compression, options.zstd);
  image.force = options.force;
  auto summary = write_image_layout(*analysis, walk->set, *root, image);
  if (!summary) {
    return fail(summary.error());
  }
  if (options.json) {
    auto out = to_json(*summary);
    out["analysis"] = analysis_path;
    fmt::print("{}\n", out.dump(2));
    return {};
  }
  for (const auto& layer : summary->layers) {
    fmt::print(stderr,
               "  {:<8} {}  {:>10}  ({} uncompressed, {} files)\n",
               to_string(layer.role),
               layer.digest.substr(0, 19),
               human_bytes(layer.size),
               human_bytes(layer.tar_size),
               layer.files);
  }
  fmt::print("oci:{}:{}\n", summary->layout, summary->reference);
  return {};
}

} // namespace

void
add_machine_command(CLI::App& app, Context& ctx)
{
  auto* cmd = app.add_subcommand(
      "machine", "Pack the whole server (all of its root file system) into one OCI image");
  auto options = std::make_shared<MachineCommandOptions>();
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
                  options->max_size,
                  "Refuse, before writing anything, when the uncompressed image would exceed "
                  "this (20G, 512M)");
  cmd->add_option("--analysis",
                  options->analysis,
                  "Where to write analysis.json (default <workspace>/<app-id>/analysis.json)");
  cmd->add_flag("--list", options->list, "Print every file that would go in; pack nothing");
  cmd->add_flag("--size-report",
                options->size_report,
                "Print the total size and the largest directories and files; pack nothing");
  cmd->add_flag("--json", options->json, "JSON output (image summary, or the size report)");
  cmd->add_flag("--allow-unreadable",
                options->allow_unreadable,
                "Build the image without files that cannot be read instead of failing");
  cmd->add_flag(
      "--no-services", options->no_services, "Do not look for listening services and cron jobs");
  cmd->footer(R"(
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
)");
  cmd->callback(
      [&ctx, options] { ctx.run = [&ctx, options] { return run_machine(ctx, *options); }; });
}

} // namespace decant::cli
