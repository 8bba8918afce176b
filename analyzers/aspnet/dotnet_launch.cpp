#include "dotnet_launch.hpp"

#include <decant/util/strings.hpp>

#include <algorithm>

namespace decant::aspnet {

namespace {

bool
maps_dotnet_runtime(const ProcessInfo& process)
{
  for (const auto& entry : process.maps) {
    if (ends_with(entry.path, "/libhostfxr.so") || ends_with(entry.path, "/libcoreclr.so")
        || ends_with(entry.path, "/libhostpolicy.so")) {
      return true;
    }
  }
  return false;
}

} // namespace

std::string
to_string(LaunchShape shape)
{
  switch (shape) {
  case LaunchShape::muxer:
    return "muxer";
  case LaunchShape::apphost:
    return "apphost";
  case LaunchShape::self_contained:
    return "self-contained";
  }
  return "muxer";
}

std::optional<size_t>
muxer_app_index(const std::vector<std::string>& argv)
{
  // Host options that take a value (dotnet/runtime src/native/corehost/hostmisc and the
  // muxer's "exec mode" options).
  static const std::vector<std::string> k_with_value = {"--depsfile",
                                                        "--runtimeconfig",
                                                        "--additionalprobingpath",
                                                        "--additional-deps",
                                                        "--fx-version",
                                                        "--roll-forward",
                                                        "--roll-forward-on-no-candidate-fx"};
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg == "exec") {
      continue;
    }
    if (std::find(k_with_value.begin(), k_with_value.end(), arg) != k_with_value.end()) {
      ++i;
      continue;
    }
    if (starts_with(arg, "-")) {
      return std::nullopt; // --info, --list-runtimes, -h: no application
    }
    if (ends_with(arg, ".dll") || ends_with(arg, ".exe")) {
      return i;
    }
    return std::nullopt; // an SDK command: run, build, watch, ...
  }
  return std::nullopt;
}

Result<std::optional<DotnetLaunch>>
detect_launch(const ProcessInfo& process, const HostRoot& root)
{
  if (process.exe.empty()) {
    return std::optional<DotnetLaunch>();
  }
  DotnetLaunch launch;
  launch.exe = process.host_path(process.exe);
  std::string exe_name = base_name(launch.exe);

  if (exe_name == "dotnet") {
    auto index = muxer_app_index(process.cmdline);
    if (!index) {
      return std::optional<DotnetLaunch>();
    }
    launch.shape = LaunchShape::muxer;
    launch.app_dll = process.host_path(process.cmdline[*index]);
    launch.app_dir = dir_name(launch.app_dll);
    launch.app_name = base_name(launch.app_dll);
    launch.app_name = launch.app_name.substr(0, launch.app_name.rfind('.'));
    launch.app_args_index = static_cast<int>(*index) + 1;
    launch.runtimeconfig = launch.app_dir + "/" + launch.app_name + ".runtimeconfig.json";
    for (size_t i = 1; i + 1 < *index; ++i) {
      if (process.cmdline[i] == "--runtimeconfig") {
        launch.runtimeconfig = process.host_path(process.cmdline[i + 1]);
      }
    }
    if (!root.is_regular_file(launch.app_dll)) {
      return fail(Error(ErrorCode::not_found,
                        fmt::format("{} runs {}, which does not exist", launch.exe, launch.app_dll),
                        "the application was deleted or replaced after it started; redeploy it "
                        "and restart it, then analyze again"));
    }
    return std::optional<DotnetLaunch>(launch);
  }

  // An apphost: App next to App.runtimeconfig.json / App.deps.json / App.dll. Only a process
  // that maps the .NET runtime counts, so that a file that happens to sit next to a .dll with
  // the same name is not taken for one.
  launch.app_dir = dir_name(launch.exe);
  launch.app_name = exe_name;
  std::string stem = launch.app_dir + "/" + exe_name;
  launch.runtimeconfig = stem + ".runtimeconfig.json";
  launch.app_dll = stem + ".dll";
  bool has_config = root.is_regular_file(launch.runtimeconfig);
  bool has_deps = root.is_regular_file(stem + ".deps.json");
  bool has_dll = root.is_regular_file(launch.app_dll);
  if (!(has_config || has_deps || has_dll) || !maps_dotnet_runtime(process)) {
    return std::optional<DotnetLaunch>();
  }
  if (!has_dll) {
    return fail(Error(ErrorCode::not_found,
                      fmt::format("apphost {} has no {} beside it (its {} is there)",
                                  launch.exe,
                                  launch.app_dll,
                                  has_config ? launch.runtimeconfig : stem + ".deps.json"),
                      "the application directory is incomplete (a failed deployment?); "
                      "redeploy it and restart the application, then analyze again"));
  }
  launch.app_args_index = 1;
  launch.shape = root.is_regular_file(launch.app_dir + "/libcoreclr.so")
                     ? LaunchShape::self_contained
                     : LaunchShape::apphost;
  return std::optional<DotnetLaunch>(launch);
}

} // namespace decant::aspnet
