#include "server_command.hpp"

#include <decant/util/strings.hpp>

#include <set>

namespace decant::jboss {

namespace {

// jboss-modules options that take the next argument as their value (org.jboss.modules.Main).
const std::set<std::string> k_modules_options_with_value = {
    "-mp",
    "-modulepath",
    "--modulepath",
    "-dep",
    "-dependencies",
    "--dependencies",
    "-cp",
    "-classpath",
    "--classpath",
    "-config",
    "-jaxpmodule",
    "--jaxpmodule",
    "-logmodule",
    "-secmgrmodule",
    "-add-provider",
};

bool
is_modules_jar(const std::string& jar)
{
  std::string name = base_name(jar);
  return name == "jboss-modules.jar"
         || (starts_with(name, "jboss-modules") && ends_with(name, ".jar"));
}

// The module name after the jboss-modules options, and the index of the first argument after it.
struct ModulesSplit {
  std::vector<std::string> module_paths;
  std::string module;
  size_t rest = 0;
  bool complete = false;
};

ModulesSplit
split_modules_arguments(const std::vector<std::string>& args)
{
  ModulesSplit split_result;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.empty() || arg[0] != '-') {
      split_result.module = arg;
      split_result.rest = i + 1;
      split_result.complete = true;
      return split_result;
    }
    if (k_modules_options_with_value.count(arg)) {
      if (i + 1 >= args.size()) {
        break;
      }
      if (arg == "-mp" || arg == "-modulepath" || arg == "--modulepath") {
        for (auto& path : split(args[i + 1], ':')) {
          if (!path.empty()) {
            split_result.module_paths.push_back(path);
          }
        }
      }
      ++i;
    }
  }
  split_result.rest = args.size();
  return split_result;
}

} // namespace

LaunchKind
launch_kind(const java::JvmCommand& command)
{
  if (command.main_class == "org.jboss.Main") {
    return LaunchKind::legacy;
  }
  for (const auto& entry : command.classpath) {
    if (base_name(entry) == "run.jar") {
      return LaunchKind::legacy;
    }
  }
  if (!is_modules_jar(command.jar)) {
    return LaunchKind::none;
  }
  auto split_result = split_modules_arguments(command.arguments);
  const std::string& module = split_result.module;
  if (module == "org.jboss.as.standalone") {
    return LaunchKind::standalone;
  }
  // Domain mode: the process controller starts the host controller, which starts one JVM per
  // server running org.jboss.as.server (-D[Server:name]).
  if (module == "org.jboss.as.process-controller" || module == "org.jboss.as.host-controller"
      || module == "org.jboss.as.server") {
    return LaunchKind::domain;
  }
  for (const auto& option : command.options) {
    if (option == "-D[Process Controller]" || option == "-D[Host Controller]"
        || starts_with(option, "-D[Server:")) {
      return LaunchKind::domain;
    }
  }
  if (module.empty()) {
    for (const auto& option : command.options) {
      if (option == "-D[Standalone]") {
        return LaunchKind::standalone;
      }
    }
  }
  return LaunchKind::other_module;
}

