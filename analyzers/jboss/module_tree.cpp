#include "module_tree.hpp"

#include <decant/util/strings.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <java/jdk.hpp>
#include <set>

namespace decant::jboss {

namespace {

// modules/system/layers/base/org/jboss/as/server/main: 9 levels; layers and add-ons add two.
constexpr int k_max_depth = 16;

// `<module name="jdk.jconsole"/>` and `<module name="java.desktop" .../>` inside
// <dependencies>: the names a module.xml gives JDK modules. A textual read: the module's own
// name (`<module name="org.jboss.x" xmlns=...>`) is never a java.* or jdk.* one.
void
read_jdk_dependencies(const std::string& text,
                      const std::string& file,
                      std::map<std::string, std::string>& out)
{
  static const std::string k_attribute = "name=\"";
  for (size_t pos = text.find(k_attribute); pos != std::string::npos;
       pos = text.find(k_attribute, pos + 1)) {
    size_t start = pos + k_attribute.size();
    size_t end = text.find('"', start);
    if (end == std::string::npos) {
      return;
    }
    std::string name = text.substr(start, end - start);
    if (starts_with(name, "jdk.") || starts_with(name, "java.")) {
      out.emplace(name, file);
    }
  }
}

void
walk(const HostRoot& root,
     const std::string& dir,
     int depth,
     std::set<std::string>& seen,
     ModuleTree& tree)
{
  auto names = root.list_directory(dir);
  if (!names) {
    tree.unreadable.push_back(names.error().context(dir).message);
    return;
  }
  for (const auto& name : *names) {
    std::string path = dir + "/" + name;
    auto st = root.stat(path);
    if (!st) {
      continue;
    }
    if (S_ISDIR(st->st_mode)) {
      auto resolved = root.resolve(path);
      if (depth < k_max_depth && seen.insert(resolved ? *resolved : path).second) {
        walk(root, path, depth + 1, seen, tree);
      }
    } else if (S_ISREG(st->st_mode) && ends_with(name, ".jar")) {
      tree.jars.push_back(path);
      if (java::is_eclipse_compiler_jar(path)) {
        tree.eclipse_compilers.push_back(path);
      }
    } else if (S_ISREG(st->st_mode) && name == "module.xml") {
      auto text = root.read_file(path);
      if (text) {
        read_jdk_dependencies(*text, path, tree.jdk_dependencies);
      } else {
        tree.unreadable.push_back(text.error().context(path).message);
      }
    }
  }
}

} // namespace

ModuleTree
read_module_tree(const HostRoot& root, const std::vector<std::string>& module_paths)
{
  ModuleTree tree;
  std::set<std::string> seen;
  for (const auto& path : module_paths) {
    auto resolved = root.resolve(path);
    if (root.is_directory(path) && seen.insert(resolved ? *resolved : path).second) {
      walk(root, path, 0, seen, tree);
    }
  }
  std::sort(tree.jars.begin(), tree.jars.end());
  std::sort(tree.eclipse_compilers.begin(), tree.eclipse_compilers.end());
  return tree;
}

} // namespace decant::jboss
