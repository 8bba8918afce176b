#include "socket_bindings.hpp"

#include <decant/util/strings.hpp>

namespace decant::jboss {

namespace {

PortRole
role_of_use(const BindingUse& use)
{
  if (use.subsystem == "management") {
    return PortRole::management;
  }
  if (use.subsystem == "transactions") {
    return PortRole::txn;
  }
  if (use.element == "http-listener") {
    return PortRole::http;
  }
  if (use.element == "https-listener") {
    return PortRole::https;
  }
  if (use.element == "ajp-listener") {
    return PortRole::ajp;
  }
  if (use.subsystem == "web" && use.element == "connector") {
    return use.scheme == "ajp"     ? PortRole::ajp
           : use.scheme == "https" ? PortRole::https
                                   : PortRole::http;
  }
  return PortRole::other;
}

Result<uint16_t>
parse_port(const std::string& text, const std::string& what, const std::string& where)
{
  auto value = parse_u64(trim(text));
  if (!value || *value > 65535) {
    return fail(ErrorCode::invalid_input, "{}: {} \"{}\" is not a port number", where, what, text);
  }
  return static_cast<uint16_t>(*value);
}

} // namespace

PortRole
binding_role(const SocketBinding& binding)
{
  // A binding used as an Undertow listener and by mod_cluster is an http binding: the most
  // specific role wins.
  PortRole best = PortRole::other;
  for (const auto& use : binding.uses) {
    PortRole role = role_of_use(use);
    if (best == PortRole::other) {
      best = role;
    }
  }
  if (!binding.uses.empty()) {
    return best;
  }
  const std::string& name = binding.name;
  if (name == "http") {
    return PortRole::http;
  }
  if (name == "https") {
    return PortRole::https;
  }
  if (name == "ajp") {
    return PortRole::ajp;
  }
  if (starts_with(name, "management")) {
    return PortRole::management;
  }
  if (starts_with(name, "txn-")) {
    return PortRole::txn;
  }
  return PortRole::other;
}

namespace {

// Resolves one socket-binding group the way WildFly does at boot; `out` collects the result
// and the warnings.
class GroupResolver
{
public:
  GroupResolver(const StandaloneConfig& config,
                const java::PropertyLookup& lookup,
                ResolvedSockets& out)
      : m_config(config),
        m_lookup(lookup),
        m_out(out)
  {
  }

  std::string
  where(int line) const
  {
    return fmt::format("{}:{}", m_config.path, line);
  }

  Result<std::string>
  expand(const ConfigValue& value, const std::string& what) const
  {
    auto expanded = java::expand_placeholders(value.text, m_lookup, true);
    if (!expanded) {
      return fail(
          Error(ErrorCode::invalid_input,
                fmt::format("{}: {}: {}", where(value.line), what, expanded.error().message),
                "define the property with -Dname=value in JAVA_OPTS or the environment "
                "variable the expression names, as the server was started with"));
    }
    return expanded;
  }

  Status
  resolve_offset(const SocketBindingGroup& group)
  {
    auto offset_text = expand(group.port_offset, "socket-binding-group port-offset");
    if (!offset_text) {
      return fail(offset_text.error());
    }
    auto offset = parse_i64(trim(*offset_text));
    if (!offset || *offset < -65535 || *offset > 65535) {
      return fail(ErrorCode::invalid_input,
                  "{}: socket-binding-group port-offset \"{}\" is not a number",
                  where(group.port_offset.line),
                  *offset_text);
    }
    m_out.port_offset = static_cast<int>(*offset);
    return {};
  }

  // An interface's address ("" = all interfaces), resolved on first use.
  Result<std::string>
  interface_address(const std::string& name)
  {
    if (auto it = m_interface_cache.find(name); it != m_interface_cache.end()) {
      return it->second;
    }
    Result<std::string> result = resolve_interface(name);
    m_interface_cache.emplace(name, result);
    return result;
  }

  // One binding, or nullopt for an unused binding that does not resolve (warned: WildFly never
  // opens it). Fails where WildFly's boot would.
  Result<std::optional<ResolvedBinding>>
  resolve_binding(const SocketBindingGroup& group, const SocketBinding& binding)
  {
    ResolvedBinding resolved = describe(group, binding);
    std::string what = fmt::format("socket-binding \"{}\"", binding.name);

    // A missing interface stops WildFly's boot whether or not the binding is used.
    if (!resolved.interface_name.empty() && !m_config.find_interface(resolved.interface_name)) {
      return fail(Error(ErrorCode::invalid_input,
                        fmt::format("{}: {} references interface \"{}\", which <interfaces> does "
                                    "not define",
                                    where(binding.line),
                                    what,
                                    resolved.interface_name),
                        "add the interface to the configuration or fix the binding's interface "
                        "attribute; the server cannot boot with this file"));
    }
    auto port_text = expand(binding.port, what + " port");
    Result<uint16_t> port = port_text ? parse_port(*port_text, what + " port", where(binding.line))
                                      : Result<uint16_t>(fail(port_text.error()));
    Result<std::string> address = resolved.interface_name.empty()
                                      ? Result<std::string>(std::string())
                                      : interface_address(resolved.interface_name);
    if (address && !address->empty()) {
      resolved.address = *address;
    }
    if (!port || !address) {
      Error error = !port ? port.error()
                    : address.error().message.find(m_config.path) == 0
                        ? address.error()
                        : address.error().context(where(binding.line) + ": " + what);
      if (resolved.used) {
        return fail(error);
      }
      m_out.warnings.push_back(
          {"unresolved-binding",
           fmt::format("{} (unused by any subsystem, so WildFly never opens it)", error.message)});
      return std::optional<ResolvedBinding>();
    }
    resolved.configured_port = *port;
    int effective = *port;
    if (*port != 0 && !binding.fixed_port) {
      effective += m_out.port_offset;
    }
    if (effective < 0 || effective > 65535) {
      return fail(ErrorCode::invalid_input,
                  "{}: {} port {} with port-offset {} is outside 0-65535",
                  where(binding.line),
                  what,
                  *port,
                  m_out.port_offset);
    }
    resolved.port = static_cast<uint16_t>(effective);
    return std::optional<ResolvedBinding>(std::move(resolved));
  }

