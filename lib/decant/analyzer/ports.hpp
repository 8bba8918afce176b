#pragma once

// The one policy every analyzer follows to turn "ports the configuration declares" and "sockets
// the live process listens on" into analysis.json's ports[] (docs/analysis-json.md, "Ports:
// configured vs listening"). Analyzers resolve their own configuration (server.xml Connectors,
// socket-bindings with their offset, Kestrel URLs) and rebinding; what is listed, exposed and
// warned about is decided here, the same way for every runtime.

#include <decant/analysis/analysis.hpp>
#include <decant/proc/host_root.hpp>
#include <decant/proc/process.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace decant {

// A port as the runtime's configuration declares it, resolved by the analyzer.
struct DeclaredPort {
  // The number the runtime binds (any offset applied): 0 asks for an ephemeral port, a negative
  // number disables the socket, above 65535 is a configuration error.
  int64_t number = 0;
  std::string protocol = "tcp";
  // Where the image listens: "" = all interfaces (after any rebinding the analyzer arranged),
  // else the configured address.
  std::string address;
  PortRole role = PortRole::other;
  std::string source; // "file:line", "env NAME", "argv ..."
  std::string name;   // the configuration's name for it, optional
  std::string value_source;
  // How messages name it: "Connector \"Catalina HTTP/1.1\"", "socket-binding \"http\" (used by
  // undertow http-listener)", "Kestrel urls".
  std::string what;
};

// A socket the configuration does not declare but the start command explains: a JMX connector
// (-Dcom.sun.management.jmxremote.port), a debugger (-agentlib:jdwp=...,address=8787).
struct ToolingPort {
  uint16_t port = 0;
  PortRole role = PortRole::management;
  std::string name; // "JMX (-Dcom.sun.management.jmxremote.port)"
};

// Whether an address reaches only this host: 127.0.0.0/8, ::1 (also bracketed or written out),
// "localhost", "ip6-localhost", and 127.x mapped into IPv6 (::ffff:127.0.0.1); case-insensitive.
bool is_loopback_address(std::string_view address);

// Whether the image publishes a port (Service port, EXPOSE, verified by `decant verify`): TCP,
// a role that serves clients (http, https, ajp, other) and not bound to loopback.
bool exposed_by_policy(const Port& port);

// Appends to analysis.ports, in this order: each declared port (configuration order, one entry
// per number and protocol), then each socket of `process` no declaration explains (ascending).
// `configuration` names what declares ports in messages ("/opt/tomcat/conf/server.xml", "the
// Kestrel configuration"). Warnings: dynamic-port, port-disabled, invalid-port, port-conflict,
// port-not-listening (or one sockets-unknown when the process's open files could not be read),
// port-unconfigured. `root` gives the host's ephemeral port range
// (/proc/sys/net/ipv4/ip_local_port_range).
void reconcile_ports(Analysis& analysis,
                     const HostRoot& root,
                     const ProcessInfo& process,
                     const std::vector<DeclaredPort>& declared,
                     const std::vector<ToolingPort>& tooling,
                     const std::string& configuration);

} // namespace decant
