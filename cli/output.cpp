#include "output.hpp"

#include <decant/registry/progress.hpp>
#include <decant/util/json.hpp>
#include <decant/util/strings.hpp>

#include <fmt/format.h>

#include <unistd.h>

namespace decant::cli {

namespace {

// "packing 12.3 MiB / 45.6 MiB  2.0 MiB/s  ETA 16s"; a push names its blob:
// "pushing 3/5 sha256:0123456789ab  12.3 MB / 45.6 MB  2.0 MB/s  16s left".
std::string
progress_text(const workflow::Event& event, double seconds)
{
  double rate = event.bytes_per_second;
  if (rate <= 0 && seconds > 0) {
    rate = static_cast<double>(event.done) / seconds;
  }
  if (event.stage == workflow::Stage::push) {
    return format_progress(event.item, event.items, event.message, event.done, event.total, rate);
  }
  std::string eta =
      rate > 0 && event.total > event.done
          ? fmt::format("{:.0f}s", static_cast<double>(event.total - event.done) / rate)
          : "-";
  return fmt::format("packing {} / {}  {}/s  ETA {}",
                     human_bytes(event.done),
                     human_bytes(event.total),
                     human_bytes(static_cast<uint64_t>(rate)),
                     eta);
}

} // namespace

EventPrinter::EventPrinter(bool progress)
    : m_progress(progress && ::isatty(STDERR_FILENO) == 1),
      m_start(std::chrono::steady_clock::now())
{
}

EventPrinter::~EventPrinter()
{
  finish();
}

workflow::EventSink
EventPrinter::sink()
{
  return [this](const workflow::Event& event) { print(event); };
}

void
EventPrinter::finish()
{
  std::lock_guard<std::mutex> lock(m_mutex);
  clear_line();
}

void
EventPrinter::clear_line()
{
  if (m_line_open) {
    fmt::print(stderr, "\r\033[K");
    m_line_open = false;
  }
}

void
EventPrinter::print(const workflow::Event& event)
{
  std::lock_guard<std::mutex> lock(m_mutex);
  using Kind = workflow::Event::Kind;
  if (event.kind == Kind::progress) {
    auto now = std::chrono::steady_clock::now();
    // A few redraws a second are enough; the last one (all done) always shows.
    if (!m_progress || event.total == 0
        || (now - m_last < std::chrono::milliseconds(200) && event.done < event.total)) {
      return;
    }
    m_last = now;
    double seconds = std::chrono::duration<double>(now - m_start).count();
    fmt::print(stderr, "\r\033[K{}", progress_text(event, seconds));
    m_line_open = true;
    return;
  }
  clear_line();
  if (event.kind == Kind::message) {
    fmt::print(stderr, "{}\n", event.message);
  } else if (event.code.empty()) {
    fmt::print(stderr, "warning: {}\n", event.message);
  } else {
    fmt::print(stderr, "warning: {}: {}\n", event.code, event.message);
  }
}

void
print_layers(const ImageSummary& image)
{
  for (const auto& layer : image.layers) {
    fmt::print(stderr,
               "  {:<8} {}  {:>10}  ({} uncompressed, {} files)\n",
               to_string(layer.role),
               layer.digest.substr(0, 19),
               human_bytes(layer.size),
               human_bytes(layer.tar_size),
               layer.files);
  }
}

void
print_json(const nlohmann::json& json)
{
  // Command lines and file names may hold bytes that are not UTF-8: escaped as in analysis.json.
  fmt::print("{}\n", dump_json(json, 2));
}

} // namespace decant::cli
