#include "server_xml.hpp"

#include <decant/analyzer/common.hpp>
#include <decant/analyzer/ports.hpp>
#include <decant/util/limits.hpp>
#include <decant/util/strings.hpp>
#include <decant/util/xml.hpp>

#include <pugixml.hpp>

#include <algorithm>
#include <cctype>
#include <set>

namespace decant::tomcat {

namespace {

// Attributes that hold a password or shared secret. Tomcat's legacy connector names
// (keystorePass, keyPass) are not caught by looks_secret's word rules, hence the list.
bool
is_secret_attribute(std::string_view element, std::string_view attribute)
{
  static const std::set<std::string> k_names = {
      "password",
      "keystorepass",
      "keypass",
      "truststorepass",
      "sslpassword",
      "secret",
      "requiredsecret",
      "connectionpassword",
      "certificatekeystorepassword",
      "certificatekeypassword",
      "truststorepassword",
      "keystorepassword",
  };
  std::string name = to_lower(attribute);
  if (k_names.count(name)) {
    return true;
  }
  // Names of files, switches and algorithms that merely mention a password.
  for (const char* suffix : {"file",
                             "path",
                             "required",
                             "type",
                             "alias",
                             "provider",
                             "algorithm",
                             "class",
                             "classname",
                             "attribute",
                             "pattern",
                             "handler",
                             "length",
                             "encoding",
                             "digest"}) {
    if (ends_with(name, suffix)) {
      return false;
    }
  }
  // JNDIRealm's userPassword names an LDAP attribute, not a password.
  if (element == "Realm" && name == "userpassword") {
    return false;
  }
  return looks_secret(attribute);
}

struct TlsAttribute {
  const char* name;
  bool secret;
};

// TLS attributes naming files (Connector legacy attributes, SSLHostConfig, Certificate).
const TlsAttribute k_tls_attributes[] = {
    {"keystoreFile", true},
    {"certificateKeystoreFile", true},
    {"certificateKeyFile", true},
    {"SSLCertificateKeyFile", true},
    {"certificateKeyPasswordFile", true},
    {"certificateKeystorePasswordFile", true},
    {"truststorePasswordFile", true},
    {"certificateFile", false},
    {"certificateChainFile", false},
    {"SSLCertificateFile", false},
    {"SSLCertificateChainFile", false},
    {"caCertificateFile", false},
    {"caCertificatePath", false},
    {"SSLCACertificateFile", false},
    {"SSLCACertificatePath", false},
    {"certificateRevocationListFile", false},
    {"certificateRevocationListPath", false},
    {"SSLCARevocationFile", false},
    {"SSLCARevocationPath", false},
    {"truststoreFile", false},
    {"crlFile", false},
};

bool
truthy(const std::string& value)
{
  std::string v = to_lower(trim(value));
  return v == "true" || v == "yes" || v == "on" || v == "1";
}

std::optional<int>
to_int(const std::string& text)
{
  auto t = trim(text);
  if (t.empty()) {
    return std::nullopt;
  }
  bool negative = t[0] == '-';
  if (negative) {
    t.remove_prefix(1);
  }
  auto n = parse_u64(t);
  if (!n || *n > 0x7fffffff) {
    return std::nullopt;
  }
  return negative ? -static_cast<int>(*n) : static_cast<int>(*n);
}

// "a" = "1" (from -Da), "b" = "2" (from ...): what expand_properties() used, for messages and
// the ports' valueSource.
std::string
describe_uses(const std::vector<PropertyUse>& used)
{
  std::vector<std::string> parts;
  for (const auto& use : used) {
    std::string part = fmt::format("${{{}}} = \"{}\"", use.name, use.value);
    if (!use.origin.empty()) {
      part += " from " + use.origin;
    }
    if (std::find(parts.begin(), parts.end(), part) == parts.end()) {
      parts.push_back(part);
    }
  }
  return join(parts, "; ");
}

// Reads one file's elements: line numbers, placeholder expansion with warnings, secrets.
class Reader
{
public:
  Reader(std::string_view content, std::string file, const PropertyResolver& properties)
      : m_content(content),
        m_file(std::move(file)),
        m_properties(properties)
  {
    for (size_t i = 0; i < content.size(); ++i) {
      if (content[i] == '\n') {
        m_newlines.push_back(i);
      }
    }
  }

