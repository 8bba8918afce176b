#include "output.hpp"

#include <decant/registry/progress.hpp>
#include <decant/util/json.hpp>
#include <decant/util/strings.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>

namespace decant::cli {

namespace {

using workflow::Event;
using workflow::Stage;

// What a progress line calls the work of a stage.
const char*
verb(Stage stage)
{
  switch (stage) {
  case Stage::pack:
  case Stage::machine:
    return "packing";
  case Stage::verify:
    return "unpacking";
  case Stage::checksum:
    return "checksums";
  case Stage::push:
    return "pushing";
  default:
    return workflow::to_string(stage);
  }
}

// "packing    12.3 MiB / 45.6 MiB  2.0 MiB/s  16s left"; a push names its blob:
// "pushing 3/5 sha256:0123456789ab  12.3 MB / 45.6 MB  2.0 MB/s  16s left". The time left is
// (total - done) / rate, the rate the stage's own (a push's over the last seconds) or the bytes
// done over the time since the stage began.
std::string
progress_text(const Event& event, double seconds)
{
  double rate = event.bytes_per_second;
  if (rate <= 0 && seconds > 0) {
    rate = static_cast<double>(event.done) / seconds;
  }
  if (event.stage == Stage::push) {
    return format_progress(event.item, event.items, event.message, event.done, event.total, rate);
  }
  std::optional<double> left;
  if (event.done >= event.total) {
    left = 0;
  } else if (rate > 0) {
    left = static_cast<double>(event.total - event.done) / rate;
  }
  return fmt::format("{:<10} {} / {}  {}/s  {} left",
                     verb(event.stage),
                     human_bytes(event.done),
                     human_bytes(event.total),
                     human_bytes(static_cast<uint64_t>(rate)),
                     format_duration(left));
}

std::atomic<bool> g_stop{false};

void
on_stop_signal(int signal)
{
  if (g_stop.exchange(true)) {
    // The second one: stop now (a killed job shows as interrupted; resume continues it).
    ::signal(signal, SIG_DFL);
    ::raise(signal);
    return;
  }
  const char text[] = "\ndecant: stopping cleanly at the next step (again to stop at once)\n";
  (void)!::write(STDERR_FILENO, text, sizeof(text) - 1);
}

std::string
side_text(const std::optional<ProbeSide>& side)
{
  if (!side) {
    return "-";
  }
  return side->answered ? std::to_string(side->status) : "no answer";
}

std::string
ttfb_text(const ProbeResult& p)
{
  auto ms = [](const ProbeSide& s) {
    return s.answered ? fmt::format("{}", static_cast<int64_t>(s.ttfb_seconds * 1000 + 0.5)) : "-";
  };
  if (p.scheme == "tcp") {
    return "";
  }
  return p.source ? fmt::format("{} / {} ms", ms(*p.source), ms(p.image)) : ms(p.image) + " ms";
}

void
print_probe(const ProbeResult& p, std::FILE* out)
{
  std::string path = p.scheme == "tcp" ? "(tcp connect)" : p.path;
  fmt::print(out,
             "{:<6} {:<44} {:>9} {:>9}  {:<11} {}\n",
             p.port,
             path.size() > 44 ? path.substr(0, 41) + "..." : path,
             side_text(p.source),
             p.scheme == "tcp" ? (p.image.answered ? "open" : "closed") : side_text(p.image),
             p.verdict,
             ttfb_text(p));
  if (p.verdict == "same shape") {
    for (const auto& d : p.ranges) {
      fmt::print(out,
                 "         {} at image bytes {}-{} (source {}-{}): \"{}\" / \"{}\"\n",
                 d.kind,
                 d.image_begin,
                 d.image_end,
                 d.source_begin,
                 d.source_end,
                 d.source_text,
                 d.image_text);
    }
  } else if (!p.passed || !p.reason.empty()) {
    fmt::print(out, "         {}\n", p.reason);
  }
}

} // namespace

EventPrinter::EventPrinter(bool progress)
    : EventPrinter(Style{progress, false, false})
{
}

EventPrinter::EventPrinter(Style style)
    : m_style(style),
      m_terminal(::isatty(STDERR_FILENO) == 1),
      m_stage_start(std::chrono::steady_clock::now())
{
}

EventPrinter::~EventPrinter()
{
  finish();
}

workflow::EventSink
EventPrinter::sink()
{
  return [this](const Event& event) { print(event); };
}

void
EventPrinter::finish()
{
  std::lock_guard<std::mutex> lock(m_mutex);
  end_line(true);
  std::fflush(stdout);
}

// Ends the open progress line: kept as the stage's last word, or cleared for a message of the
// same stage (the line is drawn again below it).
void
EventPrinter::end_line(bool keep)
{
  if (m_line_open) {
    fmt::print(stderr, keep ? "\n" : "\r\033[K");
    m_line_open = false;
  }
}

void
EventPrinter::print(const Event& event)
{
  std::lock_guard<std::mutex> lock(m_mutex);
  if (m_style.json) {
    fmt::print("{}\n", workflow::to_json(event).dump());
    std::fflush(stdout);
    return;
  }
  if (event.stage != m_rate_stage) {
    m_rate_stage = event.stage;
    m_stage_start = std::chrono::steady_clock::now();
    m_last = m_terminal ? std::chrono::steady_clock::time_point{} : m_stage_start;
  }
  if (event.kind == Event::Kind::progress) {
    print_progress(event);
    return;
  }
  end_line(event.stage != m_line_stage);
  if (event.kind == Event::Kind::message) {
    fmt::print(stderr, "{}\n", event.message);
  } else if (event.code.empty()) {
    fmt::print(stderr, "warning: {}\n", event.message);
  } else {
    fmt::print(stderr, "warning: {}: {}\n", event.code, event.message);
  }
}

void
EventPrinter::print_progress(const Event& event)
{
  auto now = std::chrono::steady_clock::now();
  bool done = event.done >= event.total;
  auto every = m_terminal ? std::chrono::milliseconds(200) : std::chrono::milliseconds(5000);
  if (!m_style.progress || event.total == 0 || (!m_terminal && !m_style.lines)) {
    return;
  }
  // A few redraws a second on a terminal, a line every few seconds elsewhere; the last one
  // (all done) always shows.
  if (now - m_last < every && !done) {
    return;
  }
  m_last = now;
  double seconds = std::chrono::duration<double>(now - m_stage_start).count();
  if (!m_terminal) {
    fmt::print(stderr, "{}\n", progress_text(event, seconds));
    return;
  }
  if (m_line_open && event.stage != m_line_stage) {
    end_line(true);
  }
  fmt::print(stderr, "\r\033[K{}", progress_text(event, seconds));
  m_line_open = true;
  m_line_stage = event.stage;
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
print_verify_report(const VerifyReport& r, std::FILE* out)
{
  fmt::print(out,
             "{:<6} {:<44} {:>9} {:>9}  {:<11} {}\n",
             "PORT",
             "PATH",
             "SOURCE",
             "IMAGE",
             "VERDICT",
             "TTFB source/image");
  for (const auto& p : r.probes) {
    print_probe(p, out);
  }
  for (const auto& port : r.ports) {
    if (!port.listening) {
      fmt::print(out, "{:<6} did not listen\n", port.port);
    }
  }
  for (const auto& t : r.tls) {
    fmt::print(out,
               "TLS on {}: image {} source {}: {}\n",
               t.port,
               t.image_sha256,
               t.source_sha256,
               t.match ? "same certificate" : "DIFFERENT certificate");
  }
  fmt::print(out,
             "\nstart-up {:.1f}s (until every port listened), peak memory {}; unpack {:.1f}s, "
             "probes {:.1f}s, total {:.1f}s\n",
             r.startup_seconds,
             format_bytes(r.peak_rss_bytes),
             r.unpack_seconds,
             r.probe_seconds,
             r.total_seconds);
  for (const auto& note : r.notes) {
    fmt::print(out, "note: {}\n", note);
  }
  if (!r.log_tail.empty()) {
    fmt::print(out, "\nthe image's last {} output lines:\n", r.log_tail.size());
    for (const auto& line : r.log_tail) {
      fmt::print(out, "  | {}\n", line);
    }
  }
  if (!r.kept_dir.empty()) {
    fmt::print(out, "kept: {} (rootfs/, output.log)\n", r.kept_dir);
  }
}

void
print_json(const nlohmann::json& json)
{
  // Command lines and file names may hold bytes that are not UTF-8: escaped as in analysis.json.
  fmt::print("{}\n", dump_json(json, 2));
}

CancelOnSignal::CancelOnSignal()
{
  g_stop.store(false);
  struct sigaction sa {
  };
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, &m_old_int);
  ::sigaction(SIGTERM, &sa, &m_old_term);
}

CancelOnSignal::~CancelOnSignal()
{
  ::sigaction(SIGINT, &m_old_int, nullptr);
  ::sigaction(SIGTERM, &m_old_term, nullptr);
}

const std::atomic<bool>*
CancelOnSignal::flag() const
{
  return &g_stop;
}

std::string
read_password_stdin()
{
  std::string password((std::istreambuf_iterator<char>(std::cin)),
                       std::istreambuf_iterator<char>());
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
    password.pop_back();
  }
  return password;
}

} // namespace decant::cli
