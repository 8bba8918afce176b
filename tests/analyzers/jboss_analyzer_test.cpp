// The JBoss/WildFly analyzer on fake host trees (fixtures/hosts/jboss-*, built by
// fixtures/hosts/jboss-generate.py from the real configs in fixtures/configs/jboss): golden
// analysis.json per schema generation, domain mode and JBoss AS 4-6 refused, and every
// bad-input error naming what to fix.
//
// DECANT_UPDATE_GOLDEN=1 rewrites expected/analysis.json and expected/secrets.json; review the
// diff before committing it.
#include "golden.hpp"
#include "jboss/jboss_analyzer.hpp"
#include "test_support.hpp"

#include <decant/proc/process.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/strings.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>

using namespace decant;

namespace {

struct Scenario {
  const char* host;
  int pid;
};

const Scenario k_scenarios[] = {
    {"jboss-as-7.1", 7101},
    {"jboss-eap-6.4", 6401},
    {"jboss-eap-7.4", 7401},
    {"jboss-eap-8.0", 8001},
    {"jboss-wildfly-26", 2601},
};

Result<Analysis>
analyze_at(const std::string& root_dir, int pid)
{
  return test::analyze_fixture(*jboss::make_jboss_analyzer(), root_dir, pid);
}

nlohmann::json
stable(nlohmann::json json)
{
  json.erase("createdAt");
  json["resources"].erase("cpus");
  return json;
}

const Port*
port_named(const Analysis& a, const std::string& name)
{
  for (const auto& port : a.ports) {
    if (port.name == name) {
      return &port;
    }
  }
  return nullptr;
}

bool
has_warning(const Analysis& a, const std::string& code, const std::string& needle = "")
{
  for (const auto& w : a.warnings) {
    if (w.code == code && w.message.find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// Replaces the NUL-separated argv of /proc/<pid>/cmdline.
void
write_cmdline(const std::string& host, int pid, const std::vector<std::string>& argv)
{
  std::string content;
  for (const auto& arg : argv) {
    content += arg + '\0';
  }
  std::ofstream(host + "/proc/" + std::to_string(pid) + "/cmdline",
                std::ios::binary | std::ios::trunc)
      << content;
}

std::vector<std::string>
read_cmdline(const std::string& host, int pid)
{
  std::string text = read_file(host + "/proc/" + std::to_string(pid) + "/cmdline").value();
  auto parts = split(text, '\0');
  if (!parts.empty() && parts.back().empty()) {
    parts.pop_back();
  }
  return parts;
}

} // namespace

class JbossGolden : public ::testing::TestWithParam<Scenario>
{
};

TEST_P(JbossGolden, MatchesExpectedAnalysis)
{
  const Scenario& s = GetParam();
  std::string host = test::fixture(std::string("hosts/") + s.host);
  auto analysis = analyze_at(host, s.pid);
  ASSERT_TRUE(analysis) << analysis.error().message;
  test::expect_golden_analysis(host, *analysis, stable);
}

INSTANTIATE_TEST_SUITE_P(Hosts,
                         JbossGolden,
                         ::testing::ValuesIn(k_scenarios),
                         [](const ::testing::TestParamInfo<Scenario>& info) {
                           return test::golden_test_name(info.param.host);
                         });

TEST(JbossAnalyzer, ProductVersionAndJavaPerGeneration)
{
  struct Case {
    const char* host;
    int pid;
    const char* name;
    const char* version;
    const char* java;
    uint64_t heap;
  };
  const Case cases[] = {
      {"jboss-as-7.1", 7101, "JBoss AS", "7.1.3.Final", "1.8.0_412", 512ull << 20},
      {"jboss-eap-6.4",
       6401,
       "Red Hat JBoss Enterprise Application Platform",
       "6.4.0.GA",
       "1.8.0_412",
       1303ull << 20},
      {"jboss-eap-7.4", 7401, "JBoss EAP", "7.4.0.GA", "11.0.23", 2ull << 30},
      {"jboss-eap-8.0", 8001, "JBoss EAP", "8.0.0.GA", "17.0.11", 512ull << 20},
      {"jboss-wildfly-26", 2601, "WildFly Full", "26.0.1.Final", "17.0.11", 512ull << 20},
  };
  for (const auto& c : cases) {
    auto a = analyze_at(test::fixture(std::string("hosts/") + c.host), c.pid);
    ASSERT_TRUE(a) << c.host << ": " << a.error().message;
    EXPECT_EQ(a->application_type, "java-jboss");
    EXPECT_EQ(a->runtime.name, c.name) << c.host;
    EXPECT_EQ(a->runtime.version, c.version) << c.host;
    EXPECT_EQ(a->runtime.details["javaVersion"], c.java) << c.host;
    EXPECT_EQ(a->resources.heap_max_bytes.value_or(0), c.heap) << c.host;
  }
}

TEST(JbossAnalyzer, As71OffsetBindAddressAndRoles)
{
  auto a = analyze_at(test::fixture("hosts/jboss-as-7.1"), 7101);
  ASSERT_TRUE(a) << a.error().message;
  const Port* http = port_named(*a, "http");
  ASSERT_NE(http, nullptr);
  EXPECT_EQ(http->port, 8180);
  EXPECT_EQ(http->role, PortRole::http);
  EXPECT_TRUE(http->expose);
  EXPECT_TRUE(http->listening);
  EXPECT_EQ(http->address, "");
  EXPECT_EQ(http->source, "/opt/jboss-as-7.1.3.Final/standalone/configuration/standalone.xml:291");
  const Port* native = port_named(*a, "management-native");
  ASSERT_NE(native, nullptr);
  EXPECT_EQ(native->port, 10099);
  EXPECT_EQ(native->role, PortRole::management);
  EXPECT_FALSE(native->expose);
  EXPECT_EQ(native->address, "127.0.0.1");
  EXPECT_EQ(port_named(*a, "txn-status-manager")->role, PortRole::txn);
  EXPECT_FALSE(port_named(*a, "txn-status-manager")->expose);
  // Unused bindings (ajp, https) are not ports; the debug agent's socket is seen, not exposed.
  EXPECT_EQ(port_named(*a, "ajp"), nullptr);
  bool jdwp = false;
  for (const auto& port : a->ports) {
    if (port.port == 8787) {
      jdwp = true;
      EXPECT_EQ(port.source, "socket");
      EXPECT_FALSE(port.expose);
    }
  }
  EXPECT_TRUE(jdwp);
  EXPECT_TRUE(has_warning(*a, "port-unconfigured", "8787"));
  // The deployment scanner's markers give each deployment's state.
  auto deployments = a->runtime.details["deployments"];
  ASSERT_EQ(deployments.size(), 2u);
  EXPECT_EQ(deployments[0]["name"], "broken.war");
  EXPECT_EQ(deployments[0]["state"], "failed");
  EXPECT_EQ(deployments[1]["state"], "deployed");
}

TEST(JbossAnalyzer, Eap64BaseDirPropertiesFileAndBindManagement)
{
  auto a = analyze_at(test::fixture("hosts/jboss-eap-6.4"), 6401);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->runtime.details["serverConfig"], "/srv/eap/node1/configuration/standalone-full.xml");
  EXPECT_EQ(a->runtime.details["portOffset"], 10);
  EXPECT_EQ(port_named(*a, "http")->port, 8090);
  EXPECT_EQ(port_named(*a, "management-http")->address, "10.1.2.3");
  EXPECT_EQ(port_named(*a, "management-http")->port, 10000);
  EXPECT_FALSE(port_named(*a, "management-http")->expose);
  EXPECT_TRUE(port_named(*a, "messaging")->expose);
  // The base directory outside the home is part of the image, its logs a volume.
  bool base = false;
  for (const auto& file : a->files) {
    base = base || file.path == "/srv/eap/node1";
  }
  EXPECT_TRUE(base);
  bool log = false;
  for (const auto& volume : a->volumes) {
    log = log || (volume.path == "/srv/eap/node1/log" && volume.role == VolumeRole::log);
  }
  EXPECT_TRUE(log);
}

TEST(JbossAnalyzer, LoopbackPublicInterfaceIsReboundInTheImage)
{
  auto a = analyze_at(test::fixture("hosts/jboss-eap-7.4"), 7401);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->start.command.back(), "-bprivate=0.0.0.0");
  EXPECT_NE(std::find(a->start.command.begin(), a->start.command.end(), "-b=0.0.0.0"),
            a->start.command.end());
  EXPECT_TRUE(has_warning(*a, "localhost-only", "interface \"public\" resolves to 127.0.0.1"));
  EXPECT_EQ(port_named(*a, "http")->address, "");
  EXPECT_TRUE(port_named(*a, "ajp")->expose);
  // Management keeps its loopback address and is not exposed: no -bmanagement is added.
  EXPECT_EQ(port_named(*a, "management-http")->address, "127.0.0.1");
  for (const auto& arg : a->start.command) {
    EXPECT_EQ(arg.find("-bmanagement"), std::string::npos);
  }
  // The keystore password on the command line is a secret.
  bool redacted = false;
  for (const auto& arg : a->start.command) {
    redacted = redacted || starts_with(arg, "-Djavax.net.ssl.keyStorePassword=${secret:");
  }
  EXPECT_TRUE(redacted);
  EXPECT_EQ(port_named(*a, "jgroups-udp")->protocol, "udp");
  EXPECT_FALSE(port_named(*a, "jgroups-udp")->expose);
}

TEST(JbossAnalyzer, WildFly26DatasourceEnvPortAndManagedDeployment)
{
  auto a = analyze_at(test::fixture("hosts/jboss-wildfly-26"), 2601);
  ASSERT_TRUE(a) << a.error().message;
  // ${jboss.http.port,env.HTTP_PORT:8080} with HTTP_PORT=8180, fixed port-offset 5.
  EXPECT_EQ(port_named(*a, "http")->port, 8185);
  EXPECT_EQ(port_named(*a, "https")->port, 8448);
  bool mysql = false;
  for (const auto& dep : a->dependencies) {
    if (dep.kind == DependencyKind::database) {
      mysql = dep.host == "localhost" && dep.port == 3306;
    }
  }
  EXPECT_TRUE(mysql);
  EXPECT_TRUE(has_warning(*a, "dependency-localhost"));
  std::string json = to_json(*a).dump();
  nlohmann::json secrets = secrets_json(*a);
  ASSERT_TRUE(secrets.contains("DS_TIMERGAMEDS_PASSWORD")) << secrets.dump();
  EXPECT_EQ(json.find(secrets["DS_TIMERGAMEDS_PASSWORD"].get<std::string>()), std::string::npos)
      << "the datasource password leaked into analysis.json";
  bool content = false;
  for (const auto& file : a->files) {
    content =
        content
        || file.path
               == "/opt/wildfly/standalone/data/content/3c/5b4c1f2a9e8d7c6b5a49382716f5e4d3c2b1a0";
  }
  EXPECT_TRUE(content);
  for (const auto& volume : a->volumes) {
    EXPECT_NE(volume.path, "/opt/wildfly/standalone/data/content");
  }
}

// The JDK steps Tomcat takes (java/jdk_trim.hpp), on what jboss-modules can load: the tool
// modules go with their reasons, javac only when the modules hold the Eclipse compiler Jastow
// uses; the fonts go when no deployment or module jar draws text, and stay, naming the class,
// when one does (three archives deep in an ear).
TEST(JbossAnalyzer, JdkTrimmedLikeTomcatsWithReasons)
{
  auto removed = [](const Analysis& a) {
    std::map<std::string, std::string> out;
    for (const auto& removal : a.runtime.details.at("jlink").at("remove")) {
      out[removal.at("module").get<std::string>()] = removal.at("reason").get<std::string>();
    }
    return out;
  };
  auto has_warning = [](const Analysis& a, const std::string& code) {
    return std::any_of(
        a.warnings.begin(), a.warnings.end(), [&](const Warning& w) { return w.code == code; });
  };
  auto font_exclusion = [](const Analysis& a) -> const Exclusion* {
    for (const auto& x : a.exclude) {
      if (ends_with(x.path, "/lib/libfontmanager.so")) {
        return &x;
      }
    }
    return nullptr;
  };

  auto wildfly = analyze_at(test::fixture("hosts/jboss-wildfly-26"), 2601);
  ASSERT_TRUE(wildfly) << wildfly.error().message;
  const auto& details = wildfly->runtime.details;
  ASSERT_TRUE(details.contains("jlink")) << details.value("jlinkSkipped", "");
  EXPECT_EQ(details["jlink"]["javaHome"], "/usr/lib/jvm/java-17-openjdk-amd64");
  auto modules = removed(*wildfly);
  EXPECT_TRUE(modules.count("jdk.compiler")) << "ECJ is in the modules: javac goes";
  EXPECT_TRUE(modules.count("jdk.jshell"));
  EXPECT_FALSE(modules.count("java.logging"));
  for (const auto& [module, reason] : modules) {
    EXPECT_FALSE(reason.empty()) << module;
  }
  EXPECT_EQ(details["moduleTree"]["eclipseCompiler"].size(), 1u);
  EXPECT_EQ(details["textDrawing"]["drawsText"], false);
  EXPECT_GE(details["textDrawing"]["classes"].get<int>(), 4); // deployment, modules, jboss-modules
  const Exclusion* fonts = font_exclusion(*wildfly);
  ASSERT_TRUE(fonts);
  EXPECT_NE(fonts->reason.find("no class of the server or its applications draws text"),
            std::string::npos)
      << fonts->reason;
  EXPECT_TRUE(has_warning(*wildfly, "fonts-left-out"));
  // -Djava.awt.headless=true (standalone.conf): the X11 toolkit is excluded.
  EXPECT_TRUE(std::any_of(wildfly->exclude.begin(), wildfly->exclude.end(), [](const Exclusion& x) {
    return ends_with(x.path, "/lib/libawt_xawt.so");
  }));

  auto eap = analyze_at(test::fixture("hosts/jboss-eap-8.0"), 8001);
  ASSERT_TRUE(eap) << eap.error().message;
  auto eap_modules = removed(*eap);
  EXPECT_FALSE(eap_modules.count("jdk.compiler")) << "no ECJ among the modules: javac stays";
  EXPECT_TRUE(eap_modules.count("jdk.jshell"));
  EXPECT_EQ(eap->runtime.details["textDrawing"]["drawsText"], true);
  std::string first = eap->runtime.details["textDrawing"]["firstUse"];
  EXPECT_NE(first.find("reports.ear!/reports.war!/WEB-INF/lib/charts.jar"), std::string::npos)
      << first;
  EXPECT_FALSE(font_exclusion(*eap));
  bool fontmanager = false;
  for (const auto& library : eap->runtime.details["lazyLibraries"]) {
    if (ends_with(library["path"].get<std::string>(), "/lib/libfontmanager.so")) {
      fontmanager = true;
      EXPECT_NE(library["reason"].get<std::string>().find("ChartRenderer.class"),
                std::string::npos);
    }
  }
  EXPECT_TRUE(fontmanager);

  // Java 8: no jmods, so no plan, and why.
  auto as7 = analyze_at(test::fixture("hosts/jboss-as-7.1"), 7101);
  ASSERT_TRUE(as7) << as7.error().message;
  EXPECT_FALSE(as7->runtime.details.contains("jlink"));
  EXPECT_NE(as7->runtime.details.value("jlinkSkipped", "").find("jmods"), std::string::npos);
}

TEST(JbossAnalyzer, DomainModeIsUnsupported)
{
  for (int pid : {7402, 7403}) {
    auto a = analyze_at(test::fixture("hosts/jboss-eap-7.4"), pid);
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().code, ErrorCode::unsupported);
    EXPECT_NE(a.error().message.find("unsupported: domain mode"), std::string::npos)
        << a.error().message;
    EXPECT_FALSE(a.error().hint.empty());
  }
  auto server = analyze_at(test::fixture("hosts/jboss-eap-7.4"), 7403);
  EXPECT_NE(server.error().message.find("managed server server-one"), std::string::npos);
}

