#pragma once

// The analysis.json model: what an analyzer found and what the packer, the deployment writer and
// the operator (who may edit the file) work from. docs/analysis-json.md documents every field;
// keep the two in step, and bump k_schema_version on an incompatible change.

#include <decant/error.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace decant {

inline constexpr int k_schema_version = 1;

struct OsInfo {
  std::string id;
  std::string version_id;
  std::string pretty_name;
};

struct SourceInfo {
  std::string hostname;
  OsInfo os;
  std::string arch;
  std::string kernel;
  std::string timezone;
};

struct OpenFilesLimit {
  std::optional<uint64_t> soft; // nullopt = unlimited
  std::optional<uint64_t> hard;
};

struct ProcessSummary {
  int pid = 0;
  uint64_t start_time = 0; // clock ticks after boot (/proc/<pid>/stat field 22)
  std::string exe;
  std::vector<std::string> cmdline; // secrets replaced by ${secret:NAME}
  std::string cwd;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string user;
  std::string group;
  std::vector<std::string> groups; // supplementary group names (numbers when unnamed)
  std::vector<std::string> capabilities;
  OpenFilesLimit open_files;
};

struct RuntimeInfo {
  std::string name;    // "Apache Tomcat", ".NET", ...
  std::string version; // "10.1.60"
  // Analyzer-specific fields (catalinaHome, javaHome, tfm, frameworks, ...), written next to
  // name and version in the "runtime" object.
  nlohmann::json details = nlohmann::json::object();
};

struct Resources {
  std::optional<uint64_t> peak_rss_bytes;
  std::optional<uint64_t> heap_max_bytes;
  std::optional<double> cpus;
};

// txn: JBoss transaction recovery/status sockets.
enum class PortRole { http, https, ajp, shutdown, management, txn, other };

struct Port {
  uint16_t port = 0;
  std::string protocol = "tcp";
  std::string address; // "" = all interfaces
  PortRole role = PortRole::other;
  bool expose = false;
  bool listening = false;
  std::string source; // "file:line", or "socket" when only seen listening
  std::string name;   // the configuration's name for it (connector, socket-binding), optional
  // Where the number came from when the configuration names it through a property
  // ("${http.port} = \"8080\" from environment variable HTTP_PORT (...)"), optional.
  std::string value_source;
};

struct EnvVar {
  std::string name;
  std::string value; // for a secret: held in memory only, written to secrets.json
  bool secret = false;
  std::string secret_ref; // for a secret: its name in `secrets` and secrets.json
};

// A variable of the source process left out of the image because it only describes how the
// process was started (the interactive shell, its terminal, the login session): `_`, PWD,
// SHLVL, TERM, SSH_*, ... Kept with its value and reason so the operator can move it back to env.
struct DroppedEnvVar {
  std::string name;
  std::string value;
  std::string reason;
};

// A secret value found anywhere (environment, JVM argument, config file). analysis.json names it;
// secrets.json beside it holds name -> value with mode 0600.
struct Secret {
  std::string name;   // key in secrets.json, e.g. "ENV_DB_PASSWORD"
  std::string source; // "env", "argv", "/etc/tomcat10/server.xml:44"
  std::string value;  // never serialized into analysis.json
};

struct StartCommand {
  std::vector<std::string> command; // argv; secrets as ${secret:NAME}
  std::string working_dir;
  std::string user;
  std::vector<std::string> groups;
};

enum class FileRole { system, runtime, server, app, config };

// A secret value inside an archive that cannot be left out of the image (a WAR's
// META-INF/context.xml): `pack --externalize-secrets` packs the archive with the attribute of
// the XML element that starts on `line` of `entry` set to `replacement` (a reference the start
// command defines from the Secret, "${decant.secret.NAME}"), instead of leaving the file out.
struct ArchiveSecret {
  std::string entry;     // "META-INF/context.xml"
  int line = 0;          // of the element's start tag
  std::string element;   // "Resource"
  std::string attribute; // "password"
  std::string secret;    // its name in `secrets`
  std::string replacement;
};

struct FileEntry {
  std::string path;
  std::string reason;
  FileRole role = FileRole::app;
  bool secret = false;
  bool optional = false; // packing skips it with a warning when it no longer exists
  std::vector<ArchiveSecret> externalize; // for an archive marked secret
};

enum class VolumeRole { log, temp, work, data };

struct Volume {
  std::string path;
  VolumeRole role = VolumeRole::data;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t mode = 0755;
  std::string reason;
};

struct Exclusion {
  std::string path; // a path or a glob
  std::string reason;
};

enum class DependencyKind { database, service, host };

struct Dependency {
  DependencyKind kind = DependencyKind::service;
  std::string host;
  uint16_t port = 0;
  std::string source;
};

struct Warning {
  std::string code;
  std::string message;
};

