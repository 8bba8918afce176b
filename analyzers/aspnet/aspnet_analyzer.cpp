#include "aspnet_analyzer.hpp"

#include "configuration.hpp"
#include "connection_strings.hpp"
#include "dotnet_json.hpp"
#include "dotnet_launch.hpp"
#include "gc_heap.hpp"
#include "kestrel_ports.hpp"
#include "kestrel_urls.hpp"
#include "lazy_libraries.hpp"
#include "runtime_config.hpp"
#include "web_config.hpp"

#include <decant/analyzer/common.hpp>
#include <decant/util/strings.hpp>

#include <algorithm>
#include <optional>
#include <registry.hpp>

namespace decant::aspnet {

namespace {

const char* const k_type = "dotnet-aspnetcore";

// A shared framework the application runs on, and how decant knows its version.
struct FrameworkUse {
  std::string name;
  std::string requested; // from runtimeconfig; "" when implied (NETCore.App under AspNetCore.App)
  std::string version;   // in use
  std::string directory; // host path; the app directory for a self-contained app
  std::string how;       // "maps", "roll-forward", "included"
};

// Everything identify() and analyze() share: the launch, runtimeconfig, configuration and URLs.
struct AppModel {
  DotnetLaunch launch;
  RuntimeConfig runtime_config;
  int major = 0;
  std::string dotnet_root; // "" for self-contained
  std::string hostfxr_version;
  std::string hostfxr_dir;
  std::vector<FrameworkUse> frameworks;
  std::string content_root;
  std::string environment;
  Configuration config;
  // The appsettings files read, in order, each with its own values (the layered `config` keeps
  // only the winners, but a secret in a file is in the image whoever wins).
  std::vector<std::pair<std::string, Configuration>> settings;
  UrlResolution urls;
};

std::vector<std::string>
app_arguments(const ProcessInfo& process, const DotnetLaunch& launch)
{
  std::vector<std::string> args;
  for (size_t i = static_cast<size_t>(launch.app_args_index); i < process.cmdline.size(); ++i) {
    args.push_back(process.cmdline[i]);
  }
  return args;
}

bool
maps_aspnetcore(const ProcessInfo& process)
{
  for (const auto& file : mapped_files(process.maps)) {
    auto name = file.substr(file.rfind('/') + 1);
    if (starts_with(name, "Microsoft.AspNetCore.") && ends_with(name, ".dll")) {
      return true;
    }
  }
  return false;
}

Result<std::string>
read_text(const HostRoot& root, const std::string& path)
{
  auto text = root.read_file(path);
  if (!text) {
    return fail(text.error()); // "cannot read <path>: why"
  }
  return text;
}

// The directory of the dotnet root a framework-dependent app uses: the muxer's own directory,
// else where its hostfxr is mapped from, else what the apphost would search
// (DOTNET_ROOT_<ARCH>, DOTNET_ROOT, /etc/dotnet/install_location, /usr/share/dotnet).
std::string
find_dotnet_root(const ProcessInfo& process,
                 const HostRoot& root,
                 const DotnetLaunch& launch,
                 const std::optional<HostFxrInUse>& fxr)
{
  if (launch.shape == LaunchShape::muxer) {
    return dir_name(launch.exe);
  }
  if (fxr) {
    return fxr->dotnet_root;
  }
  for (const char* name : {"DOTNET_ROOT_X64", "DOTNET_ROOT_ARM64", "DOTNET_ROOT"}) {
    if (auto value = process.env(name); value && !value->empty()) {
      return process.host_path(*value);
    }
  }
  if (auto text = root.read_file("/etc/dotnet/install_location")) {
    std::string first(trim(text->substr(0, text->find('\n'))));
    if (!first.empty()) {
      return first;
    }
  }
  return "/usr/share/dotnet";
}

Status
resolve_frameworks(const ProcessInfo& process, const HostRoot& root, AppModel& m)
{
  auto mapped = process.mapped_files();
  auto in_maps = frameworks_from_maps(mapped);
  if (m.runtime_config.self_contained()) {
    for (const auto& ref : m.runtime_config.included) {
      m.frameworks.push_back({ref.name, ref.version, ref.version, m.launch.app_dir, "included"});
    }
    return {};
  }
  std::vector<FrameworkReference> wanted = m.runtime_config.frameworks;
  bool has_netcore = std::any_of(wanted.begin(), wanted.end(), [](const FrameworkReference& r) {
    return iequals(r.name, k_netcore_app);
  });
  std::string roll_forward = m.runtime_config.roll_forward;
  if (auto env = process.env("DOTNET_ROLL_FORWARD"); env && !env->empty()) {
    roll_forward = *env;
  }
  auto resolve_one = [&](const FrameworkReference& ref) -> Result<FrameworkUse> {
    for (const auto& used : in_maps) {
      if (iequals(used.name, ref.name)) {
        if (!root.is_directory(used.directory)) {
          return fail(Error(ErrorCode::not_found,
                            fmt::format("{} {} is mapped by PID {} but {} is gone from the host",
                                        used.name,
                                        used.version,
                                        process.pid,
                                        used.directory),
                            "the framework was uninstalled while the application runs; "
                            "reinstall it (or restart the application) and analyze again"));
        }
        return FrameworkUse{used.name, ref.version, used.version, used.directory, "maps"};
      }
    }
    // Not mapped (yet): resolve like the host does from what is installed.
    std::string base = m.dotnet_root + "/shared/" + ref.name;
    std::vector<std::string> installed;
    if (auto names = root.list_directory(base)) {
      installed = *names;
    }
    auto version = ref.version.empty() ? std::optional<std::string>()
                                       : resolve_roll_forward(ref.version, roll_forward, installed);
    if (ref.version.empty() && !installed.empty()) {
      version = *std::max_element(
          installed.begin(), installed.end(), [](const std::string& a, const std::string& b) {
            return compare_versions(a, b) < 0;
          });
    }
    if (!version) {
      return fail(Error(
          ErrorCode::not_found,
          fmt::format("{} needs {} {} (roll forward: {}), which is not installed under {} "
                      "(installed: {})",
                      m.launch.runtimeconfig,
                      ref.name,
                      ref.version,
                      roll_forward,
                      base,
                      installed.empty() ? std::string("none") : join(installed, ", ")),
          fmt::format("install the {} {} shared framework on the host (the application cannot "
                      "start without it either), or correct the dotnet root",
                      ref.name,
                      ref.version)));
    }
    return FrameworkUse{ref.name, ref.version, *version, base + "/" + *version, "roll-forward"};
  };
  for (const auto& ref : wanted) {
    auto use = resolve_one(ref);
    if (!use) {
      return fail(use.error());
    }
    m.frameworks.push_back(*use);
  }
  if (!has_netcore) {
    // Microsoft.AspNetCore.App itself runs on Microsoft.NETCore.App (its own runtimeconfig
    // names the version); an app that references only AspNetCore.App gets it implicitly.
    FrameworkReference implied{k_netcore_app, ""};
    for (const auto& use : m.frameworks) {
      std::string path = use.directory + "/" + use.name + ".runtimeconfig.json";
      if (auto text = root.read_file(path)) {
        if (auto fx = parse_runtime_config(*text, path); fx && !fx->frameworks.empty()) {
          implied.version = fx->frameworks.front().version;
        }
      }
    }
    auto use = resolve_one(implied);
    if (!use) {
      return fail(use.error());
    }
    m.frameworks.insert(m.frameworks.begin(), *use);
  }
  return {};
}

Status
read_settings(const HostRoot& root, AppModel& m, const std::string& name)
{
  std::string path = m.content_root + "/" + name;
  if (!root.exists(path)) { // a special file there: the read below says what it is
    return {};
  }
  auto text = read_text(root, path);
  if (!text) {
    return fail(text.error());
  }
  auto json = parse_dotnet_json(*text, path);
  if (!json) {
    return fail(json.error());
  }
  if (!json->is_object()) {
    return fail(ErrorCode::invalid_input, "{}: the top level must be a JSON object", path);
  }
  m.config.add_json(*json, path, *text);
  Configuration own;
  own.add_json(*json, path, *text);
  m.settings.emplace_back(path, std::move(own));
  return {};
}

Result<AppModel>
load_model(const ProcessInfo& process, const HostRoot& root)
{
  auto detected = detect_launch(process, root);
  if (!detected) {
    return fail(detected.error());
  }
  if (!*detected) {
    return fail(ErrorCode::unsupported, "PID {} is not a .NET application", process.pid);
  }
  AppModel m;
  m.launch = **detected;

  if (!root.is_regular_file(m.launch.runtimeconfig)) {
    return fail(Error(ErrorCode::not_found,
                      fmt::format("{} is missing", m.launch.runtimeconfig),
                      "the .NET host needs it to start the application; redeploy the "
                      "published output (dotnet publish) and restart"));
  }
  auto text = read_text(root, m.launch.runtimeconfig);
  if (!text) {
    return fail(text.error());
  }
  auto config = parse_runtime_config(*text, m.launch.runtimeconfig);
  if (!config) {
    return fail(config.error());
  }
  m.runtime_config = *config;
  if (m.runtime_config.self_contained()) {
    m.launch.shape = LaunchShape::self_contained;
  }

  bool aspnet = m.runtime_config.references(k_aspnetcore_app)
                || m.runtime_config.references("Microsoft.AspNetCore.All")
                || maps_aspnetcore(process);
  if (!aspnet) {
    return fail(Error(ErrorCode::unsupported,
                      fmt::format("not an ASP.NET Core application: {} references no "
                                  "Microsoft.AspNetCore.App and the process maps no "
                                  "Microsoft.AspNetCore assembly",
                                  m.launch.runtimeconfig),
                      "decant migrates ASP.NET Core (Kestrel) web applications; a .NET console or "
                      "worker service has no analyzer yet"));
  }

  auto fxr = hostfxr_from_maps(process.mapped_files());
  if (m.launch.shape != LaunchShape::self_contained) {
    m.dotnet_root = find_dotnet_root(process, root, m.launch, fxr);
    if (fxr) {
      m.hostfxr_version = fxr->version;
      m.hostfxr_dir = fxr->directory;
    } else if (auto versions = root.list_directory(m.dotnet_root + "/host/fxr");
               versions && !versions->empty()) {
      // The muxer picks the highest hostfxr installed.
      m.hostfxr_version = *std::max_element(
          versions->begin(), versions->end(), [](const std::string& a, const std::string& b) {
            return compare_versions(a, b) < 0;
          });
      m.hostfxr_dir = m.dotnet_root + "/host/fxr/" + m.hostfxr_version;
    }
  }
  if (auto status = resolve_frameworks(process, root, m); !status) {
    return fail(status.error());
  }
  // Behaviour (HTTP_PORTS, configuration order, bundled zlib) follows the runtime that runs,
  // which roll-forward can make newer than the TFM: a net6.0 app on the 8.0 runtime honours
  // ASPNETCORE_HTTP_PORTS.
  m.major = tfm_major(m.runtime_config.tfm);
  for (const auto& fx : m.frameworks) {
    if (iequals(fx.name, k_netcore_app)) {
      if (auto major = parse_u64(fx.version.substr(0, fx.version.find('.')))) {
        m.major = static_cast<int>(*major);
      }
    }
  }

  // Host configuration first: it decides the environment name and the content root, which
  // decide which appsettings files are read. .NET 7+ WebApplicationBuilder adds ASPNETCORE_
  // variables before the HostApplicationBuilder's DOTNET_ ones (so DOTNET_ wins); the 3.1-6
  // hosts add DOTNET_ first and the web host's ASPNETCORE_ after.
  auto args = app_arguments(process, m.launch);
  Configuration host;
  for (const char* prefix : m.major >= 7 ? std::vector<const char*>{"ASPNETCORE_", "DOTNET_"}
                                         : std::vector<const char*>{"DOTNET_", "ASPNETCORE_"}) {
    host.add_environment(process.environ, prefix);
    m.config.add_environment(process.environ, prefix);
  }
  host.add_command_line(args, m.launch.app_args_index);
  m.environment = host.value("environment").empty() ? "Production" : host.value("environment");
  std::string content_root = host.value("contentRoot");
  m.content_root = content_root.empty() ? process.host_path(".") : process.host_path(content_root);
  m.content_root = HostRoot::normalize(m.content_root);

  m.config.add_command_line(args, m.launch.app_args_index);
  if (auto status = read_settings(root, m, "appsettings.json"); !status) {
    return fail(status.error());
  }
  if (auto status = read_settings(root, m, "appsettings." + m.environment + ".json"); !status) {
    return fail(status.error());
  }
  m.config.add_environment(process.environ, "");
  m.config.add_command_line(args, m.launch.app_args_index);
  m.urls = resolve_kestrel_urls(m.config, m.major);
  return m;
}

std::string
identity_of(const AppModel& m)
{
  std::vector<std::string> urls;
  for (const auto& endpoint : m.urls.endpoints) {
    urls.push_back(endpoint.url.text);
  }
  std::sort(urls.begin(), urls.end());
  return m.launch.app_dll + "\n" + join(urls, ";");
}

// A configuration key as an environment variable: ConnectionStrings:Db -> ConnectionStrings__Db.
std::string
env_var_name(std::string key)
{
  for (size_t pos = 0; (pos = key.find(':', pos)) != std::string::npos; pos += 2) {
    key.replace(pos, 1, "__");
  }
  return key;
}

void
add_dependencies(Analysis& a, const AppModel& m)
{
  for (const ConfigValue* value : m.config.under("ConnectionStrings")) {
    if (value->value.empty() || to_lower(value->key) == "connectionstrings") {
      continue;
    }
    auto target = parse_connection_string(value->value);
    if (!target) {
      continue;
    }
    bool service = target->kind == "redis" || target->kind == "amqp" || target->kind == "http"
                   || target->kind == "https";
    a.dependencies.push_back({service ? DependencyKind::service : DependencyKind::database,
                              target->host,
                              target->port,
                              value->source});
    if (iequals(target->host, "localhost") || starts_with(target->host, "127.")) {
      a.warn("dependency-localhost",
             fmt::format("{} ({}) points at {}: inside a container that is the container "
                         "itself; point it at the host's name or address",
                         value->key,
                         value->source,
                         target->host));
    }
  }
}

// Values named like connection strings or secrets in the appsettings files go to secrets.json
// under their environment-variable name (ConnectionStrings__Db), which is also how a deployment
// can inject them without the files; the files are marked secret. Connection strings given as
// environment variables are secrets whatever their name.
void
add_settings_secrets(Analysis& a, const AppModel& m)
{
  auto is_secret_key = [](const std::string& key) {
    return starts_with(to_lower(key), "connectionstrings:")
           || looks_secret(key.substr(key.rfind(':') + 1));
  };
  for (const auto& [path, own] : m.settings) {
    std::vector<std::string> names;
    for (const ConfigValue* value : own.all()) {
      if (!value->value.empty() && is_secret_key(value->key)) {
        a.add_secret(env_var_name(value->key), value->source, value->value);
        names.push_back(value->key);
      }
    }
    // The deployment's own settings go to the config layer, so the application's layer is the
    // same on every server that runs the same build.
    if (!names.empty()) {
      a.add_file({path,
                  "holds secrets (" + join(names, ", ") + "); their values are in secrets.json",
                  FileRole::config,
                  true,
                  false});
    } else {
      a.add_file({path, "application settings read at start", FileRole::config, false, false});
    }
  }
  for (auto& var : a.env) {
    std::string l = to_lower(var.name);
    bool connection =
        starts_with(l, "connectionstrings__") || l.find("connstr_") != std::string::npos;
    if (connection && !var.secret) {
      var.secret = true;
      std::string ref = a.add_secret("ENV_" + var.name, "env:" + var.name, var.value);
      var.secret_ref = ref.substr(9, ref.size() - 10); // "${secret:NAME}" -> NAME
    }
  }
}

// The home directory .NET uses for per-user state (certificate stores, data protection keys):
// HOME, else the passwd entry of the process's user; a host path.
std::string
home_of(const ProcessInfo& process, const HostRoot& root)
{
  if (auto env_home = process.env("HOME"); env_home && !env_home->empty()) {
    return process.host_path(*env_home);
  }
  for (const auto& entry : root.passwd()) {
    if (entry.uid == process.status.uid[1]) {
      return process.host_path(entry.home);
    }
  }
  return "/";
}

// X509Store on Linux: <home>/.dotnet/corefx/cryptography/x509stores/<store, lower case>/.
std::string
certificate_store(const ProcessInfo& process, const HostRoot& root, const std::string& store)
{
  return home_of(process, root) + "/.dotnet/corefx/cryptography/x509stores/" + to_lower(store);
}

void
add_certificates(Analysis& a, const ProcessInfo& process, const HostRoot& root, const AppModel& m)
{
  for (const ConfigValue* value : m.config.under("Kestrel")) {
    std::string l = to_lower(value->key);
    bool certificate =
        l.find(":certificate:") != std::string::npos || starts_with(l, "kestrel:certificates:");
    if (!certificate || value->value.empty()) {
      continue;
    }
    if (ends_with(l, ":store")) {
      std::string store = certificate_store(process, root, value->value);
      a.add_file(
          {store,
           fmt::format(
               "certificate store \"{}\" of {} ({})", value->value, value->key, value->source),
           FileRole::config,
           true,
           true});
      a.warn("certificate-store",
             fmt::format("{} ({}) loads its certificate from the \"{}\" store, which .NET keeps in "
                         "{} on Linux; it is packed when it exists there",
                         value->key,
                         value->source,
                         value->value,
                         store));
    } else if (ends_with(l, ":path") || ends_with(l, ":keypath")) {
      std::string path = host_path_join(m.content_root, value->value);
      a.add_file({path,
                  fmt::format("Kestrel certificate{} ({}, {})",
                              ends_with(l, ":keypath") ? " key" : "",
                              value->key,
                              value->source),
                  FileRole::config,
                  true,
                  false});
    } else if (ends_with(l, ":password") && value->origin != ConfigValue::Origin::file) {
      // File values are collected with the other appsettings secrets; these come from the
      // environment or the command line.
      a.add_secret(env_var_name(value->key), value->source, value->value);
    }
  }
  // An https endpoint without a certificate of its own and no Kestrel:Certificates:Default
  // runs on the ASP.NET Core development certificate from the user's "My" store.
  bool has_default = !m.config.under("Kestrel:Certificates:Default").empty();
  for (const auto& endpoint : m.urls.endpoints) {
    bool own = !endpoint.name.empty()
               && !m.config.under("Kestrel:Endpoints:" + endpoint.name + ":Certificate").empty();
    if (endpoint.url.scheme != "https" || own || has_default) {
      continue;
    }
    std::string store = certificate_store(process, root, "My");
    a.add_file({store,
                "the ASP.NET Core development certificate (https without a configured "
                "certificate)",
                FileRole::config,
                true,
                true});
    a.warn("https-development-certificate",
           fmt::format("{} ({}) has no certificate configured, so Kestrel serves the ASP.NET Core "
                       "development certificate from {}; give it a real one "
                       "(Kestrel:Certificates:Default) before production",
                       endpoint.url.text,
                       endpoint.source.source,
                       store));
    break;
  }
  // Data protection keys (cookies, antiforgery tokens) persisted by default under the home
  // directory: without them every cookie issued before the migration becomes invalid.
  std::string keys = home_of(process, root) + "/.aspnet/DataProtection-Keys";
  if (root.is_directory(keys)) {
    a.add_file({keys,
                "ASP.NET Core data protection keys (authentication cookies and antiforgery "
                "tokens stay valid)",
                FileRole::config,
                true,
                false});
    a.warn("data-protection-keys",
           fmt::format("{} is the data-protection key ring: the application adds keys to it (every "
                       "90 days) and every replica must read the same ones. Packed into the image, "
                       "each pod keeps its new keys to itself and loses them on restart; `decant "
                       "generate --externalize-secrets` (with the image packed so) gives it a "
                       "shared PersistentVolumeClaim holding the source's keys",
                       keys));
  }
}

void
add_files(Analysis& a,
          const ProcessInfo& process,
          const HostRoot& root,
          const AppModel& m,
          nlohmann::json& details)
{
  a.add_file({m.launch.app_dir,
              fmt::format("application directory ({}{})",
                          to_string(m.launch.shape),
                          m.launch.shape == LaunchShape::self_contained
                              ? ", runtime and frameworks included"
                              : ""),
              FileRole::app,
              false,
              false});
  if (m.content_root != m.launch.app_dir && m.content_root != "/") {
    a.add_file({m.content_root,
                "content root (working directory: appsettings, wwwroot)",
                FileRole::app,
                false,
                false});
  }
  if (!m.dotnet_root.empty()) {
    a.add_file({m.dotnet_root + "/dotnet",
                m.launch.shape == LaunchShape::muxer
                    ? "the dotnet muxer that starts the application"
                    : "the dotnet muxer (framework-dependent "
                      "runtime root)",
                FileRole::runtime,
                false,
                m.launch.shape != LaunchShape::muxer});
    if (!m.hostfxr_dir.empty()) {
      a.add_file({m.hostfxr_dir,
                  "hostfxr " + m.hostfxr_version + " (resolves the frameworks)",
                  FileRole::runtime,
                  false,
                  false});
    }
    for (const auto& fx : m.frameworks) {
      a.add_file({fx.directory,
                  fmt::format("shared framework {} {} in use ({})", fx.name, fx.version, fx.how),
                  FileRole::runtime,
                  false,
                  false});
    }
    for (const char* path : {"/etc/dotnet/install_location", "/etc/dotnet/install_location_x64"}) {
      if (m.launch.shape == LaunchShape::apphost && root.is_regular_file(path)) {
        a.add_file(
            {path, "tells the apphost where the dotnet root is", FileRole::runtime, false, false});
      }
    }
  }
  // Native libraries the process maps from outside the application and the dotnet root (libc,
  // libstdc++, ICU, OpenSSL when already loaded ...).
  for (const auto& file : process.mapped_files()) {
    if (starts_with(file, "/memfd:") || starts_with(file, m.launch.app_dir + "/")
        || (!m.dotnet_root.empty() && starts_with(file, m.dotnet_root + "/"))
        || !root.is_regular_file(file)) {
      continue;
    }
    a.add_file({file,
                "native library mapped by the process",
                a.covering_role(file).value_or(role_by_location(file)),
                false,
                false});
  }
  bool invariant = false;
  if (auto value = process.env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT")) {
    invariant = *value == "1" || iequals(*value, "true");
  }
  const auto& props = m.runtime_config.config_properties;
  if (props.contains("System.Globalization.Invariant")
      && props["System.Globalization.Invariant"].is_boolean()) {
    invariant = invariant || props["System.Globalization.Invariant"].get<bool>();
  }
  // The packer's contract (lib/decant/pack/library_rules.hpp): runtime.details.lazyLibraries,
  // each with its reason; the packer adds every match with its ELF closure.
  details["lazyLibraries"] = nlohmann::json::array();
  for (const auto& lib : lazy_libraries(root, m.major, invariant)) {
    details["lazyLibraries"].push_back({{"path", lib.path}, {"reason", lib.reason}});
  }
}

class AspnetAnalyzer : public Analyzer
{
public:
  const AnalyzerInfo&
  info() const override
  {
    static const AnalyzerInfo k_info{
        k_type,
        "ASP.NET Core on .NET Core 3.1, .NET 5 and later (dotnet App.dll, apphost, "
        "self-contained)",
        {"<App>.runtimeconfig.json",
         "appsettings.json",
         "appsettings.<Environment>.json",
         "web.config (hints only)",
         "/proc/<pid>/maps (frameworks in use)"}};
    return k_info;
  }

