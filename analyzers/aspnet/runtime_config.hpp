#pragma once

// <App>.runtimeconfig.json (what the .NET host reads to pick frameworks) and the shared
// frameworks a running process actually uses, read from its memory maps: roll-forward and
// DOTNET_ROLL_FORWARD mean the version in use is often not the one requested.

#include <decant/error.hpp>
#include <decant/proc/parse.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace decant::aspnet {

inline constexpr const char* k_netcore_app = "Microsoft.NETCore.App";
inline constexpr const char* k_aspnetcore_app = "Microsoft.AspNetCore.App";

struct FrameworkReference {
  std::string name;    // "Microsoft.AspNetCore.App"
  std::string version; // requested (framework-dependent) or bundled (self-contained)
};

struct RuntimeConfig {
  std::string tfm;                            // "net8.0", "netcoreapp3.1"; may be empty
  std::vector<FrameworkReference> frameworks; // "framework" or "frameworks[]"
  std::vector<FrameworkReference> included;   // "includedFrameworks" (self-contained)
  std::string roll_forward;                   // "rollForward" or "Minor" when absent
  nlohmann::json config_properties = nlohmann::json::object();

  bool
  self_contained() const
  {
    return !included.empty();
  }
  // Whether any reference names `framework` (case-insensitive, as the host compares names).
  bool references(std::string_view framework) const;
};

// Parses runtimeconfig.json content. Comments are accepted (the host accepts them).
Result<RuntimeConfig> parse_runtime_config(std::string_view text, const std::string& path);

// The framework major version of a TFM: "netcoreapp3.1" -> 3, "net8.0" -> 8; 0 when unknown.
int tfm_major(std::string_view tfm);

// A framework a process has mapped: /usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.11/...
struct FrameworkInUse {
  std::string name;
  std::string version;
  std::string directory; // host path of shared/<name>/<version>
};

// Shared frameworks and the hostfxr the process maps, below any dotnet root. Pure: works on
// the host paths of mapped files.
std::vector<FrameworkInUse> frameworks_from_maps(const std::vector<std::string>& mapped_files);

struct HostFxrInUse {
  std::string version;
  std::string directory;   // <root>/host/fxr/<version>
  std::string dotnet_root; // <root>
};
std::optional<HostFxrInUse> hostfxr_from_maps(const std::vector<std::string>& mapped_files);

// Semantic version comparison of "8.0.11", "6.0.0-rc.2.21480.5" (a pre-release sorts before
// its release). Returns <0, 0, >0.
int compare_versions(std::string_view a, std::string_view b);

// Which of the installed versions of a framework the host would pick for `requested` under a
// roll-forward policy (Disable, LatestPatch, Minor, LatestMinor, Major, LatestMajor), following
// docs/design/features/framework-version-resolution.md of dotnet/runtime. Release versions
// only roll forward to release versions. nullopt when none fits.
std::optional<std::string> resolve_roll_forward(const std::string& requested,
                                                const std::string& policy,
                                                const std::vector<std::string>& installed);

} // namespace decant::aspnet
