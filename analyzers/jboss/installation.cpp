#include "installation.hpp"

#include <decant/util/strings.hpp>

#include <algorithm>
#include <java/jar.hpp>
#include <java/jvm.hpp>
#include <map>

namespace decant::jboss {

namespace {

// Marker suffixes of the deployment scanner (WildFly docs, "Deployment scanner markers"), most
// telling first: when several are present, the first listed gives the state.
struct Marker {
  const char* suffix;
  const char* state;
};
const Marker k_markers[] = {
    {".failed", "failed"},
    {".isdeploying", "deploying"},
    {".isundeploying", "undeploying"},
    {".pending", "pending"},
    {".dodeploy", "pending"},
    {".deployed", "deployed"},
    {".skipdeploy", "skipped"},
    {".undeployed", "undeployed"},
};

std::string
strip_marker(const std::string& name, const char** suffix)
{
  for (const auto& marker : k_markers) {
    if (ends_with(name, marker.suffix)) {
      *suffix = marker.suffix;
      return name.substr(0, name.size() - std::string_view(marker.suffix).size());
    }
  }
  *suffix = nullptr;
  return name;
}

} // namespace

ProductVersion
product_version(const HostRoot& root,
                const std::string& home,
                const std::vector<std::string>& module_paths)
{
  ProductVersion out;
  // bin/product.conf names the product module's slot ("slot=eap"); WildFly uses "main".
  std::vector<std::string> slots;
  if (auto conf = root.read_file(home + "/bin/product.conf")) {
    auto properties = java::parse_properties(*conf);
    if (auto it = properties.find("slot"); it != properties.end()) {
      slots.push_back(it->second.value);
    }
  }
  for (const auto& modules : module_paths) {
    std::vector<std::string> product_dirs;
    auto layers = root.list_directory(modules + "/system/layers");
    for (const auto& layer : layers ? *layers : std::vector<std::string>{}) {
      product_dirs.push_back(modules + "/system/layers/" + layer + "/org/jboss/as/product");
    }
    product_dirs.push_back(modules + "/org/jboss/as/product");
    for (const auto& dir : product_dirs) {
      std::vector<std::string> candidates = slots;
      if (candidates.empty()) {
        if (auto listed = root.list_directory(dir)) {
          candidates = *listed;
        }
      }
      for (const auto& slot : candidates) {
        std::string manifest = dir + "/" + slot + "/dir/META-INF/MANIFEST.MF";
        auto content = root.read_file(manifest);
        if (!content) {
          continue;
        }
        for (const auto& [key, value] : java::parse_manifest(*content)) {
          if (key == "JBoss-Product-Release-Name") {
            out.name = value;
          } else if (key == "JBoss-Product-Release-Version") {
            out.version = value;
          }
        }
        if (!out.version.empty()) {
          out.source = manifest;
          return out;
        }
      }
    }
  }
  // EAP: "Red Hat JBoss Enterprise Application Platform - Version 7.4.0.GA".
  if (auto text = root.read_file(home + "/version.txt")) {
    std::string line(trim(split(*text, '\n').front()));
    auto separator = line.find(" - Version ");
    if (separator != std::string::npos) {
      out.name = line.substr(0, separator);
      out.version = std::string(trim(line.substr(separator + 11)));
      out.source = home + "/version.txt";
      return out;
    }
  }
  // The server module's jar: jboss-as-server-7.1.3.Final.jar (AS 7) or
  // wildfly-server-18.0.1.Final.jar (WildFly Core, whose version differs from WildFly's).
  for (const auto& modules : module_paths) {
    for (const auto& dir : {modules + "/system/layers/base/org/jboss/as/server/main",
                            modules + "/org/jboss/as/server/main"}) {
      auto files = root.list_directory(dir);
      if (!files) {
        continue;
      }
      for (const auto& file : *files) {
        for (const auto& [prefix, name] :
             {std::pair<std::string, std::string>{"jboss-as-server-", "JBoss AS"},
              std::pair<std::string, std::string>{"wildfly-server-", "WildFly Core"}}) {
          if (starts_with(file, prefix) && ends_with(file, ".jar")) {
            out.name = name;
            out.version = file.substr(prefix.size(), file.size() - prefix.size() - 4);
            out.source = dir + "/" + file;
            return out;
          }
        }
      }
    }
  }
  return out;
}

std::vector<ScannedDeployment>
scan_deployments(const HostRoot& root, const std::string& dir)
{
  auto entries = root.list_directory(dir);
  if (!entries) {
    return {};
  }
  std::map<std::string, ScannedDeployment> deployments;
  std::map<std::string, std::vector<std::string>> markers;
  for (const auto& entry : *entries) {
    const char* suffix = nullptr;
    std::string name = strip_marker(entry, &suffix);
    if (suffix) {
      markers[name].push_back(suffix);
      continue;
    }
    if (entry == "README.txt") {
      continue; // shipped explanation of the markers
    }
    ScannedDeployment deployment;
    deployment.name = entry;
    deployment.path = dir + "/" + entry;
    deployment.exploded = root.is_directory(deployment.path);
    deployments[entry] = std::move(deployment);
  }
  std::vector<ScannedDeployment> out;
  for (auto& [name, deployment] : deployments) {
    deployment.state = "not-deployed";
    auto it = markers.find(name);
    if (it != markers.end()) {
      deployment.markers = it->second;
      for (const auto& marker : k_markers) {
        if (std::find(it->second.begin(), it->second.end(), marker.suffix) != it->second.end()) {
          deployment.state = marker.state;
          break;
        }
      }
      for (auto& m : deployment.markers) {
        m = name + m;
      }
    } else if (!deployment.exploded) {
      // Zipped content without a marker is deployed by the scanner's auto-deploy (the default
      // for archives); exploded content waits for .dodeploy.
      deployment.state = "auto-deploy";
    }
    out.push_back(std::move(deployment));
  }
  return out;
}

} // namespace decant::jboss
