#include <decant/deploy/k8s_names.hpp>
#include <decant/deploy/kubernetes.hpp>
#include <decant/registry/auth.hpp> // base64_encode
#include <decant/util/strings.hpp>

#include <fmt/format.h>

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <regex>
#include <set>

namespace decant {

// Ordered: apiVersion, kind, metadata, spec read top-down as in every Kubernetes example.
using json = nlohmann::ordered_json;

namespace {

constexpr uint64_t k_mib = 1024 * 1024;

// A DNS-1123 label (Deployment, Service, volume and port names): lower-case alphanumerics and
// '-', starting and ending alphanumeric, at most `max` characters.
std::string
dns_label(const std::string& text, size_t max = 63)
{
  std::string out;
  for (char c : text) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += std::isalnum(static_cast<unsigned char>(l)) ? l : '-';
  }
  while (out.size() > max) {
    out.pop_back();
  }
  while (!out.empty() && out.back() == '-') {
    out.pop_back();
  }
  size_t start = out.find_first_not_of('-');
  return start == std::string::npos ? "" : out.substr(start);
}

bool
is_dns_label(const std::string& text)
{
  return !text.empty() && text.size() <= 63 && dns_label(text) == text;
}

void
emit(YAML::Emitter& out, const json& value)
{
  switch (value.type()) {
  case json::value_t::object:
    if (value.empty()) {
      out << YAML::Flow << YAML::BeginMap << YAML::EndMap; // "emptyDir: {}"
      break;
    }
    out << YAML::BeginMap;
    for (const auto& [key, item] : value.items()) {
      out << YAML::Key << key << YAML::Value;
      emit(out, item);
    }
    out << YAML::EndMap;
    break;
  case json::value_t::array:
    out << YAML::BeginSeq;
    for (const auto& item : value) {
      emit(out, item);
    }
    out << YAML::EndSeq;
    break;
  case json::value_t::string: {
    const std::string& s = value.get_ref<const std::string&>();
    // Plain only when YAML reads it back as this same string (not a number, bool or null).
    static const std::regex k_plain_other(
        R"(^(?:[-+]?(?:\.?[0-9].*)|~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N|\.inf|\.nan|[-+]?\.inf|[-+]?\.Inf|\.NaN|<<|=)$)");
    if (s.empty() || std::regex_match(s, k_plain_other)) {
      out << YAML::DoubleQuoted << s;
    } else {
      out << s;
    }
    break;
  }
  case json::value_t::boolean:
    out << value.get<bool>();
    break;
  case json::value_t::number_integer:
    out << value.get<int64_t>();
    break;
  case json::value_t::number_unsigned:
    out << value.get<uint64_t>();
    break;
  case json::value_t::number_float:
    out << value.get<double>();
    break;
  default:
    out << YAML::Null;
  }
}

std::string
port_name(const Port& port, std::set<std::string>& used, k8s::Renames& renames)
{
  // IANA_SVC_NAME (k8s_names.hpp); the configuration's own name is kept in the annotation.
  std::string base = port.name.empty() ? to_string(port.role) : port.name;
  base = k8s::iana_svc_name(base, "");
  if (base.empty() || base == "other") {
    base = fmt::format("port-{}", port.port);
  }
  std::string name = k8s::unique(base, used, 15, k8s::is_iana_svc_name);
  if (!port.name.empty()) {
    renames.add("port", name, port.name);
  }
  return name;
}

// A path known to answer HTTP: --probe-path, else what `decant verify` recorded in
// extensions.verify.httpPath (written by the verification stage when a path answered).
std::string
known_http_path(const Analysis& analysis, const DeployOptions& options)
{
  if (!options.probe_path.empty()) {
    return options.probe_path;
  }
  const json& ext = analysis.extensions;
  for (const char* section : {"verify", "probe"}) {
    if (ext.contains(section) && ext[section].is_object()) {
      const json& s = ext[section];
      if (s.contains("httpPath") && s["httpPath"].is_string()) {
        return s["httpPath"].get<std::string>();
      }
    }
  }
  return {};
}

// The command of a machine-level image: the init and the entry script decant's machine mode
// puts in the image, read from extensions.machine (command, or init + entrypoint/entryScript).
std::vector<std::string>
machine_command(const Analysis& analysis)
{
  const json& ext = analysis.extensions;
  if (!ext.contains("machine") || !ext["machine"].is_object()) {
    return {};
  }
  const json& m = ext["machine"];
  std::vector<std::string> command;
  if (m.contains("command") && m["command"].is_array()) {
    for (const auto& part : m["command"]) {
      if (part.is_string()) {
        command.push_back(part.get<std::string>());
      }
    }
    return command;
  }
  for (const char* key : {"init", "entrypoint", "entryScript"}) {
    if (m.contains(key) && m[key].is_string()) {
      command.push_back(m[key].get<std::string>());
    }
  }
  return command;
}

std::vector<int64_t>
numeric_groups(const std::vector<std::string>& groups,
               uint32_t primary,
               const std::string& primary_name,
               const std::map<std::string, uint32_t>& known,
               std::vector<std::string>& unnamed)
{
  std::vector<int64_t> out;
  for (const auto& group : groups) {
    std::optional<uint64_t> gid = parse_u64(group);
    if (auto it = known.find(group); !gid && it != known.end()) {
      gid = it->second;
    }
    if (group == primary_name) {
      continue; // the primary group is runAsGroup already
    }
    if (!gid) {
      unnamed.push_back(group);
    } else if (*gid != primary
               && std::find(out.begin(), out.end(), static_cast<int64_t>(*gid)) == out.end()) {
      out.push_back(static_cast<int64_t>(*gid));
    }
  }
  return out;
}

// The container's command and args. An application image's Cmd is start.command, behind its
// Entrypoint when decant-init forwards the log files (pack --logs stdout): the Deployment gives
// `args` only, which replace the Cmd and keep whatever Entrypoint the image has. A machine
// image is started by the command it names.
struct ContainerCommand {
  json command = json::array();
  json args = json::array();
  std::vector<std::string> secrets; // the ${secret:NAME} the start command refers to
};

ContainerCommand
split_container_argv(const Analysis& a, const std::vector<std::string>& argv)
{
  ContainerCommand out;
  bool machine = a.application_type == "machine" && !machine_command(a).empty();
  for (size_t i = 0; i < argv.size(); ++i) {
    (machine && i == 0 ? out.command : out.args)
        .push_back(container_argument(argv[i], out.secrets));
  }
  return out;
}

// A file marked secret that --externalize-secrets leaves out of the image, so the pod mounts it
// from a Secret; an archive listing externalize edits is in the image with its values replaced.
bool
mounted_secret_file(const FileEntry& file)
{
  return file.secret && file.externalize.empty();
}

// The files --externalize-secrets mounts from the one Secret, each by subPath at its path.
struct SecretFileMounts {
  json& data;   // the Secret's data: key -> base64
  json& mounts; // the container's volumeMounts
  json items;   // the secret volume's items
  std::set<std::string> keys;
  uint64_t total = 0;

