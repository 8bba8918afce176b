#include "cli.hpp"
#include "output.hpp"

#include <decant/util/strings.hpp>
#include <decant/workflow/inventory.hpp>

#include <fmt/format.h>

#include <registry.hpp>

namespace decant::cli {

namespace {

void
print_table(const workflow::InventorySummary& summary)
{
  fmt::print("{:<30} {:<18} {:>8}  {:<16} {}\n", "APPLICATION ID", "TYPE", "PID", "PORTS", "PATH");
  for (const auto& e : summary.entries) {
    std::vector<std::string> ports;
    for (auto p : e.ports) {
      ports.push_back(std::to_string(p));
    }
    fmt::print("{:<30} {:<18} {:>8}  {:<16} {}\n",
               e.identity.application_id.empty() ? "-" : e.identity.application_id,
               e.identity.application_type,
               e.pid,
               ports.empty() ? "-" : join(ports, ","),
               e.analyzer_error.empty() ? e.identity.path : "error: " + e.analyzer_error);
  }
}

Status
run_inventory(const Context& ctx, bool json)
{
  auto root = ctx.host_root();
  if (!root) {
    return fail(root.error());
  }
  auto summary = workflow::inventory(*root, analyzers());
  if (!summary) {
    return fail(summary.error());
  }
  if (json) {
    print_json(to_json(*summary));
  } else if (summary->entries.empty()) {
    fmt::print(stderr, "no supported application is running (supported: {})\n", summary->supported);
  } else {
    print_table(*summary);
  }
  return {};
}

// What `decant inventory --help` shows below the options.
const char* const k_inventory_help = R"(
Every process is read from /proc under --root; each one that an analyzer recognizes is listed
with its application id (stable across restarts), type, PID, listening ports and main path.
Processes whose root directory is not --root's (in a container, another mount namespace or a
chroot) are left out: they are not on this host's file system.

Examples:
  decant inventory
  decant inventory --json | jq '.[].applicationId')";

} // namespace

void
add_inventory_command(CLI::App& app, Context& ctx)
{
  auto* cmd = app.add_subcommand("inventory", "List running applications that decant can migrate");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print a JSON array instead of a table");
  cmd->footer(k_inventory_help);
  cmd->callback([&ctx, json] { ctx.run = [&ctx, json] { return run_inventory(ctx, *json); }; });
}

} // namespace decant::cli
