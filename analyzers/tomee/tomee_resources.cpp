#include "tomee_resources.hpp"

#include "tomee_xml.hpp"

#include <decant/analyzer/common.hpp>
#include <decant/util/strings.hpp>

#include <algorithm>
#include <cctype>
#include <java/jar.hpp>
#include <java/jdbc.hpp>

namespace decant::tomee {

namespace {

std::string
where(const std::string& file, int line)
{
  return file + ":" + std::to_string(line);
}

// PasswordCipher = Static3DES names how Password is encoded; it is not a secret itself.
bool
is_secret_key(std::string_view key)
{
  return looks_secret(key) && !ends_with(to_lower(key), "cipher");
}

std::string
secret_name(const std::string& prefix, const std::string& id, const std::string& key)
{
  return prefix + "_" + id + "_" + key;
}

// The lookup OpenEJB's placeholders see (PropertyPlaceHolderHelper.PropertiesLookup): system
// properties (JVM -D options over conf/system.properties over what Tomcat defined), then the
// environment variable of the same name.
struct PropertyScope {
  std::map<std::string, std::string> values;
  const ProcessInfo* process = nullptr;

  java::PropertyLookup
  lookup() const
  {
    return [this](const std::string& name) -> std::optional<std::string> {
      auto it = values.find(name);
      if (it != values.end()) {
        return it->second;
      }
      return process->env(name);
    };
  }
};

struct ReadProperties {
  std::string path;
  std::map<std::string, java::PropertyValue> values;
};

// conf/system.properties of CATALINA_BASE, and of CATALINA_HOME when it is another directory
// (OpenEJB reads both, base last).
std::vector<ReadProperties>
read_system_properties(const HostRoot& root, const TomeeContext& context)
{
  std::vector<std::string> paths{context.catalina_home + "/conf/system.properties"};
  if (context.catalina_base != context.catalina_home) {
    paths.push_back(context.catalina_base + "/conf/system.properties");
  }
  std::vector<ReadProperties> files;
  for (const auto& path : paths) {
    if (!root.is_regular_file(path)) {
      continue;
    }
    if (auto text = root.read_file(path)) {
      files.push_back({path, java::parse_properties(*text)});
    }
  }
  return files;
}

void
add_dependency(Analysis& a,
               DependencyKind kind,
               const std::string& host,
               uint16_t port,
               const std::string& source)
{
  for (const auto& d : a.dependencies) {
    if (d.host == host && d.port == port && d.source == source) {
      return;
    }
  }
  a.dependencies.push_back({kind, host, port, source});
}

// Files a service's classpath attribute names ("a.jar:b.jar", comma or colon separated):
// driver jars that live outside the TomEE directories.
void
add_classpath(Analysis& a,
              const HostRoot& root,
              const ProcessInfo& process,
              const TomeeContext& context,
              const ServiceConfig& service)
{
  if (service.classpath.empty()) {
    return;
  }
  std::string list = service.classpath;
  std::replace(list.begin(), list.end(), ',', ':');
  for (const auto& raw : split(list, ':')) {
    std::string entry(trim(raw));
    if (entry.empty()) {
      continue;
    }
    std::string path = HostRoot::normalize(
        entry[0] == '/' ? process.host_path(entry) : host_path_join(context.catalina_base, entry));
    if (root.exists(path)) {
      a.add_file({path,
                  fmt::format("classpath of {} \"{}\" ({})",
                              service.element,
                              service.id,
                              where(service.file, service.line)),
                  FileRole::app});
    } else {
      a.warn("tomee-classpath-missing",
             fmt::format("{}: {} \"{}\" names classpath {}, which does not exist on the host",
                         where(service.file, service.line),
                         service.element,
                         service.id,
                         path));
    }
  }
}

// The secret-looking properties of a service (Password, ...) go to secrets; `entry` names them.
void
add_property_secrets(Analysis& a,
                     const ServiceConfig& service,
                     nlohmann::json& entry,
                     std::vector<std::string>& secret_keys)
{
  for (const auto& property : service.properties) {
    if (!is_secret_key(property.key) || property.value.empty()) {
      continue;
    }
    std::string ref = a.add_secret(secret_name("TOMEE", service.id, property.key),
                                   where(service.file, property.line),
                                   property.value);
    entry["secrets"][property.key] = ref.substr(9, ref.size() - 10);
    secret_keys.push_back(service.id + "." + property.key);
  }
}

// A DataSource's JdbcUrl: a password in it becomes a secret, the database it names a
// dependency, an embedded database on files a warning.
void
add_datasource_url(Analysis& a,
                   const ProcessInfo& process,
                   const ServiceConfig& service,
                   const ServiceProperty* url,
                   nlohmann::json& entry,
                   std::vector<std::string>& secret_keys)
{
  std::string shown = url->value;
  std::string name = secret_name("TOMEE", service.id, "JdbcUrl_password");
  if (auto embedded = url_password(url->value, "${secret:" + name + "}")) {
    std::string ref = a.add_secret(name, where(service.file, url->line), embedded->password);
    embedded = url_password(url->value, ref);
    shown = embedded->redacted_url;
    secret_keys.push_back(service.id + "." + url->key + " (password parameter)");
  }
  entry["jdbcUrl"] = shown;
  if (url->unresolved) {
    a.warn("tomee-datasource-url",
           fmt::format("{}: DataSource \"{}\" JdbcUrl has an undefined placeholder; its "
                       "database is not listed in dependencies",
                       where(service.file, url->line),
                       service.id));
  } else if (auto endpoints = java::parse_jdbc_url(url->value)) {
    if (endpoints->empty()) {
      entry["embedded"] = true; // jdbc:hsqldb:file:, jdbc:derby:x, jdbc:h2:mem: ...
      // A file-backed embedded database is data the server writes while it runs: the image
      // holds a copy of today's files, and a restarted container starts from that copy.
      std::string l = to_lower(url->value);
      if (l.find(":mem:") == std::string::npos && l.find("memory:") == std::string::npos) {
        a.warn("tomee-embedded-database",
               fmt::format("{}: DataSource \"{}\" is an embedded database ({}) whose files "
                           "the server writes (relative paths from the working directory "
                           "{}); mount a volume there to keep its data across restarts",
                           where(service.file, url->line),
                           service.id,
                           shown,
                           process.cwd));
      }
    }
    for (const auto& endpoint : *endpoints) {
      add_dependency(a,
                     DependencyKind::database,
                     endpoint.host,
                     endpoint.port,
                     where(service.file, url->line));
    }
  } else {
    a.warn("tomee-datasource-url",
           fmt::format("{}: DataSource \"{}\" JdbcUrl \"{}\" is not a JDBC URL",
                       where(service.file, url->line),
                       service.id,
                       shown));
  }
}

// A DataSource's driver, user, cipher and URL into `entry` (no JdbcUrl: TomEE's default).
void
add_datasource(Analysis& a,
               const ProcessInfo& process,
               const ServiceConfig& service,
               nlohmann::json& entry,
               std::vector<std::string>& secret_keys)
{
  entry["kind"] = "DataSource";
  const auto* url = service.property_any({"JdbcUrl", "url"});
  const auto* user = service.property_any({"UserName", "username", "user"});
  const auto* driver = service.property_any({"JdbcDriver", "driverClassName"});
  if (driver) {
    entry["jdbcDriver"] = driver->value;
  }
  if (user) {
    entry["userName"] = user->value;
  }
  if (const auto* cipher = service.property("PasswordCipher")) {
    entry["passwordCipher"] = cipher->value;
  }
  if (url) {
    add_datasource_url(a, process, service, url, entry, secret_keys);
  } else {
    a.warn("tomee-datasource-url",
           fmt::format("{}: DataSource \"{}\" has no JdbcUrl; TomEE uses its default "
                       "(an embedded HSQLDB)",
                       where(service.file, service.line),
                       service.id));
  }
}

// An ActiveMQ resource adapter connected to an external broker (BrokerXmlConfig empty or
// "broker:(tcp://...)" still starts an embedded one; ServerUrl is what clients dial).
void
add_broker_url(Analysis& a,
               const ServiceConfig& service,
               nlohmann::json& entry,
               std::vector<std::string>& secret_keys)
{
  const auto* server_url = service.property("ServerUrl");
  if (!server_url) {
    return;
  }
  auto endpoints = broker_endpoints(server_url->value);
  for (const auto& endpoint : endpoints) {
    add_dependency(a,
                   DependencyKind::service,
                   endpoint.host,
                   endpoint.port,
                   where(service.file, server_url->line));
  }
  std::string shown = server_url->value;
  std::string name = secret_name("TOMEE", service.id, "ServerUrl_password");
  if (auto embedded = url_password(server_url->value, "${secret:" + name + "}")) {
    std::string ref = a.add_secret(name, where(service.file, server_url->line), embedded->password);
    shown = url_password(server_url->value, ref)->redacted_url;
    secret_keys.push_back(service.id + "." + server_url->key + " (password parameter)");
  }
  entry["serverUrl"] = shown;
}

// Adds the secrets, dependencies and files of one service and returns its
// runtime.tomee.resources[] entry; the names of its secret properties are appended to
// `secret_keys` (for the reason of the file that holds them).
nlohmann::json
add_service(Analysis& a,
            const HostRoot& root,
            const ProcessInfo& process,
            const TomeeContext& context,
            const ServiceConfig& service,
            std::vector<std::string>& secret_keys)
{
  nlohmann::json entry = {{"element", service.element},
                          {"id", service.id},
                          {"type", service.type},
                          {"source", where(service.file, service.line)}};
  if (!service.provider.empty()) {
    entry["provider"] = service.provider;
  }
  add_property_secrets(a, service, entry, secret_keys);
  if (service.is_datasource()) {
    add_datasource(a, process, service, entry, secret_keys);
  }
  add_broker_url(a, service, entry, secret_keys);
  add_classpath(a, root, process, context, service);
  return entry;
}

// Deployments dirs and jars, relative to openejb.base (CATALINA_BASE in TomEE).
nlohmann::json
add_deployments(Analysis& a,
                const HostRoot& root,
                const ProcessInfo& process,
                const TomeeContext& context,
                const TomeeConfig& config)
{
  nlohmann::json list = nlohmann::json::array();
  for (const auto& d : config.deployments) {
    std::string named = d.dir.empty() ? d.jar : d.dir;
    if (d.unresolved) {
      continue; // already warned as an undefined placeholder
    }
    std::string path = HostRoot::normalize(
        named[0] == '/' ? process.host_path(named) : host_path_join(context.catalina_base, named));
    bool present = d.dir.empty() ? root.is_regular_file(path) : root.is_directory(path);
    list.push_back({{"path", path},
                    {"kind", d.dir.empty() ? "jar" : "dir"},
                    {"source", where(d.file, d.line)},
                    {"present", present}});
    if (present) {
      a.add_file({path,
                  fmt::format("TomEE <Deployments {}=\"{}\"> ({}): applications deployed by "
                              "OpenEJB",
                              d.dir.empty() ? "jar" : "dir",
                              named,
                              where(d.file, d.line)),
                  FileRole::app});
    } else {
      a.warn("tomee-deployments-missing",
             fmt::format("{}: <Deployments> names {}, which does not exist on the host; TomEE "
                         "creates it empty",
                         where(d.file, d.line),
                         path));
    }
  }
  return list;
}

// Resources an application declares itself: WEB-INF/resources.xml of the exploded webapps and
// .war files in the Hosts' appBase directories, and META-INF/resources.xml of the .ear/.jar
// modules of the Deployments directories. TomEE deploys them with the application, so their
// passwords and database hosts matter as much as tomee.xml's. A broken one fails only that
// application in TomEE: here it is a warning.
nlohmann::json
add_application_resources(Analysis& a,
                          const HostRoot& root,
                          const ProcessInfo& process,
                          const TomeeContext& context,
                          const java::PropertyLookup& lookup,
                          const std::vector<std::string>& app_dirs,
                          std::vector<ConfigWarning>& warnings)
{
  nlohmann::json list = nlohmann::json::array();
  for (const auto& dir : app_dirs) {
    auto names = root.list_directory(dir);
    if (!names) {
      continue;
    }
    for (const auto& name : *names) {
      std::string path = dir + "/" + name;
      bool archive = ends_with(name, ".war") || ends_with(name, ".ear") || ends_with(name, ".jar");
      std::string entry =
          ends_with(name, ".war") || !archive ? "WEB-INF/resources.xml" : "META-INF/resources.xml";
      std::optional<std::string> text;
      std::string source = path + (archive ? "!/" : "/") + entry;
      if (archive && root.is_regular_file(path)) {
        auto read = java::read_zip_entry(root.real_resolved(path), entry);
        if (!read) {
          warnings.push_back({"tomee-app-resources", path + ": " + read.error().message});
          continue;
        }
        text = *read;
      } else if (!archive && root.is_regular_file(path + "/" + entry)) {
        auto read = root.read_file(path + "/" + entry);
        if (read) {
          text = *read;
        }
      }
      if (!text) {
        continue;
      }
      auto config = parse_tomee_xml(*text, source, lookup);
      if (!config) {
        warnings.push_back({"tomee-app-resources",
                            config.error().message
                                + " (TomEE fails to deploy this application; analysis goes on)"});
        continue;
      }
      warnings.insert(warnings.end(), config->warnings.begin(), config->warnings.end());
      std::vector<std::string> secret_keys;
      for (const auto& service : config->services) {
        auto resource = add_service(a, root, process, context, service, secret_keys);
        resource["application"] = path;
        list.push_back(resource);
      }
      if (secret_keys.empty()) {
        continue;
      }
      std::string reason = fmt::format("application resources ({}); holds secrets ({}), values "
                                       "in secrets.json",
                                       entry,
                                       join(secret_keys, ", "));
      if (archive) {
        a.warn("tomee-app-secret",
               fmt::format("{} holds secrets ({}) inside the archive: they are in the image "
                           "with it; their values are also in secrets.json",
                           source,
                           join(secret_keys, ", ")));
      } else {
        a.add_file({path + "/" + entry, reason, FileRole::app, true});
      }
    }
  }
  return list;
}

// The appBase directories of the server.xml Hosts, from what the Tomcat analyzer recorded in
// runtime.services[].hosts[].appBase (relative to CATALINA_BASE), else CATALINA_BASE/webapps.
std::vector<std::string>
app_base_directories(const Analysis& a, const TomeeContext& context)
{
  std::vector<std::string> dirs;
  const auto& details = a.runtime.details;
  if (details.contains("services") && details["services"].is_array()) {
    for (const auto& service : details["services"]) {
      if (!service.contains("hosts") || !service["hosts"].is_array()) {
        continue;
      }
      for (const auto& host : service["hosts"]) {
        if (!host.contains("appBase") || !host["appBase"].is_string()) {
          continue;
        }
        std::string base = host["appBase"].get<std::string>();
        std::string dir = HostRoot::normalize(
            base.empty() || base[0] != '/' ? host_path_join(context.catalina_base, base) : base);
        if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) {
          dirs.push_back(dir);
        }
      }
    }
  }
  if (dirs.empty()) {
    dirs.push_back(context.catalina_base + "/webapps");
  }
  return dirs;
}

// -Dopenejb.configuration, else conf/tomee.xml, else conf/openejb.xml in CATALINA_BASE (what
// TomEE's TomcatLoader picks).
std::string
active_configuration(const HostRoot& root,
                     const ProcessInfo& process,
                     const TomeeContext& context,
                     const PropertyScope& scope)
{
  if (auto it = scope.values.find("openejb.configuration"); it != scope.values.end()) {
    // OpenEJB's ConfigUtils tries the path as given (relative to the working directory), then
    // relative to openejb.base.
    std::string as_given = process.host_path(it->second);
    if (it->second.empty() || it->second[0] == '/' || root.is_regular_file(as_given)) {
      return as_given;
    }
    return HostRoot::normalize(host_path_join(context.catalina_base, it->second));
  }
  std::string tomee_xml = context.catalina_base + "/conf/tomee.xml";
  std::string openejb_xml = context.catalina_base + "/conf/openejb.xml";
  if (!root.is_regular_file(tomee_xml) && root.is_regular_file(openejb_xml)) {
    return openejb_xml;
  }
  return tomee_xml;
}

} // namespace

