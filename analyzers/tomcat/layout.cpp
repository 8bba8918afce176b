// Finding a Tomcat installation from its JVM: CATALINA_HOME, CATALINA_BASE, JAVA_HOME, the
// server.xml in use, the Tomcat and Java versions, and the properties ${...} resolve against.

#include "tomcat.hpp"

#include <decant/util/strings.hpp>

#include <algorithm>
#include <java/jar.hpp>
#include <java/jdk.hpp>
#include <registry.hpp>

namespace decant::tomcat {

namespace {

// "Apache Tomcat/10.1.60 (Debian)" -> "10.1.60".
std::string
version_from_server_info(std::string_view info)
{
  auto slash = info.find('/');
  if (slash == std::string_view::npos) {
    return "";
  }
  auto version = info.substr(slash + 1);
  return std::string(trim(version.substr(0, version.find(' '))));
}

// The jar holding org/apache/catalina/util/ServerInfo.properties: lib/catalina.jar (through its
// symlink into /usr/share/java on Debian).
void
find_tomcat_version(const HostRoot& root, TomcatLayout& layout)
{
  for (const auto& dir : {layout.catalina_home, layout.catalina_base}) {
    std::string jar = dir + "/lib/catalina.jar";
    if (!root.is_regular_file(jar)) {
      continue;
    }
    auto entry = java::read_zip_entry(root.real_resolved(jar),
                                      "org/apache/catalina/util/ServerInfo.properties");
    if (!entry || !*entry) {
      continue;
    }
    auto properties = java::parse_properties(**entry);
    std::string version;
    if (auto it = properties.find("server.info"); it != properties.end()) {
      version = version_from_server_info(it->second.value);
    }
    if (version.empty()) {
      if (auto it = properties.find("server.number"); it != properties.end()) {
        version = it->second.value;
      }
    }
    if (!version.empty()) {
      layout.tomcat_version = version;
      layout.tomcat_version_source = "ServerInfo.properties in " + jar;
      return;
    }
  }
  // The upstream tarball's RELEASE-NOTES: "                     Apache Tomcat Version 9.0.85".
  if (auto notes = root.read_file(layout.catalina_home + "/RELEASE-NOTES")) {
    static const std::string k_marker = "Apache Tomcat Version ";
    if (auto at = notes->find(k_marker); at != std::string::npos) {
      auto rest = notes->substr(at + k_marker.size());
      layout.tomcat_version = std::string(trim(rest.substr(0, rest.find('\n'))));
      layout.tomcat_version_source = layout.catalina_home + "/RELEASE-NOTES";
    }
  }
}

// bootstrap.jar named on the class path or by -jar: CATALINA_HOME is the parent of its bin/.
std::string
home_from_bootstrap(const ProcessInfo& process, const java::JvmCommand& jvm)
{
  std::vector<std::string> candidates = jvm.classpath;
  if (!jvm.jar.empty()) {
    candidates.push_back(jvm.jar);
  }
  for (const auto& entry : candidates) {
    if (base_name(entry) == "bootstrap.jar") {
      return dir_name(dir_name(HostRoot::normalize(process.host_path(entry))));
    }
  }
  return "";
}

} // namespace

bool
is_tomcat_process(const ProcessInfo& process)
{
  // A java process, or jsvc's child that runs the JVM (its controller maps no libjvm.so).
  bool jsvc_jvm = java::is_jsvc(process)
                  && std::any_of(process.maps.begin(), process.maps.end(), [](const MapsEntry& m) {
                       return ends_with(m.path, "/libjvm.so");
                     });
  if (!java::is_java(process) && !jsvc_jvm) {
    return false;
  }
  auto jvm = java::jvm_command_of(process);
  if (!jvm) {
    return false;
  }
  if (jvm->main_class == k_bootstrap_class) {
    return true;
  }
  // java -jar bin/bootstrap.jar start: the jar's Main-Class is Bootstrap.
  return !jvm->jar.empty() && base_name(jvm->jar) == "bootstrap.jar";
}

Result<TomcatLayout>
find_layout(const ProcessInfo& process, const HostRoot& root)
{
  if (!is_tomcat_process(process)) {
    return fail(Error(ErrorCode::unsupported,
                      fmt::format("PID {} ({}) is not Apache Tomcat: its main class is not {}",
                                  process.pid,
                                  process.name(),
                                  k_bootstrap_class),
                      "decant analyze supports: " + supported_application_types()));
  }
  auto jvm = java::jvm_command_of(process);
  if (!jvm) {
    return fail(jvm.error());
  }
  TomcatLayout layout;
  layout.jvm = *jvm;
  const auto& props = layout.jvm.system_properties;

  auto from_property_or_env =
      [&](const char* property, const char* variable, std::string& path, std::string& source) {
        if (auto it = props.find(property); it != props.end() && !it->second.empty()) {
          path = it->second;
          source = std::string("-D") + property;
        } else if (auto value = process.env(variable); value && !value->empty()) {
          path = *value;
          source = variable;
        }
        if (!path.empty()) {
          path = HostRoot::normalize(process.host_path(path));
        }
      };
  from_property_or_env("catalina.home", "CATALINA_HOME", layout.catalina_home, layout.home_source);
  from_property_or_env("catalina.base", "CATALINA_BASE", layout.catalina_base, layout.base_source);
  if (layout.catalina_home.empty()) {
    // Bootstrap itself sets catalina.home to the parent of bootstrap.jar's directory, else to
    // the working directory.
    layout.catalina_home = home_from_bootstrap(process, layout.jvm);
    layout.home_source = "location of bootstrap.jar";
    if (layout.catalina_home.empty()) {
      layout.catalina_home = HostRoot::normalize(process.cwd);
      layout.home_source = "working directory";
    }
  }
  if (layout.catalina_base.empty()) {
    // Bootstrap: catalina.base defaults to catalina.home. A working directory with its own
    // conf/server.xml is a base started without -Dcatalina.base (a hand-made start script).
    std::string cwd = HostRoot::normalize(process.cwd);
    if (!cwd.empty() && cwd != layout.catalina_home
        && root.is_regular_file(cwd + "/conf/server.xml")) {
      layout.catalina_base = cwd;
      layout.base_source = "working directory";
    } else {
      layout.catalina_base = layout.catalina_home;
      layout.base_source = "catalina.home";
    }
  }
  if (!root.is_directory(layout.catalina_base)) {
    return fail(Error(ErrorCode::not_found,
                      fmt::format("CATALINA_BASE {} (from {}) of PID {} does not exist",
                                  layout.catalina_base,
                                  layout.base_source,
                                  process.pid),
                      "the instance directory was removed while Tomcat runs; restore it or "
                      "restart Tomcat, then analyze again"));
  }
  layout.conf_dir = layout.catalina_base + "/conf";
  layout.server_xml = layout.conf_dir + "/server.xml";
  // Bootstrap/Catalina take "-config FILE" (relative to CATALINA_BASE) before the command.
  for (size_t i = 0; i + 1 < layout.jvm.arguments.size(); ++i) {
    if (layout.jvm.arguments[i] == "-config") {
      layout.server_xml =
          HostRoot::normalize(host_path_join(layout.catalina_base, layout.jvm.arguments[i + 1]));
    }
  }
  // A special file there is not "missing": reading it says what it is.
  if (!root.exists(layout.server_xml)) {
    return fail(Error(ErrorCode::not_found,
                      fmt::format("{} is missing (CATALINA_BASE {} from {})",
                                  layout.server_xml,
                                  layout.catalina_base,
                                  layout.base_source),
                      "Tomcat reads its ports and applications from it; restore the file (or "
                      "check -Dcatalina.base) and analyze again"));
  }
  layout.java_home = java::java_home_of(process);
  if (!layout.java_home.empty()) {
    layout.java_version = java::java_version(root, layout.java_home);
  }
  find_tomcat_version(root, layout);
  return layout;
}

std::map<std::string, TomcatProperty>
tomcat_properties(const ProcessInfo& process, const HostRoot& root, const TomcatLayout& layout)
{
  std::map<std::string, TomcatProperty> out;
  // What the JVM itself defines and Tomcat's XML files commonly use.
  std::string home = "/";
  if (auto value = process.env("HOME"); value && !value->empty()) {
    home = *value;
  } else {
    for (const auto& entry : root.passwd()) {
      if (entry.uid == process.status.uid[1]) {
        home = entry.home;
      }
    }
  }
  out["user.home"] = {home, "the user's home directory"};
  out["user.dir"] = {process.cwd, "the working directory"};
  out["java.io.tmpdir"] = {"/tmp", "JVM default"};
  if (!layout.java_home.empty()) {
    out["java.home"] = {layout.java_home, "/proc/<pid>/exe"};
  }
  out["catalina.home"] = {layout.catalina_home, layout.home_source};
  out["catalina.base"] = {layout.catalina_base, layout.base_source};
  for (const auto& [name, value] : layout.jvm.system_properties) {
    out[name] = {value, "-D" + name};
  }
  // CatalinaProperties registers every entry of catalina.properties as a system property with
  // System.setProperty, so the file wins over -D of the same name.
  std::string file = layout.conf_dir + "/catalina.properties";
  if (auto text = root.read_file(file)) {
    auto parsed = java::parse_properties(*text);
    java::PropertyLookup lookup = [&](const std::string& name) -> std::optional<std::string> {
      auto it = out.find(name);
      return it == out.end() ? std::nullopt : std::optional<std::string>(it->second.value);
    };
    for (const auto& [name, value] : parsed) {
      auto expanded = java::expand_placeholders(value.value, lookup);
      out[name] = {expanded ? *expanded : value.value, fmt::format("{}:{}", file, value.line)};
    }
  }
  return out;
}

Result<ServerConfig>
load_server_config(const HostRoot& root,
                   const TomcatLayout& layout,
                   const PropertyResolver& properties)
{
  auto text = root.read_file(layout.server_xml);
  if (!text) {
    return fail(text.error()); // "cannot read <path>: why"
  }
  return parse_server_xml(*text, layout.server_xml, properties);
}

std::string
application_id(const TomcatLayout& layout, const std::string& application_type)
{
  return make_application_id(application_type, layout.catalina_base);
}

} // namespace decant::tomcat
