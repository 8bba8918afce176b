#include <decant/analysis/analysis.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/json.hpp>
#include <decant/util/strings.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <mutex>
#include <set>

namespace decant {

using nlohmann::json;

namespace {

template<typename Enum, size_t N> struct EnumNames {
  std::array<std::pair<Enum, const char*>, N> names;

  const char*
  name(Enum value) const
  {
    for (const auto& [v, n] : names) {
      if (v == value) {
        return n;
      }
    }
    return "?";
  }

  std::optional<Enum>
  parse(const std::string& text) const
  {
    for (const auto& [v, n] : names) {
      if (text == n) {
        return v;
      }
    }
    return std::nullopt;
  }

  std::string
  list() const
  {
    std::string out;
    for (const auto& [v, n] : names) {
      out += out.empty() ? "" : ", ";
      out += n;
    }
    return out;
  }
};

const EnumNames<PortRole, 7> k_port_roles{{{{PortRole::http, "http"},
                                            {PortRole::https, "https"},
                                            {PortRole::ajp, "ajp"},
                                            {PortRole::shutdown, "shutdown"},
                                            {PortRole::management, "management"},
                                            {PortRole::txn, "txn"},
                                            {PortRole::other, "other"}}}};
const EnumNames<FileRole, 5> k_file_roles{{{{FileRole::system, "system"},
                                            {FileRole::runtime, "runtime"},
                                            {FileRole::server, "server"},
                                            {FileRole::app, "app"},
                                            {FileRole::config, "config"}}}};
const EnumNames<VolumeRole, 4> k_volume_roles{{{{VolumeRole::log, "log"},
                                                {VolumeRole::temp, "temp"},
                                                {VolumeRole::work, "work"},
                                                {VolumeRole::data, "data"}}}};
const EnumNames<DependencyKind, 3> k_dependency_kinds{{{{DependencyKind::database, "database"},
                                                        {DependencyKind::service, "service"},
                                                        {DependencyKind::host, "host"}}}};

struct ApplicationTypes {
  std::mutex mutex;
  std::set<std::string> types{"machine"};
};

ApplicationTypes&
registered_types()
{
  static ApplicationTypes k_types;
  return k_types;
}

// Validation failure with the JSON path of the field at fault.
struct FieldError {
  std::string path;
  std::string message;
};

std::string
json_type(const json& j)
{
  return j.type_name();
}

// Reads typed fields from one JSON object, naming "parent.field" in every error.
class Fields
{
public:
  Fields(const json& object, std::string path)
      : m_object(object),
        m_path(std::move(path))
  {
    if (!m_object.is_object()) {
      throw FieldError{m_path.empty() ? "(document)" : m_path,
                       "expected an object, found " + json_type(m_object)};
    }
  }

  std::string
  at(const std::string& key) const
  {
    return m_path.empty() ? key : m_path + "." + key;
  }

  const json*
  find(const std::string& key) const
  {
    auto it = m_object.find(key);
    return it == m_object.end() || it->is_null() ? nullptr : &*it;
  }

  const json&
  need(const std::string& key) const
  {
    const json* value = find(key);
    if (!value) {
      throw FieldError{at(key), "required field is missing"};
    }
    return *value;
  }

  std::string
  string(const std::string& key, bool required = false, const std::string& fallback = {}) const
  {
    const json* value = required ? &need(key) : find(key);
    if (!value) {
      return fallback;
    }
    if (!value->is_string()) {
      throw FieldError{at(key), "expected a string, found " + json_type(*value)};
    }
    return value->get<std::string>();
  }

  bool
  boolean(const std::string& key, bool fallback = false) const
  {
    const json* value = find(key);
    if (!value) {
      return fallback;
    }
    if (!value->is_boolean()) {
      throw FieldError{at(key), "expected true or false, found " + json_type(*value)};
    }
    return value->get<bool>();
  }

  std::optional<uint64_t>
  unsigned_number(const std::string& key,
                  uint64_t max,
                  bool required = false,
                  uint64_t min = 0) const
  {
    const json* value = required ? &need(key) : find(key);
    if (!value) {
      return std::nullopt;
    }
    if (!value->is_number_integer()
        || (value->is_number_integer() && value->get<int64_t>() < 0
            && !value->is_number_unsigned())) {
      throw FieldError{at(key),
                       "expected a non-negative whole number, found " + quote(dump_json(*value))};
    }
    uint64_t n = value->get<uint64_t>();
    if (n > max) {
      throw FieldError{at(key), fmt::format("{} is larger than {}", n, max)};
    }
    if (n < min) {
      throw FieldError{at(key), fmt::format("{} is smaller than {}", n, min)};
    }
    return n;
  }