TEST(JbossAnalyzer, JbossAs5IsUnsupportedVersion)
{
  auto a = analyze_at(test::fixture("hosts/jboss-eap-7.4"), 5101);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::unsupported);
  EXPECT_NE(a.error().message.find("unsupported version: JBoss AS 4-6"), std::string::npos)
      << a.error().message;
}

TEST(JbossAnalyzer, CliExitCodeForDomainMode)
{
  auto result =
      test::run_command(std::string(DECANT_BINARY) + " --root '"
                        + test::fixture("hosts/jboss-eap-7.4") + "' analyze 7402 -o /dev/null");
  EXPECT_EQ(result.status, exit_code(ErrorCode::unsupported)) << result.err;
  EXPECT_NE(result.err.find("unsupported: domain mode"), std::string::npos) << result.err;
}

TEST(JbossAnalyzer, MissingConfigNamedByDashC)
{
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "jboss-eap-7.4");
  auto argv = read_cmdline(host, 7401);
  for (auto& arg : argv) {
    if (arg == "--server-config=standalone-ha.xml") {
      arg = "--server-config=standalone-gone.xml";
    }
  }
  write_cmdline(host, 7401, argv);
  auto a = analyze_at(host, 7401);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::not_found);
  EXPECT_NE(a.error().message.find(
                "/opt/rh/eap7/standalone/configuration/standalone-gone.xml is missing"),
            std::string::npos)
      << a.error().message;
  EXPECT_NE(a.error().message.find("-c standalone-gone.xml"), std::string::npos);
}