  void
  add(const std::string& path, const std::string& content)
  {
    std::string key = dns_label(path.substr(1), 200);
    for (int n = 2; keys.count(key); ++n) {
      key = fmt::format("{}-{}", dns_label(path.substr(1), 200), n);
    }
    keys.insert(key);
    total += content.size();
    data[key] = base64_encode(content);
    items.push_back({{"key", key}, {"path", key}});
    mounts.push_back(
        {{"name", "secret-files"}, {"mountPath", path}, {"subPath", key}, {"readOnly", true}});
  }
};

} // namespace

Status
read_secret_files(const Analysis& analysis, const HostRoot& root, DeployOptions& options)
{
  for (const auto& file : analysis.files) {
    if (!mounted_secret_file(file)) {
      continue;
    }
    if (!root.is_directory(file.path)) {
      auto content = root.read_file(file.path);
      if (!content) {
        return fail(content.error().context("secret file " + file.path));
      }
      options.secret_files[file.path] = std::move(*content);
      continue;
    }
    options.secret_directories.insert(file.path);
    // The regular files below it, a few levels deep (a key ring is flat).
    std::vector<std::pair<std::string, int>> todo = {{file.path, 0}};
    while (!todo.empty()) {
      auto [dir, depth] = todo.back();
      todo.pop_back();
      auto names = root.list_directory(dir);
      if (!names) {
        return fail(names.error().context("secret directory " + file.path));
      }
      for (const auto& entry : *names) {
        std::string path = dir + "/" + entry;
        auto st = root.lstat(path);
        if (!st) {
          continue;
        }
        if (S_ISDIR(st->st_mode) && depth < 4) {
          todo.emplace_back(path, depth + 1);
        } else if (S_ISREG(st->st_mode)) {
          auto content = root.read_file(path);
          if (!content) {
            return fail(content.error().context("secret directory " + file.path));
          }
          options.secret_files[path] = std::move(*content);
        }
      }
    }
  }
  return {};
}

std::string
to_yaml(const json& object)
{
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetSeqFormat(YAML::Block);
  out.SetMapFormat(YAML::Block);
  emit(out, object);
  return std::string(out.c_str()) + "\n";
}

std::string
memory_quantity(uint64_t bytes)
{
  uint64_t mib = (bytes + k_mib - 1) / k_mib;
  if (mib > 0 && mib % 1024 == 0) {
    return fmt::format("{}Gi", mib / 1024);
  }
  return fmt::format("{}Mi", mib);
}

std::string
cpu_quantity(double cpus)
{
  auto milli = static_cast<int64_t>(std::ceil(cpus * 1000 - 1e-9));
  if (milli < 1) {
    milli = 1;
  }
  if (milli % 1000 == 0) {
    return fmt::format("{}", milli / 1000);
  }
  return fmt::format("{}m", milli);
}

std::optional<uint64_t>
parse_memory_quantity(const std::string& text)
{
  static const std::pair<const char*, uint64_t> k_suffixes[] = {{"Ki", 1ull << 10},
                                                                {"Mi", 1ull << 20},
                                                                {"Gi", 1ull << 30},
                                                                {"Ti", 1ull << 40},
                                                                {"K", 1000ull},
                                                                {"k", 1000ull},
                                                                {"M", 1000000ull},
                                                                {"G", 1000000000ull},
                                                                {"T", 1000000000000ull}};
  for (const auto& [suffix, factor] : k_suffixes) {
    if (ends_with(text, suffix)) {
      auto n = parse_u64(text.substr(0, text.size() - std::string(suffix).size()));
      if (!n || *n == 0) {
        return std::nullopt;
      }
      return *n * factor;
    }
  }
  auto n = parse_u64(text);
  if (!n || *n == 0) {
    return std::nullopt;
  }
  return n;
}

