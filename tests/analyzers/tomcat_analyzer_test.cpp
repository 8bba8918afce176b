// The Tomcat analyzer on fake host trees (fixtures/hosts/tomcat-*, built by
// fixtures/hosts/tomcat-generate.py from real configuration files): golden analysis.json per
// layout, the facts each scenario exists for, identities, and every bad-input error.
//
// DECANT_UPDATE_GOLDEN=1 rewrites expected/analysis.json and expected/secrets.json; review the
// diff before committing it.
#include "golden.hpp"
#include "test_support.hpp"
#include "tomcat/tomcat.hpp"

#include <decant/analyzer/analyzer.hpp>
#include <decant/analyzer/inventory.hpp>
#include <decant/pack/file_set.hpp>
#include <decant/proc/process.hpp>
#include <decant/util/fs.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <registry.hpp>
#include <set>

using namespace decant;
using namespace decant::tomcat;

namespace {

struct Scenario {
  const char* host;
  int pid;
};

const Scenario k_scenarios[] = {
    {"tomcat-debian", 4242},
    {"tomcat-tarball", 4301},
    {"tomcat-two-instances", 4401},
    {"tomcat-https-properties", 4501},
    {"tomcat-portoffset-loopback", 4601},
    {"tomcat-awt-webapp", 4801},
    {"tomcat-shell-env", 4901},
    {"tomcat-env-property-source", 5001},
    {"tomcat-war-context", 5101},
    {"tomcat-heap-hsperfdata", 5201},
    {"tomcat-jsvc", 5302},
    {"tomcat-rhel9", 5401},
};

Result<Analysis>
analyze_at(const std::string& root_dir, int pid)
{
  return test::analyze_fixture(*make_tomcat_analyzer(), root_dir, pid);
}

// What may differ between runs: the time, the CPU count, and owners and modes of directories the
// generator made (a git checkout keeps neither; the live e2e test checks them).
nlohmann::json
stable(nlohmann::json json)
{
  json.erase("createdAt");
  json["resources"].erase("cpus");
  for (auto& volume : json["volumes"]) {
    volume.erase("uid");
    volume.erase("gid");
    volume.erase("mode");
  }
  return json;
}

const FileEntry*
file(const Analysis& a, const std::string& path)
{
  for (const auto& f : a.files) {
    if (f.path == path) {
      return &f;
    }
  }
  return nullptr;
}

const Port*
port(const Analysis& a, uint16_t number)
{
  for (const auto& p : a.ports) {
    if (p.port == number) {
      return &p;
    }
  }
  return nullptr;
}

bool
has_warning(const Analysis& a, const std::string& code, const std::string& text = "")
{
  for (const auto& w : a.warnings) {
    if (w.code == code && w.message.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

} // namespace

class TomcatGolden : public ::testing::TestWithParam<Scenario>
{
};

TEST_P(TomcatGolden, MatchesExpectedAnalysis)
{
  const Scenario& s = GetParam();
  std::string host = test::fixture(std::string("hosts/") + s.host);
  auto analysis = analyze_at(host, s.pid);
  ASSERT_TRUE(analysis) << analysis.error().message;
  test::expect_golden_analysis(host, *analysis, stable);
}

INSTANTIATE_TEST_SUITE_P(Hosts,
                         TomcatGolden,
                         ::testing::ValuesIn(k_scenarios),
                         [](const ::testing::TestParamInfo<Scenario>& info) {
                           return test::golden_test_name(info.param.host);
                         });

TEST(TomcatAnalyzer, DebianSplitLayout)
{
  auto a = analyze_at(test::fixture("hosts/tomcat-debian"), 4242);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->runtime.details["catalinaHome"], "/usr/share/tomcat10");
  EXPECT_EQ(a->runtime.details["catalinaBase"], "/var/lib/tomcat10");
  EXPECT_EQ(a->runtime.version, "10.1.60");
  EXPECT_EQ(a->runtime.details["javaVersion"], "17.0.15");
  EXPECT_EQ(a->runtime.details["shutdownPort"], -1);
  // Only 8080: the shutdown port is disabled.
  ASSERT_EQ(a->ports.size(), 1u);
  EXPECT_EQ(a->ports[0].port, 8080);
  EXPECT_EQ(a->ports[0].role, PortRole::http);
  EXPECT_TRUE(a->ports[0].expose);
  EXPECT_TRUE(a->ports[0].listening);
  EXPECT_EQ(a->ports[0].source, "/var/lib/tomcat10/conf/server.xml:70");
  // conf is a link: the link and its target; webapps from descriptors; jasper's Class-Path.
  ASSERT_TRUE(file(*a, "/var/lib/tomcat10/conf"));
  ASSERT_TRUE(file(*a, "/etc/tomcat10"));
  ASSERT_TRUE(file(*a, "/usr/share/tomcat10-examples/examples"));
  EXPECT_NE(file(*a, "/usr/share/tomcat10-examples/examples")->reason.find("examples.xml:1"),
            std::string::npos);
  ASSERT_TRUE(file(*a, "/usr/share/tomcat10-admin/manager"));
  ASSERT_TRUE(file(*a, "/usr/share/java/eclipse-jdt-core.jar"));
  EXPECT_NE(file(*a, "/usr/share/java/eclipse-jdt-core.jar")->reason.find("Class-Path"),
            std::string::npos);
  ASSERT_TRUE(file(*a, "/usr/share/java/eclipse-jdt-core-3.32.0.jar"));
  ASSERT_TRUE(file(*a, "/usr/share/java/tomcat10-catalina-10.1.60.jar"));
  EXPECT_EQ(file(*a, "/usr/share/java/tomcat10-catalina-10.1.60.jar")->role, FileRole::server);
  ASSERT_TRUE(file(*a, "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so"));
  // Logs are a volume (through the link), never files; the JVM's hsperfdata file is left out.
  EXPECT_FALSE(file(*a, "/var/log/tomcat10/catalina.2026-11-25.log"));
  EXPECT_FALSE(file(*a, "/tmp/hsperfdata_tomcat/4242"));
  ASSERT_GE(a->volumes.size(), 2u);
  EXPECT_EQ(a->volumes[0].path, "/var/lib/tomcat10/logs");
  EXPECT_EQ(a->volumes[0].role, VolumeRole::log);
  // JDK development parts and the X11 toolkit are excluded, the headless libraries are lazy.
  std::vector<std::string> excluded;
  for (const auto& e : a->exclude) {
    excluded.push_back(e.path);
  }
  for (const char* path : {"/usr/lib/jvm/java-17-openjdk-amd64/jmods",
                           "/usr/lib/jvm/java-17-openjdk-amd64/lib/src.zip",
                           "/usr/lib/jvm/java-17-openjdk-amd64/lib/libawt_xawt.so"}) {
    EXPECT_NE(std::find(excluded.begin(), excluded.end(), path), excluded.end()) << path;
  }
  EXPECT_FALSE(a->runtime.details["lazyLibraries"].empty());
  EXPECT_EQ(a->start.command.back(), "start");
  EXPECT_EQ(a->start.user, "tomcat");
}

// The font stack follows the text-drawing rule: Debian's fixture has no class that draws text,
// so libfontmanager is excluded with the scan's numbers; a webapp jar whose servlet names
// java/awt/Font keeps FreeType, fontconfig and the fonts, each reason naming that class.
TEST(TomcatAnalyzer, FontsOnlyWhenSomethingDrawsText)
{
  const std::string jh = "/usr/lib/jvm/java-17-openjdk-amd64";
  auto lazy_paths = [](const Analysis& a) {
    std::vector<std::string> out;
    for (const auto& item : a.runtime.details["lazyLibraries"]) {
      out.push_back(item["path"].get<std::string>());
    }
    return out;
  };
  auto has = [](const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
  };

  auto plain = analyze_at(test::fixture("hosts/tomcat-debian"), 4242);
  ASSERT_TRUE(plain) << plain.error().message;
  auto plain_lazy = lazy_paths(*plain);
  EXPECT_TRUE(has(plain_lazy, jh + "/lib/libawt.so"));
  EXPECT_TRUE(has(plain_lazy, jh + "/lib/libmlib_image.so"));
  for (const auto& font : {jh + "/lib/libfontmanager.so",
                           std::string("libfreetype.so.6"),
                           std::string("/usr/share/fonts"),
                           std::string("/etc/fonts")}) {
    EXPECT_FALSE(has(plain_lazy, font)) << font;
  }
  auto excluded = std::find_if(plain->exclude.begin(), plain->exclude.end(), [&](const auto& e) {
    return e.path == jh + "/lib/libfontmanager.so";
  });
  ASSERT_NE(excluded, plain->exclude.end());
  EXPECT_NE(excluded->reason.find("no class of the server or its applications draws text"),
            std::string::npos)
      << excluded->reason;
  EXPECT_NE(excluded->reason.find("remove this exclusion to keep them"), std::string::npos);
  EXPECT_EQ(plain->runtime.details["textDrawing"]["drawsText"], false);
  EXPECT_TRUE(std::any_of(plain->warnings.begin(), plain->warnings.end(), [](const Warning& w) {
    return w.code == "fonts-left-out";
  }));

  auto awt = analyze_at(test::fixture("hosts/tomcat-awt-webapp"), 4801);
  ASSERT_TRUE(awt) << awt.error().message;
  const std::string use =
      "com/example/captcha/CaptchaServlet.class in "
      "/opt/tomcat/webapps/captcha/WEB-INF/lib/captcha.jar references java/awt/Font";
  EXPECT_EQ(awt->runtime.details["textDrawing"]["firstUse"], use);
  bool fontmanager = false;
  for (const auto& item : awt->runtime.details["lazyLibraries"]) {
    std::string path = item["path"];
    if (path == jh + "/lib/libfontmanager.so" || path == "/usr/share/fonts"
        || path == "libfreetype.so.6") {
      fontmanager = fontmanager || path == jh + "/lib/libfontmanager.so";
      EXPECT_NE(item["reason"].get<std::string>().find("font rendering: " + use), std::string::npos)
          << item.dump();
    }
  }
  EXPECT_TRUE(fontmanager);
  EXPECT_TRUE(std::none_of(awt->exclude.begin(), awt->exclude.end(), [&](const auto& e) {
    return e.path == jh + "/lib/libfontmanager.so";
  }));
  EXPECT_TRUE(std::none_of(awt->warnings.begin(), awt->warnings.end(), [](const Warning& w) {
    return w.code == "fonts-left-out";
  }));
}

// A process that has loaded libfontmanager has drawn text: the fonts stay, whatever the scan.
TEST(TomcatAnalyzer, FontsKeptWhenTheProcessHasLoadedTheFontManager)
{
  test::TempDir dir;
  std::string copy = test::copy_fixture_host(dir, "tomcat-debian");
  const std::string jh = "/usr/lib/jvm/java-17-openjdk-amd64";
  std::string maps_path = copy + "/proc/4242/maps";
  auto maps = read_file(maps_path);
  ASSERT_TRUE(maps);
  ASSERT_TRUE(write_file_atomic(maps_path,
                                *maps + "7f0000000000-7f0000001000 r-xp 00000000 08:01 4242 " + jh
                                    + "/lib/libfontmanager.so\n"));
  auto a = analyze_at(copy, 4242);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->runtime.details["textDrawing"]["drawsText"], true);
  EXPECT_EQ(a->runtime.details["textDrawing"]["firstUse"],
            "PID 4242 has loaded " + jh + "/lib/libfontmanager.so");
  EXPECT_TRUE(std::none_of(a->exclude.begin(), a->exclude.end(), [&](const auto& e) {
    return e.path == jh + "/lib/libfontmanager.so";
  }));
}

TEST(TomcatAnalyzer, ShellVariablesStayOutOfTheImageWithTheirReasons)
{
  auto a = analyze_at(test::fixture("hosts/tomcat-shell-env"), 4901);
  ASSERT_TRUE(a) << a.error().message;
  std::map<std::string, std::string> kept;
  for (const auto& var : a->env) {
    kept[var.name] = var.value;
  }
  std::map<std::string, DroppedEnvVar> dropped;
  for (const auto& var : a->env_dropped) {
    dropped[var.name] = var;
  }
  for (const char* name : {"_",
                           "PWD",
                           "OLDPWD",
                           "SHLVL",
                           "TERM",
                           "LS_COLORS",
                           "SSH_CLIENT",
                           "SSH_TTY",
                           "SSH_CONNECTION",
                           "SUDO_USER",
                           "XDG_SESSION_ID",
                           "XDG_RUNTIME_DIR",
                           "DBUS_SESSION_BUS_ADDRESS",
                           "MAIL",
                           "LESSOPEN"}) {
    EXPECT_EQ(kept.count(name), 0u) << name;
    ASSERT_EQ(dropped.count(name), 1u) << name;
    EXPECT_FALSE(dropped[name].reason.empty()) << name;
  }
  // The value is kept, so the operator can move a variable back to env.
  EXPECT_EQ(dropped["OLDPWD"].value, "/opt/tomcat/conf");
  EXPECT_EQ(dropped["TERM"].value, "xterm-256color");
  for (const char* name :
       {"PATH", "LANG", "HOME", "USER", "LOGNAME", "SHELL", "APP_PROFILE", "JAVA_OPTS"}) {
    EXPECT_EQ(kept.count(name), 1u) << name;
  }
}

TEST(TomcatAnalyzer, PortsFromTheEnvironmentThroughEnvironmentPropertySource)
{
  auto a = analyze_at(test::fixture("hosts/tomcat-env-property-source"), 5001);
  ASSERT_TRUE(a) << a.error().message;
  const std::string xml = "/opt/tomcat/conf/server.xml";
  const Port* http = port(*a, 8085);
  ASSERT_NE(http, nullptr);
  EXPECT_EQ(http->role, PortRole::http);
  EXPECT_TRUE(http->expose);
  EXPECT_TRUE(http->listening);
  EXPECT_EQ(http->source, xml + ":70"); // the Connector, not the variable
  EXPECT_NE(http->value_source.find("environment variable HTTP_PORT"), std::string::npos)
      << http->value_source;
  EXPECT_NE(http->value_source.find("EnvironmentPropertySource"), std::string::npos);
  // ${AJP_PORT:-8009} with AJP_PORT set; ${SHUTDOWN_PORT:-8005} without.
  const Port* ajp = port(*a, 8010);
  ASSERT_NE(ajp, nullptr);
  EXPECT_EQ(ajp->role, PortRole::ajp);
  const Port* shutdown = port(*a, 8005);
  ASSERT_NE(shutdown, nullptr);
  EXPECT_EQ(shutdown->role, PortRole::shutdown);
  EXPECT_NE(shutdown->value_source.find("the default of ${SHUTDOWN_PORT:-8005}"), std::string::npos)
      << shutdown->value_source;
  for (const auto& w : a->warnings) {
    EXPECT_NE(w.code, "undefined-property") << w.message;
    EXPECT_NE(w.code, "port-unconfigured") << w.message;
  }
  // context.xml's ${DB_HOST} and ${DB_PASSWORD} come from the environment too.
  bool db = false;
  for (const auto& d : a->dependencies) {
    db = db || (d.host == "db.shop.example" && d.port == 5432);
  }
  EXPECT_TRUE(db);
  bool password = false;
  for (const auto& s : a->secrets) {
    password =
        password || (s.value == "env-db-secret" && s.source == "/opt/tomcat/conf/context.xml:5");
  }
  EXPECT_TRUE(password);
  const auto& sources = a->runtime.details["propertySources"];
  EXPECT_EQ(sources["order"],
            nlohmann::json::array({"org.apache.tomcat.util.digester.EnvironmentPropertySource",
                                   "org.apache.tomcat.util.digester.SystemPropertySource"}));
  EXPECT_EQ(sources["settingSource"], "/opt/tomcat/conf/catalina.properties:2");
  EXPECT_EQ(sources["defaultValues"], true);
  EXPECT_EQ(sources["recursive"], true);
}

TEST(TomcatAnalyzer, PropertySourceRulesOfOlderTomcats)
{
  // A Tomcat whose Digester takes one class name and has no top-level EnvironmentPropertySource,
  // whose IntrospectionUtils knows neither ":-" nor a second round: the environment is not
  // asked, ${HTTP_PORT} stays undefined as in the running server.
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "tomcat-env-property-source");
  std::string util = "org/apache/tomcat/util/";
  ASSERT_TRUE(write_file_atomic(
      host + "/opt/tomcat/lib/tomcat-util.jar",
      test::zip_bytes({{util + "IntrospectionUtils.class", "\xca\xfe\xba\xbe old"}})));
  ASSERT_TRUE(write_file_atomic(
      host + "/opt/tomcat/lib/tomcat-util-scan.jar",
      test::zip_bytes({{util + "digester/Digester.class", "\xca\xfe\xba\xbe old"},
                       {util + "digester/SystemPropertySource.class", "\xca\xfe\xba\xbe"}})));
  auto a = analyze_at(host, 5001);
  ASSERT_TRUE(a) << a.error().message;
  const auto& sources = a->runtime.details["propertySources"];
  EXPECT_EQ(sources["defaultValues"], false);
  EXPECT_EQ(sources["recursive"], false);
  EXPECT_EQ(sources["order"],
            nlohmann::json::array({"org.apache.tomcat.util.digester.SystemPropertySource"}));
  ASSERT_EQ(sources["ignored"].size(), 1u);
  bool missing = false;
  bool undefined = false;
  for (const auto& w : a->warnings) {
    missing = missing || w.code == "property-source-missing";
    undefined =
        undefined
        || (w.code == "undefined-property" && w.message.find("${HTTP_PORT}") != std::string::npos);
  }
  EXPECT_TRUE(missing);
  EXPECT_TRUE(undefined);
  EXPECT_EQ(port(*a, 8085)->source, "socket"); // only seen listening
}