std::optional<UrlPassword>
url_password(std::string_view url, std::string_view replacement)
{
  std::string l = to_lower(url);
  for (size_t pos = 0; (pos = l.find("password=", pos)) != std::string::npos; ++pos) {
    // A parameter name starts after ?, &, ; or : (DB2's "...:user=a;password=b;"), or is
    // prefixed like ActiveMQ's "jms.password=".
    if (pos == 0 || std::string_view("?&;:.").find(l[pos - 1]) == std::string_view::npos) {
      continue;
    }
    size_t value_start = pos + 9;
    size_t value_end = url.find_first_of("&;", value_start);
    if (value_end == std::string_view::npos) {
      value_end = url.size();
    }
    if (value_end == value_start) {
      return std::nullopt;
    }
    UrlPassword out;
    out.password = std::string(url.substr(value_start, value_end - value_start));
    out.redacted_url = std::string(url.substr(0, value_start)) + std::string(replacement)
                       + std::string(url.substr(value_end));
    return out;
  }
  return std::nullopt;
}

namespace {

// runtime.version becomes TomEE's (Tomcat's stays as tomcatVersion), with the flavor and the
// jars that tell it; the OpenEJB javaagent goes into the file set.
void
set_tomee_identity(Analysis& a,
                   const HostRoot& root,
                   const TomeeInstall& install,
                   nlohmann::json& tomee)
{
  nlohmann::json& details = a.runtime.details;
  // Runtime identity: TomEE's version; Tomcat's (and where the Tomcat analyzer found it) stays
  // beside it as tomcatVersion/tomcatVersionSource.
  if (!a.runtime.version.empty()) {
    details["tomcatVersion"] = a.runtime.version;
  }
  if (details.contains("versionSource")) {
    details["tomcatVersionSource"] = details["versionSource"];
    details.erase("versionSource");
  }
  a.runtime.name = "Apache TomEE";
  a.runtime.version = install.version;
  if (install.version.empty()) {
    a.warn("tomee-version-unknown",
           "no TomEE jar tells the version (see runtime.tomee.markers); runtime.version is empty");
  } else {
    details["versionSource"] = install.version_source;
  }
  if (!install.flavor.empty()) {
    details["flavor"] = install.flavor;
    tomee["flavorReason"] = install.flavor_reason;
  }
  tomee["markers"] = nlohmann::json::array();
  for (const auto& marker : install.markers) {
    tomee["markers"].push_back({{"path", marker.path}, {"kind", marker.kind}});
    if (marker.kind == "javaagent" && root.is_regular_file(marker.path)) {
      a.add_file({marker.path, "OpenEJB javaagent named by -javaagent", FileRole::server});
    }
  }
  for (const auto& warning : install.warnings) {
    a.warn("tomee-jar", warning);
  }
}

// Properties: -D options win over conf/system.properties (home, then base), which wins over
// what Tomcat defined (catalina.properties).
PropertyScope
property_scope(const ProcessInfo& process,
               const TomeeContext& context,
               const std::vector<ReadProperties>& system_files)
{
  PropertyScope scope;
  scope.process = &process;
  scope.values = context.tomcat_properties;
  scope.values["catalina.home"] = context.catalina_home;
  scope.values["catalina.base"] = context.catalina_base;
  scope.values["openejb.home"] = context.catalina_home;
  scope.values["openejb.base"] = context.catalina_base;
  for (const auto& file : system_files) {
    for (const auto& [key, value] : file.values) {
      scope.values[key] = value.value;
    }
  }
  for (const auto& [key, value] : context.command.system_properties) {
    scope.values[key] = value;
  }
  return scope;
}

// conf/system.properties files: their secrets, the new:// services they declare, and the files
// themselves (marked secret when they hold one).
void
add_system_properties(Analysis& a,
                      const HostRoot& root,
                      const ProcessInfo& process,
                      const TomeeContext& context,
                      const std::vector<ReadProperties>& system_files,
                      const java::PropertyLookup& lookup,
                      nlohmann::json& tomee,
                      std::vector<ConfigWarning>& warnings)
{
  tomee["systemProperties"] = nlohmann::json::array();
  for (const auto& file : system_files) {
    std::vector<std::string> secret_keys;
    auto declared = services_from_properties(file.values, file.path, lookup, warnings);
    auto is_service_key = [&](const std::string& key) {
      return std::any_of(declared.begin(), declared.end(), [&](const ServiceConfig& s) {
        return starts_with(key, s.id + ".");
      });
    };
    for (const auto& [key, value] : file.values) {
      // "<id>.Password" of a new:// service is handled with the service (same secret name).
      if (is_secret_key(key) && !value.value.empty() && !is_service_key(key)) {
        a.add_secret("TOMEE_SYSTEM_" + key, where(file.path, value.line), value.value);
        secret_keys.push_back(key);
      }
    }
    tomee["systemProperties"].push_back(file.path);
    std::vector<std::string> service_secrets;
    for (const auto& service : declared) {
      tomee["resources"].push_back(
          add_service(a, root, process, context, service, service_secrets));
    }
    secret_keys.insert(secret_keys.end(), service_secrets.begin(), service_secrets.end());
    std::string reason =
        "TomEE system properties, read by OpenEJB at start (placeholders in tomee.xml)";
    if (!secret_keys.empty()) {
      reason += "; holds secrets (" + join(secret_keys, ", ") + "), values in secrets.json";
    }
    a.add_file({file.path, reason, FileRole::config, !secret_keys.empty()});
  }
}

// The active tomee.xml / openejb.xml: its services, deployments and the file itself.
Status
add_tomee_configuration(Analysis& a,
                        const HostRoot& root,
                        const ProcessInfo& process,
                        const TomeeContext& context,
                        const PropertyScope& scope,
                        nlohmann::json& tomee,
                        std::vector<ConfigWarning>& warnings)
{
  auto lookup = scope.lookup();
  std::string config_path = active_configuration(root, process, context, scope);
  if (root.is_regular_file(config_path)) {
    auto text = root.read_file(config_path);
    if (!text) {
      return fail(text.error()); // "cannot read <path>: why"
    }
    auto config = parse_tomee_xml(*text, config_path, lookup);
    if (!config) {
      return fail(config.error());
    }
    tomee["configuration"] = config_path;
    std::vector<std::string> secret_keys;
    for (const auto& service : config->services) {
      tomee["resources"].push_back(add_service(a, root, process, context, service, secret_keys));
    }
    tomee["deployments"] = add_deployments(a, root, process, context, *config);
    warnings.insert(warnings.end(), config->warnings.begin(), config->warnings.end());
    std::string reason = fmt::format("TomEE configuration (<{}>: Resources, Containers, "
                                     "Deployments)",
                                     config->root_element);
    if (!secret_keys.empty()) {
      reason += "; holds secrets (" + join(secret_keys, ", ") + "), values in secrets.json";
    }
    a.add_file({config_path, reason, FileRole::config, !secret_keys.empty()});
  } else if (scope.values.count("openejb.configuration")) {
    a.warn("tomee-config-missing",
           fmt::format("openejb.configuration names {}, which does not exist; TomEE runs with "
                       "its defaults",
                       config_path));
  }
  return {};
}

// Where applications are deployed from: the Hosts' appBase directories and the present
// <Deployments dir>s.
std::vector<std::string>
application_directories(Analysis& a, const TomeeContext& context, const nlohmann::json& tomee)
{
  std::vector<std::string> app_dirs = app_base_directories(a, context);
  if (tomee.contains("deployments")) {
    for (const auto& d : tomee["deployments"]) {
      if (d["kind"] == "dir" && d["present"] == true) {
        app_dirs.push_back(d["path"].get<std::string>());
      }
    }
  }
  return app_dirs;
}

} // namespace

Status
add_tomee(Analysis& a,
          const ProcessInfo& process,
          const HostRoot& root,
          const TomeeContext& context,
          TomeeInstall install)
{
  read_tomee_version(root, install);
  nlohmann::json tomee = nlohmann::json::object();
  set_tomee_identity(a, root, install, tomee);

  auto system_files = read_system_properties(root, context);
  PropertyScope scope = property_scope(process, context, system_files);
  auto lookup = scope.lookup();
  std::vector<ConfigWarning> warnings;
  add_system_properties(a, root, process, context, system_files, lookup, tomee, warnings);
  if (auto configured = add_tomee_configuration(a, root, process, context, scope, tomee, warnings);
      !configured) {
    return configured;
  }
  if (!tomee.contains("resources")) {
    tomee["resources"] = nlohmann::json::array();
  }
  std::vector<std::string> app_dirs = application_directories(a, context, tomee);
  for (auto& resource :
       add_application_resources(a, root, process, context, lookup, app_dirs, warnings)) {
    tomee["resources"].push_back(std::move(resource));
  }
  for (const auto& warning : warnings) {
    a.warn(warning.code, warning.message);
  }
  a.runtime.details["tomee"] = tomee;
  return {};
}

} // namespace decant::tomee
