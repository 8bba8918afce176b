// The TomEE analyzer on fake host trees (fixtures/hosts/tomee-*, built by
// fixtures/hosts/tomee-generate.py from the real configs in fixtures/configs/tomee): golden
// analysis.json per flavor, TomEE chosen before Tomcat, secrets kept out of analysis.json,
// dependencies, and the bad-input errors.
//
// DECANT_UPDATE_GOLDEN=1 rewrites expected/analysis.json and expected/secrets.json; review the
// diff before committing it.
#include "golden.hpp"
#include "test_support.hpp"
#include "tomee/tomee_analyzer.hpp"

#include <decant/analyzer/analyzer.hpp>
#include <decant/proc/process.hpp>
#include <decant/util/fs.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <registry.hpp>

using namespace decant;
using namespace decant::tomee;

namespace {

struct Scenario {
  const char* host;
  int pid;
  const char* version;
  const char* flavor;
};

const Scenario k_scenarios[] = {
    {"tomee-8.0-plus", 8016, "8.0.16", "plus"},
    {"tomee-9.1-webprofile", 9013, "9.1.3", "webprofile"},
    {"tomee-10.0-microprofile", 10001, "10.0.0", "microprofile"},
    {"tomee-10.0-plume", 10002, "10.0.0", "plume"},
};

Result<Analysis>
analyze_at(const std::string& root_dir, int pid)
{
  return test::analyze_fixture(*make_tomee_analyzer(), root_dir, pid);
}

// What may differ between runs: the time, and the CPU count of the machine running the test.
nlohmann::json
stable(nlohmann::json json)
{
  json.erase("createdAt");
  json["resources"].erase("cpus");
  return json;
}

std::vector<std::string>
dependencies(const Analysis& a)
{
  std::vector<std::string> out;
  for (const auto& d : a.dependencies) {
    out.push_back(to_string(d.kind) + " " + d.host + ":" + std::to_string(d.port) + " " + d.source);
  }
  return out;
}

const FileEntry*
file_entry(const Analysis& a, const std::string& path)
{
  for (const auto& f : a.files) {
    if (f.path == path) {
      return &f;
    }
  }
  return nullptr;
}

bool
has_warning(const Analysis& a, const std::string& code, const std::string& text)
{
  for (const auto& w : a.warnings) {
    if (w.code == code && w.message.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

} // namespace

class TomeeGolden : public ::testing::TestWithParam<Scenario>
{
};

TEST_P(TomeeGolden, MatchesExpectedAnalysis)
{
  const Scenario& s = GetParam();
  std::string host = test::fixture(std::string("hosts/") + s.host);
  auto analysis = analyze_at(host, s.pid);
  ASSERT_TRUE(analysis) << analysis.error().message;
  test::expect_golden_analysis(host, *analysis, stable);
  // The identity inventory shows is the one analyze() gives.
  auto root = HostRoot::open(host).value();
  auto identity = make_tomee_analyzer()->identify(read_process(root, s.pid).value(), root);
  ASSERT_TRUE(identity) << identity.error().message;
  EXPECT_EQ(identity->application_id, analysis->application_id);
  EXPECT_EQ(identity->application_type, "java-tomee");
}

INSTANTIATE_TEST_SUITE_P(Hosts,
                         TomeeGolden,
                         ::testing::ValuesIn(k_scenarios),
                         [](const ::testing::TestParamInfo<Scenario>& info) {
                           return test::golden_test_name(info.param.host);
                         });

TEST(TomeeAnalyzer, VersionFlavorAndTomcatUnderneath)
{
  for (const auto& s : k_scenarios) {
    SCOPED_TRACE(s.host);
    auto a = analyze_at(test::fixture(std::string("hosts/") + s.host), s.pid);
    ASSERT_TRUE(a) << a.error().message;
    auto j = to_json(*a);
    EXPECT_EQ(j["applicationType"], "java-tomee");
    EXPECT_EQ(j["runtime"]["name"], "Apache TomEE");
    EXPECT_EQ(j["runtime"]["version"], s.version);
    EXPECT_EQ(j["runtime"]["flavor"], s.flavor);
    EXPECT_FALSE(j["runtime"]["tomcatVersion"].get<std::string>().empty());
    EXPECT_EQ(a->application_id.rfind("java-tomee-", 0), 0u);
  }
}

TEST(TomeeAnalyzer, TomeeIsChosenBeforeTomcatAndPlainTomcatStaysTomcat)
{
  for (const auto& s : k_scenarios) {
    SCOPED_TRACE(s.host);
    auto root = HostRoot::open(test::fixture(std::string("hosts/") + s.host)).value();
    auto process = read_process(root, s.pid).value();
    const Analyzer* chosen = find_analyzer(process, root);
    ASSERT_NE(chosen, nullptr);
    EXPECT_EQ(chosen->info().id, "java-tomee");
  }
  auto root = HostRoot::open(test::fixture("hosts/tomee-plain-tomcat")).value();
  auto process = read_process(root, 1028).value();
  EXPECT_FALSE(make_tomee_analyzer()->matches(process, root));
  const Analyzer* chosen = find_analyzer(process, root);
  ASSERT_NE(chosen, nullptr);
  EXPECT_EQ(chosen->info().id, "java-tomcat");
}

TEST(TomeeAnalyzer, DataSourcePasswordsOnlyInSecretsJson)
{
  test::TempDir out;
  auto a = analyze_at(test::fixture("hosts/tomee-8.0-plus"), 8016);
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(save_analysis(*a, out.path() + "/analysis.json"));
  std::string analysis_text = read_file(out.path() + "/analysis.json").value();
  std::string secrets_text = read_file(out.path() + "/secrets.json").value();
  for (const char* password : {"Sh0p-Pa55w0rd", "r3p0rts"}) {
    SCOPED_TRACE(password);
    EXPECT_EQ(analysis_text.find(password), std::string::npos);
    EXPECT_NE(secrets_text.find(password), std::string::npos);
  }
  auto secrets = secrets_json(*a);
  EXPECT_EQ(secrets["TOMEE_JDBC_SHOP_PASSWORD"], "Sh0p-Pa55w0rd");
  EXPECT_EQ(secrets["TOMEE_JDBC_REPORTS_JDBCURL_PASSWORD"], "r3p0rts");
  // The file that holds them is packed, marked secret, with a reason naming them.
  const FileEntry* tomee_xml = file_entry(*a, "/opt/tomee/conf/tomee.xml");
  ASSERT_NE(tomee_xml, nullptr);
  EXPECT_TRUE(tomee_xml->secret);
  EXPECT_NE(tomee_xml->reason.find("jdbc/shop.Password"), std::string::npos);
  // Where each secret was found.
  bool found = false;
  for (const auto& s : a->secrets) {
    if (s.name == "TOMEE_JDBC_SHOP_PASSWORD") {
      EXPECT_EQ(s.source, "/opt/tomee/conf/tomee.xml:10");
      found = true;
    }
  }
  EXPECT_TRUE(found);
  auto resources = to_json(*a)["runtime"]["tomee"]["resources"];
  EXPECT_EQ(resources[1]["jdbcUrl"],
            "jdbc:mysql://reports.internal:3307/reports?useSSL=true&password=${secret:"
            "TOMEE_JDBC_REPORTS_JDBCURL_PASSWORD}");
}

TEST(TomeeAnalyzer, DependenciesFromDataSourcesAndBroker)
{
  auto plus = analyze_at(test::fixture("hosts/tomee-8.0-plus"), 8016);
  ASSERT_TRUE(plus) << plus.error().message;
  auto deps = dependencies(*plus);
  for (const char* expected : {"database pg.internal:5432 /opt/tomee/conf/tomee.xml:8",
                               "database reports.internal:3307 /opt/tomee/conf/tomee.xml:17",
                               "service mq1.internal:61616 /opt/tomee/conf/tomee.xml:23",
                               "service mq2.internal:61616 /opt/tomee/conf/tomee.xml:23"}) {
    EXPECT_NE(std::find(deps.begin(), deps.end(), expected), deps.end())
        << expected << " not in dependencies";
  }
  auto web = analyze_at(test::fixture("hosts/tomee-9.1-webprofile"), 9013);
  ASSERT_TRUE(web) << web.error().message;
  deps = dependencies(*web);
  EXPECT_NE(std::find(deps.begin(),
                      deps.end(),
                      "database mysql.internal:3306 /var/lib/tomee/conf/system.properties:6"),
            deps.end());
  EXPECT_EQ(secrets_json(*web)["TOMEE_ORDERS_PASSWORD"], "0rd3rs-pw");
  EXPECT_EQ(secrets_json(*web)["TOMEE_SYSTEM_JAVAX_NET_SSL_TRUSTSTOREPASSWORD"], "changeit");
  // Embedded Derby (plume) and HSQLDB (openejb.xml defaults) have no server to depend on.
  auto plume = analyze_at(test::fixture("hosts/tomee-10.0-plume"), 10002);
  ASSERT_TRUE(plume) << plume.error().message;
  for (const auto& d : plume->dependencies) {
    EXPECT_EQ(d.source.find("tomee.xml"), std::string::npos) << d.host;
  }
}

TEST(TomeeAnalyzer, SystemPropertiesDeploymentsAndClasspath)
{
  auto plus = analyze_at(test::fixture("hosts/tomee-8.0-plus"), 8016);
  ASSERT_TRUE(plus) << plus.error().message;
  const FileEntry* props = file_entry(*plus, "/opt/tomee/conf/system.properties");
  ASSERT_NE(props, nullptr);
  EXPECT_NE(props->reason.find("TomEE system properties"), std::string::npos);
  EXPECT_FALSE(props->secret);
  const FileEntry* apps = file_entry(*plus, "/opt/tomee/apps");
  ASSERT_NE(apps, nullptr);
  EXPECT_NE(apps->reason.find("<Deployments dir=\"apps\">"), std::string::npos);
  EXPECT_NE(file_entry(*plus, "/opt/tomee/lib/openejb-javaagent.jar"), nullptr);

  // openejb.xml's default <Deployments dir="apps/"/> does not exist there: a warning.
  auto web = analyze_at(test::fixture("hosts/tomee-9.1-webprofile"), 9013);
  ASSERT_TRUE(web) << web.error().message;
  EXPECT_TRUE(has_warning(*web, "tomee-deployments-missing", "/var/lib/tomee/apps"));
  EXPECT_EQ(file_entry(*web, "/var/lib/tomee/apps"), nullptr);
  EXPECT_NE(file_entry(*web, "/var/lib/tomee/conf/openejb.xml"), nullptr);
  EXPECT_TRUE(file_entry(*web, "/var/lib/tomee/conf/system.properties")->secret);

  // classpath="${catalina.base}/../../drivers/derby-*.jar" of the upstream example.
  auto plume = analyze_at(test::fixture("hosts/tomee-10.0-plume"), 10002);
  ASSERT_TRUE(plume) << plume.error().message;
  EXPECT_NE(file_entry(*plume, "/srv/drivers/derby-10.10.1.1.jar"), nullptr);
  EXPECT_NE(file_entry(*plume, "/srv/drivers/derby-10.9.1.0.jar"), nullptr);
}

TEST(TomeeAnalyzer, MalformedTomeeXmlNamesFileAndLine)
{
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "tomee-8.0-plus");
  std::ofstream(host + "/opt/tomee/conf/tomee.xml", std::ios::trunc)
      << "<tomee>\n  <Resource id=\"x\" type=\"DataSource\">\n    JdbcUrl jdbc:h2:mem:x\n"
         "  </Resourc>\n</tomee>\n";
  auto a = analyze_at(host, 8016);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::invalid_input);
  EXPECT_NE(a.error().message.find("/opt/tomee/conf/tomee.xml:4: malformed XML"), std::string::npos)
      << a.error().message;
  EXPECT_FALSE(a.error().hint.empty());
}

TEST(TomeeAnalyzer, UndefinedPlaceholderIsAWarningNotADependency)
{
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "tomee-8.0-plus");
  // Without -Dshop.db.host the JdbcUrl keeps ${shop.db.host}.
  std::string cmdline = read_file(host + "/proc/8016/cmdline").value();
  std::string option = std::string("-Dshop.db.host=pg.internal") + '\0';
  cmdline.erase(cmdline.find(option), option.size());
  std::ofstream(host + "/proc/8016/cmdline", std::ios::trunc | std::ios::binary) << cmdline;
  auto a = analyze_at(host, 8016);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_TRUE(has_warning(*a, "tomee-placeholder", "/opt/tomee/conf/tomee.xml:8"));
  EXPECT_TRUE(has_warning(*a, "tomee-placeholder", "shop.db.host"));
  EXPECT_TRUE(has_warning(*a, "tomee-datasource-url", "jdbc/shop"));
  for (const auto& d : a->dependencies) {
    EXPECT_NE(d.port, 5432) << d.host;
  }
}