TEST(TomcatAnalyzer, PackedWarsOwnContextXml)
{
  auto a = analyze_at(test::fixture("hosts/tomcat-war-context"), 5101);
  ASSERT_TRUE(a) << a.error().message;
  const std::string shop = "/opt/tomcat/webapps/shop.war";
  const std::string legacy = "/opt/tomcat/webapps/legacy.war";
  // The applied file: its database is a dependency, its password a secret.
  std::set<std::string> hosts;
  for (const auto& d : a->dependencies) {
    hosts.insert(d.host);
  }
  EXPECT_EQ(hosts.count("db.shop.example"), 1u);
  // legacy.war is deployed through conf/Catalina/localhost/legacy.xml: Tomcat ignores its own.
  EXPECT_EQ(hosts.count("mysql.legacy.example"), 0u);
  std::map<std::string, std::string> secret_sources;
  for (const auto& s : a->secrets) {
    secret_sources[s.value] = s.source;
  }
  EXPECT_EQ(secret_sources["war-db-pass"], shop + "!/META-INF/context.xml:3");
  EXPECT_EQ(secret_sources["legacy-pass"], legacy + "!/META-INF/context.xml:2");
  // Both WARs are secret-bearing files with what --externalize-secrets replaces.
  const FileEntry* war = file(*a, shop);
  ASSERT_NE(war, nullptr);
  EXPECT_TRUE(war->secret);
  ASSERT_EQ(war->externalize.size(), 1u);
  EXPECT_EQ(war->externalize[0].entry, "META-INF/context.xml");
  EXPECT_EQ(war->externalize[0].line, 3);
  EXPECT_EQ(war->externalize[0].element, "Resource");
  EXPECT_EQ(war->externalize[0].attribute, "password");
  EXPECT_EQ(war->externalize[0].replacement, "${decant.secret." + war->externalize[0].secret + "}");
  ASSERT_NE(file(*a, legacy), nullptr);
  EXPECT_TRUE(file(*a, legacy)->secret);
  // The start command defines the property from the Secret, before the main class.
  auto& cmd = a->start.command;
  auto define = std::find(cmd.begin(),
                          cmd.end(),
                          "-Ddecant.secret." + war->externalize[0].secret
                              + "=${secret:" + war->externalize[0].secret + "}");
  auto main = std::find(cmd.begin(), cmd.end(), k_bootstrap_class);
  ASSERT_NE(define, cmd.end());
  EXPECT_LT(define, main);
  // Warnings name the WAR and the secret, never its value.
  int war_warnings = 0;
  bool ignored = false;
  for (const auto& w : a->warnings) {
    EXPECT_EQ(w.message.find("war-db-pass"), std::string::npos) << w.message;
    EXPECT_EQ(w.message.find("legacy-pass"), std::string::npos) << w.message;
    if (w.code == "war-secret") {
      ++war_warnings;
    }
    ignored = ignored
              || (w.code == "context-ignored" && w.message.find(legacy) != std::string::npos
                  && w.message.find("legacy.xml") != std::string::npos);
  }
  EXPECT_EQ(war_warnings, 2);
  EXPECT_TRUE(ignored);
  auto json = to_json(*a).dump();
  EXPECT_EQ(json.find("war-db-pass"), std::string::npos);
}

