// runtimeconfig.json and .NET-flavoured JSON: comments, trailing commas, error positions, the
// frameworks a process maps, and the host's roll-forward rules.
#include "aspnet/dotnet_json.hpp"
#include "aspnet/runtime_config.hpp"
#include "test_support.hpp"

#include <decant/util/fs.hpp>

#include <gtest/gtest.h>

using namespace decant;
using namespace decant::aspnet;

namespace {

std::string
config_file(const std::string& name)
{
  return read_file(test::fixture("configs/aspnet/" + name)).value();
}

} // namespace

TEST(AspnetRuntimeConfig, ParsesEveryCorpusShape)
{
  struct Case {
    const char* file;
    const char* tfm;
    int major;
    bool aspnet;
    bool self_contained;
    size_t frameworks;
  };
  const Case cases[] = {
      {"cf-netcoreapp3.1-fdd.runtimeconfig.json", "netcoreapp3.1", 3, true, false, 1},
      {"cf-netcoreapp3.1-selfcontained.runtimeconfig.json", "netcoreapp3.1", 3, true, true, 0},
      {"paketo-net5.0-fdd-rid.runtimeconfig.json", "net5.0", 5, true, false, 1},
      {"cf-net6.0-fdd.runtimeconfig.json", "net6.0", 6, true, false, 2},
      {"cf-net6.0-selfcontained-blazor.runtimeconfig.json", "net6.0", 6, true, true, 0},
      {"paketo-net7.0-fde.runtimeconfig.json", "net7.0", 7, true, false, 2},
      {"cf-net8.0-fdd.runtimeconfig.json", "net8.0", 8, true, false, 2},
      {"cf-net8.0-selfcontained-blazor.runtimeconfig.json", "net8.0", 8, true, true, 0},
      {"paketo-net9.0-fde.runtimeconfig.json", "net9.0", 9, true, false, 2},
      {"paketo-netcoreapp3.1-console-netcoreapp-only.runtimeconfig.json",
       "netcoreapp3.1",
       3,
       false,
       false,
       1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    auto config = parse_runtime_config(config_file(c.file), c.file);
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_EQ(config->tfm, c.tfm);
    EXPECT_EQ(tfm_major(config->tfm), c.major);
    EXPECT_EQ(config->references(k_aspnetcore_app), c.aspnet);
    EXPECT_EQ(config->self_contained(), c.self_contained);
    EXPECT_EQ(config->frameworks.size(), c.frameworks);
    EXPECT_EQ(config->roll_forward, "Minor");
  }
}

TEST(AspnetRuntimeConfig, AcceptsCommentsLikeTheHost)
{
  auto config =
      parse_runtime_config(config_file("cf-netcoreapp2.1-with-comments.runtimeconfig.json"),
                           "with-comments.runtimeconfig.json");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->tfm, "netcoreapp2.1");
  ASSERT_EQ(config->frameworks.size(), 1u);
  EXPECT_EQ(config->frameworks[0].name, "Microsoft.AspNetCore.App");
  EXPECT_EQ(config->frameworks[0].version, "2.1.0");
  EXPECT_TRUE(config->config_properties["System.GC.Server"].get<bool>());
}

TEST(AspnetRuntimeConfig, ReadsRollForwardSettings)
{
  auto modern = parse_runtime_config(
      R"({"runtimeOptions":{"tfm":"net6.0","rollForward":"LatestMajor",
          "framework":{"name":"Microsoft.AspNetCore.App","version":"6.0.0"}}})",
      "a.json");
  ASSERT_TRUE(modern);
  EXPECT_EQ(modern->roll_forward, "LatestMajor");
  auto legacy = parse_runtime_config(
      R"({"runtimeOptions":{"rollForwardOnNoCandidateFx":2,
          "framework":{"name":"Microsoft.NETCore.App","version":"3.1.0"}}})",
      "b.json");
  ASSERT_TRUE(legacy);
  EXPECT_EQ(legacy->roll_forward, "Major");
}

TEST(AspnetRuntimeConfig, MalformedFileNamesFileLineAndColumn)
{
  std::string text =
      "{\n  \"runtimeOptions\": {\n    \"tfm\": \"net8.0\"\n    \"framework\": {}\n  }\n}\n";
  auto config = parse_runtime_config(text, "/srv/app/App.runtimeconfig.json");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, ErrorCode::invalid_input);
  EXPECT_NE(config.error().message.find("/srv/app/App.runtimeconfig.json:4:"), std::string::npos)
      << config.error().message;
  EXPECT_FALSE(config.error().hint.empty());
}