namespace {

void
set_property(ServerCommand& server,
             const std::string& name,
             const std::string& value,
             const std::string& source)
{
  server.properties[name] = value;
  server.property_sources[name] = source;
}

// "-x=value" or "-x value": the value; `i` moves past the next argument when it was consumed.
Result<std::string>
option_value(const std::vector<std::string>& args, size_t& i, const std::string& option)
{
  const std::string& arg = args[i];
  if (arg.size() > option.size() && arg[option.size()] == '=') {
    return arg.substr(option.size() + 1);
  }
  if (i + 1 >= args.size()) {
    return fail(ErrorCode::invalid_input, "server argument {} lacks its value", arg);
  }
  return args[++i];
}

// -b addr, -b=addr: jboss.bind.address; -bNAME addr, -bNAME=addr: jboss.bind.address.NAME
// (org.jboss.as.server.Main, the "-b" branch).
Status
apply_bind_address(ServerCommand& server, const std::vector<std::string>& args, size_t& i)
{
  const std::string& arg = args[i];
  size_t eq = arg.find('=');
  std::string logical;
  std::string value;
  if (eq == std::string::npos) {
    if (i + 1 >= args.size()) {
      return fail(ErrorCode::invalid_input, "server argument {} lacks its address", arg);
    }
    logical = arg.size() == 2 ? "" : arg.substr(2);
    value = args[++i];
  } else {
    logical = arg.substr(2, eq - 2);
    value = arg.substr(eq + 1);
  }
  // An IPv6 address may be written as a URL host: [::1].
  if (value.size() > 2 && value.front() == '[' && value.back() == ']') {
    value = value.substr(1, value.size() - 2);
  }
  std::string name = logical.empty() ? "jboss.bind.address" : "jboss.bind.address." + logical;
  set_property(server, name, value, "server argument " + arg);
  return {};
}

// -P file, --properties=file: every property of the file, with its line as the source.
Status
apply_properties_file(ServerCommand& server,
                      const std::string& path,
                      const PropertiesFileReader& read_properties)
{
  server.properties_files.push_back(path);
  auto content = read_properties(path);
  if (!content) {
    return fail(content.error().context("server argument --properties " + path));
  }
  for (const auto& [name, property] : java::parse_properties(*content)) {
    set_property(
        server, name, property.value, fmt::format("--properties {}:{}", path, property.line));
  }
  return {};
}

// -c / --server-config / --read-only-server-config: the configuration file.
Status
apply_server_config(ServerCommand& server,
                    const std::vector<std::string>& args,
                    size_t& i,
                    const std::string& option)
{
  auto value = option_value(args, i, option);
  if (!value) {
    return fail(value.error());
  }
  server.server_config = *value;
  if (option == "--read-only-server-config") {
    server.read_only_config = true;
  }
  return {};
}

// One argument of org.jboss.as.server.Main (those that change a port, path or address); `i`
// moves past any value it consumes.
Status
apply_server_argument(ServerCommand& server,
                      const std::vector<std::string>& args,
                      size_t& i,
                      const PropertiesFileReader& read_properties)
{
  const std::string& arg = args[i];
  if (starts_with(arg, "-D") && arg.size() > 2) {
    size_t eq = arg.find('=');
    // WildFly's Main sets "-Dname" without a value to "true".
    if (eq == std::string::npos) {
      set_property(server, arg.substr(2), "true", "server argument " + arg);
    } else {
      set_property(server,
                   arg.substr(2, eq - 2),
                   arg.substr(eq + 1),
                   "server argument -D" + arg.substr(2, eq - 2));
    }
  } else if (arg == "-c" || starts_with(arg, "-c=")) {
    return apply_server_config(server, args, i, "-c");
  } else if (starts_with(arg, "--server-config")) {
    return apply_server_config(server, args, i, "--server-config");
  } else if (starts_with(arg, "--read-only-server-config")) {
    return apply_server_config(server, args, i, "--read-only-server-config");
  } else if (arg == "-P" || starts_with(arg, "-P=") || starts_with(arg, "--properties")) {
    auto value = option_value(args, i, arg[1] == 'P' ? "-P" : "--properties");
    if (!value) {
      return fail(value.error());
    }
    return apply_properties_file(server, *value, read_properties);
  } else if (starts_with(arg, "-b")) {
    return apply_bind_address(server, args, i);
  } else if (arg == "-u" || starts_with(arg, "-u=")) {
    auto value = option_value(args, i, "-u");
    if (!value) {
      return fail(value.error());
    }
    set_property(server, "jboss.default.multicast.address", *value, "server argument -u");
  }
  // Other arguments (--admin-only, -secmgr, --start-mode=..., -S...) change no port, path
  // or address this analyzer computes.
  return {};
}

} // namespace

Result<ServerCommand>
parse_server_command(const java::JvmCommand& command, const PropertiesFileReader& read_properties)
{
  ServerCommand server;
  server.modules_jar = command.jar;
  auto split_result = split_modules_arguments(command.arguments);
  if (!split_result.complete) {
    return fail(ErrorCode::invalid_input,
                "the jboss-modules arguments \"{}\" name no module to run",
                join(command.arguments, " "));
  }
  server.module_paths = split_result.module_paths;
  server.module = split_result.module;
  server.server_arguments.assign(command.arguments.begin() + static_cast<long>(split_result.rest),
                                 command.arguments.end());
  for (const auto& [name, value] : command.system_properties) {
    set_property(server, name, value, "JVM option -D" + name);
  }
  const auto& args = server.server_arguments;
  for (size_t i = 0; i < args.size(); ++i) {
    if (auto applied = apply_server_argument(server, args, i, read_properties); !applied) {
      return fail(applied.error());
    }
  }
  return server;
}

} // namespace decant::jboss
