#include "tomee_install.hpp"

#include <decant/util/strings.hpp>

#include <algorithm>
#include <cctype>
#include <java/jar.hpp>
#include <java/jvm.hpp>

namespace decant::tomee {

namespace {

bool
is_jar(std::string_view name)
{
  return ends_with(name, ".jar");
}

bool
is_tomee_jar(std::string_view name)
{
  return starts_with(name, "tomee-") && is_jar(name);
}

bool
is_openejb_jar(std::string_view name)
{
  return starts_with(name, "openejb-") && is_jar(name);
}

std::vector<std::string>
jar_names_in(const HostRoot& root, const std::string& dir)
{
  std::vector<std::string> jars;
  if (auto names = root.list_directory(dir)) {
    for (const auto& name : *names) {
      if (is_jar(name)) {
        jars.push_back(name);
      }
    }
  }
  return jars;
}

// A version the jar's manifest states: Implementation-Version is what the TomEE build sets;
// Bundle-Version is the OSGi form some modules carry ("9.1.2" or "9.1.2.SNAPSHOT").
std::string
manifest_version(const std::map<std::string, std::string>& manifest)
{
  for (const char* key : {"Implementation-Version", "Bundle-Version", "Specification-Version"}) {
    auto it = manifest.find(key);
    if (it != manifest.end() && !std::string(trim(it->second)).empty()) {
      return std::string(trim(it->second));
    }
  }
  return {};
}

// tomee-catalina is the jar every TomEE flavor has and whose version is the product's; other
// tomee-*.jar (tomee-common, tomee-jdbc, ...) carry the same version.
std::vector<std::string>
preferred_order(const std::vector<std::string>& jars, bool (*kind)(std::string_view))
{
  std::vector<std::string> picked;
  for (const auto& name : jars) {
    if (kind(name)) {
      picked.push_back(name);
    }
  }
  std::stable_sort(picked.begin(), picked.end(), [](const std::string& a, const std::string& b) {
    auto rank = [](const std::string& n) {
      return starts_with(n, "tomee-catalina") || starts_with(n, "openejb-core") ? 0 : 1;
    };
    return rank(a) < rank(b);
  });
  return picked;
}

} // namespace

std::optional<std::string>
version_from_jar_name(std::string_view file_name)
{
  if (!is_jar(file_name)) {
    return std::nullopt;
  }
  std::string_view stem = file_name.substr(0, file_name.size() - 4);
  // The version is what follows the first "-<digit>": "tomee-catalina-10.0.0-M1" keeps "-M1".
  for (size_t i = 0; i + 1 < stem.size(); ++i) {
    if (stem[i] == '-' && std::isdigit(static_cast<unsigned char>(stem[i + 1]))) {
      return std::string(stem.substr(i + 1));
    }
  }
  return std::nullopt;
}

FlavorGuess
flavor_from_jars(const std::vector<std::string>& jar_names)
{
  auto first = [&](auto predicate) -> std::string {
    for (const auto& name : jar_names) {
      if (predicate(name)) {
        return name;
      }
    }
    return {};
  };
  if (first([](const std::string& n) { return is_tomee_jar(n) || is_openejb_jar(n); }).empty()) {
    return {};
  }
  if (auto jar = first([](const std::string& n) { return starts_with(n, "eclipselink"); });
      !jar.empty()) {
    return {"plume", jar + " (EclipseLink is only in TomEE Plume)"};
  }
  if (auto jar = first([](const std::string& n) {
        return starts_with(n, "activemq-") || starts_with(n, "cxf-rt-frontend-jaxws")
               || starts_with(n, "batchee-");
      });
      !jar.empty()) {
    return {"plus", jar + " (JMS, JAX-WS and batch are only in TomEE Plus and Plume)"};
  }
  if (auto jar = first([](const std::string& n) {
        return (starts_with(n, "microprofile-") && n.find("-api") != std::string::npos)
               || starts_with(n, "geronimo-config") || starts_with(n, "geronimo-health")
               || starts_with(n, "geronimo-metrics") || starts_with(n, "geronimo-openapi")
               || starts_with(n, "geronimo-jwt-auth") || starts_with(n, "smallrye-");
      });
      !jar.empty()) {
    return {"microprofile", jar + " (MicroProfile APIs without JMS/JAX-WS)"};
  }
  return {"webprofile", "no MicroProfile, JMS, JAX-WS or EclipseLink jars in lib/"};
}

std::optional<TomeeInstall>
find_tomee_markers(const HostRoot& root,
                   const std::string& catalina_home,
                   const std::string& catalina_base,
                   const std::vector<std::string>& agents)
{
  TomeeInstall install;
  std::vector<std::string> dirs{catalina_home};
  if (!catalina_base.empty() && catalina_base != catalina_home) {
    dirs.push_back(catalina_base);
  }
  for (const auto& dir : dirs) {
    if (dir.empty()) {
      continue;
    }
    auto jars = jar_names_in(root, dir + "/lib");
    for (const auto& name : jars) {
      if (is_tomee_jar(name)) {
        install.markers.push_back({dir + "/lib/" + name, "tomee-jar"});
      } else if (is_openejb_jar(name)) {
        install.markers.push_back({dir + "/lib/" + name, "openejb-jar"});
      }
    }
    if (install.lib_dir.empty() && install.has_jars()) {
      install.lib_dir = dir + "/lib";
      install.jar_names = jars;
    }
  }
  for (const auto& dir : dirs) {
    for (const char* file : {"tomee.xml", "system.properties"}) {
      std::string path = dir + "/conf/" + file;
      if (!dir.empty() && root.is_regular_file(path)) {
        install.markers.push_back({path, file});
      }
    }
  }
  for (const auto& agent : agents) {
    if (starts_with(base_name(agent), "openejb-javaagent")) {
      install.markers.push_back({agent, "javaagent"});
    }
  }
  if (install.markers.empty()) {
    return std::nullopt;
  }
  return install;
}

void
read_tomee_version(const HostRoot& root, TomeeInstall& install)
{
  if (install.lib_dir.empty()) {
    install.warnings.push_back(
        "no tomee-*.jar or openejb-*.jar in CATALINA_HOME/lib or CATALINA_BASE/lib: the TomEE "
        "version and flavor cannot be told");
    return;
  }
  auto relative = [&](const std::string& name) { return "lib/" + name; };
  // 1. The manifest of a tomee-*.jar, then 2. its file name.
  for (const auto& name : preferred_order(install.jar_names, is_tomee_jar)) {
    std::string path = install.lib_dir + "/" + name;
    auto manifest = java::read_zip_entry(root.real_resolved(path), "META-INF/MANIFEST.MF");
    if (!manifest) {
      install.warnings.push_back(path + ": " + manifest.error().message);
    } else if (*manifest) {
      if (auto version = manifest_version(java::parse_manifest(**manifest)); !version.empty()) {
        install.version = version;
        install.version_source = relative(name) + " (META-INF/MANIFEST.MF)";
        break;
      }
    }
    if (auto version = version_from_jar_name(name)) {
      install.version = *version;
      install.version_source = relative(name) + " (file name)";
      break;
    }
  }
  // 3. openejb-version.properties in openejb-core, 4. an openejb-*.jar file name.
  if (install.version.empty()) {
    for (const auto& name : preferred_order(install.jar_names, is_openejb_jar)) {
      std::string path = install.lib_dir + "/" + name;
      if (starts_with(name, "openejb-core")) {
        auto entry = java::read_zip_entry(root.real_resolved(path), "openejb-version.properties");
        if (!entry) {
          install.warnings.push_back(path + ": " + entry.error().message);
        } else if (*entry) {
          auto properties = java::parse_properties(**entry);
          if (auto it = properties.find("version");
              it != properties.end() && !it->second.value.empty()) {
            install.version = it->second.value;
            install.version_source = relative(name) + " (openejb-version.properties)";
            break;
          }
        }
      }
      if (auto version = version_from_jar_name(name)) {
        install.version = *version;
        install.version_source = relative(name) + " (file name)";
        break;
      }
    }
  }
  auto flavor = flavor_from_jars(install.jar_names);
  install.flavor = flavor.flavor;
  install.flavor_reason = flavor.reason;
}

} // namespace decant::tomee
