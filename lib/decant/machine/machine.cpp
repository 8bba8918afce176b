#include <decant/machine/exclusions.hpp>
#include <decant/machine/machine.hpp>
#include <decant/machine/mountinfo.hpp>
#include <decant/machine/os_support.hpp>
#include <decant/machine/services.hpp>
#include <decant/util/strings.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace decant {

using nlohmann::json;

bool
is_machine_analysis(const Analysis& analysis)
{
  return analysis.application_type == "machine" && analysis.extensions.contains("machine")
         && analysis.extensions["machine"].is_object();
}

FileRole
machine_role(const std::string& top_level)
{
  static const char* const k_system[] = {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"};
  for (const char* name : k_system) {
    if (top_level == name) {
      return FileRole::system;
    }
  }
  return top_level == "etc" ? FileRole::config : FileRole::app;
}

namespace {

// What the analysis says of the source machine, and the image's start: decant-init running the
// entry script as root.
void
describe_source(Analysis& analysis, const HostRoot& root, std::map<std::string, std::string>& os)
{
  analysis.application_type = "machine";
  analysis.created_at = utc_now();
  analysis.source.hostname = root.hostname();
  analysis.source.os.id = os.count("ID") ? os["ID"] : "";
  analysis.source.os.version_id = os.count("VERSION_ID") ? os["VERSION_ID"] : "";
  analysis.source.os.pretty_name = os.count("PRETTY_NAME") ? os["PRETTY_NAME"] : "";
  analysis.source.arch = root.architecture();
  analysis.source.kernel = root.kernel_release();
  analysis.source.timezone = root.timezone();
  analysis.application_id =
      make_application_id("machine", analysis.source.hostname + "|" + root.root());
  analysis.runtime.name = "Linux machine";
  analysis.runtime.version = analysis.source.os.pretty_name;
  analysis.process.user = "root";
  analysis.start.user = "root";
  analysis.start.working_dir = "/";
  analysis.start.command = {k_machine_init_path, k_machine_entrypoint_path};
}

// files[]: every top-level entry of the root, so the operator can drop one (/home) by
// deleting a line, and the layers split by role.
Status
add_top_level_entries(Analysis& analysis, const HostRoot& root)
{
  auto top = root.list_directory("/");
  if (!top) {
    return fail(top.error());
  }
  for (const auto& name : *top) {
    FileEntry entry;
    entry.path = "/" + name;
    entry.role = machine_role(name);
    entry.reason = "top-level entry of the source's root file system";
    entry.optional = true; // a directory removed before packing is no reason to fail
    analysis.files.push_back(entry);
  }
  return {};
}

// exclude[]: the defaults, swap files, mounts below the root, decant's own paths, --exclude.
// Returns the mounts below the root.
Result<std::vector<ExcludedMount>>
add_exclusions(Analysis& analysis, const HostRoot& root, const MachineOptions& options)
{
  std::vector<MountInfo> mounts;
  if (!options.mountinfo.empty()) {
    auto parsed = parse_mountinfo(options.mountinfo);
    if (!parsed) {
      return fail(parsed.error().context("/proc/self/mountinfo"));
    }
    mounts = std::move(*parsed);
  } else {
    analysis.warn("mountinfo-missing",
                  "decant's mount table could not be read: mounts below the root are not "
                  "excluded; add them with --exclude");
  }
  std::string root_dir = root.root();
  if (root_dir != "/") {
    // mountinfo names mount points by their real path: compare against the canonical root.
    std::error_code ec;
    auto canonical = std::filesystem::canonical(root_dir, ec);
    if (!ec) {
      root_dir = canonical.string();
    }
  }
  auto below = mounts_below(mounts, root_dir);
  std::vector<std::string> swaps;
  if (auto text = root.read_file("/proc/swaps")) {
    swaps = swap_files(*text, "/");
  }
  std::vector<std::string> own;
  for (const auto& path : options.own_paths) {
    std::error_code ec;
    auto absolute = std::filesystem::weakly_canonical(path, ec);
    own.push_back(ec ? path : absolute.string());
  }
  analysis.exclude = machine_exclusions(below, swaps, own, root_dir);
  for (const auto& pattern : options.exclude) {
    analysis.exclude.push_back({pattern, "--exclude"});
  }
  return below;
}

// The listening services (their ports go into ports[]) and the cron jobs, into `machine`.
void
add_services(Analysis& analysis, const HostRoot& root, const MachineOptions& options, json& machine)
{
  json services = json::array();
  json cron = json::array();
  if (options.services) {
    std::vector<std::string> warnings;
    for (const auto& service : discover_services(root, options.self_pid, warnings)) {
      services.push_back(to_json(service));
      for (uint16_t port : service.ports) {
        Port item;
        item.port = port;
        item.listening = true;
        item.expose = true;
        item.source = "socket";
        item.name = service.name;
        analysis.ports.push_back(item);
      }
    }
    for (const auto& warning : warnings) {
      analysis.warn("service", warning);
    }
    auto jobs = list_cron_jobs(root);
    for (const auto& job : jobs) {
      cron.push_back(to_json(job));
    }
    if (!jobs.empty()) {
      analysis.warn("cron-jobs",
                    fmt::format("{} cron jobs found (extensions.machine.cronJobs); the image does "
                                "not run cron: schedule them as Kubernetes CronJobs or start "
                                "cron from the entry script",
                                jobs.size()));
    }
    if (services.empty()) {
      analysis.warn("no-services",
                    "no listening process found: the entry script starts nothing and stays up; "
                    "fill extensions.machine.services");
    }
  }
  machine["services"] = services;
  machine["cronJobs"] = cron;
}

} // namespace

Result<Analysis>
analyze_machine(const HostRoot& root, const MachineOptions& options)
{
  Analysis analysis;
  auto os = root.os_release();
  describe_source(analysis, root, os);
  OsSupport support = check_os_support(os, analysis.source.arch);
  if (!support.supported) {
    analysis.warn("unsupported-os", support.message + "; the image is built anyway");
  }
  if (auto status = add_top_level_entries(analysis, root); !status) {
    return fail(status.error());
  }
  auto below = add_exclusions(analysis, root, options);
  if (!below) {
    return fail(below.error());
  }

  json machine = json::object();
  machine["init"] = k_machine_init_path;
  machine["entrypoint"] = k_machine_entrypoint_path;
  machine["command"] = {k_machine_init_path, k_machine_entrypoint_path};
  machine["os"] = {{"id", support.id},
                   {"name", support.name},
                   {"arch", analysis.source.arch},
                   {"supported", support.supported}};
  json mount_list = json::array();
  for (const auto& mount : *below) {
    mount_list.push_back({{"path", mount.path},
                          {"type", mount.fs_type},
                          {"source", mount.source},
                          {"reason", mount.reason}});
  }
  machine["mounts"] = mount_list;
  add_services(analysis, root, options, machine);
  analysis.extensions["machine"] = machine;
  return analysis;
}

Result<std::string>
find_init_binary()
{
  if (const char* env = std::getenv("DECANT_INIT"); env != nullptr && *env != '\0') {
    if (::access(env, R_OK) != 0) {
      return fail(Error(ErrorCode::not_found,
                        fmt::format("DECANT_INIT={} cannot be read", env),
                        "point DECANT_INIT at the decant-init executable, or unset it"));
    }
    return std::string(env);
  }
  std::vector<std::string> candidates;
  std::error_code ec;
  // decant's own executable, not the host's: /proc/self is this process.
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto dir = self.parent_path();
    candidates.push_back((dir / "decant-init").string());
    candidates.push_back((dir / ".." / "init" / "decant-init").string());
    candidates.push_back((dir / ".." / "lib" / "decant" / "decant-init").string());
  }
  candidates.push_back("/usr/lib/decant/decant-init");
  for (const auto& candidate : candidates) {
    if (::access(candidate.c_str(), R_OK) == 0) {
      return candidate;
    }
  }
  return fail(Error(ErrorCode::not_found,
                    "decant-init, the image's init, was not found (looked in "
                        + join(candidates, ", ") + ")",
                    "build the decant-init target, or set DECANT_INIT to its path"));
}