TEST(TomcatAnalyzer, TheHeapItHadFromThePerfDataFileThenComputed)
{
  auto a = analyze_at(test::fixture("hosts/tomcat-heap-hsperfdata"), 5201);
  ASSERT_TRUE(a) << a.error().message;
  const uint64_t gib = 1024ull * 1024 * 1024;
  EXPECT_EQ(a->resources.heap_max_bytes, gib);
  const auto& heap = a->runtime.details["heap"];
  EXPECT_EQ(heap["source"], "hsperfdata");
  EXPECT_EQ(heap["file"], "/tmp/hsperfdata_tomcat/5201");
  EXPECT_EQ(heap["gcPolicy"], "GarbageFirst");
  EXPECT_EQ(heap["imageOption"], "-Xmx1024m");
  // heap + a quarter, at least 256 MiB of non-heap.
  EXPECT_EQ(heap["memoryLimitBytes"], gib + 256ull * 1024 * 1024);
  auto& cmd = a->start.command;
  auto xmx = std::find(cmd.begin(), cmd.end(), "-Xmx1024m");
  ASSERT_NE(xmx, cmd.end());
  EXPECT_LT(xmx, std::find(cmd.begin(), cmd.end(), k_bootstrap_class));

  // Without the perf-data file (-XX:-UsePerfData): computed from the cgroup's 4 GiB limit.
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "tomcat-heap-hsperfdata");
  ASSERT_EQ(::unlink((host + "/tmp/hsperfdata_tomcat/5201").c_str()), 0);
  auto computed = analyze_at(host, 5201);
  ASSERT_TRUE(computed) << computed.error().message;
  const auto& steps = computed->runtime.details["heap"];
  EXPECT_EQ(steps["source"], "computed");
  EXPECT_EQ(steps["computed"]["memorySeen"], 4 * gib);
  EXPECT_EQ(steps["computed"]["rule"], "MaxRAMPercentage 25");
  EXPECT_EQ(computed->resources.heap_max_bytes, gib);

  // An explicit -Xmx is kept as it is.
  auto explicit_heap = analyze_at(test::fixture("hosts/tomcat-tarball"), 4301);
  ASSERT_TRUE(explicit_heap);
  EXPECT_EQ(explicit_heap->runtime.details["heap"]["source"], "option");
  EXPECT_FALSE(explicit_heap->runtime.details["heap"].contains("imageOption"));
}

