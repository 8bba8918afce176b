#include <decant/analyzer/inventory.hpp>
#include <decant/util/strings.hpp>

namespace decant {

const Analyzer*
find_analyzer(const AnalyzerList& analyzers, const ProcessInfo& process, const HostRoot& root)
{
  for (const auto& analyzer : analyzers) {
    if (analyzer->matches(process, root)) {
      return analyzer.get();
    }
  }
  return nullptr;
}

std::string
supported_application_types(const AnalyzerList& analyzers)
{
  std::string out;
  for (const auto& analyzer : analyzers) {
    out += out.empty() ? "" : ", ";
    out += analyzer->info().id;
  }
  return out.empty() ? "(none)" : out;
}

std::vector<InventoryEntry>
inventory(const HostRoot& root, const AnalyzerList& analyzers)
{
  std::vector<InventoryEntry> entries;
  ReadOptions options;
  options.children = false;
  options.limits = false;
  for (int pid : root.list_pids()) {
    auto process = read_process(root, pid, options);
    if (!process || !process->foreign_root.empty()) {
      continue; // vanished, unreadable, or in a container: not this host's application
    }
    const Analyzer* analyzer = find_analyzer(analyzers, *process, root);
    if (!analyzer) {
      continue;
    }
    InventoryEntry entry;
    entry.pid = pid;
    entry.ports = process->listening_ports();
    auto identity = analyzer->identify(*process, root);
    if (identity) {
      entry.identity = *identity;
    } else {
      entry.identity.application_type = analyzer->info().id;
      entry.analyzer_error = identity.error().message;
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

Result<int>
find_target(const HostRoot& root, const AnalyzerList& analyzers, const std::string& target)
{
  if (auto pid = parse_u64(target)) {
    if (*pid == 0 || *pid > 0x7fffffff) {
      return fail(ErrorCode::usage, "{} is not a valid PID", target);
    }
    return static_cast<int>(*pid);
  }
  std::vector<int> pids;
  for (const auto& entry : inventory(root, analyzers)) {
    if (entry.identity.application_id == target) {
      pids.push_back(entry.pid);
    }
  }
  if (pids.empty()) {
    return fail(Error(ErrorCode::not_found,
                      fmt::format("no running application has the id {}", target),
                      "list running applications and their ids with `decant inventory`"));
  }
  if (pids.size() > 1) {
    std::vector<std::string> names;
    for (int pid : pids) {
      names.push_back(std::to_string(pid));
    }
    return fail(Error(
        ErrorCode::usage,
        fmt::format("application id {} matches several processes: {}", target, join(names, ", ")),
        "name the PID to analyze instead"));
  }
  return pids.front();
}

Result<Target>
select_analyzer(const HostRoot& root, const AnalyzerList& analyzers, int pid)
{
  auto process = read_process(root, pid);
  if (!process) {
    return fail(process.error());
  }
  if (!process->foreign_root.empty()) {
    // Its files are not where this root has them: an analysis would mix the host's files with
    // the paths the process names, and its image would not start.
    return fail(Error(ErrorCode::unsupported,
                      fmt::format("PID {} ({}) is not on this host's file system: {}; decant "
                                  "migrates the host's own applications",
                                  pid,
                                  process->name(),
                                  process->foreign_root),
                      "it is containerized already; to analyze it anyway, run decant inside "
                      "its container (or with --root at its root file system)"));
  }
  if (const Analyzer* analyzer = find_analyzer(analyzers, *process, root)) {
    return Target{std::move(*process), analyzer};
  }
  // jsvc's controller (root) only starts and restarts its child, which loads the JVM and runs
  // as the service user: the application is the child.
  auto is_jsvc = [](const ProcessInfo& p) { return ends_with(p.exe, "/jsvc"); };
  if (is_jsvc(*process)) {
    for (int pid_of_child : process->children) {
      auto child = read_process(root, pid_of_child);
      if (!child || !is_jsvc(*child)) {
        continue;
      }
      if (const Analyzer* analyzer = find_analyzer(analyzers, *child, root)) {
        std::string note = fmt::format("PID {} is the jsvc controller; its child PID {} runs the "
                                       "JVM and is analyzed",
                                       pid,
                                       child->pid);
        return Target{std::move(*child), analyzer, note};
      }
    }
  }
  // A wrapper (sh -c, runuser, su, a service script) whose descendant is supported: name it.
  std::vector<int> queue = process->children;
  for (size_t i = 0; i < queue.size() && i < 64; ++i) {
    auto child = read_process(root, queue[i]);
    if (!child) {
      continue;
    }
    if (const Analyzer* analyzer = find_analyzer(analyzers, *child, root)) {
      return fail(Error(ErrorCode::unsupported,
                        fmt::format("PID {} ({}) is a wrapper: its child PID {} ({}) is {}",
                                    pid,
                                    process->name(),
                                    child->pid,
                                    child->name(),
                                    analyzer->info().id),
                        fmt::format("run `decant analyze {}`", child->pid)));
    }
    queue.insert(queue.end(), child->children.begin(), child->children.end());
  }
  std::string exe = process->exe.empty() ? process->name() : process->exe;
  return fail(Error(ErrorCode::unsupported,
                    fmt::format("no analyzer recognizes PID {} ({}); supported: {}",
                                pid,
                                exe,
                                supported_application_types(analyzers)),
                    "`decant inventory` lists the processes decant recognizes"));
}

Result<Target>
resolve_target(const HostRoot& root, const AnalyzerList& analyzers, const std::string& target)
{
  auto pid = find_target(root, analyzers, target);
  if (!pid) {
    return fail(pid.error());
  }
  return select_analyzer(root, analyzers, *pid);
}

} // namespace decant
