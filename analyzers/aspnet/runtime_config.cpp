#include "runtime_config.hpp"

#include "dotnet_json.hpp"

#include <decant/util/strings.hpp>

#include <algorithm>
#include <cctype>

namespace decant::aspnet {

namespace {

Result<FrameworkReference>
parse_reference(const nlohmann::json& j, const std::string& where)
{
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string()) {
    return fail(ErrorCode::invalid_input, "{}: expected an object with a \"name\" string", where);
  }
  FrameworkReference ref;
  ref.name = j["name"].get<std::string>();
  if (j.contains("version") && j["version"].is_string()) {
    ref.version = j["version"].get<std::string>();
  }
  return ref;
}

Result<std::vector<FrameworkReference>>
parse_references(const nlohmann::json& options, const char* key, const std::string& path)
{
  std::vector<FrameworkReference> out;
  if (!options.contains(key)) {
    return out;
  }
  const auto& value = options[key];
  std::string where = fmt::format("{}: runtimeOptions.{}", path, key);
  if (value.is_object()) {
    auto ref = parse_reference(value, where);
    if (!ref) {
      return fail(ref.error());
    }
    out.push_back(*ref);
    return out;
  }
  if (!value.is_array()) {
    return fail(ErrorCode::invalid_input, "{}: expected an array of frameworks", where);
  }
  for (size_t i = 0; i < value.size(); ++i) {
    auto ref = parse_reference(value[i], fmt::format("{}[{}]", where, i));
    if (!ref) {
      return fail(ref.error());
    }
    out.push_back(*ref);
  }
  return out;
}

struct Version {
  std::vector<uint64_t> numbers; // major, minor, patch
  std::string prerelease;
};

Version
parse_version(std::string_view text)
{
  Version v;
  auto dash = text.find('-');
  std::string_view core = text.substr(0, dash);
  if (dash != std::string_view::npos) {
    v.prerelease = std::string(text.substr(dash + 1));
  }
  for (const auto& part : split(core, '.')) {
    v.numbers.push_back(parse_u64(part).value_or(0));
  }
  v.numbers.resize(3, 0);
  return v;
}

} // namespace

bool
RuntimeConfig::references(std::string_view framework) const
{
  auto has = [&](const std::vector<FrameworkReference>& refs) {
    return std::any_of(refs.begin(), refs.end(), [&](const FrameworkReference& r) {
      return iequals(r.name, framework);
    });
  };
  return has(frameworks) || has(included);
}

Result<RuntimeConfig>
parse_runtime_config(std::string_view text, const std::string& path)
{
  auto json = parse_dotnet_json(text, path);
  if (!json) {
    return fail(json.error());
  }
  if (!json->is_object() || !json->contains("runtimeOptions")
      || !(*json)["runtimeOptions"].is_object()) {
    return fail(Error(ErrorCode::invalid_input,
                      fmt::format("{}: no \"runtimeOptions\" object", path),
                      "a runtimeconfig.json written by the SDK has {\"runtimeOptions\": {...}}"));
  }
  const auto& options = (*json)["runtimeOptions"];
  RuntimeConfig config;
  if (options.contains("tfm") && options["tfm"].is_string()) {
    config.tfm = options["tfm"].get<std::string>();
  }
  for (const char* key : {"framework", "frameworks"}) {
    auto refs = parse_references(options, key, path);
    if (!refs) {
      return fail(refs.error());
    }
    config.frameworks.insert(config.frameworks.end(), refs->begin(), refs->end());
  }
  auto included = parse_references(options, "includedFrameworks", path);
  if (!included) {
    return fail(included.error());
  }
  config.included = *included;
  config.roll_forward = "Minor";
  if (options.contains("rollForward") && options["rollForward"].is_string()) {
    config.roll_forward = options["rollForward"].get<std::string>();
  } else if (options.contains("rollForwardOnNoCandidateFx")) {
    // The pre-3.0 setting: 0 = off, 1 = minor (default), 2 = major.
    int value = options["rollForwardOnNoCandidateFx"].is_number_integer()
                    ? options["rollForwardOnNoCandidateFx"].get<int>()
                    : 1;
    config.roll_forward = value == 0 ? "LatestPatch" : value == 2 ? "Major" : "Minor";
  }
  if (options.contains("configProperties") && options["configProperties"].is_object()) {
    config.config_properties = options["configProperties"];
  }
  return config;
}

int
tfm_major(std::string_view tfm)
{
  for (std::string_view prefix : {"netcoreapp", "net"}) {
    if (starts_with(tfm, prefix)) {
      auto rest = tfm.substr(prefix.size());
      auto dot = rest.find('.');
      if (auto major = parse_u64(rest.substr(0, dot)); major && *major < 100) {
        return static_cast<int>(*major);
      }
    }
  }
  return 0;
}

