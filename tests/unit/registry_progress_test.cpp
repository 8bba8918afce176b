#include <decant/registry/progress.hpp>

#include <gtest/gtest.h>

namespace decant {
namespace {

TEST(RegistryProgress, EtaIsRemainingOverRate)
{
  EXPECT_DOUBLE_EQ(*eta_seconds(100, 40, 20), 3.0);
  EXPECT_DOUBLE_EQ(*eta_seconds(100, 100, 20), 0.0);
  EXPECT_DOUBLE_EQ(*eta_seconds(100, 150, 20), 0.0); // resent bytes never make it negative
  EXPECT_FALSE(eta_seconds(100, 0, 0));
}

TEST(RegistryProgress, RateFollowsTheWindow)
{
  RateMeter meter(5.0);
  EXPECT_EQ(meter.bytes_per_second(0), 0);
  for (int t = 0; t <= 10; ++t) {
    meter.add(t, 1000); // 1000 bytes per second
  }
  EXPECT_NEAR(meter.bytes_per_second(10), 1000, 1);
  for (int t = 11; t <= 20; ++t) {
    meter.add(t, 4000); // the rate went up: the window forgets the old one
  }
  EXPECT_NEAR(meter.bytes_per_second(20), 4000, 1);
}

TEST(RegistryProgress, Formats)
{
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(999), "999 B");
  EXPECT_EQ(format_bytes(1500), "1.50 KB");
  EXPECT_EQ(format_bytes(12300000), "12.3 MB");
  EXPECT_EQ(format_duration(std::nullopt), "?");
  EXPECT_EQ(format_duration(6.2), "7s");
  EXPECT_EQ(format_duration(65), "1m05s");
  EXPECT_EQ(format_duration(7380), "2h03m");
  EXPECT_EQ(format_progress(2, 3, "sha256:0123456789abcdef", 4000000, 10000000, 2000000),
            "pushing 2/3 sha256:0123456789ab  4.00 MB / 10.0 MB  2.00 MB/s  3s left");
}

} // namespace
} // namespace decant
