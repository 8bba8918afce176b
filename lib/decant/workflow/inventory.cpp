#include <decant/workflow/inventory.hpp>

namespace decant::workflow {

Result<InventorySummary>
inventory(const HostRoot& root, const AnalyzerList& analyzers)
{
  InventorySummary summary;
  summary.entries = decant::inventory(root, analyzers);
  summary.supported = supported_application_types(analyzers);
  return summary;
}

nlohmann::json
to_json(const InventorySummary& summary)
{
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : summary.entries) {
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
  return out;
}

} // namespace decant::workflow
