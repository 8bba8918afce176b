#pragma once

// TomEE's own configuration: conf/tomee.xml (or openejb.xml, same schema, root <openejb>) and
// resources declared in conf/system.properties. Pure functions of the file's content: tests feed
// them strings.
//
// A service element carries its settings as java.util.Properties text in the element body
//   <Resource id="jdbc/shop" type="DataSource">
//     JdbcUrl = jdbc:postgresql://db:5432/shop
//     Password secret
//   </Resource>
// and OpenEJB matches the keys case-insensitively. ${name} and ${name:-default} in values are
// resolved like OpenEJB's PropertyPlaceHolderHelper (commons-lang3 StrSubstitutor): system
// properties (JVM -D, conf/system.properties), then an environment variable of that name. An
// undefined name does not stop TomEE: the "${" and "}" are dropped and the bare name is used;
// decant does the same and reports it with file and line.

#include <java/jvm.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace decant::tomee {

struct ServiceProperty {
  std::string key;         // as written
  std::string value;       // placeholders resolved as TomEE resolves them
  int line = 0;            // in the file
  bool unresolved = false; // a ${name} in it was undefined
};

// A <Resource>, <Container>, <JndiProvider>, <Connector>... of tomee.xml, or a
// "id = new://Resource?type=..." declaration of system.properties.
struct ServiceConfig {
  std::string file;
  int line = 0;
  std::string element; // "Resource", "Container", ...
  std::string id;
  std::string type;
  std::string provider;
  std::string classpath;                         // expanded; may list several paths
  std::map<std::string, std::string> attributes; // all attributes, as written
  std::vector<ServiceProperty> properties;       // in file order

  // The property named `key` (case-insensitive, as OpenEJB compares them), the last one wins.
  const ServiceProperty* property(std::string_view key) const;
  // The first property of several aliases ("JdbcUrl", "url").
  const ServiceProperty* property_any(std::initializer_list<std::string_view> keys) const;
  // type DataSource / javax.sql.DataSource / XADataSource, or a JdbcUrl property.
  bool is_datasource() const;
};

struct DeploymentsConfig {
  std::string file;
  int line = 0;
  std::string dir; // <Deployments dir="apps"/>, as written after expansion
  std::string jar; // <Deployments jar="..."/> or file="..."
  bool unresolved = false;
};

struct ConfigWarning {
  std::string code;
  std::string message; // starts with "file:line: "
};

struct TomeeConfig {
  std::string file;
  std::string root_element; // "tomee" or "openejb"
  std::vector<ServiceConfig> services;
  std::vector<DeploymentsConfig> deployments;
  std::vector<ConfigWarning> warnings;
};

// Parses tomee.xml / openejb.xml, or an application's WEB-INF/resources.xml (root <resources>).
// Fails (invalid_input) when the XML is not well-formed or its root is none of those, naming
// "file:line".
Result<TomeeConfig> parse_tomee_xml(std::string_view content,
                                    const std::string& file,
                                    const java::PropertyLookup& lookup);

// Services declared in system.properties the way OpenEJB reads them:
//   shopDb = new://Resource?type=DataSource&provider=...
//   shopDb.JdbcUrl = jdbc:mysql://db/shop
// The new:// line starts a service; "<id>.<key>" lines are its properties.
std::vector<ServiceConfig>
services_from_properties(const std::map<std::string, java::PropertyValue>& properties,
                         const std::string& file,
                         const java::PropertyLookup& lookup,
                         std::vector<ConfigWarning>& warnings);

// ActiveMQ broker endpoints of a ServerUrl ("tcp://mq:61616", "failover:(tcp://a:61616,
// ssl://b:61617)?randomize=false"): host and port of every network transport; vm:// (the embedded
// broker) has none.
struct BrokerEndpoint {
  std::string host;
  uint16_t port = 0;
};
std::vector<BrokerEndpoint> broker_endpoints(std::string_view server_url);

} // namespace decant::tomee
