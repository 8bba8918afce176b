// tomee.xml / openejb.xml / system.properties service parsing (analyzers/tomee/tomee_xml.cpp),
// on strings and on the real configs in fixtures/configs/tomee (SOURCES.md there).
#include "test_support.hpp"
#include "tomee/tomee_resources.hpp"
#include "tomee/tomee_xml.hpp"

#include <decant/util/fs.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <tomcat/server_xml.hpp>

using namespace decant;
using namespace decant::tomee;

namespace {

java::PropertyLookup
lookup_from(std::map<std::string, std::string> values)
{
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

std::string
config(const std::string& name)
{
  return read_file(test::fixture("configs/tomee/" + name)).value();
}

} // namespace

TEST(TomeeXml, DataSourcePropertiesWithLinesAndPlaceholders)
{
  const std::string xml = "<?xml version=\"1.0\"?>\n"                              // 1
                          "<tomee>\n"                                              // 2
                          "  <Resource id=\"jdbc/shop\" type=\"DataSource\">\n"    // 3
                          "    JdbcDriver org.postgresql.Driver\n"                 // 4
                          "    JdbcUrl = jdbc:postgresql://${db.host}:5433/shop\n" // 5
                          "    # Password = old\n"                                 // 6
                          "    userName shop\n"                                    // 7
                          "    Password s3cr3t\n"                                  // 8
                          "  </Resource>\n"                                        // 9
                          "  <Deployments dir=\"${catalina.base}/apps\" />\n"      // 10
                          "</tomee>\n";
  auto parsed = parse_tomee_xml(
      xml, "/opt/tomee/conf/tomee.xml", lookup_from({{"db.host", "pg"}, {"catalina.base", "/b"}}));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->root_element, "tomee");
  ASSERT_EQ(parsed->services.size(), 1u);
  const auto& ds = parsed->services[0];
  EXPECT_EQ(ds.line, 3);
  EXPECT_EQ(ds.id, "jdbc/shop");
  EXPECT_TRUE(ds.is_datasource());
  ASSERT_NE(ds.property("jdbcurl"), nullptr);
  EXPECT_EQ(ds.property("JdbcUrl")->value, "jdbc:postgresql://pg:5433/shop");
  EXPECT_EQ(ds.property("JdbcUrl")->line, 5);
  EXPECT_EQ(ds.property("UserName")->value, "shop"); // case-insensitive like OpenEJB
  EXPECT_EQ(ds.property("password")->value, "s3cr3t");
  EXPECT_EQ(ds.property("password")->line, 8);
  EXPECT_EQ(ds.properties.size(), 4u); // the commented Password is not one
  ASSERT_EQ(parsed->deployments.size(), 1u);
  EXPECT_EQ(parsed->deployments[0].dir, "/b/apps");
  EXPECT_EQ(parsed->deployments[0].line, 10);
  EXPECT_TRUE(parsed->warnings.empty());
}

TEST(TomeeXml, UndefinedPlaceholderBecomesTheBareNameAndIsReportedWithLine)
{
  const std::string xml = "<tomee>\n"
                          "<Resource id=\"db\" type=\"javax.sql.DataSource\">\n"
                          "  JdbcUrl jdbc:mysql://${nope}/x\n"
                          "</Resource>\n"
                          "</tomee>\n";
  auto parsed = parse_tomee_xml(xml, "t.xml", lookup_from({}));
  ASSERT_TRUE(parsed) << parsed.error().message;
  // PropertyPlaceHolderHelper.simpleValue drops the "${" and "}" of what it cannot resolve.
  const auto* url = parsed->services.at(0).property("JdbcUrl");
  EXPECT_EQ(url->value, "jdbc:mysql://nope/x");
  EXPECT_TRUE(url->unresolved);
  ASSERT_EQ(parsed->warnings.size(), 1u);
  EXPECT_EQ(parsed->warnings[0].code, "tomee-placeholder");
  EXPECT_NE(parsed->warnings[0].message.find("t.xml:3: \"${nope}\" is undefined"),
            std::string::npos)
      << parsed->warnings[0].message;
}

