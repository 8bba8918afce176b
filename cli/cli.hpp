#pragma once

// The command line is thin: each subcommand file parses its options into the library's types and
// calls the library. Nothing here decides anything the library could not.

#include <decant/error.hpp>
#include <decant/proc/host_root.hpp>

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>

namespace decant::cli {

// Options shared by all subcommands, and the subcommand chosen.
struct Context {
  std::string root = "/";
  std::string workspace = "/var/lib/decant";
  std::string layer_cache_max = "10Gi"; // bound of <workspace>/cache/layers
  std::function<Status()> run;

  // The HostRoot for --root; opened once.
  Result<HostRoot>
  host_root() const
  {
    return HostRoot::open(root);
  }
};

// <workspace>/cache/layers and its bound, for PackOptions::layer_cache(_max_bytes).
Status use_layer_cache(const Context& ctx, std::string& dir, uint64_t& max_bytes);

// Each registers one subcommand; its callback sets ctx.run.
void add_inventory_command(CLI::App& app, Context& ctx);
void add_analyze_command(CLI::App& app, Context& ctx);
void add_pack_command(CLI::App& app, Context& ctx);
void add_push_command(CLI::App& app, Context& ctx);
void add_generate_command(CLI::App& app, Context& ctx);
void add_machine_command(CLI::App& app, Context& ctx);
void add_verify_command(CLI::App& app, Context& ctx);
void add_migrate_command(CLI::App& app, Context& ctx);
void add_jobs_command(CLI::App& app, Context& ctx);

// Shared wording for the exit-code table printed by --help.
extern const char* const k_exit_codes_help;

} // namespace decant::cli
