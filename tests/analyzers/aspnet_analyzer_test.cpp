// The ASP.NET Core analyzer on fake host trees (fixtures/hosts/aspnet-*, built by
// fixtures/hosts/aspnet-generate.py from the real configs in fixtures/configs/aspnet): golden
// analysis.json per .NET version and launch shape, identities, and every bad-input error.
//
// DECANT_UPDATE_GOLDEN=1 rewrites expected/analysis.json and expected/secrets.json; review the
// diff before committing it.
#include "aspnet/aspnet_analyzer.hpp"
#include "aspnet/dotnet_launch.hpp"
#include "aspnet/web_config.hpp"
#include "golden.hpp"
#include "test_support.hpp"

#include <decant/proc/process.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/strings.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>

using namespace decant;
using namespace decant::aspnet;

namespace {

struct Scenario {
  const char* host;
  int pid;
};

const Scenario k_scenarios[] = {
    {"aspnet-3.1-muxer", 3101},
    {"aspnet-3.1-selfcontained", 3201},
    {"aspnet-5.0-apphost", 5001},
    {"aspnet-6.0-muxer", 6001},
    {"aspnet-6.0-selfcontained", 6101},
    {"aspnet-7.0-apphost", 7001},
    {"aspnet-8.0-muxer", 8001},
    {"aspnet-8.0-selfcontained", 8101},
};

Result<Analysis>
analyze_at(const std::string& root_dir, int pid)
{
  return test::analyze_fixture(*make_aspnet_analyzer(), root_dir, pid);
}

// What may differ between runs: the time, and the CPU count of the machine running the test.
nlohmann::json
stable(nlohmann::json json)
{
  json.erase("createdAt");
  json["resources"].erase("cpus");
  return json;
}

void
remove_lines_containing(const std::string& path, const std::string& needle)
{
  std::string content = read_file(path).value();
  std::string out;
  for (const auto& line : split(content, '\n')) {
    if (line.find(needle) == std::string::npos) {
      out += line + "\n";
    }
  }
  std::ofstream(path, std::ios::binary | std::ios::trunc) << out;
}

} // namespace

class AspnetGolden : public ::testing::TestWithParam<Scenario>
{
};

TEST_P(AspnetGolden, MatchesExpectedAnalysis)
{
  const Scenario& s = GetParam();
  std::string host = test::fixture(std::string("hosts/") + s.host);
  auto analysis = analyze_at(host, s.pid);
  ASSERT_TRUE(analysis) << analysis.error().message;
  test::expect_golden_analysis(host, *analysis, stable);
}

INSTANTIATE_TEST_SUITE_P(Hosts,
                         AspnetGolden,
                         ::testing::ValuesIn(k_scenarios),
                         [](const ::testing::TestParamInfo<Scenario>& info) {
                           return test::golden_test_name(info.param.host);
                         });

TEST(AspnetAnalyzer, VersionsShapesAndFrameworksInUse)
{
  struct Case {
    const char* host;
    int pid;
    const char* tfm;
    const char* launch;
    const char* aspnet_version; // in use, not requested
  };
  const Case cases[] = {
      {"aspnet-3.1-muxer", 3101, "netcoreapp3.1", "muxer", "3.1.32"},
      {"aspnet-3.1-selfcontained", 3201, "netcoreapp3.1", "self-contained", "3.1.17"},
      {"aspnet-5.0-apphost", 5001, "net5.0", "apphost", "5.0.17"},
      {"aspnet-6.0-muxer", 6001, "net6.0", "muxer", "6.0.36"},
      {"aspnet-6.0-selfcontained", 6101, "net6.0", "self-contained", "6.0.1"},
      {"aspnet-7.0-apphost", 7001, "net7.0", "apphost", "7.0.20"},
      {"aspnet-8.0-muxer", 8001, "net8.0", "muxer", "8.0.11"},
      {"aspnet-8.0-selfcontained", 8101, "net8.0", "self-contained", "8.0.3"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.host);
    auto a = analyze_at(test::fixture(std::string("hosts/") + c.host), c.pid);
    ASSERT_TRUE(a) << a.error().message;
    auto j = to_json(*a);
    EXPECT_EQ(j["applicationType"], "dotnet-aspnetcore");
    EXPECT_EQ(j["runtime"]["tfm"], c.tfm);
    EXPECT_EQ(j["runtime"]["launch"], c.launch);
    EXPECT_EQ(j["runtime"]["version"], c.aspnet_version);
  }
}