TEST(TomeeAnalyzer, OpenejbConfigurationPropertyPicksTheFile)
{
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "tomee-10.0-plume");
  // -Dopenejb.configuration=conf/custom.xml (relative: OpenEJB tries the working directory,
  // then openejb.base); tomee.xml is then not read.
  std::ofstream(host + "/srv/plume/tomee/conf/custom.xml", std::ios::trunc)
      << "<openejb>\n<Resource id=\"audit\" type=\"DataSource\">\n"
         "JdbcUrl jdbc:db2://db2.internal:50001/audit\nPassword audit-pw\n</Resource>\n"
         "</openejb>\n";
  std::string cmdline = read_file(host + "/proc/10002/cmdline").value();
  std::string anchor = std::string("-Xmx512m") + '\0';
  cmdline.insert(cmdline.find(anchor),
                 std::string("-Dopenejb.configuration=conf/custom.xml") + '\0');
  std::ofstream(host + "/proc/10002/cmdline", std::ios::trunc | std::ios::binary) << cmdline;
  auto a = analyze_at(host, 10002);
  ASSERT_TRUE(a) << a.error().message;
  auto tomee = to_json(*a)["runtime"]["tomee"];
  EXPECT_EQ(tomee["configuration"], "/srv/plume/tomee/conf/custom.xml");
  ASSERT_EQ(tomee["resources"].size(), 1u);
  EXPECT_EQ(tomee["resources"][0]["id"], "audit");
  EXPECT_EQ(
      dependencies(*a),
      (std::vector<std::string>{"database db2.internal:50001 /srv/plume/tomee/conf/custom.xml:3"}));
  EXPECT_EQ(secrets_json(*a)["TOMEE_AUDIT_PASSWORD"], "audit-pw");
  const FileEntry* custom = file_entry(*a, "/srv/plume/tomee/conf/custom.xml");
  ASSERT_NE(custom, nullptr);
  EXPECT_TRUE(custom->secret);
}

