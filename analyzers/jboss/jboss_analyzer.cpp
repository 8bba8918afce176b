#include "jboss_analyzer.hpp"

#include "installation.hpp"
#include "module_tree.hpp"
#include "server_command.hpp"
#include "socket_bindings.hpp"
#include "standalone_config.hpp"

#include <decant/analyzer/common.hpp>
#include <decant/analyzer/ports.hpp>
#include <decant/util/strings.hpp>

#include <algorithm>
#include <cctype>
#include <java/jdbc.hpp>
#include <java/jdk_trim.hpp>
#include <java/jvm.hpp>
#include <java/tooling_ports.hpp>
#include <registry.hpp>
#include <set>

namespace decant::jboss {

namespace {

const char* const k_type = "java-jboss";

// The JVM command of a process when it is a JBoss JVM of any kind, else nullopt.
std::optional<java::JvmCommand>
jboss_command(const ProcessInfo& process)
{
  if (!java::is_java(process) || process.cmdline.empty()) {
    return std::nullopt;
  }
  auto command = java::parse_jvm_command(process.cmdline);
  if (!command) {
    return std::nullopt;
  }
  LaunchKind kind = launch_kind(*command);
  if (kind == LaunchKind::none || kind == LaunchKind::other_module) {
    return std::nullopt;
  }
  return *command;
}

// Everything identify() and analyze() share: the command, the directories WildFly derives from
// it, the active configuration and its resolved sockets.
struct ServerModel {
  java::JvmCommand jvm;
  ServerCommand server;
  std::string home;                          // jboss.home.dir, host path
  std::string base_dir;                      // jboss.server.base.dir
  std::string config_dir;                    // jboss.server.config.dir
  std::string data_dir;                      // jboss.server.data.dir
  std::string log_dir;                       // jboss.server.log.dir
  std::string temp_dir;                      // jboss.server.temp.dir
  std::string config_file;                   // the active standalone*.xml, host path
  std::vector<std::string> module_paths;     // host paths
  std::vector<std::string> properties_files; // --properties files, host paths
  // Effective properties: command line, then the configuration's <system-properties>, then the
  // directories WildFly sets when the command line leaves them out.
  std::map<std::string, std::string> properties;
  StandaloneConfig config;
  ResolvedSockets sockets;
  bool uses_environment = false; // the configuration has ${env.NAME} expressions
};

// WildFly's lookup for ${...}: system properties, and env.NAME for the environment
// (org.jboss.as.controller.ExpressionResolverImpl / the "env." prefix).
java::PropertyLookup
lookup_for(const ProcessInfo& process, const std::map<std::string, std::string>& properties)
{
  return [&process, &properties](const std::string& name) -> std::optional<std::string> {
    if (starts_with(name, "env.")) {
      return process.env(name.substr(4));
    }
    auto it = properties.find(name);
    if (it == properties.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

Error
unsupported_error(const ProcessInfo& process, const java::JvmCommand& jvm, LaunchKind kind)
{
  if (kind == LaunchKind::legacy) {
    return Error(ErrorCode::unsupported,
                 fmt::format("PID {}: unsupported version: JBoss AS 4-6 ({}), which predates "
                             "jboss-modules and the standalone configuration decant reads",
                             process.pid,
                             jvm.main_class.empty() ? "run.jar" : jvm.main_class),
                 "decant migrates JBoss AS 7, JBoss EAP 6-8 and WildFly in standalone mode; "
                 "upgrade the application to one of those first");
  }
  std::string which = "a server of the domain";
  for (const auto& option : jvm.options) {
    if (option == "-D[Process Controller]") {
      which = "the process controller";
    } else if (option == "-D[Host Controller]") {
      which = "the host controller";
    } else if (starts_with(option, "-D[Server:")) {
      which = "managed server " + option.substr(10, option.size() - 11);
    }
  }
  return Error(ErrorCode::unsupported,
               fmt::format("PID {}: unsupported: domain mode ({}); decant migrates standalone "
                           "servers only",
                           process.pid,
                           which),
               "run the application on a standalone server (bin/standalone.sh -c "
               "standalone-full.xml with the profile the domain gave it) and analyze that process");
}

// The active configuration file into m.config_file. -c / --server-config: a name in the
// configuration directory, or a path. Without it, ServerEnvironment takes
// jboss.server.default.config (AS 7's standalone.conf sets it), then standalone.xml.
Status
find_config_file(const ProcessInfo& process, const HostRoot& root, ServerModel& m)
{
  auto it = m.properties.find("jboss.server.default.config");
  std::string name = m.server.server_config;
  if (name.empty()) {
    name = it == m.properties.end() ? "" : it->second;
  }
  if (name.empty()) {
    name = "standalone.xml";
  }
  if (starts_with(name, "/")) {
    m.config_file = HostRoot::normalize(process.host_path(name));
  } else {
    m.config_file = HostRoot::normalize(m.config_dir + "/" + name);
    if (!root.is_regular_file(m.config_file) && name.find('/') != std::string::npos) {
      m.config_file = HostRoot::normalize(process.host_path(name));
    }
  }
  if (!root.exists(m.config_file)) { // a special file there: the read below says what it is
    return fail(
        Error(ErrorCode::not_found,
              fmt::format("PID {}: the server configuration {} is missing{}",
                          process.pid,
                          m.config_file,
                          m.server.server_config.empty()
                              ? ""
                              : " (named by server argument -c " + m.server.server_config + ")"),
              "the server read it at start and rewrites it on changes; restore it from "
              "standalone_xml_history/ or a backup, then analyze again"));
  }
  return {};
}

// <system-properties> are set at boot before the socket bindings are resolved, and
// SystemPropertyAddHandler sets them whatever the command line said.
Status
apply_system_properties(const ProcessInfo& process, ServerModel& m)
{
  auto lookup = lookup_for(process, m.properties);
  for (const auto& prop : m.config.system_properties) {
    auto value = java::expand_placeholders(prop.value, lookup, true);
    if (!value) {
      return fail(Error(ErrorCode::invalid_input,
                        fmt::format("{}:{}: system property \"{}\": {}",
                                    m.config_file,
                                    prop.line,
                                    prop.name,
                                    value.error().message),
                        "define the property with -Dname=value as the server was started with"));
    }
    m.properties[prop.name] = *value;
  }
  return {};
}

Result<ServerModel>
load_model(const ProcessInfo& process, const HostRoot& root)
{
  auto command = jboss_command(process);
  if (!command) {
    return fail(ErrorCode::unsupported, "PID {} is not a JBoss/WildFly server", process.pid);
  }
  ServerModel m;
  m.jvm = *command;
  LaunchKind kind = launch_kind(m.jvm);
  if (kind != LaunchKind::standalone) {
    return fail(unsupported_error(process, m.jvm, kind));
  }

  auto read_properties_file = [&](const std::string& name) -> Result<std::string> {
    std::string path = starts_with(name, "file:") ? name.substr(5) : name;
    std::string host = process.host_path(path);
    auto text = root.read_file(host);
    if (!text) {
      return fail(Error(text.error().code,
                        text.error().message, // "cannot read <path>: why"
                        "the server read this file at start; restore it (or remove the "
                        "--properties argument and restart) and analyze again"));
    }
    return text;
  };
  auto server = parse_server_command(m.jvm, read_properties_file);
  if (!server) {
    return fail(server.error().context(fmt::format("PID {}", process.pid)));
  }
  m.server = *server;
  m.properties = m.server.properties;
  for (const auto& path : m.server.module_paths) {
    m.module_paths.push_back(HostRoot::normalize(process.host_path(path)));
  }
  for (const auto& file : m.server.properties_files) {
    std::string path = starts_with(file, "file:") ? file.substr(5) : file;
    m.properties_files.push_back(HostRoot::normalize(process.host_path(path)));
  }

  // Directories as org.jboss.as.server.ServerEnvironment derives them.
  auto property = [&](const std::string& name) -> std::string {
    auto it = m.properties.find(name);
    return it == m.properties.end() ? "" : it->second;
  };
  std::string home = property("jboss.home.dir");
  if (home.empty()) {
    home = process.env("JBOSS_HOME").value_or("");
  }
  if (home.empty()) {
    // jboss-modules.jar sits in the installation's top directory.
    home = dir_name(process.host_path(m.server.modules_jar));
  }
  m.home = HostRoot::normalize(process.host_path(home));
  auto directory = [&](const std::string& name, const std::string& fallback) {
    std::string value = property(name);
    std::string path = value.empty() ? fallback : HostRoot::normalize(process.host_path(value));
    m.properties[name] = path;
    return path;
  };
  m.properties["jboss.home.dir"] = m.home;
  m.base_dir = directory("jboss.server.base.dir", m.home + "/standalone");
  m.config_dir = directory("jboss.server.config.dir", m.base_dir + "/configuration");
  m.data_dir = directory("jboss.server.data.dir", m.base_dir + "/data");
  m.log_dir = directory("jboss.server.log.dir", m.base_dir + "/log");
  m.temp_dir = directory("jboss.server.temp.dir", m.base_dir + "/tmp");
  directory("jboss.server.deploy.dir", m.data_dir + "/content");

  if (auto found = find_config_file(process, root, m); !found) {
    return fail(found.error());
  }
  auto text = root.read_file(m.config_file);
  if (!text) {
    return fail(text.error()); // "cannot read <path>: why"
  }
  m.uses_environment = text->find("env.") != std::string::npos;
  auto config = parse_standalone_config(*text, m.config_file);
  if (!config) {
    return fail(config.error());
  }
  m.config = std::move(*config);

  if (auto set = apply_system_properties(process, m); !set) {
    return fail(set.error());
  }
  auto sockets = resolve_socket_bindings(m.config, lookup_for(process, m.properties));
  if (!sockets) {
    return fail(sockets.error());
  }
  m.sockets = std::move(*sockets);
  return m;
}

std::string
identity_of(const ServerModel& m)
{
  return m.base_dir + "\n" + m.config_file;
}

// The -b argument that makes an interface listen on all interfaces in the image, when its
// address comes from ${jboss.bind.address...} (what standalone.sh -b sets).
std::string
rebind_argument(const StandaloneConfig& config, const std::string& interface_name)
{
  const ConfigInterface* iface = config.find_interface(interface_name);
  if (!iface) {
    return "";
  }
  const std::string& value = iface->value;
  auto pos = value.find("${jboss.bind.address");
  if (pos == std::string::npos) {
    return "";
  }
  size_t end = value.find_first_of(":,}", pos + 2);
  std::string name = value.substr(pos + 2, end - pos - 2);
  if (name == "jboss.bind.address") {
    return "-b=0.0.0.0";
  }
  if (starts_with(name, "jboss.bind.address.")) {
    return "-b" + name.substr(19) + "=0.0.0.0";
  }
  return "";
}

// Rebinds a published binding whose interface is loopback to all interfaces through -b, when
// the interface's address comes from ${jboss.bind.address...}; returns the address the image
// listens on.
std::string
image_address(Analysis& a,
              const ServerModel& m,
              const ResolvedBinding& binding,
              const DeclaredPort& port,
              std::set<std::string>& rebound)
{
  Port published;
  published.role = port.role;
  published.protocol = port.protocol;
  if (!exposed_by_policy(published) || !is_loopback_address(binding.address)) {
    return binding.address;
  }
  std::string argument = rebind_argument(m.config, binding.interface_name);
  if (argument.empty()) {
    a.warn("localhost-only",
           fmt::format("socket-binding \"{}\" ({}) listens on {} only and its interface \"{}\" "
                       "has no ${{jboss.bind.address}} to override, so it is not exposed; change "
                       "the interface to <any-address/> in the image's configuration",
                       binding.name,
                       port.source,
                       binding.address,
                       binding.interface_name));
    return binding.address;
  }
  if (rebound.insert(argument).second) {
    a.start.command.push_back(argument);
    a.warn("localhost-only",
           fmt::format("interface \"{}\" resolves to {} here, which nothing outside a container "
                       "can reach; the image starts the server with {} so its bindings listen on "
                       "all interfaces",
                       binding.interface_name,
                       binding.address,
                       argument));
  }
  return "";
}

// The used socket bindings through the ports policy (lib/decant/analyzer/ports.hpp): unused
// ones are never opened by WildFly, so they are not ports of the application.
void
add_ports(Analysis& a, const HostRoot& root, const ProcessInfo& process, const ServerModel& m)
{
  std::set<std::string> rebound;
  std::vector<DeclaredPort> declared;
  for (const auto& binding : m.sockets.bindings) {
    if (!binding.used) {
      continue;
    }
    DeclaredPort port;
    port.number = binding.port;
    port.protocol = binding.protocol;
    port.role = binding.role;
    port.name = binding.name;
    port.source = fmt::format("{}:{}", m.config_file, binding.line);
    port.what = fmt::format("socket-binding \"{}\" (used by {})", binding.name, binding.use);
    port.address = image_address(a, m, binding, port, rebound);
    declared.push_back(port);
  }
  reconcile_ports(a, root, process, declared, java::tooling_ports(m.jvm), m.config_file);
}

// "DS_" + "ExampleDS" + "_PASSWORD" -> DS_EXAMPLEDS_PASSWORD: upper case, other characters '_'.
std::string
secret_name(const std::string& prefix, const std::string& owner, const std::string& suffix)
{
  std::string out = prefix;
  for (char c : owner) {
    out += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c)) : '_';
  }
  return out + suffix;
}

// Datasources: URLs to dependencies, passwords to secrets.json. `holders` gets a description of
// each secret found in the configuration file.
void
add_datasources(Analysis& a,
                const ProcessInfo& process,
                const ServerModel& m,
                std::vector<std::string>& holders)
{
  auto lookup = lookup_for(process, m.properties);
  auto& list = a.runtime.details["datasources"] = nlohmann::json::array();
  for (const auto& ds : m.config.datasources) {
    nlohmann::json entry = {{"poolName", ds.pool_name},
                            {"jndiName", ds.jndi_name},
                            {"xa", ds.xa},
                            {"driver", ds.driver},
                            {"source", fmt::format("{}:{}", m.config_file, ds.line)}};
    // The URL: its endpoints are dependencies the container must reach.
    if (!ds.connection_url.text.empty()) {
      auto url = java::expand_placeholders(ds.connection_url.text, lookup, true);
      std::string where = fmt::format("{}:{}", m.config_file, ds.connection_url.line);
      if (!url) {
        a.warn("unresolved-expression",
               fmt::format("{}: datasource \"{}\" connection URL: {}",
                           where,
                           ds.pool_name,
                           url.error().message));
      } else {
        entry["connectionUrl"] = *url;
        auto endpoints = java::parse_jdbc_url(*url);
        for (const auto& endpoint : endpoints ? *endpoints : std::vector<java::JdbcEndpoint>{}) {
          a.dependencies.push_back({DependencyKind::database, endpoint.host, endpoint.port, where});
          if (is_loopback_address(endpoint.host)) {
            a.warn("dependency-localhost",
                   fmt::format("datasource \"{}\" ({}) connects to {}: inside a container that "
                               "is the container itself; point it at the database host's name",
                               ds.pool_name,
                               where,
                               endpoint.host));
          }
        }
      }
    } else if (!ds.server_name.empty()) {
      auto port = parse_u64(ds.port_number);
      a.dependencies.push_back({DependencyKind::database,
                                ds.server_name,
                                static_cast<uint16_t>(port && *port <= 65535 ? *port : 0),
                                fmt::format("{}:{}", m.config_file, ds.line)});
    }
    if (!ds.password.text.empty()) {
      std::string where = fmt::format("{}:{}", m.config_file, ds.password.line);
      if (starts_with(ds.password.text, "${VAULT::")) {
        a.warn("password-vault",
               fmt::format("{}: datasource \"{}\" takes its password from the legacy security "
                           "vault; the vault files must be in the image",
                           where,
                           ds.pool_name));
      } else {
        auto value = java::expand_placeholders(ds.password.text, lookup, true);
        a.add_secret(secret_name("DS_", ds.pool_name, "_PASSWORD"),
                     where,
                     value ? *value : ds.password.text);
        holders.push_back("datasource " + ds.pool_name);
      }
    }
    list.push_back(entry);
  }
}

// Key store, key manager, security realm and messaging cluster passwords written in clear text.
void
add_config_credentials(Analysis& a,
                       const ProcessInfo& process,
                       const ServerModel& m,
                       std::vector<std::string>& holders)
{
  auto lookup = lookup_for(process, m.properties);
  for (const auto& credential : m.config.credentials) {
    auto value = java::expand_placeholders(credential.value.text, lookup, true);
    std::string suffix = credential.attribute == "clear-text"
                             ? "_PASSWORD"
                             : secret_name("_", credential.attribute, "");
    a.add_secret(secret_name("CONFIG_", credential.owner, suffix),
                 fmt::format("{}:{}", m.config_file, credential.value.line),
                 value ? *value : credential.value.text);
    holders.push_back(credential.owner);
  }
}

void
mark_config_secret(Analysis& a, const ServerModel& m, std::vector<std::string> holders)
{
  if (holders.empty()) {
    return;
  }
  std::sort(holders.begin(), holders.end());
  holders.erase(std::unique(holders.begin(), holders.end()), holders.end());
  a.add_file({m.config_file,
              fmt::format("active server configuration; holds the credentials of {} (values in "
                          "secrets.json)",
                          join(holders, ", ")),
              FileRole::config,
              true,
              false});
}

// Outbound socket bindings name the services the server connects to (mail-smtp, remote EJB
// servers, mod_cluster proxies).
void
add_outbound(Analysis& a, const ServerModel& m)
{
  for (const auto& outbound : m.sockets.outbound) {
    std::string where = fmt::format("{}:{}", m.config_file, outbound.line);
    a.dependencies.push_back({DependencyKind::service, outbound.host, outbound.port, where});
    if (is_loopback_address(outbound.host)) {
      a.warn("dependency-localhost",
             fmt::format("outbound-socket-binding \"{}\" ({}) connects to {}:{}: inside a "
                         "container that is the container itself; point it at the service's "
                         "host name",
                         outbound.name,
                         where,
                         outbound.host,
                         outbound.port));
    }
  }
}

void
add_files(Analysis& a, const HostRoot& root, const ServerModel& m)
{
  a.add_file({m.home,
              "JBoss/WildFly installation (jboss.home.dir): jboss-modules.jar, modules/, bin/",
              FileRole::server,
              false,
              false});
  if (!starts_with(m.base_dir + "/", m.home + "/")) {
    a.add_file({m.base_dir,
                "server base directory (jboss.server.base.dir): configuration/, deployments/",
                FileRole::app,
                false,
                false});
  }
  for (const auto& path : m.module_paths) {
    if (!starts_with(path + "/", m.home + "/")) {
      a.add_file({path, "module path (-mp)", FileRole::server, false, false});
    }
  }
  if (!starts_with(m.config_file, m.config_dir + "/")
      && !starts_with(m.config_file, m.home + "/")) {
    a.add_file({m.config_file, "active server configuration (-c)", FileRole::config, false, false});
  }
  for (const auto& file : m.properties_files) {
    a.add_file({file, "server argument --properties", FileRole::config, false, false});
  }
  // Domain mode's directory and the configuration history are not used by this server.
  if (root.is_directory(m.home + "/domain")) {
    a.exclude.push_back({m.home + "/domain", "domain mode files; this server runs standalone"});
  }
  a.exclude.push_back({m.config_dir + "/standalone_xml_history",
                       "configuration snapshots the server writes at each boot"});
  a.volumes.push_back(
      {m.log_dir, VolumeRole::log, 0, 0, 0755, "server logs (jboss.server.log.dir)"});
  a.volumes.push_back(
      {m.temp_dir, VolumeRole::temp, 0, 0, 0755, "temporary files (jboss.server.temp.dir)"});
  // data/content holds the deployments managed through the CLI or console (referenced by
  // <deployments>): they are part of the application. The rest of data/ is runtime state.
  if (auto entries = root.list_directory(m.data_dir)) {
    for (const auto& entry : *entries) {
      if (entry != "content") {
        a.volumes.push_back({m.data_dir + "/" + entry,
                             VolumeRole::data,
                             0,
                             0,
                             0755,
                             "server runtime state (jboss.server.data.dir)"});
      }
    }
  }
  auto uid = a.process.uid;
  auto gid = a.process.gid;
  for (auto& volume : a.volumes) {
    volume.uid = uid;
    volume.gid = gid;
  }
}

void
add_deployments(Analysis& a, const HostRoot& root, const ServerModel& m)
{
  auto& list = a.runtime.details["deployments"] = nlohmann::json::array();
  std::string scanner_dir;
  if (!m.config.scanner_path.empty()) {
    std::string relative_to = m.config.scanner_relative_to;
    auto it = m.properties.find(relative_to);
    scanner_dir = relative_to.empty() || it == m.properties.end()
                      ? m.config.scanner_path
                      : it->second + "/" + m.config.scanner_path;
    scanner_dir = HostRoot::normalize(scanner_dir);
    for (const auto& deployment : scan_deployments(root, scanner_dir)) {
      list.push_back({{"name", deployment.name},
                      {"path", deployment.path},
                      {"state", deployment.state},
                      {"exploded", deployment.exploded},
                      {"managedBy", "deployment-scanner"}});
    }
  }
  for (const auto& deployment : m.config.deployments) {
    nlohmann::json entry = {{"name", deployment.name},
                            {"runtimeName", deployment.runtime_name},
                            {"state", deployment.enabled ? "enabled" : "disabled"},
                            {"managedBy", "configuration"}};
    if (deployment.sha1.size() > 2) {
      std::string path =
          m.data_dir + "/content/" + deployment.sha1.substr(0, 2) + "/" + deployment.sha1.substr(2);
      entry["path"] = path;
      a.add_file(
          {path,
           fmt::format(
               "managed deployment {} ({}:{})", deployment.name, m.config_file, deployment.line),
           FileRole::app,
           false,
           false});
      if (!root.exists(path)) {
        a.warn("deployment-content-missing",
               fmt::format("{}:{}: deployment \"{}\" names content {} which is not there",
                           m.config_file,
                           deployment.line,
                           deployment.name,
                           path));
      }
    } else if (!deployment.path.empty()) {
      entry["path"] = deployment.path;
    }
    list.push_back(entry);
  }
  a.runtime.details["deploymentScanner"] = scanner_dir;
}

// The fonts rule and the jlink plan (java/jdk_trim.hpp) for what the server can load: its
// deployments, then jboss-modules.jar and every jar of the module path (jboss-modules loads
// modules on demand, so any of them may be). javac stays without an Eclipse compiler among the
// modules (Jastow, the JSP engine, compiles with it), and so does every JDK module a
// module.xml depends on. runtime.moduleTree says what the modules held.
void
add_jdk_decisions(Analysis& a,
                  const HostRoot& root,
                  const ProcessInfo& process,
                  const ServerModel& m,
                  java::JdkTrim& jdk)
{
  using Kind = java::LoadedCode::Kind;
  java::LoadedCode code;
  for (const auto& deployment : a.runtime.details["deployments"]) {
    if (!deployment.contains("path") || !deployment["path"].is_string()) {
      continue;
    }
    std::string path =
        HostRoot::normalize(process.host_path(deployment["path"].get<std::string>()));
    // Managed content: data/content/<sha1 split>/content is the archive (or, exploded, its
    // directory).
    if (starts_with(path, m.data_dir + "/content/") && root.exists(path + "/content")) {
      path += "/content";
    }
    code.add(Kind::deployment, path);
  }
  ModuleTree tree = read_module_tree(root, m.module_paths);
  code.add(Kind::jar, HostRoot::normalize(process.host_path(m.server.modules_jar)));
  for (const auto& jar : tree.jars) {
    code.add(Kind::jar, jar);
  }
  jdk.decide_fonts(code);
  java::JlinkNeeds needs;
  for (const auto& [module, file] : tree.jdk_dependencies) {
    needs.keep[module] = "a dependency of " + file;
  }
  if (tree.eclipse_compilers.empty()) {
    needs.keep["jdk.compiler"] = "no Eclipse compiler (ECJ) among the server's modules: JSPs "
                                 "are compiled with javac";
  }
  a.runtime.details["moduleTree"] = {{"jars", tree.jars.size()},
                                     {"eclipseCompiler", tree.eclipse_compilers},
                                     {"jdkDependencies", tree.jdk_dependencies}};
  if (!tree.unreadable.empty()) {
    // A module.xml not read may depend on any JDK module: the runtime stays whole.
    a.runtime.details["moduleTree"]["unreadable"] = tree.unreadable;
    a.runtime.details["jlinkSkipped"] =
        fmt::format("{} part(s) of the module path could not be read ({}): a module may need "
                    "any JDK module",
                    tree.unreadable.size(),
                    tree.unreadable.front());
    return;
  }
  jdk.plan_jlink(needs);
}

class JbossAnalyzer final : public Analyzer
{
public:
  const AnalyzerInfo&
  info() const override
  {
    static const AnalyzerInfo k_info{
        k_type,
        "JBoss AS 7, JBoss EAP 6-8 and WildFly in standalone mode (jboss-modules.jar "
        "org.jboss.as.standalone)",
        {"<jboss.server.config.dir>/standalone*.xml (-c / --server-config)",
         "--properties files",
         "modules/system/layers/base/org/jboss/as/product/<slot>/dir/META-INF/MANIFEST.MF",
         "bin/product.conf",
         "version.txt",
         "<JAVA_HOME>/release"}};
    return k_info;
  }

  bool
  matches(const ProcessInfo& process, const HostRoot& /*root*/) const override
  {
    // Domain mode and JBoss AS 4-6 are ours too: analyze() says why they are unsupported.
    return jboss_command(process).has_value();
  }

  Result<AppIdentity>
  identify(const ProcessInfo& process, const HostRoot& root) const override
  {
    auto model = load_model(process, root);
    if (!model) {
      return fail(model.error());
    }
    return AppIdentity{make_application_id(k_type, identity_of(*model)), k_type, model->base_dir};
  }

  Result<Analysis>
  analyze(const ProcessInfo& process, const HostRoot& root) const override
  {
    auto loaded = load_model(process, root);
    if (!loaded) {
      return fail(loaded.error());
    }
    const ServerModel& m = *loaded;
    Analysis a = base_analysis(process, root, k_type, identity_of(m));
    if (!a.start.command.empty() && !process.exe.empty()) {
      a.start.command[0] = process.exe;
    }

    ProductVersion product = product_version(root, m.home, m.module_paths);
    a.runtime.name = product.name.empty() ? "WildFly" : product.name;
    a.runtime.version = product.version;
    if (product.version.empty()) {
      a.warn("version-unknown",
             fmt::format("no product module, version.txt or server jar under {} tells the "
                         "version",
                         m.home));
    }
    nlohmann::json& details = a.runtime.details;
    details["versionSource"] = product.source;
    details["jbossHome"] = m.home;
    details["serverBaseDir"] = m.base_dir;
    details["serverConfigDir"] = m.config_dir;
    details["serverConfig"] = m.config_file;
    details["configNamespace"] = m.config.root_namespace;
    details["module"] = m.server.module;
    details["modulesJar"] = HostRoot::normalize(process.host_path(m.server.modules_jar));
    details["modulePath"] = m.module_paths;
    details["serverArguments"] = m.server.server_arguments;
    details["propertiesFiles"] = m.server.properties_files;
    java::JdkTrim jdk(a, root, process, m.jvm, java::java_home_of(process));
    if (!jdk.java_home().empty()) {
      details["javaHome"] = jdk.java_home();
      details["javaVersion"] = java::java_version(root, jdk.java_home());
    }
    jdk.add_runtime();
    java::set_heap_resources(a, process, root, m.jvm);
    java::add_jvm_argument_files(a, root, process, m.jvm);

    details["socketBindingGroup"] = m.sockets.group;
    details["portOffset"] = m.sockets.port_offset;
    details["interfaces"] = m.sockets.interface_addresses;
    auto& bindings = details["socketBindings"] = nlohmann::json::array();
    for (const auto& binding : m.sockets.bindings) {
      bindings.push_back({{"name", binding.name},
                          {"port", binding.port},
                          {"configuredPort", binding.configured_port},
                          {"interface", binding.interface_name},
                          {"address", binding.address},
                          {"protocol", binding.protocol},
                          {"role", to_string(binding.role)},
                          {"usedBy", binding.use},
                          {"line", binding.line}});
    }
    for (const auto& warning : m.sockets.warnings) {
      a.warn(warning.code, warning.message);
    }

    if (m.uses_environment && !process.environ_readable) {
      // Without /proc/<pid>/environ every ${env.NAME:default} took its default here.
      a.warn("environment-unreadable",
             fmt::format("{} has ${{env.NAME}} expressions but the environment of PID {} could "
                         "not be read; their defaults were used (run decant as root)",
                         m.config_file,
                         process.pid));
    }
    add_ports(a, root, process, m);
    add_files(a, root, m);
    add_deployments(a, root, m);
    add_jdk_decisions(a, root, process, m, jdk);
    std::vector<std::string> holders;
    add_datasources(a, process, m, holders);
    add_config_credentials(a, process, m, holders);
    mark_config_secret(a, m, holders);
    add_outbound(a, m);
    redact_secret_arguments(a);
    return a;
  }
};

} // namespace

std::unique_ptr<Analyzer>
make_jboss_analyzer()
{
  return std::make_unique<JbossAnalyzer>();
}

DECANT_REGISTER_ANALYZER("java-jboss", 100, make_jboss_analyzer);

} // namespace decant::jboss
