#include "jvm.hpp"

#include "hsperfdata.hpp"

#include <decant/deploy/kubernetes.hpp>
#include <decant/util/limits.hpp>
#include <decant/util/strings.hpp>

#include <algorithm>
#include <cstdint>
#include <set>

namespace decant::java {

namespace {

// JVM options that take their value as the next argument (java -help, JDK 9+ module options).
const std::set<std::string> k_options_with_value = {
    "-cp",
    "-classpath",
    "--class-path",
    "-p",
    "--module-path",
    "--upgrade-module-path",
    "--add-modules",
    "--add-opens",
    "--add-exports",
    "--add-reads",
    "--patch-module",
    "--limit-modules",
    "--enable-native-access",
};

} // namespace

std::optional<uint64_t>
parse_memory_size(std::string_view text)
{
  if (text.empty()) {
    return std::nullopt;
  }
  uint64_t multiplier = 1;
  switch (text.back()) {
  case 'k':
  case 'K':
    multiplier = 1024;
    break;
  case 'm':
  case 'M':
    multiplier = 1024 * 1024;
    break;
  case 'g':
  case 'G':
    multiplier = 1024ull * 1024 * 1024;
    break;
  case 't':
  case 'T':
    multiplier = 1024ull * 1024 * 1024 * 1024;
    break;
  default:
    break;
  }
  if (multiplier != 1) {
    text.remove_suffix(1);
  }
  auto value = parse_u64(text);
  if (!value || *value > UINT64_MAX / multiplier) {
    return std::nullopt; // the JVM refuses such a size too ("Invalid maximum heap size")
  }
  return *value * multiplier;
}

namespace {

// One JVM option that stands alone (not -cp and the like, whose value is the next argument):
// the facts the model keeps of it. Fails only for a malformed number.
Status
read_option(JvmCommand& command, const std::string& arg)
{
  if (starts_with(arg, "--class-path=")) {
    command.classpath = split(arg.substr(13), ':');
  } else if (starts_with(arg, "--add-modules=")) {
    for (auto& module : split(arg.substr(14), ',')) {
      command.add_modules.push_back(std::move(module));
    }
  } else if (starts_with(arg, "-D")) {
    size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      command.system_properties[arg.substr(2)] = "";
    } else {
      command.system_properties[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
    }
  } else if (starts_with(arg, "-javaagent:")) {
    std::string agent = arg.substr(11);
    command.agents.push_back(agent.substr(0, agent.find('=')));
  } else if (starts_with(arg, "-agentpath:")) {
    std::string agent = arg.substr(11);
    command.native_agents.push_back(agent.substr(0, agent.find('=')));
  } else if (starts_with(arg, "-agentlib:jdwp") || starts_with(arg, "-Xrunjdwp")
             || arg == "-Xdebug") {
    command.debugger = true;
  } else if (arg == "-XX:+EnableJVMCI" || arg == "-XX:+UseJVMCICompiler"
             || arg == "-XX:+UseJVMCINativeLibrary") {
    command.jvmci = true;
  } else if (arg == "-XX:-UseCompressedOops" || arg == "-XX:+UseCompressedOops") {
    command.compressed_oops_off = arg[4] == '-';
  } else if (starts_with(arg, "-Xmx")) {
    command.max_heap_bytes = parse_memory_size(arg.substr(4));
  } else if (starts_with(arg, "-XX:MaxHeapSize=")) {
    command.max_heap_bytes = parse_memory_size(arg.substr(16));
  } else if (starts_with(arg, "-Xms")) {
    command.initial_heap_bytes = parse_memory_size(arg.substr(4));
  } else if (starts_with(arg, "-XX:MaxRAM=")) {
    command.max_ram_bytes = parse_memory_size(arg.substr(11));
  } else if (arg == "-XX:+UseContainerSupport" || arg == "-XX:-UseContainerSupport") {
    command.use_container_support = arg[4] == '+';
  } else {
    static const std::pair<const char*, std::optional<double> JvmCommand::*> k_numbers[] = {
        {"-XX:MaxRAMPercentage=", &JvmCommand::max_ram_percentage},
        {"-XX:MinRAMPercentage=", &JvmCommand::min_ram_percentage},
        {"-XX:MaxRAMFraction=", &JvmCommand::max_ram_fraction},
        {"-XX:MinRAMFraction=", &JvmCommand::min_ram_fraction},
    };
    for (const auto& [prefix, field] : k_numbers) {
      if (!starts_with(arg, prefix)) {
        continue;
      }
      try {
        command.*field = std::stod(arg.substr(std::string_view(prefix).size()));
      } catch (const std::exception&) {
        return fail(ErrorCode::invalid_input, "java option {} is not a number", arg);
      }
    }
  }
  return {};
}

} // namespace

bool
JvmCommand::large_heap() const
{
  // HotSpot turns compressed oops off for a maximum heap of 32 GB and more.
  constexpr uint64_t k_compressed_oops_limit = 32ULL << 30;
  return compressed_oops_off || (max_heap_bytes && *max_heap_bytes >= k_compressed_oops_limit);
}

Result<JvmCommand>
parse_jvm_command(const std::vector<std::string>& argv)
{
  if (argv.empty()) {
    return fail(ErrorCode::invalid_input, "empty java command line");
  }
  JvmCommand command;
  command.java = argv[0];
  size_t i = 1;
  for (; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    command.main_index = i;
    if (arg.empty() || arg[0] != '-') {
      command.main_class = arg;
      ++i;
      break;
    }
    if (arg == "-jar" || arg == "-m" || arg == "--module") {
      if (i + 1 >= argv.size()) {
        return fail(ErrorCode::invalid_input, "java option {} lacks its value", arg);
      }
      (arg == "-jar" ? command.jar : command.module) = argv[i + 1];
      i += 2;
      break;
    }
    if (starts_with(arg, "--module=")) {
      command.module = arg.substr(9);
      ++i;
      break;
    }
    command.options.push_back(arg);
    if (k_options_with_value.count(arg)) {
      if (i + 1 >= argv.size()) {
        return fail(ErrorCode::invalid_input, "java option {} lacks its value", arg);
      }
      const std::string& value = argv[++i];
      command.options.push_back(value);
      if (arg == "-cp" || arg == "-classpath" || arg == "--class-path") {
        command.classpath = split(value, ':');
      } else if (arg == "--add-modules") {
        for (auto& module : split(value, ',')) {
          command.add_modules.push_back(std::move(module));
        }
      }
      continue;
    }
    if (auto read = read_option(command, arg); !read) {
      return fail(read.error());
    }
  }
  if (command.main_class.empty() && command.jar.empty() && command.module.empty()) {
    return fail(ErrorCode::invalid_input,
                "java command line names no main class, -jar or -m: {}",
                join(argv, " "));
  }
  command.arguments.assign(argv.begin() + static_cast<long>(std::min(i, argv.size())), argv.end());
  return command;
}

bool
is_jsvc(const ProcessInfo& process)
{
  std::string exe = base_name(process.exe);
  std::string arg0 = process.cmdline.empty() ? "" : base_name(process.cmdline[0]);
  return exe == "jsvc" || arg0 == "jsvc" || arg0 == "jsvc.exec";
}

Result<JsvcCommand>
parse_jsvc_command(const std::vector<std::string>& argv)
{
  if (argv.empty()) {
    return fail(ErrorCode::invalid_input, "empty jsvc command line");
  }
  // jsvc's options that take the next argument, and where they go.
  JsvcCommand out;
  const std::map<std::string, std::string*> k_valued = {
      {"-java-home", &out.java_home},
      {"-home", &out.java_home},
      {"-user", &out.user},
      {"-cwd", &out.cwd},
      {"-umask", &out.umask},
      {"-outfile", &out.outfile},
      {"-errfile", &out.errfile},
  };
  static const std::set<std::string> k_valued_dropped = {
      "-jvm", "-pidfile", "-wait", "-restarts", "-procname"};
  static const std::set<std::string> k_flags = {"-nodetach",
                                                "-keepstdin",
                                                "-check",
                                                "-debug",
                                                "-version",
                                                "-showversion",
                                                "-client",
                                                "-server",
                                                "-stop",
                                                "-help",
                                                "-?"};
  static const char* const k_jvm_prefixes[] = {"-D",
                                               "-X",
                                               "-ea",
                                               "-da",
                                               "-esa",
                                               "-dsa",
                                               "-enableassertions",
                                               "-disableassertions",
                                               "-verbose",
                                               "-agentlib:",
                                               "-agentpath:",
                                               "-javaagent:",
                                               "--add-modules=",
                                               "--module-path=",
                                               "--upgrade-module-path=",
                                               "--add-reads=",
                                               "--add-exports=",
                                               "--add-opens=",
                                               "--limit-modules=",
                                               "--patch-module=",
                                               "--illegal-access=",
                                               "--enable-preview",
                                               "--enable-native-access="};
  std::vector<std::string> java = {"java"};
  size_t i = 1;
  for (; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg.empty() || arg[0] != '-') {
      break; // the class
    }
    auto needs_value = [&]() -> Result<std::string> {
      if (i + 1 >= argv.size()) {
        return fail(ErrorCode::invalid_input, "jsvc option {} lacks its value", arg);
      }
      return argv[++i];
    };
    if (arg == "-cp" || arg == "-classpath") {
      auto value = needs_value();
      if (!value) {
        return fail(value.error());
      }
      java.push_back("-classpath");
      java.push_back(*value);
    } else if (auto it = k_valued.find(arg); it != k_valued.end()) {
      auto value = needs_value();
      if (!value) {
        return fail(value.error());
      }
      *it->second = *value;
      out.dropped.push_back(arg + " " + *value);
    } else if (k_valued_dropped.count(arg)) {
      auto value = needs_value();
      if (!value) {
        return fail(value.error());
      }
      out.dropped.push_back(arg + " " + *value);
    } else if (k_flags.count(arg)) {
      out.dropped.push_back(arg);
    } else if (std::any_of(std::begin(k_jvm_prefixes),
                           std::end(k_jvm_prefixes),
                           [&](const char* p) { return starts_with(arg, p); })) {
      java.push_back(arg);
    } else {
      return fail(ErrorCode::invalid_input, "jsvc does not accept the option {}", arg);
    }
  }
  if (i >= argv.size()) {
    return fail(ErrorCode::invalid_input, "jsvc command line names no class: {}", join(argv, " "));
  }
  java.insert(java.end(), argv.begin() + static_cast<long>(i), argv.end());
  auto jvm = parse_jvm_command(java);
  if (!jvm) {
    return fail(jvm.error());
  }
  out.jvm = std::move(*jvm);
  out.jvm.java = out.java_home.empty() ? "java" : out.java_home + "/bin/java";
  return out;
}