TEST(TomcatAnalyzer, JsvcChildRunsAsJavaInTheImage)
{
  std::string host = test::fixture("hosts/tomcat-jsvc");
  auto a = analyze_at(host, 5302);
  ASSERT_TRUE(a) << a.error().message;
  const auto& cmd = a->start.command;
  ASSERT_GE(cmd.size(), 4u);
  EXPECT_EQ(cmd.front(), "/usr/lib/jvm/java-17-openjdk-amd64/bin/java");
  EXPECT_EQ(cmd[cmd.size() - 2], k_bootstrap_class);
  EXPECT_EQ(cmd.back(), "start");
  for (const auto& arg : cmd) {
    for (const char* jsvc_only :
         {"-user", "-pidfile", "-outfile", "-errfile", "-umask", "-wait", "-java-home"}) {
      EXPECT_NE(arg, jsvc_only);
    }
  }
  EXPECT_NE(std::find(cmd.begin(), cmd.end(), "-Xmx768m"), cmd.end());
  EXPECT_NE(std::find(cmd.begin(), cmd.end(), "-classpath"), cmd.end());
  EXPECT_EQ(a->start.user, "tomcat");
  EXPECT_EQ(a->runtime.details["jsvc"]["controllerPid"], 5301);
  EXPECT_EQ(a->runtime.details["javaHome"], "/usr/lib/jvm/java-17-openjdk-amd64");
  ASSERT_NE(port(*a, 8080), nullptr);
  bool dropped = false;
  for (const auto& var : a->env_dropped) {
    dropped = dropped || var.name == "LD_LIBRARY_PATH";
  }
  EXPECT_TRUE(dropped);

  // The controller is not Tomcat itself; asking for it analyzes its child.
  auto root = HostRoot::open(host).value();
  auto controller = read_process(root, 5301);
  ASSERT_TRUE(controller) << controller.error().message;
  EXPECT_FALSE(is_tomcat_process(*controller));
  auto target = select_analyzer(root, analyzers(), 5301);
  ASSERT_TRUE(target) << target.error().message;
  EXPECT_EQ(target->process.pid, 5302);
  EXPECT_NE(target->note.find("jsvc controller"), std::string::npos);
  // Inventory lists the child only.
  int listed = 0;
  for (const auto& entry : inventory(root, analyzers())) {
    EXPECT_NE(entry.pid, 5301);
    listed += entry.pid == 5302;
  }
  EXPECT_EQ(listed, 1);
}

