#include "tomee_xml.hpp"

#include <decant/util/limits.hpp>
#include <decant/util/strings.hpp>
#include <decant/util/xml.hpp>

#include <pugixml.hpp>

#include <algorithm>
#include <cctype>

namespace decant::tomee {

namespace {

// One pass of commons-lang3 StrSubstitutor as OpenEJB configures it: ${name} and
// ${name:-default}, names that hold placeholders themselves, values substituted again.
// Undefined names without default stay as written and are collected in `undefined`.
// Values that refer to a value twice grow exponentially with depth, so every byte written is
// taken from `budget`, shared by the whole expansion; the expansion stops when it runs out.
struct Substitution {
  const java::PropertyLookup& lookup;
  std::vector<std::string>& undefined;
  size_t budget = limits::k_expansion_bytes + 1; // 0: the expansion grew past the limit

  bool
  exhausted() const
  {
    return budget == 0;
  }

  void
  append(std::string& out, std::string_view piece)
  {
    size_t taken = std::min(piece.size(), budget);
    out.append(piece.substr(0, taken));
    budget -= taken;
  }

  std::string
  run(std::string_view text, int depth)
  {
    std::string out;
    if (depth > limits::k_expansion_depth) {
      append(out, text);
      return out;
    }
    size_t pos = 0;
    while (pos < text.size() && !exhausted()) {
      size_t open = text.find("${", pos);
      if (open == std::string_view::npos) {
        append(out, text.substr(pos));
        break;
      }
      append(out, text.substr(pos, open - pos));
      size_t close = closing_brace(text, open);
      if (close == std::string_view::npos) {
        append(out, text.substr(open));
        break;
      }
      expand_reference(out, run(text.substr(open + 2, close - open - 2), depth + 1), depth);
      pos = close + 1;
    }
    return out;
  }

  // `inner` is the text between "${" and its "}", already substituted.
  void
  expand_reference(std::string& out, const std::string& inner, int depth)
  {
    std::string name = inner;
    std::optional<std::string> fallback;
    if (auto delimiter = inner.find(":-"); delimiter != std::string::npos) {
      name = inner.substr(0, delimiter);
      fallback = inner.substr(delimiter + 2);
    }
    auto value = lookup(name);
    if (!value) {
      value = fallback;
    }
    if (value) {
      out += run(*value, depth + 1);
    } else {
      undefined.push_back(name);
      append(out, "${" + inner + "}");
    }
  }

