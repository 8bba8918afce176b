#include <decant/analyzer/analyzer.hpp>

#include <gtest/gtest.h>

#include <registry.hpp>
#include <set>

using namespace decant;

TEST(Registry, IdsAreUniqueAndNamed)
{
  std::set<std::string> ids;
  for (const auto& analyzer : analyzers()) {
    const auto& info = analyzer->info();
    EXPECT_FALSE(info.id.empty());
    EXPECT_FALSE(info.description.empty()) << info.id;
    EXPECT_TRUE(ids.insert(info.id).second) << "duplicate analyzer id " << info.id;
  }
  EXPECT_FALSE(ids.empty());
  EXPECT_NE(supported_application_types().find("dotnet-aspnetcore"), std::string::npos);
}