TEST(TomcatAnalyzer, AProcessInAChrootOrContainerIsRefusedAndNotListed)
{
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "tomcat-two-instances");
  ASSERT_EQ(::unlink((host + "/proc/4402/root").c_str()), 0);
  ASSERT_EQ(::symlink("/var/lib/machines/blog", (host + "/proc/4402/root").c_str()), 0);
  auto root = HostRoot::open(host).value();
  auto target = select_analyzer(root, analyzers(), 4402);
  ASSERT_FALSE(target);
  EXPECT_EQ(target.error().code, ErrorCode::unsupported);
  EXPECT_NE(target.error().message.find("not on this host's file system"), std::string::npos)
      << target.error().message;
  EXPECT_NE(target.error().message.find("/var/lib/machines/blog"), std::string::npos);
  std::vector<int> pids;
  for (const auto& entry : inventory(root, analyzers())) {
    pids.push_back(entry.pid);
  }
  EXPECT_EQ(pids, std::vector<int>{4401});
}

TEST(TomcatAnalyzer, TheTomcatRpmOnTheRhelFamily)
{
  std::string host = test::fixture("hosts/tomcat-rhel9");
  auto a = analyze_at(host, 5401);
  ASSERT_TRUE(a) << a.error().message;
  const std::string jdk = "/usr/lib/jvm/java-17-openjdk-17.0.9.0.9-2.el9.x86_64";
  EXPECT_EQ(a->source.os.id, "rocky");
  EXPECT_EQ(a->runtime.version, "9.0.62");
  EXPECT_EQ(a->runtime.details["catalinaHome"], "/usr/share/tomcat");
  EXPECT_EQ(a->runtime.details["javaHome"], jdk);
  EXPECT_EQ(a->start.command.front(), jdk + "/bin/java"); // not the alternatives link
  EXPECT_EQ(a->runtime.details["packaging"]["launcher"], "/usr/libexec/tomcat/server");
  // The links of the RPM's CATALINA_HOME, with their targets.
  for (const char* path : {"/usr/share/tomcat/conf",
                           "/etc/tomcat",
                           "/usr/share/tomcat/lib",
                           "/usr/share/java/tomcat",
                           "/var/lib/tomcat/webapps",
                           "/usr/share/java/commons-daemon.jar",
                           "/usr/lib/jvm/jre"}) {
    EXPECT_NE(file(*a, path), nullptr) << path;
  }
  std::map<std::string, std::string> volumes;
  for (const auto& v : a->volumes) {
    volumes[v.path] = v.reason;
  }
  EXPECT_NE(volumes["/usr/share/tomcat/logs"].find("/var/log/tomcat"), std::string::npos);
  EXPECT_NE(volumes["/usr/share/tomcat/temp"].find("/var/cache/tomcat/temp"), std::string::npos);

  // The image: the JDK's cacerts through /etc/pki/java into ca-trust, the system bundle, the
  // crypto policy; no private key of /etc/pki/tls/private.
  auto root = HostRoot::open(host).value();
  auto set = expand_file_set(*a, root, ExpandOptions{});
  ASSERT_TRUE(set) << set.error().message;
  for (const char* path : {"/etc/pki/java/cacerts",
                           "/etc/pki/ca-trust/extracted/java/cacerts",
                           "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
                           "/etc/pki/tls/certs/ca-bundle.crt",
                           "/etc/ssl/certs",
                           "/etc/crypto-policies/back-ends/java.config",
                           "/usr/lib/jvm/jre",
                           "/etc/alternatives/jre"}) {
    EXPECT_EQ(set->entries.count(path), 1u) << path;
  }
  EXPECT_EQ(set->entries.count(jdk + "/lib/security/cacerts"), 1u);
  EXPECT_EQ(set->entries.count("/etc/pki/tls/private/localhost.key"), 0u);
  EXPECT_EQ(set->entries.count("/usr/lib64/libc.so.6"), 1u);
}

