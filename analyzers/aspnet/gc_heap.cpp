#include "gc_heap.hpp"

#include <decant/deploy/kubernetes.hpp>
#include <decant/util/strings.hpp>

#include <fmt/format.h>

namespace decant::aspnet {

namespace {

constexpr uint64_t k_min_container_limit = 20 * 1024 * 1024;

std::optional<uint64_t>
hex(const std::string& text)
{
  std::string_view value = trim(text);
  if (starts_with(value, "0x") || starts_with(value, "0X")) {
    value.remove_prefix(2);
  }
  return parse_u64(value, 16);
}

std::optional<uint64_t>
json_number(const nlohmann::json& value)
{
  if (value.is_number_unsigned()) {
    return value.get<uint64_t>();
  }
  if (value.is_string()) {
    return parse_u64(value.get<std::string>());
  }
  return std::nullopt;
}

} // namespace

GcHeapLimit
gc_heap_limit(const ProcessInfo& process,
              const HostRoot& root,
              const nlohmann::json& config_properties)
{
  GcHeapLimit out;
  for (const char* prefix : {"DOTNET_", "COMPlus_"}) {
    std::string name = std::string(prefix) + "GCHeapHardLimit";
    if (auto value = process.env(name)) {
      if (auto bytes = hex(*value); bytes && *bytes > 0) {
        out.bytes = bytes;
        out.source = name;
        return out;
      }
    }
    if (auto value = process.env(name + "Percent")) {
      if (auto percent = hex(*value); percent && *percent > 0 && *percent <= 100) {
        out.percent = static_cast<double>(*percent);
        out.source = name + "Percent";
        return out;
      }
    }
  }
  if (config_properties.is_object()) {
    if (auto it = config_properties.find("System.GC.HeapHardLimit");
        it != config_properties.end()) {
      if (auto bytes = json_number(*it); bytes && *bytes > 0) {
        out.bytes = bytes;
        out.source = "System.GC.HeapHardLimit";
        return out;
      }
    }
    if (auto it = config_properties.find("System.GC.HeapHardLimitPercent");
        it != config_properties.end()) {
      if (auto percent = json_number(*it); percent && *percent > 0 && *percent <= 100) {
        out.percent = static_cast<double>(*percent);
        out.source = "System.GC.HeapHardLimitPercent";
        return out;
      }
    }
  }
  if (auto limit = root.cgroup_memory_limit(process.cgroups)) {
    out.bytes = std::max(k_min_container_limit, *limit / 4 * 3);
    out.source = "cgroup";
    return out;
  }
  out.source = "none";
  return out;
}

void
set_gc_heap(Analysis& analysis, const GcHeapLimit& limit)
{
  nlohmann::json details = {{"source", limit.source}};
  if (limit.source == "none") {
    details["why"] = "no GCHeapHardLimit and no cgroup memory limit: the GC heap had no hard "
                     "limit on the source; in a pod with a memory limit .NET caps it at 75% of "
                     "that limit (at least 20 MB)";
  } else if (limit.source == "cgroup") {
    details["limitBytes"] = *limit.bytes;
    std::string hex_value = fmt::format("0x{:x}", *limit.bytes);
    analysis.add_env("DOTNET_GCHeapHardLimit", hex_value, false);
    analysis.resources.heap_max_bytes = limit.bytes;
    details["imageEnv"] = "DOTNET_GCHeapHardLimit=" + hex_value;
    details["why"] =
        "75% of the source's cgroup memory limit, the .NET default in a memory-limited "
        "cgroup; made explicit so that the pod's memory limit does not change it";
  } else if (limit.bytes) {
    details["limitBytes"] = *limit.bytes;
    analysis.resources.heap_max_bytes = limit.bytes;
    details["why"] = "set by " + limit.source + "; it travels with the application";
  } else {
    details["percent"] = *limit.percent;
    details["why"] = fmt::format("set by {}: {}% of the memory limit, which in a pod is the pod's",
                                 limit.source,
                                 *limit.percent);
  }
  if (auto memory = derived_memory_limit(analysis.resources)) {
    details["memoryLimitBytes"] = *memory;
    details["memoryLimitWhy"] = memory_limit_reason(analysis.resources);
    if (limit.source == "none") {
      details["inPod"] = fmt::format("with that memory limit the GC heap is capped at {} bytes",
                                     std::max(k_min_container_limit, *memory / 4 * 3));
    }
  }
  analysis.runtime.details["gcHeap"] = details;
}

} // namespace decant::aspnet