Result<JvmCommand>
jvm_command_of(const ProcessInfo& process)
{
  if (is_jsvc(process)) {
    auto jsvc = parse_jsvc_command(process.cmdline);
    if (!jsvc) {
      return fail(jsvc.error());
    }
    std::string home = java_home_of(process);
    if (!home.empty()) {
      jsvc->jvm.java = home + "/bin/java";
    }
    return jsvc->jvm;
  }
  return parse_jvm_command(process.cmdline);
}

std::string
java_home_of(const ProcessInfo& process)
{
  if (!is_jsvc(process)) {
    return process.exe.empty() ? "" : java_home_from_exe(process.exe);
  }
  // lib/server/libjvm.so (JDK 9+), jre/lib/<arch>/server/libjvm.so (JDK 8): the JAVA_HOME is
  // where bin/java sits next to that lib.
  for (const auto& file : process.mapped_files()) {
    if (!ends_with(file, "/libjvm.so")) {
      continue;
    }
    std::string dir = file.substr(0, file.rfind('/')); // .../server
    dir = dir.substr(0, dir.rfind('/'));               // .../lib or .../lib/amd64
    if (!ends_with(dir, "/lib")) {
      dir = dir.substr(0, dir.rfind('/')); // JDK 8: .../jre/lib
    }
    return dir.substr(0, dir.rfind('/'));
  }
  if (auto jsvc = parse_jsvc_command(process.cmdline); jsvc && !jsvc->java_home.empty()) {
    return HostRoot::normalize(process.host_path(jsvc->java_home));
  }
  return "";
}

