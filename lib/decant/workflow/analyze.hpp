#pragma once

// The analyze stage (`decant analyze`): one running application, or the whole server for
// machine-level mode, into analysis.json (and its secrets file beside it: secrets_path_for).

#include <decant/analysis/analysis.hpp>
#include <decant/analyzer/analyzer.hpp>
#include <decant/error.hpp>
#include <decant/proc/host_root.hpp>
#include <decant/events/events.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace decant::workflow {

struct AnalyzeOptions {
  std::string target;               // PID or application id; empty with `machine`
  bool machine = false;             // the whole server: an analysis of type "machine"
  std::vector<std::string> exclude; // machine: more paths or globs to leave out
  bool allow_unreadable = false;    // machine: unreadable files are warnings, not an error
  std::string output;               // analysis.json; empty = <workspace>/<app-id>/analysis.json
  std::string workspace = "/var/lib/decant";
};

struct AnalyzeSummary {
  Analysis analysis;
  std::string path;        // the analysis.json written
  std::string analyzer;    // the analyzer's id; "machine" for the whole server
  int pid = 0;             // the process analyzed (0 for the whole server)
  uint64_t start_time = 0; // its start time (/proc/PID/stat field 22): a restart changes it
};

// Analyzes, checks that the process did not restart meanwhile (source_changed, exit 7), and
// writes the analysis. The analysis' warnings are sent as events once it is written, and stay
// in AnalyzeSummary::analysis.warnings.
Result<AnalyzeSummary> analyze(const HostRoot& root,
                               const AnalyzerList& analyzers,
                               const AnalyzeOptions& options,
                               const EventSink& on_event = {});

// Writes `analysis` to `output`, or to <workspace>/<app-id>/analysis.json (directory mode 0700:
// the secrets file lives there) when `output` is empty; returns the path written.
Result<std::string>
save_analysis_to(const Analysis& analysis, const std::string& output, const std::string& workspace);

} // namespace decant::workflow