  std::vector<std::string>
  strings(const std::string& key) const
  {
    std::vector<std::string> out;
    const json* value = find(key);
    if (!value) {
      return out;
    }
    if (!value->is_array()) {
      throw FieldError{at(key), "expected an array of strings, found " + json_type(*value)};
    }
    for (size_t i = 0; i < value->size(); ++i) {
      if (!(*value)[i].is_string()) {
        throw FieldError{fmt::format("{}[{}]", at(key), i), "expected a string"};
      }
      out.push_back((*value)[i].get<std::string>());
    }
    return out;
  }

  // Calls `each(element, path)` for every element of an array field.
  template<typename F>
  void
  array(const std::string& key, F each) const
  {
    const json* value = find(key);
    if (!value) {
      return;
    }
    if (!value->is_array()) {
      throw FieldError{at(key), "expected an array, found " + json_type(*value)};
    }
    for (size_t i = 0; i < value->size(); ++i) {
      each((*value)[i], fmt::format("{}[{}]", at(key), i));
    }
  }

  template<typename Enum, size_t N>
  Enum
  enumeration(const std::string& key, const EnumNames<Enum, N>& names, Enum fallback) const
  {
    std::string text = string(key);
    if (text.empty()) {
      return fallback;
    }
    auto value = names.parse(text);
    if (!value) {
      throw FieldError{at(key), fmt::format("{} is not one of: {}", quote(text), names.list())};
    }
    return *value;
  }

private:
  const json& m_object;
  std::string m_path;
};

void
check_absolute(const std::string& path, const std::string& field)
{
  if (path.empty() || path[0] != '/') {
    throw FieldError{field, fmt::format("{} is not an absolute path", quote(path))};
  }
  for (const auto& part : split(path, '/')) {
    if (part == "..") {
      throw FieldError{field, fmt::format("{} contains '..'", quote(path))};
    }
  }
  if (path.size() >= PATH_MAX) {
    throw FieldError{field, fmt::format("{} is longer than PATH_MAX", quote(path))};
  }
}

json
optional_number(const std::optional<uint64_t>& value)
{
  return value ? json(*value) : json(nullptr);
}

// schemaVersion, applicationType, applicationId and createdAt.
void
parse_identity(const Fields& top, Analysis& a)
{
  auto version = top.unsigned_number("schemaVersion", 1000, true);
  if (*version != static_cast<uint64_t>(k_schema_version)) {
    throw FieldError{"schemaVersion",
                     fmt::format("version {} is not supported (this decant reads {})",
                                 *version,
                                 k_schema_version)};
  }
  a.schema_version = static_cast<int>(*version);
  a.application_type = top.string("applicationType", true);
  auto known = application_types();
  if (std::find(known.begin(), known.end(), a.application_type) == known.end()) {
    throw FieldError{
        "applicationType",
        fmt::format("{} is not one of: {}", quote(a.application_type), fmt::join(known, ", "))};
  }
  a.application_id = top.string("applicationId", true);
  if (!starts_with(a.application_id, a.application_type + "-")
      || a.application_id.size() != a.application_type.size() + 9
      || a.application_id.find_first_not_of("0123456789abcdef", a.application_type.size() + 1)
             != std::string::npos) {
    throw FieldError{
        "applicationId",
        fmt::format("{} is not <applicationType>-<8 hex digits>", quote(a.application_id))};
  }
  a.created_at = top.string("createdAt");
}

void
parse_source(const Fields& top, Analysis& a)
{
  const json* source = top.find("source");
  if (!source) {
    return;
  }
  Fields s(*source, "source");
  a.source.hostname = s.string("hostname");
  a.source.arch = s.string("arch");
  a.source.kernel = s.string("kernel");
  a.source.timezone = s.string("timezone");
  if (const json* os = s.find("os")) {
    Fields o(*os, "source.os");
    a.source.os = {o.string("id"), o.string("versionId"), o.string("prettyName")};
  }
}

void
parse_process(const Fields& top, Analysis& a)
{
  const json* process = top.find("process");
  if (!process) {
    return;
  }
  Fields p(*process, "process");
  a.process.pid = static_cast<int>(p.unsigned_number("pid", 0x7fffffff).value_or(0));
  a.process.start_time = p.unsigned_number("startTime", UINT64_MAX).value_or(0);
  a.process.exe = p.string("exe");
  a.process.cmdline = p.strings("cmdline");
  a.process.cwd = p.string("cwd");
  a.process.uid = static_cast<uint32_t>(p.unsigned_number("uid", UINT32_MAX).value_or(0));
  a.process.gid = static_cast<uint32_t>(p.unsigned_number("gid", UINT32_MAX).value_or(0));
  a.process.user = p.string("user");
  a.process.group = p.string("group");
  a.process.groups = p.strings("groups");
  a.process.capabilities = p.strings("capabilities");
  if (const json* limits = p.find("limits")) {
    Fields l(*limits, "process.limits");
    if (const json* open = l.find("openFiles")) {
      Fields o(*open, "process.limits.openFiles");
      a.process.open_files.soft = o.unsigned_number("soft", UINT64_MAX);
      a.process.open_files.hard = o.unsigned_number("hard", UINT64_MAX);
    }
  }
}

// name and version; whatever else the analyzer wrote stays as details.
void
parse_runtime(const Fields& top, Analysis& a)
{
  if (const json* runtime = top.find("runtime")) {
    Fields r(*runtime, "runtime");
    a.runtime.name = r.string("name");
    a.runtime.version = r.string("version");
    a.runtime.details = *runtime;
    a.runtime.details.erase("name");
    a.runtime.details.erase("version");
  }
}

void
parse_resources(const Fields& top, Analysis& a)
{
  const json* resources = top.find("resources");
  if (!resources) {
    return;
  }
  Fields r(*resources, "resources");
  a.resources.peak_rss_bytes = r.unsigned_number("peakRssBytes", UINT64_MAX);
  a.resources.heap_max_bytes = r.unsigned_number("heapMaxBytes", UINT64_MAX);
  if (const json* cpus = r.find("cpus")) {
    if (!cpus->is_number() || cpus->get<double>() <= 0) {
      throw FieldError{"resources.cpus", "expected a positive number"};
    }
    a.resources.cpus = cpus->get<double>();
  }
}

Port
parse_port(const Fields& f)
{
  Port port;
  port.port = static_cast<uint16_t>(*f.unsigned_number("port", 65535, true, 1));
  port.protocol = f.string("protocol", false, "tcp");
  if (port.protocol != "tcp" && port.protocol != "udp") {
    throw FieldError{f.at("protocol"), "expected \"tcp\" or \"udp\""};
  }
  port.address = f.string("address");
  port.role = f.enumeration("role", k_port_roles, PortRole::other);
  port.expose = f.boolean("expose");
  port.listening = f.boolean("listening");
  port.source = f.string("source");
  port.name = f.string("name");
  port.value_source = f.string("valueSource");
  return port;
}

// Names only: the values are in the secrets file.
void
parse_secrets(const Fields& top, Analysis& a)
{
  top.array("secrets", [&](const json& item, const std::string& path) {
    Fields f(item, path);
    std::string name = f.string("name", true);
    if (name.empty()) {
      throw FieldError{f.at("name"), "a secret needs a name (its key in the secrets file)"};
    }
    for (const auto& other : a.secrets) {
      if (other.name == name) {
        throw FieldError{f.at("name"),
                         fmt::format("{} is listed twice; each secret has one value", quote(name))};
      }
    }
    a.secrets.push_back({name, f.string("source"), ""});
  });
}

// One variable; a secret one refers to an entry of "secrets" (parsed before).
EnvVar
parse_env_var(const Fields& f, const Analysis& a)
{
  EnvVar var;
  var.name = f.string("name", true);
  if (var.name.empty() || var.name.find('=') != std::string::npos) {
    throw FieldError{f.at("name"), fmt::format("{} is not a variable name", quote(var.name))};
  }
  var.secret = f.boolean("secret");
  if (var.secret) {
    if (f.find("value")) {
      throw FieldError{f.at("value"),
                       "a secret's value belongs in secrets.json, not analysis.json"};
    }
    std::string ref = f.string("secretRef", true);
    bool listed = std::any_of(
        a.secrets.begin(), a.secrets.end(), [&](const Secret& s) { return s.name == ref; });
    if (!listed) {
      throw FieldError{f.at("secretRef"),
                       fmt::format("{} is not listed in \"secrets\"", quote(ref))};
    }
    var.secret_ref = ref; // the value comes from secrets.json
  } else {
    var.value = f.string("value");
  }
  for (const auto& other : a.env) {
    if (other.name == var.name) {
      throw FieldError{
          f.at("name"),
          fmt::format("{} is set twice; a process has one value per variable", quote(var.name))};
    }
  }
  return var;
}

void
parse_start(const Fields& top, Analysis& a)
{
  if (const json* start = top.find("start")) {
    Fields s(*start, "start");
    a.start.command = s.strings("command");
    a.start.working_dir = s.string("workingDir");
    if (!a.start.working_dir.empty()) {
      check_absolute(a.start.working_dir, "start.workingDir");
    }
    a.start.user = s.string("user");
    a.start.groups = s.strings("groups");
  }
  if (a.application_type != "machine" && a.start.command.empty()) {
    throw FieldError{"start.command", "the start command is empty: the image would not start"};
  }
}

FileEntry
parse_file(const Fields& f)
{
  FileEntry entry;
  entry.path = f.string("path", true);
  check_absolute(entry.path, f.at("path"));
  entry.reason = f.string("reason");
  entry.role = f.enumeration("role", k_file_roles, FileRole::app);
  entry.secret = f.boolean("secret");
  entry.optional = f.boolean("optional");
  f.array("externalize", [&](const json& edit_item, const std::string& edit_path) {
    Fields e(edit_item, edit_path);
    ArchiveSecret edit;
    edit.entry = e.string("entry", true);
    edit.line = static_cast<int>(*e.unsigned_number("line", 0x7fffffff, true));
    edit.element = e.string("element", true);
    edit.attribute = e.string("attribute", true);
    edit.secret = e.string("secret");
    edit.replacement = e.string("replacement", true);
    entry.externalize.push_back(edit);
  });
  return entry;
}

Volume
parse_volume(const Fields& f)
{
  Volume volume;
  volume.path = f.string("path", true);
  check_absolute(volume.path, f.at("path"));
  volume.role = f.enumeration("role", k_volume_roles, VolumeRole::data);
  volume.uid = static_cast<uint32_t>(f.unsigned_number("uid", UINT32_MAX).value_or(0));
  volume.gid = static_cast<uint32_t>(f.unsigned_number("gid", UINT32_MAX).value_or(0));
  std::string mode = f.string("mode", false, "0755");
  auto parsed = parse_u64(mode, 8);
  if (!parsed || *parsed > 07777) {
    throw FieldError{f.at("mode"),
                     fmt::format("{} is not an octal mode like \"0750\"", quote(mode))};
  }
  volume.mode = static_cast<uint32_t>(*parsed);
  volume.reason = f.string("reason");
  return volume;
}

Dependency
parse_dependency(const Fields& f)
{
  Dependency dep;
  dep.kind = f.enumeration("kind", k_dependency_kinds, DependencyKind::service);
  dep.host = f.string("host", true);
  dep.port = static_cast<uint16_t>(f.unsigned_number("port", 65535).value_or(0));
  dep.source = f.string("source");
  return dep;
}

// Calls `parse(fields)` for each element of the array `key` and appends what it returns.
template<typename T, typename Parse>
void
parse_list(const Fields& top, const std::string& key, std::vector<T>& out, Parse parse)
{
  top.array(key, [&](const json& item, const std::string& path) {
    out.push_back(parse(Fields(item, path)));
  });
}

// The document's sections in the order they are written, so the first error met is the
// first one in the file.
Analysis
parse(const json& document)
{
  Analysis a;
  Fields top(document, "");
  parse_identity(top, a);
  parse_source(top, a);
  parse_process(top, a);
  parse_runtime(top, a);
  parse_resources(top, a);
  parse_list(top, "ports", a.ports, parse_port);
  parse_secrets(top, a);
  parse_list(top, "env", a.env, [&](const Fields& f) { return parse_env_var(f, a); });
  parse_list(top, "envDropped", a.env_dropped, [](const Fields& f) {
    return DroppedEnvVar{f.string("name", true), f.string("value"), f.string("reason")};
  });
  parse_start(top, a);
  parse_list(top, "files", a.files, parse_file);
  parse_list(top, "volumes", a.volumes, parse_volume);
  parse_list(top, "exclude", a.exclude, [](const Fields& f) {
    return Exclusion{f.string("path", true), f.string("reason")};
  });
  parse_list(top, "dependencies", a.dependencies, parse_dependency);
  parse_list(top, "warnings", a.warnings, [](const Fields& f) {
    return Warning{f.string("code"), f.string("message", true)};
  });
  if (const json* extensions = top.find("extensions")) {
    if (!extensions->is_object()) {
      throw FieldError{"extensions", "expected an object"};
    }
    a.extensions = *extensions;
  }
  return a;
}

} // namespace

std::string
to_string(PortRole role)
{
  return k_port_roles.name(role);
}

FileRole
role_by_location(const std::string& path)
{
  for (const char* tree :
       {"/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin", "/etc"}) {
    size_t n = std::strlen(tree);
    if (path.compare(0, n, tree) == 0 && (path.size() == n || path[n] == '/')) {
      return FileRole::system;
    }
  }
  return FileRole::app;
}

bool
is_shared_layer(FileRole role)
{
  return role == FileRole::system || role == FileRole::runtime || role == FileRole::server;
}

std::string
to_string(FileRole role)
{
  return k_file_roles.name(role);
}

std::string
to_string(VolumeRole role)
{
  return k_volume_roles.name(role);
}

std::string
to_string(DependencyKind kind)
{
  return k_dependency_kinds.name(kind);
}

void
Analysis::warn(std::string code, std::string message)
{
  for (const auto& w : warnings) {
    if (w.code == code && w.message == message) {
      return;
    }
  }
  warnings.push_back({std::move(code), std::move(message)});
}

void
Analysis::add_file(FileEntry entry)
{
  for (const auto& f : files) {
    if (f.path == entry.path) {
      return;
    }
  }
  files.push_back(std::move(entry));
}

bool
Analysis::covers(const std::string& path) const
{
  return covering_role(path).has_value();
}

std::optional<FileRole>
Analysis::covering_role(const std::string& path) const
{
  size_t best = 0;
  std::optional<FileRole> role;
  for (const auto& file : files) {
    if (path_within(path, file.path) && file.path.size() >= best) {
      best = file.path.size();
      role = file.role;
    }
  }
  return role;
}

std::string
Analysis::add_secret(std::string name, std::string source, std::string value)
{
  for (auto& c : name) {
    c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c)) : '_';
  }
  for (const auto& s : secrets) {
    if (s.value == value && s.source == source) {
      return "${secret:" + s.name + "}";
    }
  }
  std::string unique = name;
  for (int n = 2; std::any_of(
           secrets.begin(), secrets.end(), [&](const Secret& s) { return s.name == unique; });
       ++n) {
    unique = name + "_" + std::to_string(n);
  }
  secrets.push_back({unique, std::move(source), std::move(value)});
  return "${secret:" + unique + "}";
}

