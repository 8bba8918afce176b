// analyzers/java/hsperfdata.cpp on real performance-data files of OpenJDK 17 JVMs
// (fixtures/configs/java/SOURCES.md) and on broken ones.
#include "java/hsperfdata.hpp"
#include "test_support.hpp"

#include <decant/util/fs.hpp>

#include <gtest/gtest.h>

using namespace decant;
using namespace decant::java;

namespace {

std::string
real_file(const std::string& name)
{
  return read_file(test::fixture("configs/java/" + name)).value();
}

} // namespace

TEST(Hsperfdata, G1HeapFromARealFile)
{
  auto counters = parse_hsperfdata(real_file("hsperfdata-openjdk17-g1-xmx700m"));
  ASSERT_TRUE(counters) << counters.error().message;
  EXPECT_EQ(counters->strings["sun.gc.policy.name"], "GarbageFirst");
  EXPECT_EQ(counters->strings["java.property.java.version"], "17.0.15");
  EXPECT_EQ(counters->longs["sun.gc.generation.1.maxCapacity"], 734003208);
  auto heap = perf_max_heap(*counters);
  ASSERT_TRUE(heap);
  // java -XX:+UseG1GC -Xmx700m -XX:+PrintFlagsFinal: MaxHeapSize = 734003200.
  EXPECT_EQ(heap->max_bytes, 734003200u);
  EXPECT_EQ(heap->policy, "GarbageFirst");
}

TEST(Hsperfdata, ParallelHeapIsBothGenerations)
{
  auto counters = parse_hsperfdata(real_file("hsperfdata-openjdk17-parallel"));
  ASSERT_TRUE(counters) << counters.error().message;
  auto heap = perf_max_heap(*counters);
  ASSERT_TRUE(heap);
  EXPECT_EQ(heap->policy, "ParScav:MSC");
  EXPECT_EQ(heap->max_bytes, 6320816128u); // 2106589184 + 4214226944
}

TEST(Hsperfdata, OneGenerationCollectors)
{
  PerfCounters zgc;
  zgc.longs["sun.gc.generation.1.maxCapacity"] = 6320816128;
  EXPECT_EQ(perf_max_heap(zgc)->max_bytes, 6320816128u);
  PerfCounters shenandoah = zgc;
  shenandoah.longs["sun.gc.generation.0.maxCapacity"] = 0;
  EXPECT_EQ(perf_max_heap(shenandoah)->max_bytes, 6320816128u);
  EXPECT_FALSE(perf_max_heap(PerfCounters{}));
}

TEST(Hsperfdata, BrokenFilesFailWithoutReadingOutside)
{
  std::string good = real_file("hsperfdata-openjdk17-g1-xmx700m");
  EXPECT_FALSE(parse_hsperfdata(""));
  EXPECT_FALSE(parse_hsperfdata("not a perf file at all, but long enough to have a prologue"));
  std::string bad_order = good;
  bad_order[4] = 7;
  EXPECT_FALSE(parse_hsperfdata(bad_order));
  // Cut anywhere: either an error or counters, never a read past the end.
  for (size_t size : {32ul, 40ul, 100ul, 1000ul, 5000ul}) {
    auto cut = parse_hsperfdata(std::string_view(good).substr(0, size));
    if (cut) {
      EXPECT_LE(cut->longs.size(), 200u);
    }
  }
  // An entry length that points past the file.
  std::string long_entry = good;
  long_entry[32] = '\xff';
  long_entry[33] = '\xff';
  long_entry[34] = '\xff';
  long_entry[35] = '\x7f';
  EXPECT_FALSE(parse_hsperfdata(long_entry));
}