std::vector<std::string>
java_argv(const JvmCommand& command)
{
  std::vector<std::string> argv = {command.java};
  argv.insert(argv.end(), command.options.begin(), command.options.end());
  if (!command.main_class.empty()) {
    argv.push_back(command.main_class);
  } else if (!command.jar.empty()) {
    argv.push_back("-jar");
    argv.push_back(command.jar);
  } else if (!command.module.empty()) {
    argv.push_back("--module");
    argv.push_back(command.module);
  }
  argv.insert(argv.end(), command.arguments.begin(), command.arguments.end());
  return argv;
}

void
insert_jvm_options(std::vector<std::string>& argv, const std::vector<std::string>& options)
{
  auto command = parse_jvm_command(argv);
  if (!command || options.empty()) {
    return;
  }
  argv.insert(
      argv.begin() + static_cast<long>(command->main_index), options.begin(), options.end());
}

bool
is_java(const ProcessInfo& process)
{
  if (base_name(process.exe) == "java") {
    return true;
  }
  return !process.cmdline.empty() && base_name(process.cmdline[0]) == "java";
}

std::string
java_home_from_exe(std::string_view exe)
{
  std::string home(exe);
  for (const char* suffix : {"/bin/java"}) {
    if (ends_with(home, suffix)) {
      home.resize(home.size() - std::string_view(suffix).size());
    }
  }
  return home;
}

