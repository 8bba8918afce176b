#pragma once

// Pieces every analyzer fills the same way: source host facts, the process summary, the start
// command, the environment with its secrets.

#include <decant/analysis/analysis.hpp>
#include <decant/proc/host_root.hpp>
#include <decant/proc/process.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace decant {

// An Analysis with applicationId/Type, createdAt, source, process, resources.peakRssBytes and
// cpus, start (argv, cwd, user, groups) and env filled from the process. Variables that only
// describe how it was started go to envDropped (startup_noise_reason); secret-looking
// environment variables go to `secrets`; the start command keeps argv as is (analyzers redact
// arguments they know, see redact_argument).
Analysis base_analysis(const ProcessInfo& process,
                       const HostRoot& root,
                       const std::string& type,
                       const std::string& identity);

// Why an environment variable only describes how the process was started and not what it
// needs (the interactive shell: `_`, PWD, OLDPWD, SHLVL; its terminal: TERM, COLUMNS,
// LS_COLORS; the login session: SSH_*, XDG_SESSION_*, SUDO_*; a terminal multiplexer; the
// systemd invocation: INVOCATION_ID, JOURNAL_STREAM), or nullopt for a variable to keep.
// base_analysis() moves these to envDropped.
std::optional<std::string> startup_noise_reason(std::string_view name);

// Whether a variable or property name looks like it holds a secret (PASSWORD, SECRET, TOKEN,
// KEY, CREDENTIAL, PASSWD, PWD, PRIVATE, ...), case-insensitive.
bool looks_secret(std::string_view name);

// User and group names for ids, from the root's /etc/passwd and /etc/group; the number as text
// when there is no entry.
std::string user_name(const HostRoot& root, uint32_t uid);
std::string group_name(const HostRoot& root, uint32_t gid);

// "-Dfoo.password=bar" -> "-Dfoo.password=${secret:ARG_FOO_PASSWORD}" with the value added to
// the analysis's secrets; other arguments unchanged. Applied to start.command and
// process.cmdline alike.
void redact_secret_arguments(Analysis& analysis);

} // namespace decant
