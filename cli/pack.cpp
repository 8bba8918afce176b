#include "cli.hpp"

#include <decant/analysis/analysis.hpp>
#include <decant/machine/machine.hpp>
#include <decant/oci/image_layout.hpp>
#include <decant/oci/reference.hpp>
#include <decant/pack/file_set.hpp>
#include <decant/pack/jlink.hpp>
#include <decant/pack/rootfs_writer.hpp>
#include <decant/util/strings.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>

namespace decant::cli {

namespace {

struct PackOptions {
  std::string analysis;
  std::string output;
  std::string tag;
  int compression = 7;
  bool zstd = false;
  bool reproducible = false;
  std::string rootfs;
  bool list = false;
  bool json = false;
  bool force = false;
  bool externalize_secrets = false;
  bool strict_tags = false;
  bool allow_unreadable = false; // machine analyses
};

// --reproducible: SOURCE_DATE_EPOCH (reproducible-builds.org), else the analysis' createdAt, so
// the same analysis.json always gives the same digests.
Result<int64_t>
source_date_epoch(const Analysis& analysis)
{
  if (const char* env = std::getenv("SOURCE_DATE_EPOCH"); env != nullptr && *env != '\0') {
    auto value = parse_i64(env);
    if (!value || *value < 0) {
      return fail(
          Error(ErrorCode::usage,
                fmt::format("SOURCE_DATE_EPOCH=\"{}\" is not a number of seconds since 1970", env),
                "export SOURCE_DATE_EPOCH=$(date +%s), or unset it"));
    }
    return *value;
  }
  struct tm tm {
  };
  if (!analysis.created_at.empty()
      && ::strptime(analysis.created_at.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) != nullptr) {
    return static_cast<int64_t>(::timegm(&tm));
  }
  return 0;
}

// One line on standard error, rewritten in place: bytes, rate, ETA. Only on a terminal.
class ProgressLine
{
public:
  explicit ProgressLine(bool enabled)
      : m_enabled(enabled),
        m_start(std::chrono::steady_clock::now())
  {
  }

  void
  update(uint64_t done, uint64_t total)
  {
    if (!m_enabled) {
      return;
    }
    auto now = std::chrono::steady_clock::now();
    if (now - m_last < std::chrono::milliseconds(200) && done < total) {
      return;
    }
    m_last = now;
    double seconds = std::chrono::duration<double>(now - m_start).count();
    double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
    std::string eta = rate > 0 && total > done
                          ? fmt::format("{:.0f}s", static_cast<double>(total - done) / rate)
                          : "-";
    fmt::print(stderr,
               "\r\033[Kpacking {} / {}  {}/s  ETA {}",
               human_bytes(done),
               human_bytes(total),
               human_bytes(static_cast<uint64_t>(rate)),
               eta);
    m_shown = true;
  }

  // Clears the line, so what follows starts on a clean one.
  void
  finish()
  {
    if (m_shown) {
      fmt::print(stderr, "\r\033[K");
      m_shown = false;
    }
  }

