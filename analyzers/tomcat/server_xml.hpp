#pragma once

// Tomcat's configuration files read with pugixml: conf/server.xml (Server, Service, Executor,
// Connector with SSLHostConfig/Certificate, Engine, Host, Context, GlobalNamingResources) and
// context descriptors (conf/<Engine>/<Host>/*.xml, conf/context.xml, META-INF/context.xml).
// Pure functions of the file's content: tests feed them strings.
//
// ${name} in attribute values is resolved like Tomcat's digester does (expand_properties: its
// property sources, system properties last, which include conf/catalina.properties): an
// undefined name stays as written and is reported with file and line, because Tomcat also keeps
// it literally and starts anyway.

#include <decant/analysis/analysis.hpp>
#include <decant/error.hpp>

#include <functional>
#include <java/jvm.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace decant::tomcat {

// A property's value and where it came from ("-Dhttp.port", "/etc/tomcat10/catalina.properties:12",
// "environment variable HTTP_PORT (org.apache.tomcat.util.digester.EnvironmentPropertySource)").
struct PropertyHit {
  std::string value;
  std::string origin;
};

// How the Digester of the running Tomcat replaces ${...} in the XML files it reads
// (IntrospectionUtils.replaceProperties with the Digester's property sources): `lookup` asks the
// sources in Tomcat's order; the flags say which rules this Tomcat version has.
struct PropertyResolver {
  PropertyResolver() = default;
  // Values without origins and every rule on: what tests and simple callers need.
  PropertyResolver(java::PropertyLookup values); // NOLINT: implicit on purpose

  std::function<std::optional<PropertyHit>(const std::string& name)> lookup;
  // ${name:-default}: this Tomcat's IntrospectionUtils has the ":-" rule (added in 2020 to
  // 7.0, 8.5 and 9.0); else "name:-default" is one property name.
  bool default_values = true;
  // A replaced value that holds ${...} itself is replaced again, at most 20 rounds (newer
  // IntrospectionUtils); else one pass.
  bool recursive = true;
  // Property source classes decant cannot evaluate (an operator's own class): a name no known
  // source defines may come from them, so it is not reported as undefined.
  std::vector<std::string> opaque_sources;
};

struct PropertyUse {
  std::string name;
  std::string value;
  std::string origin;
};

struct Expansion {
  std::string text;
  std::vector<PropertyUse> used;      // each name replaced (or defaulted), in order
  std::vector<std::string> undefined; // names kept as written
  // Why the expansion stopped with "${" still in the text although every name is defined (a
  // value that refers to itself, Tomcat's 20 rounds used up), or decant's size limit refused
  // it (`text` is then the value as written); "" otherwise.
  std::string stopped;
};

// IntrospectionUtils.replaceProperties: "${" up to the next "}" is a name; a defined name is
// replaced by its value, "name:-default" falls back to the default when the rule exists, an
// undefined name stays "${name}"; a lone '$' and an unclosed "${" are kept as written. A value
// growing past limits::k_expansion_bytes stops the expansion (`stopped` says so).
Expansion expand_properties(std::string_view text, const PropertyResolver& resolver);

// A file named by a TLS attribute (keystoreFile, certificateKeyFile, truststoreFile...), as
// written after placeholder expansion: relative paths are relative to CATALINA_BASE.
struct TlsFile {
  std::string attribute;
  std::string path;
  bool secret = false; // keystores, private keys and password files; not certificates
  int line = 0;
};

struct Connector {
  int line = 0;
  std::string service;
  std::optional<int> port; // as configured, before portOffset; nullopt when not a number
  std::string port_text;   // as written ("${http.port}")
  std::string port_origin; // where ${...} in port_text got its value ("" for a literal port)
  std::string protocol;    // as written; "HTTP/1.1" when absent
  std::string address;     // "" = all interfaces
  std::string executor;
  std::string scheme;
  bool ssl_enabled = false;
  bool secure = false;
  std::optional<int> redirect_port;
  bool secret_required = true; // AJP: Tomcat 9.0.31+ defaults to requiring a secret
  bool has_secret = false;
  std::vector<TlsFile> tls_files;
  std::vector<std::string> ssl_host_names; // SSLHostConfig hostName values

