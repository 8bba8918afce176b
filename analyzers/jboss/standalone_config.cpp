#include "standalone_config.hpp"

#include <decant/util/strings.hpp>
#include <decant/util/xml.hpp>

#include <pugixml.hpp>

#include <algorithm>
#include <set>

namespace decant::jboss {

namespace {

// "urn:jboss:domain:undertow:12.0" -> "undertow"; "urn:wildfly:elytron:15.0" -> "elytron".
std::string
subsystem_name(std::string_view xmlns)
{
  auto parts = split(xmlns, ':');
  if (parts.size() >= 2) {
    return parts[parts.size() - 2];
  }
  return std::string(xmlns);
}

std::string_view
local_name(const pugi::xml_node& node)
{
  std::string_view name = node.name();
  auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node
child(const pugi::xml_node& node, std::string_view name)
{
  for (auto c : node.children()) {
    if (c.type() == pugi::node_element && local_name(c) == name) {
      return c;
    }
  }
  return {};
}

std::vector<pugi::xml_node>
children(const pugi::xml_node& node, std::string_view name)
{
  std::vector<pugi::xml_node> out;
  for (auto c : node.children()) {
    if (c.type() == pugi::node_element && local_name(c) == name) {
      out.push_back(c);
    }
  }
  return out;
}

std::string
text_of(const pugi::xml_node& node)
{
  return std::string(trim(node.text().as_string()));
}

class Parser
{
public:
  Parser(std::string_view content, StandaloneConfig& config)
      : m_content(content),
        m_config(config)
  {
  }

  int
  line(const pugi::xml_node& node) const
  {
    return line_of_offset(m_content, static_cast<size_t>(node.offset_debug()));
  }

  void parse(const pugi::xml_node& server);

private:
  void parse_interfaces(const pugi::xml_node& interfaces);
  void parse_socket_binding_group(const pugi::xml_node& group);
  void parse_datasources(const pugi::xml_node& subsystem);
  void parse_deployments(const pugi::xml_node& deployments);
  void collect_uses(const pugi::xml_node& node, const std::string& subsystem, bool management);
  void collect_credentials(const pugi::xml_node& node);
  void add_use(const std::string& binding, BindingUse use);
  std::set<std::string> jgroups_stacks_in_use(const pugi::xml_node& subsystem) const;

  std::string_view m_content;
  StandaloneConfig& m_config;
  // Uses seen before the socket-binding-group (it comes last in the file).
  std::vector<std::pair<std::string, BindingUse>> m_uses;
};

void
Parser::parse(const pugi::xml_node& server)
{
  m_config.root_namespace = server.attribute("xmlns").as_string();
  for (auto node : server.children()) {
    if (node.type() != pugi::node_element) {
      continue;
    }
    std::string_view name = local_name(node);
    if (name == "system-properties") {
      for (auto property : children(node, "property")) {
        m_config.system_properties.push_back({property.attribute("name").as_string(),
                                              property.attribute("value").as_string(),
                                              line(property)});
      }
    } else if (name == "management") {
      if (auto interfaces = child(node, "management-interfaces")) {
        collect_uses(interfaces, "management", true);
      }
    } else if (name == "profile") {
      for (auto subsystem : children(node, "subsystem")) {
        std::string sub = subsystem_name(subsystem.attribute("xmlns").as_string());
        if (sub == "datasources") {
          parse_datasources(subsystem);
        } else if (sub == "deployment-scanner") {
          if (auto scanner = child(subsystem, "deployment-scanner")) {
            m_config.scanner_path = scanner.attribute("path").as_string();
            m_config.scanner_relative_to = scanner.attribute("relative-to").as_string();
          }
        }
        if (sub == "jgroups") {
          // Only the stacks a channel uses open sockets; the others are templates.
          auto used = jgroups_stacks_in_use(subsystem);
          for (auto stacks : children(subsystem, "stacks")) {
            for (auto stack : children(stacks, "stack")) {
              if (used.count(stack.attribute("name").as_string())) {
                collect_uses(stack, sub, false);
              }
            }
          }
          for (auto stack : children(subsystem, "stack")) { // AS 7 / EAP 6: no <stacks>
            if (used.count(stack.attribute("name").as_string())) {
              collect_uses(stack, sub, false);
            }
          }
          continue;
        }
        collect_uses(subsystem, sub, false);
      }
    } else if (name == "interfaces") {
      parse_interfaces(node);
    } else if (name == "socket-binding-group") {
      parse_socket_binding_group(node);
    } else if (name == "deployments") {
      parse_deployments(node);
    }
  }
  collect_credentials(server);
  if (m_config.socket_bindings) {
    for (auto& [binding_name, use] : m_uses) {
      for (auto& binding : m_config.socket_bindings->bindings) {
        if (binding.name == binding_name) {
          binding.uses.push_back(use);
        }
      }
    }
  }
}

std::set<std::string>
Parser::jgroups_stacks_in_use(const pugi::xml_node& subsystem) const
{
  std::set<std::string> used;
  if (auto stack = subsystem.attribute("default-stack")) { // AS 7 / EAP 6
    used.insert(stack.as_string());
  }
  std::string default_stack;
  if (auto stacks = child(subsystem, "stacks")) {
    default_stack = stacks.attribute("default").as_string();
  }
  if (auto channels = child(subsystem, "channels")) {
    for (auto channel : children(channels, "channel")) {
      auto stack = channel.attribute("stack");
      used.insert(stack ? stack.as_string() : default_stack);
    }
  }
  return used;
}

void
Parser::add_use(const std::string& binding, BindingUse use)
{
  for (const auto& name : split(binding, ' ')) {
    if (!name.empty()) {
      m_uses.emplace_back(name, use);
    }
  }
}

void
Parser::collect_uses(const pugi::xml_node& node, const std::string& subsystem, bool management)
{
  for (auto element : node.children()) {
    if (element.type() != pugi::node_element) {
      continue;
    }
    std::string_view element_name = local_name(element);
    for (auto attribute : element.attributes()) {
      std::string_view attr = attribute.name();
      bool is_use = false;
      if (management && element_name == "socket-binding") {
        // <http-interface><socket-binding http="management-http" https="..."/>,
        // <native-interface><socket-binding native="management-native"/>.
        is_use = attr == "http" || attr == "https" || attr == "native";
      } else {
        // socket-binding, status-socket-binding, ssl-socket-binding,
        // diagnostics-socket-binding, secure-socket-binding, mod_cluster's advertise-socket.
        // outbound-socket-binding(s) name outbound bindings, which listen on nothing.
        is_use = (attr == "socket-binding" || ends_with(attr, "-socket-binding")
                  || attr == "advertise-socket")
                 && !starts_with(attr, "outbound");
      }
      if (!is_use) {
        continue;
      }
      BindingUse use;
      use.subsystem = subsystem;
      use.element = std::string(element_name);
      use.attribute = std::string(attr);
      use.line = line(element);
      if (element_name == "connector" && subsystem == "web") {
        // JBoss AS 7 / EAP 6 web subsystem: <connector protocol="AJP/1.3" scheme="https">.
        std::string protocol = element.attribute("protocol").as_string();
        std::string scheme = element.attribute("scheme").as_string();
        bool secure = std::string(element.attribute("secure").as_string()) == "true";
        if (starts_with(protocol, "AJP")) {
          use.scheme = "ajp";
        } else if (scheme == "https" || secure) {
          use.scheme = "https";
        } else {
          use.scheme = "http";
        }
      }
      if (element_name == "transport" && std::string(element.attribute("type").as_string()) == "UDP"
          && attr == "socket-binding") {
        use.udp = true;
      }
      add_use(attribute.as_string(), use);
    }
    collect_uses(element, subsystem, management);
  }
}

// The name of the nearest element (itself included) that has one, for messages and secret
// names: <key-store name="applicationKS"><credential-reference/> -> "applicationKS".
std::string
nearest_name(pugi::xml_node node)
{
  for (; node && node.type() == pugi::node_element; node = node.parent()) {
    if (auto name = node.attribute("name")) {
      return name.as_string();
    }
  }
  return "";
}

void
Parser::collect_credentials(const pugi::xml_node& node)
{
  for (auto element : node.children()) {
    if (element.type() != pugi::node_element) {
      continue;
    }
    // Datasource credentials are read with their datasource (parse_datasources).
    if (local_name(element) == "subsystem"
        && subsystem_name(element.attribute("xmlns").as_string()) == "datasources") {
      continue;
    }
    for (auto attribute : element.attributes()) {
      std::string_view attr = attribute.name();
      bool clear_text = local_name(element) == "credential-reference" && attr == "clear-text";
      if ((!clear_text && !ends_with(attr, "password"))
          || std::string_view(attribute.value()).empty()) {
        continue;
      }
      // <key-store name="x"><credential-reference clear-text/>: the owner is the parent.
      pugi::xml_node owner = clear_text ? element.parent() : element;
      std::string name = nearest_name(owner);
      ConfigCredential credential;
      credential.owner = std::string(local_name(owner)) + (name.empty() ? "" : " " + name);
      credential.attribute = std::string(attr);
      credential.value = {attribute.value(), line(element)};
      m_config.credentials.push_back(std::move(credential));
    }
    collect_credentials(element);
  }
}

void
Parser::parse_interfaces(const pugi::xml_node& interfaces)
{
  for (auto iface : children(interfaces, "interface")) {
    ConfigInterface out;
    out.name = iface.attribute("name").as_string();
    out.line = line(iface);
    for (auto criterion : iface.children()) {
      if (criterion.type() != pugi::node_element) {
        continue;
      }
      out.criterion = std::string(local_name(criterion));
      out.value = criterion.attribute("value").as_string();
      if (out.value.empty()) {
        out.value = criterion.attribute("name").as_string();
      }
      break;
    }
    m_config.interfaces.push_back(std::move(out));
  }
}

void
Parser::parse_socket_binding_group(const pugi::xml_node& group)
{
  SocketBindingGroup out;
  out.name = group.attribute("name").as_string();
  out.default_interface = group.attribute("default-interface").as_string();
  out.line = line(group);
  auto offset = group.attribute("port-offset");
  out.port_offset = {offset ? offset.as_string() : "0", out.line};
  for (auto node : group.children()) {
    if (node.type() != pugi::node_element) {
      continue;
    }
    std::string_view name = local_name(node);
    if (name == "socket-binding") {
      SocketBinding binding;
      binding.name = node.attribute("name").as_string();
      binding.interface_name = node.attribute("interface").as_string();
      binding.line = line(node);
      auto port = node.attribute("port");
      binding.port = {port ? port.as_string() : "0", binding.line};
      binding.fixed_port = std::string(node.attribute("fixed-port").as_string()) == "true";
      binding.multicast_address = node.attribute("multicast-address").as_string();
      out.bindings.push_back(std::move(binding));
    } else if (name == "outbound-socket-binding") {
      OutboundBinding outbound;
      outbound.name = node.attribute("name").as_string();
      outbound.line = line(node);
      if (auto remote = child(node, "remote-destination")) {
        outbound.host = {remote.attribute("host").as_string(), line(remote)};
        outbound.port = {remote.attribute("port").as_string(), line(remote)};
      }
      out.outbound.push_back(std::move(outbound));
    }
  }
  m_config.socket_bindings = std::move(out);
}

void
Parser::parse_datasources(const pugi::xml_node& subsystem)
{
  auto datasources = child(subsystem, "datasources");
  for (auto node : datasources.children()) {
    std::string_view kind = local_name(node);
    if (kind != "datasource" && kind != "xa-datasource") {
      continue;
    }
    Datasource ds;
    ds.xa = kind == "xa-datasource";
    ds.pool_name = node.attribute("pool-name").as_string();
    ds.jndi_name = node.attribute("jndi-name").as_string();
    ds.line = line(node);
    if (auto url = child(node, "connection-url")) {
      ds.connection_url = {text_of(url), line(url)};
    }
    for (auto property : children(node, "xa-datasource-property")) {
      std::string name = property.attribute("name").as_string();
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      if (lower == "url") {
        ds.connection_url = {text_of(property), line(property)};
      } else if (lower == "servername") {
        ds.server_name = text_of(property);
      } else if (lower == "portnumber") {
        ds.port_number = text_of(property);
      }
    }
    if (auto driver = child(node, "driver")) {
      ds.driver = text_of(driver);
    }
    if (auto security = child(node, "security")) {
      // datasources:1.x-6.x write <user-name>/<password> elements; 7.0 allows attributes.
      if (auto user = child(security, "user-name")) {
        ds.user_name = text_of(user);
      } else {
        ds.user_name = security.attribute("user-name").as_string();
      }
      if (auto password = child(security, "password")) {
        ds.password = {text_of(password), line(password)};
      } else if (auto attr = security.attribute("password")) {
        ds.password = {attr.as_string(), line(security)};
      } else if (auto credential = child(security, "credential-reference")) {
        if (auto clear = credential.attribute("clear-text")) {
          ds.password = {clear.as_string(), line(credential)};
        }
      }
    }
    m_config.datasources.push_back(std::move(ds));
  }
}

void
Parser::parse_deployments(const pugi::xml_node& deployments)
{
  for (auto node : children(deployments, "deployment")) {
    ManagedDeployment deployment;
    deployment.name = node.attribute("name").as_string();
    deployment.runtime_name = node.attribute("runtime-name").as_string();
    if (deployment.runtime_name.empty()) {
      deployment.runtime_name = deployment.name;
    }
    auto enabled = node.attribute("enabled");
    deployment.enabled = !enabled || std::string(enabled.as_string()) != "false";
    deployment.line = line(node);
    if (auto content = child(node, "content")) {
      deployment.sha1 = content.attribute("sha1").as_string();
    } else {
      for (const char* kind : {"fs-archive", "fs-exploded"}) {
        if (auto fs = child(node, kind)) {
          deployment.path = fs.attribute("path").as_string();
          deployment.relative_to = fs.attribute("relative-to").as_string();
        }
      }
    }
    m_config.deployments.push_back(std::move(deployment));
  }
}

} // namespace

const ConfigInterface*
StandaloneConfig::find_interface(std::string_view name) const
{
  for (const auto& iface : interfaces) {
    if (iface.name == name) {
      return &iface;
    }
  }
  return nullptr;
}

Result<StandaloneConfig>
parse_standalone_config(std::string_view content, const std::string& path)
{
  pugi::xml_document document;
  if (auto loaded = load_xml(document,
                             content,
                             path,
                             "fix the file (xmllint --noout shows the same error), then run "
                             "decant again");
      !loaded) {
    return fail(loaded.error());
  }
  auto server = document.document_element();
  if (local_name(server) != "server") {
    return fail(
        Error(ErrorCode::invalid_input,
              fmt::format("{}:{}: root element is <{}>, not <server>: not a standalone "
                          "server configuration",
                          path,
                          line_of_offset(content, static_cast<size_t>(server.offset_debug())),
                          server.name()),
              "point -c at a standalone*.xml; domain.xml and host.xml are domain mode, "
              "which decant does not support"));
  }
  StandaloneConfig config;
  config.path = path;
  Parser parser(content, config);
  parser.parse(server);
  return config;
}

} // namespace decant::jboss