TEST(AspnetRuntimeConfig, RejectsStructuralProblemsWithTheField)
{
  auto no_options = parse_runtime_config(R"({"tfm":"net8.0"})", "x.json");
  ASSERT_FALSE(no_options);
  EXPECT_NE(no_options.error().message.find("runtimeOptions"), std::string::npos);
  auto bad_frameworks =
      parse_runtime_config(R"({"runtimeOptions":{"frameworks":[{"version":"8.0.0"}]}})", "x.json");
  ASSERT_FALSE(bad_frameworks);
  EXPECT_NE(bad_frameworks.error().message.find("runtimeOptions.frameworks[0]"), std::string::npos)
      << bad_frameworks.error().message;
}

TEST(AspnetDotnetJson, TrailingCommasAndBomAreAccepted)
{
  auto json = parse_dotnet_json(
      "\xEF\xBB\xBF{ \"a\": [1, 2, ], /* c */ \"b\": { \"c\": \"x,]\", }, }", "appsettings.json");
  ASSERT_TRUE(json) << json.error().message;
  EXPECT_EQ((*json)["a"].size(), 2u);
  EXPECT_EQ((*json)["b"]["c"], "x,]");
}

TEST(AspnetDotnetJson, BlankTrailingCommasKeepsPositions)
{
  EXPECT_EQ(blank_trailing_commas("[1,]"), "[1 ]");
  EXPECT_EQ(blank_trailing_commas("{\"a\":1, // x\n}"), "{\"a\":1  // x\n}");
  EXPECT_EQ(blank_trailing_commas("[\",]\"]"), "[\",]\"]");
  EXPECT_EQ(blank_trailing_commas("[1,2]"), "[1,2]");
}

TEST(AspnetDotnetJson, LineOfKeyFollowsTheSectionPath)
{
  std::string text = config_file("yarp-testassets-config.appsettings.json");
  EXPECT_EQ(line_of_key(text, "Kestrel:Endpoints:http:Url"), 16u);
  EXPECT_EQ(line_of_key(text, "kestrel:endpoints:HTTPS:url"), 13u);
  EXPECT_EQ(line_of_key(text, "Kestrel:Nothing"), 0u);
}

TEST(AspnetFrameworks, FromMapsFindsSharedFrameworksAndHostFxr)
{
  std::vector<std::string> files = {
      "/usr/share/dotnet/dotnet",
      "/usr/share/dotnet/host/fxr/8.0.11/libhostfxr.so",
      "/usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.11/libcoreclr.so",
      "/usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.11/System.Runtime.dll",
      "/usr/share/dotnet/shared/Microsoft.AspNetCore.App/8.0.11/Microsoft.AspNetCore.dll",
      "/srv/app/App.dll",
  };
  auto frameworks = frameworks_from_maps(files);
  ASSERT_EQ(frameworks.size(), 2u);
  EXPECT_EQ(frameworks[0].name, "Microsoft.NETCore.App");
  EXPECT_EQ(frameworks[0].version, "8.0.11");
  EXPECT_EQ(frameworks[0].directory, "/usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.11");
  EXPECT_EQ(frameworks[1].name, "Microsoft.AspNetCore.App");
  auto fxr = hostfxr_from_maps(files);
  ASSERT_TRUE(fxr);
  EXPECT_EQ(fxr->version, "8.0.11");
  EXPECT_EQ(fxr->dotnet_root, "/usr/share/dotnet");
  EXPECT_FALSE(hostfxr_from_maps({"/opt/app/App", "/usr/lib/libc.so.6"}));
}

TEST(AspnetFrameworks, RollForwardFollowsTheHostRules)
{
  const std::vector<std::string> installed = {
      "6.0.5", "6.0.36", "7.0.20", "8.0.0-rc.2.23479.6", "8.0.11", "9.0.0"};
  struct Case {
    const char* requested;
    const char* policy;
    const char* expected; // "" = none
  };
  const Case cases[] = {
      {"6.0.0", "Minor", "6.0.36"}, // same major.minor: latest patch
      {"6.0.0", "LatestPatch", "6.0.36"},
      {"6.1.0", "Minor", ""},       // no 6.x >= 6.1
      {"6.1.0", "Major", "7.0.20"}, // lowest higher major, then its latest patch
      {"6.0.0", "LatestMinor", "6.0.36"},
      {"6.0.0", "LatestMajor", "9.0.0"},
      {"6.0.5", "Disable", "6.0.5"},
      {"6.0.6", "Disable", ""},
      {"8.0.0", "Minor", "8.0.11"}, // a release never rolls onto 8.0.0-rc
      {"5.0.0", "Minor", ""},
      {"5.0.0", "Major", "6.0.36"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.requested) + " " + c.policy);
    auto got = resolve_roll_forward(c.requested, c.policy, installed);
    EXPECT_EQ(got.value_or(""), c.expected);
  }
  EXPECT_LT(compare_versions("8.0.0-rc.2", "8.0.0"), 0);
  EXPECT_GT(compare_versions("8.0.11", "8.0.9"), 0);
}
