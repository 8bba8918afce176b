// standalone*.xml of every schema generation in fixtures/configs/jboss (real files, SOURCES.md
// there): parsed without a crash, socket bindings resolved with WildFly's expression rules, and
// each bad-input message (malformed XML, undefined expression, missing interface) naming
// file:line.
#include "jboss/socket_bindings.hpp"
#include "jboss/standalone_config.hpp"
#include "test_support.hpp"

#include <decant/util/fs.hpp>
#include <decant/util/strings.hpp>

#include <gtest/gtest.h>

#include <dirent.h>

#include <algorithm>

using namespace decant;
using namespace decant::jboss;

namespace {

StandaloneConfig
load(const std::string& name)
{
  std::string path = test::fixture("configs/jboss/" + name);
  auto text = read_file(path);
  EXPECT_TRUE(text) << path;
  auto config = parse_standalone_config(text ? *text : "", name);
  EXPECT_TRUE(config) << config.error().message;
  return config ? *config : StandaloneConfig{};
}

java::PropertyLookup
lookup(std::map<std::string, std::string> properties, std::map<std::string, std::string> env = {})
{
  return [properties, env](const std::string& name) -> std::optional<std::string> {
    const auto& source = starts_with(name, "env.") ? env : properties;
    auto it = source.find(starts_with(name, "env.") ? name.substr(4) : name);
    return it == source.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

const ResolvedBinding*
binding(const ResolvedSockets& sockets, const std::string& name)
{
  for (const auto& b : sockets.bindings) {
    if (b.name == name) {
      return &b;
    }
  }
  return nullptr;
}

std::string
error_of(const std::string& xml, const java::PropertyLookup& properties = lookup({}))
{
  auto config =
      parse_standalone_config(xml, "/opt/wildfly/standalone/configuration/standalone.xml");
  if (!config) {
    return config.error().message;
  }
  auto sockets = resolve_socket_bindings(*config, properties);
  EXPECT_FALSE(sockets);
  return sockets ? "" : sockets.error().message;
}

const char* const k_minimal = R"(<?xml version="1.0"?>
<server xmlns="urn:jboss:domain:19.0">
    <management>
        <management-interfaces>
            <http-interface><socket-binding http="management-http"/></http-interface>
        </management-interfaces>
    </management>
    <profile>
        <subsystem xmlns="urn:jboss:domain:undertow:12.0">
            <server name="default-server">
                <http-listener name="default" socket-binding="http"/>
            </server>
        </subsystem>
    </profile>
    <interfaces>
        <interface name="management"><inet-address value="${jboss.bind.address.management:127.0.0.1}"/></interface>
        <interface name="public"><inet-address value="${jboss.bind.address:127.0.0.1}"/></interface>
    </interfaces>
    <socket-binding-group name="standard-sockets" default-interface="public" port-offset="OFFSET">
        <socket-binding name="management-http" interface="management" port="9990"/>
        <socket-binding name="http" port="HTTP"/>
        <socket-binding name="unused" port="${never.defined}"/>
    </socket-binding-group>
</server>
)";

std::string
minimal(const std::string& offset, const std::string& http)
{
  std::string xml = k_minimal;
  xml.replace(xml.find("OFFSET"), 6, offset);
  xml.replace(xml.find("HTTP"), 4, http);
  return xml;
}

} // namespace

TEST(JbossStandaloneConfig, EveryCorpusConfigParsesAndResolves)
{
  std::vector<std::string> names;
  DIR* dir = opendir(test::fixture("configs/jboss").c_str());
  ASSERT_NE(dir, nullptr);
  while (auto* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (ends_with(name, ".xml")) {
      names.push_back(name);
    }
  }
  closedir(dir);
  ASSERT_GE(names.size(), 14u);
  for (const auto& name : names) {
    StandaloneConfig config = load(name);
    EXPECT_FALSE(config.root_namespace.empty()) << name;
    // The defaults in the files are enough to resolve every used binding.
    auto sockets = resolve_socket_bindings(config, lookup({}));
    EXPECT_TRUE(sockets) << name << ": " << sockets.error().message;
  }
}

TEST(JbossStandaloneConfig, As71WebSubsystemConnector)
{
  StandaloneConfig config = load("jboss-as-7.1.3-standalone.xml");
  EXPECT_EQ(config.root_namespace, "urn:jboss:domain:1.3");
  auto sockets = resolve_socket_bindings(
      config,
      lookup({{"jboss.socket.binding.port-offset", "100"}, {"jboss.bind.address", "0.0.0.0"}}));
  ASSERT_TRUE(sockets) << sockets.error().message;
  EXPECT_EQ(sockets->port_offset, 100);
  const auto* http = binding(*sockets, "http");
  ASSERT_NE(http, nullptr);
  EXPECT_EQ(http->port, 8180);
  EXPECT_EQ(http->configured_port, 8080);
  EXPECT_EQ(http->role, PortRole::http);
  EXPECT_TRUE(http->used);
  EXPECT_EQ(http->use, "web connector");
  EXPECT_EQ(http->address, "");
  // AS 7.1's standalone.xml has no ajp connector: the binding is there but unused.
  const auto* ajp = binding(*sockets, "ajp");
  ASSERT_NE(ajp, nullptr);
  EXPECT_FALSE(ajp->used);
  const auto* native = binding(*sockets, "management-native");
  ASSERT_NE(native, nullptr);
  EXPECT_EQ(native->role, PortRole::management);
  EXPECT_EQ(native->port, 10099);
  EXPECT_EQ(native->address, "127.0.0.1");
  EXPECT_EQ(binding(*sockets, "txn-recovery-environment")->role, PortRole::txn);
  EXPECT_TRUE(binding(*sockets, "txn-status-manager")->used);
  ASSERT_EQ(config.datasources.size(), 1u);
  EXPECT_EQ(config.datasources[0].pool_name, "ExampleDS");
  EXPECT_EQ(config.datasources[0].password.text, "sa");
  EXPECT_EQ(config.scanner_path, "deployments");
  EXPECT_EQ(config.scanner_relative_to, "jboss.server.base.dir");
}

TEST(JbossStandaloneConfig, Eap64FullHasWebAndMessaging)
{
  StandaloneConfig config = load("eap-6.4.0-standalone-full.xml");
  auto sockets =
      resolve_socket_bindings(config, lookup({{"jboss.bind.address.unsecure", "10.0.0.7"}}));
  ASSERT_TRUE(sockets) << sockets.error().message;
  EXPECT_EQ(binding(*sockets, "http")->role, PortRole::http);
  EXPECT_EQ(binding(*sockets, "http")->use, "web connector");
  EXPECT_TRUE(binding(*sockets, "messaging")->used);
  EXPECT_EQ(binding(*sockets, "messaging-group")->protocol, "udp");
  EXPECT_EQ(binding(*sockets, "jacorb")->address, "10.0.0.7");
  EXPECT_EQ(binding(*sockets, "management-native")->port, 9999);
}

TEST(JbossStandaloneConfig, Eap74HaUndertowJgroupsAndModcluster)
{
  StandaloneConfig config = load("eap-7.4.0-standalone-ha.xml");
  auto sockets = resolve_socket_bindings(config, lookup({{"jboss.http.port", "8081"}}));
  ASSERT_TRUE(sockets) << sockets.error().message;
  EXPECT_EQ(binding(*sockets, "http")->port, 8081);
  EXPECT_EQ(binding(*sockets, "http")->use, "undertow http-listener");
  EXPECT_EQ(binding(*sockets, "https")->role, PortRole::https);
  EXPECT_EQ(binding(*sockets, "ajp")->role, PortRole::ajp);
  EXPECT_TRUE(binding(*sockets, "ajp")->used);
  // The channel "ee" runs the udp stack: its transport and FD_SOCK bindings are used, the tcp
  // stack's are templates.
  EXPECT_TRUE(binding(*sockets, "jgroups-udp")->used);
  EXPECT_EQ(binding(*sockets, "jgroups-udp")->protocol, "udp");
  EXPECT_TRUE(binding(*sockets, "jgroups-udp-fd")->used);
  EXPECT_FALSE(binding(*sockets, "jgroups-tcp")->used);
  EXPECT_TRUE(binding(*sockets, "modcluster")->used);
  EXPECT_EQ(binding(*sockets, "jgroups-udp")->interface_name, "private");
  EXPECT_EQ(binding(*sockets, "jgroups-udp")->address, "127.0.0.1");
}

TEST(JbossStandaloneConfig, Eap80ElytronAndOutbound)
{
  StandaloneConfig config = load("eap-8.0.0-standalone.xml");
  EXPECT_EQ(config.root_namespace, "urn:jboss:domain:20.0");
  auto sockets =
      resolve_socket_bindings(config, lookup({{"jboss.mail.server.host", "smtp.example"}}));
  ASSERT_TRUE(sockets) << sockets.error().message;
  EXPECT_EQ(binding(*sockets, "https")->use, "undertow https-listener");
  EXPECT_EQ(binding(*sockets, "management-http")->role, PortRole::management);
  EXPECT_EQ(binding(*sockets, "management-http")->use, "management socket-binding");
  EXPECT_FALSE(binding(*sockets, "management-https")->used);
  ASSERT_EQ(sockets->outbound.size(), 1u);
  EXPECT_EQ(sockets->outbound[0].host, "smtp.example");
  EXPECT_EQ(sockets->outbound[0].port, 25);
}

TEST(JbossStandaloneConfig, WildFly26MinimalisticHasNoOffsetAndLiteralPort)
{
  StandaloneConfig config = load("wildfly-26.0.1-standalone-minimalistic.xml");
  auto sockets = resolve_socket_bindings(config, lookup({}));
  ASSERT_TRUE(sockets) << sockets.error().message;
  EXPECT_EQ(sockets->port_offset, 0);
  ASSERT_EQ(sockets->bindings.size(), 1u);
  EXPECT_EQ(sockets->bindings[0].port, 9990);
  EXPECT_EQ(sockets->bindings[0].role, PortRole::management);
}

TEST(JbossStandaloneConfig, WildFly26UserDatasource)
{
  StandaloneConfig config = load("wildfly-26.0.1-standalone-usermodified.xml");
  auto it =
      std::find_if(config.datasources.begin(), config.datasources.end(), [](const Datasource& ds) {
        return ds.connection_url.text.find("mysql") != std::string::npos;
      });
  ASSERT_NE(it, config.datasources.end());
  EXPECT_FALSE(it->password.text.empty());
  EXPECT_GT(it->password.line, 0);
  EXPECT_EQ(it->connection_url.text.rfind("jdbc:mysql://localhost:3306", 0), 0u)
      << it->connection_url.text;
}

TEST(JbossSocketBindings, OffsetFixedOrExpressionAndFixedPorts)
{
  struct Case {
    std::string offset;
    std::string http;
    std::map<std::string, std::string> properties;
    std::map<std::string, std::string> env;
    uint16_t http_port;
    uint16_t management_port;
  };
  const Case cases[] = {
      {"0", "8080", {}, {}, 8080, 9990},
      {"150", "8080", {}, {}, 8230, 10140},
      {"${jboss.socket.binding.port-offset:0}", "8080", {}, {}, 8080, 9990},
      {"${jboss.socket.binding.port-offset:0}",
       "8080",
       {{"jboss.socket.binding.port-offset", "7"}},
       {},
       8087,
       9997},
      {"${env.OFFSET:0}", "${jboss.http.port:8080}", {}, {{"OFFSET", "20"}}, 8100, 10010},
      // ${a,b:default}: the first defined name wins, else the default.
      {"0", "${jboss.http.port,env.HTTP_PORT:8080}", {}, {{"HTTP_PORT", "8181"}}, 8181, 9990},
      {"0",
       "${jboss.http.port,env.HTTP_PORT:8080}",
       {{"jboss.http.port", "8282"}},
       {{"HTTP_PORT", "8181"}},
       8282,
       9990},
      {"0", "${jboss.http.port,env.HTTP_PORT:8080}", {}, {}, 8080, 9990},
      // A nested default.
      {"0", "${jboss.http.port:${env.PORT:8383}}", {}, {{"PORT", "9000"}}, 9000, 9990},
      {"0", "${jboss.http.port:${env.PORT:8383}}", {}, {}, 8383, 9990},
  };
  for (const auto& c : cases) {
    auto config = parse_standalone_config(minimal(c.offset, c.http), "standalone.xml");
    ASSERT_TRUE(config);
    auto sockets = resolve_socket_bindings(*config, lookup(c.properties, c.env));
    ASSERT_TRUE(sockets) << c.offset << " " << c.http << ": " << sockets.error().message;
    EXPECT_EQ(binding(*sockets, "http")->port, c.http_port) << c.offset << " " << c.http;
    EXPECT_EQ(binding(*sockets, "management-http")->port, c.management_port) << c.offset;
    // The unused binding's undefined expression is only a warning.
    EXPECT_EQ(binding(*sockets, "unused"), nullptr);
    ASSERT_EQ(sockets->warnings.size(), 1u);
    EXPECT_NE(sockets->warnings[0].message.find("never.defined"), std::string::npos);
  }
  std::string fixed = minimal("100", "8080");
  fixed.replace(fixed.find("port=\"9990\""), 11, "port=\"9990\" fixed-port=\"true\"");
  auto config = parse_standalone_config(fixed, "standalone.xml");
  ASSERT_TRUE(config);
  auto sockets = resolve_socket_bindings(*config, lookup({}));
  ASSERT_TRUE(sockets);
  EXPECT_EQ(binding(*sockets, "management-http")->port, 9990);
  EXPECT_EQ(binding(*sockets, "http")->port, 8180);
}

TEST(JbossSocketBindings, BadInputNamesFileAndLine)
{
  const std::string file = "/opt/wildfly/standalone/configuration/standalone.xml";
  // An expression nothing defines, on a used binding (line 21).
  std::string undefined = error_of(minimal("0", "${jboss.http.port}"));
  EXPECT_NE(undefined.find(file + ":21: socket-binding \"http\" port"), std::string::npos)
      << undefined;
  EXPECT_NE(undefined.find("jboss.http.port"), std::string::npos) << undefined;
  // The port offset (line 19).
  std::string offset = error_of(minimal("${offset.undefined}", "8080"));
  EXPECT_NE(offset.find(file + ":19: socket-binding-group port-offset"), std::string::npos)
      << offset;
  std::string not_number = error_of(minimal("abc", "8080"));
  EXPECT_NE(not_number.find("port-offset \"abc\" is not a number"), std::string::npos)
      << not_number;
  std::string too_big = error_of(minimal("0", "70000"));
  EXPECT_NE(too_big.find(file + ":21: socket-binding \"http\" port \"70000\" is not a port number"),
            std::string::npos)
      << too_big;
  // A binding naming an interface <interfaces> lacks.
  std::string xml = minimal("0", "8080");
  const std::string from = "interface=\"management\" port";
  xml.replace(xml.find(from), from.size(), "interface=\"admin\" port");
  std::string missing = error_of(xml);
  EXPECT_NE(
      missing.find(file + ":20: socket-binding \"management-http\" references interface \"admin\""),
      std::string::npos)
      << missing;
  // An interface address expression nothing defines.
  std::string iface = minimal("0", "8080");
  const std::string bind = "${jboss.bind.address:127.0.0.1}";
  iface.replace(iface.find(bind), bind.size(), "${my.bind.address}");
  std::string unresolved = error_of(iface);
  EXPECT_NE(unresolved.find(file + ":17: interface \"public\""), std::string::npos) << unresolved;
  EXPECT_NE(unresolved.find("my.bind.address"), std::string::npos) << unresolved;
}

TEST(JbossStandaloneConfig, MalformedXmlNamesFileAndLine)
{
  std::string xml = minimal("0", "8080");
  xml.replace(xml.find("</interfaces>"), 13, "</interfacez>");
  auto config = parse_standalone_config(xml, "/srv/standalone.xml");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, ErrorCode::invalid_input);
  EXPECT_NE(config.error().message.find("/srv/standalone.xml:18: malformed XML"), std::string::npos)
      << config.error().message;
  EXPECT_FALSE(config.error().hint.empty());

