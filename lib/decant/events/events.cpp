#include <decant/events/events.hpp>

namespace decant::workflow {

const char*
to_string(Stage stage)
{
  switch (stage) {
  case Stage::inventory:
    return "inventory";
  case Stage::analyze:
    return "analyze";
  case Stage::pack:
    return "pack";
  case Stage::push:
    return "push";
  case Stage::generate:
    return "generate";
  case Stage::machine:
    return "machine";
  case Stage::verify:
    return "verify";
  case Stage::checksum:
    return "checksum";
  case Stage::migrate:
    return "migrate";
  }
  return "unknown";
}

void
Events::message(std::string text) const
{
  Event event;
  event.kind = Event::Kind::message;
  event.message = std::move(text);
  send(std::move(event));
}

void
Events::warning(std::string code, std::string text) const
{
  Event event;
  event.kind = Event::Kind::warning;
  event.code = std::move(code);
  event.message = std::move(text);
  send(std::move(event));
}

void
Events::progress(uint64_t done, uint64_t total) const
{
  Event event;
  event.kind = Event::Kind::progress;
  event.done = done;
  event.total = total;
  send(std::move(event));
}

void
Events::send(Event event) const
{
  if (m_sink) {
    event.stage = m_stage;
    m_sink(event);
  }
}

nlohmann::json
to_json(const Event& event)
{
  const char* kinds[] = {"message", "warning", "progress"};
  nlohmann::json out = {{"stage", to_string(event.stage)},
                        {"event", kinds[static_cast<int>(event.kind)]}};
  if (!event.code.empty()) {
    out["code"] = event.code;
  }
  if (!event.message.empty()) {
    out["message"] = event.message;
  }
  if (event.kind == Event::Kind::progress) {
    out["done"] = event.done;
    out["total"] = event.total;
    if (event.items > 0) {
      out["item"] = event.item;
      out["items"] = event.items;
    }
    if (event.bytes_per_second > 0) {
      out["bytesPerSecond"] = event.bytes_per_second;
    }
  }
  return out;
}

} // namespace decant::workflow
