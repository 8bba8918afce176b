// server.xml and context descriptors (analyzers/tomcat/server_xml.cpp) parsed from strings:
// connectors of every kind, ${} properties, portOffset, Executors, secrets, malformed files with
// their line, and every real server.xml of fixtures/configs/tomcat without a crash.
#include "test_support.hpp"
#include "tomcat/server_xml.hpp"

#include <gtest/gtest.h>

#include <dirent.h>

#include <fstream>
#include <map>
#include <sstream>

using namespace decant;
using namespace decant::tomcat;

namespace {

java::PropertyLookup
lookup_in(std::map<std::string, std::string> values)
{
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

const java::PropertyLookup k_none = lookup_in({});

std::string
read_text(const std::string& path)
{
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

} // namespace

TEST(ServerXml, ConnectorKinds)
{
  auto config = parse_server_xml(R"(<?xml version="1.0"?>
<Server port="8005" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Executor name="pool" maxThreads="150" minSpareThreads="4"/>
    <Connector port="8080" protocol="HTTP/1.1" executor="pool" redirectPort="8443"/>
    <Connector port="8443" protocol="org.apache.coyote.http11.Http11NioProtocol"
               SSLEnabled="true" maxThreads="150">
      <SSLHostConfig>
        <Certificate certificateKeystoreFile="conf/localhost-rsa.jks"
                     certificateKeystorePassword="changeit" type="RSA"/>
      </SSLHostConfig>
    </Connector>
    <Connector port="8444" protocol="HTTP/1.1" SSLEnabled="true" scheme="https" secure="true"
               keystoreFile="/etc/ssl/tomcat.p12" keystorePass="legacy"/>
    <Connector protocol="AJP/1.3" address="127.0.0.1" port="8009" secret="s3cr3t"/>
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="localhost" appBase="webapps">
        <Context path="/shop" docBase="/srv/shop.war"/>
      </Host>
    </Engine>
  </Service>
</Server>
)",
                                 "/conf/server.xml",
                                 k_none);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->shutdown_port, 8005);
  ASSERT_EQ(config->services.size(), 1u);
  const auto& service = config->services[0];
  ASSERT_EQ(service.executors.size(), 1u);
  EXPECT_EQ(service.executors[0].name, "pool");
  EXPECT_EQ(service.executors[0].max_threads, 150);
  EXPECT_EQ(service.executors[0].line, 4);
  ASSERT_EQ(service.connectors.size(), 4u);

  const auto& http = service.connectors[0];
  EXPECT_EQ(http.port, 8080);
  EXPECT_EQ(http.line, 5);
  EXPECT_FALSE(http.is_https());
  EXPECT_FALSE(http.is_ajp());
  EXPECT_EQ(http.executor, "pool");
  EXPECT_EQ(http.redirect_port, 8443);

  const auto& nio = service.connectors[1];
  EXPECT_TRUE(nio.is_https());
  ASSERT_FALSE(nio.tls_files.empty());
  EXPECT_EQ(nio.tls_files[0].path, "conf/localhost-rsa.jks");
  EXPECT_TRUE(nio.tls_files[0].secret);

  const auto& legacy = service.connectors[2];
  EXPECT_TRUE(legacy.is_https());
  EXPECT_EQ(legacy.tls_files[0].attribute, "keystoreFile");
  EXPECT_EQ(legacy.tls_files[0].path, "/etc/ssl/tomcat.p12");

  const auto& ajp = service.connectors[3];
  EXPECT_TRUE(ajp.is_ajp());
  EXPECT_FALSE(ajp.is_https());
  EXPECT_TRUE(ajp.is_loopback());
  EXPECT_TRUE(ajp.has_secret);

  // Passwords and the AJP secret, each with file and line.
  std::map<std::string, std::string> secrets;
  for (const auto& s : config->secrets) {
    secrets[s.attribute] = s.value + "@" + std::to_string(s.line);
  }
  EXPECT_EQ(secrets["certificateKeystorePassword"], "changeit@9");
  EXPECT_EQ(secrets["keystorePass"], "legacy@13");
  EXPECT_EQ(secrets["secret"], "s3cr3t@15");