TEST(TomcatAnalyzer, TarballVersionFromReleaseNotesAndShutdownPort)
{
  auto a = analyze_at(test::fixture("hosts/tomcat-tarball"), 4301);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->runtime.version, "9.0.121");
  EXPECT_EQ(a->runtime.details["versionSource"], "/opt/tomcat/RELEASE-NOTES");
  EXPECT_EQ(a->runtime.details["catalinaHome"], a->runtime.details["catalinaBase"]);
  const Port* shutdown = port(*a, 8005);
  ASSERT_TRUE(shutdown);
  EXPECT_EQ(shutdown->role, PortRole::shutdown);
  EXPECT_FALSE(shutdown->expose);
  EXPECT_TRUE(shutdown->listening);
  EXPECT_EQ(a->resources.heap_max_bytes, 1024ull << 20);
  // The webapp's own META-INF/context.xml: its password is a secret, its database a dependency
  // on localhost (a warning: inside a container that is the container).
  ASSERT_EQ(a->secrets.size(), 1u);
  EXPECT_EQ(a->secrets[0].name, "TOMCAT_JDBC_SHOP_PASSWORD");
  EXPECT_EQ(a->secrets[0].source, "/opt/tomcat/webapps/ROOT/META-INF/context.xml:4");
  ASSERT_TRUE(file(*a, "/opt/tomcat/webapps/ROOT/META-INF/context.xml"));
  EXPECT_TRUE(file(*a, "/opt/tomcat/webapps/ROOT/META-INF/context.xml")->secret);
  ASSERT_EQ(a->dependencies.size(), 1u);
  EXPECT_EQ(a->dependencies[0].port, 3306);
  EXPECT_TRUE(has_warning(*a, "dependency-localhost", "localhost:3306"));
  for (const char* volume : {"/opt/tomcat/logs", "/opt/tomcat/work", "/opt/tomcat/temp"}) {
    EXPECT_TRUE(std::any_of(a->volumes.begin(), a->volumes.end(), [&](const Volume& v) {
      return v.path == volume;
    })) << volume;
  }
}