void
Analysis::add_env(const std::string& name, const std::string& value, bool secret)
{
  // An environment block may repeat a name (execve does not check); getenv(3) and the
  // runtimes see the first one, so that is the one kept.
  for (const auto& existing : env) {
    if (existing.name == name) {
      warn("duplicate-env",
           fmt::format("{} is set twice in the environment; the first value is kept", quote(name)));
      return;
    }
  }
  EnvVar var{name, value, secret, ""};
  if (secret) {
    std::string ref = add_secret("ENV_" + name, "env:" + name, value);
    var.secret_ref = ref.substr(9, ref.size() - 10); // strip "${secret:" and "}"
  }
  env.push_back(std::move(var));
}

void
register_application_type(const std::string& type)
{
  auto& registered = registered_types();
  std::lock_guard<std::mutex> lock(registered.mutex);
  registered.types.insert(type);
}

std::vector<std::string>
application_types()
{
  auto& registered = registered_types();
  std::lock_guard<std::mutex> lock(registered.mutex);
  return {registered.types.begin(), registered.types.end()};
}

std::string
make_application_id(const std::string& type, const std::string& identity)
{
  return type + "-" + sha256_hex(type + "\n" + identity).substr(0, 8);
}

namespace {

json
source_json(const SourceInfo& s)
{
  return {
      {"hostname", s.hostname},
      {"os", {{"id", s.os.id}, {"versionId", s.os.version_id}, {"prettyName", s.os.pretty_name}}},
      {"arch", s.arch},
      {"kernel", s.kernel},
      {"timezone", s.timezone}};
}

json
process_json(const ProcessSummary& p)
{
  return {{"pid", p.pid},
          {"startTime", p.start_time},
          {"exe", p.exe},
          {"cmdline", p.cmdline},
          {"cwd", p.cwd},
          {"uid", p.uid},
          {"gid", p.gid},
          {"user", p.user},
          {"group", p.group},
          {"groups", p.groups},
          {"capabilities", p.capabilities},
          {"limits",
           {{"openFiles",
             {{"soft", optional_number(p.open_files.soft)},
              {"hard", optional_number(p.open_files.hard)}}}}}};
}

json
runtime_json(const RuntimeInfo& r)
{
  json runtime = r.details.is_object() ? r.details : json::object();
  runtime["name"] = r.name;
  runtime["version"] = r.version;
  return runtime;
}

json
resources_json(const Resources& r)
{
  return {{"peakRssBytes", optional_number(r.peak_rss_bytes)},
          {"heapMaxBytes", optional_number(r.heap_max_bytes)},
          {"cpus", r.cpus ? json(*r.cpus) : json(nullptr)}};
}

json
port_json(const Port& p)
{
  json port = {{"port", p.port},
               {"protocol", p.protocol},
               {"address", p.address},
               {"role", to_string(p.role)},
               {"expose", p.expose},
               {"listening", p.listening},
               {"source", p.source}};
  if (!p.name.empty()) {
    port["name"] = p.name;
  }
  if (!p.value_source.empty()) {
    port["valueSource"] = p.value_source;
  }
  return port;
}

// A secret variable names its entry of "secrets"; its value stays in the secrets file.
json
env_var_json(const EnvVar& e)
{
  if (e.secret) {
    return {{"name", e.name}, {"secret", true}, {"secretRef", e.secret_ref}};
  }
  return {{"name", e.name}, {"value", e.value}};
}

json
start_json(const StartCommand& s)
{
  return {{"command", s.command},
          {"workingDir", s.working_dir},
          {"user", s.user},
          {"groups", s.groups}};
}

json
file_json(const FileEntry& f)
{
  json file = {{"path", f.path}, {"reason", f.reason}, {"role", to_string(f.role)}};
  if (f.secret) {
    file["secret"] = true;
  }
  if (f.optional) {
    file["optional"] = true;
  }
  if (!f.externalize.empty()) {
    file["externalize"] = json::array();
    for (const auto& e : f.externalize) {
      file["externalize"].push_back({{"entry", e.entry},
                                     {"line", e.line},
                                     {"element", e.element},
                                     {"attribute", e.attribute},
                                     {"secret", e.secret},
                                     {"replacement", e.replacement}});
    }
  }
  return file;
}

json
volume_json(const Volume& v)
{
  return {{"path", v.path},
          {"role", to_string(v.role)},
          {"uid", v.uid},
          {"gid", v.gid},
          {"mode", fmt::format("{:04o}", v.mode)},
          {"reason", v.reason}};
}

json
dependency_json(const Dependency& d)
{
  return {{"kind", to_string(d.kind)}, {"host", d.host}, {"port", d.port}, {"source", d.source}};
}

// A JSON array of `to_item(element)` for each element (an empty array for none).
template<typename T, typename ToItem>
json
list_json(const std::vector<T>& items, ToItem to_item)
{
  json out = json::array();
  for (const auto& item : items) {
    out.push_back(to_item(item));
  }
  return out;
}

} // namespace

