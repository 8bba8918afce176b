#pragma once

// The JVM's performance-data file, /tmp/hsperfdata_<user>/<pid>: every HotSpot JVM started
// without -XX:-UsePerfData maps it and keeps its counters there (jstat reads the same file), so
// the effective heap maximum can be read without attaching to the process.
//
// Layout (HotSpot runtime/perfMemory.hpp, PerfDataPrologue and PerfDataEntry): a 32-byte
// prologue (magic 0xcafec0c0 big-endian, byte order 0 = big / 1 = little, version, accessible,
// used, overflow, timestamp, entry offset, entry count), then entries of entry length, name
// offset, vector length (0 for a scalar), data type ('J' long, 'B' byte array), flags, units,
// variability, data offset; all in the prologue's byte order after the magic.

#include <decant/error.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace decant::java {

struct PerfCounters {
  std::map<std::string, int64_t> longs;       // 'J' scalars
  std::map<std::string, std::string> strings; // 'B' vectors, up to their first NUL
};

// Fails (invalid_input) on a file that is not a perf-data file or whose entries point outside
// it; entries of other types are skipped.
Result<PerfCounters> parse_hsperfdata(std::string_view bytes);

// The maximum heap the JVM reserved, from the sun.gc.* capacity counters: the young and old
// generations' maxCapacity added (Serial, Parallel, CMS: each generation holds its own part);
// G1 reports the whole heap as the old generation's maximum, padded by a few bytes so jstat
// never divides by zero, so that is rounded down to whole MiB (G1 heaps are multiples of their
// 1-32 MiB regions); ZGC and Shenandoah report the heap as the old generation.
struct PerfHeap {
  uint64_t max_bytes = 0;
  std::string policy; // sun.gc.policy.name: "GarbageFirst", "ParScav:MSC", "Copy:MSC", ...
  std::string rule;   // which counters gave it, for the analysis
};
std::optional<PerfHeap> perf_max_heap(const PerfCounters& counters);

} // namespace decant::java
