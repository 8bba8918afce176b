#pragma once

// The machine stage (`decant machine`): the whole server into one OCI image (machine-level mode,
// docs/machine.md), its analysis written beside it; or, to look first, the list of files or the
// size report without packing.

#include <decant/analysis/analysis.hpp>
#include <decant/error.hpp>
#include <decant/machine/machine.hpp>
#include <decant/oci/image_layout.hpp>
#include <decant/proc/host_root.hpp>
#include <decant/events/events.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace decant::workflow {

struct MachineImageOptions {
  std::string output;               // OCI image layout to write; may be empty with list/size_report
  std::vector<std::string> exclude; // more paths or globs to leave out
  std::string tag;                  // NAME:VERSION; empty = <app-id>:latest
  int compression = 7;              // 0-10 (oci/compress.hpp)
  bool zstd = false;
  bool force = false;    // replace an image layout in `output`
  uint64_t max_size = 0; // refuse, before writing anything, above this many uncompressed bytes
  std::string analysis;  // analysis.json to write; empty = <workspace>/<app-id>/analysis.json
  std::string workspace = "/var/lib/decant";
  bool list = false;             // walk only: MachineSummary::files
  bool size_report = false;      // walk only: MachineSummary::size
  bool allow_unreadable = false; // pack without unreadable files instead of failing
  bool services = true;          // look for listening services and cron jobs
};

struct MachineSummary {
  Analysis analysis;
  std::string analysis_path; // written when an image is packed
  SizeReport size;
  std::vector<std::string> files;    // with list: every path that would go in
  std::optional<ImageSummary> image; // when packed
  // With list or size_report: fails (permission, exit 5) when files could not be read and
  // allow_unreadable is not set. The list and the report are whole either way: the caller shows
  // them, then returns this.
  Status unreadable;
};

// Walks the root, then lists, reports or packs. Unreadable files and --max-size are checked
// before anything is written, so a refused run leaves no analysis and no layout.
Result<MachineSummary>
machine(const HostRoot& root, const MachineImageOptions& options, const EventSink& on_event = {});

// MachineOptions for this process: `exclude`, decant's own outputs and workspace left out
// (`own_paths`), its own mount table, and its own PID skipped as a service on a live root.
MachineOptions own_machine_options(const HostRoot& root,
                                   std::vector<std::string> exclude,
                                   std::vector<std::string> own_paths);

} // namespace decant::workflow