std::string
expand_kubernetes_references(
    const std::string& text,
    const std::function<std::optional<std::string>(const std::string&)>& lookup)
{
  // Kubernetes' expansion (third_party/forked/golang/expansion): "$$" is "$", "$(NAME)" is the
  // variable's value or stays as written when there is none, any other "$" stays.
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    char next = text[i + 1];
    if (next == '$') {
      out += '$';
      ++i;
    } else if (next == '(') {
      size_t close = text.find(')', i + 2);
      if (close == std::string::npos) {
        out += "$(";
        ++i;
        continue;
      }
      std::string name = text.substr(i + 2, close - i - 2);
      auto value = lookup(name);
      out += value ? *value : "$(" + name + ")";
      i = close;
    } else {
      out += '$';
      out += next;
      ++i;
    }
  }
  return out;
}

std::string
container_argument(const std::string& argument, std::vector<std::string>& secrets)
{
  std::string out;
  size_t i = 0;
  while (i < argument.size()) {
    if (argument.compare(i, 9, "${secret:") == 0) {
      size_t close = argument.find('}', i + 9);
      if (close != std::string::npos) {
        std::string name = argument.substr(i + 9, close - i - 9);
        if (std::find(secrets.begin(), secrets.end(), name) == secrets.end()) {
          secrets.push_back(name);
        }
        out += "$(" + name + ")";
        i = close + 1;
        continue;
      }
    }
    // Kubernetes reads "$$" as an escaped "$" and "$(NAME)" as a reference: a literal '$'
    // before either is doubled so the container gets the argument unchanged.
    if (argument[i] == '$' && i + 1 < argument.size()
        && (argument[i + 1] == '(' || argument[i + 1] == '$')) {
      out += "$$";
      ++i;
      continue;
    }
    out += argument[i++];
  }
  return out;
}

std::vector<HostAlias>
host_aliases_from_etc_hosts(const std::string& text, const std::vector<std::string>& wanted)
{
  std::vector<HostAlias> out;
  for (const auto& raw : split(text, '\n')) {
    std::string line(raw.substr(0, raw.find('#')));
    std::vector<std::string> words;
    for (const auto& w : split(line, ' ')) {
      for (const auto& t : split(w, '\t')) {
        if (!t.empty()) {
          words.push_back(t);
        }
      }
    }
    if (words.size() < 2 || starts_with(words[0], "127.") || words[0] == "::1") {
      continue;
    }
    HostAlias alias{words[0], {}};
    bool needed = false;
    for (size_t i = 1; i < words.size(); ++i) {
      alias.hostnames.push_back(words[i]);
      needed |= std::find(wanted.begin(), wanted.end(), words[i]) != wanted.end();
    }
    if (needed) {
      out.push_back(alias);
    }
  }
  return out;
}

Result<std::vector<std::string>>
container_start_argv(const Analysis& a)
{
  std::vector<std::string> argv = a.start.command;
  if (a.application_type == "machine") {
    auto machine = machine_command(a);
    if (!machine.empty()) {
      argv = machine;
    } else if (argv.empty()) {
      return fail(Error(ErrorCode::invalid_input,
                        "a machine-level analysis without extensions.machine.command (or init and "
                        "entrypoint) and without start.command: nothing to run",
                        "pack the image in machine mode first, or fill start.command"));
    }
  }
  if (argv.empty()) {
    return fail(Error(ErrorCode::invalid_input,
                      "start.command is empty: nothing to run",
                      "fill start.command in analysis.json"));
  }
  return argv;
}

uint64_t
non_heap_overhead(uint64_t heap_bytes)
{
  return std::max<uint64_t>(256 * k_mib, heap_bytes / 4);
}

std::optional<uint64_t>
derived_memory_limit(const Resources& r)
{
  uint64_t derived = 0;
  if (r.peak_rss_bytes) {
    derived = *r.peak_rss_bytes + *r.peak_rss_bytes / 4;
  }
  if (r.heap_max_bytes) {
    derived = std::max(derived, *r.heap_max_bytes + non_heap_overhead(*r.heap_max_bytes));
  }
  if (derived == 0) {
    return std::nullopt;
  }
  return derived;
}

std::string
memory_limit_reason(const Resources& r)
{
  uint64_t from_rss = r.peak_rss_bytes ? *r.peak_rss_bytes + *r.peak_rss_bytes / 4 : 0;
  uint64_t from_heap =
      r.heap_max_bytes ? *r.heap_max_bytes + non_heap_overhead(*r.heap_max_bytes) : 0;
  if (from_heap >= from_rss && from_heap > 0) {
    return fmt::format("heap maximum {} + non-heap {} (a quarter of the heap, at least 256 MiB: "
                       "metaspace, code cache, thread stacks, direct buffers)",
                       memory_quantity(*r.heap_max_bytes),
                       memory_quantity(non_heap_overhead(*r.heap_max_bytes)));
  }
  if (from_rss > 0) {
    return fmt::format("peak RSS {} + a quarter", memory_quantity(*r.peak_rss_bytes));
  }
  return "";
}

