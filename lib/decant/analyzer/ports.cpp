#include <decant/analyzer/ports.hpp>
#include <decant/util/strings.hpp>

#include <fmt/format.h>

#include <iterator>
#include <map>
#include <sstream>

namespace decant {

namespace {

bool
all_interfaces(const std::string& address)
{
  return address.empty() || address == "0.0.0.0" || address == "::";
}

const Port*
find_port(const Analysis& a, uint16_t number, const std::string& protocol)
{
  for (const auto& p : a.ports) {
    if (p.port == number && p.protocol == protocol) {
      return &p;
    }
  }
  return nullptr;
}

// The first and last port the kernel hands out for port 0 (ip_local_port_range), Linux's
// default when the host's file cannot be read.
std::pair<uint16_t, uint16_t>
ephemeral_range(const HostRoot& root)
{
  std::pair<uint16_t, uint16_t> range{32768, 60999};
  auto text = root.read_file("/proc/sys/net/ipv4/ip_local_port_range");
  if (!text) {
    return range;
  }
  std::istringstream in(*text);
  std::vector<std::string> words{std::istream_iterator<std::string>(in),
                                 std::istream_iterator<std::string>()};
  if (words.size() == 2) {
    auto low = parse_u64(words[0]);
    auto high = parse_u64(words[1]);
    if (low && high && *low <= *high && *high <= 65535) {
      range = {static_cast<uint16_t>(*low), static_cast<uint16_t>(*high)};
    }
  }
  return range;
}

// A declared number the runtime cannot bind to a fixed port: warned, not listed.
bool
unbindable(Analysis& a, const DeclaredPort& d)
{
  if (d.number == 0) {
    // A UDP binding without a port is multicast-only (JGroups discovery): nothing to publish.
    if (d.protocol == "tcp") {
      a.warn("dynamic-port",
             fmt::format("{} ({}) asks for an ephemeral port, a different one on each start, "
                         "which no Service can target: it is not listed; set a fixed port (the "
                         "socket the process got, if any, is listed as unconfigured)",
                         d.what,
                         d.source));
    }
    return true;
  }
  if (d.number < 0) {
    a.warn("port-disabled",
           fmt::format("{} ({}) has port {}: the runtime opens no socket for it, so it is not "
                       "listed",
                       d.what,
                       d.source,
                       d.number));
    return true;
  }
  if (d.number > 65535) {
    a.warn("invalid-port",
           fmt::format("{} ({}) gives port {}, above 65535 (offset included): the runtime cannot "
                       "bind it, so it is not listed",
                       d.what,
                       d.source,
                       d.number));
    return true;
  }
  return false;
}

// A declared port whose number is listed already: one socket serves one role.
bool
repeated(Analysis& a, const DeclaredPort& d)
{
  const Port* first = find_port(a, static_cast<uint16_t>(d.number), d.protocol);
  if (!first) {
    return false;
  }
  if (first->role != d.role) {
    a.warn("port-conflict",
           fmt::format("{} ({}) declares port {} as {}, which {} already declares as {}: one "
                       "socket cannot be both; the first is listed",
                       d.what,
                       d.source,
                       d.number,
                       to_string(d.role),
                       first->source,
                       to_string(first->role)));
  }
  return true;
}

// The listening sockets of a port the configuration does not declare, merged into one entry.
Port
unconfigured_port(uint16_t number,
                  const std::vector<const TcpSocket*>& sockets,
                  const std::vector<ToolingPort>& tooling)
{
  Port p;
  p.port = number;
  p.listening = true;
  p.source = "socket";
  p.address = sockets.front()->local_address;
  for (const auto* socket : sockets) {
    if (all_interfaces(socket->local_address)) {
      p.address = "";
    }
  }
  for (const auto& tool : tooling) {
    if (tool.port == number) {
      p.role = tool.role;
      p.name = tool.name;
      break;
    }
  }
  p.expose = exposed_by_policy(p);
  return p;
}

std::string
unconfigured_message(const Port& p,
                     const ProcessInfo& process,
                     const std::string& configuration,
                     bool ephemeral)
{
  std::string head = fmt::format("PID {} listens on port {}{}{}, which {} does not declare",
                                 process.pid,
                                 p.port,
                                 p.address.empty() ? "" : " on " + p.address,
                                 p.name.empty() ? "" : " for " + p.name,
                                 configuration);
  if (!p.name.empty() && !p.expose) {
    return head
           + "; it is listed but not exposed: operator tooling is reached with kubectl "
             "port-forward, not through the Service";
  }
  if (ephemeral) {
    return head
           + "; it is listed but not exposed: the number lies in the ephemeral range, so "
             "the runtime most likely asked for any free port and gets another on each "
             "start";
  }
  if (is_loopback_address(p.address)) {
    return head + "; it is listed but not exposed: only this host could connect to it";
  }
  return head
         + " (set in code, an embedded server, an agent); it is listed and exposed as the "
           "source served it: set expose to false in analysis.json if no client needs it";
}

// A declared port the image publishes but the process does not listen on: one warning each, or
// a single one for the analysis when the process's sockets could not be seen at all.
void
warn_not_listening(Analysis& a,
                   const ProcessInfo& process,
                   const DeclaredPort& d,
                   bool sockets_known,
                   bool& said_unknown)
{
  if (!sockets_known) {
    if (!said_unknown) {
      said_unknown = true;
      a.warn("sockets-unknown",
             fmt::format("the open files of PID {} could not be read, so whether it listens on "
                         "its configured ports is unknown (they are listed as not listening); "
                         "run decant as root or as the process's user",
                         process.pid));
    }
    return;
  }
  a.warn("port-not-listening",
         fmt::format("{} ({}) gives port {}, but PID {} does not listen on it (still starting, "
                     "failed to bind, or opened on first use); it is listed and exposed as "
                     "configured, and `decant verify` checks that the image opens it",
                     d.what,
                     d.source,
                     d.number,
                     process.pid));
}

} // namespace

bool
is_loopback_address(std::string_view address)
{
  std::string a = to_lower(trim(address));
  if (a.size() > 2 && a.front() == '[' && a.back() == ']') {
    a = a.substr(1, a.size() - 2);
  }
  return starts_with(a, "127.") || starts_with(a, "::ffff:127.") || a == "::1"
         || a == "0:0:0:0:0:0:0:1" || a == "localhost" || a == "ip6-localhost";
}

bool
exposed_by_policy(const Port& port)
{
  bool serves = port.role == PortRole::http || port.role == PortRole::https
                || port.role == PortRole::ajp || port.role == PortRole::other;
  return port.protocol == "tcp" && serves && !is_loopback_address(port.address);
}

void
reconcile_ports(Analysis& a,
                const HostRoot& root,
                const ProcessInfo& process,
                const std::vector<DeclaredPort>& declared,
                const std::vector<ToolingPort>& tooling,
                const std::string& configuration)
{
  std::map<uint16_t, std::vector<const TcpSocket*>> sockets;
  for (const auto& socket : process.listening) {
    sockets[socket.local_port].push_back(&socket);
  }
  // Without the process's open files its sockets are unknown, not absent: say so once.
  bool sockets_known = !process.open_files.empty();
  bool said_unknown = false;

  for (const auto& d : declared) {
    if (unbindable(a, d) || repeated(a, d)) {
      continue;
    }
    Port p;
    p.port = static_cast<uint16_t>(d.number);
    p.protocol = d.protocol;
    p.address = d.address;
    p.role = d.role;
    p.source = d.source;
    p.name = d.name;
    p.value_source = d.value_source;
    p.listening = d.protocol == "tcp" && sockets.count(p.port) > 0;
    p.expose = exposed_by_policy(p);
    if (p.expose && !p.listening) {
      warn_not_listening(a, process, d, sockets_known, said_unknown);
    }
    a.ports.push_back(std::move(p));
  }

  auto [low, high] = ephemeral_range(root);
  for (const auto& [number, on] : sockets) {
    if (find_port(a, number, "tcp")) {
      continue;
    }
    Port p = unconfigured_port(number, on, tooling);
    bool ephemeral = p.name.empty() && number >= low && number <= high;
    if (ephemeral) {
      p.expose = false;
    }
    a.warn("port-unconfigured", unconfigured_message(p, process, configuration, ephemeral));
    a.ports.push_back(std::move(p));
  }
}

} // namespace decant
