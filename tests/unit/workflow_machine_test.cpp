// workflow::machine on a small fake server: list and size report without writing, an image with
// its analysis, and the refusals made before anything is written.

#include "test_support.hpp"

#include <decant/analysis/analysis.hpp>
#include <decant/workflow/machine.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

namespace decant {
namespace {

using test::TempDir;
using workflow::Event;
namespace fs = std::filesystem;

class WorkflowMachine : public ::testing::Test
{
protected:
  void
  SetUp() override
  {
    options.workspace = dir.path() + "/ws";
    options.services = false;
  }

  workflow::EventSink
  record()
  {
    return [this](const Event& event) { events.push_back(event); };
  }

  TempDir dir;
  HostRoot root = HostRoot::open(test::write_fake_server(dir, "host")).value();
  workflow::MachineImageOptions options;
  std::vector<Event> events;
};

TEST_F(WorkflowMachine, ListAndSizeReportWriteNothing)
{
  options.list = true;
  auto listed = workflow::machine(root, options, record());
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_TRUE(listed->unreadable);
  const auto& files = listed->files;
  for (const char* path : {"/etc/os-release",
                           "/usr/bin/sh",
                           "/srv/www/index.html",
                           "/.decant/init",
                           "/.decant/entrypoint.sh"}) {
    EXPECT_NE(std::find(files.begin(), files.end(), path), files.end()) << path;
  }
  EXPECT_EQ(std::find(files.begin(), files.end(), "/tmp/junk"), files.end());
  EXPECT_FALSE(listed->image);
  EXPECT_EQ(listed->analysis.application_type, "machine");

  options.list = false;
  options.size_report = true;
  auto report = workflow::machine(root, options);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_GE(report->size.files, 4u);
  EXPECT_GT(report->size.total_bytes, 0u);
  EXPECT_TRUE(report->files.empty());
  EXPECT_FALSE(fs::exists(options.workspace)) << "looking first saves no analysis";
}

TEST_F(WorkflowMachine, PacksTheImageAndSavesItsAnalysis)
{
  options.output = dir.path() + "/img";
  options.tag = "backup/web01:1";
  auto summary = workflow::machine(root, options, record());
  ASSERT_TRUE(summary) << summary.error().message;
  ASSERT_TRUE(summary->image);
  EXPECT_EQ(summary->image->reference, "backup/web01:1");
  EXPECT_TRUE(fs::exists(options.output + "/index.json"));
  EXPECT_EQ(summary->analysis_path,
            options.workspace + "/" + summary->analysis.application_id + "/analysis.json");
  auto saved = load_analysis(summary->analysis_path);
  ASSERT_TRUE(saved) << saved.error().message;
  EXPECT_TRUE(saved->extensions["machine"].contains("sizeReport"));
  auto notice = std::find_if(events.begin(), events.end(), [](const Event& e) {
    return e.kind == Event::Kind::message && e.message.find("; analysis: ") != std::string::npos;
  });
  EXPECT_NE(notice, events.end());
  for (const auto& event : events) {
    EXPECT_EQ(event.stage, workflow::Stage::machine);
  }
}

TEST_F(WorkflowMachine, RefusalsComeBeforeAnythingIsWritten)
{
  options.output = dir.path() + "/img";
  options.max_size = 1024;
  auto too_big = workflow::machine(root, options);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code, ErrorCode::aborted);
  EXPECT_FALSE(fs::exists(options.output + "/index.json"));
  EXPECT_FALSE(fs::exists(options.workspace));

  options.max_size = 0;
  dir.write("img/notes.txt", "keep me");
  auto exists = workflow::machine(root, options, record());
  ASSERT_FALSE(exists);
  EXPECT_EQ(exists.error().code, ErrorCode::output_exists);
  EXPECT_TRUE(events.empty()) << "refused before the walk";

  options.output.clear();
  EXPECT_EQ(workflow::machine(root, options).error().code, ErrorCode::usage) << "nothing to write";
  options.list = true;
  options.compression = -1;
  EXPECT_EQ(workflow::machine(root, options).error().code, ErrorCode::usage);
  options.compression = 7;
  options.output = dir.path() + "/img2";
  options.tag = "Bad Tag";
  EXPECT_EQ(workflow::machine(root, options).error().code, ErrorCode::usage);
}

} // namespace
} // namespace decant
