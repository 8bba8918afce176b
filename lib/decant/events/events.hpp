#pragma once

// What a workflow stage tells its caller while it works: lines for the operator, warnings, and
// progress. The stages never print; the CLI turns events into lines on standard error, a job
// runner records them, an agent program does what it likes. A progress event carries the bytes
// done and in all, from which a caller computes the rate and the time left
// ((total - done) / rate).
//
// Its own folder, below every stage: verify/ reports through it and workflow/ runs verify, so it
// cannot live in workflow/ (no include cycles between lib/ folders). The namespace stays
// decant::workflow, the stages' namespace, since the events are the workflow's protocol.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace decant::workflow {

// checksum: migrate --checksum reading the packed files again on the source; migrate: the job
// itself (created, waiting, stopped, finished).
enum class Stage { inventory, analyze, pack, push, generate, machine, verify, checksum, migrate };

// "inventory", "analyze", ...
const char* to_string(Stage stage);

struct Event {
  enum class Kind {
    message,  // a line for the operator ("analyzing PID 1234 with the java-tomcat analyzer")
    warning,  // something the operator should know; the work goes on
    progress, // bytes done so far
  };
  Kind kind = Kind::message;
  Stage stage = Stage::analyze;
  std::string code;    // warning: its stable code ("runtime-not-trimmed"); may be empty
  std::string message; // message, warning: the text; progress: the part in work (a blob digest)
  uint64_t done = 0;   // progress: bytes of this stage done so far
  uint64_t total = 0;  // progress: bytes in all; 0 while not known
  size_t item = 0;     // progress: which part is in work (blob 2 of 5), 1-based; 0 = none
  size_t items = 0;
  double bytes_per_second = 0; // progress: the stage's own measure (push: over the last few
                               // seconds, following --limit-mbps); 0 = none, compute it
};

// Called from the thread doing the work (pack: one of its layer threads), never twice at once.
using EventSink = std::function<void(const Event&)>;

// What the stages use to send events: nothing happens without a sink.
class Events
{
public:
  Events(Stage stage, const EventSink& sink)
      : m_stage(stage),
        m_sink(sink)
  {
  }

  void message(std::string text) const;
  void warning(std::string code, std::string text) const;
  void progress(uint64_t done, uint64_t total) const;
  // Any event; its stage is set to this stage.
  void send(Event event) const;

private:
  Stage m_stage;
  const EventSink& m_sink;
};

// One event as a JSON object, for JSON-lines output:
// {"stage", "event": "message"|"warning"|"progress", "code", "message", "done", "total",
//  "item", "items", "bytesPerSecond"} (absent when empty or zero).
nlohmann::json to_json(const Event& event);

} // namespace decant::workflow
