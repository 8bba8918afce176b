#pragma once

#include <decant/analyzer/analyzer.hpp>

#include <string>
#include <vector>

namespace decant {

struct InventoryEntry {
  AppIdentity identity;
  int pid = 0;
  std::vector<uint16_t> ports;
  std::string analyzer_error; // "mine but broken": recognized, but identify() failed
};

// Every running process under the root that one of `analyzers` recognizes, by PID. Processes
// that vanish or cannot be read are skipped (a vanished PID is not an error), and so are
// processes that do not see this root's file system (in a container: ProcessInfo::foreign_root).
std::vector<InventoryEntry> inventory(const HostRoot& root, const AnalyzerList& analyzers);

// "1234" -> 1234; "java-tomcat-5924e694" -> the PID running that application.
Result<int>
find_target(const HostRoot& root, const AnalyzerList& analyzers, const std::string& target);

// Reads the process and picks its analyzer. A process no analyzer recognizes fails with
// `unsupported`, naming a supported child when the PID is only a wrapper (sh, runuser, su,
// a service script) around one; so does a process in a container (foreign_root). The controller of
// Apache Commons Daemon's jsvc, whose child runs the JVM, is not a wrapper to complain about: its
// child is the target (`note` says so).
struct Target {
  ProcessInfo process;
  const Analyzer* analyzer = nullptr;
  std::string note; // why the target is not the PID asked for, "" when it is
};
Result<Target> select_analyzer(const HostRoot& root, const AnalyzerList& analyzers, int pid);
// find_target, then select_analyzer: a PID or application id to the process and its analyzer.
Result<Target>
resolve_target(const HostRoot& root, const AnalyzerList& analyzers, const std::string& target);

} // namespace decant
