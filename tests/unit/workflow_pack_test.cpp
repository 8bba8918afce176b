// workflow::pack on a fixture host: --list semantics, an image layout with progress and
// warnings as events, reproducible digests, and the checks made before any work.

#include "test_support.hpp"

#include <decant/workflow/analyze.hpp>
#include <decant/workflow/pack.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <registry.hpp>

namespace decant {
namespace {

using test::TempDir;
using workflow::Event;
namespace fs = std::filesystem;

class WorkflowPack : public ::testing::Test
{
protected:
  void
  SetUp() override
  {
    workflow::AnalyzeOptions analyze;
    analyze.target = "4242";
    analyze.output = dir.path() + "/app/analysis.json";
    auto analyzed = workflow::analyze(root, analyzers(), analyze);
    ASSERT_TRUE(analyzed) << analyzed.error().message;
    options.analysis = analyzed->path;
  }

  workflow::EventSink
  record()
  {
    return [this](const Event& event) { events.push_back(event); };
  }

  size_t
  count(Event::Kind kind) const
  {
    return std::count_if(
        events.begin(), events.end(), [kind](const Event& e) { return e.kind == kind; });
  }

  HostRoot root = HostRoot::open(test::fixture("hosts/tomcat-debian")).value();
  TempDir dir;
  workflow::PackOptions options;
  std::vector<Event> events;
};

TEST_F(WorkflowPack, ListComputesTheFilesAndWritesNothing)
{
  options.list = true;
  options.output = dir.path() + "/img"; // ignored with list, as `pack --list -o` ignores it
  auto summary = workflow::pack(root, options, record());
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_FALSE(fs::exists(options.output));
  EXPECT_FALSE(summary->image);
  ASSERT_FALSE(summary->files.empty());
  EXPECT_TRUE(std::is_sorted(summary->files.begin(),
                             summary->files.end(),
                             [](const auto& a, const auto& b) { return a.path < b.path; }));
  auto passwd = std::find_if(summary->files.begin(), summary->files.end(), [](const auto& f) {
    return f.path == "/etc/passwd";
  });
  ASSERT_NE(passwd, summary->files.end());
  EXPECT_EQ(passwd->type, EntryType::regular);
  EXPECT_FALSE(passwd->reason.empty());
  EXPECT_EQ(summary->reference.substr(summary->reference.size() - 7), ":latest");

  auto json = workflow::to_json(summary->files);
  ASSERT_EQ(json.size(), summary->files.size());
  for (const char* key : {"path", "type", "role", "size", "reason"}) {
    EXPECT_TRUE(json[0].contains(key)) << key;
  }
  // The expansion's warnings (no time zone file on the fixture, ...) come as events and stay
  // in the summary.
  EXPECT_FALSE(summary->warnings.empty());
  EXPECT_EQ(count(Event::Kind::warning), summary->warnings.size());
  EXPECT_EQ(count(Event::Kind::progress), 0u);
}

TEST_F(WorkflowPack, WritesALayoutWithProgressAndReproducibleDigests)
{
  options.output = dir.path() + "/img";
  options.tag = "shop/tomcat:1.0";
  options.reproducible = true;
  auto first = workflow::pack(root, options, record());
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(first->image);
  EXPECT_TRUE(fs::exists(options.output + "/index.json"));
  EXPECT_EQ(first->image->reference, "shop/tomcat:1.0");
  EXPECT_GE(first->image->layers.size(), 4u);
  // Progress in bytes of file content: never past the total, for the pack stage.
  uint64_t last_done = 0;
  for (const auto& event : events) {
    if (event.kind == Event::Kind::progress) {
      EXPECT_EQ(event.stage, workflow::Stage::pack);
      EXPECT_LE(event.done, event.total);
      EXPECT_GT(event.total, 0u);
      last_done = event.done;
    }
  }
  EXPECT_GT(last_done, 0u);

  options.force = true;
  auto second = workflow::pack(root, options);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->image->manifest_digest, first->image->manifest_digest);
}

TEST_F(WorkflowPack, ARefusedOutputFailsBeforeTheFilesAreRead)
{
  dir.write("img/notes.txt", "keep me");
  options.output = dir.path() + "/img";
  auto refused = workflow::pack(root, options, record());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::output_exists);
  EXPECT_EQ(count(Event::Kind::warning), 0u) << "the file set was expanded first";
  options.force = true;
  auto forced = workflow::pack(root, options);
  ASSERT_FALSE(forced);
  EXPECT_EQ(forced.error().code, ErrorCode::output_exists);
  EXPECT_TRUE(fs::exists(dir.path() + "/img/notes.txt"));

  options.output.clear();
  options.rootfs = dir.path() + "/img";
  auto rootfs = workflow::pack(root, options);
  ASSERT_FALSE(rootfs);
  EXPECT_EQ(rootfs.error().code, ErrorCode::output_exists);
}

TEST_F(WorkflowPack, OptionsAreCheckedFirst)
{
  options.output = dir.path() + "/img";
  options.compression = 11;
  EXPECT_EQ(workflow::pack(root, options).error().code, ErrorCode::usage);
  options.compression = 7;
  options.output.clear();
  EXPECT_EQ(workflow::pack(root, options).error().code, ErrorCode::usage) << "nothing to write";
  options.list = true;
  options.tag = "Bad/Name:1";
  EXPECT_EQ(workflow::pack(root, options).error().code, ErrorCode::usage);
  options.analysis = dir.path() + "/missing.json";
  EXPECT_EQ(workflow::pack(root, options).error().code, ErrorCode::not_found);
  EXPECT_FALSE(fs::exists(dir.path() + "/img"));
}

TEST_F(WorkflowPack, ATagOutsideTheStrictRuleWarnsOrFails)
{
  options.list = true;
  options.tag = "app:V1";
  auto warned = workflow::pack(root, options, record());
  ASSERT_TRUE(warned) << warned.error().message;
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].kind, Event::Kind::warning);
  EXPECT_NE(events[0].message.find("tag \"V1\""), std::string::npos) << events[0].message;
  options.strict_tags = true;
  auto refused = workflow::pack(root, options);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::usage);
}

TEST_F(WorkflowPack, RootfsIsWrittenAndReplacedWithForce)
{
  options.rootfs = dir.path() + "/rootfs";
  auto first = workflow::pack(root, options);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->rootfs, options.rootfs);
  EXPECT_FALSE(first->image);
  EXPECT_TRUE(fs::exists(options.rootfs + "/etc/passwd"));
  EXPECT_TRUE(fs::exists(options.rootfs + "/.decant-rootfs"));
  EXPECT_EQ(workflow::pack(root, options).error().code, ErrorCode::output_exists);
  options.force = true;
  EXPECT_TRUE(workflow::pack(root, options));
}

} // namespace
} // namespace decant