json
to_json(const Analysis& a)
{
  json j = json::object();
  j["schemaVersion"] = a.schema_version;
  j["applicationId"] = a.application_id;
  j["applicationType"] = a.application_type;
  j["createdAt"] = a.created_at;
  j["source"] = source_json(a.source);
  j["process"] = process_json(a.process);
  j["runtime"] = runtime_json(a.runtime);
  j["resources"] = resources_json(a.resources);
  j["ports"] = list_json(a.ports, port_json);
  j["env"] = list_json(a.env, env_var_json);
  if (!a.env_dropped.empty()) {
    j["envDropped"] = list_json(a.env_dropped, [](const DroppedEnvVar& e) -> json {
      return {{"name", e.name}, {"value", e.value}, {"reason", e.reason}};
    });
  }
  j["secrets"] = list_json(a.secrets, [](const Secret& s) -> json {
    return {{"name", s.name}, {"source", s.source}};
  });
  j["start"] = start_json(a.start);
  j["files"] = list_json(a.files, file_json);
  j["volumes"] = list_json(a.volumes, volume_json);
  j["exclude"] = list_json(a.exclude, [](const Exclusion& e) -> json {
    return {{"path", e.path}, {"reason", e.reason}};
  });
  j["dependencies"] = list_json(a.dependencies, dependency_json);
  j["warnings"] = list_json(a.warnings, [](const Warning& w) -> json {
    return {{"code", w.code}, {"message", w.message}};
  });
  if (!a.extensions.empty()) {
    j["extensions"] = a.extensions;
  }
  return j;
}

