#include "jvm.hpp"

#include <decant/util/limits.hpp>
#include <decant/util/strings.hpp>

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
  if (!value) {
    return std::nullopt;
  }
  return *value * multiplier;
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
      }
      continue;
    }
    if (starts_with(arg, "--class-path=")) {
      command.classpath = split(arg.substr(13), ':');
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
    } else if (starts_with(arg, "-Xmx")) {
      command.max_heap_bytes = parse_memory_size(arg.substr(4));
    } else if (starts_with(arg, "-XX:MaxHeapSize=")) {
      command.max_heap_bytes = parse_memory_size(arg.substr(16));
    } else if (starts_with(arg, "-Xms")) {
      command.initial_heap_bytes = parse_memory_size(arg.substr(4));
    } else if (starts_with(arg, "-XX:MaxRAMPercentage=")) {
      try {
        command.max_ram_percentage = std::stod(arg.substr(21));
      } catch (const std::exception&) {
        return fail(ErrorCode::invalid_input, "java option {} is not a number", arg);
      }
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

std::string
java_version(const HostRoot& root, const std::string& java_home)
{
  auto release = root.read_file(java_home + "/release");
  if (!release) {
    // JDK 8 JREs inside a JDK keep release one level up.
    release = root.read_file(java_home + "/../release");
  }
  if (!release) {
    return "";
  }
  auto values = parse_os_release(*release); // same KEY="value" shell syntax
  return values["JAVA_VERSION"];
}

void
add_java_home(Analysis& analysis, const HostRoot& root, const std::string& java_home)
{
  analysis.add_file(
      {java_home, "JAVA_HOME: the Java runtime that runs the server", FileRole::runtime});
  struct Trim {
    const char* path;
    const char* reason;
  };
  static const Trim k_trims[] = {
      {"jmods", "JDK modules for jlink, not used at run time"},
      {"include", "C headers for JNI development"},
      {"lib/src.zip", "JDK source code"},
      {"src.zip", "JDK source code"},
      {"lib/ct.sym", "compile-time symbol table for javac --release"},
      {"man", "manual pages"},
      {"demo", "JDK demos"},
      {"sample", "JDK samples"},
  };
  for (const auto& trim : k_trims) {
    std::string path = java_home + "/" + trim.path;
    if (root.exists(path) || root.lstat(path)) {
      analysis.exclude.push_back({path, trim.reason});
    }
  }
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
}

void
set_heap_resources(Analysis& analysis, const JvmCommand& command)
{
  analysis.resources.heap_max_bytes = command.max_heap_bytes;
  if (command.max_ram_percentage) {
    analysis.runtime.details["maxRamPercentage"] = *command.max_ram_percentage;
  }
  if (command.initial_heap_bytes) {
    analysis.runtime.details["heapInitialBytes"] = *command.initial_heap_bytes;
  }
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
