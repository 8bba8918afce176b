#pragma once

// The services of a machine: what was listening when machine mode looked (processes with a
// listening TCP socket), each described the way it is started: its systemd unit's ExecStart,
// User=, WorkingDirectory=, Environment= when the process belongs to a unit (from
// /proc/<pid>/cgroup and the unit file inside the root), else its argv, user and working
// directory. Cron jobs are listed too (they do not run in the image). The entry script the
// image runs under decant-init is generated from this list.

#include <decant/error.hpp>
#include <decant/proc/host_root.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace decant {

// One "Key=Value" of a unit file, in file order.
struct UnitSetting {
  std::string section; // "Service"
  std::string key;
  std::string value;
};

// systemd.syntax(7): [Section] headers, Key=Value, '#'/';' comments, a trailing '\' continues a
// line. Values keep their quotes (the command line is interpreted later).
std::vector<UnitSetting> parse_unit_file(std::string_view content);

struct UnitService {
  std::string type = "simple"; // Type=
  std::vector<std::string> exec_start;
  std::vector<std::string> exec_start_pre;
  std::string user;
  std::string group;
  std::string working_directory;
  std::vector<std::string> environment;         // "NAME=value" (Environment=, split like systemd)
  std::vector<std::string> environment_files;   // EnvironmentFile=; "-" prefix = optional
  std::vector<std::string> runtime_directories; // under /run (RuntimeDirectory=)
};

// Applies the settings of a unit file and its drop-ins in order: an empty ExecStart= (or
// Environment=...) resets the list, as systemd.service(5) says.
UnitService unit_service(const std::vector<UnitSetting>& settings);

// The .service unit a process belongs to, from /proc/<pid>/cgroup ("0::/system.slice/x.service"
// on cgroup v2; the name=systemd hierarchy on v1); empty for a scope, a user session, or a
// user manager (user@1000.service).
std::string unit_of_cgroup(const std::string& cgroup_path);

// Reads the unit and its drop-ins (<unit>.d/*.conf) from the usual directories under the root
// (/etc/systemd/system, /run/systemd/system, /usr/lib/systemd/system, /lib/systemd/system).
// Returns the path of the unit file used, or not_found.
Result<std::string> find_unit_file(const HostRoot& root, const std::string& unit);
Result<UnitService> read_unit(const HostRoot& root, const std::string& unit);

struct MachineService {
  std::string name;      // the unit ("nginx.service") or the process name
  std::string source;    // "systemd" or "process"
  std::string unit_file; // host path of the unit file
  std::string type = "simple";
  std::vector<std::string> exec_start_pre; // shell command lines
  std::string command;                     // shell command line
  std::string user;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string working_directory;
  std::vector<std::string> environment;
  std::vector<std::string> environment_files;
  std::vector<std::string> runtime_directories;
  std::vector<uint16_t> ports;
  int pid = 0;
};

nlohmann::json to_json(const MachineService& service);
Result<MachineService> machine_service_from_json(const nlohmann::json& json);

// The listening processes under the root, one service per unit (or per process tree that is not
// a unit's), sorted by name. Skips PID 1, `skip_pid` (decant itself), processes in another root
// (containers), and systemd's own units (systemd-resolved, ...). Processes that vanish are
// skipped; what could not be read goes into `warnings`.
std::vector<MachineService>
discover_services(const HostRoot& root, int skip_pid, std::vector<std::string>& warnings);

struct CronJob {
  std::string source; // "/etc/crontab:12", "/var/spool/cron/crontabs/alice:3", "/etc/cron.daily/x"
  std::string schedule; // "*/5 * * * *", "@reboot", "@daily"
  std::string user;
  std::string command;
};

// One crontab: `system` = the /etc/crontab and /etc/cron.d format with a user column.
// Environment lines (NAME=value) and comments are skipped.
std::vector<CronJob> parse_crontab(std::string_view content,
                                   const std::string& source,
                                   bool system,
                                   const std::string& owner);
// Every cron job under the root: /etc/crontab, /etc/cron.d/*, /var/spool/cron/crontabs/* (Debian),
// /var/spool/cron/* (RHEL), and the scripts in /etc/cron.{hourly,daily,weekly,monthly}.
std::vector<CronJob> list_cron_jobs(const HostRoot& root);
nlohmann::json to_json(const CronJob& job);

// A POSIX shell word: 'it'\''s'.
std::string quote_shell_word(std::string_view word);

inline constexpr const char* k_machine_init_path = "/.decant/init";
inline constexpr const char* k_machine_entrypoint_path = "/.decant/entrypoint.sh";

// The entry script: starts each service as its unit would (runtime directories, ExecStartPre,
// environment files, user via `decant-init --exec-as`, working directory), in the background
// for long-running types and in the foreground for Type=forking/oneshot, then waits; exits with
// the first failing service's status. Stays up when only detached (forking) services run.
std::string machine_entry_script(const std::vector<MachineService>& services,
                                 const std::string& hostname);

} // namespace decant