  bool
  matches(const ProcessInfo& process, const HostRoot& root) const override
  {
    auto launch = detect_launch(process, root);
    // A broken launch (apphost without its App.dll) is still ours: analyze() reports it.
    return !launch || launch->has_value();
  }

  Result<AppIdentity>
  identify(const ProcessInfo& process, const HostRoot& root) const override
  {
    auto model = load_model(process, root);
    if (!model) {
      return fail(model.error());
    }
    return AppIdentity{
        make_application_id(k_type, identity_of(*model)), k_type, model->launch.app_dir};
  }

  Result<Analysis>
  analyze(const ProcessInfo& process, const HostRoot& root) const override
  {
    auto loaded = load_model(process, root);
    if (!loaded) {
      return fail(loaded.error());
    }
    const AppModel& m = *loaded;
    Analysis a = base_analysis(process, root, k_type, identity_of(m));

    nlohmann::json& details = a.runtime.details;
    a.runtime.name = "ASP.NET Core";
    for (const auto& fx : m.frameworks) {
      if (iequals(fx.name, k_aspnetcore_app)) {
        a.runtime.version = fx.version;
      }
      if (iequals(fx.name, k_netcore_app)) {
        details["dotnetVersion"] = fx.version;
      }
    }
    details["tfm"] = m.runtime_config.tfm;
    details["launch"] = to_string(m.launch.shape);
    details["appPath"] = m.launch.app_dll;
    details["appDirectory"] = m.launch.app_dir;
    details["runtimeConfig"] = m.launch.runtimeconfig;
    details["contentRoot"] = m.content_root;
    details["environment"] = m.environment;
    details["rollForward"] = m.runtime_config.roll_forward;
    if (!m.dotnet_root.empty()) {
      details["dotnetRoot"] = m.dotnet_root;
      details["hostFxr"] = m.hostfxr_version;
    }
    details["frameworks"] = nlohmann::json::array();
    for (const auto& fx : m.frameworks) {
      details["frameworks"].push_back({{"name", fx.name},
                                       {"requested", fx.requested},
                                       {"version", fx.version},
                                       {"path", fx.directory},
                                       {"resolvedFrom", fx.how}});
    }
    details["appsettings"] = nlohmann::json::array();
    for (const auto& [path, own] : m.settings) {
      details["appsettings"].push_back(path);
    }
    details["urlSource"] = to_string(m.urls.mechanism);
    details["urls"] = nlohmann::json::array();
    for (const auto& endpoint : m.urls.endpoints) {
      details["urls"].push_back({{"url", endpoint.url.text},
                                 {"name", endpoint.name},
                                 {"source", endpoint.source.source}});
    }
    for (const auto& warning : m.urls.warnings) {
      a.warn("kestrel-config", warning);
    }

    // Start command: the muxer or apphost by the path the kernel ran (argv[0] may be a PATH
    // name or a symlink such as /usr/bin/dotnet that the image does not hold).
    if (!a.start.command.empty() && !process.exe.empty()) {
      a.start.command[0] = process.exe;
    }
    // A framework-dependent apphost finds the runtime through DOTNET_ROOT, then
    // /etc/dotnet/install_location, then /usr/share/dotnet: make the image's lookup explicit
    // when neither the variable nor the file is there and the root is not the default.
    if (m.launch.shape == LaunchShape::apphost && !process.env("DOTNET_ROOT")
        && !root.is_regular_file("/etc/dotnet/install_location")
        && m.dotnet_root != "/usr/share/dotnet") {
      a.add_env("DOTNET_ROOT", m.dotnet_root, false);
      details["addedEnv"] = {"DOTNET_ROOT"};
    }

    set_gc_heap(a, gc_heap_limit(process, root, m.runtime_config.config_properties));
    add_kestrel_ports(a, root, process, m.urls);
    add_files(a, process, root, m, details);
    add_certificates(a, process, root, m);
    add_settings_secrets(a, m);
    add_dependencies(a, m);
    redact_secret_arguments(a);

    for (const auto& dir : {m.launch.app_dir, m.content_root}) {
      std::string path = dir + "/web.config";
      if (!root.exists(path) || details.contains("webConfig")) {
        continue;
      }
      auto text = root.read_file(path);
      auto hints = text ? read_web_config(*text, path) : fail(text.error());
      if (!hints) {
        a.warn("web-config", hints.error().message);
        continue;
      }
      details["webConfig"] = {{"path", path},
                              {"processPath", hints->process_path},
                              {"arguments", hints->arguments},
                              {"hostingModel", hints->hosting_model}};
      a.warn("iis-not-migrated",
             fmt::format("{} configures IIS hosting (ASP.NET Core Module{}, processPath \"{}\"); "
                         "IIS itself is not migrated: the image runs Kestrel directly as the "
                         "process did here",
                         path,
                         hints->hosting_model.empty() ? "" : ", " + hints->hosting_model,
                         hints->process_path));
    }
    return a;
  }
};

} // namespace

std::unique_ptr<Analyzer>
make_aspnet_analyzer()
{
  return std::make_unique<AspnetAnalyzer>();
}

DECANT_REGISTER_ANALYZER("dotnet-aspnetcore", 200, make_aspnet_analyzer);

} // namespace decant::aspnet
