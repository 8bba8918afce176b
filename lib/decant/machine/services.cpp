#include <decant/machine/services.hpp>
#include <decant/proc/process.hpp>
#include <decant/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace decant {

namespace {

using nlohmann::json;

const char* const k_unit_dirs[] = {
    "/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"};

// Splits like systemd's extract_first_word with quotes: `"A=b c" D=e` -> {A=b c, D=e}.
std::vector<std::string>
split_quoted(std::string_view text)
{
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && i + 1 < text.size()) {
        word.push_back(text[++i]);
      } else {
        word.push_back(c);
      }
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) {
        words.push_back(word);
        word.clear();
        in_word = false;
      }
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (in_word) {
    words.push_back(word);
  }
  return words;
}

// ExecStart= prefixes (systemd.service(5) table 1): "-" ignore failure, "@" argv[0] given
// separately, "+", "!", "!!" privileges, ":" no variable expansion. The shell runs the rest.
std::string
strip_exec_prefixes(std::string_view command)
{
  std::string out(trim(command));
  bool at = false;
  size_t i = 0;
  while (i < out.size() && std::string_view("-@+!:").find(out[i]) != std::string_view::npos) {
    at = at || out[i] == '@';
    ++i;
  }
  out = out.substr(i);
  if (at) {
    // "@/usr/bin/prog name args": the second word is argv[0] only; drop it.
    auto words = split_quoted(out);
    if (words.size() >= 2) {
      auto first_end = out.find_first_of(" \t");
      auto second_start = out.find_first_not_of(" \t", first_end);
      auto second_end = out.find_first_of(" \t", second_start);
      out = out.substr(0, first_end)
            + (second_end == std::string::npos ? "" : out.substr(second_end));
    }
  }
  return out;
}

} // namespace

std::vector<UnitSetting>
parse_unit_file(std::string_view content)
{
  std::vector<UnitSetting> out;
  std::string section;
  std::string pending; // a line continued with '\'
  for (const auto& raw : split(content, '\n')) {
    std::string line(trim(raw));
    if (pending.empty() && (line.empty() || line[0] == '#' || line[0] == ';')) {
      continue;
    }
    if (!pending.empty() && (line[0] == '#' || line[0] == ';')) {
      continue; // comments inside a continued line are skipped (systemd.syntax(7))
    }
    if (!line.empty() && line.back() == '\\') {
      pending += line.substr(0, line.size() - 1) + " ";
      continue;
    }
    line = pending + line;
    pending.clear();
    if (line.front() == '[' && line.back() == ']') {
      section = line.substr(1, line.size() - 2);
      continue;
    }
    auto equals = line.find('=');
    if (equals == std::string::npos) {
      continue;
    }
    out.push_back({section,
                   std::string(trim(line.substr(0, equals))),
                   std::string(trim(line.substr(equals + 1)))});
  }
  if (!pending.empty()) {
    std::string line(trim(pending));
    auto equals = line.find('=');
    if (equals != std::string::npos) {
      out.push_back({section,
                     std::string(trim(line.substr(0, equals))),
                     std::string(trim(line.substr(equals + 1)))});
    }
  }
  return out;
}

UnitService
unit_service(const std::vector<UnitSetting>& settings)
{
  UnitService out;
  for (const auto& setting : settings) {
    if (setting.section != "Service") {
      continue;
    }
    const std::string& value = setting.value;
    auto append = [&](std::vector<std::string>& list) {
      if (value.empty()) {
        list.clear(); // an empty assignment resets the list (drop-ins rely on it)
      } else {
        list.push_back(value);
      }
    };
    if (setting.key == "Type") {
      out.type = value;
    } else if (setting.key == "ExecStart") {
      append(out.exec_start);
    } else if (setting.key == "ExecStartPre") {
      append(out.exec_start_pre);
    } else if (setting.key == "User") {
      out.user = value;
    } else if (setting.key == "Group") {
      out.group = value;
    } else if (setting.key == "WorkingDirectory") {
      out.working_directory = value;
    } else if (setting.key == "Environment") {
      if (value.empty()) {
        out.environment.clear();
      }
      for (const auto& word : split_quoted(value)) {
        if (word.find('=') != std::string::npos) {
          out.environment.push_back(word);
        }
      }
    } else if (setting.key == "EnvironmentFile") {
      append(out.environment_files);
    } else if (setting.key == "RuntimeDirectory") {
      if (value.empty()) {
        out.runtime_directories.clear();
      }
      for (const auto& word : split_quoted(value)) {
        out.runtime_directories.push_back(word);
      }
    }
  }
  return out;
}