void
add_jvm_argument_files(Analysis& analysis,
                       const HostRoot& root,
                       const ProcessInfo& process,
                       const JvmCommand& command)
{
  auto add = [&](const std::string& named, const std::string& reason) {
    if (named.empty()) {
      return;
    }
    std::string path = process.host_path(named);
    if (root.exists(path)) {
      analysis.add_file({path, reason, FileRole::config});
    }
  };
  for (const auto& agent : command.agents) {
    add(agent, "named by -javaagent");
  }
  for (const auto& agent : command.native_agents) {
    add(agent, "named by -agentpath");
  }
  static const char* k_file_properties[] = {
      "java.util.logging.config.file",
      "java.security.auth.login.config",
      "java.security.policy",
      "java.security.properties",
      "log4j.configuration",
      "log4j.configurationFile",
      "log4j2.configurationFile",
      "logback.configurationFile",
      "javax.net.ssl.trustStore",
  };
  for (const char* name : k_file_properties) {
    auto it = command.system_properties.find(name);
    if (it == command.system_properties.end()) {
      continue;
    }
    std::string value = it->second;
    // -Djava.security.policy==file means "only this file"; file: URLs are common for log4j.
    while (!value.empty() && value[0] == '=') {
      value.erase(0, 1);
    }
    if (starts_with(value, "file://")) {
      value = value.substr(7);
    } else if (starts_with(value, "file:")) {
      value = value.substr(5);
    }
    add(value, fmt::format("named by -D{}", name));
  }
  if (auto it = command.system_properties.find("java.library.path");
      it != command.system_properties.end()) {
    for (const auto& dir : split(it->second, ':')) {
      add(dir, "in -Djava.library.path");
    }
  }
  for (const auto& option : command.options) {
    for (const char* prefix : {"-Xbootclasspath/a:", "-Xbootclasspath/p:"}) {
      if (starts_with(option, prefix)) {
        for (const auto& entry : split(option.substr(std::string_view(prefix).size()), ':')) {
          add(entry, fmt::format("in {}", std::string_view(prefix).substr(0, 17)));
        }
      }
    }
  }
  if (!command.jar.empty()) {
    add(command.jar, "the JVM's -jar");
  }
  // The class path (a distribution's start script names jars outside the server's tree:
  // /usr/share/java/commons-daemon.jar of the tomcat RPM); "dir/*" is every jar of dir.
  for (const auto& entry : command.classpath) {
    std::string named = ends_with(entry, "/*") ? entry.substr(0, entry.size() - 2) : entry;
    if (named.empty() || named == "*") {
      continue;
    }
    std::string path = HostRoot::normalize(process.host_path(named));
    if (!analysis.covers(path) && root.exists(path)) {
      analysis.add_file({path, "on the JVM's -classpath", FileRole::server});
    }
  }
}

