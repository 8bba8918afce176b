#pragma once

// Telling a TomEE installation from a plain Tomcat one, and which TomEE it is: the markers in
// CATALINA_HOME/CATALINA_BASE (lib/tomee-*.jar, lib/openejb-*.jar, conf/tomee.xml,
// conf/system.properties, an openejb javaagent), the version from the TomEE jars and the
// distribution flavor (webprofile, microprofile, plus, plume) from the libraries it ships.

#include <decant/error.hpp>
#include <decant/proc/host_root.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace decant::tomee {

// "tomee-catalina-9.1.2.jar" -> "9.1.2", "openejb-core-8.0.16.jar" -> "8.0.16",
// "tomee-common-10.0.0-M1.jar" -> "10.0.0-M1"; nullopt when the name carries no version (a
// version starts with a digit after the last "-" that is followed by one).
std::optional<std::string> version_from_jar_name(std::string_view file_name);

// The distribution a lib/ directory belongs to, from its jar names (TomEE ships four, each a
// superset of the one before it except plume, which swaps OpenJPA/MyFaces for
// EclipseLink/Mojarra):
//   plume        eclipselink*.jar
//   plus         activemq-*.jar, cxf-rt-frontend-jaxws*.jar or batchee-*.jar (JMS, JAX-WS, batch)
//   microprofile microprofile-*-api*.jar / geronimo-{config,health,metrics,...} / smallrye-*
//   webprofile   openejb-core / tomee-* jars without any of the above
// `reason` names the jar that decided; flavor "" when the names are not a TomEE lib/.
struct FlavorGuess {
  std::string flavor;
  std::string reason;
};
FlavorGuess flavor_from_jars(const std::vector<std::string>& jar_names);

// Why decant thinks the installation is TomEE: one entry per marker found.
struct TomeeMarker {
  std::string path; // host path of the marker file
  std::string kind; // "tomee-jar", "openejb-jar", "tomee.xml", "system.properties", "javaagent"
};

struct TomeeInstall {
  std::vector<TomeeMarker> markers;
  std::string lib_dir;                // the lib/ holding the TomEE jars (home, else base)
  std::vector<std::string> jar_names; // of lib_dir, sorted
  std::string version;                // "" when no jar tells it
  std::string version_source;         // "lib/tomee-catalina-9.1.2.jar (META-INF/MANIFEST.MF)"
  std::string flavor;                 // "" when it cannot be told
  std::string flavor_reason;
  std::vector<std::string> warnings; // a TomEE jar that could not be read, ...

  bool
  has_jars() const
  {
    for (const auto& marker : markers) {
      if (marker.kind == "tomee-jar" || marker.kind == "openejb-jar") {
        return true;
      }
    }
    return false;
  }
};

// Looks for TomEE markers under CATALINA_HOME and CATALINA_BASE (host paths) and in the
// -javaagent paths given (host paths, as the process names them). Cheap enough for matches():
// two directory listings and a few stat calls. nullopt when there is no marker.
std::optional<TomeeInstall> find_tomee_markers(const HostRoot& root,
                                               const std::string& catalina_home,
                                               const std::string& catalina_base,
                                               const std::vector<std::string>& agents);

// Fills version and flavor of a found installation by reading its jars: the Implementation-
// Version (or Bundle-Version) of a tomee-*.jar manifest, else a tomee-*.jar file name, else
// openejb-version.properties inside openejb-core-*.jar ("version" key), else an openejb-*.jar
// file name (an OpenEJB-in-Tomcat setup, or TomEE 1.x whose OpenEJB is 4.x: hence TomEE jars
// first). Unreadable jars become warnings, not errors.
void read_tomee_version(const HostRoot& root, TomeeInstall& install);

} // namespace decant::tomee