  ASSERT_EQ(service.hosts.size(), 1u);
  ASSERT_EQ(service.hosts[0].contexts.size(), 1u);
  EXPECT_EQ(service.hosts[0].contexts[0].doc_base, "/srv/shop.war");
  EXPECT_EQ(service.hosts[0].contexts[0].path, "/shop");
}

TEST(ServerXml, PropertiesPortOffsetAndDisabledShutdown)
{
  auto config = parse_server_xml(
      R"(<Server port="-1" portOffset="${offset}">
  <Service name="Catalina">
    <Connector port="${http.port}" address="${bind}"/>
    <Connector port="${missing.port}"/>
  </Service>
</Server>)",
      "/etc/tomcat/server.xml",
      lookup_in({{"http.port", "8080"}, {"bind", "127.0.0.1"}, {"offset", "100"}}));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->shutdown_port, -1);
  EXPECT_EQ(config->port_offset, 100);
  const auto& connectors = config->services[0].connectors;
  EXPECT_EQ(connectors[0].port, 8080);
  EXPECT_EQ(connectors[0].address, "127.0.0.1");
  EXPECT_TRUE(connectors[0].is_loopback());
  EXPECT_FALSE(connectors[1].port);
  EXPECT_EQ(connectors[1].port_text, "${missing.port}");
  // The undefined property is reported with file and line (and the port as not a number).
  bool undefined = false;
  for (const auto& w : config->warnings) {
    if (w.code == "undefined-property") {
      undefined = true;
      EXPECT_EQ(w.message.rfind("/etc/tomcat/server.xml:4: ", 0), 0u) << w.message;
      EXPECT_NE(w.message.find("missing.port"), std::string::npos) << w.message;
    }
  }
  EXPECT_TRUE(undefined);
}

TEST(ServerXml, DefaultsWhenAttributesAreAbsent)
{
  auto config = parse_server_xml(
      "<Server><Service><Connector port='8080'/></Service></Server>", "s.xml", k_none);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->shutdown_port, 8005);
  EXPECT_EQ(config->services[0].name, "Catalina");
  EXPECT_EQ(config->services[0].connectors[0].protocol, "HTTP/1.1");
  EXPECT_EQ(config->port_offset, 0);
}

TEST(ServerXml, MalformedNamesFileAndLine)
{
  auto config =
      parse_server_xml("<Server port=\"8005\">\n  <Service>\n    <Connector port=\"8080\"\n"
                       "  </Service>\n</Server>\n",
                       "/etc/tomcat10/server.xml",
                       k_none);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, ErrorCode::invalid_input);
  EXPECT_EQ(config.error().message.rfind("/etc/tomcat10/server.xml:4: malformed XML", 0), 0u)
      << config.error().message;
  EXPECT_FALSE(config.error().hint.empty());

  auto not_server = parse_server_xml("<Context/>", "/x/server.xml", k_none);
  ASSERT_FALSE(not_server);
  EXPECT_NE(not_server.error().message.find("/x/server.xml:1: the root element is <Context>"),
            std::string::npos)
      << not_server.error().message;

  auto empty = parse_server_xml("", "/x/server.xml", k_none);
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("/x/server.xml"), std::string::npos);
}