Result<MachineWalk>
machine_file_set(const Analysis& analysis, const HostRoot& root, const std::string& init_binary)
{
  std::vector<MachineService> services;
  const json& ext = analysis.extensions;
  if (ext.contains("machine") && ext["machine"].is_object()
      && ext["machine"].contains("services")) {
    const json& list = ext["machine"]["services"];
    if (!list.is_array()) {
      return fail(ErrorCode::invalid_input, "extensions.machine.services: expected an array");
    }
    for (size_t i = 0; i < list.size(); ++i) {
      auto service = machine_service_from_json(list[i]);
      if (!service) {
        return fail(service.error().context(fmt::format("extensions.machine.services[{}]", i)));
      }
      services.push_back(std::move(*service));
    }
  }
  std::ifstream in(init_binary, std::ios::binary);
  std::stringstream init;
  init << in.rdbuf();
  if (!in || init.str().empty()) {
    return fail(Error(ErrorCode::not_found,
                      fmt::format("cannot read {}", init_binary),
                      "build the decant-init target, or set DECANT_INIT"));
  }

  auto walk = walk_machine(analysis, root);
  if (!walk) {
    return fail(walk.error());
  }
  auto add_generated =
      [&](const std::string& path, std::string content, uint32_t mode, const std::string& reason) {
        PackEntry entry;
        entry.path = path;
        entry.type = EntryType::regular;
        entry.role = FileRole::config;
        entry.mode = mode;
        entry.generated = true;
        entry.size = content.size();
        entry.content = std::move(content);
        entry.reason = reason;
        entry.mtime = std::time(nullptr);
        walk->set.entries[path] = std::move(entry);
      };
  PackEntry dir;
  dir.path = "/.decant";
  dir.type = EntryType::directory;
  dir.role = FileRole::config;
  dir.mode = 0755;
  dir.mtime = std::time(nullptr);
  walk->set.entries[dir.path] = dir;
  add_generated(
      k_machine_init_path, init.str(), 0755, "decant-init: PID 1, forwards signals, reaps zombies");
  add_generated(k_machine_entrypoint_path,
                machine_entry_script(services, analysis.source.hostname),
                0755,
                "starts the services recorded in extensions.machine.services");
  return walk;
}

} // namespace decant

