#include <decant/job/process_tree.hpp>
#include <decant/proc/parse.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/strings.hpp>

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

namespace decant::job {

namespace {

struct Entry {
  ProcessIdentity process;
  int ppid = 0;
};

std::vector<Entry>
all_processes()
{
  std::vector<Entry> out;
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator("/proc", ec)) {
    auto pid = parse_u64(item.path().filename().string());
    if (!pid) {
      continue;
    }
    auto text = read_file(item.path().string() + "/stat");
    auto stat = text ? parse_stat(*text) : Result<ProcStat>(fail(ErrorCode::not_found, "gone"));
    if (stat && stat->state != 'Z' && stat->state != 'X') {
      out.push_back({{static_cast<int>(*pid), stat->start_time}, stat->ppid});
    }
  }
  return out;
}

// Adds the running descendants of the processes in `tree` to it.
void
add_descendants(std::vector<ProcessIdentity>& tree)
{
  std::multimap<int, ProcessIdentity> children;
  for (const auto& entry : all_processes()) {
    children.emplace(entry.ppid, entry.process);
  }
  std::set<int> seen;
  for (const auto& process : tree) {
    seen.insert(process.pid);
  }
  for (size_t i = 0; i < tree.size(); ++i) {
    auto [begin, end] = children.equal_range(tree[i].pid);
    for (auto it = begin; it != end; ++it) {
      if (seen.insert(it->second.pid).second) {
        tree.push_back(it->second);
      }
    }
  }
}

void
signal_all(const std::vector<ProcessIdentity>& tree, int signal)
{
  for (const auto& process : tree) {
    if (is_running(process)) {
      ::kill(process.pid, signal);
    }
  }
}

} // namespace

std::vector<ProcessIdentity>
process_tree(const ProcessIdentity& root)
{
  if (!is_running(root)) {
    return {};
  }
  std::vector<ProcessIdentity> tree = {root};
  add_descendants(tree);
  return tree;
}

Status
kill_process_tree(const ProcessIdentity& root, std::chrono::milliseconds wait)
{
  auto tree = process_tree(root);
  if (tree.empty()) {
    return {};
  }
  signal_all(tree, SIGSTOP);
  add_descendants(tree); // forked between the first look and the stop
  signal_all(tree, SIGSTOP);
  signal_all(tree, SIGKILL);
  auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    std::vector<std::string> left;
    for (const auto& process : tree) {
      if (is_running(process)) {
        left.push_back(std::to_string(process.pid));
      }
    }
    if (left.empty()) {
      return {};
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail(Error(ErrorCode::failure,
                        fmt::format("PIDs {} still run after SIGKILL", join(left, ", ")),
                        "a process in uninterruptible sleep (D state) dies when its I/O ends"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

} // namespace decant::job
