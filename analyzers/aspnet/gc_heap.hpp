#pragma once

// The .NET GC's heap hard limit, on the source and in a container: an explicit
// GCHeapHardLimit / GCHeapHardLimitPercent (environment, which wins, or runtimeconfig.json
// configProperties), else max(20 MB, 75% of the memory limit) when the process has a cgroup
// memory limit, else none ("Runtime configuration options for garbage collection", .NET docs).
// A migrated app that had none gets one in Kubernetes as soon as the pod has a memory limit.

#include <decant/analysis/analysis.hpp>
#include <decant/proc/host_root.hpp>
#include <decant/proc/process.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace decant::aspnet {

struct GcHeapLimit {
  std::optional<uint64_t> bytes; // the limit the source ran with; nullopt = none
  std::optional<double> percent; // GCHeapHardLimitPercent, when that is how it is set
  std::string source; // "DOTNET_GCHeapHardLimit", "System.GC.HeapHardLimit", "cgroup", "none"
};

// DOTNET_/COMPlus_ values are hexadecimal, runtimeconfig.json values decimal.
GcHeapLimit gc_heap_limit(const ProcessInfo& process,
                          const HostRoot& root,
                          const nlohmann::json& config_properties);

// runtime.details.gcHeap explains the source's limit and what a container does; a limit the
// source had only through its cgroup is made explicit (DOTNET_GCHeapHardLimit) so the image
// keeps it whatever the pod's memory limit; resources.heapMaxBytes is the limit when there is
// one, so the derived memory limit leaves room beside it.
void set_gc_heap(Analysis& analysis, const GcHeapLimit& limit);

} // namespace decant::aspnet