TEST(JbossAnalyzer, MalformedConfigNamesFileAndLine)
{
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "jboss-eap-8.0");
  std::string path = host + "/opt/jboss-eap-8.0/standalone/configuration/standalone.xml";
  std::string text = read_file(path).value();
  text.replace(text.find("</interfaces>"), 13, "</interface>");
  std::ofstream(path, std::ios::trunc) << text;
  auto a = analyze_at(host, 8001);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::invalid_input);
  EXPECT_NE(a.error().message.find("/opt/jboss-eap-8.0/standalone/configuration/standalone.xml:"),
            std::string::npos)
      << a.error().message;
  EXPECT_NE(a.error().message.find("malformed XML"), std::string::npos);
}

TEST(JbossAnalyzer, UnresolvableExpressionNamesItAndFileLine)
{
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "jboss-eap-8.0");
  std::string path = host + "/opt/jboss-eap-8.0/standalone/configuration/standalone.xml";
  std::string text = read_file(path).value();
  text.replace(text.find("${jboss.http.port:8080}"), 23, "${app.http.port}");
  std::ofstream(path, std::ios::trunc) << text;
  auto a = analyze_at(host, 8001);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::invalid_input);
  EXPECT_NE(a.error().message.find("standalone.xml:507: socket-binding \"http\" port"),
            std::string::npos)
      << a.error().message;
  EXPECT_NE(a.error().message.find("app.http.port"), std::string::npos);
}