  // The "}" that closes the "${" at `open`, counting nested "${"; npos when unclosed.
  static size_t
  closing_brace(std::string_view text, size_t open)
  {
    int nested = 0;
    for (size_t i = open + 2; i < text.size(); ++i) {
      if (text.compare(i, 2, "${") == 0) {
        ++nested;
        ++i;
      } else if (text[i] == '}') {
        if (nested == 0) {
          return i;
        }
        --nested;
      }
    }
    return std::string_view::npos;
  }
};

// Java's String.replace: one left-to-right pass, what is formed by a removal stays.
std::string
remove_all(std::string text, std::string_view token)
{
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (size_t at; (at = text.find(token, pos)) != std::string::npos; pos = at + token.size()) {
    out.append(text, pos, at - pos);
  }
  out.append(text, pos, std::string::npos);
  return out;
}

// PropertyPlaceHolderHelper.simpleValue: substitute, then drop every "${" and "}" left over, so
// an undefined ${name} becomes the bare text "name" (that is what TomEE then uses). The operator
// is told, with file and line, and `unresolved` is set.
std::string
resolve_value(const std::string& value,
              const java::PropertyLookup& lookup,
              const std::string& where,
              std::vector<ConfigWarning>& warnings,
              bool* unresolved = nullptr)
{
  if (value.find("${") == std::string::npos || value.find('}') == std::string::npos || !lookup) {
    return value;
  }
  std::vector<std::string> undefined;
  Substitution substitution{lookup, undefined};
  std::string out = substitution.run(value, 0);
  if (substitution.exhausted()) {
    warnings.push_back({"tomee-placeholder",
                        fmt::format("{}: expanding the value grows past {} (decant's limit for "
                                    "one value); it is kept as written",
                                    where,
                                    human_bytes(limits::k_expansion_bytes))});
    if (unresolved) {
      *unresolved = true;
    }
    return value;
  }
  out = remove_all(remove_all(std::move(out), "${"), "}");
  if (!undefined.empty()) {
    // The value itself is not quoted: it may be a password.
    warnings.push_back({"tomee-placeholder",
                        fmt::format("{}: \"${{{}}}\" is undefined (no -D option, "
                                    "conf/system.properties entry or environment variable); "
                                    "TomEE uses the bare name in its place",
                                    where,
                                    join(undefined, "}\", \"${"))});
    if (unresolved) {
      *unresolved = true;
    }
  }
  return out;
}

// The elements of tomee.xml/openejb.xml that declare a service with an id and a properties body
// (openejb-jee's openejb.xml schema; <Connector> is the pre-3.0 name of <Resource>).
bool
is_service_element(std::string_view name)
{
  for (const char* known : {"Resource",
                            "Container",
                            "JndiProvider",
                            "Connector",
                            "Service",
                            "ConnectionManager",
                            "TransactionManager",
                            "SecurityService",
                            "ProxyFactory"}) {
    if (name == known) {
      return true;
    }
  }
  return false;
}

void
read_body(const pugi::xml_node& element,
          std::string_view content,
          const std::string& file,
          const java::PropertyLookup& lookup,
          ServiceConfig& service,
          std::vector<ConfigWarning>& warnings)
{
  // The body may be split by comments into several text nodes: each is its own properties text,
  // numbered from the line it starts on.
  for (auto child = element.first_child(); child; child = child.next_sibling()) {
    if (child.type() != pugi::node_pcdata && child.type() != pugi::node_cdata) {
      continue;
    }
    std::string_view text = child.value();
    int first_line = line_of_offset(content, static_cast<size_t>(child.offset_debug()));
    auto parsed = java::parse_properties(text);
    std::vector<ServiceProperty> props;
    for (const auto& [key, value] : parsed) {
      int line = first_line + value.line - 1;
      std::string where = file + ":" + std::to_string(line);
      ServiceProperty property{key, "", line};
      property.value = resolve_value(value.value, lookup, where, warnings, &property.unresolved);
      props.push_back(std::move(property));
    }
    std::sort(props.begin(), props.end(), [](const ServiceProperty& a, const ServiceProperty& b) {
      return a.line < b.line;
    });
    service.properties.insert(service.properties.end(), props.begin(), props.end());
  }
}

} // namespace

const ServiceProperty*
ServiceConfig::property(std::string_view key) const
{
  const ServiceProperty* found = nullptr;
  std::string wanted = to_lower(key);
  for (const auto& p : properties) {
    if (to_lower(p.key) == wanted) {
      found = &p;
    }
  }
  return found;
}

const ServiceProperty*
ServiceConfig::property_any(std::initializer_list<std::string_view> keys) const
{
  for (auto key : keys) {
    if (const auto* p = property(key)) {
      return p;
    }
  }
  return nullptr;
}

bool
ServiceConfig::is_datasource() const
{
  std::string t = to_lower(type);
  return ends_with(t, "datasource") || property("JdbcUrl") != nullptr;
}

Result<TomeeConfig>
parse_tomee_xml(std::string_view content,
                const std::string& file,
                const java::PropertyLookup& lookup)
{
  pugi::xml_document doc;
  if (auto loaded = load_xml(doc,
                             content,
                             file,
                             "fix the file (TomEE itself refuses to start with it), or restore it "
                             "from the distribution, then analyze again");
      !loaded) {
    return fail(loaded.error());
  }
  pugi::xml_node top = doc.document_element();
  std::string root_name = top.name();
  // <resources> is the root of an application's WEB-INF/resources.xml (same elements).
  if (root_name != "tomee" && root_name != "openejb" && root_name != "resources") {
    return fail(Error(ErrorCode::invalid_input,
                      fmt::format("{}:{}: the root element is <{}>, expected <tomee>, <openejb> "
                                  "or <resources>",
                                  file,
                                  line_of_offset(content, static_cast<size_t>(top.offset_debug())),
                                  root_name),
                      "point openejb.configuration at a TomEE configuration file"));
  }
  TomeeConfig config;
  config.file = file;
  config.root_element = root_name;
  for (auto element : top.children()) {
    if (element.type() != pugi::node_element) {
      continue;
    }
    std::string name = element.name();
    int line = line_of_offset(content, static_cast<size_t>(element.offset_debug()));
    std::string where = file + ":" + std::to_string(line);
    if (name == "Deployments") {
      DeploymentsConfig d;
      d.file = file;
      d.line = line;
      d.dir = resolve_value(
          element.attribute("dir").as_string(), lookup, where, config.warnings, &d.unresolved);
      std::string jar = element.attribute("jar").as_string();
      if (jar.empty()) {
        jar = element.attribute("file").as_string();
      }
      d.jar = resolve_value(jar, lookup, where, config.warnings, &d.unresolved);
      if (d.dir.empty() && d.jar.empty()) {
        config.warnings.push_back(
            {"tomee-config", where + ": <Deployments> names neither dir nor jar; ignored"});
        continue;
      }
      config.deployments.push_back(d);
      continue;
    }
    if (!is_service_element(name)) {
      continue; // <Import>, <System-Property>... do not change the file set or the ports
    }
    ServiceConfig service;
    service.file = file;
    service.line = line;
    service.element = name;
    for (auto attribute : element.attributes()) {
      service.attributes[attribute.name()] = attribute.value();
    }
    service.id = element.attribute("id").as_string();
    service.type = element.attribute("type").as_string();
    if (service.type.empty()) {
      service.type = element.attribute("ctype").as_string(); // <Container ctype="MESSAGE">
    }
    service.provider = element.attribute("provider").as_string();
    service.classpath =
        resolve_value(element.attribute("classpath").as_string(), lookup, where, config.warnings);
    read_body(element, content, file, lookup, service, config.warnings);
    config.services.push_back(std::move(service));
  }
  return config;
}

std::vector<ServiceConfig>
services_from_properties(const std::map<std::string, java::PropertyValue>& properties,
                         const std::string& file,
                         const java::PropertyLookup& lookup,
                         std::vector<ConfigWarning>& warnings)
{
  std::vector<ServiceConfig> services;
  for (const auto& [key, value] : properties) {
    if (!starts_with(value.value, "new://")) {
      continue;
    }
    // new://Resource?type=DataSource&provider=x
    std::string_view spec = std::string_view(value.value).substr(6);
    std::string_view element = spec.substr(0, spec.find('?'));
    ServiceConfig service;
    service.file = file;
    service.line = value.line;
    service.element = std::string(element);
    service.id = key;
    if (auto q = spec.find('?'); q != std::string_view::npos) {
      for (const auto& pair : split(spec.substr(q + 1), '&')) {
        auto eq = pair.find('=');
        std::string name = pair.substr(0, eq);
        std::string v = eq == std::string::npos ? "" : pair.substr(eq + 1);
        service.attributes[name] = v;
        if (name == "type") {
          service.type = v;
        } else if (name == "provider") {
          service.provider = v;
        } else if (name == "classpath") {
          service.classpath = v;
        }
      }
    }
    std::string prefix = key + ".";
    for (const auto& [other, other_value] : properties) {
      if (starts_with(other, prefix)) {
        std::string where = file + ":" + std::to_string(other_value.line);
        ServiceProperty property{other.substr(prefix.size()), "", other_value.line};
        property.value =
            resolve_value(other_value.value, lookup, where, warnings, &property.unresolved);
        service.properties.push_back(std::move(property));
      }
    }
    std::sort(service.properties.begin(),
              service.properties.end(),
              [](const ServiceProperty& a, const ServiceProperty& b) { return a.line < b.line; });
    services.push_back(std::move(service));
  }
  std::sort(services.begin(), services.end(), [](const ServiceConfig& a, const ServiceConfig& b) {
    return a.line < b.line;
  });
  return services;
}

std::vector<BrokerEndpoint>
broker_endpoints(std::string_view server_url)
{
  std::vector<BrokerEndpoint> endpoints;
  size_t pos = 0;
  while ((pos = server_url.find("://", pos)) != std::string_view::npos) {
    // The scheme is the letters before "://" (failover:(tcp://... has "(" before "tcp").
    size_t start = pos;
    while (start > 0 && std::isalnum(static_cast<unsigned char>(server_url[start - 1]))) {
      --start;
    }
    std::string scheme = to_lower(server_url.substr(start, pos - start));
    size_t authority = pos + 3;
    size_t end = server_url.find_first_of("/?,)", authority);
    std::string_view host_port = server_url.substr(
        authority, end == std::string_view::npos ? std::string_view::npos : end - authority);
    pos = authority;
    if (scheme == "vm" || scheme == "failover" || scheme == "static" || host_port.empty()) {
      continue;
    }
    std::string host;
    std::string port_text;
    if (host_port.front() == '[') { // [::1]:61616
      auto close = host_port.find(']');
      host = std::string(host_port.substr(1, close - 1));
      if (close != std::string_view::npos && close + 1 < host_port.size()
          && host_port[close + 1] == ':') {
        port_text = std::string(host_port.substr(close + 2));
      }
    } else {
      auto colon = host_port.rfind(':');
      host = std::string(host_port.substr(0, colon));
      if (colon != std::string_view::npos) {
        port_text = std::string(host_port.substr(colon + 1));
      }
    }
    auto port = parse_u64(port_text);
    if (host.empty() || !port || *port == 0 || *port > 65535) {
      continue;
    }
    endpoints.push_back({host, static_cast<uint16_t>(*port)});
  }
  return endpoints;
}

} // namespace decant::tomee
