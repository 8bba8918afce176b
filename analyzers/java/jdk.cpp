#include "jdk.hpp"

#include <decant/proc/parse.hpp>
#include <decant/util/strings.hpp>

#include <set>

namespace decant::java {

JavaRelease
read_java_release(const HostRoot& root, const std::string& java_home)
{
  JavaRelease release;
  auto text = root.read_file(java_home + "/release");
  if (!text) {
    // JDK 8 JREs inside a JDK keep release one level up.
    text = root.read_file(java_home + "/../release");
  }
  if (!text) {
    return release;
  }
  release.found = true;
  auto values = parse_os_release(*text); // the same KEY="value" shell syntax
  release.version = values["JAVA_VERSION"];
  for (const auto& module : split(values["MODULES"], ' ')) {
    if (!module.empty()) {
      release.modules.push_back(module);
    }
  }
  return release;
}

std::string
java_version(const HostRoot& root, const std::string& java_home)
{
  return read_java_release(root, java_home).version;
}

namespace {

struct UnusedFile {
  const char* path; // relative to JAVA_HOME
  const char* reason;
  bool only_present = false; // a path of one JDK layout (JDK 8): listed only where it exists
};

// In the order the analysis lists them.
const UnusedFile k_unused_files[] = {
    {"jmods", "JDK modules for jlink, not used at run time"},
    {"include", "C headers for JNI development"},
    {"lib/src.zip", "JDK source code"},
    {"src.zip", "JDK source code", true},
    {"lib/ct.sym",
     "compile-time symbol table, read only by javac --release; JSP compilers (ECJ, and javac "
     "through Jasper or Jastow) give the Java version with -source/-target"},
    {"man", "manual pages"},
    {"docs",
     "documentation (on Debian a link to /usr/share/doc/openjdk-*, with the build's test "
     "reports)"},
    {"demo", "JDK demos"},
    {"sample", "JDK samples"},
    {"lib/jrt-fs.jar",
     "lets the tools of another JDK read this runtime's modules (jrt:/); the JVM itself does "
     "not load it"},
    {"lib/classlist",
     "class list the JDK build dumped classes.jsa from; read only by -Xshare:dump"},
    {"lib/jexec", "binfmt_misc launcher for ./app.jar; the image starts bin/java"},
    {"lib/jar.binfmt", "binfmt_misc registration of jexec"},
    {"lib/libsaproc.so",
     "serviceability agent, loaded by the jhsdb tool's own JVM, never by the server"},
    {"lib/libj2pcsc.so",
     "javax.smartcardio (PC/SC card readers, libpcsclite): a server in a container has no "
     "card reader"},
};

// The JDK's development tools: what openjdk-*-jdk-headless adds to the JRE's bin/ (java,
// keytool, rmiregistry). Each is a launcher for a jdk.* module a server never runs; the
// diagnostics an operator runs with `kubectl exec` (jcmd, jstack, jmap, jinfo, jps, jstat) are
// kept.
const char* const k_development_tools[] = {
    "jar",      "jarsigner", "javac", "javadoc",  "javap",  "jdeprscan", "jdeps",
    "jimage",   "jlink",     "jmod",  "jpackage", "jshell", "serialver", "jrunscript",
    "jconsole", "jdb",       "jhsdb", "jstatd",   "jfr",
};

} // namespace

std::vector<Exclusion>
unused_jdk_files(const HostRoot& root, const std::string& java_home, const JvmCommand& options)
{
  std::vector<Exclusion> out;
  for (const auto& file : k_unused_files) {
    std::string path = java_home + "/" + file.path;
    if (!file.only_present || root.exists(path) || root.lstat(path)) {
      out.push_back({path, file.reason});
    }
  }
  for (const char* tool : k_development_tools) {
    out.push_back({java_home + "/bin/" + tool,
                   "JDK development tool: not in a JRE, never started by the server"});
  }
  if (!options.large_heap()) {
    out.push_back(
        {java_home + "/lib/server/classes_nocoops.jsa",
         "class-data sharing archive for -XX:-UseCompressedOops (heaps of 32 GB and more)"});
  }
  if (!options.debugger) {
    const std::string reason =
        "JDWP debugger, loaded only with -agentlib:jdwp (not on the command line)";
    out.push_back({java_home + "/lib/libjdwp.so", reason});
    out.push_back({java_home + "/lib/libdt_socket.so", reason + ": its socket transport"});
  }
  return out;
}

void
add_java_home(Analysis& analysis,
              const HostRoot& root,
              const std::string& java_home,
              const JvmCommand& options)
{
  analysis.add_file(
      {java_home, "JAVA_HOME: the Java runtime that runs the server", FileRole::runtime});
  for (auto& exclusion : unused_jdk_files(root, java_home, options)) {
    bool known = false;
    for (const auto& x : analysis.exclude) {
      known = known || x.path == exclusion.path;
    }
    if (!known) {
      analysis.exclude.push_back(std::move(exclusion));
    }
  }
}

std::vector<LazyLibrary>
jvm_headless_lazy_libraries(const std::string& java_home)
{
  const std::string lib = java_home + "/lib/";
  return {
      {lib + "libawt.so",
       "AWT core, loaded on the first image or font call (java.awt.headless=true)"},
      {lib + "libawt_headless.so", "AWT headless toolkit (java.awt.headless=true)"},
      {lib + "libjavajpeg.so", "ImageIO JPEG codec"},
      {lib + "liblcms.so", "ImageIO color management"},
      {lib + "libmlib_image.so", "AWT image operations"},
  };
}

std::vector<Exclusion>
jvm_headless_exclusions(const std::string& java_home)
{
  const std::string lib = java_home + "/lib/";
  const std::string reason = "not loadable with java.awt.headless=true";
  return {
      {lib + "libawt_xawt.so", "X11 AWT toolkit: " + reason},
      {lib + "libjawt.so", "AWT native interface for X11 windows: " + reason},
      {lib + "libsplashscreen.so", "splash screen (X11, GIF/PNG/JPEG): " + reason},
      {lib + "libjsound.so", "javax.sound (ALSA): a server has no sound device"},
      {lib + "libatk-wrapper.so", "accessibility bridge for GTK: " + reason},
  };
}

std::vector<LazyLibrary>
jvm_font_lazy_libraries(const std::string& java_home, const std::string& why)
{
  const std::string lib = java_home + "/lib/";
  const std::string because = why.empty() ? "" : "; " + why;
  return {
      {lib + "libfontmanager.so", "the headless AWT font manager" + because},
      {"libfreetype.so.6", "FreeType, loaded by libfontmanager" + because},
      {"libfontconfig.so.1", "fontconfig, used by the JDK to find fonts" + because},
      {"/etc/fonts", "fontconfig configuration" + because},
      {"/usr/share/fonts", "fonts for headless rendering" + because},
  };
}

Exclusion
jvm_font_exclusion(const std::string& java_home, const std::string& why)
{
  return {java_home + "/lib/libfontmanager.so",
          why
              + "; libfontmanager and its FreeType/HarfBuzz/fontconfig closure and the fonts are "
                "left out — remove this exclusion to keep them"};
}

namespace {

// The tool modules of a JDK, each with why a server does not load it. Modules a command line
// or configuration still needs are kept (JlinkNeeds).
struct ToolModule {
  const char* module;
  const char* reason;
};

const ToolModule k_tool_modules[] = {
    {"jdk.compiler",
     "javac: Jasper compiles JSPs with the Eclipse compiler (ECJ) on its class path"},
    {"jdk.javadoc", "the javadoc tool"},
    {"jdk.jshell", "the jshell tool"},
    {"jdk.editpad", "jshell's editor"},
    {"jdk.internal.ed", "jshell's line editor"},
    {"jdk.internal.le", "jshell's line editor"},
    {"jdk.internal.opt", "command-line option parsing of the JDK tools"},
    {"jdk.jdeps", "the jdeps, javap and jdeprscan tools"},
    {"jdk.jlink", "the jlink, jmod and jimage tools"},
    {"jdk.jpackage", "the jpackage tool"},
    {"jdk.jartool", "the jar and jarsigner tools"},
    {"jdk.jconsole", "JConsole, a desktop monitoring GUI"},
    {"jdk.jdi", "the debugger side of JDWP (jdb and IDEs), not the debugged JVM's"},
    {"jdk.jdwp.agent", "the JDWP agent, loaded only with -agentlib:jdwp (not on the command line)"},
    {"jdk.jstatd", "the jstatd remote monitoring daemon"},
    {"jdk.hotspot.agent", "the serviceability agent of jhsdb"},
    {"jdk.internal.vm.compiler",
     "the Graal JIT compiler, used only with -XX:+UseJVMCICompiler (not on the command line)"},
    {"jdk.internal.vm.compiler.management", "management beans of the Graal JIT compiler"},
    {"jdk.internal.vm.ci", "JVMCI, the interface Graal plugs into (-XX:+EnableJVMCI)"},
    {"jdk.incubator.foreign", "an incubator module: resolved only with --add-modules"},
    {"jdk.incubator.vector", "an incubator module: resolved only with --add-modules"},
    {"jdk.incubator.concurrent", "an incubator module: resolved only with --add-modules"},
};

} // namespace

JlinkNeeds
jlink_needs(const JvmCommand& options)
{
  JlinkNeeds needs;
  for (const auto& module : options.add_modules) {
    needs.keep[module] = "named by --add-modules";
  }
  if (options.debugger) {
    needs.keep["jdk.jdwp.agent"] = "the command line starts a JDWP debugger agent";
  }
  if (options.jvmci) {
    for (const char* module : {"jdk.internal.vm.ci",
                               "jdk.internal.vm.compiler",
                               "jdk.internal.vm.compiler.management"}) {
      needs.keep[module] = "the command line enables JVMCI";
    }
  }
  return needs;
}

std::optional<JlinkPlan>
runtime_jlink_plan(const HostRoot& root,
                   const std::string& java_home,
                   const JlinkNeeds& needs,
                   std::string& why_not)
{
  if (!root.is_regular_file(java_home + "/jmods/java.base.jmod")) {
    why_not = java_home + "/jmods has no java.base.jmod (a JRE, or a JDK without jmods)";
    return std::nullopt;
  }
  if (!root.is_regular_file(java_home + "/bin/jlink")) {
    why_not = java_home + "/bin/jlink is missing";
    return std::nullopt;
  }
  auto modules = read_java_release(root, java_home).modules;
  if (modules.empty()) {
    why_not = java_home + "/release names no MODULES";
    return std::nullopt;
  }
  std::set<std::string> present(modules.begin(), modules.end());
  JlinkPlan plan;
  plan.java_home = java_home;
  for (const auto& tool : k_tool_modules) {
    if (present.count(tool.module) > 0 && needs.keep.count(tool.module) == 0) {
      plan.remove.push_back({tool.module, tool.reason});
    }
  }
  if (plan.remove.empty()) {
    why_not = "the runtime has no module a server does not load";
    return std::nullopt;
  }
  return plan;
}

bool
is_eclipse_compiler_jar(std::string_view path)
{
  std::string name = to_lower(path.substr(path.rfind('/') + 1));
  return name.find("ecj") != std::string::npos || name.find("jdt-core") != std::string::npos
         || name.find("jdt.core.compiler") != std::string::npos;
}

} // namespace decant::java