json
secrets_json(const Analysis& a)
{
  json j = json::object();
  for (const auto& s : a.secrets) {
    j[s.name] = s.value;
  }
  return j;
}

Result<Analysis>
analysis_from_json(const json& document)
{
  try {
    return parse(document);
  } catch (const FieldError& error) {
    return fail(Error(ErrorCode::invalid_input,
                      fmt::format("{}: {}", error.path, error.message),
                      "fix the field in analysis.json (docs/analysis-json.md describes each "
                      "field), or run `decant analyze` again"));
  } catch (const json::exception& error) {
    return fail(ErrorCode::invalid_input, "{}", shorten(error.what()));
  }
}

std::string
secrets_path_for(const std::string& analysis_path)
{
  size_t slash = analysis_path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : analysis_path.substr(0, slash + 1);
  std::string name = slash == std::string::npos ? analysis_path : analysis_path.substr(slash + 1);
  // analysis.json keeps secrets.json; any other NAME.json gets NAME.secrets.json, so analyses
  // written side by side never share (and overwrite) one secrets file.
  if (name == "analysis.json" || name.empty()) {
    return dir + "secrets.json";
  }
  if (ends_with(name, ".json") && name.size() > 5) {
    name.resize(name.size() - 5);
  }
  return dir + name + ".secrets.json";
}