std::optional<uint32_t>
pod_fs_group(const Analysis& a)
{
  // Fresh volumes belong to root; fsGroup makes them writable by the application's group.
  for (const auto& volume : a.volumes) {
    if (volume.uid != 0 || volume.gid != 0 || a.process.uid != 0) {
      return volume.gid != 0 ? volume.gid : a.process.gid;
    }
  }
  // Files mounted from a Secret (--externalize-secrets) belong to root with mode 0440: the
  // group makes them readable by an application that is not root.
  if (a.process.uid != 0 && std::any_of(a.files.begin(), a.files.end(), mounted_secret_file)) {
    return a.process.gid;
  }
  return std::nullopt;
}

namespace {

// What every object of one application shares, and what building them collects: the objects'
// name and labels, the warnings for the operator, and the names changed to follow Kubernetes'
// rules (the Deployment's annotation lists them, so it is written after every other name).
struct ManifestContext {
  const Analysis& a;
  const DeployOptions& options;
  std::string name;
  json labels;
  k8s::Renames renames;
  std::vector<std::string> warnings;
  // Secret data keys follow the ConfigMap/Secret key rule; the secret's name stays visible.
  std::map<std::string, std::string> secret_keys;

  ManifestContext(const Analysis& analysis, const DeployOptions& deploy_options)
      : a(analysis),
        options(deploy_options)
  {
    // The Service takes this name too: a DNS-1035 label (k8s_names.hpp).
    name = k8s::dns1035_label(options.name.empty() ? a.application_id : options.name);
    if (!options.name.empty() && name != options.name) {
      renames.add("name", name, options.name);
      warn(fmt::format("--name {} is not a Kubernetes name; the objects are named \"{}\"",
                       quote(options.name),
                       name));
    }
    labels = {{"app.kubernetes.io/name", name}, {"app.kubernetes.io/managed-by", "decant"}};
    for (const auto& [key, value] : options.labels) {
      labels.emplace(key, value);
    }
    std::set<std::string> used_keys;
    for (const auto& s : a.secrets) {
      secret_keys[s.name] =
          renames.add("secretKey",
                      k8s::unique(k8s::config_key(s.name), used_keys, 253, k8s::is_config_key),
                      s.name);
    }
  }

  void
  warn(std::string text)
  {
    warnings.push_back(std::move(text));
  }

  json
  metadata(const std::string& object_name) const
  {
    json m = {{"name", object_name}};
    if (!options.namespace_name.empty()) {
      m["namespace"] = options.namespace_name;
    }
    m["labels"] = labels;
    return m;
  }

  std::string
  secret_key(const std::string& secret) const
  {
    auto it = secret_keys.find(secret);
    return it == secret_keys.end() ? k8s::config_key(secret) : it->second;
  }

