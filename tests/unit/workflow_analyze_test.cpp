// workflow::analyze on fixture hosts: the process found by PID or id, analyzed, checked for a
// restart and written where `decant analyze` writes it; warnings and the notice as events.

#include "test_support.hpp"

#include <decant/analysis/analysis.hpp>
#include <decant/workflow/analyze.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <registry.hpp>

namespace decant {
namespace {

using test::TempDir;
using workflow::Event;

struct Recorded {
  std::vector<Event> events;
  workflow::EventSink
  sink()
  {
    return [this](const Event& event) { events.push_back(event); };
  }
};

class WorkflowAnalyze : public ::testing::Test
{
protected:
  HostRoot root = HostRoot::open(test::fixture("hosts/tomcat-debian")).value();
  TempDir dir;
};

TEST_F(WorkflowAnalyze, AnalyzesAPidIntoTheWorkspace)
{
  workflow::AnalyzeOptions options;
  options.target = "4242";
  options.workspace = dir.path() + "/ws";
  Recorded recorded;
  auto summary = workflow::analyze(root, analyzers(), options, recorded.sink());
  ASSERT_TRUE(summary) << summary.error().message;
  const Analysis& analysis = summary->analysis;
  EXPECT_EQ(analysis.application_type, "java-tomcat");
  EXPECT_EQ(summary->analyzer, "java-tomcat");
  EXPECT_EQ(summary->pid, 4242);
  EXPECT_GT(summary->start_time, 0u);
  EXPECT_EQ(summary->path, options.workspace + "/" + analysis.application_id + "/analysis.json");
  struct stat st {
  };
  ASSERT_EQ(::stat((options.workspace + "/" + analysis.application_id).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u) << "secrets.json lives there";
  auto saved = load_analysis(summary->path);
  ASSERT_TRUE(saved) << saved.error().message;
  EXPECT_EQ(to_json(*saved), to_json(analysis));

  // First the notice, then each of the analysis' warnings, all of the analyze stage.
  ASSERT_EQ(recorded.events.size(), 1 + analysis.warnings.size());
  EXPECT_EQ(recorded.events[0].kind, Event::Kind::message);
  EXPECT_EQ(recorded.events[0].message, "analyzing PID 4242 with the java-tomcat analyzer");
  for (size_t i = 0; i < analysis.warnings.size(); ++i) {
    const Event& event = recorded.events[i + 1];
    EXPECT_EQ(event.kind, Event::Kind::warning);
    EXPECT_EQ(event.stage, workflow::Stage::analyze);
    EXPECT_EQ(event.code, analysis.warnings[i].code);
    EXPECT_EQ(event.message, analysis.warnings[i].message);
  }
}

TEST_F(WorkflowAnalyze, AnApplicationIdFindsItsPidAndOutputMakesItsDirectory)
{
  workflow::AnalyzeOptions by_pid;
  by_pid.target = "4242";
  by_pid.output = dir.path() + "/a/analysis.json";
  auto first = workflow::analyze(root, analyzers(), by_pid);
  ASSERT_TRUE(first) << first.error().message;

  workflow::AnalyzeOptions by_id;
  by_id.target = first->analysis.application_id;
  by_id.output = dir.path() + "/deeper/b/analysis.json";
  auto second = workflow::analyze(root, analyzers(), by_id);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->pid, 4242);
  EXPECT_EQ(second->path, by_id.output);
  EXPECT_TRUE(std::filesystem::exists(by_id.output));
}

TEST_F(WorkflowAnalyze, BadTargetsFailWithTheirExitCodes)
{
  auto run = [&](workflow::AnalyzeOptions options, const AnalyzerList& list) {
    options.workspace = dir.path() + "/ws";
    auto summary = workflow::analyze(root, list, options);
    EXPECT_FALSE(summary);
    return summary ? ErrorCode::failure : summary.error().code;
  };
  workflow::AnalyzeOptions none;
  EXPECT_EQ(run(none, analyzers()), ErrorCode::usage);
  workflow::AnalyzeOptions exclude;
  exclude.target = "4242";
  exclude.exclude = {"/srv"};
  EXPECT_EQ(run(exclude, analyzers()), ErrorCode::usage) << "--exclude is for --machine";
  workflow::AnalyzeOptions machine_and_target;
  machine_and_target.machine = true;
  machine_and_target.target = "4242";
  EXPECT_EQ(run(machine_and_target, analyzers()), ErrorCode::usage);
  workflow::AnalyzeOptions missing;
  missing.target = "9999";
  EXPECT_EQ(run(missing, analyzers()), ErrorCode::not_found);
  workflow::AnalyzeOptions unknown_id;
  unknown_id.target = "java-tomcat-00000000";
  EXPECT_EQ(run(unknown_id, analyzers()), ErrorCode::not_found);
  workflow::AnalyzeOptions pid;
  pid.target = "4242";
  AnalyzerList no_analyzers;
  EXPECT_EQ(run(pid, no_analyzers), ErrorCode::unsupported);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/ws")) << "a failed analysis writes nothing";
}

} // namespace
} // namespace decant