uint64_t
ergonomic_max_heap(uint64_t physical_bytes,
                   std::optional<uint64_t> cgroup_limit,
                   const JvmCommand& flags,
                   nlohmann::json& steps)
{
  constexpr uint64_t k_mib = 1024 * 1024;
  constexpr uint64_t k_gib = 1024 * k_mib;
  // MaxHeapSize's default on 64-bit (ScaleForWordSize(96 MiB) = 96 MiB * 1.3).
  constexpr uint64_t k_default_max_heap = 130862284;
  constexpr uint64_t k_default_max_ram = 128 * k_gib;
  uint64_t memory = physical_bytes;
  std::string seen = fmt::format("physical memory {} (/proc/meminfo MemTotal)", physical_bytes);
  if (cgroup_limit && flags.use_container_support.value_or(true) && *cgroup_limit < memory) {
    memory = *cgroup_limit;
    seen = fmt::format("the cgroup memory limit {}", *cgroup_limit);
  }
  bool override_coops = flags.max_ram_percentage || flags.max_ram_fraction
                        || flags.min_ram_percentage || flags.min_ram_fraction
                        || flags.max_ram_bytes;
  if (flags.max_ram_bytes) {
    memory = *flags.max_ram_bytes;
    seen = fmt::format("-XX:MaxRAM={}", memory);
  } else if (!override_coops && memory > k_default_max_ram) {
    memory = k_default_max_ram;
    seen += ", capped at MaxRAM's default 128 GiB";
  }
  steps["memorySeen"] = memory;
  steps["memorySeenFrom"] = seen;
  double max_pct = flags.max_ram_percentage ? *flags.max_ram_percentage
                   : flags.max_ram_fraction ? 100.0 / *flags.max_ram_fraction
                                            : 25.0;
  double min_pct = flags.min_ram_percentage ? *flags.min_ram_percentage
                   : flags.min_ram_fraction ? 100.0 / *flags.min_ram_fraction
                                            : 50.0;
  auto reasonable_max = static_cast<uint64_t>(static_cast<double>(memory) * max_pct / 100.0);
  auto reasonable_min = static_cast<uint64_t>(static_cast<double>(memory) * min_pct / 100.0);
  std::string rule;
  if (reasonable_min < k_default_max_heap) {
    reasonable_max = reasonable_min;
    rule = fmt::format("MinRAMPercentage {} of a small memory", min_pct);
  } else {
    reasonable_max = std::max(reasonable_max, k_default_max_heap);
    rule = fmt::format("MaxRAMPercentage {}", max_pct);
  }
  // Compressed oops address 32 GiB; the JVM keeps the heap above HeapBaseMinAddress (2 GiB)
  // for zero-based ones, unless a RAM flag asked for more.
  constexpr uint64_t k_coops_max = 30 * k_gib;
  if (reasonable_max > k_coops_max && !override_coops) {
    reasonable_max = k_coops_max;
    rule += ", capped for compressed oops";
  }
  // G1 (the default on a server-class machine) aligns the heap to its region size: the heap
  // divided into 2048 regions, a power of two from 1 to 32 MiB.
  uint64_t region = k_mib;
  while (region < 32 * k_mib && region * 2 * 2048 <= reasonable_max) {
    region *= 2;
  }
  uint64_t aligned = (reasonable_max + region - 1) / region * region;
  steps["rule"] = rule;
  steps["beforeAlignment"] = reasonable_max;
  steps["alignment"] = region;
  steps["maxBytes"] = aligned;
  return aligned;
}

