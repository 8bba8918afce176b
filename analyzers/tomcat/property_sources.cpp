// The property sources of Tomcat's Digester (org.apache.tomcat.util.digester.PROPERTY_SOURCE) and
// the replacement rules of the running version, read from its own class files: what ${...} in
// server.xml and context files resolves to when the value comes from the environment.

#include "tomcat.hpp"

#include <decant/util/strings.hpp>

#include <algorithm>
#include <java/jar.hpp>
#include <set>

namespace decant::tomcat {

namespace {

const char* const k_property_source = "org.apache.tomcat.util.digester.PROPERTY_SOURCE";
const char* const k_introspection_class = "org/apache/tomcat/util/IntrospectionUtils.class";
const char* const k_digester_class = "org/apache/tomcat/util/digester/Digester.class";

// The classes Tomcat ships, by what they read. Digester$... are the older nested names, kept
// as deprecated subclasses when the top-level classes came.
enum class SourceKind { environment, system, service_binding, unknown };

SourceKind
source_kind(const std::string& class_name)
{
  static const std::map<std::string, SourceKind> k_known = {
      {"org.apache.tomcat.util.digester.EnvironmentPropertySource", SourceKind::environment},
      {"org.apache.tomcat.util.digester.Digester$EnvironmentPropertySource",
       SourceKind::environment},
      {"org.apache.tomcat.util.digester.SystemPropertySource", SourceKind::system},
      {"org.apache.tomcat.util.digester.Digester$SystemPropertySource", SourceKind::system},
      {"org.apache.tomcat.util.digester.ServiceBindingPropertySource", SourceKind::service_binding},
  };
  auto it = k_known.find(class_name);
  return it == k_known.end() ? SourceKind::unknown : it->second;
}

std::string
class_entry(const std::string& class_name)
{
  std::string entry = class_name;
  std::replace(entry.begin(), entry.end(), '.', '/');
  return entry + ".class";
}

// A CONSTANT_Utf8 entry of a class file's constant pool (JVMS 4.4.7): tag 1, u2 length, bytes.
bool
has_utf8_constant(std::string_view class_bytes, std::string_view text)
{
  std::string encoded = {
      '\x01', static_cast<char>((text.size() >> 8) & 0xff), static_cast<char>(text.size() & 0xff)};
  encoded += text;
  return class_bytes.find(encoded) != std::string_view::npos;
}

// The class files of CATALINA_HOME/lib that say how this Tomcat replaces properties:
// IntrospectionUtils and Digester, and which property source classes ship next to Digester.
struct TomcatClasses {
  std::string introspection; // class bytes; "" when not found
  std::string introspection_jar;
  std::string digester;
  std::string digester_jar;
  std::set<std::string> next_to_digester; // entry names found in Digester's jar
};

TomcatClasses
read_tomcat_classes(const HostRoot& root,
                    const TomcatLayout& layout,
                    const std::vector<std::string>& wanted_sources)
{
  TomcatClasses out;
  std::set<std::string> wanted = {k_introspection_class, k_digester_class};
  for (const auto& name : wanted_sources) {
    wanted.insert(class_entry(name));
  }
  std::string lib = layout.catalina_home + "/lib";
  auto names = root.list_directory(lib);
  if (!names) {
    return out;
  }
  for (const auto& name : *names) {
    if (!ends_with(name, ".jar")) {
      continue;
    }
    std::string jar = lib + "/" + name;
    if (!root.is_regular_file(jar)) {
      continue;
    }
    std::set<std::string> found;
    std::string introspection;
    std::string digester;
    auto visited = java::for_each_zip_entry(
        root.real_resolved(jar),
        [&](std::string_view entry) { return wanted.count(std::string(entry)) > 0; },
        [&](std::string_view entry, const std::string& content) {
          found.insert(std::string(entry));
          if (entry == k_introspection_class) {
            introspection = content;
          } else if (entry == k_digester_class) {
            digester = content;
          }
          return true;
        },
        4 * 1024 * 1024);
    if (!visited) {
      continue; // not a zip: Tomcat's class loader skips it too
    }
    if (!introspection.empty() && out.introspection.empty()) {
      out.introspection = std::move(introspection);
      out.introspection_jar = jar;
    }
    if (!digester.empty() && out.digester.empty()) {
      out.digester = std::move(digester);
      out.digester_jar = jar;
      out.next_to_digester = found;
    }
  }
  return out;
}

// A property source the Digester asks, in its order.
struct Source {
  std::string class_name;
  SourceKind kind;
};

// The class names as the Digester reads PROPERTY_SOURCE: a comma-separated list, each trimmed,
// where its static initializer tokenizes (newer versions); one class name otherwise. `classes`
// gets the class files that decide which.
std::vector<std::string>
configured_class_names(const std::string& setting,
                       const HostRoot& root,
                       const TomcatLayout& layout,
                       TomcatClasses& classes)
{
  if (setting.empty()) {
    classes = read_tomcat_classes(root, layout, {});
    return {};
  }
  std::vector<std::string> names;
  for (const auto& part : split(setting, ',')) {
    std::string name(trim(part));
    if (!name.empty()) {
      names.push_back(name);
    }
  }
  classes = read_tomcat_classes(root, layout, names);
  bool list =
      classes.digester.empty() || has_utf8_constant(classes.digester, "java/util/StringTokenizer");
  return list ? names : std::vector<std::string>{setting};
}

// The sources the Digester will ask, in order: the configured ones this Tomcat has (the others
// go to `ignored` with a warning), then system properties unless the list names them.
std::vector<Source>
active_sources(const std::vector<std::string>& names,
               const TomcatClasses& classes,
               const TomcatLayout& layout,
               const std::string& setting_source,
               PropertySources& out,
               nlohmann::json& ignored)
{
  std::vector<Source> sources;
  for (const auto& name : names) {
    SourceKind kind = source_kind(name);
    if (kind == SourceKind::unknown) {
      out.resolver.opaque_sources.push_back(name);
      sources.push_back({name, kind});
      continue;
    }
    // Tomcat's own classes live next to Digester: one its jar lacks is not in this version,
    // and the Digester logs an error and goes on without it.
    if (!classes.digester_jar.empty() && !classes.next_to_digester.count(class_entry(name))) {
      ignored.push_back({{"class", name},
                         {"reason",
                          fmt::format("not in {} (this Tomcat's Digester): Tomcat logs an error "
                                      "and goes on without it",
                                      classes.digester_jar)}});
      out.warnings.push_back(
          {"property-source-missing",
           fmt::format("{} ({}) names {}, which this Tomcat {} does not have: it ignores it, and "
                       "so does the analysis",
                       k_property_source,
                       setting_source,
                       quote(name),
                       layout.tomcat_version.empty() ? "version" : layout.tomcat_version)});
      continue;
    }
    sources.push_back({name, kind});
  }
  // The Digester asks the configured sources first and system properties last, unless
  // SystemPropertySource is in the list itself.
  if (std::none_of(sources.begin(), sources.end(), [](const Source& s) {
        return s.kind == SourceKind::system;
      })) {
    sources.push_back({"org.apache.tomcat.util.digester.SystemPropertySource", SourceKind::system});
  }
  return sources;
}

// ${binding.entry} or ${chomp:binding.entry}: the file $SERVICE_BINDING_ROOT/binding/entry
// (servicebinding.io); chomp drops one line end.
std::optional<PropertyHit>
service_binding_value(const ProcessInfo& process,
                      const HostRoot& root,
                      const std::string& binding_root,
                      const std::string& name,
                      const std::string& class_name)
{
  if (binding_root.empty()) {
    return std::nullopt;
  }
  auto parts = split(name, '.');
  if (parts.size() != 2) {
    return std::nullopt;
  }
  bool chomp = starts_with(parts[0], "chomp:");
  std::string binding = chomp ? parts[0].substr(6) : parts[0];
  std::string file =
      HostRoot::normalize(process.host_path(binding_root + "/" + binding + "/" + parts[1]));
  auto value = root.read_file(file);
  if (!value) {
    return std::nullopt;
  }
  std::string text = *value;
  if (chomp && ends_with(text, "\r\n")) {
    text.resize(text.size() - 2);
  } else if (chomp && ends_with(text, "\n")) {
    text.resize(text.size() - 1);
  }
  return PropertyHit{text, fmt::format("file {} ({})", file, class_name)};
}

// ${name} as the Digester resolves it: the first source that defines it wins.
std::function<std::optional<PropertyHit>(const std::string& name)>
source_lookup(std::shared_ptr<std::map<std::string, TomcatProperty>> system,
              std::vector<Source> sources,
              const ProcessInfo& process,
              const HostRoot& root)
{
  std::string binding_root = process.env("SERVICE_BINDING_ROOT").value_or("");
  return [system, sources, &process, &root, binding_root](
             const std::string& name) -> std::optional<PropertyHit> {
    for (const auto& source : sources) {
      switch (source.kind) {
      case SourceKind::system:
        if (auto it = system->find(name); it != system->end()) {
          return PropertyHit{it->second.value, it->second.source};
        }
        break;
      case SourceKind::environment:
        if (auto value = process.env(name)) {
          return PropertyHit{*value,
                             fmt::format("environment variable {} ({})", name, source.class_name)};
        }
        break;
      case SourceKind::service_binding:
        if (auto hit =
                service_binding_value(process, root, binding_root, name, source.class_name)) {
          return hit;
        }
        break;
      case SourceKind::unknown:
        break; // an operator's class: cannot be evaluated here
      }
    }
    return std::nullopt;
  };
}

// runtime.propertySources: the setting, the order asked, what was ignored and the rules.
nlohmann::json
sources_details(const std::string& setting,
                const std::string& setting_source,
                const std::vector<Source>& sources,
                const nlohmann::json& ignored,
                const TomcatClasses& classes,
                const TomcatLayout& layout,
                const PropertyResolver& resolver)
{
  nlohmann::json active = nlohmann::json::array();
  for (const auto& source : sources) {
    active.push_back(source.class_name);
  }
  std::string rules_from =
      classes.introspection.empty()
          ? "assumed (no IntrospectionUtils.class found in " + layout.catalina_home + "/lib)"
          : "IntrospectionUtils.class in " + classes.introspection_jar;
  nlohmann::json details = {{"setting", setting},
                            {"settingSource", setting_source},
                            {"order", active},
                            {"ignored", ignored},
                            {"defaultValues", resolver.default_values},
                            {"recursive", resolver.recursive},
                            {"rulesFrom", rules_from}};
  if (!resolver.opaque_sources.empty()) {
    details["notEvaluated"] = resolver.opaque_sources;
  }
  return details;
}

} // namespace

PropertySources
property_sources(const ProcessInfo& process, const HostRoot& root, const TomcatLayout& layout)
{
  PropertySources out;
  auto system = std::make_shared<std::map<std::string, TomcatProperty>>(
      tomcat_properties(process, root, layout));
  auto configured = system->find(k_property_source);
  std::string setting = configured == system->end() ? "" : configured->second.value;
  std::string setting_source = configured == system->end() ? "" : configured->second.source;

  TomcatClasses classes;
  std::vector<std::string> names = configured_class_names(setting, root, layout, classes);
  if (!classes.introspection.empty()) {
    out.resolver.default_values = has_utf8_constant(classes.introspection, ":-");
    // The recursive replaceProperties(String, Hashtable|Map, PropertySource[], ClassLoader, int).
    out.resolver.recursive =
        classes.introspection.find("ClassLoader;I)Ljava/lang/String;") != std::string::npos;
  }
  nlohmann::json ignored = nlohmann::json::array();
  std::vector<Source> sources =
      active_sources(names, classes, layout, setting_source, out, ignored);
  out.resolver.lookup = source_lookup(system, sources, process, root);
  if (!setting.empty()) {
    out.details =
        sources_details(setting, setting_source, sources, ignored, classes, layout, out.resolver);
  }
  return out;
}

} // namespace decant::tomcat