  Status
  load(pugi::xml_document& doc) const
  {
    return load_xml(doc,
                    m_content,
                    m_file,
                    "fix the file (Tomcat would not start with it either) and analyze "
                    "again");
  }

  int
  line(size_t offset) const
  {
    return static_cast<int>(std::upper_bound(m_newlines.begin(), m_newlines.end(), offset)
                            - m_newlines.begin())
           + 1;
  }

  int
  line(const pugi::xml_node& node) const
  {
    ptrdiff_t offset = node.offset_debug();
    return offset < 0 ? 0 : line(static_cast<size_t>(offset));
  }

  std::string
  where(const pugi::xml_node& node) const
  {
    return fmt::format("{}:{}", m_file, line(node));
  }

  // The attribute with ${...} expanded; nullopt when absent. An undefined property is a
  // warning and stays as written (Tomcat's digester does the same). `origin`, when given,
  // receives where the properties' values came from.
  std::optional<std::string>
  attribute(const pugi::xml_node& node, const char* name, std::string* origin = nullptr)
  {
    pugi::xml_attribute attr = node.attribute(name);
    if (!attr) {
      return std::nullopt;
    }
    std::string raw = attr.value();
    if (raw.find("${") == std::string::npos) {
      return raw;
    }
    Expansion expanded = expand_properties(raw, m_properties);
    if (origin) {
      *origin = describe_uses(expanded.used);
    }
    if (!expanded.stopped.empty()) {
      m_warnings.push_back({"property-expansion",
                            fmt::format("{}: <{} {}={}>: {}",
                                        where(node),
                                        node.name(),
                                        name,
                                        quote(raw),
                                        expanded.stopped)});
    }
    if (!expanded.undefined.empty()) {
      std::vector<std::string> names;
      for (const auto& undefined : expanded.undefined) {
        names.push_back("${" + undefined + "}");
      }
      if (m_properties.opaque_sources.empty()) {
        m_warnings.push_back(
            {"undefined-property",
             fmt::format("{}: <{} {}={}>: {} {} undefined (no system property{}); Tomcat "
                         "keeps it as written",
                         where(node),
                         node.name(),
                         name,
                         quote(raw),
                         join(names, ", "),
                         names.size() == 1 ? "is" : "are",
                         m_properties.lookup ? " or property source defines it" : "")});
      } else {
        m_warnings.push_back(
            {"property-source-unknown",
             fmt::format("{}: <{} {}={}>: {} may come from the property source {}, which "
                         "decant cannot evaluate; the analysis keeps it as written: put the value "
                         "the running server uses into the analysis by hand",
                         where(node),
                         node.name(),
                         name,
                         quote(raw),
                         join(names, ", "),
                         join(m_properties.opaque_sources, ", "))});
      }
    }
    return expanded.text;
  }

  std::string
  attribute_or(const pugi::xml_node& node, const char* name, std::string fallback)
  {
    auto value = attribute(node, name);
    return value ? *value : fallback;
  }

  // Password-like attributes of `node` (not of its children).
  void
  collect_secrets(const pugi::xml_node& node,
                  const std::string& owner,
                  std::vector<SecretAttribute>& out)
  {
    for (pugi::xml_attribute attr : node.attributes()) {
      if (!is_secret_attribute(node.name(), attr.name())) {
        continue;
      }
      std::string raw = attr.value();
      if (raw.empty() || to_lower(raw) == "true" || to_lower(raw) == "false") {
        continue;
      }
      std::string value = raw;
      if (raw.find("${") != std::string::npos) {
        Expansion expanded = expand_properties(raw, m_properties);
        if (!expanded.undefined.empty() || !expanded.stopped.empty()) {
          continue; // an unresolved reference holds no secret; attribute() warns about it
        }
        value = expanded.text;
      }
      out.push_back({m_file, line(node), node.name(), attr.name(), owner, value});
    }
  }

  void
  collect_tls_files(const pugi::xml_node& node, std::vector<TlsFile>& out)
  {
    for (const auto& tls : k_tls_attributes) {
      if (auto value = attribute(node, tls.name); value && !trim(*value).empty()) {
        out.push_back({tls.name, std::string(trim(*value)), tls.secret, line(node)});
      }
    }
  }