TEST(TomeeXml, PlaceholderDefaultsNestingAndRecursion)
{
  // StrSubstitutor as OpenEJB sets it up: ":-" defaults, variables inside names, values that
  // hold placeholders themselves.
  auto lookup = lookup_from({{"env", "prod"}, {"db.prod", "${db.base}.prod"}, {"db.base", "pg"}});
  const std::pair<const char*, const char*> cases[] = {
      {"${env}", "prod"},
      {"${missing:-fallback}", "fallback"},
      {"${db.${env}}:5432", "pg.prod:5432"},
      {"a${missing:-${env}}b", "aprodb"},
      {"no placeholder", "no placeholder"},
      {"${unterminated", "${unterminated"},
  };
  for (const auto& [raw, expected] : cases) {
    SCOPED_TRACE(raw);
    std::string xml =
        std::string("<tomee><Resource id=\"r\">\nKey ") + raw + "\n</Resource></tomee>";
    auto parsed = parse_tomee_xml(xml, "t.xml", lookup);
    ASSERT_TRUE(parsed) << parsed.error().message;
    const auto* key = parsed->services.at(0).property("Key");
    ASSERT_NE(key, nullptr);
    EXPECT_EQ(key->value, expected);
    EXPECT_FALSE(key->unresolved);
  }
}

TEST(TomeeXml, ExpansionThatGrowsPastTheLimitIsKeptAsWrittenWithAWarning)
{
  // Each level refers to the next twice: 2^24 copies of the leaf if nothing stopped it.
  std::map<std::string, std::string> values{{"l24", std::string(64, 'x')}};
  for (int level = 0; level < 24; ++level) {
    values["l" + std::to_string(level)] = fmt::format("${{l{}}}${{l{}}}", level + 1, level + 1);
  }
  const std::string xml = "<tomee><Resource id=\"r\">\nKey a${l0}b\n</Resource></tomee>";
  auto parsed = parse_tomee_xml(xml, "t.xml", lookup_from(values));
  ASSERT_TRUE(parsed) << parsed.error().message;
  const auto* key = parsed->services.at(0).property("Key");
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->value, "a${l0}b");
  EXPECT_TRUE(key->unresolved);
  ASSERT_EQ(parsed->warnings.size(), 1u);
  EXPECT_NE(parsed->warnings[0].message.find("t.xml:2: expanding the value grows past 1.0 MiB"),
            std::string::npos)
      << parsed->warnings[0].message;
}

TEST(TomeeXml, LeftoverBracesAreDroppedInOnePassAsJavasReplaceDoes)
{
  // Many unresolved placeholders in one value, and "$${{": String.replace does not remove the
  // "${" its own removal forms.
  std::string raw;
  for (int i = 0; i < 20000; ++i) {
    raw += "${u}";
  }
  const std::string xml =
      "<tomee><Resource id=\"r\">\nKey " + raw + "\nOther $${{x}}\n</Resource></tomee>";
  auto parsed = parse_tomee_xml(xml, "t.xml", lookup_from({}));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->services.at(0).property("Key")->value, std::string(20000, 'u'));
  EXPECT_EQ(parsed->services.at(0).property("Other")->value, "${x");
}

TEST(TomeeXml, MalformedXmlNamesFileAndLine)
{
  const std::string xml = "<tomee>\n"
                          "  <Resource id=\"a\" type=\"DataSource\">\n"
                          "    JdbcUrl jdbc:h2:mem:x\n"
                          "  </Resourc>\n"
                          "</tomee>\n";
  auto parsed = parse_tomee_xml(xml, "/srv/tomee/conf/tomee.xml", lookup_from({}));
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::invalid_input);
  EXPECT_NE(parsed.error().message.find("/srv/tomee/conf/tomee.xml:4: malformed XML"),
            std::string::npos)
      << parsed.error().message;
  EXPECT_FALSE(parsed.error().hint.empty());
}

