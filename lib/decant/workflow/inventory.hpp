#pragma once

// The inventory stage (`decant inventory`): the applications running under the root that one of
// the analyzers recognizes.

#include <decant/analyzer/inventory.hpp>
#include <decant/error.hpp>
#include <decant/proc/host_root.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace decant::workflow {

struct InventorySummary {
  std::vector<InventoryEntry> entries; // by PID
  std::string supported;               // "java-jboss, dotnet-aspnetcore, ..." for messages
};

// Reads every process once; processes that vanish meanwhile are skipped. It has no options and
// sends no events: what it finds depends only on the root and the analyzers, and it takes well
// under a second.
Result<InventorySummary> inventory(const HostRoot& root, const AnalyzerList& analyzers);

// [{"applicationId", "applicationType", "pid", "ports", "path", "error" (when identify
// failed)}...]
nlohmann::json to_json(const InventorySummary& summary);

} // namespace decant::workflow