TEST(JbossAnalyzer, MissingPropertiesFileIsNamed)
{
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "jboss-eap-6.4");
  ASSERT_EQ(std::remove((host + "/srv/eap/node1/configuration/node.properties").c_str()), 0);
  auto a = analyze_at(host, 6401);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::not_found);
  EXPECT_NE(a.error().message.find("--properties /srv/eap/node1/configuration/node.properties"),
            std::string::npos)
      << a.error().message;
}

TEST(JbossAnalyzer, IdentityFollowsBaseDirAndConfig)
{
  auto root = HostRoot::open(test::fixture("hosts/jboss-eap-7.4"));
  ASSERT_TRUE(root);
  auto process = read_process(*root, 7401);
  ASSERT_TRUE(process);
  auto analyzer = jboss::make_jboss_analyzer();
  auto id = analyzer->identify(*process, *root);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->application_type, "java-jboss");
  EXPECT_EQ(id->path, "/opt/rh/eap7/standalone");
  EXPECT_EQ(
      id->application_id,
      make_application_id(
          "java-jboss",
          "/opt/rh/eap7/standalone\n/opt/rh/eap7/standalone/configuration/standalone-ha.xml"));
  auto other = analyze_at(test::fixture("hosts/jboss-eap-8.0"), 8001);
  ASSERT_TRUE(other);
  EXPECT_NE(other->application_id, id->application_id);
}

