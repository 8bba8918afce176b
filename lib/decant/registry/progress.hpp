#pragma once

// Transfer rate and time remaining for `decant push`: pure functions, tested on numbers.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

namespace decant {

// Bytes per second over the last few seconds: a sliding window, so the rate follows a change of
// --limit-mbps or a slow registry within seconds instead of averaging the whole push.
class RateMeter
{
public:
  explicit RateMeter(double window_seconds = 5.0)
      : m_window(window_seconds)
  {
  }
  void add(double now_seconds, uint64_t bytes);
  // 0 until there are samples spanning some time.
  double bytes_per_second(double now_seconds) const;

private:
  double m_window;
  std::deque<std::pair<double, uint64_t>> m_samples; // (time, bytes sent at that time)
  uint64_t m_total = 0;
};

// (total - sent) / rate, in seconds; nullopt when the rate is unknown (0).
std::optional<double> eta_seconds(uint64_t total, uint64_t sent, double bytes_per_second);

// "0 B", "512 B", "1.5 KB", "12.3 MB", "1.20 GB" (powers of 1000, as network rates are quoted).
std::string format_bytes(uint64_t bytes);
// "7s", "1m05s", "2h03m"; "?" when unknown.
std::string format_duration(std::optional<double> seconds);

// "pushing 3/5 sha256:0123456789ab  12.3 MB / 45.6 MB  2.0 MB/s  16s left"
std::string format_progress(size_t index,
                            size_t count,
                            const std::string& digest,
                            uint64_t sent,
                            uint64_t total,
                            double bytes_per_second);

} // namespace decant