  std::string
  config_map_name() const
  {
    return name + "-config";
  }
  std::string
  secret_name() const
  {
    return name + "-secrets";
  }
  std::string
  files_secret_name() const
  {
    return name + "-files";
  }
};

Status
check_deploy_options(const DeployOptions& options)
{
  if (options.image.empty()) {
    return fail(Error(ErrorCode::usage,
                      "the image reference is missing",
                      "pass --image REGISTRY/REPO:TAG (what `decant push` printed)"));
  }
  if (options.replicas < 0) {
    return fail(Error(ErrorCode::usage, "--replicas must be 0 or more"));
  }
  if (!options.namespace_name.empty() && !is_dns_label(options.namespace_name)) {
    return fail(Error(ErrorCode::usage,
                      fmt::format("\"{}\" is not a valid namespace name", options.namespace_name)));
  }
  return {};
}

json
secret_env_var(const ManifestContext& ctx, const std::string& name, const std::string& secret)
{
  return {{"name", name},
          {"valueFrom",
           {{"secretKeyRef", {{"name", ctx.secret_name()}, {"key", ctx.secret_key(secret)}}}}}};
}

// Environment: plain values through the ConfigMap, secrets through secretKeyRef.
struct ContainerEnvironment {
  json config_data = json::object();
  json env = json::array();
  std::set<std::string> names;
};

// $(NAME) in args expands only from variables of this container, so each secret the start
// command refers to becomes one (unless a variable of that name is there already).
Status
add_argv_secrets(const ManifestContext& ctx,
                 const std::vector<std::string>& argv_secrets,
                 ContainerEnvironment& environment)
{
  const auto& secrets = ctx.a.secrets;
  for (const auto& secret : argv_secrets) {
    bool known = std::any_of(
        secrets.begin(), secrets.end(), [&](const Secret& s) { return s.name == secret; });
    if (!known) {
      return fail(Error(ErrorCode::invalid_input,
                        fmt::format("start.command refers to ${{secret:{}}}, which is not listed "
                                    "in \"secrets\"",
                                    secret),
                        "add it to secrets (and its value to secrets.json) or edit the command"));
    }
    if (environment.names.count(secret)) {
      continue;
    }
    if (!k8s::is_env_var_name(secret)) {
      return fail(Error(ErrorCode::invalid_input,
                        fmt::format("start.command refers to ${{secret:{}}}: Kubernetes passes "
                                    "argv secrets as variables, and that is not a variable name",
                                    shorten(secret, 80)),
                        "rename the secret (letters, digits, '_', '-', '.', not starting with a "
                        "digit) in analysis.json and the secrets file"));
    }
    environment.env.push_back(secret_env_var(ctx, secret, secret));
  }
  return {};
}

Result<ContainerEnvironment>
container_environment(ManifestContext& ctx, const std::vector<std::string>& argv_secrets)
{
  ContainerEnvironment environment;
  for (const auto& var : ctx.a.env) {
    if (!k8s::is_env_var_name(var.name)) {
      ctx.warn(fmt::format("environment variable {} has a name Kubernetes refuses; it is left "
                           "out of the manifests (set it in the start command, or rename it in "
                           "the analysis)",
                           quote(var.name)));
      continue;
    }
    environment.names.insert(var.name);
    if (var.secret) {
      environment.env.push_back(secret_env_var(ctx, var.name, var.secret_ref));
    } else {
      environment.config_data[var.name] = var.value;
    }
  }
  if (auto added = add_argv_secrets(ctx, argv_secrets, environment); !added) {
    return fail(added.error());
  }
  return environment;
}

struct ExposedPort {
  Port port;
  std::string name; // the container port's name, which the Service and probes refer to
};

// The container's ports: those marked "expose" or seen listening; the exposed ones also get
// the Service and the probes.
struct ContainerPorts {
  json ports = json::array();
  std::vector<ExposedPort> exposed;
  bool low_port = false; // one below 1024
};

ContainerPorts
container_ports(ManifestContext& ctx)
{
  ContainerPorts out;
  std::set<std::string> used_names;
  for (const auto& port : ctx.a.ports) {
    if (!port.expose && !port.listening) {
      continue;
    }
    std::string pname = port_name(port, used_names, ctx.renames);
    out.ports.push_back({{"name", pname},
                         {"containerPort", port.port},
                         {"protocol", port.protocol == "udp" ? "UDP" : "TCP"}});
    if (port.expose) {
      out.exposed.push_back({port, pname});
    }
    if (port.port < 1024) {
      out.low_port = true;
    }
  }
  return out;
}

// The pod's identity: the source process' user, group and supplementary groups, and the
// fsGroup its volumes need.
json
pod_security_context(ManifestContext& ctx)
{
  const Analysis& a = ctx.a;
  json pod_security = json::object();
  pod_security["runAsUser"] = a.process.uid;
  pod_security["runAsGroup"] = a.process.gid;
  std::vector<std::string> unnamed;
  std::vector<std::string> groups = a.start.groups.empty() ? a.process.groups : a.start.groups;
  auto supplemental =
      numeric_groups(groups, a.process.gid, a.process.group, ctx.options.group_ids, unnamed);
  if (!supplemental.empty()) {
    pod_security["supplementalGroups"] = supplemental;
  }
  if (!unnamed.empty()) {
    ctx.warn(fmt::format("supplementary groups {} are names without numbers; add their gids to "
                         "spec.template.spec.securityContext.supplementalGroups by hand",
                         join(unnamed, ", ")));
  }
  if (a.process.uid != 0) {
    pod_security["runAsNonRoot"] = true;
  }
  if (auto fs_group = pod_fs_group(a)) {
    pod_security["fsGroup"] = *fs_group;
    pod_security["fsGroupChangePolicy"] = "OnRootMismatch";
  }
  return pod_security;
}

json
container_security_context(uint32_t uid, bool low_port)
{
  json container_security = {{"allowPrivilegeEscalation", uid == 0}};
  json capabilities = json::object();
  if (uid != 0) {
    capabilities["drop"] = json::array({"ALL"});
  }
  if (low_port) {
    // Binding below 1024 needs CAP_NET_BIND_SERVICE (capabilities(7)) unless running as root
    // with the default set.
    capabilities["add"] = json::array({"NET_BIND_SERVICE"});
  }
  if (!capabilities.empty()) {
    container_security["capabilities"] = capabilities;
  }
  return container_security;
}

// The pod's volumes and the container's mounts of them, the claims they need, and the data of
// the Secret that holds the files marked secret.
struct PodVolumes {
  json volumes = json::array();
  json mounts = json::array();
  json claims = json::array();
  json files_secret_data = json::object();
};

json
claim_object(const ManifestContext& ctx, const std::string& claim, const char* access_mode)
{
  return {{"apiVersion", "v1"},
          {"kind", "PersistentVolumeClaim"},
          {"metadata", ctx.metadata(claim)},
          {"spec",
           {{"accessModes", json::array({access_mode})},
            {"resources", {{"requests", {{"storage", ctx.options.storage_size}}}}}}}};
}

// Scratch space as emptyDir, data as PersistentVolumeClaims.
void
add_analysis_volumes(const ManifestContext& ctx, PodVolumes& out)
{
  std::map<std::string, int> per_role;
  for (const auto& volume : ctx.a.volumes) {
    std::string role = to_string(volume.role);
    std::string vname = fmt::format("{}-{}", role, ++per_role[role]);
    out.mounts.push_back({{"name", vname}, {"mountPath", volume.path}});
    if (volume.role != VolumeRole::data) {
      out.volumes.push_back({{"name", vname}, {"emptyDir", json::object()}});
      continue;
    }
    std::string claim = k8s::dns1123_subdomain(ctx.name + "-" + vname);
    out.volumes.push_back({{"name", vname}, {"persistentVolumeClaim", {{"claimName", claim}}}});
    out.claims.push_back(claim_object(ctx, claim, "ReadWriteOnce"));
  }
}

// A directory marked secret is one the application keeps secrets in and adds to (ASP.NET Core's
// data-protection key ring: new keys every 90 days, read by every replica): a Secret mount
// would be read-only and per pod. It becomes a PersistentVolumeClaim (ReadWriteMany when there
// are several replicas, so they share it), and the files it held on the source are mounted
// into it read-only from the Secret, so the keys issued before the migration stay valid.
void
add_secret_directory(const ManifestContext& ctx,
                     const FileEntry& file,
                     PodVolumes& out,
                     SecretFileMounts& secret_mounts)
{
  std::string vname = dns_label("secret-dir-" + std::to_string(out.volumes.size() + 1), 63);
  std::string claim = dns_label(ctx.name + "-" + vname, 63);
  out.mounts.push_back({{"name", vname}, {"mountPath", file.path}});
  out.volumes.push_back({{"name", vname}, {"persistentVolumeClaim", {{"claimName", claim}}}});
  const auto& files = ctx.options.secret_files;
  for (auto it = files.lower_bound(file.path + "/");
       it != files.end() && it->first.compare(0, file.path.size() + 1, file.path + "/") == 0;
       ++it) {
    secret_mounts.add(it->first, it->second);
  }
  out.claims.push_back(
      claim_object(ctx, claim, ctx.options.replicas > 1 ? "ReadWriteMany" : "ReadWriteOnce"));
}

// One Secret holds the files marked secret; each is mounted read-only at its own path with
// subPath, so the rest of its directory (from the image, or a volume) stays visible.
Status
add_secret_file_volumes(ManifestContext& ctx, PodVolumes& out)
{
  const Analysis& a = ctx.a;
  const DeployOptions& options = ctx.options;
  bool has_secret_files = std::any_of(
      a.files.begin(), a.files.end(), [](const FileEntry& f) { return mounted_secret_file(f); });
  if (has_secret_files && !options.externalize_secrets) {
    ctx.warn("files marked secret are inside the image; to keep them out, pack with "
             "--externalize-secrets and generate with --externalize-secrets");
    return {};
  }
  if (!has_secret_files) {
    return {};
  }
  SecretFileMounts secret_mounts{out.files_secret_data, out.mounts, {}, {}, 0};
  for (const auto& file : a.files) {
    if (!mounted_secret_file(file)) {
      continue;
    }
    if (options.secret_directories.count(file.path)) {
      add_secret_directory(ctx, file, out, secret_mounts);
      continue;
    }
    auto content = options.secret_files.find(file.path);
    if (content == options.secret_files.end()) {
      return fail(Error(ErrorCode::not_found,
                        fmt::format("the content of secret file {} was not given", file.path),
                        "run generate on the source host (or with --root at its file system)"));
    }
    secret_mounts.add(file.path, content->second);
  }
  // etcd refuses objects above 1 MiB.
  if (secret_mounts.total > 1000 * 1024) {
    return fail(Error(ErrorCode::unsupported,
                      fmt::format("the files marked secret hold {} bytes; a Kubernetes Secret "
                                  "holds at most 1 MiB",
                                  secret_mounts.total),
                      "unmark large files in analysis.json (\"secret\": false)"));
  }
  out.volumes.push_back({{"name", "secret-files"},
                         {"secret",
                          {{"secretName", ctx.files_secret_name()},
                           {"items", secret_mounts.items},
                           {"defaultMode", 0440}}}});
  return {};
}

Result<PodVolumes>
pod_volumes(ManifestContext& ctx)
{
  PodVolumes out;
  add_analysis_volumes(ctx, out);
  if (auto added = add_secret_file_volumes(ctx, out); !added) {
    return fail(added.error());
  }
  return out;
}

// Memory from the measured peak RSS and heap maximum (or --memory-limit), CPU from the
// source's CPUs.
json
container_resources(ManifestContext& ctx)
{
  json resources = json::object();
  const auto& r = ctx.a.resources;
  if (r.peak_rss_bytes) {
    resources["requests"]["memory"] = memory_quantity(*r.peak_rss_bytes);
  }
  std::optional<uint64_t> limit = ctx.options.memory_limit_bytes;
  if (!limit) {
    limit = derived_memory_limit(r);
  }
  if (limit) {
    resources["limits"]["memory"] = memory_quantity(*limit);
    if (r.heap_max_bytes && *r.heap_max_bytes + non_heap_overhead(*r.heap_max_bytes) > *limit) {
      ctx.warn(fmt::format("the Java heap maximum ({}) plus non-heap memory ({}) does not fit "
                           "the memory limit {}: the container would be OOM-killed under load; "
                           "raise the limit or lower -Xmx",
                           memory_quantity(*r.heap_max_bytes),
                           memory_quantity(non_heap_overhead(*r.heap_max_bytes)),
                           memory_quantity(*limit)));
    }
    if (r.peak_rss_bytes && *r.peak_rss_bytes > *limit) {
      ctx.warn(fmt::format("the source's peak memory {} is above the memory limit {}",
                           memory_quantity(*r.peak_rss_bytes),
                           memory_quantity(*limit)));
    }
    if (r.peak_rss_bytes && memory_quantity(*r.peak_rss_bytes) != memory_quantity(*limit)
        && *r.peak_rss_bytes > *limit) {
      resources["requests"]["memory"] = memory_quantity(*limit);
    }
  } else {
    ctx.warn("the analysis has no memory figures (resources.peakRssBytes, heapMaxBytes): no "
             "memory request or limit set");
  }
  if (r.cpus) {
    resources["requests"]["cpu"] = cpu_quantity(*r.cpus);
    resources["limits"]["cpu"] = cpu_quantity(std::max(1.0, std::ceil(*r.cpus)));
  }
  return resources;
}

bool
is_http(const Port& port)
{
  return port.role == PortRole::http || port.role == PortRole::https;
}

// Probes on the main port (the first HTTP one, else the first exposed): HTTP where a path is
// known to answer, else a TCP connect.
void
add_probes(ManifestContext& ctx, const std::vector<ExposedPort>& exposed, json& container)
{
  auto main = std::find_if(
      exposed.begin(), exposed.end(), [](const ExposedPort& p) { return is_http(p.port); });
  if (main == exposed.end() && !exposed.empty()) {
    main = exposed.begin();
  }
  if (main == exposed.end() || main->port.protocol != "tcp") {
    ctx.warn("no exposed TCP port: the Deployment has no probes and no Service");
    return;
  }
  std::string path = known_http_path(ctx.a, ctx.options);
  json handler;
  if (!path.empty() && is_http(main->port)) {
    handler = {{"httpGet",
                {{"path", path},
                 {"port", main->name},
                 {"scheme", main->port.role == PortRole::https ? "HTTPS" : "HTTP"}}}};
  } else {
    handler = {{"tcpSocket", {{"port", main->name}}}};
    if (is_http(main->port)) {
      ctx.warn(fmt::format("no HTTP path known to answer on port {}: readiness is a TCP check "
                           "(give --probe-path /health for an HTTP one)",
                           main->port.port));
    }
  }
  // JVM servers may take minutes to deploy their applications on a small node.
  json startup = handler;
  startup["periodSeconds"] = 5;
  startup["timeoutSeconds"] = 3;
  startup["failureThreshold"] = 60;
  json readiness = handler;
  readiness["periodSeconds"] = 10;
  readiness["timeoutSeconds"] = 3;
  readiness["failureThreshold"] = 3;
  json liveness = {{"tcpSocket", {{"port", main->name}}},
                   {"periodSeconds", 20},
                   {"timeoutSeconds", 3},
                   {"failureThreshold", 3}};
  container["startupProbe"] = startup;
  container["readinessProbe"] = readiness;
  container["livenessProbe"] = liveness;
}

json
container_spec(ManifestContext& ctx,
               const ContainerCommand& start,
               const ContainerEnvironment& environment,
               const ContainerPorts& ports,
               const json& mounts)
{
  const Analysis& a = ctx.a;
  json container = {{"name", dns_label(a.application_type.empty() ? "app" : a.application_type)},
                    {"image", ctx.options.image}};
  if (!start.command.empty()) {
    container["command"] = start.command;
  }
  if (!start.args.empty()) {
    container["args"] = start.args;
  }
  if (!a.start.working_dir.empty()) {
    container["workingDir"] = a.start.working_dir;
  }
  if (!environment.config_data.empty()) {
    container["envFrom"] = json::array({{{"configMapRef", {{"name", ctx.config_map_name()}}}}});
  }
  if (!environment.env.empty()) {
    container["env"] = environment.env;
  }
  if (!ports.ports.empty()) {
    container["ports"] = ports.ports;
  }
  if (json resources = container_resources(ctx); !resources.empty()) {
    container["resources"] = resources;
  }
  container["securityContext"] = container_security_context(a.process.uid, ports.low_port);
  if (!mounts.empty()) {
    container["volumeMounts"] = mounts;
  }
  add_probes(ctx, ports.exposed, container);
  return container;
}

// hostAliases: /etc/hosts entries the application depends on, each address and name checked
// as Kubernetes will and each (address, name) pair once.
struct HostAliases {
  ManifestContext& ctx;
  json aliases = json::array();
  std::set<std::pair<std::string, std::string>> seen; // (ip, hostname)

