#pragma once

// How a .NET application was started, from its /proc entry: the three launch shapes.
//   muxer           dotnet [host options] [exec] App.dll [app args]
//   apphost         /srv/app/App  (App.dll, App.runtimeconfig.json beside it, shared frameworks
//                   from a dotnet root)
//   self-contained  /srv/app/App  (runtimeconfig "includedFrameworks", libcoreclr.so beside it)

#include <decant/error.hpp>
#include <decant/proc/host_root.hpp>
#include <decant/proc/process.hpp>

#include <optional>
#include <string>

namespace decant::aspnet {

enum class LaunchShape { muxer, apphost, self_contained };
std::string to_string(LaunchShape shape);

struct DotnetLaunch {
  LaunchShape shape = LaunchShape::muxer;
  std::string exe;           // host path of the executable (the muxer or the apphost)
  std::string app_dll;       // host path of App.dll
  std::string app_dir;       // its directory (AppContext.BaseDirectory)
  std::string app_name;      // "App"
  std::string runtimeconfig; // host path of App.runtimeconfig.json (--runtimeconfig honoured)
  int app_args_index = 1;    // argv index of the first application argument
};

// Pure part of the muxer case: the index of the application path in a `dotnet` argv, skipping
// host options (--depsfile x, --runtimeconfig x, --fx-version x, ...) and "exec"; nullopt
// when argv runs an SDK command (dotnet run, dotnet build) or nothing.
std::optional<size_t> muxer_app_index(const std::vector<std::string>& argv);

// nullopt: not a .NET application (not ours). An error: a .NET launch that is broken (an
// apphost whose App.dll is missing).
Result<std::optional<DotnetLaunch>> detect_launch(const ProcessInfo& process, const HostRoot& root);

} // namespace decant::aspnet
