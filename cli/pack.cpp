#include "cli.hpp"
#include "output.hpp"

#include <decant/util/strings.hpp>
#include <decant/workflow/pack.hpp>

#include <fmt/format.h>

namespace decant::cli {

namespace {

void
print_image(const ImageSummary& image, bool json)
{
  if (json) {
    print_json(to_json(image));
    return;
  }
  print_layers(image);
  fmt::print(stderr,
             "{}: {} files, {} in {} layers\n",
             image.reference,
             image.files,
             human_bytes(image.total_size),
             image.layers.size());
  fmt::print("oci:{}:{}\n", image.layout, image.reference);
}

Status
run_pack(const Context& ctx, workflow::PackOptions options, bool json, bool use_cache)
{
  auto root = ctx.host_root();
  if (!root) {
    return fail(root.error());
  }
  if (use_cache) {
    if (auto cache = use_layer_cache(ctx, options.layer_cache, options.layer_cache_max_bytes);
        !cache) {
      return cache;
    }
  }
  EventPrinter printer(!json);
  auto summary = workflow::pack(*root, options, printer.sink());
  printer.finish();
  if (!summary) {
    return fail(summary.error());
  }
  if (options.list) {
    if (json) {
      // With --json: every file with its layer and why it is there ("needed by /usr/bin/java").
      print_json(workflow::to_json(summary->files));
    } else {
      for (const auto& file : summary->files) {
        fmt::print("{}\n", file.path);
      }
    }
    return {};
  }
  if (summary->image) {
    print_image(*summary->image, json);
  }
  if (!summary->rootfs.empty() && !json) {
    fmt::print(stderr, "rootfs written to {}\n", summary->rootfs);
  }
  return {};
}

// What `decant pack --help` shows below the options.
const char* const k_pack_help = R"(
Expands analysis.json into the full file set: listed directories walked (minus "exclude"),
symlinks kept with their targets, hard links, owners, modes, setuid bits and file
capabilities as on the source, the ELF closure of every program and library (interpreter,
DT_NEEDED through RPATH/RUNPATH/$ORIGIN, ld.so.conf), libraries the runtime loads lazily
(runtime.lazyLibraries), and the system files a process needs: passwd/group entries of its
user, nsswitch.conf, hosts, CA certificates, /tmp (1777), time zone (TZ) and locale.
"volumes" become empty directories. Layers are split by who shares them: system, runtime,
server (the same on every server of one runtime), then the server's own app and config (its
configuration, volumes, and the host's passwd/group, hosts, CA store, loader cache). With log
volumes (Tomcat's logs, JBoss's log directory), the image's Entrypoint is decant-init, which
runs the start command (the image's Cmd) and forwards every file of those volumes, line by line
as "[file] line", to the container's output, following rotation like tail -F; the
application's logging configuration is untouched (--logs files: no forwarding). Secret
environment values never enter the image; files marked secret do unless
--externalize-secrets. Compression runs on all cores (parallel deflate blocks; zstd workers).

--reproducible: the same files give the same blobs on any host. The system, runtime and server
layers get one fixed mtime (1970-01-01T00:00:01Z; directory mtimes are install dates), the app
and config layers their files' mtimes clamped to SOURCE_DATE_EPOCH and their directories the
fixed one (a live host changes those at any moment), so a fleet's images share their lower
layers in a registry (docs/fleet.md).

A JDK with jmods is trimmed when the analysis says so (runtime.jlink, written by the Java
analyzers: Tomcat, TomEE, JBoss/WildFly): the source's jlink rebuilds lib/modules without the listed tool modules (javac,
jshell, Graal, ...) and the class-data sharing archive is regenerated (reproducibly: as root
the dump runs serialized, the same bytes on every host) and checked. The result is cached in
~/.cache/decant/jlink ($DECANT_CACHE_DIR); delete runtime.jlink to pack the JDK whole. See
docs/packing.md.

With --layer-cache, layers are kept in <workspace>/cache/layers (bounded by --layer-cache-max,
least recently used first out; migration jobs always use it), keyed by their files' path, size,
mtime, ctime, inode, mode and owner plus the compression and --reproducible date: packing
unchanged files again links the layer instead of writing it, with the same digest. Without it,
pack writes nothing outside -o DIR.

Compression levels (--compression, default 7):
  0      uncompressed tar layers
  1-9    deflate levels 1-9 (gzip); with --zstd: zstd 1,2,2,3,3,3,3,6,12
  10     strongest: libdeflate level 12; with --zstd: zstd 19

Examples:
  decant pack ./tomcat/analysis.json -o ./tomcat/image --tag shop/tomcat:1.0
  skopeo inspect oci:./tomcat/image:shop/tomcat:1.0
  decant pack analysis.json --list | wc -l
  SOURCE_DATE_EPOCH=1700000000 decant pack analysis.json -o img --reproducible --zstd --json
  decant pack analysis.json --rootfs /tmp/rootfs      (a tree to run with scripts/run-rootfs))";

// What the command line of `decant pack` sets; shared by the option groups and the callback.
struct PackCommand {
  workflow::PackOptions options;
  bool json = false;
  std::string logs = "stdout";
  bool use_cache = false;
};

// The analysis to pack, and where the image goes under which name.
void
add_input_output_options(CLI::App& cmd, PackCommand& pack)
{
  workflow::PackOptions& options = pack.options;
  cmd.add_option("analysis",
                 options.analysis,
                 "analysis.json written by `decant analyze` (its secrets file beside it)")
      ->required();
  cmd.add_option("--secrets",
                 options.secrets,
                 "Secrets file of the analysis (default: beside it, analysis.json -> "
                 "secrets.json, NAME.json -> NAME.secrets.json)");
  cmd.add_option("-o,--output",
                 options.output,
                 "OCI image layout directory to write (must be missing or empty)");
  cmd.add_option("--tag", options.tag, "Image reference NAME:VERSION (default <app-id>:latest)");
}

// How the layers are written.
void
add_layer_options(CLI::App& cmd, PackCommand& pack)
{
  workflow::PackOptions& options = pack.options;
  cmd.add_option("--compression",
                 options.compression,
                 "0 = uncompressed tar, 1-9 = deflate levels, 10 = strongest")
      ->capture_default_str();
  cmd.add_flag("--zstd", options.zstd, "zstd layers (tar+zstd) instead of gzip");
  cmd.add_flag(
      "--reproducible",
      options.reproducible,
      "Byte-identical blobs for the same files on any host: dates from SOURCE_DATE_EPOCH "
      "(default: the analysis' createdAt), shared layers and directories with one fixed mtime");
}

// What the command writes or prints besides the image, and over what.
void
add_output_mode_options(CLI::App& cmd, PackCommand& pack)
{
  workflow::PackOptions& options = pack.options;
  cmd.add_option(
      "--rootfs", options.rootfs, "Also write the image's files as a directory tree here");
  cmd.add_flag("--list",
               options.list,
               "Print the files that would go in (no directories) and pack nothing; with --json, "
               "each with its layer and reason");
  cmd.add_flag(
      "--json", pack.json, "Print a JSON summary: digests, sizes and file counts per layer");
  cmd.add_flag("--force",
               options.force,
               "Replace an image layout (or a rootfs decant wrote) already in the output");
}

// What goes into the image (secret files, the log forwarding, unreadable files, the tag rule)
// and the layer cache.
void
add_content_options(CLI::App& cmd, PackCommand& pack)
{
  workflow::PackOptions& options = pack.options;
  cmd.add_flag("--externalize-secrets",
               options.externalize_secrets,
               "Leave files marked secret out of the image (archives listing \"externalize\", "
               "such as a WAR with a password in META-INF/context.xml, go in with references "
               "instead of the values)");
  cmd.add_option("--logs",
                 pack.logs,
                 "stdout: the image's init also forwards the log volumes' files to the "
                 "container's output (kubectl logs); files: they stay in their volumes only")
      ->check(CLI::IsMember({"stdout", "files"}))
      ->capture_default_str();
  cmd.add_flag("--allow-unreadable",
               options.allow_unreadable,
               "Machine analyses: pack without files that cannot be read instead of failing");
  cmd.add_flag("--strict-tags",
               options.strict_tags,
               "Reject tags outside the strict rule (a-z 0-9 . _ -) instead of warning");
  cmd.add_flag("--layer-cache",
               pack.use_cache,
               "Reuse and keep layers in <workspace>/cache/layers (as migration jobs do)");
}

} // namespace

void
add_pack_command(CLI::App& app, Context& ctx)
{
  auto* cmd = app.add_subcommand("pack", "Pack an analysis.json into a layered OCI image");
  auto pack = std::make_shared<PackCommand>();
  add_input_output_options(*cmd, *pack);
  add_layer_options(*cmd, *pack);
  add_output_mode_options(*cmd, *pack);
  add_content_options(*cmd, *pack);
  cmd->footer(k_pack_help);
  cmd->callback([&ctx, pack] {
    pack->options.logs = pack->logs == "files" ? LogRouting::files : LogRouting::stdout;
    ctx.run = [&ctx, pack] { return run_pack(ctx, pack->options, pack->json, pack->use_cache); };
  });
}

} // namespace decant::cli
