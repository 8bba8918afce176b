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
#include <decant/proc/process.hpp>
#include <decant/util/fs.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <registry.hpp>

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