  auto domain = parse_standalone_config(
      "<?xml version=\"1.0\"?>\n<domain xmlns=\"urn:jboss:domain:20.0\"/>\n", "/srv/domain.xml");
  ASSERT_FALSE(domain);
  EXPECT_NE(domain.error().message.find("/srv/domain.xml:2: root element is <domain>"),
            std::string::npos)
      << domain.error().message;
}

TEST(JbossSocketBindings, HostDependentInterfacesAreAllInterfacesWithAWarning)
{
  StandaloneConfig config = load("wildfly-core-test-socketbindinggroups-standalone.xml");
  auto sockets = resolve_socket_bindings(config, lookup({}));
  ASSERT_TRUE(sockets) << sockets.error().message;
  // No subsystem in this file: nothing is used, but every binding resolves.
  EXPECT_EQ(sockets->bindings.size(), 19u);
  EXPECT_EQ(binding(*sockets, "http")->address, "");
  bool warned = false;
  for (const auto& w : sockets->warnings) {
    warned =
        warned
        || w.message.find("interface \"public\" has no selection criterion") != std::string::npos;
  }
  EXPECT_TRUE(warned);
  ASSERT_EQ(sockets->outbound.size(), 1u);
  EXPECT_EQ(sockets->outbound[0].host, "127.0.0.1");

  std::string nic = minimal("0", "8080");
  const std::string inet = "<inet-address value=\"${jboss.bind.address:127.0.0.1}\"/>";
  nic.replace(nic.find(inet), inet.size(), "<nic name=\"eth0\"/>");
  auto parsed = parse_standalone_config(nic, "standalone.xml");
  ASSERT_TRUE(parsed);
  auto resolved = resolve_socket_bindings(*parsed, lookup({}));
  ASSERT_TRUE(resolved);
  EXPECT_EQ(binding(*resolved, "http")->address, "");
  EXPECT_EQ(resolved->warnings[0].code, "interface-criterion");
  EXPECT_NE(resolved->warnings[0].message.find("selects its address by <nic>"), std::string::npos);
}

