#include "cli.hpp"

#include <decant/deploy/kubernetes.hpp>
#include <decant/util/strings.hpp>
#include <decant/version.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <optional>

namespace decant::cli {

const char* const k_exit_codes_help = R"(Exit codes:
  0   success
  1   failure (I/O error, anything not listed below)
  2   usage: bad command line
  3   not found: no such process, application id or file
  4   unsupported: no analyzer recognizes the application
  5   permission denied (run as root)
  6   invalid input: malformed analysis.json or configuration file
  7   source changed: the process exited or restarted during the work
  8   output exists: the output directory is not empty (use --force)
  9   network: registry unreachable, rejected or unauthorized
  10  verification: the image did not answer like the source
  11  aborted: by the operator, or a limit such as --max-size would be exceeded)";

Status
use_layer_cache(const Context& ctx, std::string& dir, uint64_t& max_bytes)
{
  auto bytes = parse_memory_quantity(ctx.layer_cache_max);
  if (!bytes) {
    return fail(Error(ErrorCode::usage,
                      fmt::format("--layer-cache-max \"{}\" is not a size", ctx.layer_cache_max),
                      "give bytes or a size like 10Gi or 500Mi (DECANT_LAYER_CACHE_MAX)"));
  }
  dir = ctx.workspace + "/cache/layers";
  max_bytes = *bytes;
  return {};
}

namespace {

// What `decant --help` shows below the commands, before the exit codes.
const char* const k_workflow_help = R"(
Workflow:
  decant inventory                      find the applications running here
  decant analyze 1234                   write <workspace>/<app-id>/analysis.json (edit it freely)
  decant pack analysis.json -o DIR --tag NAME:VERSION   build a layered OCI image from it
  decant verify DIR                     run the image in a sandbox and compare it with the source
  decant push ./oci REGISTRY/REPO:TAG   push the packed image to any OCI registry
  decant generate analysis.json --image REGISTRY/REPO:TAG -o ./deploy
                                        write Kubernetes manifests (and a Dockerfile with --oci)
  decant machine -o DIR --tag NAME:VERSION    the whole server as one image (machine-level mode)

Examples:
  decant inventory --json
  decant analyze java-tomcat-5924e694 -o /tmp/tomcat/analysis.json
  decant --root /host inventory         (decant in a container, the host mounted at /host)

)";

// What the operator can do when the error itself did not say: by the kind of error.
const char*
default_hint(ErrorCode code)
{
  switch (code) {
  case ErrorCode::usage:
    return "run `decant --help` or `decant <command> --help`";
  case ErrorCode::not_found:
    return "check the path, PID or application id (`decant inventory` lists what runs here)";
  case ErrorCode::unsupported:
    return "`decant inventory` lists what decant can migrate; `decant machine` packs a whole "
           "server";
  case ErrorCode::permission:
    return "run decant as root";
  case ErrorCode::invalid_input:
    return "fix the input the message names, then run the command again";
  case ErrorCode::source_changed:
    return "the source process changed while decant read it; run the command again";
  case ErrorCode::output_exists:
    return "choose an empty output directory, or add --force to replace what decant wrote there";
  case ErrorCode::network:
    return "check the registry address, that it runs, and the credentials";
  case ErrorCode::verification:
    return "the data does not match what it claims to be; produce it again (pack, push)";
  case ErrorCode::aborted:
    return "raise the limit, or run the command again";
  case ErrorCode::failure:
  default:
    return "run the command again; if it fails the same way, report it with the command line";
  }
}

// One line per error and one hint, always; the message is shortened and escaped as a last
// guard (a message quoting input must never flood a terminal or a log with it).
int
report(const Error& error)
{
  std::fprintf(stderr, "decant: error: %s\n", shorten(error.message, 2000).c_str());
  std::fprintf(stderr,
               "hint: %s\n",
               error.hint.empty() ? default_hint(error.code) : shorten(error.hint, 1000).c_str());
  return exit_code(error.code);
}

