#pragma once

// Apache Tomcat (7 to 11, upstream tarballs and distribution packages): the public face of the
// Tomcat analyzer. Everything here is reused by analyzers of servers built on Tomcat (TomEE):
// they find the same layout, let analyze_tomcat() fill the analysis, then add their own parts.
//
//   auto layout = tomcat::find_layout(process, root);          // HOME, BASE, JAVA_HOME, versions
//   Analysis a = *tomcat::analyze_tomcat(process, root, *layout, {"java-tomee", "Apache TomEE"});
//   ... add conf/tomee.xml, openejb resources ...
//
// A derived analyzer registers with an order below Tomcat's 400 (analyzers/registry.hpp) and
// matches when is_tomcat_process() holds and its marker files exist; the Tomcat analyzer itself
// matches every Bootstrap JVM.

#include <decant/analysis/analysis.hpp>
#include <decant/analyzer/analyzer.hpp>
#include <decant/error.hpp>
#include <decant/proc/host_root.hpp>
#include <decant/proc/process.hpp>

#include <java/jvm.hpp>
#include <map>
#include <memory>
#include <string>
#include <tomcat/server_xml.hpp>

namespace decant::tomcat {

inline constexpr const char* k_bootstrap_class = "org.apache.catalina.startup.Bootstrap";

// Where a Tomcat installation lives, every path a host path.
struct TomcatLayout {
  java::JvmCommand jvm;
  std::string catalina_home;
  std::string catalina_base;         // == catalina_home for a single-directory installation
  std::string home_source;           // "-Dcatalina.home", "CATALINA_HOME", "bootstrap.jar", ...
  std::string base_source;           // "-Dcatalina.base", "CATALINA_BASE", "catalina.home", ...
  std::string java_home;             // "" when the executable is unknown
  std::string java_version;          // JAVA_HOME/release JAVA_VERSION, "" when unknown
  std::string conf_dir;              // CATALINA_BASE/conf (often a symlink, kept as written)
  std::string server_xml;            // conf/server.xml, or the file of Bootstrap's -config
  std::string tomcat_version;        // "10.1.60", "" when unknown
  std::string tomcat_version_source; // "ServerInfo.properties in <jar>", "RELEASE-NOTES"
};

// A JVM whose main class is org.apache.catalina.startup.Bootstrap (class path form) or that
// runs bootstrap.jar with -jar. Cheap: argv only.
bool is_tomcat_process(const ProcessInfo& process);

// CATALINA_HOME/BASE from -Dcatalina.home/-Dcatalina.base, else the environment, else the
// directory of bootstrap.jar (home) and the working directory (base when it has conf/server.xml);
// JAVA_HOME from /proc/<pid>/exe; the Tomcat and Java versions. Fails with `unsupported` for a
// process that is not Tomcat and `not_found` when CATALINA_BASE or its server.xml is missing.
Result<TomcatLayout> find_layout(const ProcessInfo& process, const HostRoot& root);

// The properties Tomcat resolves ${name} in its XML files with: the JVM's -D properties over
// conf/catalina.properties, plus catalina.home, catalina.base and user.home. Each value maps to
// where it was defined ("-D", "/etc/tomcat10/catalina.properties:12").
struct TomcatProperty {
  std::string value;
  std::string source;
};
std::map<std::string, TomcatProperty>
tomcat_properties(const ProcessInfo& process, const HostRoot& root, const TomcatLayout& layout);

// How ${...} in this Tomcat's XML files resolve: the Digester's property sources
// (org.apache.tomcat.util.digester.PROPERTY_SOURCE, set as -D or in catalina.properties:
// EnvironmentPropertySource reads the process's environment, ServiceBindingPropertySource the
// files under $SERVICE_BINDING_ROOT, an operator's own class cannot be evaluated) asked before
// the system properties of tomcat_properties(), with the replacement rules of this version read
// from its IntrospectionUtils and Digester classes in CATALINA_HOME/lib. `details` (for
// runtime.propertySources) explains the sources in order when PROPERTY_SOURCE is set, null
// otherwise. The resolver refers to `process` and `root`: it must not outlive them.
struct PropertySources {
  PropertyResolver resolver;
  nlohmann::json details;
  std::vector<ConfigWarning> warnings;
};
PropertySources
property_sources(const ProcessInfo& process, const HostRoot& root, const TomcatLayout& layout);

// server.xml read and parsed with `properties`; fails naming the file (and line).
Result<ServerConfig> load_server_config(const HostRoot& root,
                                        const TomcatLayout& layout,
                                        const PropertyResolver& properties);

// What the produced analysis is called: a derived server passes its own.
struct AnalysisKind {
  std::string application_type = "java-tomcat";
  std::string runtime_name = "Apache Tomcat";
};

// The whole Tomcat analysis of a process: identity (CATALINA_BASE), runtime details, ports from
// server.xml cross-checked with listening sockets, start command with secrets redacted, files
// with reasons (JAVA_HOME, CATALINA_HOME/BASE, external webapps, Class-Path jars, mapped
// libraries, JVM argument files, TLS key material), volumes for logs/work/temp, JDBC
// dependencies and warnings.
Result<Analysis> analyze_tomcat(const ProcessInfo& process,
                                const HostRoot& root,
                                const TomcatLayout& layout,
                                const AnalysisKind& kind = {});

// The application id of an installation: make_application_id(type, CATALINA_BASE).
std::string application_id(const TomcatLayout& layout, const std::string& application_type);

std::unique_ptr<Analyzer> make_tomcat_analyzer();

} // namespace decant::tomcat
