#include <decant/analyzer/common.hpp>
#include <decant/util/strings.hpp>

#include <re2/re2.h>

#include <thread>

namespace decant {

std::optional<std::string>
startup_noise_reason(std::string_view name)
{
  struct Rule {
    const char* name; // exact name, or a prefix when it ends with '*'
    const char* reason;
  };
  static const char* const k_shell = "set by the interactive shell that started the process";
  static const char* const k_terminal =
      "describes the terminal of the session that started it (a container has none)";
  static const char* const k_login = "describes the login session that started it";
  static const char* const k_systemd =
      "describes the systemd service invocation on the source host (journal stream, manager)";
  static const Rule k_rules[] = {
      {"_", "set by the shell to the path of the command it ran"},
      {"PWD", "the starting shell's working directory (the image sets start.workingDir)"},
      {"OLDPWD", "the starting shell's previous working directory"},
      {"SHLVL", "the nesting depth of the starting shell"},
      {"PS1", k_shell},
      {"PS2", k_shell},
      {"PS4", k_shell},
      {"PROMPT_COMMAND", k_shell},
      {"HISTFILE", k_shell},
      {"HISTSIZE", k_shell},
      {"HISTFILESIZE", k_shell},
      {"HISTCONTROL", k_shell},
      {"HISTTIMEFORMAT", k_shell},
      {"LESSOPEN", "the interactive shell's pager setup"},
      {"LESSCLOSE", "the interactive shell's pager setup"},
      {"TERM", k_terminal},
      {"COLORTERM", k_terminal},
      {"TERMCAP", k_terminal},
      {"TERM_PROGRAM", k_terminal},
      {"TERM_PROGRAM_VERSION", k_terminal},
      {"COLUMNS", k_terminal},
      {"LINES", k_terminal},
      {"LS_COLORS", k_terminal},
      {"LSCOLORS", k_terminal},
      {"WINDOWID", k_terminal},
      {"VTE_VERSION", k_terminal},
      {"TMUX", "the terminal multiplexer (tmux) the process was started in"},
      {"TMUX_PANE", "the terminal multiplexer (tmux) the process was started in"},
      {"STY", "the terminal multiplexer (screen) the process was started in"},
      {"WINDOW", "the terminal multiplexer (screen) the process was started in"},
      {"SSH_CLIENT", k_login},
      {"SSH_CONNECTION", k_login},
      {"SSH_TTY", k_login},
      {"SSH_AUTH_SOCK", k_login},
      {"SSH_AGENT_PID", k_login},
      {"XDG_SESSION_*", k_login},
      {"XDG_SEAT", k_login},
      {"XDG_VTNR", k_login},
      {"XDG_RUNTIME_DIR", k_login},
      {"DBUS_SESSION_BUS_ADDRESS", k_login},
      {"MAIL", k_login},
      {"MOTD_SHOWN", k_login},
      {"SUDO_USER", "sudo's record of who started the process"},
      {"SUDO_UID", "sudo's record of who started the process"},
      {"SUDO_GID", "sudo's record of who started the process"},
      {"SUDO_COMMAND", "sudo's record of who started the process"},
      {"INVOCATION_ID", k_systemd},
      {"JOURNAL_STREAM", k_systemd},
      {"SYSTEMD_EXEC_PID", k_systemd},
      {"MANAGERPID", k_systemd},
  };
  for (const auto& rule : k_rules) {
    std::string_view pattern = rule.name;
    bool prefix = ends_with(pattern, "*");
    if (prefix ? starts_with(name, pattern.substr(0, pattern.size() - 1)) : name == pattern) {
      return std::string(rule.reason);
    }
  }
  return std::nullopt;
}

bool
looks_secret(std::string_view name)
{
  // The shell's working-directory variables are not passwords, whatever "PWD" suggests.
  if (name == "PWD" || name == "OLDPWD") {
    return false;
  }
  // Matches whole words inside names such as DB_PASSWORD, javax.net.ssl.keyStorePassword,
  // API_TOKEN, AWS_SECRET_ACCESS_KEY; not KEYBOARD or MONKEY_BUSINESS's "KEY" alone inside a
  // longer word ("(^|[^a-z])" and "($|[^a-z])" bound KEY; PASSWORD/SECRET/TOKEN match anywhere).
  static const re2::RE2 k_secret(
      "(?i)(passw(or)?d|secret|token|credential|passphrase|private|apikey|api_key|"
      "access_?key|(^|[^a-z])pwd($|[^a-z])|(^|[^a-z])key($|[^a-z])|(^|[^a-z])pass($|[^a-z]))");
  return re2::RE2::PartialMatch(re2::StringPiece(name.data(), name.size()), k_secret);
}

std::string
user_name(const HostRoot& root, uint32_t uid)
{
  for (const auto& entry : root.passwd()) {
    if (entry.uid == uid) {
      return entry.name;
    }
  }
  return std::to_string(uid);
}

std::string
group_name(const HostRoot& root, uint32_t gid)
{
  for (const auto& entry : root.groups()) {
    if (entry.gid == gid) {
      return entry.name;
    }
  }
  return std::to_string(gid);
}

Analysis
base_analysis(const ProcessInfo& process,
              const HostRoot& root,
              const std::string& type,
              const std::string& identity)
{
  Analysis a;
  a.application_type = type;
  a.application_id = make_application_id(type, identity);
  a.created_at = utc_now();

  auto os = root.os_release();
  a.source.hostname = root.hostname();
  a.source.os = {os["ID"], os["VERSION_ID"], os["PRETTY_NAME"]};
  a.source.arch = root.architecture();
  a.source.kernel = root.kernel_release();
  a.source.timezone = root.timezone();

  a.process.pid = process.pid;
  a.process.start_time = process.stat.start_time;
  a.process.exe = process.exe;
  a.process.cmdline = process.cmdline;
  a.process.cwd = process.cwd;
  a.process.uid = process.status.uid[1];
  a.process.gid = process.status.gid[1];
  a.process.user = user_name(root, a.process.uid);
  a.process.group = group_name(root, a.process.gid);
  for (uint32_t gid : process.status.groups) {
    a.process.groups.push_back(group_name(root, gid));
  }
  a.process.capabilities = capability_names(process.status.cap_eff);
  if (auto it = process.limits.find("Max open files"); it != process.limits.end()) {
    a.process.open_files = {it->second.soft, it->second.hard};
  }

  a.resources.peak_rss_bytes = process.status.vm_hwm_bytes;
  // The host's CPU count is the ceiling the application ran under; a cgroup quota, when the
  // analyzer knows one, is lower.
  a.resources.cpus = static_cast<double>(std::max(1u, std::thread::hardware_concurrency()));

  a.start.command = process.cmdline;
  a.start.working_dir = process.cwd;
  a.start.user = a.process.user;
  a.start.groups = a.process.groups;

  for (const auto& [name, value] : process.environ) {
    if (auto noise = startup_noise_reason(name)) {
      a.env_dropped.push_back({name, value, *noise});
      continue;
    }
    a.add_env(name, value, looks_secret(name));
  }
  for (const auto& warning : process.warnings) {
    a.warn("proc-read", warning);
  }
  if (!process.environ_readable) {
    a.warn("environment-unreadable",
           fmt::format("the environment of PID {} could not be read; the image gets none of it",
                       process.pid));
  }
  return a;
}

void
redact_secret_arguments(Analysis& analysis)
{
  auto redact = [&](std::vector<std::string>& argv) {
    for (auto& arg : argv) {
      if (!starts_with(arg, "-D") && !starts_with(arg, "--")) {
        continue;
      }
      size_t eq = arg.find('=');
      if (eq == std::string::npos) {
        continue;
      }
      std::string name = arg.substr(starts_with(arg, "-D") ? 2 : 2, eq - 2);
      std::string value = arg.substr(eq + 1);
      if (!looks_secret(name) || value.empty() || starts_with(value, "${secret:")) {
        continue;
      }
      arg = arg.substr(0, eq + 1) + analysis.add_secret("ARG_" + name, "argv", value);
    }
  };
  redact(analysis.start.command);
  redact(analysis.process.cmdline);
}

} // namespace decant
