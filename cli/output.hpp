#pragma once

// How the command line shows what the library reports: events as lines on standard error (a
// progress line rewritten in place when it is a terminal), results on standard output.

#include <decant/oci/image_layout.hpp>
#include <decant/verify/report.hpp>
#include <decant/events/events.hpp>

#include <nlohmann/json.hpp>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

namespace decant::cli {

// Prints a stage's events on standard error: "warning: CODE: TEXT", message lines, and with
// progress: on a terminal one line per stage with bytes, rate and time left, rewritten in place
// and left standing when the next stage begins; elsewhere (with `lines`) such a line every few
// seconds. With `json`, every event is one JSON object on standard output instead (JSON lines).
class EventPrinter
{
public:
  struct Style {
    bool progress = true; // show progress at all
    bool lines = false;   // not on a terminal: a progress line every few seconds
    bool json = false;    // JSON lines on standard output, nothing on standard error
  };
  explicit EventPrinter(bool progress);
  explicit EventPrinter(Style style);
  ~EventPrinter();
  EventPrinter(const EventPrinter&) = delete;
  EventPrinter& operator=(const EventPrinter&) = delete;

  // The sink to hand to a workflow function; valid while this printer lives.
  workflow::EventSink sink();
  // Ends the progress line, so what follows starts on a clean one.
  void finish();

private:
  void print(const workflow::Event& event);
  void print_progress(const workflow::Event& event);
  void end_line(bool keep);

  Style m_style;
  bool m_terminal = false;
  bool m_line_open = false;
  workflow::Stage m_line_stage = workflow::Stage::pack;
  workflow::Stage m_rate_stage = workflow::Stage::inventory;
  std::mutex m_mutex;
  std::chrono::steady_clock::time_point m_stage_start;
  std::chrono::steady_clock::time_point m_last;
};

// One line per layer on standard error: role, digest, size, uncompressed size, files.
void print_layers(const ImageSummary& image);

// The verification table (`decant verify` on standard output, a migration's summary on
// standard error).
void print_verify_report(const VerifyReport& report, std::FILE* out = stdout);

// The registry password as piped in on standard input, without the line end `echo` adds.
std::string read_password_stdin();

// A JSON document on standard output, indented.
void print_json(const nlohmann::json& json);

// While it lives, SIGINT and SIGTERM set `flag` (the work stops cleanly at its next check) and
// say so on standard error; a second one stops decant at once. The previous handlers come back
// afterwards.
class CancelOnSignal
{
public:
  CancelOnSignal();
  ~CancelOnSignal();
  CancelOnSignal(const CancelOnSignal&) = delete;
  CancelOnSignal& operator=(const CancelOnSignal&) = delete;
  const std::atomic<bool>* flag() const;

private:
  struct sigaction m_old_int {
  };
  struct sigaction m_old_term {
  };
};

} // namespace decant::cli