TEST(ServerXml, ResourcesAndRealmSecrets)
{
  auto config = parse_server_xml(R"(<Server port="-1">
  <GlobalNamingResources>
    <Resource name="UserDatabase" type="org.apache.catalina.UserDatabase"
              pathname="conf/tomcat-users.xml"/>
    <Resource name="jdbc/shop" type="javax.sql.DataSource" username="shop" password="pw1"
              driverClassName="org.postgresql.Driver" url="jdbc:postgresql://db:5432/shop"/>
  </GlobalNamingResources>
  <Service name="Catalina">
    <Engine name="Catalina" defaultHost="localhost">
      <Realm className="org.apache.catalina.realm.JNDIRealm" connectionURL="ldap://ldap:389"
             connectionName="cn=admin" connectionPassword="pw2" userPassword="userPassword"/>
    </Engine>
  </Service>
</Server>)",
                                 "server.xml",
                                 k_none);
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_EQ(config->resources.size(), 3u);
  EXPECT_EQ(config->resources[0].pathname, "conf/tomcat-users.xml");
  EXPECT_EQ(config->resources[1].url, "jdbc:postgresql://db:5432/shop");
  EXPECT_EQ(config->resources[1].line, 5);
  EXPECT_EQ(config->resources[2].url, "ldap://ldap:389");
  ASSERT_EQ(config->secrets.size(), 2u);
  EXPECT_EQ(config->secrets[0].value, "pw1");
  EXPECT_EQ(config->secrets[0].owner, "jdbc/shop");
  EXPECT_EQ(config->secrets[1].attribute, "connectionPassword");
}

TEST(ContextXml, DescriptorPathAndDocBase)
{
  auto context = parse_context_xml(
      "<Context path=\"/examples\"\n docBase=\"/usr/share/tomcat10-examples/examples\">\n"
      "  <Resources allowLinking=\"true\"/>\n</Context>\n",
      "/etc/tomcat10/Catalina/localhost/examples.xml",
      "/examples",
      k_none);
  ASSERT_TRUE(context) << context.error().message;
  EXPECT_EQ(context->context.doc_base, "/usr/share/tomcat10-examples/examples");
  EXPECT_EQ(context->context.path, "/examples");
  EXPECT_EQ(context->context.line, 1);

  auto bad = parse_context_xml("<Server/>", "c.xml", "", k_none);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("c.xml:1"), std::string::npos);
}

TEST(ContextXml, PathFromFileName)
{
  EXPECT_EQ(context_path_from_name("manager.xml"), "/manager");
  EXPECT_EQ(context_path_from_name("ROOT.xml"), "");
  EXPECT_EQ(context_path_from_name("a#b.xml"), "/a/b");
  EXPECT_EQ(context_path_from_name("shop##2.war"), "/shop");
  EXPECT_EQ(context_path_from_name("ROOT##3.xml"), "");
}

TEST(TomcatUsers, PasswordsAreSecrets)
{
  auto users = parse_tomcat_users(R"(<tomcat-users>
  <role rolename="manager-gui"/>
  <user username="admin" password="adm1n" roles="manager-gui"/>
  <user username="guest" password="" roles=""/>
</tomcat-users>)",
                                  "/etc/tomcat10/tomcat-users.xml");
  ASSERT_TRUE(users) << users.error().message;
  ASSERT_EQ(users->size(), 1u);
  EXPECT_EQ((*users)[0].owner, "admin");
  EXPECT_EQ((*users)[0].value, "adm1n");
  EXPECT_EQ((*users)[0].line, 3);
}

// Every real server.xml of the corpus (fixtures/configs/tomcat, see SOURCES.md) parses, or
// fails with the file's name: never a crash.
TEST(ServerXml, CorpusParses)
{
  std::string dir = test::fixture("configs/tomcat");
  DIR* handle = opendir(dir.c_str());
  ASSERT_NE(handle, nullptr) << dir;
  int parsed = 0;
  while (dirent* entry = readdir(handle)) {
    std::string name = entry->d_name;
    if (name.size() < 11 || name.substr(name.size() - 11) != "-server.xml") {
      continue;
    }
    std::string path = dir + "/" + name;
    auto config = parse_server_xml(read_text(path), path, k_none);
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_FALSE(config->services.empty()) << path;
    ++parsed;
  }
  closedir(handle);
  EXPECT_GE(parsed, 10);
}

