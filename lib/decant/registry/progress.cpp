#include <decant/registry/progress.hpp>

#include <fmt/format.h>

#include <cmath>

namespace decant {

void
RateMeter::add(double now_seconds, uint64_t bytes)
{
  m_total += bytes;
  m_samples.emplace_back(now_seconds, m_total);
  // Keep one sample older than the window so the rate spans the whole window.
  while (m_samples.size() > 2 && m_samples[1].first < now_seconds - m_window) {
    m_samples.pop_front();
  }
}

double
RateMeter::bytes_per_second(double now_seconds) const
{
  if (m_samples.size() < 2) {
    return 0;
  }
  double span = now_seconds - m_samples.front().first;
  if (span <= 0.2) {
    return 0; // too short to say anything
  }
  return static_cast<double>(m_samples.back().second - m_samples.front().second) / span;
}

std::optional<double>
eta_seconds(uint64_t total, uint64_t sent, double bytes_per_second)
{
  if (bytes_per_second <= 0) {
    return std::nullopt;
  }
  uint64_t remaining = sent >= total ? 0 : total - sent;
  return static_cast<double>(remaining) / bytes_per_second;
}

std::string
format_bytes(uint64_t bytes)
{
  if (bytes < 1000) {
    return fmt::format("{} B", bytes);
  }
  double value = static_cast<double>(bytes);
  const char* units[] = {"KB", "MB", "GB", "TB"};
  int unit = -1;
  while (value >= 1000 && unit < 3) {
    value /= 1000;
    ++unit;
  }
  return fmt::format(value < 10 ? "{:.2f} {}" : "{:.1f} {}", value, units[unit]);
}

std::string
format_duration(std::optional<double> seconds)
{
  if (!seconds || !std::isfinite(*seconds)) {
    return "?";
  }
  auto total = static_cast<uint64_t>(std::ceil(*seconds));
  if (total < 60) {
    return fmt::format("{}s", total);
  }
  if (total < 3600) {
    return fmt::format("{}m{:02}s", total / 60, total % 60);
  }
  return fmt::format("{}h{:02}m", total / 3600, (total % 3600) / 60);
}

std::string
format_progress(size_t index,
                size_t count,
                const std::string& digest,
                uint64_t sent,
                uint64_t total,
                double bytes_per_second)
{
  std::string short_digest = digest.substr(0, digest.find(':') + 13);
  return fmt::format("pushing {}/{} {}  {} / {}  {}/s  {} left",
                     index,
                     count,
                     short_digest,
                     format_bytes(std::min(sent, total)),
                     format_bytes(total),
                     format_bytes(static_cast<uint64_t>(bytes_per_second)),
                     format_duration(eta_seconds(total, sent, bytes_per_second)));
}

} // namespace decant
