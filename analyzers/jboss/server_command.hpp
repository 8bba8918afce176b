#pragma once

// The command line of a JBoss AS 7 / EAP / WildFly server as standalone.sh builds it:
//   java -D[Standalone] <JVM options> -jar jboss-modules.jar -mp <modules> org.jboss.as.standalone
//        <server arguments>
// taken apart into the jboss-modules part and the server arguments, which WildFly's Main turns
// into system properties (org.jboss.as.server.Main#determineEnvironment).

#include <decant/error.hpp>

#include <functional>
#include <java/jvm.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace decant::jboss {

// How the JVM was started, as far as recognizing it goes.
enum class LaunchKind {
  none,         // not a JBoss JVM
  standalone,   // jboss-modules running org.jboss.as.standalone
  domain,       // process-controller, host-controller or a domain-managed server
  legacy,       // JBoss AS 4-6: run.jar / org.jboss.Main
  other_module, // jboss-modules running something else
};

// Which kind of JBoss JVM the command is, from the JVM command alone (cheap, no files read).
LaunchKind launch_kind(const java::JvmCommand& command);

struct ServerCommand {
  std::string modules_jar;               // -jar argument, as written
  std::vector<std::string> module_paths; // -mp / -modulepath, split on ':'
  std::string module;                    // org.jboss.as.standalone
  std::vector<std::string> server_arguments;
  // JVM -D options, then the server arguments in order (-D, -b, -u, --properties files):
  // later wins, as System.setProperty does in WildFly's Main.
  std::map<std::string, std::string> properties;
  // Where each property came from ("-D", "server argument -b", "--properties FILE:LINE").
  std::map<std::string, std::string> property_sources;
  std::string server_config;                 // -c / --server-config value, "" when absent
  bool read_only_config = false;             // --read-only-server-config
  std::vector<std::string> properties_files; // --properties / -P values, as written
};

// Reads a --properties file named on the command line (a path or a file: URL, as written);
// nullopt when it cannot be read.
using PropertiesFileReader = std::function<Result<std::string>(const std::string& path)>;

// Splits the jboss-modules options and the server arguments and computes the effective
// properties. Fails on a server argument missing its value or an unreadable --properties file.
Result<ServerCommand> parse_server_command(const java::JvmCommand& command,
                                           const PropertiesFileReader& read_properties);

} // namespace decant::jboss
