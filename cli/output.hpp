#pragma once

// How the command line shows what the library reports: events as lines on standard error (a
// progress line rewritten in place when it is a terminal), results on standard output.

#include <decant/oci/image_layout.hpp>
#include <decant/workflow/events.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <mutex>

namespace decant::cli {

// Prints a stage's events on standard error: "warning: CODE: TEXT", message lines, and with
// `progress` (and standard error a terminal) one progress line with bytes, rate and time left,
// cleared before any other line and at the end.
class EventPrinter
{
public:
  explicit EventPrinter(bool progress);
  ~EventPrinter();
  EventPrinter(const EventPrinter&) = delete;
  EventPrinter& operator=(const EventPrinter&) = delete;

  // The sink to hand to a workflow function; valid while this printer lives.
  workflow::EventSink sink();
  // Clears the progress line, so what follows starts on a clean one.
  void finish();

private:
  void print(const workflow::Event& event);
  void clear_line();

  bool m_progress;
  bool m_line_open = false;
  std::mutex m_mutex;
  std::chrono::steady_clock::time_point m_start;
  std::chrono::steady_clock::time_point m_last;
};

// One line per layer on standard error: role, digest, size, uncompressed size, files.
void print_layers(const ImageSummary& image);

// A JSON document on standard output, indented.
void print_json(const nlohmann::json& json);

} // namespace decant::cli