  void
  add(const std::string& ip, const std::vector<std::string>& hostnames)
  {
    json names = json::array();
    unsigned char address[sizeof(struct in6_addr)];
    if (::inet_pton(AF_INET, ip.c_str(), address) != 1
        && ::inet_pton(AF_INET6, ip.c_str(), address) != 1) {
      ctx.warn(fmt::format("host alias address {} is not an IP address; left out", quote(ip)));
      return;
    }
    for (const auto& written : hostnames) {
      std::string h = to_lower(written); // DNS names are case-insensitive; Kubernetes wants lower
      if (!k8s::is_dns1123_subdomain(h)) {
        ctx.warn(
            fmt::format("host alias {} is not a DNS name Kubernetes accepts; left out", quote(h)));
        continue;
      }
      if (seen.insert({ip, h}).second) {
        names.push_back(h);
      }
    }
    if (!names.empty()) {
      aliases.push_back({{"ip", ip}, {"hostnames", names}});
    }
  }
};

// From the source host's /etc/hosts for the hosts in `dependencies`, plus
// extensions.hostAliases (the Kubernetes shape, [{ip, hostnames: [...]}]) written by an
// analyzer or the operator.
json
host_aliases(ManifestContext& ctx)
{
  const Analysis& a = ctx.a;
  HostAliases out{ctx};
  std::vector<std::string> dependency_hosts;
  for (const auto& dep : a.dependencies) {
    dependency_hosts.push_back(dep.host);
  }
  for (const auto& alias : host_aliases_from_etc_hosts(ctx.options.etc_hosts, dependency_hosts)) {
    out.add(alias.ip, alias.hostnames);
  }
  if (!a.extensions.contains("hostAliases") || !a.extensions["hostAliases"].is_array()) {
    return out.aliases;
  }
  for (const auto& entry : a.extensions["hostAliases"]) {
    if (entry.is_object() && entry.contains("ip") && entry["ip"].is_string()
        && entry.contains("hostnames") && entry["hostnames"].is_array()) {
      std::vector<std::string> hostnames;
      for (const auto& h : entry["hostnames"]) {
        if (h.is_string()) {
          hostnames.push_back(h.get<std::string>());
        }
      }
      out.add(entry["ip"].get<std::string>(), hostnames);
    }
  }
  return out.aliases;
}

json
pod_spec(ManifestContext& ctx, json pod_security, json container, const json& volumes)
{
  json pod = {{"securityContext", std::move(pod_security)},
              {"containers", json::array({std::move(container)})}};
  if (!volumes.empty()) {
    pod["volumes"] = volumes;
  }
  if (json aliases = host_aliases(ctx); !aliases.empty()) {
    pod["hostAliases"] = aliases;
  }
  return pod;
}

json
selector_labels(const ManifestContext& ctx)
{
  return {{"app.kubernetes.io/name", ctx.name}};
}

json
deployment(const ManifestContext& ctx, json pod)
{
  json meta = ctx.metadata(ctx.name);
  meta["annotations"] = {{"decant.io/application-id", ctx.a.application_id},
                         {"decant.io/source-host", ctx.a.source.hostname}};
  if (!ctx.renames.empty()) {
    // What was renamed to follow Kubernetes' naming rules: {kind: {kubernetesName: original}}.
    meta["annotations"]["decant.io/original-names"] = ctx.renames.annotation();
  }
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", meta},
          {"spec",
           {{"replicas", ctx.options.replicas},
            {"selector", {{"matchLabels", selector_labels(ctx)}}},
            {"template", {{"metadata", {{"labels", ctx.labels}}}, {"spec", std::move(pod)}}}}}};
}

