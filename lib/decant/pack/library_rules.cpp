#include <decant/pack/library_rules.hpp>

#include <cctype>
#include <cstdint>
#include <cstdlib>

namespace decant {

void
add_lazy_library(Analysis& analysis, const std::string& path, const std::string& reason)
{
  auto& list = analysis.runtime.details["lazyLibraries"];
  if (!list.is_array()) {
    list = nlohmann::json::array();
  }
  for (const auto& item : list) {
    if (item.is_object() && item.value("path", "") == path) {
      return;
    }
  }
  list.push_back({{"path", path}, {"reason", reason}});
}

void
add_lazy_libraries(Analysis& analysis, const std::vector<LazyLibrary>& libraries)
{
  for (const auto& library : libraries) {
    add_lazy_library(analysis, library.path, library.reason);
  }
}

Result<std::vector<LazyLibrary>>
lazy_libraries(const Analysis& analysis)
{
  std::vector<LazyLibrary> out;
  auto found = analysis.runtime.details.find("lazyLibraries");
  if (found == analysis.runtime.details.end() || found->is_null()) {
    return out;
  }
  if (!found->is_array()) {
    return fail(ErrorCode::invalid_input, "runtime.lazyLibraries: expected an array");
  }
  for (size_t i = 0; i < found->size(); ++i) {
    const auto& item = (*found)[i];
    auto where = fmt::format("runtime.lazyLibraries[{}]", i);
    if (!item.is_object() || !item.contains("path") || !item["path"].is_string()) {
      return fail(ErrorCode::invalid_input, "{}: expected an object with a string \"path\"", where);
    }
    std::string path = item["path"].get<std::string>();
    if (path.empty() || path.find("..") != std::string::npos) {
      return fail(
          ErrorCode::invalid_input, "{}.path: \"{}\" is empty or contains '..'", where, path);
    }
    std::string reason = item.contains("reason") && item["reason"].is_string()
                             ? item["reason"].get<std::string>()
                             : "loaded lazily by the runtime";
    out.push_back({path, reason});
  }
  return out;
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

std::vector<Exclusion>
jvm_unused_file_exclusions(const std::string& java_home, bool large_heap)
{
  std::vector<Exclusion> out{
      {java_home + "/lib/src.zip", "JDK sources: never read at run time"},
      {java_home + "/jmods", "jlink input: never read at run time"},
      {java_home + "/include", "C headers for JNI builds"},
      {java_home + "/man", "manual pages"},
      {java_home + "/docs",
       "documentation (on Debian a link to /usr/share/doc/openjdk-*, with the build's test "
       "reports)"},
      {java_home + "/demo", "JDK demos"},
      {java_home + "/sample", "JDK samples"},
      {java_home + "/lib/ct.sym",
       "javac --release data: a server compiles JSPs with ECJ or without --release"},
      {java_home + "/lib/jrt-fs.jar",
       "lets the tools of another JDK read this runtime's modules (jrt:/); the JVM itself does "
       "not load it"},
      {java_home + "/lib/classlist",
       "class list the JDK build dumped classes.jsa from; read only by -Xshare:dump"},
      {java_home + "/lib/jexec", "binfmt_misc launcher for ./app.jar; the image starts bin/java"},
      {java_home + "/lib/jar.binfmt", "binfmt_misc registration of jexec"},
      {java_home + "/lib/libsaproc.so",
       "serviceability agent, loaded by the jhsdb tool's own JVM, never by the server"},
      {java_home + "/lib/libj2pcsc.so",
       "javax.smartcardio (PC/SC card readers, libpcsclite): a server in a container has no "
       "card reader"},
  };
  // The JDK's development tools: what openjdk-*-jdk-headless adds to the JRE's bin/ (java,
  // keytool, rmiregistry). Each is a launcher for a jdk.* module a server never runs; the
  // diagnostics an operator runs with `kubectl exec` (jcmd, jstack, jmap, jinfo, jps, jstat)
  // are kept.
  static const char* const k_development_tools[] = {
      "jar",      "jarsigner", "javac", "javadoc",  "javap",  "jdeprscan", "jdeps",
      "jimage",   "jlink",     "jmod",  "jpackage", "jshell", "serialver", "jrunscript",
      "jconsole", "jdb",       "jhsdb", "jstatd",   "jfr",
  };
  for (const char* tool : k_development_tools) {
    out.push_back({java_home + "/bin/" + tool,
                   "JDK development tool: not in a JRE, never started by the server"});
  }
  if (!large_heap) {
    out.push_back(
        {java_home + "/lib/server/classes_nocoops.jsa",
         "class-data sharing archive for -XX:-UseCompressedOops (heaps of 32 GB and more)"});
  }
  return out;
}

namespace {

// "-Xmx32g", "-XX:MaxHeapSize=40960m": the size in bytes, 0 when not a heap option.
uint64_t
max_heap_bytes(const std::string& argument)
{
  std::string value;
  if (argument.rfind("-Xmx", 0) == 0) {
    value = argument.substr(4);
  } else if (argument.rfind("-XX:MaxHeapSize=", 0) == 0) {
    value = argument.substr(16);
  } else {
    return 0;
  }
  if (value.empty() || !std::isdigit(static_cast<unsigned char>(value[0]))) {
    return 0;
  }
  char* end = nullptr;
  uint64_t number = std::strtoull(value.c_str(), &end, 10);
  size_t used = static_cast<size_t>(end - value.c_str());
  uint64_t unit = 1;
  if (used < value.size()) {
    switch (std::tolower(static_cast<unsigned char>(value[used]))) {
    case 'k':
      unit = 1ULL << 10;
      break;
    case 'm':
      unit = 1ULL << 20;
      break;
    case 'g':
      unit = 1ULL << 30;
      break;
    case 't':
      unit = 1ULL << 40;
      break;
    default:
      return 0;
    }
  }
  // strtoull saturates at UINT64_MAX; an absurd size is still "large", never a wrapped small one.
  return number > UINT64_MAX / unit ? UINT64_MAX : number * unit;
}

} // namespace

JvmUsage
jvm_usage(const std::vector<std::string>& command)
{
  JvmUsage usage;
  // Compressed oops stop at 32 GB of heap (HotSpot turns them off above that).
  constexpr uint64_t k_compressed_oops_limit = 32ULL << 30;
  for (size_t i = 1; i < command.size(); ++i) {
    const std::string& argument = command[i];
    if (argument == "-jar" || argument.empty() || argument[0] != '-') {
      break; // the main class or jar: what follows are the application's arguments
    }
    if (argument == "-cp" || argument == "-classpath" || argument == "--class-path"
        || argument == "-p" || argument == "--module-path" || argument == "--add-modules") {
      ++i; // skip the option's value
      continue;
    }
    if (argument == "-XX:-UseCompressedOops"
        || max_heap_bytes(argument) >= k_compressed_oops_limit) {
      usage.large_heap = true;
    }
    if (argument.rfind("-agentlib:jdwp", 0) == 0 || argument.rfind("-Xrunjdwp", 0) == 0
        || argument == "-Xdebug") {
      usage.debugger = true;
    }
  }
  return usage;
}

std::vector<Exclusion>
jvm_unused_file_exclusions(const std::string& java_home, const JvmUsage& usage)
{
  auto out = jvm_unused_file_exclusions(java_home, usage.large_heap);
  if (!usage.debugger) {
    const std::string reason =
        "JDWP debugger, loaded only with -agentlib:jdwp (not on the command line)";
    out.push_back({java_home + "/lib/libjdwp.so", reason});
    out.push_back({java_home + "/lib/libdt_socket.so", reason + ": its socket transport"});
  }
  return out;
}

std::vector<LazyLibrary>
dotnet_lazy_libraries()
{
  return {
      {"libssl.so.3", "System.Security.Cryptography.Native.OpenSsl loads OpenSSL by soname"},
      {"libcrypto.so.3", "System.Security.Cryptography.Native.OpenSsl loads OpenSSL by soname"},
      {"/usr/lib/*-linux-gnu/libicuuc.so.*", "globalization: ICU is loaded by soname at startup"},
      {"/usr/lib/*-linux-gnu/libicui18n.so.*", "globalization: ICU is loaded by soname at startup"},
      {"/usr/lib/*-linux-gnu/libicudata.so.*", "globalization: ICU data"},
      {"/usr/lib/*-linux-gnu/libgssapi_krb5.so.2",
       "System.Net.Security loads GSSAPI for Negotiate auth"},
  };
}

} // namespace decant