TEST(JbossAnalyzer, NotAJbossJvmIsNotMatched)
{
  auto root = HostRoot::open(test::fixture("hosts/aspnet-8.0-muxer"));
  ASSERT_TRUE(root);
  auto process = read_process(*root, 8001);
  ASSERT_TRUE(process);
  EXPECT_FALSE(jboss::make_jboss_analyzer()->matches(*process, *root));
}

TEST(JbossAnalyzer, DefaultConfigPropertyChoosesTheConfigWithoutDashC)
{
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "jboss-as-7.1");
  std::string config_dir = host + "/opt/jboss-as-7.1.3.Final/standalone/configuration";
  ASSERT_EQ(std::rename((config_dir + "/standalone.xml").c_str(),
                        (config_dir + "/standalone-web.xml").c_str()),
            0);
  auto argv = read_cmdline(host, 7101);
  argv.insert(argv.begin() + 2, "-Djboss.server.default.config=standalone-web.xml");
  write_cmdline(host, 7101, argv);
  auto a = analyze_at(host, 7101);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->runtime.details["serverConfig"],
            "/opt/jboss-as-7.1.3.Final/standalone/configuration/standalone-web.xml");
  EXPECT_EQ(port_named(*a, "http")->port, 8180);
}

TEST(JbossAnalyzer, MissingDefaultConfigIsNamed)
{
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "jboss-as-7.1");
  ASSERT_EQ(
      std::remove(
          (host + "/opt/jboss-as-7.1.3.Final/standalone/configuration/standalone.xml").c_str()),
      0);
  auto a = analyze_at(host, 7101);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::not_found);
  EXPECT_NE(a.error().message.find(
                "/opt/jboss-as-7.1.3.Final/standalone/configuration/standalone.xml is missing"),
            std::string::npos)
      << a.error().message;
  EXPECT_FALSE(a.error().hint.empty());
}

TEST(JbossAnalyzer, UnreadableEnvironmentFallsBackToDefaultsWithAWarning)
{
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "jboss-wildfly-26");
  ASSERT_EQ(std::remove((host + "/proc/2601/environ").c_str()), 0);
  auto a = analyze_at(host, 2601);
  ASSERT_TRUE(a) << a.error().message;
  // ${jboss.http.port,env.HTTP_PORT:8080} without HTTP_PORT: 8080 + offset 5.
  EXPECT_EQ(port_named(*a, "http")->port, 8085);
  EXPECT_FALSE(port_named(*a, "http")->listening);
  EXPECT_TRUE(has_warning(*a, "environment-unreadable", "PID 2601"));
}