TEST(TomcatProperties, ReplacedAsIntrospectionUtilsDoes)
{
  PropertyResolver p = lookup_in({{"port", "8080"},
                                  {"host", "db"},
                                  {"url", "jdbc:x://${host}:1/y"},
                                  {"loop", "${loop}"},
                                  {"a", "${b}"},
                                  {"b", "${a}"}});
  struct Case {
    const char* text;
    const char* expected;
    std::vector<std::string> undefined;
  };
  const Case cases[] = {
      {"${port}", "8080", {}},
      {"x${port}y${port}", "x8080y8080", {}},
      {"${missing}", "${missing}", {"missing"}},
      {"${missing:-9090}", "9090", {}},
      {"${port:-9090}", "8080", {}},
      {"${missing:-}", "", {}},
      {"$", "$", {}},
      {"a$b", "a$b", {}},
      {"cost: 5$", "cost: 5$", {}},
      {"${unclosed", "${unclosed", {}},
      {"${a:b}", "${a:b}", {"a:b"}},               // ":" alone is no default: one name
      {"${url}", "jdbc:x://db:1/y", {}},           // a second round replaces what the value holds
      {"${loop}", "${loop}", {}},                  // stops when nothing changes
      {"${x${port}}", "${x${port}}", {"x${port"}}, // the first '}' closes the name
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto got = expand_properties(c.text, p);
    EXPECT_EQ(got.text, c.expected);
    EXPECT_EQ(got.undefined, c.undefined);
  }
  // a -> ${b} -> ${a} -> ...: Tomcat gives up after 20 rounds and keeps what it has.
  auto cycle = expand_properties("${a}", p);
  EXPECT_TRUE(cycle.text == "${a}" || cycle.text == "${b}") << cycle.text;

  // An IntrospectionUtils without the ":-" rule or the second round.
  PropertyResolver old = lookup_in({{"url", "jdbc:x://${host}:1/y"}, {"host", "db"}});
  old.default_values = false;
  old.recursive = false;
  EXPECT_EQ(expand_properties("${url}", old).text, "jdbc:x://${host}:1/y");
  auto no_default = expand_properties("${missing:-9090}", old);
  EXPECT_EQ(no_default.text, "${missing:-9090}");
  EXPECT_EQ(no_default.undefined, std::vector<std::string>{"missing:-9090"});
}

TEST(TomcatProperties, OriginsOfThePortAndUnevaluatedSources)
{
  PropertyResolver p;
  p.lookup = [](const std::string& name) -> std::optional<PropertyHit> {
    if (name == "HTTP_PORT") {
      return PropertyHit{"8085", "environment variable HTTP_PORT (EnvironmentPropertySource)"};
    }
    return std::nullopt;
  };
  auto config = parse_server_xml(R"(<Server port="${SHUTDOWN:-8005}"><Service>
  <Connector port="${HTTP_PORT}"/>
  <Connector port="${VAULT_PORT}"/>
</Service></Server>)",
                                 "/x/server.xml",
                                 p);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->shutdown_port, 8005);
  EXPECT_NE(config->shutdown_port_origin.find("the default of ${SHUTDOWN:-8005}"),
            std::string::npos);
  const auto& connectors = config->services[0].connectors;
  EXPECT_EQ(connectors[0].port, 8085);
  EXPECT_EQ(connectors[0].port_origin,
            "${HTTP_PORT} = \"8085\" from environment variable HTTP_PORT "
            "(EnvironmentPropertySource)");
  EXPECT_FALSE(connectors[1].port);
  ASSERT_FALSE(config->warnings.empty());
  EXPECT_EQ(config->warnings[0].code, "undefined-property");

  // With an operator's own property source, an unknown name is not called undefined.
  p.opaque_sources = {"com.example.VaultPropertySource"};
  config = parse_server_xml(
      "<Server><Service><Connector port=\"${VAULT_PORT}\"/></Service></Server>", "/x/s.xml", p);
  ASSERT_TRUE(config);
  ASSERT_FALSE(config->warnings.empty());
  EXPECT_EQ(config->warnings[0].code, "property-source-unknown");
  EXPECT_NE(config->warnings[0].message.find("com.example.VaultPropertySource"), std::string::npos);
}