namespace decant {

std::string
own_mountinfo()
{
  std::ifstream in("/proc/self/mountinfo");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<PackWarning>
walk_warnings(const MachineWalk& walk)
{
  std::vector<PackWarning> out = walk.set.warnings;
  auto summary = [&](const char* code, const std::vector<std::string>& items, const char* what) {
    if (items.empty()) {
      return;
    }
    std::vector<std::string> first(items.begin(),
                                   items.begin() + std::min<size_t>(items.size(), 5));
    out.push_back({code,
                   fmt::format("{} {}: {}{}",
                               items.size(),
                               what,
                               join(first, "; "),
                               items.size() > first.size() ? "; ..." : "")});
  };
  summary("unreadable", walk.unreadable, "files or directories could not be read and are left out");
  summary("vanished", walk.vanished, "files vanished during the walk");
  summary("skipped-special-file",
          walk.special,
          "device nodes, FIFOs or sockets skipped (the runtime creates its own)");
  summary(
      "walked-once", walk.loops, "directories were reached twice (bind mounts) and walked once");
  return out;
}

Status
check_unreadable(const MachineWalk& walk, bool allow_unreadable)
{
  if (walk.unreadable.empty() || allow_unreadable) {
    return {};
  }
  return fail(Error(ErrorCode::permission,
                    fmt::format("{} files or directories could not be read (first: {})",
                                walk.unreadable.size(),
                                walk.unreadable.front()),
                    "run decant as root, exclude them with --exclude, or pass --allow-unreadable "
                    "to build the image without them"));
}

Status
check_max_size(const MachineWalk& walk, uint64_t max_bytes)
{
  if (max_bytes == 0 || walk.size.tar_bytes <= max_bytes) {
    return {};
  }
  std::vector<std::string> largest;
  for (const auto& [path, bytes] : walk.size.largest_directories) {
    if (largest.size() < 5) {
      largest.push_back(fmt::format("{} ({})", path, human_bytes(bytes)));
    }
  }
  return fail(Error(ErrorCode::aborted,
                    fmt::format("the image would hold {} uncompressed ({} files), more than "
                                "--max-size {}; nothing was written",
                                human_bytes(walk.size.tar_bytes),
                                walk.size.files,
                                human_bytes(max_bytes)),
                    "exclude what is not needed with --exclude (largest: " + join(largest, ", ")
                        + "), or raise --max-size"));
}

} // namespace decant