TEST(JbossStandaloneConfig, ClearTextCredentialsOutsideDatasources)
{
  StandaloneConfig eap74 = load("eap-7.4.0-standalone.xml");
  std::vector<std::string> found;
  for (const auto& c : eap74.credentials) {
    found.push_back(c.owner + "/" + c.attribute + "=" + c.value.text + "@"
                    + std::to_string(c.value.line));
  }
  EXPECT_EQ(found,
            (std::vector<std::string>{"keystore ApplicationRealm/keystore-password=password@58",
                                      "keystore ApplicationRealm/key-password=password@58",
                                      "key-store applicationKS/clear-text=password@346",
                                      "key-manager applicationKM/clear-text=password@353"}));
  // The datasource's own password is not repeated here.
  for (const auto& c : load("eap-8.1.0-standalone-full.xml").credentials) {
    EXPECT_NE(c.value.text, "sa") << c.owner;
  }
  // WildFly 11's messaging cluster password, an expression with a default.
  bool cluster = false;
  for (const auto& c : load("wildfly-11-schema-vdx-standalone-full-ha.xml").credentials) {
    bool owner = c.owner == "cluster" || c.owner.rfind("cluster ", 0) == 0;
    cluster =
        cluster || (owner && c.value.text == "${jboss.messaging.cluster.password:CHANGE ME!!}");
  }
  EXPECT_TRUE(cluster);
}