  // An outbound-socket-binding to a remote host; one that does not resolve is warned about.
  void
  resolve_outbound(const OutboundBinding& outbound)
  {
    if (outbound.host.text.empty()) {
      return; // local-destination: another socket binding of this server
    }
    auto host =
        expand(outbound.host, fmt::format("outbound-socket-binding \"{}\" host", outbound.name));
    auto port =
        expand(outbound.port, fmt::format("outbound-socket-binding \"{}\" port", outbound.name));
    if (!host || !port) {
      m_out.warnings.push_back(
          {"unresolved-binding", (!host ? host.error() : port.error()).message});
      return;
    }
    auto number = parse_port(*port, "outbound-socket-binding port", where(outbound.line));
    if (!number) {
      m_out.warnings.push_back({"unresolved-binding", number.error().message});
      return;
    }
    m_out.outbound.push_back({outbound.name, std::string(trim(*host)), *number, outbound.line});
  }

private:
  // Name, line, role, interface, uses and protocol: what does not need resolving.
  static ResolvedBinding
  describe(const SocketBindingGroup& group, const SocketBinding& binding)
  {
    ResolvedBinding resolved;
    resolved.name = binding.name;
    resolved.line = binding.line;
    resolved.used = !binding.uses.empty();
    resolved.role = binding_role(binding);
    resolved.interface_name =
        binding.interface_name.empty() ? group.default_interface : binding.interface_name;
    std::vector<std::string> uses;
    for (const auto& use : binding.uses) {
      std::string text = use.subsystem + " " + use.element;
      if (std::find(uses.begin(), uses.end(), text) == uses.end()) {
        uses.push_back(text);
      }
      if (use.udp) {
        resolved.protocol = "udp";
      }
    }
    resolved.use = join(uses, ", ");
    if (!binding.multicast_address.empty()) {
      resolved.protocol = "udp";
    }
    return resolved;
  }

  Result<std::string>
  resolve_interface(const std::string& name)
  {
    const ConfigInterface* iface = m_config.find_interface(name);
    if (!iface) {
      return fail(
          ErrorCode::invalid_input, "interface \"{}\" is not defined in <interfaces>", name);
    }
    if (iface->criterion == "inet-address" || iface->criterion == "loopback-address") {
      auto value = expand({iface->value, iface->line}, fmt::format("interface \"{}\"", name));
      if (!value) {
        return fail(value.error());
      }
      std::string address(trim(*value));
      return address == "0.0.0.0" || address == "::" || address == "[::]" ? "" : address;
    }
    if (iface->criterion == "loopback") {
      return std::string("127.0.0.1");
    }
    if (starts_with(iface->criterion, "any")) {
      return std::string();
    }
    // nic, subnet-match, site-local-address, ...: the address depends on the host's network
    // interfaces; the container gets its own, so "all interfaces" is the faithful mapping.
    m_out.warnings.push_back(
        {"interface-criterion",
         fmt::format("{}: interface \"{}\" {}; its bindings are taken as listening on all "
                     "interfaces",
                     where(iface->line),
                     name,
                     iface->criterion.empty()
                         ? std::string("has no selection criterion")
                         : "selects its address by <" + iface->criterion + ">")});
    return std::string();
  }

  const StandaloneConfig& m_config;
  const java::PropertyLookup& m_lookup;
  ResolvedSockets& m_out;
  std::map<std::string, Result<std::string>> m_interface_cache;
};

} // namespace

Result<ResolvedSockets>
resolve_socket_bindings(const StandaloneConfig& config, const java::PropertyLookup& lookup)
{
  ResolvedSockets out;
  if (!config.socket_bindings) {
    out.warnings.push_back(
        {"no-socket-bindings",
         fmt::format("{} has no <socket-binding-group>: no port could be taken from it",
                     config.path)});
    return out;
  }
  const SocketBindingGroup& group = *config.socket_bindings;
  out.group = group.name;
  GroupResolver resolver(config, lookup, out);
  if (auto offset = resolver.resolve_offset(group); !offset) {
    return fail(offset.error());
  }
  for (const auto& binding : group.bindings) {
    auto resolved = resolver.resolve_binding(group, binding);
    if (!resolved) {
      return fail(resolved.error());
    }
    if (!*resolved) {
      continue;
    }
    if (!(*resolved)->interface_name.empty()) {
      out.interface_addresses[(*resolved)->interface_name] = (*resolved)->address;
    }
    out.bindings.push_back(std::move(**resolved));
  }
  for (const auto& outbound : group.outbound) {
    resolver.resolve_outbound(outbound);
  }
  return out;
}

} // namespace decant::jboss
