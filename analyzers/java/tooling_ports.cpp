#include "tooling_ports.hpp"

#include <decant/util/strings.hpp>

#include <optional>

namespace decant::java {

namespace {

std::optional<uint16_t>
port_number(std::string_view text)
{
  auto n = parse_u64(trim(text));
  if (!n || *n == 0 || *n > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(*n);
}

// The port of a JDWP agent that listens (server=y), from its "address=[host:]port" option.
std::optional<uint16_t>
jdwp_port(std::string_view options)
{
  bool server = false;
  std::optional<uint16_t> port;
  for (const auto& option : split(options, ',')) {
    if (option == "server=y") {
      server = true;
    } else if (starts_with(option, "address=")) {
      std::string_view address = std::string_view(option).substr(8);
      auto colon = address.rfind(':');
      port = port_number(colon == std::string_view::npos ? address : address.substr(colon + 1));
    }
  }
  return server ? port : std::nullopt;
}

} // namespace

std::vector<ToolingPort>
tooling_ports(const JvmCommand& jvm)
{
  std::vector<ToolingPort> out;
  for (const char* property :
       {"com.sun.management.jmxremote.port", "com.sun.management.jmxremote.rmi.port"}) {
    if (auto it = jvm.system_properties.find(property); it != jvm.system_properties.end()) {
      if (auto port = port_number(it->second)) {
        out.push_back({*port, PortRole::management, std::string("JMX (-D") + property + ")"});
      }
    }
  }
  for (const auto& option : jvm.options) {
    for (std::string_view prefix : {"-agentlib:jdwp=", "-Xrunjdwp:"}) {
      if (!starts_with(option, prefix)) {
        continue;
      }
      if (auto port = jdwp_port(std::string_view(option).substr(prefix.size()))) {
        std::string flag(prefix.substr(0, prefix.size() - 1));
        out.push_back({*port, PortRole::management, "JDWP (" + flag + ")"});
      }
    }
  }
  return out;
}

} // namespace decant::java