TEST(TomeeAnalyzer, RegisteredBeforeTomcat)
{
  std::vector<std::string> ids;
  for (const auto& analyzer : analyzers()) {
    ids.push_back(analyzer->info().id);
  }
  auto tomee = std::find(ids.begin(), ids.end(), "java-tomee");
  auto tomcat = std::find(ids.begin(), ids.end(), "java-tomcat");
  ASSERT_NE(tomee, ids.end());
  ASSERT_NE(tomcat, ids.end());
  EXPECT_LT(tomee - ids.begin(), tomcat - ids.begin());
}

TEST(TomeeAnalyzer, ApplicationResourcesXml)
{
  // An exploded webapp's WEB-INF/resources.xml: its file is packed as secret.
  auto plus = analyze_at(test::fixture("hosts/tomee-8.0-plus"), 8016);
  ASSERT_TRUE(plus) << plus.error().message;
  auto deps = dependencies(*plus);
  EXPECT_NE(std::find(deps.begin(),
                      deps.end(),
                      "database orders-db.internal:5434 "
                      "/opt/tomee/webapps/orders/WEB-INF/resources.xml:5"),
            deps.end());
  EXPECT_EQ(secrets_json(*plus)["TOMEE_JDBC_ORDERS_PASSWORD"], "0rders-app-pw");
  const FileEntry* file = file_entry(*plus, "/opt/tomee/webapps/orders/WEB-INF/resources.xml");
  ASSERT_NE(file, nullptr);
  EXPECT_TRUE(file->secret);
  // Inside a .war: read from the archive, the secret is named and the operator warned.
  auto web = analyze_at(test::fixture("hosts/tomee-9.1-webprofile"), 9013);
  ASSERT_TRUE(web) << web.error().message;
  deps = dependencies(*web);
  EXPECT_NE(std::find(deps.begin(),
                      deps.end(),
                      "database ora.internal:1521 "
                      "/var/lib/tomee/webapps/billing.war!/WEB-INF/resources.xml:3"),
            deps.end());
  EXPECT_EQ(secrets_json(*web)["TOMEE_JDBC_BILLING_PASSWORD"], "b1ll1ng-pw");
  EXPECT_TRUE(has_warning(*web, "tomee-app-secret", "billing.war!/WEB-INF/resources.xml"));
  EXPECT_EQ(to_json(*web).dump().find("b1ll1ng-pw"), std::string::npos);
}

TEST(TomeeAnalyzer, BrokenApplicationResourcesXmlIsAWarning)
{
  test::TempDir dir;
  std::string host = test::copy_fixture_host(dir, "tomee-8.0-plus");
  std::ofstream(host + "/opt/tomee/webapps/orders/WEB-INF/resources.xml", std::ios::trunc)
      << "<resources>\n<Resource id=\"a\">\n</resources>\n";
  auto a = analyze_at(host, 8016);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_TRUE(has_warning(
      *a, "tomee-app-resources", "/opt/tomee/webapps/orders/WEB-INF/resources.xml:3: malformed"));
}
