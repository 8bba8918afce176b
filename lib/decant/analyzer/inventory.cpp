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
    if (!process) {
      continue;
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
  if (const Analyzer* analyzer = find_analyzer(analyzers, *process, root)) {
    return Target{std::move(*process), analyzer};
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

} // namespace decant
