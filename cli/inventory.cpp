#include "cli.hpp"

#include <decant/analyzer/inventory.hpp>
#include <decant/util/strings.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <registry.hpp>

namespace decant::cli {

void
add_inventory_command(CLI::App& app, Context& ctx)
{
  auto* cmd = app.add_subcommand("inventory", "List running applications that decant can migrate");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print a JSON array instead of a table");
  cmd->footer(R"(
Every process is read from /proc under --root; each one that an analyzer recognizes is listed
with its application id (stable across restarts), type, PID, listening ports and main path.

Examples:
  decant inventory
  decant inventory --json | jq '.[].applicationId')");
  cmd->callback([&ctx, json] {
    ctx.run = [&ctx, json]() -> Status {
      auto root = ctx.host_root();
      if (!root) {
        return fail(root.error());
      }
      auto entries = inventory(*root, analyzers());
      if (*json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& e : entries) {
          nlohmann::json item = {{"applicationId", e.identity.application_id},
                                 {"applicationType", e.identity.application_type},
                                 {"pid", e.pid},
                                 {"ports", e.ports},
                                 {"path", e.identity.path}};
          if (!e.analyzer_error.empty()) {
            item["error"] = e.analyzer_error;
          }
          out.push_back(item);
        }
        fmt::print("{}\n", out.dump(2));
        return {};
      }
      if (entries.empty()) {
        fmt::print(stderr,
                   "no supported application is running (supported: {})\n",
                   supported_application_types());
        return {};
      }
      fmt::print(
          "{:<30} {:<18} {:>8}  {:<16} {}\n", "APPLICATION ID", "TYPE", "PID", "PORTS", "PATH");
      for (const auto& e : entries) {
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
      return {};
    };
  });
}

} // namespace decant::cli
