#pragma once

// What changed between two analyses of one application (`decant jobs resume --reanalyze`): the
// process, the runtime version, ports, environment, start command, files, volumes and
// exclusions, one readable line each. Secret values never appear.

#include <decant/analysis/analysis.hpp>

#include <string>
#include <vector>

namespace decant {

struct AnalysisChange {
  std::string area; // "process", "runtime", "port", "env", "start", "file", "volume", "exclude"
  char kind = '~';  // '+' added, '-' removed, '~' changed
  std::string text; // "8443/tcp https, exposed", "JAVA_OPTS: \"-Xmx1g\" -> \"-Xmx2g\""
};

std::vector<AnalysisChange> compare_analyses(const Analysis& before, const Analysis& after);

// "+ port 8443/tcp https, exposed"
std::string to_string(const AnalysisChange& change);

} // namespace decant
