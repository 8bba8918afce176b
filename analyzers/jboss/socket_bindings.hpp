#pragma once

// Ports and addresses of a standalone server: the socket-binding group's expressions resolved
// the way WildFly resolves them at boot (${name:default}, ${a,b:default}, ${env.VAR:default},
// nested), port-offset applied except to fixed-port bindings, interfaces mapped to addresses,
// and a role for each binding from the subsystem that uses it.

#include "standalone_config.hpp"

#include <decant/analysis/analysis.hpp>
#include <decant/error.hpp>

#include <java/jvm.hpp>
#include <map>
#include <string>
#include <vector>

namespace decant::jboss {

struct ResolvedBinding {
  std::string name;
  uint16_t port = 0;            // offset applied (0: an ephemeral or multicast-only binding)
  uint16_t configured_port = 0; // as resolved from the file, before the offset
  std::string interface_name;
  std::string address;          // "" = all interfaces (or an interface criterion not resolved)
  std::string protocol = "tcp"; // "udp" for multicast bindings and JGroups UDP transports
  PortRole role = PortRole::other;
  bool used = false; // some listener or subsystem names it
  std::string use;   // "undertow http-listener", "management http-interface", ...
  int line = 0;
};

struct ResolvedOutbound {
  std::string name;
  std::string host;
  uint16_t port = 0;
  int line = 0;
};

struct ResolvedSockets {
  std::string group;
  int port_offset = 0;
  std::map<std::string, std::string> interface_addresses; // interfaces bindings refer to
  std::vector<ResolvedBinding> bindings;
  std::vector<ResolvedOutbound> outbound;
  std::vector<Warning> warnings; // unused bindings that do not resolve, unknown criteria
};

// Resolves the group of `config`. Fails (invalid_input, naming file:line) when a binding names an
// interface the file does not define, when a used binding's port, its interface's address or the
// port offset holds an expression that nothing defines, or when a port is not a number in
// 0-65535. Unused bindings that do not resolve only give a warning: WildFly never opens them.
Result<ResolvedSockets> resolve_socket_bindings(const StandaloneConfig& config,
                                                const java::PropertyLookup& lookup);

// The role a binding plays, from its uses (http-listener -> http, management -> management,
// transactions -> txn...) or, for an unused binding, from its conventional name.
PortRole binding_role(const SocketBinding& binding);

} // namespace decant::jboss