namespace {

// analysis.json's text into an Analysis, as loading does; also run on the text about to be
// written, so what decant writes it reads back.
Result<Analysis>
read_back(const std::string& text, const std::string& path)
{
  auto document = parse_json(text, path);
  if (!document) {
    Error error = document.error();
    error.hint = "fix the syntax, or run `decant analyze` again";
    return fail(error);
  }
  if (auto status = unescape_invalid_utf8(*document, path); !status) {
    return fail(status.error());
  }
  auto analysis = analysis_from_json(*document);
  if (!analysis) {
    return fail(analysis.error().context(path));
  }
  return analysis;
}

} // namespace

Status
save_analysis(const Analysis& analysis, const std::string& path)
{
  // Refused before anything is written: an analysis that `decant pack` would refuse (a value
  // from odd /proc content, an edited field out of range) is not written at all.
  std::string text = dump_json(to_json(analysis), 2) + "\n";
  if (auto back = read_back(text, path); !back) {
    Error error = back.error();
    error.message = "cannot write an analysis that reads back: " + error.message;
    error.hint = "the source has a value analysis.json cannot hold; the message names it";
    return fail(error);
  }
  // Both files go to temporary names first and are renamed together: a failure (a full disk)
  // leaves neither a secrets file without its analysis nor an analysis with another's secrets.
  std::string secrets_path = secrets_path_for(path);
  std::string pending_secrets = secrets_path + ".decant-new";
  std::string pending_analysis = path + ".decant-new";
  if (!analysis.secrets.empty()) {
    auto written =
        write_file_atomic(pending_secrets, dump_json(secrets_json(analysis), 2) + "\n", 0600);
    if (!written) {
      return written;
    }
  }
  if (auto written = write_file_atomic(pending_analysis, text, 0644); !written) {
    ::unlink(pending_secrets.c_str());
    return written;
  }
  if (!analysis.secrets.empty() && ::rename(pending_secrets.c_str(), secrets_path.c_str()) != 0) {
    int err = errno;
    ::unlink(pending_secrets.c_str());
    ::unlink(pending_analysis.c_str());
    return fail(errno_error("cannot rename to", secrets_path, err));
  }
  if (::rename(pending_analysis.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(pending_analysis.c_str());
    return fail(errno_error("cannot rename to", path, err));
  }
  return {};
}

Result<Analysis>
load_analysis_without_secrets(const std::string& path)
{
  auto content = read_file(path);
  if (!content) {
    return fail(content.error());
  }
  return read_back(*content, path);
}

Status
load_secrets(Analysis& analysis,
             const std::string& secrets_path,
             const std::vector<std::string>& needed)
{
  auto secrets_content = read_file(secrets_path);
  if (!secrets_content) {
    Error error = secrets_content.error();
    std::vector<std::string> names = needed;
    if (names.empty()) {
      for (const auto& secret : analysis.secrets) {
        names.push_back(secret.name);
      }
    }
    error.message =
        fmt::format("the secrets {} are needed but {}", join(names, ", "), error.message);
    error.hint = "keep the secrets file written by `decant analyze` beside analysis.json, or name "
                 "it with --secrets FILE";
    return fail(error);
  }
  // parse_json never quotes the text around an error: here it would be a secret's value.
  auto parsed = parse_json(*secrets_content, secrets_path);
  if (!parsed) {
    return fail(parsed.error());
  }
  json secrets = std::move(*parsed);
  if (auto status = unescape_invalid_utf8(secrets, secrets_path); !status) {
    return fail(status.error());
  }
  if (!secrets.is_object()) {
    return fail(Error(ErrorCode::invalid_input,
                      fmt::format("{}: expected one JSON object of name -> value", secrets_path),
                      "the file `decant analyze` writes has that shape; restore it"));
  }
  for (auto& secret : analysis.secrets) {
    auto it = secrets.find(secret.name);
    bool must =
        needed.empty() || std::find(needed.begin(), needed.end(), secret.name) != needed.end();
    if (it == secrets.end() || !it->is_string()) {
      if (must) {
        return fail(ErrorCode::invalid_input,
                    "{}: secret {} is listed in the analysis but has no string value here",
                    secrets_path,
                    quote(secret.name));
      }
      continue;
    }
    secret.value = it->get<std::string>();
  }
  for (auto& var : analysis.env) {
    if (var.secret) {
      for (const auto& secret : analysis.secrets) {
        if (secret.name == var.secret_ref) {
          var.value = secret.value;
          break;
        }
      }
    }
  }
  return {};
}

Result<Analysis>
load_analysis(const std::string& path, const std::string& secrets_path)
{
  auto analysis = load_analysis_without_secrets(path);
  if (!analysis || analysis->secrets.empty()) {
    return analysis;
  }
  if (auto status =
          load_secrets(*analysis, secrets_path.empty() ? secrets_path_for(path) : secrets_path);
      !status) {
    Error error = status.error();
    if (error.code != ErrorCode::invalid_input) {
      error.message =
          fmt::format("{} lists {} secret(s): {}", path, analysis->secrets.size(), error.message);
    }
    return fail(error);
  }
  return analysis;
}

Status
check_utf8_fields(const Analysis& analysis, const std::string& target)
{
  auto refuse = [&](const std::string& field, const std::string& value) {
    return fail(
        Error(ErrorCode::invalid_input,
              fmt::format("{} is not UTF-8 ({}): {} cannot hold it", field, quote(value), target),
              "edit the field in analysis.json (docs/analysis-json.md, \"Bytes that are "
              "not UTF-8\"); file names may keep any bytes"));
  };
  for (size_t i = 0; i < analysis.start.command.size(); ++i) {
    if (!is_valid_utf8(analysis.start.command[i])) {
      return refuse(fmt::format("start.command[{}]", i), analysis.start.command[i]);
    }
  }
  for (const auto& [field, value] : {std::pair{"start.workingDir", &analysis.start.working_dir},
                                     std::pair{"start.user", &analysis.start.user}}) {
    if (!is_valid_utf8(*value)) {
      return refuse(field, *value);
    }
  }
  for (size_t i = 0; i < analysis.env.size(); ++i) {
    const auto& var = analysis.env[i];
    if (!is_valid_utf8(var.name)) {
      return refuse(fmt::format("env[{}].name", i), var.name);
    }
    if (!var.secret && !is_valid_utf8(var.value)) {
      return refuse(fmt::format("env[{}].value", i), var.value);
    }
  }
  for (const auto& secret : analysis.secrets) {
    if (!is_valid_utf8(secret.value)) {
      // The value itself is never shown.
      return fail(Error(ErrorCode::invalid_input,
                        fmt::format("the value of secret {} is not UTF-8: {} cannot hold it",
                                    quote(secret.name),
                                    target),
                        "edit it in the secrets file"));
    }
  }
  return {};
}

std::string
utc_now()
{
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

} // namespace decant