std::string
unit_of_cgroup(const std::string& cgroup_path)
{
  std::string unit;
  for (const auto& part : split(cgroup_path, '/')) {
    if (ends_with(part, ".service")) {
      unit = part;
    }
  }
  if (starts_with(unit, "user@") || cgroup_path.find("/user.slice/") != std::string::npos) {
    return ""; // a user's session or manager: not a system service
  }
  return unit;
}

Result<std::string>
find_unit_file(const HostRoot& root, const std::string& unit)
{
  if (unit.find('/') != std::string::npos || unit.empty()) {
    return fail(ErrorCode::invalid_input, "{} is not a unit name", unit);
  }
  for (const char* dir : k_unit_dirs) {
    std::string path = std::string(dir) + "/" + unit;
    if (root.is_regular_file(path)) {
      return path;
    }
    // A template instance (getty@tty1.service) is described by getty@.service.
    auto at = unit.find('@');
    if (at != std::string::npos) {
      std::string templ = std::string(dir) + "/" + unit.substr(0, at + 1) + ".service";
      if (root.is_regular_file(templ)) {
        return templ;
      }
    }
  }
  return fail(ErrorCode::not_found, "no unit file for {}", unit);
}

Result<UnitService>
read_unit(const HostRoot& root, const std::string& unit)
{
  auto path = find_unit_file(root, unit);
  if (!path) {
    return fail(path.error());
  }
  auto content = root.read_file(*path);
  if (!content) {
    return fail(content.error());
  }
  auto settings = parse_unit_file(*content);
  // Drop-ins override the unit, in name order across the directories (systemd.unit(5)).
  std::map<std::string, std::string> dropins;
  for (const char* dir : k_unit_dirs) {
    std::string dropin_dir = std::string(dir) + "/" + unit + ".d";
    if (auto names = root.list_directory(dropin_dir)) {
      for (const auto& name : *names) {
        if (ends_with(name, ".conf") && !dropins.count(name)) {
          dropins.emplace(name, dropin_dir + "/" + name);
        }
      }
    }
  }
  for (const auto& [name, file] : dropins) {
    if (auto text = root.read_file(file)) {
      auto more = parse_unit_file(*text);
      settings.insert(settings.end(), more.begin(), more.end());
    }
  }
  return unit_service(settings);
}

