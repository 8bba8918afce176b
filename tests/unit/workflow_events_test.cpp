// workflow::Events and the JSON form of an event (JSON-lines output for programs).

#include <decant/events/events.hpp>

#include <gtest/gtest.h>

namespace decant::workflow {
namespace {

TEST(WorkflowEvents, SentWithTheirStageAndNothingWithoutASink)
{
  std::vector<Event> got;
  EventSink sink = [&got](const Event& event) { got.push_back(event); };
  Events events(Stage::push, sink);
  events.message("pushing");
  events.warning("slow", "the registry is slow");
  events.progress(5, 10);
  ASSERT_EQ(got.size(), 3u);
  for (const auto& event : got) {
    EXPECT_EQ(event.stage, Stage::push);
  }
  EXPECT_EQ(got[1].code, "slow");
  EXPECT_EQ(got[2].done, 5u);
  EXPECT_EQ(got[2].total, 10u);

  EventSink none;
  Events silent(Stage::pack, none);
  silent.message("nobody listens"); // no crash, nothing to see
}

TEST(WorkflowEvents, JsonNamesTheStageAndOmitsWhatIsEmpty)
{
  Event progress;
  progress.kind = Event::Kind::progress;
  progress.stage = Stage::push;
  progress.message = "sha256:ab";
  progress.done = 512;
  progress.total = 1024;
  progress.item = 2;
  progress.items = 5;
  progress.bytes_per_second = 128;
  EXPECT_EQ(to_json(progress),
            nlohmann::json::parse(R"({"stage":"push","event":"progress","message":"sha256:ab",
              "done":512,"total":1024,"item":2,"items":5,"bytesPerSecond":128.0})"));
  Event warning;
  warning.kind = Event::Kind::warning;
  warning.stage = Stage::pack;
  warning.code = "runtime-not-trimmed";
  warning.message = "packed whole";
  EXPECT_EQ(to_json(warning), nlohmann::json::parse(R"({"stage":"pack","event":"warning",
              "code":"runtime-not-trimmed","message":"packed whole"})"));
  EXPECT_STREQ(to_string(Stage::machine), "machine");
}

} // namespace
} // namespace decant::workflow
