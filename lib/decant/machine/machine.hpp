#pragma once

// Machine-level mode: the whole server as one image, with minimal trimming (a "migrate all"
// mode for servers whose applications no analyzer knows). analyze_machine() writes an Analysis of
// type "machine": files[] = the root's top-level entries (each with a layer role), exclude[] = the
// default exclusions with their reasons plus the operator's, ports = what was listening, and
// extensions.machine = {init, entrypoint, command, services, cronJobs, mounts, os, sizeReport}.
// machine_file_set() walks it into the packer's FileSet and adds the init and entry script.

#include <decant/analysis/analysis.hpp>
#include <decant/error.hpp>
#include <decant/machine/walk.hpp>
#include <decant/proc/host_root.hpp>

#include <string>
#include <vector>

namespace decant {

struct MachineOptions {
  std::vector<std::string> exclude;   // --exclude: paths or globs
  std::vector<std::string> own_paths; // output directory, workspace: left out when inside
  std::string mountinfo;              // decant's own /proc/self/mountinfo (contents)
  int self_pid = 0;                   // decant's PID on a live root, skipped as a service
  bool services = true;               // look for listening processes and cron jobs
};

// True for an analysis written by machine mode (analyze --machine, decant machine): type
// "machine" with an extensions.machine object. A hand-written analysis of type "machine" without
// it is packed like an application's (its files[] expanded with libraries and system files).
bool is_machine_analysis(const Analysis& analysis);

// The layer a top-level directory goes to: system (/usr, /bin, /lib*, /sbin), config (/etc),
// app (everything else: /opt, /srv, /home, /var, ...).
FileRole machine_role(const std::string& top_level);

// Builds the machine analysis (no file walk: see machine_file_set / walk_machine).
Result<Analysis> analyze_machine(const HostRoot& root, const MachineOptions& options);

// Where decant-init is: $DECANT_INIT, else next to the decant executable (decant-init, or the
// build tree's ../init/decant-init), else /usr/lib/decant/decant-init.
Result<std::string> find_init_binary();

// Walks a machine analysis and adds /.decant/init (read from `init_binary`) and the generated
// /.decant/entrypoint.sh, both in the config layer.
Result<MachineWalk>
machine_file_set(const Analysis& analysis, const HostRoot& root, const std::string& init_binary);

} // namespace decant

namespace decant {

// decant's own mount table (/proc/self/mountinfo: this process, not the host tree); empty when
// it cannot be read.
std::string own_mountinfo();

// The walk's problems as packer warnings (unreadable, vanished, special files, directories
// reached twice), each list summed up with its first entries.
std::vector<PackWarning> walk_warnings(const MachineWalk& walk);

// Unreadable files fail the run (permission, exit 5) unless allowed: an image silently missing
// files is no disaster-recovery image.
Status check_unreadable(const MachineWalk& walk, bool allow_unreadable);

// --max-size: fails (aborted, exit 11) before anything is written when the estimated
// uncompressed layers exceed `max_bytes`, naming the largest directories to exclude.
Status check_max_size(const MachineWalk& walk, uint64_t max_bytes);

} // namespace decant
