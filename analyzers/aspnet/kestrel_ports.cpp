#include "kestrel_ports.hpp"

#include <decant/analyzer/ports.hpp>
#include <decant/util/strings.hpp>

#include <fmt/format.h>

#include <set>

namespace decant::aspnet {

namespace {

PortRole
role_of(const KestrelUrl& url)
{
  return url.scheme == "https" ? PortRole::https : PortRole::http;
}

// Rebinds a loopback or host-specific URL to all interfaces where its winning source can be
// overridden in the image: the argv element or environment variable that set it, or a variable
// that outranks a file.
void
rebind_all(Analysis& a, const KestrelEndpoint& endpoint)
{
  std::string rebound = rebind_all_interfaces(endpoint.url);
  const ConfigValue& source = endpoint.source;
  std::string how;
  auto set_env = [&](const std::string& name, const std::string& value) {
    for (auto& var : a.env) {
      if (var.name == name) {
        var.value = value;
        return;
      }
    }
    a.add_env(name, value, false);
  };
  auto replace_in = [](std::string text, const std::string& from, const std::string& to) {
    auto pos = text.find(from);
    return pos == std::string::npos ? text : text.replace(pos, from.size(), to);
  };
  switch (source.origin) {
  case ConfigValue::Origin::command_line: {
    auto index = static_cast<size_t>(source.argv_index);
    if (index < a.start.command.size()) {
      a.start.command[index] = replace_in(a.start.command[index], endpoint.url.text, rebound);
      how = fmt::format("argument {} of the start command", index);
    }
    break;
  }
  case ConfigValue::Origin::environment:
    for (const auto& var : a.env) {
      if (var.name == source.env_name) {
        set_env(var.name, replace_in(var.value, endpoint.url.text, rebound));
        break;
      }
    }
    how = "environment " + source.env_name;
    break;
  case ConfigValue::Origin::file:
  case ConfigValue::Origin::default_value:
    if (endpoint.name.empty()) {
      // "urls" in appsettings or the default: ASPNETCORE_URLS would lose against a file, the
      // unprefixed URLS variable wins over both (and nothing else sets urls here).
      std::string name =
          source.origin == ConfigValue::Origin::default_value ? "ASPNETCORE_URLS" : "URLS";
      std::string current;
      for (const auto& var : a.env) {
        if (var.name == name) {
          current = var.value;
        }
      }
      std::string value =
          current.empty() ? rebound : replace_in(current, endpoint.url.text, rebound);
      if (!current.empty() && value == current) {
        value = current + ";" + rebound;
      }
      set_env(name, value);
      how = "environment " + name;
    } else {
      std::string name = "Kestrel__Endpoints__" + endpoint.name + "__Url";
      set_env(name, rebound);
      how = "environment " + name;
    }
    break;
  }
  if (endpoint.url.loopback) {
    a.warn("localhost-only",
           fmt::format("{} ({}) listens on loopback only, which nothing outside a container can "
                       "reach; the image rebinds it to all interfaces on the same port as {} "
                       "through {}",
                       endpoint.url.text,
                       source.source,
                       rebound,
                       how));
  } else {
    a.warn("address-bound",
           fmt::format("{} ({}) binds {}, an address of this host that a container does not "
                       "have; the image rebinds it to all interfaces on the same port as {} "
                       "through {}",
                       endpoint.url.text,
                       source.source,
                       endpoint.url.host,
                       rebound,
                       how));
  }
}

} // namespace

void
add_kestrel_ports(Analysis& a,
                  const HostRoot& root,
                  const ProcessInfo& process,
                  const UrlResolution& urls)
{
  std::vector<DeclaredPort> declared;
  std::set<uint16_t> rebound;
  for (const auto& endpoint : urls.endpoints) {
    DeclaredPort port;
    port.number = endpoint.url.port;
    port.role = role_of(endpoint.url);
    port.source = endpoint.source.source;
    port.name = endpoint.name;
    port.what = endpoint.name.empty()
                    ? fmt::format("{} ({})", to_string(urls.mechanism), endpoint.url.text)
                    : fmt::format("Kestrel endpoint \"{}\" ({})", endpoint.name, endpoint.url.text);
    // The image listens on all interfaces: a loopback or host-specific binding is rebound,
    // once per port (a second URL on the same port is the same socket for a container).
    port.address = "";
    if (endpoint.url.port != 0 && rebound.insert(endpoint.url.port).second
        && !endpoint.url.all_interfaces) {
      rebind_all(a, endpoint);
    }
    declared.push_back(port);
  }
  reconcile_ports(a, root, process, declared, {}, "the Kestrel configuration");
}

} // namespace decant::aspnet
