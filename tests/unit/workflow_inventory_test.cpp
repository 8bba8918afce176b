// workflow::inventory on fixture hosts: what `decant inventory` lists, through the library API.

#include "test_support.hpp"

#include <decant/workflow/inventory.hpp>

#include <gtest/gtest.h>

#include <registry.hpp>

namespace decant {
namespace {

TEST(WorkflowInventory, ListsEveryRecognizedProcessWithItsId)
{
  auto root = HostRoot::open(test::fixture("hosts/tomcat-two-instances")).value();
  auto summary = workflow::inventory(root, analyzers());
  ASSERT_TRUE(summary) << summary.error().message;
  ASSERT_EQ(summary->entries.size(), 2u);
  EXPECT_EQ(summary->entries[0].pid, 4401);
  EXPECT_EQ(summary->entries[1].pid, 4402);
  EXPECT_NE(summary->entries[0].identity.application_id,
            summary->entries[1].identity.application_id);
  EXPECT_NE(summary->supported.find("java-tomcat"), std::string::npos);

  auto json = workflow::to_json(*summary);
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[1]["pid"], 4402);
  EXPECT_EQ(json[1]["applicationType"], "java-tomcat");
  EXPECT_EQ(json[1]["path"], "/srv/tomcat/blog");
  EXPECT_EQ(json[1]["applicationId"], summary->entries[1].identity.application_id);
  EXPECT_TRUE(json[1]["ports"].is_array());
  EXPECT_FALSE(json[1].contains("error"));
}

TEST(WorkflowInventory, TheAnalyzerListIsTheCallers)
{
  // The library knows no analyzer: with an empty list nothing is recognized.
  auto root = HostRoot::open(test::fixture("hosts/tomcat-two-instances")).value();
  AnalyzerList none;
  auto summary = workflow::inventory(root, none);
  ASSERT_TRUE(summary);
  EXPECT_TRUE(summary->entries.empty());
  EXPECT_EQ(summary->supported, "(none)");
  EXPECT_EQ(workflow::to_json(*summary), nlohmann::json::array());
}

} // namespace
} // namespace decant
