#pragma once

// What TomEE adds to a Tomcat analysis: the TomEE version and flavor, conf/system.properties,
// the active tomee.xml/openejb.xml with its Resources (DataSource passwords to secrets.json,
// JdbcUrl and broker hosts to dependencies, classpath jars to the file set) and the
// <Deployments> directories.

#include "tomee_install.hpp"

#include <decant/analysis/analysis.hpp>
#include <decant/error.hpp>
#include <decant/proc/host_root.hpp>
#include <decant/proc/process.hpp>

#include <java/jvm.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace decant::tomee {

struct TomeeContext {
  std::string catalina_home; // host paths
  std::string catalina_base;
  java::JvmCommand command;
  // What Tomcat already defines as system properties before OpenEJB starts (catalina.properties,
  // catalina.home/base, user.home); conf/system.properties and then -D options override them.
  std::map<std::string, std::string> tomcat_properties;
};

// Adds the TomEE part to an analysis the Tomcat analyzer filled: runtime name/version/flavor
// (the Tomcat version moves to runtime.tomcatVersion), runtime.tomee details, files, secrets,
// dependencies and warnings. Fails (invalid_input) when the active tomee.xml/openejb.xml or a
// system.properties cannot be parsed, naming file and line.
Status add_tomee(Analysis& analysis,
                 const ProcessInfo& process,
                 const HostRoot& root,
                 const TomeeContext& context,
                 TomeeInstall install);

// "jdbc:mysql://db/x?user=a&password=b" -> the password ("b") and the URL with it replaced by
// `replacement`; nullopt when the URL carries no password parameter (password=, ;password=,
// :password= as MySQL, PostgreSQL, SQL Server and DB2 URLs write it, jms.password= in an
// ActiveMQ URL).
struct UrlPassword {
  std::string password;
  std::string redacted_url;
};
std::optional<UrlPassword> url_password(std::string_view url, std::string_view replacement);

} // namespace decant::tomee