struct Analysis {
  int schema_version = k_schema_version;
  std::string application_id;
  std::string application_type; // one of application_types(): java-tomcat, machine, ...
  std::string created_at;       // RFC 3339, UTC
  SourceInfo source;
  ProcessSummary process;
  RuntimeInfo runtime;
  Resources resources;
  std::vector<Port> ports;
  std::vector<EnvVar> env;
  std::vector<DroppedEnvVar> env_dropped;
  std::vector<Secret> secrets;
  StartCommand start;
  std::vector<FileEntry> files;
  std::vector<Volume> volumes;
  std::vector<Exclusion> exclude;
  std::vector<Dependency> dependencies;
  std::vector<Warning> warnings;
  // Fields owned by later stages or modes (machine-mode services, ...), kept verbatim.
  nlohmann::json extensions = nlohmann::json::object();

  void warn(std::string code, std::string message);
  // Adds a file unless the same path is there already (the first reason wins).
  void add_file(FileEntry entry);
  // Whether a files[] entry is `path` or a directory above it.
  bool covers(const std::string& path) const;
  // The role of the most specific files[] entry at or above `path` (the layer the packer puts
  // it in); nullopt when no entry covers it.
  std::optional<FileRole> covering_role(const std::string& path) const;
  // Adds a secret and returns its reference "${secret:NAME}"; NAME is made unique.
  std::string add_secret(std::string name, std::string source, std::string value);
  // Adds an environment variable; a secret one is also added to `secrets` as ENV_<NAME>.
  void add_env(const std::string& name, const std::string& value, bool secret);
};

// The layer of a file whose analyzer knows only where it lies (a library the process maps, a
// file the packer adds for the ELF closure): system in the operating system's own trees (/usr,
// /lib*, /bin, /sbin, /etc), whose files are the same on every host with the same packages and
// are shared by every image of the host; app anywhere else (/opt, /srv, /home, /var, ...),
// where a file belongs to one server and must not make the shared layer differ.
FileRole role_by_location(const std::string& path);

// The layers every server of one runtime has alike (system, runtime, server), as opposed to
// the server's own (app, config): a registry stores them once for a whole fleet.
bool is_shared_layer(FileRole role);

std::string to_string(PortRole role);
std::string to_string(FileRole role);
std::string to_string(VolumeRole role);
std::string to_string(DependencyKind kind);

// The applicationType values analysis.json may hold: "machine" (machine mode, in this library)
// and each analyzer's, registered by the analyzer itself (analyzers/registry.hpp); the library
// keeps no list of its own. A program with analyzers of its own registers their types before it
// writes or reads their analyses. Thread-safe; registering a type twice is harmless.
void register_application_type(const std::string& type);
// The registered types, sorted.
std::vector<std::string> application_types();

// "<type>-<8 hex>": the first 8 hex digits of SHA-256 over type and the instance's identity
// (CATALINA_BASE, the JBoss server base, the .NET app path and its URLs): stable across
// restarts, distinct per installation, never the PID.
std::string make_application_id(const std::string& type, const std::string& identity);

// Serialization. to_json never writes secret values; secrets_json holds them.
nlohmann::json to_json(const Analysis& analysis);
nlohmann::json secrets_json(const Analysis& analysis);

// Parses and validates; the error names the exact field ("ports[2].role: expected one of ...").
Result<Analysis> analysis_from_json(const nlohmann::json& json);

// Where the secrets of the analysis at `analysis_path` are kept, beside it: "analysis.json" keeps
// "secrets.json", any other "NAME.json" keeps "NAME.secrets.json" (so two analyses written into
// one directory never share a secrets file). The one place that decides the name; every command
// that reads or writes secrets asks here, and takes --secrets FILE to override it.
std::string secrets_path_for(const std::string& analysis_path);

// Writes analysis.json (and its secrets file, mode 0600, when there are secrets) atomically, after
// checking that the text reads back (exit 6 naming the field when it would not). Strings that
// are not UTF-8 are escaped (util/json.hpp escape_bytes).
Status save_analysis(const Analysis& analysis, const std::string& path);

// Reads analysis.json and, when it lists secrets, their values from `secrets_path` (empty:
// secrets_path_for(path)). Strings that are not UTF-8 come back as their bytes (util/json.hpp).
Result<Analysis> load_analysis(const std::string& path, const std::string& secrets_path = {});

// Reads analysis.json alone: secret values stay empty (for work that needs none of them, or
// takes them from elsewhere with load_secrets).
Result<Analysis> load_analysis_without_secrets(const std::string& path);

// Fills the values of `analysis.secrets` (and of secret environment variables) from the flat
// JSON object name -> value in `secrets_path`. Only the names in `needed` must be there (all
// of them when `needed` is empty); others are filled when present.
Status load_secrets(Analysis& analysis,
                    const std::string& secrets_path,
                    const std::vector<std::string>& needed = {});

// The image configuration and the Kubernetes manifests are JSON/YAML, Unicode only: the start
// command, working directory, user, environment and secret values that go there must be UTF-8.
// Fails (exit 6) naming the first field that is not, for `target` ("the image configuration").
Status check_utf8_fields(const Analysis& analysis, const std::string& target);

// Now as RFC 3339 UTC ("2026-11-25T22:06:31Z").
std::string utc_now();

} // namespace decant