TEST(TomeeXml, WrongRootElementIsRejected)
{
  auto parsed = parse_tomee_xml("<Server port=\"8005\"/>", "/c/tomee.xml", lookup_from({}));
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::invalid_input);
  EXPECT_NE(parsed.error().message.find("/c/tomee.xml:1: the root element is <Server>"),
            std::string::npos)
      << parsed.error().message;
}

TEST(TomeeXml, UpstreamDefaultOpenejbConf)
{
  auto parsed = parse_tomee_xml(config("openejb-core-default.openejb.conf"), "openejb.xml", {});
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->root_element, "openejb");
  std::vector<std::string> ids;
  for (const auto& s : parsed->services) {
    ids.push_back(s.element + ":" + s.id);
  }
  EXPECT_EQ(ids,
            (std::vector<std::string>{"Container:My Singleton Container",
                                      "Container:My Stateful Container",
                                      "Container:My Stateless Container",
                                      "Resource:My DataSource",
                                      "Resource:My Unmanaged DataSource"}));
  const auto& ds = parsed->services[3];
  EXPECT_TRUE(ds.is_datasource());
  EXPECT_EQ(ds.property("JdbcUrl")->value, "jdbc:hsqldb:file:data/hsqldb/hsqldb");
  EXPECT_EQ(ds.property("JdbcUrl")->line, 183);
  EXPECT_EQ(ds.property("Password")->value, ""); // "Password" alone: empty
  EXPECT_FALSE(parsed->services[0].is_datasource());
  ASSERT_EQ(parsed->deployments.size(), 1u);
  EXPECT_EQ(parsed->deployments[0].dir, "apps/");
  EXPECT_EQ(parsed->deployments[0].line, 208);
}

TEST(TomeeXml, UpstreamDatasourceVersioningClasspath)
{
  auto parsed = parse_tomee_xml(config("example-datasource-versioning-tomee.xml"),
                                "tomee.xml",
                                lookup_from({{"catalina.base", "/opt/tomee"}}));
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->services.size(), 2u);
  EXPECT_EQ(parsed->services[0].classpath, "/opt/tomee/../../drivers/derby-10.10.1.1.jar");
  EXPECT_EQ(parsed->services[1].property("JdbcUrl")->value,
            "jdbc:derby:target/databaseTwo;create=true");
  EXPECT_EQ(parsed->services[1].property("UserName")->value, "SA");
}

TEST(TomeeXml, UpstreamJmsResourcesWithCommentedProperties)
{
  auto parsed = parse_tomee_xml(config("example-websocket-jms-tomee.xml"), "tomee.xml", {});
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->services.size(), 5u);
  EXPECT_TRUE(parsed->services[0].properties.empty()); // all commented out
  EXPECT_EQ(parsed->services[1].property("ResourceAdapter")->value, "MyJmsResourceAdapter");
  EXPECT_EQ(parsed->services[2].element, "Container");
  EXPECT_EQ(parsed->services[2].type, "MESSAGE"); // ctype
  EXPECT_TRUE(parsed->deployments.empty());       // the <Deployments> line is commented
}

TEST(TomeeXml, EveryCorpusTomeeConfigParses)
{
  for (const char* name : {"example-datasource-versioning-tomee.xml",
                           "example-websocket-jms-tomee.xml",
                           "openejb-core-default.openejb.conf",
                           "tomee-embedded-openejb.xml",
                           "tomee-main-plus-tomee.xml"}) {
    SCOPED_TRACE(name);
    auto parsed = parse_tomee_xml(config(name), name, lookup_from({}));
    EXPECT_TRUE(parsed) << parsed.error().message;
  }
}

