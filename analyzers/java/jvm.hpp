#pragma once

// What every JVM-based analyzer (Tomcat, TomEE, JBoss) needs: the java command line taken
// apart (the one model of it: options, heap flags and what the options make the JVM load),
// JAVA_HOME, heap settings, Java .properties files and ${...} placeholders. What a JDK holds
// and how it is trimmed is jdk.hpp and jdk_trim.hpp.

#include <decant/analysis/analysis.hpp>
#include <decant/error.hpp>
#include <decant/proc/host_root.hpp>
#include <decant/proc/process.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace decant::java {

struct JvmCommand {
  std::string java;                                     // argv[0]
  std::vector<std::string> options;                     // JVM options, in order
  std::map<std::string, std::string> system_properties; // -Dname=value (last wins)
  std::vector<std::string> classpath;                   // -cp/-classpath/--class-path, split
  std::string main_class;                               // "" with -jar or -m
  std::string jar;                                      // -jar FILE
  std::string module;                                   // -m/--module NAME[/CLASS]
  std::vector<std::string> arguments;                   // after the main class/jar/module
  std::vector<std::string> agents;                      // -javaagent:PATH (no =options)
  std::vector<std::string> native_agents;               // -agentpath:PATH
  std::optional<uint64_t> max_heap_bytes;               // -Xmx / -XX:MaxHeapSize
  std::optional<uint64_t> initial_heap_bytes;           // -Xms
  std::optional<double> max_ram_percentage;             // -XX:MaxRAMPercentage
  std::optional<double> min_ram_percentage;             // -XX:MinRAMPercentage
  std::optional<double> max_ram_fraction;               // -XX:MaxRAMFraction (JDK 8 style)
  std::optional<double> min_ram_fraction;               // -XX:MinRAMFraction
  std::optional<uint64_t> max_ram_bytes;                // -XX:MaxRAM
  std::optional<bool> use_container_support;            // -XX:[+-]UseContainerSupport
  // What the options make the JVM load beyond its defaults: the JDK trimming keeps it.
  bool debugger = false;                // -agentlib:jdwp, -Xrunjdwp, -Xdebug: the JDWP agent
  bool jvmci = false;                   // -XX:+EnableJVMCI, +UseJVMCICompiler: Graal and JVMCI
  bool compressed_oops_off = false;     // -XX:-UseCompressedOops
  std::vector<std::string> add_modules; // --add-modules values (incubator modules and the like)
  size_t main_index = 0; // argv index of the main class, -jar, -m/--module: options end there

  // A heap of 32 GB or more (or -XX:-UseCompressedOops): HotSpot runs without compressed oops
  // and maps the CDS archive for that, classes_nocoops.jsa.
  bool large_heap() const;
};

// Splits a java argv (java [options] (class | -jar file | -m module) [args]).
Result<JvmCommand> parse_jvm_command(const std::vector<std::string>& argv);

// Apache Commons Daemon's jsvc runs a JVM inside its own process (the JVM is loaded from
// libjvm.so: the executable is jsvc, argv[0] often "jsvc.exec"): a root controller process and
// a child that switched to -user and runs the JVM. The child's argv mixes jsvc's options with
// the JVM's.
struct JsvcCommand {
  // What the JVM got, as a java command line would give it: options (-D, -X, -XX:, -ea,
  // agents, --add-*), classpath, main class (the daemon class) and its arguments. `java` is
  // JAVA_HOME/bin/java when java_home is known.
  JvmCommand jvm;
  std::string java_home; // -java-home / -home ("" when not given)
  std::string user;      // -user
  std::string cwd;       // -cwd (jsvc itself changes to "/" otherwise)
  std::string umask;     // -umask
  std::string outfile;   // -outfile: where the JVM's stdout went
  std::string errfile;   // -errfile ("&1" = with stdout)
  // jsvc's own options, which a java command line has no use for, as written ("-pidfile FILE").
  std::vector<std::string> dropped;
};

// The JVM options a process's JVM took: JAVA_TOOL_OPTIONS (read by the JVM) and
// JDK_JAVA_OPTIONS (by the java launcher, JDK 9+), then the command line's, which win. The
// result's options, heap flags and usage facts are those; its main class and arguments are not.
JvmCommand effective_jvm_options(const ProcessInfo& process, const JvmCommand& command);

// Whether the process is a jsvc process (executable or argv[0] named jsvc or jsvc.exec).
bool is_jsvc(const ProcessInfo& process);

// Splits a jsvc argv (commons-daemon's arguments.c: its own options, options it passes to the
// JVM, -cp/-classpath as java.class.path, then the class and its arguments). Fails on an
// option jsvc itself would refuse, or without a class.
Result<JsvcCommand> parse_jsvc_command(const std::vector<std::string>& argv);

