#pragma once

// What the JVM steps (java/jdk_trim.hpp) need of a JBoss/WildFly module path: the jars
// jboss-modules can load, whether one of them is the Eclipse compiler the JSP engine uses, and
// the JDK modules that module.xml files name as dependencies.

#include <decant/proc/host_root.hpp>

#include <map>
#include <string>
#include <vector>

namespace decant::jboss {

struct ModuleTree {
  std::vector<std::string> jars; // every *.jar below the module paths, host paths, sorted
  // Eclipse compiler jars among them (org.eclipse.jdt.ecj: Jastow compiles JSPs with it)
  std::vector<std::string> eclipse_compilers;
  // JDK modules (java.*, jdk.*) a module.xml names as a dependency: jboss-modules resolves such
  // a name against the JVM's own modules. Module name -> the first module.xml naming it.
  std::map<std::string, std::string> jdk_dependencies;
  std::vector<std::string> unreadable; // "path: why" of directories and module.xml not read
};

// Walks the module paths (-mp, host paths; layered or flat) as jboss-modules' LocalModuleFinder
// does, without loading anything.
ModuleTree read_module_tree(const HostRoot& root, const std::vector<std::string>& module_paths);

} // namespace decant::jboss