// TomEE's server.xml and context.xml are Tomcat's: the Tomcat parser (reused, not copied) reads
// every one of the TomEE corpus without failing, and finds the ports upstream configured.
TEST(TomeeXml, EveryCorpusTomeeServerXmlParsesWithTheTomcatParser)
{
  const tomcat::PropertyResolver none;
  const std::pair<const char*, std::vector<int>> cases[] = {
      {"tomee-main-plus-server.xml", {8080}},
      {"tomee-8.x-plus-server.xml", {8080}},
      {"example-webservice-ssl-client-cert-server.xml", {8080, 8443}},
      {"example-websocket-tls-basic-auth-server.xml", {8081, 8443}},
  };
  for (const auto& [name, ports] : cases) {
    SCOPED_TRACE(name);
    auto parsed = tomcat::parse_server_xml(config(name), name, none);
    ASSERT_TRUE(parsed) << parsed.error().message;
    std::vector<int> got;
    for (const auto& service : parsed->services) {
      for (const auto& connector : service.connectors) {
        got.push_back(connector.port.value_or(-1));
      }
    }
    EXPECT_EQ(got, ports);
  }
  auto context = tomcat::parse_context_xml(
      config("arquillian-test-datasource-context.xml"), "context.xml", "", none);
  ASSERT_TRUE(context) << context.error().message;
  ASSERT_EQ(context->resources.size(), 1u);
  EXPECT_EQ(context->resources[0].url, "jdbc:hsqldb:mem:foo:myDB");
}

TEST(TomeeSystemProperties, NewResourceDeclarations)
{
  const std::string text =
      "# resources\n"
      "orders = new://Resource?type=DataSource&provider=Default JDBC Database\n"
      "orders.JdbcUrl = jdbc:mysql://mysql.internal:3307/orders\n"
      "orders.Password = pw\n"
      "unrelated.JdbcUrl = jdbc:mysql://other/x\n"
      "tomee.serialization.class.blacklist = *\n";
  std::vector<ConfigWarning> warnings;
  auto services = services_from_properties(
      java::parse_properties(text), "system.properties", lookup_from({}), warnings);
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].id, "orders");
  EXPECT_EQ(services[0].element, "Resource");
  EXPECT_EQ(services[0].type, "DataSource");
  EXPECT_EQ(services[0].provider, "Default JDBC Database");
  EXPECT_EQ(services[0].line, 2);
  EXPECT_EQ(services[0].property("JdbcUrl")->line, 3);
  EXPECT_EQ(services[0].property("Password")->value, "pw");
  EXPECT_EQ(services[0].properties.size(), 2u);
}

TEST(TomeeBroker, ServerUrlEndpoints)
{
  struct Case {
    const char* url;
    std::vector<std::pair<std::string, uint16_t>> expected;
  };
  const Case cases[] = {
      {"tcp://mq.internal:61616", {{"mq.internal", 61616}}},
      {"vm://localhost?async=true", {}},
      {"failover:(tcp://a:61616,ssl://b:61617)?randomize=false", {{"a", 61616}, {"b", 61617}}},
      {"nio://[fd00::5]:61618", {{"fd00::5", 61618}}},
      {"tcp://nohost", {}},
      {"", {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    std::vector<std::pair<std::string, uint16_t>> got;
    for (const auto& e : broker_endpoints(c.url)) {
      got.emplace_back(e.host, e.port);
    }
    EXPECT_EQ(got, c.expected);
  }
}

TEST(TomeeJdbcUrl, PasswordParameterIsFoundAndRedacted)
{
  auto mysql = url_password("jdbc:mysql://db/x?user=a&password=p4ss&ssl=true", "X");
  ASSERT_TRUE(mysql);
  EXPECT_EQ(mysql->password, "p4ss");
  EXPECT_EQ(mysql->redacted_url, "jdbc:mysql://db/x?user=a&password=X&ssl=true");
  auto sqlserver = url_password("jdbc:sqlserver://h:1433;databaseName=x;Password=q", "X");
  ASSERT_TRUE(sqlserver);
  EXPECT_EQ(sqlserver->password, "q");
  auto activemq = url_password("tcp://mq:61616?jms.userName=a&jms.password=m", "X");
  ASSERT_TRUE(activemq);
  EXPECT_EQ(activemq->redacted_url, "tcp://mq:61616?jms.userName=a&jms.password=X");
  EXPECT_FALSE(url_password("jdbc:postgresql://db/x?passwordless=1", "X"));
  EXPECT_FALSE(url_password("jdbc:postgresql://db/x", "X"));
  EXPECT_FALSE(url_password("jdbc:mysql://db/x?password=", "X"));
}