TEST(AspnetAnalyzer, OnlyFrameworkVersionsInUseArePacked)
{
  // 8.0.1, 8.0.11 and 9.0.0 are installed; 8.0.11 is mapped.
  auto a = analyze_at(test::fixture("hosts/aspnet-8.0-muxer"), 8001);
  ASSERT_TRUE(a) << a.error().message;
  std::vector<std::string> shared;
  for (const auto& f : a->files) {
    if (f.path.find("/shared/") != std::string::npos
        || f.path.find("/host/fxr/") != std::string::npos) {
      shared.push_back(f.path);
    }
  }
  EXPECT_EQ(shared,
            (std::vector<std::string>{"/usr/share/dotnet/host/fxr/9.0.0",
                                      "/usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.11",
                                      "/usr/share/dotnet/shared/Microsoft.AspNetCore.App/8.0.11"}));
}

TEST(AspnetAnalyzer, TwoInstancesWithDifferentUrlsGetDifferentIds)
{
  std::string host = test::fixture("hosts/aspnet-8.0-muxer");
  auto first = analyze_at(host, 8001);
  auto second = analyze_at(host, 8002);
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->application_id, second->application_id);
  EXPECT_EQ(first->ports.at(0).port, 8080);
  EXPECT_EQ(second->ports.at(0).port, 9090);
  // identify() (inventory) agrees with analyze().
  auto root = HostRoot::open(host).value();
  auto identity = make_aspnet_analyzer()->identify(read_process(root, 8002).value(), root);
  ASSERT_TRUE(identity) << identity.error().message;
  EXPECT_EQ(identity->application_id, second->application_id);
  EXPECT_EQ(identity->path, "/srv/fdd8");
  // And the same instance analyzed twice keeps its id.
  EXPECT_EQ(analyze_at(host, 8001)->application_id, first->application_id);
}

TEST(AspnetAnalyzer, ConsoleAppIsUnsupported)
{
  auto a = analyze_at(test::fixture("hosts/aspnet-console"), 3301);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::unsupported);
  EXPECT_NE(a.error().message.find("not an ASP.NET Core application"), std::string::npos);
  EXPECT_NE(a.error().message.find("/srv/worker/worker.runtimeconfig.json"), std::string::npos);
}

TEST(AspnetAnalyzer, CliExitCodeForConsoleApp)
{
  auto result =
      test::run_command(std::string(DECANT_BINARY) + " --root '"
                        + test::fixture("hosts/aspnet-console") + "' analyze 3301 -o /dev/null");
  EXPECT_EQ(result.status, exit_code(ErrorCode::unsupported)) << result.err;
  EXPECT_NE(result.err.find("not an ASP.NET Core application"), std::string::npos) << result.err;
}

TEST(AspnetAnalyzer, MalformedRuntimeConfigNamesFileAndPosition)
{
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "aspnet-8.0-muxer");
  std::ofstream(host + "/srv/fdd8/fdd_dotnet_8.runtimeconfig.json", std::ios::trunc)
      << "{\n  \"runtimeOptions\": {\n    \"tfm\": net8.0\n  }\n}\n";
  auto a = analyze_at(host, 8001);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::invalid_input);
  EXPECT_NE(a.error().message.find("/srv/fdd8/fdd_dotnet_8.runtimeconfig.json:3:"),
            std::string::npos)
      << a.error().message;
}

TEST(AspnetAnalyzer, MalformedAppsettingsNamesFileAndPosition)
{
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "aspnet-3.1-muxer");
  std::ofstream(host + "/srv/shop/appsettings.json", std::ios::trunc)
      << "{\n  \"Kestrel\": {\n    \"Endpoints\": { \"Http\": { \"Url\": http://*:80 } }\n  }\n}\n";
  auto a = analyze_at(host, 3101);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::invalid_input);
  EXPECT_NE(a.error().message.find("/srv/shop/appsettings.json:3:"), std::string::npos)
      << a.error().message;
  // The CLI writes nothing that looks valid and exits with invalid_input.
  auto result = test::run_command(std::string(DECANT_BINARY) + " --root '" + host
                                  + "' analyze 3101 -o '" + dir.path() + "/out/analysis.json'");
  EXPECT_EQ(result.status, exit_code(ErrorCode::invalid_input)) << result.err;
  EXPECT_FALSE(test::run_command("test -e '" + dir.path() + "/out/analysis.json'").status == 0);
}

TEST(AspnetAnalyzer, MissingSharedFrameworkIsNamed)
{
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "aspnet-8.0-muxer");
  // Not mapped (yet) and not installed in a version that 8.0.0 can roll forward to.
  remove_lines_containing(host + "/proc/8001/maps", "Microsoft.AspNetCore.App");
  ASSERT_EQ(test::run_command("rm -r '" + host
                              + "/usr/share/dotnet/shared/Microsoft.AspNetCore.App/8.0.1' '" + host
                              + "/usr/share/dotnet/shared/Microsoft.AspNetCore.App/8.0.11'")
                .status,
            0);
  auto a = analyze_at(host, 8001);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::not_found);
  EXPECT_NE(a.error().message.find("Microsoft.AspNetCore.App 8.0.0"), std::string::npos)
      << a.error().message;
  EXPECT_NE(a.error().message.find("installed: 9.0.0"), std::string::npos) << a.error().message;
}