std::string
max_heap_option(uint64_t bytes)
{
  if (bytes % (1024 * 1024) == 0) {
    return fmt::format("-Xmx{}m", bytes / (1024 * 1024));
  }
  if (bytes % 1024 == 0) {
    return fmt::format("-Xmx{}k", bytes / 1024);
  }
  return fmt::format("-Xmx{}", bytes);
}

JvmCommand
effective_jvm_options(const ProcessInfo& process, const JvmCommand& command)
{
  std::vector<std::string> argv = {"java"};
  for (const char* variable : {"JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS"}) {
    if (auto value = process.env(variable)) {
      for (auto& word : split(*value, ' ')) {
        if (!word.empty()) {
          argv.push_back(word);
        }
      }
    }
  }
  argv.insert(argv.end(), command.options.begin(), command.options.end());
  argv.push_back("Main");
  auto merged = parse_jvm_command(argv);
  return merged ? *merged : command;
}

HeapMaximum
effective_max_heap(const ProcessInfo& process, const HostRoot& root, const JvmCommand& command)
{
  HeapMaximum heap;
  JvmCommand flags = effective_jvm_options(process, command);
  if (flags.max_heap_bytes) {
    heap.bytes = flags.max_heap_bytes;
    heap.source = "option";
    heap.explicit_option = true;
    heap.details = {{"maxBytes", *heap.bytes},
                    {"source", "option"},
                    {"why",
                     "set by -Xmx / -XX:MaxHeapSize (the command line, JAVA_TOOL_OPTIONS or "
                     "JDK_JAVA_OPTIONS); the image keeps it"}};
    return heap;
  }
  // The JVM maps its own perf-data file: its path is in /proc/<pid>/maps as the process sees it
  // (a systemd PrivateTmp /tmp included).
  std::string perf_file;
  for (const auto& entry : process.maps) {
    const std::string& path = entry.path;
    auto slash = path.rfind('/');
    if (slash != std::string::npos && path.find("/hsperfdata_") != std::string::npos
        && parse_u64(path.substr(slash + 1))) {
      perf_file = path;
      break;
    }
  }
  std::string perf_problem;
  if (!perf_file.empty()) {
    auto bytes = root.read_in_process_root(process.pid, perf_file);
    auto counters = bytes ? parse_hsperfdata(*bytes) : Result<PerfCounters>(fail(bytes.error()));
    if (bytes && !counters) {
      counters = fail(counters.error().context(perf_file)); // the reader names it already
    }
    if (counters) {
      if (auto perf = perf_max_heap(*counters)) {
        heap.bytes = perf->max_bytes;
        heap.source = "hsperfdata";
        heap.details = {{"maxBytes", perf->max_bytes},
                        {"source", "hsperfdata"},
                        {"file", perf_file},
                        {"gcPolicy", perf->policy},
                        {"counters", perf->rule},
                        {"why",
                         "no -Xmx: the JVM sized its heap from the memory it saw; the value "
                         "is read from its performance-data file, without attaching"}};
        return heap;
      }
      perf_problem = perf_file + " has no sun.gc generation capacities";
    } else {
      perf_problem = counters.error().message;
    }
  } else {
    perf_problem = "no hsperfdata file is mapped (-XX:-UsePerfData or -XX:+PerfDisableSharedMem)";
  }
  auto meminfo = root.read_file("/proc/meminfo");
  auto physical = meminfo ? parse_meminfo_total(*meminfo) : std::nullopt;
  if (!physical) {
    heap.source = "unknown";
    heap.details = {{"source", "unknown"},
                    {"why",
                     "no -Xmx, " + perf_problem
                         + ", and /proc/meminfo has no MemTotal: "
                           "the heap maximum is unknown; add -Xmx to the start command"}};
    return heap;
  }
  nlohmann::json steps = nlohmann::json::object();
  uint64_t computed =
      ergonomic_max_heap(*physical, root.cgroup_memory_limit(process.cgroups), flags, steps);
  heap.bytes = computed;
  heap.source = "computed";
  heap.details = {{"maxBytes", computed},
                  {"source", "computed"},
                  {"computed", steps},
                  {"why",
                   "no -Xmx and " + perf_problem
                       + ": computed with the JVM's ergonomics (within its heap "
                         "alignment)"}};
  return heap;
}

