#pragma once

// Facts read from a JBoss/WildFly installation tree: product name and version, and the
// deployment scanner's directory with the state of each deployment from its marker files.

#include <decant/proc/host_root.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace decant::jboss {

struct ProductVersion {
  std::string name;    // "WildFly Full", "JBoss EAP", "JBoss AS"
  std::string version; // "26.0.1.Final", "7.4.0.GA"
  std::string source;  // host path it was read from
};

// From, in order: the product module's MANIFEST.MF (JBoss-Product-Release-Name/-Version, slot
// from bin/product.conf), version.txt, the server jar's name in the modules. Empty name and
// version when none is there.
ProductVersion product_version(const HostRoot& root,
                               const std::string& home,
                               const std::vector<std::string>& module_paths);

struct ScannedDeployment {
  std::string name;  // "app.war"
  std::string path;  // host path
  std::string state; // deployed, failed, pending, deploying, skipped, undeployed, undeploying,
                     // not-deployed (no marker: auto-deploy decides)
  std::vector<std::string> markers; // marker file names present
  bool exploded = false;
};

// Deployments in the scanner's directory, from its files and their marker files
// (.dodeploy, .skipdeploy, .isdeploying, .deployed, .failed, .isundeploying, .undeployed,
// .pending), sorted by name.
std::vector<ScannedDeployment> scan_deployments(const HostRoot& root, const std::string& dir);

} // namespace decant::jboss