TEST(AspnetAnalyzer, UnmappedFrameworkIsResolvedByRollForward)
{
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "aspnet-8.0-muxer");
  remove_lines_containing(host + "/proc/8001/maps", "Microsoft.AspNetCore.App");
  auto a = analyze_at(host, 8001);
  ASSERT_TRUE(a) << a.error().message;
  auto frameworks = a->runtime.details["frameworks"];
  ASSERT_EQ(frameworks.size(), 2u);
  EXPECT_EQ(frameworks[1]["version"], "8.0.11"); // 8.0.0 -> latest 8.0 patch, not 9.0.0
  EXPECT_EQ(frameworks[1]["resolvedFrom"], "roll-forward");
}

TEST(AspnetAnalyzer, MappedFrameworkGoneFromHostIsNamed)
{
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "aspnet-8.0-muxer");
  ASSERT_EQ(test::run_command("rm -r '" + host
                              + "/usr/share/dotnet/shared/Microsoft.AspNetCore.App/8.0.11'")
                .status,
            0);
  auto a = analyze_at(host, 8001);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::not_found);
  EXPECT_NE(a.error().message.find("Microsoft.AspNetCore.App 8.0.11"), std::string::npos)
      << a.error().message;
}

TEST(AspnetAnalyzer, ApphostWithoutAppDllFails)
{
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "aspnet-7.0-apphost");
  ASSERT_EQ(::unlink((host + "/srv/fde7/fde_dotnet_7.dll").c_str()), 0);
  auto a = analyze_at(host, 7001);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::not_found);
  EXPECT_NE(a.error().message.find("/srv/fde7/fde_dotnet_7.dll"), std::string::npos)
      << a.error().message;
  EXPECT_FALSE(a.error().hint.empty());
}

TEST(AspnetLaunch, MuxerArgv)
{
  using V = std::vector<std::string>;
  EXPECT_EQ(muxer_app_index(V{"dotnet", "App.dll"}).value_or(0), 1u);
  EXPECT_EQ(
      muxer_app_index(V{"dotnet", "exec", "--runtimeconfig", "x.json", "/a/App.dll", "--urls", "u"})
          .value_or(0),
      4u);
  EXPECT_EQ(muxer_app_index(V{"dotnet", "--roll-forward", "Major", "App.dll"}).value_or(0), 3u);
  EXPECT_FALSE(muxer_app_index(V{"dotnet", "run"}));
  EXPECT_FALSE(muxer_app_index(V{"dotnet", "--info"}));
  EXPECT_FALSE(muxer_app_index(V{"dotnet"}));
}

TEST(AspnetWebConfig, ReadsHintsFromEveryCorpusVariant)
{
  struct Case {
    const char* file;
    const char* process_path;
    const char* arguments;
    const char* hosting_model;
    const char* module;
  };
  const Case cases[] = {
      {"cf-net8.0-fde.web.config",
       "dotnet",
       ".\\source_8.0.dll",
       "inprocess",
       "AspNetCoreModuleV2"},
      {"cf-netcoreapp3.1-selfcontained.web.config",
       ".\\msbuild_self_contained",
       "",
       "inprocess",
       "AspNetCoreModuleV2"},
      {"aspnetcore-iis-inprocesswebsite.web.config",
       "%LAUNCHER_PATH%",
       "%LAUNCHER_ARGS%",
       "inprocess",
       "AspNetCoreModuleV2"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    auto text = read_file(test::fixture(std::string("configs/aspnet/") + c.file)).value();
    auto hints = read_web_config(text, c.file);
    ASSERT_TRUE(hints) << hints.error().message;
    EXPECT_EQ(hints->process_path, c.process_path);
    EXPECT_EQ(hints->arguments, c.arguments);
    EXPECT_EQ(hints->hosting_model, c.hosting_model);
    EXPECT_EQ(hints->module, c.module);
  }
  EXPECT_FALSE(read_web_config("<configuration><system.webServer>", "broken.config"));
  EXPECT_FALSE(read_web_config("<configuration/>", "empty.config"));
}

TEST(AspnetAnalyzer, MuxerWithoutItsDllFails)
{
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "aspnet-8.0-muxer");
  ASSERT_EQ(::unlink((host + "/srv/fdd8/fdd_dotnet_8.dll").c_str()), 0);
  auto a = analyze_at(host, 8001);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::not_found);
  EXPECT_NE(a.error().message.find("/srv/fdd8/fdd_dotnet_8.dll, which does not exist"),
            std::string::npos)
      << a.error().message;
}

