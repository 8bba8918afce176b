#pragma once

// standalone.xml (and standalone-full/-ha/... .xml) as far as containerizing needs it: system
// properties, interfaces, the socket-binding group and which subsystem uses each binding, managed
// deployments and datasources. One model for every schema generation in the corpus: JBoss AS 7.1
// (urn:jboss:domain:1.x, legacy "web" subsystem), EAP 6.4, EAP 7.x / WildFly (Undertow) and
// EAP 8 / WildFly (Elytron only). Elements are matched by local name, whatever the namespace
// version.

#include <decant/error.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace decant::jboss {

// A value as written in the file, with the line it is on (for messages and `source`).
struct ConfigValue {
  std::string text;
  int line = 0;
};

struct ConfigProperty {
  std::string name;
  std::string value;
  int line = 0;
};

// One <interface>: its first selection criterion. Only inet-address, loopback-address,
// any-address (and the -ipv4/-ipv6 forms) and loopback give an address without looking at the
// host's network interfaces; other criteria (nic, subnet-match, site-local-address...) are kept
// by name.
struct ConfigInterface {
  std::string name;
  std::string criterion; // "inet-address", "any-address", "nic", ...
  std::string value;     // inet-address/loopback-address value (may hold ${...}), nic name...
  int line = 0;
};

// Who uses a socket binding: the element naming it and its subsystem.
struct BindingUse {
  std::string subsystem; // "undertow", "web", "remoting", "management", "transactions", ...
  std::string element;   // "http-listener", "connector", "http-interface", ...
  std::string attribute; // "socket-binding", "status-socket-binding", "http", "native", ...
  std::string scheme;    // legacy web connector: scheme/protocol hints ("https", "ajp")
  bool udp = false;      // JGroups UDP transport and the like
  int line = 0;
};

struct SocketBinding {
  std::string name;
  std::string interface_name; // "" = the group's default-interface
  ConfigValue port;
  bool fixed_port = false;
  std::string multicast_address; // non-empty for multicast bindings
  int line = 0;
  std::vector<BindingUse> uses;
};

struct OutboundBinding {
  std::string name;
  ConfigValue host;
  ConfigValue port;
  int line = 0;
};

struct SocketBindingGroup {
  std::string name;
  std::string default_interface;
  ConfigValue port_offset; // text "0" when absent
  int line = 0;
  std::vector<SocketBinding> bindings;
  std::vector<OutboundBinding> outbound;
};

// <deployments><deployment name runtime-name enabled><content sha1/></deployment>: content
// deployed through the CLI or console, stored under data/content/<sha1[0..2]>/<sha1[2..]>/.
struct ManagedDeployment {
  std::string name;
  std::string runtime_name;
  std::string sha1; // "" for unmanaged content (<fs-archive>/<fs-exploded> paths)
  std::string path; // unmanaged: the path the deployment names
  std::string relative_to;
  bool enabled = true;
  int line = 0;
};

struct Datasource {
  std::string pool_name;
  std::string jndi_name;
  bool xa = false;
  ConfigValue connection_url; // <connection-url>, or the URL/Url xa-datasource-property
  std::string server_name;    // xa-datasource-property ServerName (when no URL)
  std::string port_number;    // xa-datasource-property PortNumber
  std::string driver;
  std::string user_name;
  ConfigValue password; // <password> or <credential-reference clear-text=...>
  int line = 0;
};

// A clear-text credential outside the datasources: an Elytron <credential-reference
// clear-text="...">, a legacy security realm's keystore-password / key-password, a messaging
// cluster password. The file holds the value, so the image holds it too: it is a secret.
struct ConfigCredential {
  std::string owner;     // "key-store applicationKS", "keystore ApplicationRealm"
  std::string attribute; // "clear-text", "keystore-password", ...
  ConfigValue value;
};

struct StandaloneConfig {
  std::string path;           // host path it was read from, for messages
  std::string root_namespace; // "urn:jboss:domain:20.0"
  std::vector<ConfigProperty> system_properties;
  std::vector<ConfigInterface> interfaces;
  std::optional<SocketBindingGroup> socket_bindings;
  std::vector<ManagedDeployment> deployments;
  std::vector<Datasource> datasources;
  std::vector<ConfigCredential> credentials;
  // <deployment-scanner path relative-to>: where the scanner looks ("deployments",
  // "jboss.server.base.dir" by default).
  std::string scanner_path;
  std::string scanner_relative_to;

  const ConfigInterface* find_interface(std::string_view name) const;
};

// Parses the text of a standalone configuration. `path` is used in messages only. Malformed
// XML fails with invalid_input naming path:line.
Result<StandaloneConfig> parse_standalone_config(std::string_view content, const std::string& path);

} // namespace decant::jboss
