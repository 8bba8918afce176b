#pragma once

// The HTTP paths verify compares by default, from the analysis and the unpacked image: `/`;
// for Tomcat and TomEE each context of the engine's default host (a context descriptor in
// conf/<Engine>/<Host>/, or a directory or .war in the host's appBase, named by Tomcat's rules:
// ROOT is `/`, '#' is '/', "##version" is dropped); for JBoss/WildFly the context root of each
// .war deployment (its runtime name without .war); then extensions.verify.paths, which the
// operator may edit, and the --probe paths. Context paths end in '/' so the page itself is
// compared, not the redirect to it.

#include <decant/analysis/analysis.hpp>
#include <decant/proc/host_root.hpp>

#include <string>
#include <vector>

namespace decant {

std::vector<std::string> default_probe_paths(const Analysis& analysis, const HostRoot& image);

// Tomcat's context naming: "ROOT" -> "/", "shop#admin" -> "/shop/admin/",
// "app##2" -> "/app/"; base names without .xml or .war.
std::string tomcat_context_path(const std::string& base_name);

} // namespace decant