  ResourceConfig
  resource(const pugi::xml_node& node)
  {
    ResourceConfig r;
    r.file = m_file;
    r.line = line(node);
    r.element = node.name();
    r.name = attribute_or(node, "name", "");
    r.type = attribute_or(node, "type", "");
    for (const char* name : {"url", "jdbcUrl", "URL", "connectionURL", "jdbc-url"}) {
      if (auto value = attribute(node, name)) {
        r.url = *value;
        break;
      }
    }
    for (const char* name : {"username", "user", "connectionName"}) {
      if (auto value = attribute(node, name)) {
        r.username = *value;
        break;
      }
    }
    for (const char* name : {"driverClassName", "driverName", "driverClass"}) {
      if (auto value = attribute(node, name)) {
        r.driver = *value;
        break;
      }
    }
    r.pathname = attribute_or(node, "pathname", "");
    return r;
  }

  // Resources and Realms anywhere below `node` (Realms nest in LockOutRealm/CombinedRealm).
  void
  collect_resources(const pugi::xml_node& node,
                    std::vector<ResourceConfig>& resources,
                    std::vector<SecretAttribute>& secrets)
  {
    for (pugi::xml_node child : node.children()) {
      if (child.type() != pugi::node_element) {
        continue;
      }
      std::string name = child.name();
      if (name == "Resource" || name == "Environment") {
        collect_secrets(child, attribute_or(child, "name", ""), secrets);
        if (name == "Resource") {
          resources.push_back(resource(child));
        }
      } else if (name == "Realm") {
        collect_secrets(child, attribute_or(child, "className", "Realm"), secrets);
        if (child.attribute("connectionURL")) {
          resources.push_back(resource(child));
        }
        collect_resources(child, resources, secrets);
      } else if (name == "Parameter") {
        // <Parameter name="db.password" value="..."/>: the name says what the value is.
        if (looks_secret(attribute_or(child, "name", ""))) {
          if (auto value = attribute(child, "value"); value && !value->empty()) {
            secrets.push_back({m_file,
                               line(child),
                               "Parameter",
                               "value",
                               attribute_or(child, "name", ""),
                               *value});
          }
        }
      }
    }
  }

  ContextConfig
  context(const pugi::xml_node& node, const std::string& host, const std::string& default_path)
  {
    ContextConfig c;
    c.file = m_file;
    c.line = line(node);
    c.host = host;
    c.path = attribute_or(node, "path", default_path);
    c.doc_base = attribute_or(node, "docBase", "");
    c.work_dir = attribute_or(node, "workDir", "");
    return c;
  }