TEST(AspnetAnalyzer, MissingRuntimeConfigFails)
{
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "aspnet-8.0-muxer");
  ASSERT_EQ(::unlink((host + "/srv/fdd8/fdd_dotnet_8.runtimeconfig.json").c_str()), 0);
  auto a = analyze_at(host, 8001);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::not_found);
  EXPECT_NE(a.error().message.find("/srv/fdd8/fdd_dotnet_8.runtimeconfig.json is missing"),
            std::string::npos)
      << a.error().message;
}

TEST(AspnetAnalyzer, AppsettingsMustBeAnObject)
{
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "aspnet-3.1-muxer");
  std::ofstream(host + "/srv/shop/appsettings.json", std::ios::trunc) << "[\"urls\"]\n";
  auto a = analyze_at(host, 3101);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::invalid_input);
  EXPECT_NE(
      a.error().message.find("/srv/shop/appsettings.json: the top level must be a JSON object"),
      std::string::npos)
      << a.error().message;
}

TEST(AspnetAnalyzer, NotADotnetProcessIsNotMatched)
{
  // A process whose executable is not dotnet and has no runtimeconfig/deps/dll beside it.
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "aspnet-8.0-muxer");
  ASSERT_EQ(::unlink((host + "/proc/8001/exe").c_str()), 0);
  ASSERT_EQ(::symlink("/usr/bin/python3", (host + "/proc/8001/exe").c_str()), 0);
  auto root = HostRoot::open(host).value();
  auto process = read_process(root, 8001);
  ASSERT_TRUE(process) << process.error().message;
  EXPECT_FALSE(make_aspnet_analyzer()->matches(*process, root));
}

TEST(AspnetAnalyzer, HostBoundAndLoopbackUrlsAreBothRebound)
{
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "aspnet-6.0-muxer");
  std::string argv[] = {"/usr/bin/dotnet",
                        "/srv/source-app/source-app.dll",
                        "--urls",
                        "http://10.20.30.40:7000;https://localhost:7001"};
  std::string cmdline;
  for (const auto& arg : argv) {
    cmdline += arg + '\0';
  }
  std::ofstream(host + "/proc/6001/cmdline", std::ios::binary | std::ios::trunc) << cmdline;
  auto a = analyze_at(host, 6001);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->start.command,
            (std::vector<std::string>{"/usr/share/dotnet/dotnet",
                                      "/srv/source-app/source-app.dll",
                                      "--urls",
                                      "http://+:7000;https://+:7001"}));
  std::vector<std::string> codes;
  for (const auto& warning : a->warnings) {
    codes.push_back(warning.code);
  }
  EXPECT_EQ(codes,
            (std::vector<std::string>{"address-bound",
                                      "localhost-only",
                                      "port-not-listening",
                                      "https-development-certificate"}));
  ASSERT_EQ(a->ports.size(), 2u);
  EXPECT_TRUE(a->ports[0].listening);  // 7000 has a socket (on loopback in the fixture)
  EXPECT_FALSE(a->ports[1].listening); // 7001 has none
  EXPECT_EQ(a->ports[1].role, PortRole::https);
}

TEST(AspnetAnalyzer, GcHeapLimitOfTheSourceIsKept)
{
  // The service ran under MemoryMax=2G: .NET capped its GC heap at 75% of it, and the image
  // says so explicitly, as the pod's own memory limit would change it.
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "aspnet-8.0-muxer");
  ASSERT_TRUE(make_directories(host + "/sys/fs/cgroup/system.slice/webapp.service"));
  ASSERT_TRUE(write_file_atomic(host + "/sys/fs/cgroup/system.slice/webapp.service/memory.max",
                                "2147483648\n"));
  auto a = analyze_at(host, 8001);
  ASSERT_TRUE(a) << a.error().message;
  const auto& gc = a->runtime.details["gcHeap"];
  EXPECT_EQ(gc["source"], "cgroup");
  EXPECT_EQ(gc["limitBytes"], 1610612736u);
  EXPECT_EQ(a->resources.heap_max_bytes, 1610612736u);
  bool env = false;
  for (const auto& var : a->env) {
    env = env || (var.name == "DOTNET_GCHeapHardLimit" && var.value == "0x60000000");
  }
  EXPECT_TRUE(env);

  // An explicit limit (hexadecimal, as .NET reads DOTNET_ variables) wins and stays as set.
  std::string environ = read_file(host + "/proc/8001/environ").value();
  ASSERT_TRUE(write_file_atomic(host + "/proc/8001/environ",
                                environ + "DOTNET_GCHeapHardLimit=0x20000000" + '\0'));
  auto set = analyze_at(host, 8001);
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->runtime.details["gcHeap"]["source"], "DOTNET_GCHeapHardLimit");
  EXPECT_EQ(set->resources.heap_max_bytes, 536870912u);
}