json
service(const ManifestContext& ctx, const std::vector<ExposedPort>& exposed)
{
  json service_ports = json::array();
  for (const auto& [port, pname] : exposed) {
    service_ports.push_back({{"name", pname},
                             {"port", port.port},
                             {"targetPort", pname},
                             {"protocol", port.protocol == "udp" ? "UDP" : "TCP"}});
  }
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", ctx.metadata(ctx.name)},
          {"spec",
           {{"type", "ClusterIP"}, {"selector", selector_labels(ctx)}, {"ports", service_ports}}}};
}

json
config_map(const ManifestContext& ctx, const json& data)
{
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", ctx.metadata(ctx.config_map_name())},
          {"data", data}};
}

// The values of the secrets file, by the keys the container's env refers to.
json
secret(ManifestContext& ctx)
{
  json data = json::object();
  std::vector<std::string> empty;
  for (const auto& s : ctx.a.secrets) {
    if (s.value.empty()) {
      empty.push_back(s.name);
    }
    data[ctx.secret_key(s.name)] = s.value;
  }
  if (!empty.empty()) {
    ctx.warn(fmt::format("no value for secrets {} (secrets.json missing beside analysis.json?): "
                         "fill them in secret.yaml before applying",
                         join(empty, ", ")));
  }
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", ctx.metadata(ctx.secret_name())},
          {"type", "Opaque"},
          {"stringData", data}};
}