  std::vector<ConfigWarning>&
  warnings()
  {
    return m_warnings;
  }

private:
  std::string_view m_content;
  std::string m_file;
  const PropertyResolver& m_properties;
  std::vector<size_t> m_newlines;
  std::vector<ConfigWarning> m_warnings;
};

Connector
read_connector(Reader& reader,
               const pugi::xml_node& node,
               const std::string& service,
               std::vector<SecretAttribute>& secrets)
{
  Connector c;
  c.line = reader.line(node);
  c.service = service;
  c.port_text = node.attribute("port").value();
  if (auto port = reader.attribute(node, "port", &c.port_origin)) {
    c.port = to_int(*port);
  }
  c.protocol = reader.attribute_or(node, "protocol", "HTTP/1.1");
  c.address = reader.attribute_or(node, "address", "");
  c.executor = reader.attribute_or(node, "executor", "");
  c.scheme = reader.attribute_or(node, "scheme", "http");
  c.secure = truthy(reader.attribute_or(node, "secure", "false"));
  c.ssl_enabled = truthy(reader.attribute_or(node, "SSLEnabled", "false"));
  if (auto redirect = reader.attribute(node, "redirectPort")) {
    c.redirect_port = to_int(*redirect);
  }
  c.secret_required = truthy(reader.attribute_or(node, "secretRequired", "true"));
  c.has_secret = node.attribute("secret") || node.attribute("requiredSecret");
  std::string owner = "port " + (c.port ? std::to_string(*c.port) : c.port_text);
  reader.collect_secrets(node, owner, secrets);
  reader.collect_tls_files(node, c.tls_files);
  bool names_keys = false;
  for (pugi::xml_node ssl : node.children("SSLHostConfig")) {
    c.ssl_host_names.push_back(reader.attribute_or(ssl, "hostName", "_default_"));
    reader.collect_secrets(ssl, owner, secrets);
    reader.collect_tls_files(ssl, c.tls_files);
    for (pugi::xml_node cert : ssl.children("Certificate")) {
      reader.collect_secrets(cert, owner, secrets);
      reader.collect_tls_files(cert, c.tls_files);
      // Tomcat's Certificate defaults to ${user.home}/.keystore when it names no key material.
      if (!cert.attribute("certificateKeystoreFile") && !cert.attribute("certificateFile")
          && !cert.attribute("certificateKeyFile")) {
        c.tls_files.push_back({"certificateKeystoreFile (default)",
                               "${user.home}/.keystore",
                               true,
                               reader.line(cert)});
      }
      names_keys = true;
    }
  }
  for (const auto& file : c.tls_files) {
    names_keys = names_keys || file.secret;
  }
  if (c.ssl_enabled && !names_keys) {
    // Legacy connector SSL without keystoreFile: JSSE's default keystore is ~/.keystore.
    c.tls_files.push_back({"keystoreFile (default)", "${user.home}/.keystore", true, c.line});
  }
  return c;
}

} // namespace

PropertyResolver::PropertyResolver(java::PropertyLookup values)
{
  if (values) {
    lookup = [values = std::move(values)](const std::string& name) -> std::optional<PropertyHit> {
      if (auto value = values(name)) {
        return PropertyHit{*value, ""};
      }
      return std::nullopt;
    };
  }
}

Expansion
expand_properties(std::string_view text, const PropertyResolver& resolver)
{
  Expansion out;
  std::set<std::string> recorded; // each name once in `used`, however often it is replaced
  auto get = [&](const std::string& name) -> std::optional<std::string> {
    if (!resolver.lookup) {
      return std::nullopt;
    }
    auto hit = resolver.lookup(name);
    if (!hit) {
      return std::nullopt;
    }
    if (recorded.insert(name).second) {
      out.used.push_back({name, hit->value, hit->origin});
    }
    return hit->value;
  };
  auto undefined = [&](const std::string& name) {
    if (std::find(out.undefined.begin(), out.undefined.end(), name) == out.undefined.end()) {
      out.undefined.push_back(name);
    }
  };
  std::string value(text);
  // IntrospectionUtils gives up after 20 rounds and keeps what it has.
  for (int round = 0; round < 20; ++round) {
    if (value.find("${") == std::string::npos) {
      break;
    }
    out.undefined.clear(); // only what the last round kept counts
    std::string replaced;
    size_t prev = 0;
    size_t pos;
    while ((pos = value.find('$', prev)) != std::string::npos) {
      replaced.append(value, prev, pos - prev);
      if (pos + 1 >= value.size() || value[pos + 1] != '{') {
        replaced += '$';
        prev = pos + 1;
        continue;
      }
      size_t end = value.find('}', pos);
      if (end == std::string::npos) {
        replaced.append(value, pos, std::string::npos);
        prev = value.size();
        continue;
      }
      std::string name = value.substr(pos + 2, end - pos - 2);
      std::optional<std::string> v = get(name);
      if (!v) {
        size_t col = resolver.default_values ? name.find(":-") : std::string::npos;
        if (col != std::string::npos) {
          v = get(name.substr(0, col));
          if (!v) {
            v = name.substr(col + 2);
            if (recorded.insert(name).second) {
              out.used.push_back({name.substr(0, col),
                                  *v,
                                  fmt::format("the default of ${{{}}} ({} is not defined)",
                                              name,
                                              name.substr(0, col))});
            }
          }
        } else {
          undefined(name);
          v = "${" + name + "}";
        }
      }
      replaced += *v;
      prev = end + 1;
    }
    if (prev < value.size()) {
      replaced.append(value, prev, std::string::npos);
    }
    if (replaced.size() > limits::k_expansion_bytes) {
      // Values that refer to each other several times each ("billion laughs") would grow
      // without bound before the 20 rounds end: keep the text as written.
      out.text = std::string(text);
      out.undefined.clear();
      out.stopped = fmt::format("its expansion grows past {} (decant's limit for one value); "
                                "the analysis keeps it as written",
                                human_bytes(limits::k_expansion_bytes));
      return out;
    }
    bool same = replaced == value;
    value = std::move(replaced);
    if (!resolver.recursive || same) {
      if (same && out.undefined.empty() && value.find("${") != std::string::npos) {
        out.stopped = "a property refers to itself; Tomcat stops replacing and keeps it as it is";
      }
      break;
    }
    if (round == 19 && value.find("${") != std::string::npos) {
      out.stopped = "still holds ${...} after Tomcat's 20 rounds of replacement, where it stops";
    }
  }
  out.text = std::move(value);
  return out;
}

bool
Connector::is_ajp() const
{
  std::string p = to_lower(protocol);
  return p.find("ajp") != std::string::npos;
}

bool
Connector::is_https() const
{
  return ssl_enabled && !is_ajp();
}

bool
Connector::is_loopback() const
{
  return is_loopback_address(address);
}

std::string
context_path_from_name(std::string_view file_name)
{
  std::string name(file_name);
  for (const char* ext : {".xml", ".war"}) {
    if (ends_with(name, ext)) {
      name.resize(name.size() - 4);
    }
  }
  if (auto version = name.find("##"); version != std::string::npos) {
    name.resize(version);
  }
  if (name == "ROOT" || name.empty()) {
    return "";
  }
  std::replace(name.begin(), name.end(), '#', '/');
  return "/" + name;
}

namespace {

// <Server port address portOffset>: the shutdown port (8005 when not written) and the offset.
void
read_server_attributes(Reader& reader, pugi::xml_node server, ServerConfig& config)
{
  config.shutdown_port_text = server.attribute("port").value();
  if (auto port = reader.attribute(server, "port", &config.shutdown_port_origin)) {
    config.shutdown_port = to_int(*port);
  } else {
    config.shutdown_port = 8005; // Server's documented default
    config.shutdown_port_text = "8005";
  }
  config.shutdown_address = reader.attribute_or(server, "address", "");
  if (auto offset = reader.attribute(server, "portOffset")) {
    auto n = to_int(*offset);
    if (n && *n >= 0) {
      config.port_offset = *n;
    } else {
      reader.warnings().push_back(
          {"invalid-port",
           fmt::format("{}: portOffset=\"{}\" is not a non-negative number; taken as 0",
                       reader.where(server),
                       *offset)});
    }
  }
  if (!config.shutdown_port && !config.shutdown_port_text.empty()) {
    reader.warnings().push_back({"invalid-port",
                                 fmt::format("{}: Server port=\"{}\" is not a number",
                                             reader.where(server),
                                             config.shutdown_port_text)});
  }
}

Executor
read_executor(Reader& reader, pugi::xml_node executor_node, const std::string& service)
{
  Executor e;
  e.line = reader.line(executor_node);
  e.service = service;
  e.name = reader.attribute_or(executor_node, "name", "");
  if (auto v = reader.attribute(executor_node, "maxThreads")) {
    e.max_threads = to_int(*v);
  }
  if (auto v = reader.attribute(executor_node, "minSpareThreads")) {
    e.min_spare_threads = to_int(*v);
  }
  return e;
}

// A Service's Connectors, warning about a port that is not a number and an executor the
// Service does not define.
void
read_service_connectors(Reader& reader,
                        pugi::xml_node service_node,
                        ServiceConfig& service,
                        ServerConfig& config)
{
  for (pugi::xml_node connector_node : service_node.children("Connector")) {
    Connector c = read_connector(reader, connector_node, service.name, config.secrets);
    if (!c.port) {
      reader.warnings().push_back(
          {"invalid-port",
           fmt::format("{}: Connector port=\"{}\" is not a number; the port is taken from the "
                       "sockets the process listens on, if any",
                       reader.where(connector_node),
                       c.port_text)});
    }
    if (!c.executor.empty()
        && std::none_of(service.executors.begin(), service.executors.end(), [&](const Executor& e) {
             return e.name == c.executor;
           })) {
      reader.warnings().push_back(
          {"unknown-executor",
           fmt::format("{}: Connector executor=\"{}\" names no Executor of Service \"{}\"",
                       reader.where(connector_node),
                       c.executor,
                       service.name)});
    }
    service.connectors.push_back(std::move(c));
  }
}

// A Host with its Contexts; resources and secrets of both go to `config`.
HostConfig
read_host(Reader& reader, pugi::xml_node host_node, ServerConfig& config)
{
  HostConfig host;
  host.line = reader.line(host_node);
  host.name = reader.attribute_or(host_node, "name", "localhost");
  host.app_base = reader.attribute_or(host_node, "appBase", "webapps");
  host.xml_base = reader.attribute_or(host_node, "xmlBase", "");
  host.deploy_xml = truthy(reader.attribute_or(host_node, "deployXML", "true"));
  host.unpack_wars = truthy(reader.attribute_or(host_node, "unpackWARs", "true"));
  reader.collect_resources(host_node, config.resources, config.secrets);
  for (pugi::xml_node context_node : host_node.children("Context")) {
    host.contexts.push_back(reader.context(context_node, host.name, ""));
    reader.collect_resources(context_node, config.resources, config.secrets);
    reader.collect_secrets(context_node, host.contexts.back().path, config.secrets);
  }
  return host;
}

ServiceConfig
read_service(Reader& reader, pugi::xml_node service_node, ServerConfig& config)
{
  ServiceConfig service;
  service.line = reader.line(service_node);
  service.name = reader.attribute_or(service_node, "name", "Catalina");
  for (pugi::xml_node executor_node : service_node.children("Executor")) {
    service.executors.push_back(read_executor(reader, executor_node, service.name));
  }
  read_service_connectors(reader, service_node, service, config);
  pugi::xml_node engine = service_node.child("Engine");
  if (engine) {
    service.engine = reader.attribute_or(engine, "name", "Catalina");
    service.default_host = reader.attribute_or(engine, "defaultHost", "localhost");
    reader.collect_resources(engine, config.resources, config.secrets);
    for (pugi::xml_node host_node : engine.children("Host")) {
      service.hosts.push_back(read_host(reader, host_node, config));
    }
  }
  return service;
}

} // namespace

Result<ServerConfig>
parse_server_xml(std::string_view content,
                 const std::string& file,
                 const PropertyResolver& properties)
{
  Reader reader(content, file, properties);
  pugi::xml_document doc;
  if (auto loaded = reader.load(doc); !loaded) {
    return fail(loaded.error());
  }
  pugi::xml_node server = doc.document_element();
  if (std::string_view(server.name()) != "Server") {
    return fail(
        Error(ErrorCode::invalid_input,
              fmt::format("{}:{}: the root element is <{}>, not <Server>: this is not a Tomcat "
                          "server.xml",
                          file,
                          reader.line(server),
                          server.name()),
              "check -config in the command line and CATALINA_BASE/conf/server.xml"));
  }
  ServerConfig config;
  config.file = file;
  config.line = reader.line(server);
  read_server_attributes(reader, server, config);
  for (pugi::xml_node gnr : server.children("GlobalNamingResources")) {
    reader.collect_resources(gnr, config.resources, config.secrets);
  }
  for (pugi::xml_node service_node : server.children("Service")) {
    config.services.push_back(read_service(reader, service_node, config));
  }
  config.warnings = std::move(reader.warnings());
  return config;
}

Result<ContextFile>
parse_context_xml(std::string_view content,
                  const std::string& file,
                  const std::string& default_path,
                  const PropertyResolver& properties)
{
  Reader reader(content, file, properties);
  pugi::xml_document doc;
  if (auto loaded = reader.load(doc); !loaded) {
    return fail(loaded.error());
  }
  pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != "Context") {
    return fail(ErrorCode::invalid_input,
                "{}:{}: the root element is <{}>, not <Context>",
                file,
                reader.line(root),
                root.name());
  }
  ContextFile out;
  out.context = reader.context(root, "", default_path);
  reader.collect_secrets(root, out.context.path, out.secrets);
  reader.collect_resources(root, out.resources, out.secrets);
  out.warnings = std::move(reader.warnings());
  return out;
}

Result<std::vector<SecretAttribute>>
parse_tomcat_users(std::string_view content, const std::string& file)
{
  PropertyResolver none;
  Reader reader(content, file, none);
  pugi::xml_document doc;
  if (auto loaded = reader.load(doc); !loaded) {
    return fail(loaded.error());
  }
  std::vector<SecretAttribute> out;
  for (pugi::xml_node user : doc.document_element().children("user")) {
    std::string owner = user.attribute("username").value();
    if (owner.empty()) {
      owner = user.attribute("name").value();
    }
    reader.collect_secrets(user, owner, out);
  }
  return out;
}

} // namespace decant::tomcat
