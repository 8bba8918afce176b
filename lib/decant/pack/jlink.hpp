#pragma once

// Trimming a JDK to what a server can load, with the source JDK's own jlink.
//
// A JDK's lib/modules holds every module of the platform, its development tools included
// (javac, javadoc, jshell, the Graal compiler, the serviceability agent, ...): 129 MB of the
// 189 MB a Tomcat image reads from Debian's OpenJDK 17. A server never loads the tools, so the
// Java analyzers write a plan into analysis.json (runtime.details.jlink: the modules to remove,
// each with its reason; analyzers/java/jdk.hpp decides it) and the packer runs the source's
// jlink on the source's jmods to build a lib/modules of the other modules. This file is the
// packer's side: the plan's data and JSON form, and applying it. The class-data sharing archive
// (lib/server/classes.jsa) belongs to one module image, so it is regenerated with the source's own
// libjvm.so (`java -Xshare:dump`) and checked with `java -Xshare:on`: the image starts as fast as
// the source. Everything else of JAVA_HOME (native libraries, conf, cacerts, legal notices,
// release) is packed from the source as it is; only lib/modules and the CDS archives are replaced.
// Deleting runtime.details.jlink from analysis.json packs the runtime whole.
//
// jlink needs the JDK's jmods (openjdk-*-jdk-headless on Debian); a JRE without them gets no
// plan. Trimmed runtimes are cached (default_jlink_cache_dir()): jlink and the CDS dump take
// about 10 s. The cache keeps the three most recently built runtimes (about 150 MB each).
//
// The same JDK files and module list give the same bytes on any host, so a fleet's images
// share one runtime layer: jlink's output is deterministic, and the CDS dump, which in JDK 17
// depends on thread timing and heap addresses, is run serialized (one CPU, SCHED_FIFO, no
// address-space randomization; see dump_cds_archive in jlink.cpp). That needs CAP_SYS_NICE:
// without it the dump still works but TrimmedRuntime::not_reproducible says why the archive
// may differ between hosts.

#include <decant/analysis/analysis.hpp>
#include <decant/error.hpp>
#include <decant/pack/file_set.hpp>
#include <decant/proc/host_root.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace decant {

struct JlinkRemoval {
  std::string module;
  std::string reason;
};

struct JlinkPlan {
  std::string java_home;
  std::vector<JlinkRemoval> remove;

  std::vector<std::string> removed_modules() const; // the modules of remove, in its order
};

// runtime.details.jlink in analysis.json:
//   {"javaHome": "...", "remove": [{"module": "jdk.compiler", "reason": "..."}], "reason": "..."}
void set_jlink_plan(Analysis& analysis, const JlinkPlan& plan);
// Reads it back; nullopt when absent. Errors name the entry ("runtime.jlink.remove[2].module").
Result<std::optional<JlinkPlan>> jlink_plan(const Analysis& analysis);

// $DECANT_CACHE_DIR, else $XDG_CACHE_HOME/decant, else $HOME/.cache/decant; then "/jlink".
std::string default_jlink_cache_dir();

struct TrimOptions {
  std::string cache_dir;          // default_jlink_cache_dir() when empty
  bool nocoops = false;           // also regenerate classes_nocoops.jsa (heaps of 32 GB and more)
  std::function<void()> on_build; // called before a runtime is built (not found in the cache)
};

struct TrimmedRuntime {
  std::string dir;                  // on this machine: holds lib/modules and lib/server/*.jsa
  std::vector<std::string> removed; // modules actually removed (those the runtime had)
  bool from_cache = false;
  // Empty when the CDS archives are reproducible; else why they may differ between hosts
  // ("SCHED_FIFO: Operation not permitted"). Kept with the cached runtime.
  std::string not_reproducible;
};

// Builds (or finds in the cache) the trimmed module image and its CDS archives. Runs only
// against the live host (--root /): the source's jlink and java are executed.
Result<TrimmedRuntime>
trim_runtime(const HostRoot& root, const JlinkPlan& plan, const TrimOptions& options);

// Points the file set's lib/modules and CDS archive entries below `java_home` (the physical
// path, as the set has it) at the trimmed runtime: content and size; owner, mode and mtime stay
// the source's. Returns the bytes saved.
int64_t
use_trimmed_runtime(FileSet& set, const std::string& java_home, const TrimmedRuntime& trimmed);

// The whole step for `decant pack`: reads runtime.jlink, trims (or takes from the cache) and
// points the set at the result. Not being able to trim is a warning in the set and the runtime
// is packed whole; only an invalid runtime.jlink is an error. A CDS archive that may differ
// between hosts is a "cds-not-reproducible" warning. `notice` gets what the operator
// should read (what was removed, sizes, how long jlink takes).
Status apply_jlink_plan(const Analysis& analysis,
                        FileSet& set,
                        const HostRoot& root,
                        const TrimOptions& options,
                        const std::function<void(const std::string&)>& notice);

} // namespace decant