void
set_heap_resources(Analysis& analysis,
                   const ProcessInfo& process,
                   const HostRoot& root,
                   const JvmCommand& command)
{
  HeapMaximum heap = effective_max_heap(process, root, command);
  analysis.resources.heap_max_bytes = heap.bytes;
  if (command.max_ram_percentage) {
    analysis.runtime.details["maxRamPercentage"] = *command.max_ram_percentage;
  }
  if (command.initial_heap_bytes) {
    analysis.runtime.details["heapInitialBytes"] = *command.initial_heap_bytes;
  }
  nlohmann::json details = heap.details;
  if (!heap.bytes) {
    analysis.warn("heap-unknown",
                  fmt::format("the heap maximum of PID {} is unknown ({}): in a container its JVM "
                              "sizes the heap from the memory limit; add -Xmx to start.command",
                              process.pid,
                              heap.details.value("why", std::string())));
  }
  if (heap.bytes && !heap.explicit_option) {
    // In a container the JVM sizes its heap from the memory limit (a quarter of it by default):
    // the source's own value, made explicit, keeps the heap it had.
    std::string option = max_heap_option(*heap.bytes);
    insert_jvm_options(analysis.start.command, {option});
    details["imageOption"] = option;
    details["imageOptionWhy"] = "added to start.command so that the image's JVM keeps this heap "
                                "whatever memory limit the container has";
  }
  if (auto limit = derived_memory_limit(analysis.resources)) {
    details["memoryLimitBytes"] = *limit;
    details["memoryLimitWhy"] = memory_limit_reason(analysis.resources);
  }
  analysis.runtime.details["heap"] = details;
}