TEST(TomcatAnalyzer, TwoInstancesOfOneHomeHaveTwoIds)
{
  std::string host = test::fixture("hosts/tomcat-two-instances");
  auto shop = analyze_at(host, 4401);
  auto blog = analyze_at(host, 4402);
  ASSERT_TRUE(shop && blog);
  EXPECT_NE(shop->application_id, blog->application_id);
  EXPECT_EQ(shop->runtime.details["catalinaHome"], "/opt/tomcat10");
  EXPECT_EQ(shop->runtime.details["catalinaBase"], "/srv/tomcat/shop");
  EXPECT_TRUE(port(*shop, 8081));
  EXPECT_TRUE(port(*blog, 8082));
  EXPECT_EQ(shop->runtime.version, "10.1.59");
  // identify() (inventory) agrees with analyze(), and is stable.
  auto root = HostRoot::open(host).value();
  auto analyzer = make_tomcat_analyzer();
  auto identity = analyzer->identify(read_process(root, 4402).value(), root);
  ASSERT_TRUE(identity) << identity.error().message;
  EXPECT_EQ(identity->application_id, blog->application_id);
  EXPECT_EQ(identity->path, "/srv/tomcat/blog");
  EXPECT_EQ(blog->application_id, analyze_at(host, 4402)->application_id);
}

TEST(TomcatAnalyzer, PropertiesHttpsAndSecrets)
{
  auto a = analyze_at(test::fixture("hosts/tomcat-https-properties"), 4501);
  ASSERT_TRUE(a) << a.error().message;
  // ${oozie.http.port} from -D, ${oozie.https.port} from catalina.properties.
  ASSERT_TRUE(port(*a, 11000));
  EXPECT_EQ(port(*a, 11000)->role, PortRole::http);
  ASSERT_TRUE(port(*a, 11443));
  EXPECT_EQ(port(*a, 11443)->role, PortRole::https);
  EXPECT_TRUE(has_warning(*a,
                          "undefined-property",
                          "/opt/oozie/oozie-server/conf/server.xml:23: <Server "
                          "port=\"${oozie.admin.port}\">"));
  const FileEntry* keystore = file(*a, "/etc/oozie/keystore.jks");
  ASSERT_TRUE(keystore);
  EXPECT_TRUE(keystore->secret);
  // Values only in secrets.
  std::map<std::string, std::string> values;
  for (const auto& s : a->secrets) {
    values[s.name] = s.value;
  }
  EXPECT_EQ(values["TOMCAT_PORT_11443_KEYSTOREPASS"], "k3ystore-pass");
  EXPECT_EQ(values["TOMCAT_JDBC_OOZIE_PASSWORD"], "db-pa55");
  EXPECT_EQ(values["ENV_OOZIE_DB_PASSWORD"], "env-db-pass");
  std::string json = to_json(*a).dump();
  for (const char* secret : {"k3ystore-pass", "db-pa55", "env-db-pass", "trust-me"}) {
    EXPECT_EQ(json.find(secret), std::string::npos) << secret;
  }
  ASSERT_EQ(a->dependencies.size(), 1u);
  EXPECT_EQ(a->dependencies[0].host, "pg.internal.example");
  EXPECT_EQ(a->dependencies[0].port, 5433);
  EXPECT_TRUE(file(*a, "/opt/oozie/oozie-server/conf/context.xml")->secret);
}

TEST(TomcatAnalyzer, PortOffsetLoopbackAndUnconfiguredSockets)
{
  auto a = analyze_at(test::fixture("hosts/tomcat-portoffset-loopback"), 4601);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->runtime.details["portOffset"], 42);
  ASSERT_TRUE(port(*a, 8324));
  EXPECT_TRUE(port(*a, 8324)->expose);
  ASSERT_TRUE(port(*a, 8325));
  EXPECT_FALSE(port(*a, 8325)->expose);
  EXPECT_EQ(port(*a, 8325)->address, "127.0.0.1");
  EXPECT_TRUE(has_warning(*a, "connector-loopback", "8325"));
  ASSERT_TRUE(port(*a, 8485));
  EXPECT_EQ(port(*a, 8485)->role, PortRole::https);
  EXPECT_FALSE(port(*a, 8485)->listening);
  EXPECT_TRUE(has_warning(*a, "port-not-listening", "8485"));
  ASSERT_TRUE(port(*a, 8047));
  EXPECT_EQ(port(*a, 8047)->role, PortRole::shutdown);
  ASSERT_TRUE(port(*a, 9010));
  EXPECT_EQ(port(*a, 9010)->role, PortRole::management);
  EXPECT_FALSE(port(*a, 9010)->expose);
  EXPECT_EQ(port(*a, 9010)->source, "socket");
  EXPECT_DOUBLE_EQ(a->runtime.details["maxRamPercentage"].get<double>(), 75.0);
}

TEST(TomcatAnalyzer, MalformedServerXmlNamesFileAndLine)
{
  auto a = analyze_at(test::fixture("hosts/tomcat-malformed"), 4701);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::invalid_input);
  EXPECT_NE(a.error().message.find("/opt/tomcat/conf/server.xml:72: malformed XML"),
            std::string::npos)
      << a.error().message;
}