  ~ProgressLine() { finish(); }

private:
  bool m_enabled;
  bool m_shown = false;
  std::chrono::steady_clock::time_point m_start;
  std::chrono::steady_clock::time_point m_last;
};

Status
run_pack(const Context& ctx, const PackOptions& options)
{
  if (options.compression < 0 || options.compression > 10) {
    return fail(Error(ErrorCode::usage,
                      fmt::format("--compression {} is out of range", options.compression),
                      "use 0 (none) to 10 (strongest)"));
  }
  if (!options.list && options.output.empty() && options.rootfs.empty()) {
    return fail(Error(ErrorCode::usage,
                      "nothing to write",
                      "give -o DIR for an OCI image layout, --rootfs DIR for a tree, or --list"));
  }
  auto root = ctx.host_root();
  if (!root) {
    return fail(root.error());
  }
  auto analysis = load_analysis(options.analysis);
  if (!analysis) {
    return fail(analysis.error());
  }
  std::string tag = options.tag.empty() ? analysis->application_id + ":latest" : options.tag;
  auto reference = parse_reference(tag);
  if (!reference) {
    return fail(reference.error());
  }
  if (auto problem = strict_tag_problem(reference->tag)) {
    std::string message =
        fmt::format("tag \"{}\" {} (the reference system's tag rule)", reference->tag, *problem);
    if (options.strict_tags) {
      return fail(Error(ErrorCode::usage, message, "choose a tag like 1.0.3 or 2024.11-build7"));
    }
    fmt::print(stderr,
               "warning: {}; some registries will refuse it (--strict-tags makes this an error)\n",
               message);
  }

  ExpandOptions expand;
  expand.externalize_secrets = options.externalize_secrets;
  Result<FileSet> set;
  if (is_machine_analysis(*analysis)) {
    // Machine mode: the whole root walked as the analysis says, plus the init and entry script
    // (lib/decant/machine, docs/machine.md).
    auto init = find_init_binary();
    if (!init) {
      return fail(init.error());
    }
    auto walk = machine_file_set(*analysis, *root, *init);
    if (!walk) {
      return fail(walk.error().context(options.analysis));
    }
    walk->set.warnings = walk_warnings(*walk);
    if (auto readable = check_unreadable(*walk, options.allow_unreadable); !readable) {
      return readable;
    }
    set = std::move(walk->set);
  } else {
    set = expand_file_set(*analysis, *root, expand);
  }
  if (!set) {
    return fail(set.error().context(options.analysis));
  }
  for (const auto& warning : set->warnings) {
    fmt::print(stderr, "warning: {}: {}\n", warning.code, warning.message);
  }
  if (!set->secret_files.empty()) {
    if (options.externalize_secrets) {
      fmt::print(stderr,
                 "left out {} files marked secret (mount them at run time): {}\n",
                 set->secret_files.size(),
                 join(set->secret_files, ", "));
    } else {
      fmt::print(stderr,
                 "warning: packing {} files marked secret into the image: {} "
                 "(--externalize-secrets leaves them out)\n",
                 set->secret_files.size(),
                 join(set->secret_files, ", "));
    }
  }
  if (options.list) {
    if (options.json) {
      // With --json: every file with its layer and why it is there ("needed by /usr/bin/java").
      nlohmann::json files = nlohmann::json::array();
      for (const auto& path : set->listed_paths()) {
        const auto& entry = set->entries.at(path);
        files.push_back({{"path", path},
                         {"type", entry.type == EntryType::symlink ? "symlink" : "file"},
                         {"role", to_string(entry.role)},
                         {"size", entry.size},
                         {"reason", entry.reason}});
      }
      fmt::print("{}\n", files.dump(2));
      return {};
    }
    for (const auto& path : set->listed_paths()) {
      fmt::print("{}\n", path);
    }
    return {};
  }

  if (!is_machine_analysis(*analysis)) {
    // runtime.jlink: the JDK rebuilt without its tool modules (pack/jlink.hpp).
    auto trimmed =
        apply_jlink_plan(*analysis, *set, *root, TrimOptions{}, [](const std::string& line) {
          fmt::print(stderr, "{}\n", line);
        });
    if (!trimmed) {
      return fail(trimmed.error().context(options.analysis));
    }
    for (const auto& warning : set->warnings) {
      if (warning.code == "runtime-not-trimmed") {
        fmt::print(stderr, "warning: {}: {}\n", warning.code, warning.message);
      }
    }
  }

  std::optional<int64_t> epoch;
  if (options.reproducible) {
    auto value = source_date_epoch(*analysis);
    if (!value) {
      return fail(value.error());
    }
    epoch = *value;
  }
  if (!options.output.empty()) {
    ProgressLine progress(!options.json && ::isatty(STDERR_FILENO));
    ImageOptions image;
    image.output = options.output;
    image.reference = *reference;
    image.compression = make_compression(options.compression, options.zstd);
    image.source_date_epoch = epoch;
    image.force = options.force;
    image.progress = [&progress](uint64_t done, uint64_t total) { progress.update(done, total); };
    auto summary = write_image_layout(*analysis, *set, *root, image);
    progress.finish();
    if (!summary) {
      return fail(summary.error());
    }
    if (options.json) {
      fmt::print("{}\n", to_json(*summary).dump(2));
    } else {
      for (const auto& layer : summary->layers) {
        fmt::print(stderr,
                   "  {:<8} {}  {:>10}  ({} uncompressed, {} files)\n",
                   to_string(layer.role),
                   layer.digest.substr(0, 19),
                   human_bytes(layer.size),
                   human_bytes(layer.tar_size),
                   layer.files);
      }
      fmt::print(stderr,
                 "{}: {} files, {} in {} layers\n",
                 summary->reference,
                 summary->files,
                 human_bytes(summary->total_size),
                 summary->layers.size());
      fmt::print("oci:{}:{}\n", summary->layout, summary->reference);
    }
  }
  if (!options.rootfs.empty()) {
    if (auto written = write_rootfs(*set, *root, options.rootfs, epoch, options.force); !written) {
      return written;
    }
    if (!options.json) {
      fmt::print(stderr, "rootfs written to {}\n", options.rootfs);
    }
  }
  return {};
}

} // namespace

void
add_pack_command(CLI::App& app, Context& ctx)
{
  auto* cmd = app.add_subcommand("pack", "Pack an analysis.json into a layered OCI image");
  auto options = std::make_shared<PackOptions>();
  cmd->add_option("analysis",
                  options->analysis,
                  "analysis.json written by `decant analyze` (secrets.json beside it)")
      ->required();
  cmd->add_option("-o,--output",
                  options->output,
                  "OCI image layout directory to write (must be missing or empty)");
  cmd->add_option("--tag", options->tag, "Image reference NAME:VERSION (default <app-id>:latest)");
  cmd->add_option("--compression",
                  options->compression,
                  "0 = uncompressed tar, 1-9 = deflate levels, 10 = strongest")
      ->capture_default_str();
  cmd->add_flag("--zstd", options->zstd, "zstd layers (tar+zstd) instead of gzip");
  cmd->add_flag("--reproducible",
                options->reproducible,
                "Clamp mtimes and dates to SOURCE_DATE_EPOCH (default: the analysis' createdAt)");
  cmd->add_option(
      "--rootfs", options->rootfs, "Also write the image's files as a directory tree here");
  cmd->add_flag("--list",
                options->list,
                "Print the files that would go in (no directories) and pack nothing; with --json, "
                "each with its layer and reason");
  cmd->add_flag(
      "--json", options->json, "Print a JSON summary: digests, sizes and file counts per layer");
  cmd->add_flag("--force",
                options->force,
                "Replace an image layout (or a rootfs decant wrote) already in the output");
  cmd->add_flag("--externalize-secrets",
                options->externalize_secrets,
                "Leave files marked secret out of the image");
  cmd->add_flag("--allow-unreadable",
                options->allow_unreadable,
                "Machine analyses: pack without files that cannot be read instead of failing");
  cmd->add_flag("--strict-tags",
                options->strict_tags,
                "Reject tags the reference system's stricter rule refuses");
  cmd->footer(R"(
Expands analysis.json into the full file set: listed directories walked (minus "exclude"),
symlinks kept with their targets, hard links, owners, modes, setuid bits and file
capabilities as on the source, the ELF closure of every program and library (interpreter,
DT_NEEDED through RPATH/RUNPATH/$ORIGIN, ld.so.conf), libraries the runtime loads lazily
(runtime.lazyLibraries), and the system files a process needs: passwd/group entries of its
user, nsswitch.conf, hosts, CA certificates, /tmp (1777), time zone (TZ) and locale.
"volumes" become empty directories. Layers are split by role: system, runtime, server, app,
config. Secret environment values never enter the image; files marked secret do unless
--externalize-secrets. Compression runs on all cores (parallel deflate blocks; zstd workers).

A JDK with jmods is trimmed when the analysis says so (runtime.jlink, written by the Tomcat
analyzer): the source's jlink rebuilds lib/modules without the listed tool modules (javac,
jshell, Graal, ...) and the class-data sharing archive is regenerated and checked. The result
is cached in ~/.cache/decant/jlink ($DECANT_CACHE_DIR); delete runtime.jlink to pack the JDK
whole. See docs/packing.md.

Compression levels (--compression, default 7):
  0      uncompressed tar layers
  1-9    deflate levels 1-9 (gzip); with --zstd: zstd 1,2,2,3,3,3,3,6,12
  10     strongest: libdeflate level 12; with --zstd: zstd 19

Examples:
  decant pack ./tomcat/analysis.json -o ./tomcat/image --tag shop/tomcat:1.0
  skopeo inspect oci:./tomcat/image:shop/tomcat:1.0
  decant pack analysis.json --list | wc -l
  SOURCE_DATE_EPOCH=1700000000 decant pack analysis.json -o img --reproducible --zstd --json
  decant pack analysis.json --rootfs /tmp/rootfs      (a tree to run with scripts/run-rootfs))");
  cmd->callback([&ctx, options] { ctx.run = [&ctx, options] { return run_pack(ctx, *options); }; });
}

} // namespace decant::cli