std::vector<FrameworkInUse>
frameworks_from_maps(const std::vector<std::string>& mapped_files)
{
  std::vector<FrameworkInUse> out;
  for (const auto& file : mapped_files) {
    // <root>/shared/<name>/<version>/<file>
    auto parts = split(file, '/');
    for (size_t i = 0; i + 3 < parts.size(); ++i) {
      if (parts[i] != "shared") {
        continue;
      }
      const auto& name = parts[i + 1];
      const auto& version = parts[i + 2];
      if (!starts_with(name, "Microsoft.") || version.empty()
          || !std::isdigit(static_cast<unsigned char>(version[0]))) {
        continue;
      }
      std::vector<std::string> head(parts.begin(), parts.begin() + static_cast<long>(i + 3));
      std::string directory = join(head, "/");
      bool known = std::any_of(out.begin(), out.end(), [&](const FrameworkInUse& f) {
        return f.directory == directory;
      });
      if (!known) {
        out.push_back({name, version, directory});
      }
      break;
    }
  }
  return out;
}

std::optional<HostFxrInUse>
hostfxr_from_maps(const std::vector<std::string>& mapped_files)
{
  const std::string marker = "/host/fxr/";
  for (const auto& file : mapped_files) {
    if (!ends_with(file, "/libhostfxr.so")) {
      continue;
    }
    auto pos = file.rfind(marker);
    if (pos == std::string::npos) {
      continue;
    }
    std::string directory = file.substr(0, file.rfind('/'));
    std::string version = directory.substr(pos + marker.size());
    return HostFxrInUse{version, directory, pos == 0 ? "/" : file.substr(0, pos)};
  }
  return std::nullopt;
}

int
compare_versions(std::string_view a, std::string_view b)
{
  Version x = parse_version(a);
  Version y = parse_version(b);
  for (size_t i = 0; i < 3; ++i) {
    if (x.numbers[i] != y.numbers[i]) {
      return x.numbers[i] < y.numbers[i] ? -1 : 1;
    }
  }
  if (x.prerelease == y.prerelease) {
    return 0;
  }
  if (x.prerelease.empty()) {
    return 1;
  }
  if (y.prerelease.empty()) {
    return -1;
  }
  return x.prerelease < y.prerelease ? -1 : 1;
}

std::optional<std::string>
resolve_roll_forward(const std::string& requested,
                     const std::string& policy,
                     const std::vector<std::string>& installed)
{
  Version want = parse_version(requested);
  std::vector<std::string> candidates;
  for (const auto& version : installed) {
    Version have = parse_version(version);
    if (compare_versions(version, requested) < 0) {
      continue;
    }
    // A release request never rolls onto a pre-release.
    if (want.prerelease.empty() && !have.prerelease.empty()) {
      continue;
    }
    candidates.push_back(version);
  }
  std::sort(candidates.begin(), candidates.end(), [](const std::string& a, const std::string& b) {
    return compare_versions(a, b) < 0;
  });
  auto latest_patch_of = [&](uint64_t major, uint64_t minor) -> std::optional<std::string> {
    std::optional<std::string> best;
    for (const auto& c : candidates) {
      Version v = parse_version(c);
      if (v.numbers[0] == major && v.numbers[1] == minor) {
        best = c;
      }
    }
    return best;
  };
  if (iequals(policy, "Disable")) {
    for (const auto& c : candidates) {
      if (compare_versions(c, requested) == 0) {
        return c;
      }
    }
    return std::nullopt;
  }
  if (iequals(policy, "LatestPatch")) {
    return latest_patch_of(want.numbers[0], want.numbers[1]);
  }
  if (iequals(policy, "LatestMinor") || iequals(policy, "LatestMajor")) {
    std::optional<std::string> best;
    for (const auto& c : candidates) {
      if (iequals(policy, "LatestMajor") || parse_version(c).numbers[0] == want.numbers[0]) {
        best = c;
      }
    }
    return best;
  }
  // Minor (the default) and Major: the lowest higher minor (or major) version that exists,
  // then its latest patch.
  bool major = iequals(policy, "Major");
  if (auto same = latest_patch_of(want.numbers[0], want.numbers[1])) {
    return same;
  }
  for (const auto& c : candidates) {
    Version v = parse_version(c);
    if (v.numbers[0] == want.numbers[0] || major) {
      return latest_patch_of(v.numbers[0], v.numbers[1]);
    }
  }
  return std::nullopt;
}

} // namespace decant::aspnet