TEST(TomcatAnalyzer, OtherJvmIsNotTomcat)
{
  auto root = HostRoot::open(test::fixture("hosts/tomcat-malformed")).value();
  auto process = read_process(root, 4702).value();
  EXPECT_FALSE(make_tomcat_analyzer()->matches(process, root));
  EXPECT_FALSE(is_tomcat_process(process));
  auto layout = find_layout(process, root);
  ASSERT_FALSE(layout);
  EXPECT_EQ(layout.error().code, ErrorCode::unsupported);
  EXPECT_EQ(find_analyzer(process, root), nullptr);
}

TEST(TomcatAnalyzer, MissingBaseOrServerXmlIsNotFound)
{
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "tomcat-two-instances");
  ASSERT_EQ(test::run_command("rm '" + host + "/srv/tomcat/blog/conf/server.xml'").status, 0);
  auto no_config = analyze_at(host, 4402);
  ASSERT_FALSE(no_config);
  EXPECT_EQ(no_config.error().code, ErrorCode::not_found);
  EXPECT_NE(no_config.error().message.find("/srv/tomcat/blog/conf/server.xml is missing"),
            std::string::npos)
      << no_config.error().message;

  ASSERT_EQ(test::run_command("rm -r '" + host + "/srv/tomcat/shop'").status, 0);
  auto no_base = analyze_at(host, 4401);
  ASSERT_FALSE(no_base);
  EXPECT_EQ(no_base.error().code, ErrorCode::not_found);
  EXPECT_NE(no_base.error().message.find("CATALINA_BASE /srv/tomcat/shop"), std::string::npos)
      << no_base.error().message;
}

TEST(TomcatAnalyzer, HomeAndBaseFallBackToEnvironmentAndBootstrapJar)
{
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "tomcat-two-instances");
  // Without -Dcatalina.*: CATALINA_BASE from the environment, CATALINA_HOME from bootstrap.jar.
  std::string cmdline = std::string("/usr/lib/jvm/java-17-openjdk-amd64/bin/java") + '\0'
                        + "-classpath" + '\0' + "/opt/tomcat10/bin/bootstrap.jar" + '\0'
                        + "org.apache.catalina.startup.Bootstrap" + '\0' + "start" + '\0';
  std::ofstream(host + "/proc/4401/cmdline", std::ios::binary | std::ios::trunc) << cmdline;
  auto root = HostRoot::open(host).value();
  auto process = read_process(root, 4401).value();
  auto layout = find_layout(process, root);
  ASSERT_TRUE(layout) << layout.error().message;
  EXPECT_EQ(layout->catalina_home, "/opt/tomcat10");
  EXPECT_EQ(layout->home_source, "CATALINA_HOME");
  EXPECT_EQ(layout->catalina_base, "/srv/tomcat/shop");
  EXPECT_EQ(layout->base_source, "CATALINA_BASE");
  EXPECT_EQ(layout->java_home, "/usr/lib/jvm/java-17-openjdk-amd64");

  // No environment either: HOME from bootstrap.jar, BASE from the working directory.
  std::ofstream(host + "/proc/4401/environ", std::ios::binary | std::ios::trunc) << "";
  process = read_process(root, 4401).value();
  layout = find_layout(process, root);
  ASSERT_TRUE(layout) << layout.error().message;
  EXPECT_EQ(layout->catalina_home, "/opt/tomcat10");
  EXPECT_EQ(layout->home_source, "location of bootstrap.jar");
  EXPECT_EQ(layout->catalina_base, "/srv/tomcat/shop");
  EXPECT_EQ(layout->base_source, "working directory");
}

TEST(TomcatAnalyzer, JarFormIsTomcat)
{
  ProcessInfo process;
  process.exe = "/usr/lib/jvm/java-17-openjdk-amd64/bin/java";
  process.cmdline = {"java", "-jar", "/opt/tomcat/bin/bootstrap.jar", "start"};
  EXPECT_TRUE(is_tomcat_process(process));
  process.cmdline = {"java", "-jar", "/opt/app/app.jar"};
  EXPECT_FALSE(is_tomcat_process(process));
  process.cmdline = {"/bin/sh", "/opt/tomcat/bin/catalina.sh", "run"};
  process.exe = "/bin/dash";
  EXPECT_FALSE(is_tomcat_process(process));
}

TEST(TomcatAnalyzer, InventoryListsTwoInstancesWithStableIds)
{
  auto root = HostRoot::open(test::fixture("hosts/tomcat-two-instances")).value();
  auto first = inventory(root, analyzers());
  std::map<int, std::string> ids;
  for (const auto& entry : first) {
    EXPECT_TRUE(entry.analyzer_error.empty()) << entry.analyzer_error;
    EXPECT_EQ(entry.identity.application_type, "java-tomcat");
    ids[entry.pid] = entry.identity.application_id;
  }
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_NE(ids[4401], ids[4402]);
  // Stable: the same ids again, and find_target maps each id back to its PID.
  for (const auto& entry : inventory(root, analyzers())) {
    EXPECT_EQ(entry.identity.application_id, ids[entry.pid]);
  }
  EXPECT_EQ(find_target(root, analyzers(), ids[4402]).value(), 4402);
}
