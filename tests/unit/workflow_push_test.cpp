// workflow::push: an image packed from a fixture host through the workflow, pushed to a small
// in-memory registry (tests/e2e/lib/fake_registry.py on a free port), and the option checks
// made before any request.

#include "test_support.hpp"

#include <decant/workflow/analyze.hpp>
#include <decant/workflow/pack.hpp>
#include <decant/workflow/push.hpp>

#include <gtest/gtest.h>

#include <registry.hpp>

namespace decant {
namespace {

using test::FakeRegistry;
using test::TempDir;
using workflow::Event;

TEST(WorkflowPush, PacksAndPushesAFixtureApplicationThroughTheLibrary)
{
  if (::system("command -v python3 >/dev/null") != 0) {
    GTEST_SKIP() << "python3 is not installed: it runs the test registry";
  }
  TempDir dir;
  auto root = HostRoot::open(test::fixture("hosts/tomcat-debian")).value();
  workflow::AnalyzeOptions analyze;
  analyze.target = "4242";
  analyze.output = dir.path() + "/app/analysis.json";
  auto analyzed = workflow::analyze(root, analyzers(), analyze);
  ASSERT_TRUE(analyzed) << analyzed.error().message;
  workflow::PackOptions pack;
  pack.analysis = analyzed->path;
  pack.output = dir.path() + "/img";
  auto packed = workflow::pack(root, pack);
  ASSERT_TRUE(packed) << packed.error().message;

  FakeRegistry registry(dir.path() + "/registry.log");
  ASSERT_TRUE(registry.ready()) << "the test registry did not start";
  workflow::PushOptions options;
  options.layout = pack.output;
  options.reference = registry.address() + "/shop/tomcat:1.0";
  options.insecure = true;
  options.state_file = "";
  std::vector<Event> events;
  auto pushed = workflow::push(options, [&events](const Event& event) { events.push_back(event); });
  ASSERT_TRUE(pushed) << pushed.error().message;
  EXPECT_EQ(pushed->reference, registry.address() + "/shop/tomcat:1.0");
  EXPECT_EQ(pushed->image, pushed->reference + "@" + packed->image->manifest_digest);
  EXPECT_EQ(pushed->outcome.blobs.size(), packed->image->layers.size() + 1);
  EXPECT_GT(pushed->outcome.bytes_uploaded, 0u);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].kind, Event::Kind::message);
  EXPECT_EQ(events[0].message.rfind("pushing " + pack.output + " (", 0), 0u) << events[0].message;
  for (const auto& event : events) {
    EXPECT_EQ(event.stage, workflow::Stage::push);
    if (event.kind == Event::Kind::progress) {
      EXPECT_LE(event.done, event.total);
      EXPECT_GE(event.item, 1u);
      EXPECT_LE(event.item, event.items);
    }
  }

  // Again: the registry has every blob, nothing is sent.
  auto again = workflow::push(options);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->outcome.bytes_uploaded, 0u);
  EXPECT_EQ(again->image, pushed->image);
}

TEST(WorkflowPush, OptionsAreCheckedBeforeAnyRequest)
{
  auto code = [](const workflow::PushOptions& options) {
    auto pushed = workflow::push(options);
    EXPECT_FALSE(pushed);
    return pushed ? ErrorCode::failure : pushed.error().code;
  };
  workflow::PushOptions options;
  options.layout = "/nonexistent/decant/layout";
  options.reference = "127.0.0.1:1/a:1";
  options.limit_mbps = 0;
  EXPECT_EQ(code(options), ErrorCode::usage);
  options.limit_mbps.reset();
  options.retries = -1;
  EXPECT_EQ(code(options), ErrorCode::usage);
  options.retries = 5;
  options.chunk_mb = 0;
  EXPECT_EQ(code(options), ErrorCode::usage);
  options.chunk_mb = 8;
  options.password = "secret";
  EXPECT_EQ(code(options), ErrorCode::usage) << "a password needs a user name";
  options.password.reset();
  options.username = "ci";
  auto no_password = workflow::push(options);
  ASSERT_FALSE(no_password);
  EXPECT_EQ(no_password.error().message, "--username needs --password-stdin");
  options.username.clear();
  options.reference = "Bad Ref";
  EXPECT_EQ(code(options), ErrorCode::usage);
  options.reference = "127.0.0.1:1/a:1";
  EXPECT_EQ(code(options), ErrorCode::not_found) << "the layout is read before the registry";
}

} // namespace
} // namespace decant