std::string
quote_shell_word(std::string_view word)
{
  if (!word.empty()
      && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789_-./=:,+@%")
             == std::string_view::npos) {
    return std::string(word);
  }
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

json
to_json(const MachineService& s)
{
  json out = {{"name", s.name},
              {"source", s.source},
              {"type", s.type},
              {"command", s.command},
              {"user", s.user},
              {"uid", s.uid},
              {"gid", s.gid},
              {"workingDirectory", s.working_directory},
              {"ports", s.ports},
              {"pid", s.pid}};
  if (!s.unit_file.empty()) {
    out["unitFile"] = s.unit_file;
  }
  if (!s.exec_start_pre.empty()) {
    out["execStartPre"] = s.exec_start_pre;
  }
  if (!s.environment.empty()) {
    out["environment"] = s.environment;
  }
  if (!s.environment_files.empty()) {
    out["environmentFiles"] = s.environment_files;
  }
  if (!s.runtime_directories.empty()) {
    out["runtimeDirectories"] = s.runtime_directories;
  }
  return out;
}

Result<MachineService>
machine_service_from_json(const json& j)
{
  if (!j.is_object() || !j.contains("command") || !j["command"].is_string()
      || j["command"].get<std::string>().empty()) {
    return fail(ErrorCode::invalid_input, "a service needs a non-empty \"command\" string");
  }
  try {
    MachineService s;
    s.name = j.value("name", "");
    s.source = j.value("source", "process");
    s.type = j.value("type", "simple");
    s.command = j["command"].get<std::string>();
    s.user = j.value("user", "");
    s.uid = j.value("uid", 0u);
    s.gid = j.value("gid", 0u);
    s.working_directory = j.value("workingDirectory", "");
    s.unit_file = j.value("unitFile", "");
    s.pid = j.value("pid", 0);
    s.ports = j.value("ports", std::vector<uint16_t>{});
    s.exec_start_pre = j.value("execStartPre", std::vector<std::string>{});
    s.environment = j.value("environment", std::vector<std::string>{});
    s.environment_files = j.value("environmentFiles", std::vector<std::string>{});
    s.runtime_directories = j.value("runtimeDirectories", std::vector<std::string>{});
    return s;
  } catch (const json::exception& e) {
    return fail(ErrorCode::invalid_input, "service \"{}\": {}", j.value("name", "?"), e.what());
  }
}

namespace {

// The service as its unit describes it; false (with a warning) when the unit file is missing or
// has no ExecStart=, and the caller falls back to the command line.
bool
describe_by_unit(const HostRoot& root,
                 const std::string& unit,
                 const ProcessInfo& process,
                 const std::vector<PasswdEntry>& passwd,
                 const std::vector<GroupEntry>& groups,
                 MachineService& service,
                 std::vector<std::string>& warnings)
{
  auto unit_file = find_unit_file(root, unit);
  auto parsed = read_unit(root, unit);
  if (!unit_file || !parsed || parsed->exec_start.empty()) {
    warnings.push_back(fmt::format(
        "process {} belongs to {}, whose unit file {}; its command line is used instead",
        process.pid,
        unit,
        parsed ? "has no ExecStart=" : "was not found under the root"));
    return false;
  }
  service.name = unit;
  service.source = "systemd";
  service.unit_file = *unit_file;
  service.type = parsed->type;
  std::vector<std::string> commands;
  for (const auto& line : parsed->exec_start) {
    commands.push_back(strip_exec_prefixes(line)); // several only for Type=oneshot
  }
  service.command = join(commands, " && ");
  for (const auto& line : parsed->exec_start_pre) {
    // "-" marks a pre-command whose failure is ignored.
    std::string command = strip_exec_prefixes(line);
    service.exec_start_pre.push_back(trim(line).substr(0, 1) == "-" ? command + " || true"
                                                                    : command);
  }
  // "WorkingDirectory=-/srv/x": "-" only says a missing directory is no error; "~" is the
  // user's home, where the shell starts anyway.
  std::string directory = parsed->working_directory;
  if (!directory.empty() && directory[0] == '-') {
    directory = directory.substr(1);
  }
  service.working_directory = !directory.empty() && directory[0] == '~' ? "" : directory;
  service.environment = parsed->environment;
  service.environment_files = parsed->environment_files;
  service.runtime_directories = parsed->runtime_directories;
  service.user = parsed->user.empty() ? "root" : parsed->user;
  bool known = parsed->user.empty();
  for (const auto& entry : passwd) {
    if (entry.name == parsed->user || std::to_string(entry.uid) == parsed->user) {
      service.uid = entry.uid;
      service.gid = entry.gid;
      known = true;
    }
  }
  if (!known) {
    // User=123 without a passwd line, or DynamicUser=: take what the process runs as.
    service.uid = process.status.uid[1];
    service.gid = process.status.gid[1];
  }
  for (const auto& group : groups) {
    if (!parsed->group.empty()
        && (group.name == parsed->group || std::to_string(group.gid) == parsed->group)) {
      service.gid = group.gid;
    }
  }
  return true;
}

// The service as the process runs it: argv, working directory, effective uid/gid.
void
describe_by_process(const ProcessInfo& process,
                    const std::vector<PasswdEntry>& passwd,
                    MachineService& service)
{
  service.name = process.name();
  service.source = "process";
  std::vector<std::string> words;
  for (const auto& arg : process.cmdline) {
    words.push_back(quote_shell_word(arg));
  }
  service.command = join(words, " ");
  service.working_directory = process.cwd;
  service.uid = process.status.uid[1];
  service.gid = process.status.gid[1];
  service.user = std::to_string(service.uid);
  for (const auto& entry : passwd) {
    if (entry.uid == service.uid) {
      service.user = entry.name;
      break;
    }
  }
}

// The systemd unit of a process: cgroup v2 ("0::"), or v1's name=systemd hierarchy.
std::string
unit_of_process(const ProcessInfo& process)
{
  for (const auto& cgroup : process.cgroups) {
    if (cgroup.hierarchy_id == "0" || cgroup.controllers == "name=systemd") {
      if (auto unit = unit_of_cgroup(cgroup.path); !unit.empty()) {
        return unit;
      }
    }
  }
  return "";
}

} // namespace

std::vector<MachineService>
discover_services(const HostRoot& root, int skip_pid, std::vector<std::string>& warnings)
{
  ReadOptions options;
  options.maps = false;
  options.children = false;
  options.limits = false;
  std::map<int, ProcessInfo> listening;
  for (int pid : root.list_pids()) {
    if (pid == 1 || pid == skip_pid) {
      continue;
    }
    auto process = read_process(root, pid, options);
    if (!process || process->listening.empty()) {
      continue; // vanished, a kernel thread, or not a server
    }
    if (process->root != "/") {
      warnings.push_back(fmt::format("process {} ({}) listens inside a container (root {}); "
                                     "it is not a service of this machine and is left out",
                                     pid,
                                     process->name(),
                                     process->root));
      continue;
    }
    listening.emplace(pid, std::move(*process));
  }
  auto passwd = root.passwd();
  auto groups = root.groups();
  std::map<std::string, MachineService> by_name;
  for (const auto& [pid, process] : listening) {
    std::string unit = unit_of_process(process);
    if (starts_with(unit, "systemd-")) {
      continue; // systemd's own services (resolved, networkd) belong to the init system
    }
    // A worker of a listening parent (nginx, apache, php-fpm share the parent's socket) is
    // part of the parent's service.
    int top = pid;
    for (int up = process.ppid; listening.count(up); up = listening.at(up).ppid) {
      top = up;
    }
    const ProcessInfo& leader = listening.at(top);
    std::string key = unit.empty() ? fmt::format("{}:{}", leader.name(), top) : unit;
    auto found = by_name.find(key);
    if (found == by_name.end()) {
      MachineService service;
      service.pid = top;
      if (unit.empty()
          || !describe_by_unit(root, unit, process, passwd, groups, service, warnings)) {
        describe_by_process(leader, passwd, service);
      }
      found = by_name.emplace(key, std::move(service)).first;
    }
    for (uint16_t port : process.listening_ports()) {
      auto& ports = found->second.ports;
      if (std::find(ports.begin(), ports.end(), port) == ports.end()) {
        ports.push_back(port);
      }
    }
  }
  std::vector<MachineService> out;
  for (auto& [key, service] : by_name) {
    std::sort(service.ports.begin(), service.ports.end());
    out.push_back(std::move(service));
  }
  return out;
}

std::vector<CronJob>
parse_crontab(std::string_view content,
              const std::string& source,
              bool system,
              const std::string& owner)
{
  std::vector<CronJob> jobs;
  size_t number = 0;
  for (const auto& raw : split(content, '\n')) {
    ++number;
    std::string line(trim(raw));
    if (line.empty() || line[0] == '#') {
      continue;
    }
    // NAME=value sets the environment of the following jobs (crontab(5)).
    auto first_space = line.find_first_of(" \t");
    auto equals = line.find('=');
    if (equals != std::string::npos && (first_space == std::string::npos || equals < first_space)) {
      continue;
    }
    std::vector<std::string> words;
    size_t position = 0;
    size_t wanted = (line[0] == '@' ? 1 : 5) + (system ? 1 : 0);
    while (words.size() < wanted && position < line.size()) {
      auto start = line.find_first_not_of(" \t", position);
      if (start == std::string::npos) {
        break;
      }
      auto end = line.find_first_of(" \t", start);
      words.push_back(line.substr(start, end == std::string::npos ? end : end - start));
      position = end == std::string::npos ? line.size() : end;
    }
    auto rest = line.find_first_not_of(" \t", position);
    if (words.size() < wanted || rest == std::string::npos) {
      continue; // not a job line
    }
    CronJob job;
    job.source = fmt::format("{}:{}", source, number);
    size_t schedule_words = line[0] == '@' ? 1 : 5;
    job.schedule =
        join(std::vector<std::string>(words.begin(), words.begin() + schedule_words), " ");
    job.user = system ? words[schedule_words] : owner;
    job.command = line.substr(rest);
    jobs.push_back(std::move(job));
  }
  return jobs;
}

std::vector<CronJob>
list_cron_jobs(const HostRoot& root)
{
  std::vector<CronJob> jobs;
  auto add_file = [&](const std::string& path, bool system, const std::string& owner) {
    if (auto content = root.read_file(path)) {
      auto found = parse_crontab(*content, path, system, owner);
      jobs.insert(jobs.end(), found.begin(), found.end());
    }
  };
  add_file("/etc/crontab", true, "");
  if (auto names = root.list_directory("/etc/cron.d")) {
    for (const auto& name : *names) {
      // cron(8) skips names with dots (backups like x.dpkg-old) in /etc/cron.d.
      if (name.find('.') == std::string::npos) {
        add_file("/etc/cron.d/" + name, true, "");
      }
    }
  }
  for (const char* dir : {"/var/spool/cron/crontabs", "/var/spool/cron"}) {
    if (auto names = root.list_directory(dir)) {
      for (const auto& name : *names) {
        std::string path = std::string(dir) + "/" + name;
        if (root.is_regular_file(path)) {
          add_file(path, false, name);
        }
      }
    }
  }
  for (const char* period : {"hourly", "daily", "weekly", "monthly"}) {
    std::string dir = std::string("/etc/cron.") + period;
    if (auto names = root.list_directory(dir)) {
      for (const auto& name : *names) {
        if (name[0] != '.' && name.find('.') == std::string::npos) {
          jobs.push_back({dir + "/" + name, std::string("@") + period, "root", dir + "/" + name});
        }
      }
    }
  }
  return jobs;
}

json
to_json(const CronJob& job)
{
  return {{"source", job.source},
          {"schedule", job.schedule},
          {"user", job.user},
          {"command", job.command}};
}

std::string
machine_entry_script(const std::vector<MachineService>& services, const std::string& hostname)
{
  std::string script = fmt::format(
      R"(#!/bin/sh
# Generated by decant (machine mode) from extensions.machine.services of the analysis of {}:
# starts the services that were listening there, as their systemd units (or command lines) did,
# and stays up while they run. {} (PID 1) forwards SIGTERM, SIGINT and SIGHUP to them and
# reaps what they leave behind; `docker stop` / pod deletion stops them cleanly.
pids=""
detached=0
status=0
# The init sends stop signals to this script's whole process group: the services stop on their
# own; this script only waits for them to finish and reports their status. (A trapped signal is
# reset to the default in the children, unlike an ignored one.)
trap 'stopping=1' TERM INT HUP
)",
      hostname.empty() ? "the source machine" : hostname,
      k_machine_init_path);
  for (const auto& service : services) {
    script += fmt::format("\n# {} ({}{}{})\n",
                          service.name,
                          service.source == "systemd" ? service.unit_file : "command line",
                          service.ports.empty() ? "" : ", ports ",
                          [&] {
                            std::vector<std::string> ports;
                            for (auto port : service.ports) {
                              ports.push_back(std::to_string(port));
                            }
                            return join(ports, " ");
                          }());
    for (const auto& dir : service.runtime_directories) {
      // RuntimeDirectory= lives under /run, which the image leaves empty.
      std::string path = "/run/" + dir;
      script += fmt::format(
          "mkdir -p {0} && chown {1}:{2} {0}\n", quote_shell_word(path), service.uid, service.gid);
    }
    std::string body;
    if (!service.working_directory.empty()) {
      body += fmt::format("cd {} || exit 200; ", quote_shell_word(service.working_directory));
    }
    for (const auto& file : service.environment_files) {
      bool optional = !file.empty() && file[0] == '-';
      std::string path = optional ? file.substr(1) : file;
      // EnvironmentFile=-/path: optional. A missing file given to "." would end the shell.
      body += optional ? fmt::format("if [ -r {0} ]; then set -a; . {0}; set +a; fi; ",
                                     quote_shell_word(path))
                       : fmt::format("set -a; . {} || exit 202; set +a; ", quote_shell_word(path));
    }
    for (const auto& variable : service.environment) {
      body += "export " + quote_shell_word(variable) + "; ";
    }
    std::string as_user =
        service.uid == 0 && service.gid == 0
            ? std::string()
            : fmt::format("{} --exec-as {}:{} -- ", k_machine_init_path, service.uid, service.gid);
    for (const auto& pre : service.exec_start_pre) {
      body += fmt::format("{}/bin/sh -c {} || exit 201; ", as_user, quote_shell_word(pre));
    }
    body +=
        fmt::format("exec {}/bin/sh -c {}", as_user, quote_shell_word("exec " + service.command));
    bool foreground = service.type == "forking" || service.type == "oneshot";
    if (foreground) {
      // Type=forking: the command returns once the daemon has detached (it is then adopted by
      // the init); Type=oneshot: it runs to completion before the next service.
      script += fmt::format("( {} ) || status=$?\n", body);
      script += service.type == "forking" ? "detached=1\n" : "";
    } else {
      script += fmt::format("( {} ) &\npids=\"$pids $!\"\n", body);
    }
  }
  script += R"(
if [ -z "$pids" ] && [ "$detached" = 0 ]; then
  echo "decant: no services recorded (extensions.machine.services is empty); staying up" >&2
  detached=1
fi
for pid in $pids; do
  while :; do
    wait "$pid"
    code=$?
    # wait returns early (status > 128) when a trapped signal arrives: wait again while the
    # service still runs.
    kill -0 "$pid" 2>/dev/null || break
  done
  [ "$status" = 0 ] && status=$code
done
if [ "$detached" = 1 ] && [ "$status" = 0 ] && [ -z "${stopping:-}" ]; then
  # Only detached daemons are left: stay up until the container is stopped.
  while [ -z "${stopping:-}" ]; do sleep 1; done
fi
exit "$status"
)";
  return script;
}

} // namespace decant