std::map<std::string, PropertyValue>
parse_properties(std::string_view content)
{
  std::map<std::string, PropertyValue> properties;
  size_t pos = 0;
  int line_number = 0;
  while (pos < content.size()) {
    // Gather one logical line (a trailing odd number of backslashes continues it).
    std::string logical;
    int first_line = line_number + 1;
    bool continued = true;
    bool first = true;
    while (continued && pos < content.size()) {
      size_t end = content.find('\n', pos);
      if (end == std::string_view::npos) {
        end = content.size();
      }
      std::string_view physical = content.substr(pos, end - pos);
      pos = end + 1;
      ++line_number;
      if (!physical.empty() && physical.back() == '\r') {
        physical.remove_suffix(1);
      }
      if (!first) {
        physical = trim(physical); // leading white space of continuation lines is dropped
      } else {
        size_t start = physical.find_first_not_of(" \t\f");
        physical = start == std::string_view::npos ? std::string_view() : physical.substr(start);
        if (!physical.empty() && (physical[0] == '#' || physical[0] == '!')) {
          break;
        }
      }
      first = false;
      size_t backslashes = 0;
      while (backslashes < physical.size() && physical[physical.size() - 1 - backslashes] == '\\') {
        ++backslashes;
      }
      continued = backslashes % 2 == 1;
      if (continued) {
        physical.remove_suffix(1);
      }
      logical += physical;
    }
    if (logical.empty()) {
      continue;
    }
    // Split key and value, unescaping as we go.
    std::string key;
    std::string value;
    size_t i = 0;
    auto unescape = [&](std::string& out, bool in_key) {
      for (; i < logical.size(); ++i) {
        char c = logical[i];
        if (in_key && (c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f')) {
          return;
        }
        if (c == '\\' && i + 1 < logical.size()) {
          char n = logical[++i];
          if (n == 'u' && i + 4 < logical.size()) {
            auto code = parse_u64(std::string_view(logical).substr(i + 1, 4), 16);
            if (code && *code < 0x80) {
              out += static_cast<char>(*code);
              i += 4;
              continue;
            }
            if (code) {
              // UTF-8 encode the BMP code point.
              uint64_t cp = *code;
              if (cp < 0x800) {
                out += static_cast<char>(0xC0 | (cp >> 6));
                out += static_cast<char>(0x80 | (cp & 0x3F));
              } else {
                out += static_cast<char>(0xE0 | (cp >> 12));
                out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
                out += static_cast<char>(0x80 | (cp & 0x3F));
              }
              i += 4;
              continue;
            }
          }
          out += n == 't' ? '\t' : n == 'n' ? '\n' : n == 'r' ? '\r' : n == 'f' ? '\f' : n;
          continue;
        }
        out += c;
      }
    };
    unescape(key, true);
    while (i < logical.size() && (logical[i] == ' ' || logical[i] == '\t' || logical[i] == '\f')) {
      ++i;
    }
    if (i < logical.size() && (logical[i] == '=' || logical[i] == ':')) {
      ++i;
    }
    while (i < logical.size() && (logical[i] == ' ' || logical[i] == '\t' || logical[i] == '\f')) {
      ++i;
    }
    unescape(value, false);
    properties[key] = {value, first_line};
  }
  return properties;
}

namespace {

// Index of the '}' closing the "${" at `open`, honouring nested ${...}.
size_t
closing_brace(std::string_view text, size_t open)
{
  int depth = 0;
  for (size_t i = open; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      ++depth;
      ++i;
    } else if (text[i] == '}') {
      if (--depth == 0) {
        return i;
      }
    }
  }
  return std::string_view::npos;
}

// `budget` is what the whole expansion may still produce: values referring to values twice at
// each of 16 levels would otherwise grow to gigabytes from a few lines ("billion laughs").
Result<std::string>
expand(std::string_view text,
       const PropertyLookup& lookup,
       bool with_defaults,
       int depth,
       size_t& budget)
{
  // Messages name placeholders, never the text around them: it may be a password attribute.
  if (depth > limits::k_expansion_depth) {
    return fail(ErrorCode::invalid_input,
                "placeholders refer to placeholders more than {} levels deep",
                limits::k_expansion_depth);
  }
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("${", pos);
    if (open == std::string_view::npos) {
      out += text.substr(pos);
      break;
    }
    out += text.substr(pos, open - pos);
    size_t close = closing_brace(text, open);
    if (close == std::string_view::npos) {
      return fail(
          ErrorCode::invalid_input, "unterminated \"${{\" at character {} of the value", open + 1);
    }
    std::string_view inner = text.substr(open + 2, close - open - 2);
    std::string_view names = inner;
    std::optional<std::string_view> fallback;
    if (with_defaults) {
      // ${a,b:default}: the first colon outside nested braces starts the default.
      int nested = 0;
      for (size_t i = 0; i < inner.size(); ++i) {
        if (inner[i] == '{') {
          ++nested;
        } else if (inner[i] == '}') {
          --nested;
        } else if (inner[i] == ':' && nested == 0) {
          names = inner.substr(0, i);
          fallback = inner.substr(i + 1);
          break;
        }
      }
    }
    std::optional<std::string> value;
    for (const auto& name :
         with_defaults ? split(names, ',') : std::vector<std::string>{std::string(names)}) {
      value = lookup(std::string(trim(name)));
      if (value) {
        break;
      }
    }
    if (!value && fallback) {
      value = std::string(*fallback);
    }
    if (!value) {
      return fail(ErrorCode::invalid_input, "\"${{{}}}\" is undefined", shorten(names, 80));
    }
    // Values (and defaults) may hold placeholders themselves.
    auto expanded = expand(*value, lookup, with_defaults, depth + 1, budget);
    if (!expanded) {
      return expanded;
    }
    if (expanded->size() > budget) {
      return fail(ErrorCode::invalid_input,
                  "expanding ${{{}}} grows past {} (decant's limit for one value)",
                  shorten(names, 80),
                  human_bytes(limits::k_expansion_bytes));
    }
    budget -= expanded->size();
    out += *expanded;
    pos = close + 1;
  }
  return out;
}

} // namespace

Result<std::string>
expand_placeholders(std::string_view text, const PropertyLookup& lookup, bool with_defaults)
{
  size_t budget = limits::k_expansion_bytes;
  return expand(text, lookup, with_defaults, 0, budget);
}

} // namespace decant::java