// An option given with an empty value ("--tag ''", "--root=") is a mistake, never a request for
// the default: refused as a usage error for every option of every command.
void
refuse_empty_values(CLI::App& app)
{
  CLI::Validator non_empty(
      [](std::string& value) {
        return value.empty() ? std::string("an empty value is not allowed (leave the option out "
                                           "for its default)")
                             : std::string();
      },
      "",
      "NONEMPTY");
  for (CLI::Option* option : app.get_options()) {
    if (option->get_type_size() != 0 && option->get_name() != "--help"
        && option->get_name() != "--help-all" && option->get_name() != "--version") {
      option->check(non_empty);
    }
  }
  for (CLI::App* sub : app.get_subcommands({})) {
    refuse_empty_values(*sub);
  }
}

// --root, --workspace and --layer-cache-max: given before the command, for every command.
void
add_global_options(CLI::App& app, Context& ctx)
{
  app.add_option("--root", ctx.root, "Directory where the host's file system is mounted")
      ->envname("DECANT_ROOT")
      ->capture_default_str();
  app.add_option("--workspace",
                 ctx.workspace,
                 "Where analyses are kept: <workspace>/<app-id>/analysis.json")
      ->envname("DECANT_WORKSPACE")
      ->capture_default_str();
  app.add_option("--layer-cache-max",
                 ctx.layer_cache_max,
                 "Bound of the layer cache <workspace>/cache/layers (e.g. 10Gi, 500Mi)")
      ->envname("DECANT_LAYER_CACHE_MAX")
      ->capture_default_str();
}

// In the order `decant --help` lists them: the workflow's order.
void
add_commands(CLI::App& app, Context& ctx)
{
  add_inventory_command(app, ctx);
  add_analyze_command(app, ctx);
  add_pack_command(app, ctx);
  add_push_command(app, ctx);
  add_generate_command(app, ctx);
  add_machine_command(app, ctx);
  add_verify_command(app, ctx);
  add_migrate_command(app, ctx);
  add_jobs_command(app, ctx);
}

// Parses the command line: the exit code when that is all there is to do (help, version, or a
// usage error), nothing when the chosen command is to run.
std::optional<int>
parse_command_line(CLI::App& app, int argc, char** argv)
{
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "decant: error: %s\n", shorten(e.what(), 2000).c_str());
    std::fprintf(stderr, "hint: run `decant --help` or `decant <command> --help`\n");
    return exit_code(ErrorCode::usage);
  }
  return std::nullopt;
}

// Runs the command the callbacks chose; its error becomes one message, a hint and the exit
// code of its kind.
int
run_command(const Context& ctx)
{
  try {
    if (!ctx.run) {
      return report(Error(ErrorCode::usage, "no command given", "run `decant --help`"));
    }
    auto status = ctx.run();
    if (!status) {
      return report(status.error());
    }
    return 0;
  } catch (const std::exception& e) {
    // The one top-level catch: a third-party exception that escaped conversion is a bug, but the
    // operator still gets one line and an exit code.
    return report(Error(ErrorCode::failure,
                        fmt::format("unexpected: {}", e.what()),
                        "this is a bug in decant; please report it with the command line"));
  }
}

} // namespace

int
main(int argc, char** argv)
{
  CLI::App app("decant: turn an application running on this Linux server into a minimal, "
               "verified container image",
               "decant");
  app.set_version_flag("--version", std::string("decant ") + k_version);
  app.require_subcommand(1);
  app.fallthrough();
  Context ctx;
  add_global_options(app, ctx);
  app.footer(std::string(k_workflow_help) + k_exit_codes_help);
  add_commands(app, ctx);
  refuse_empty_values(app);
  if (auto exit = parse_command_line(app, argc, argv)) {
    return *exit;
  }
  return run_command(ctx);
}

} // namespace decant::cli

int
main(int argc, char** argv)
{
  return decant::cli::main(argc, argv);
}