json
files_secret(const ManifestContext& ctx, const json& data)
{
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", ctx.metadata(ctx.files_secret_name())},
          {"type", "Opaque"},
          {"data", data}};
}

} // namespace

Result<KubernetesManifests>
generate_kubernetes(const Analysis& a, const DeployOptions& options)
{
  if (auto checked = check_deploy_options(options); !checked) {
    return fail(checked.error());
  }
  ManifestContext ctx(a, options);
  auto start_argv = container_start_argv(a);
  if (!start_argv) {
    return fail(start_argv.error());
  }
  ContainerCommand start = split_container_argv(a, *start_argv);
  auto environment = container_environment(ctx, start.secrets);
  if (!environment) {
    return fail(environment.error());
  }
  ContainerPorts ports = container_ports(ctx);
  json pod_security = pod_security_context(ctx);
  auto volumes = pod_volumes(ctx);
  if (!volumes) {
    return fail(volumes.error());
  }
  json container = container_spec(ctx, start, *environment, ports, volumes->mounts);
  json pod = pod_spec(ctx, std::move(pod_security), std::move(container), volumes->volumes);

  KubernetesManifests result;
  // Built in this order, the Deployment's annotation of renamed names is complete and the
  // warnings come in the order of the objects' parts.
  result.objects.push_back({"deployment.yaml", deployment(ctx, std::move(pod)), false});
  if (!ports.exposed.empty()) {
    result.objects.push_back({"service.yaml", service(ctx, ports.exposed), false});
  }
  if (!environment->config_data.empty()) {
    result.objects.push_back({"configmap.yaml", config_map(ctx, environment->config_data), false});
  }
  if (!a.secrets.empty()) {
    result.objects.push_back({"secret.yaml", secret(ctx), true});
  }
  if (!volumes->files_secret_data.empty()) {
    result.objects.push_back(
        {"secret-files.yaml", files_secret(ctx, volumes->files_secret_data), true});
  }
  for (const auto& claim : volumes->claims) {
    result.objects.push_back(
        {fmt::format("pvc-{}.yaml", claim["metadata"]["name"].get<std::string>()), claim, false});
  }
  result.warnings = std::move(ctx.warnings);
  return result;
}

} // namespace decant