  bool is_ajp() const;
  bool is_https() const;
  // 127.0.0.1, localhost, ::1 ...: reachable only from the same network namespace.
  bool is_loopback() const;
};

struct Executor {
  int line = 0;
  std::string service;
  std::string name;
  std::optional<int> max_threads;
  std::optional<int> min_spare_threads;
};

// A Context from server.xml or a context descriptor.
struct ContextConfig {
  std::string file; // where it was declared
  int line = 0;
  std::string path;     // "/examples"; from the descriptor's file name when not given
  std::string doc_base; // as written after expansion; "" when absent
  std::string host;     // the Host it belongs to
  std::string work_dir;
};

struct HostConfig {
  int line = 0;
  std::string name;
  std::string app_base = "webapps";
  std::string xml_base;    // "" = conf/<Engine>/<Host>
  bool deploy_xml = true;  // deployXML: apply the webapps' own META-INF/context.xml
  bool unpack_wars = true; // unpackWARs: WARs are expanded next to themselves
  std::vector<ContextConfig> contexts;
};

struct ServiceConfig {
  int line = 0;
  std::string name;
  std::string engine = "Catalina";
  std::string default_host;
  std::vector<Connector> connectors;
  std::vector<Executor> executors;
  std::vector<HostConfig> hosts;
};

// A JNDI <Resource> (GlobalNamingResources, Context) or a Realm with connection settings.
struct ResourceConfig {
  std::string file;
  int line = 0;
  std::string element; // "Resource", "Realm"
  std::string name;
  std::string type;
  std::string url; // url / connectionURL
  std::string username;
  std::string driver;
  std::string pathname; // UserDatabase's pathname (conf/tomcat-users.xml)
};

// A password-like attribute value (password, keystorePass, AJP secret, connectionPassword).
struct SecretAttribute {
  std::string file;
  int line = 0;
  std::string element;   // "Resource", "Connector", "Certificate", "user", ...
  std::string attribute; // "password"
  std::string owner;     // the resource's name, the connector's port, the user's name
  std::string value;
};

// Something worth telling the operator that does not stop the analysis (an undefined ${name}).
struct ConfigWarning {
  std::string code;
  std::string message; // starts with "file:line: "
};

struct ServerConfig {
  std::string file;
  int line = 0;
  std::optional<int> shutdown_port; // -1 = disabled
  std::string shutdown_port_text;
  std::string shutdown_port_origin; // where ${...} in it got its value
  std::string shutdown_address;     // "" = localhost, Tomcat's default
  int port_offset = 0;
  std::vector<ServiceConfig> services;
  std::vector<ResourceConfig> resources;
  std::vector<SecretAttribute> secrets;
  std::vector<ConfigWarning> warnings;
};

// Parses server.xml. Fails (invalid_input) when it is not well-formed XML or its root is not
// <Server>, naming "file:line".
Result<ServerConfig> parse_server_xml(std::string_view content,
                                      const std::string& file,
                                      const PropertyResolver& properties);

struct ContextFile {
  ContextConfig context;
  std::vector<ResourceConfig> resources;
  std::vector<SecretAttribute> secrets;
  std::vector<ConfigWarning> warnings;
};

// Parses a context descriptor. `default_path` is the context path its file name gives
// ("manager.xml" -> "/manager", "ROOT.xml" -> "", "a#b.xml" -> "/a/b").
Result<ContextFile> parse_context_xml(std::string_view content,
                                      const std::string& file,
                                      const std::string& default_path,
                                      const PropertyResolver& properties);

// "a#b.xml" / "a#b.war" / "a#b" -> "/a/b"; "ROOT..." -> "" (Tomcat's context naming rules,
// without the ##version suffix).
std::string context_path_from_name(std::string_view file_name);

// <user password="..."> entries of a tomcat-users.xml (UserDatabase), as secrets.
Result<std::vector<SecretAttribute>> parse_tomcat_users(std::string_view content,
                                                        const std::string& file);

} // namespace decant::tomcat
