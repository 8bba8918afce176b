// workflow::generate: manifests written atomically into one directory, the output-directory
// rule, and what only the source host's file system can give.

#include "test_support.hpp"

#include <decant/analysis/analysis.hpp>
#include <decant/workflow/generate.hpp>

#include <gtest/gtest.h>

#include <filesystem>

namespace decant {
namespace {

// The library knows no analyzer: a program that reads analyses of an analyzer's type registers
// it, as the analyzers' registrar does (these tests link the library alone).
const bool k_types_registered = (register_application_type("java-tomcat"), true);

using test::TempDir;
using workflow::Event;
namespace fs = std::filesystem;

class WorkflowGenerate : public ::testing::Test
{
protected:
  void
  SetUp() override
  {
    options.analysis = test::fixture("deploy/tomcat/analysis.json");
    options.image = "127.0.0.1:5000/shop/tomcat:1.0";
    options.output = dir.path() + "/deploy";
  }

  TempDir dir;
  Result<HostRoot> source = HostRoot::open(test::fixture("deploy/tomcat-host"));
  workflow::GenerateOptions options;
};

TEST_F(WorkflowGenerate, WritesTheManifestsAndNamesThem)
{
  std::vector<Event> events;
  auto summary = workflow::generate(
      source, options, [&events](const Event& event) { events.push_back(event); });
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_EQ(summary->output, options.output);
  ASSERT_FALSE(summary->manifests.empty());
  for (const auto& file : summary->manifests) {
    EXPECT_EQ(file.rfind(options.output + "/kubernetes/", 0), 0u) << file;
    EXPECT_TRUE(fs::exists(file)) << file;
  }
  EXPECT_TRUE(fs::exists(options.output + "/kubernetes/kustomization.yaml"));
  EXPECT_TRUE(summary->dockerfile.empty());
  EXPECT_EQ(fs::status(options.output + "/kubernetes/secret.yaml").permissions()
                & fs::perms::others_read,
            fs::perms::none);
  EXPECT_EQ(events.size(), summary->warnings.size());
  // Nothing left beside it.
  for (const auto& item : fs::directory_iterator(dir.path())) {
    EXPECT_EQ(item.path().filename(), "deploy");
  }
}

TEST_F(WorkflowGenerate, AnExistingOutputNeedsForceAndForceKeepsForeignFiles)
{
  ASSERT_TRUE(workflow::generate(source, options));
  auto again = workflow::generate(source, options);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::output_exists);
  options.force = true;
  ASSERT_TRUE(workflow::generate(source, options));
  dir.write("deploy/NOTES.txt", "the operator's");
  auto foreign = workflow::generate(source, options);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::output_exists);
  EXPECT_TRUE(fs::exists(options.output + "/NOTES.txt"));
  EXPECT_TRUE(fs::exists(options.output + "/kubernetes/deployment.yaml"));

  dir.write("file", "x");
  options.output = dir.path() + "/file";
  auto file = workflow::generate(source, options);
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().code, ErrorCode::output_exists);
}

TEST_F(WorkflowGenerate, ExternalizedSecretsComeFromTheSourceHostOnly)
{
  options.externalize_secrets = true;
  auto summary = workflow::generate(source, options);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_TRUE(fs::exists(options.output + "/kubernetes/secret-files.yaml"));

  TempDir other;
  other.write("etc/hostname", "elsewhere\n");
  options.output = dir.path() + "/other";
  auto refused = workflow::generate(HostRoot::open(other.path()), options);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::usage);
  EXPECT_NE(refused.error().message.find("source host shop-web-01"), std::string::npos);
  EXPECT_NE(refused.error().message.find("elsewhere"), std::string::npos);
  auto unreadable = workflow::generate(HostRoot::open(other.path() + "/missing"), options);
  ASSERT_FALSE(unreadable);
  EXPECT_NE(unreadable.error().message.find("cannot be read"), std::string::npos);
  EXPECT_FALSE(fs::exists(options.output));
}

TEST_F(WorkflowGenerate, BadOptionsWriteNothing)
{
  auto expect = [&](ErrorCode code) {
    auto summary = workflow::generate(source, options);
    ASSERT_FALSE(summary);
    EXPECT_EQ(summary.error().code, code) << summary.error().message;
    EXPECT_FALSE(fs::exists(options.output));
  };
  options.image.clear();
  expect(ErrorCode::usage);
  options.image = "Bad Ref";
  expect(ErrorCode::usage);
  options.image = "r.io/a:1";
  options.replicas = -1;
  expect(ErrorCode::usage);
  options.replicas = 1;
  options.memory_limit = "lots";
  expect(ErrorCode::usage);
  options.memory_limit.clear();
  options.oci = dir.path() + "/none";
  expect(ErrorCode::not_found);
  options.oci.clear();
  options.analysis = dir.write("broken.json", "{\"schemaVersion\": 1}");
  expect(ErrorCode::invalid_input);
}

} // namespace
} // namespace decant