// The JVM command of a process: java's argv, or what a jsvc process gave its JVM.
Result<JvmCommand> jvm_command_of(const ProcessInfo& process);

// JAVA_HOME of a process's JVM: from the executable for java (java_home_from_exe), from the
// libjvm.so it maps for a JVM loaded into another program (jsvc), as host paths; "" unknown.
std::string java_home_of(const ProcessInfo& process);

// A java argv for a JvmCommand: java, options, the class path, the main class (or -jar/-m) and
// the arguments.
std::vector<std::string> java_argv(const JvmCommand& command);

// Adds JVM options to a java argv just before its main class (or -jar/-m), where they win over
// earlier ones of the same name; nothing when argv is not a java command line.
void insert_jvm_options(std::vector<std::string>& argv, const std::vector<std::string>& options);

// Whether the process is a JVM: its executable or argv[0] is named java.
bool is_java(const ProcessInfo& process);

// "512m" -> 536870912; "2G", "1024k", "1073741824" (bytes); nullopt when malformed or beyond
// 64 bits.
std::optional<uint64_t> parse_memory_size(std::string_view text);

// /usr/lib/jvm/java-17-openjdk-amd64/bin/java -> /usr/lib/jvm/java-17-openjdk-amd64, also for a
// JDK 8 jre/bin/java (-> the jre directory). The exe must be a resolved host path.
std::string java_home_from_exe(std::string_view exe);

// Files the JVM options name and that exist: -javaagent and -agentpath targets, the
// java.library.path directories, logging/JAAS/security-policy/log4j/logback config files,
// -Xbootclasspath/a entries. Each added with the option as reason.
void add_jvm_argument_files(Analysis& analysis,
                            const HostRoot& root,
                            const ProcessInfo& process,
                            const JvmCommand& command);

// The heap maximum a JVM gives itself without -Xmx (HotSpot's Arguments::set_heap_size, JDK 10+
// and 8u191+): of the memory it sees (-XX:MaxRAM, else the cgroup memory limit unless
// -XX:-UseContainerSupport, else physical memory, capped at MaxRAM's 128 GiB default),
// MaxRAMPercentage (25; or 100 / MaxRAMFraction) when that is at least the 124.8 MiB default
// MaxHeapSize, MinRAMPercentage (50) of small memories below that, at most ~30 GiB for
// compressed oops, aligned up to a G1 region (1-32 MiB). Every step goes into `steps`.
uint64_t ergonomic_max_heap(uint64_t physical_bytes,
                            std::optional<uint64_t> cgroup_limit,
                            const JvmCommand& flags,
                            nlohmann::json& steps);

// The heap maximum of a running JVM, best source first: -Xmx/-XX:MaxHeapSize (command line,
// JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS), the JVM's own performance-data file
// (/tmp/hsperfdata_<user>/<pid> as the process sees /tmp, hsperfdata.hpp), else computed with
// ergonomic_max_heap from /proc/meminfo and the process's cgroup. `details` explains it.
struct HeapMaximum {
  std::optional<uint64_t> bytes; // nullopt: unknown
  std::string source;            // "option", "hsperfdata", "computed", "unknown"
  bool explicit_option = false;  // set by -Xmx or -XX:MaxHeapSize
  nlohmann::json details = nlohmann::json::object();
};
HeapMaximum
effective_max_heap(const ProcessInfo& process, const HostRoot& root, const JvmCommand& command);

// "-Xmx6028m" for 6320816128 bytes: m or k when it divides, else bytes.
std::string max_heap_option(uint64_t bytes);

// resources.heapMaxBytes = the source's effective heap maximum (effective_max_heap); without
// -Xmx on the source, the start command gets one (before the main class) so that a container
// memory limit does not shrink the heap to a quarter of it; runtime.details.heap explains the
// value, the option and the memory limit that fits it (deploy/kubernetes.hpp). MaxRAMPercentage
// and -Xms are recorded in runtime.details as before.
void set_heap_resources(Analysis& analysis,
                        const ProcessInfo& process,
                        const HostRoot& root,
                        const JvmCommand& command);

// A Java .properties file (java.util.Properties#load): '#'/'!' comments, '=' ':' or white
// space separators, line continuations, \uXXXX escapes. Keys map to value and line number.
struct PropertyValue {
  std::string value;
  int line = 0;
};
std::map<std::string, PropertyValue> parse_properties(std::string_view content);

// Replaces ${name} (and, when `with_defaults`, ${name:default} as JBoss writes them) using
// `lookup`. An undefined name without default fails naming it.
using PropertyLookup = std::function<std::optional<std::string>(const std::string& name)>;
Result<std::string> expand_placeholders(std::string_view text,
                                        const PropertyLookup& lookup,
                                        bool with_defaults = false);

} // namespace decant::java
