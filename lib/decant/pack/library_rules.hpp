#pragma once

// Libraries (and their data files) a runtime loads lazily with dlopen(3), so they are not in
// /proc/<pid>/maps when the analyzer looks, and not in any DT_NEEDED. Analyzers state them in
// analysis.json under runtime.details.lazyLibraries, each with the reason, so the operator sees
// and can edit them:
//   "lazyLibraries": [{"path": "/usr/lib/jvm/java-17-openjdk-amd64/lib/libawt.so",
//                      "reason": "AWT core, loaded on the first image or font call"}]
// `path` is an absolute path or glob (the ELF closure of each match is added, directories are
// walked), or a bare soname ("libssl.so.3") found like ld.so finds it.

#include <decant/analysis/analysis.hpp>

#include <string>
#include <vector>

namespace decant {

struct LazyLibrary {
  std::string path;
  std::string reason;
};

// Appends to analysis.runtime.details.lazyLibraries (no duplicate paths).
void add_lazy_library(Analysis& analysis, const std::string& path, const std::string& reason);
void add_lazy_libraries(Analysis& analysis, const std::vector<LazyLibrary>& libraries);

// Reads runtime.details.lazyLibraries; the error names the entry ("runtime.lazyLibraries[2].path").
Result<std::vector<LazyLibrary>> lazy_libraries(const Analysis& analysis);

// Rule sets analyzers can state as is.
// A JVM with java.awt.headless=true loads libawt + libawt_headless on the first image call
// (BufferedImage, ImageIO, java.awt.Toolkit), with the image libraries and codecs; the X11, GTK
// and ALSA parts of the JDK (libawt_xawt, libsplashscreen, libjsound) are never loaded then.
std::vector<LazyLibrary> jvm_headless_lazy_libraries(const std::string& java_home);
// Only code that draws or measures text makes it load libfontmanager with FreeType, and
// fontconfig read /etc/fonts and the fonts: the font part, for analyzers that found such code
// (java::TextDrawingScanner). `why` names it ("font rendering: com/acme/Captcha.class in
// /srv/app/WEB-INF/lib/acme.jar references java/awt/Font") and ends each reason.
std::vector<LazyLibrary> jvm_font_lazy_libraries(const std::string& java_home,
                                                 const std::string& why = "");
// When nothing draws text: $JAVA_HOME/lib/libfontmanager.so as an exclusion, so that neither it
// nor its DT_NEEDED closure (FreeType, HarfBuzz, GLib, libpng, ...) reaches the image; `why`
// says what was scanned, the reason adds how to undo it.
Exclusion jvm_font_exclusion(const std::string& java_home, const std::string& why);
// The parts of a JDK a headless JVM never loads (X11/GTK AWT toolkit, sound, splash screen,
// accessibility bridge): as exclusions with reasons, so their X11/ALSA/GTK closures stay out.
std::vector<Exclusion> jvm_headless_exclusions(const std::string& java_home);
// Files of a JDK a server JVM never reads at run time: sources, jlink's jmods, C headers, man
// pages, javac's --release data (ct.sym), the JDK's development tools (javac, jar, jlink,
// jshell, ... in bin/ and their helper files in lib/; the JRE's java, keytool and rmiregistry
// and the diagnostics jcmd, jstack, jmap, jinfo, jps and jstat stay), the PC/SC smart-card
// library, and the CDS archive for heaps of 32 GB and more (classes_nocoops.jsa) unless
// `large_heap`. Nothing a JVM maps on start-up (libjsvml, classes.jsa) is in these rules.
std::vector<Exclusion> jvm_unused_file_exclusions(const std::string& java_home, bool large_heap);

// What a JVM's command line says it will load, for the rules that depend on it.
struct JvmUsage {
  bool large_heap = false; // -XX:-UseCompressedOops, or -Xmx/-XX:MaxHeapSize of 32 GB or more
  bool debugger = false;   // -agentlib:jdwp, -Xrunjdwp or -Xdebug: libjdwp and libdt_socket load
};
// Reads the JVM options of a command line (the arguments before the main class or -jar).
JvmUsage jvm_usage(const std::vector<std::string>& command);
// jvm_unused_file_exclusions(java_home, usage.large_heap), plus the JDWP debugger agent and its
// socket transport when the command line does not ask for a debugger.
std::vector<Exclusion> jvm_unused_file_exclusions(const std::string& java_home,
                                                  const JvmUsage& usage);
// .NET loads OpenSSL (System.Security.Cryptography.Native) and ICU (globalization) by soname.
std::vector<LazyLibrary> dotnet_lazy_libraries();

} // namespace decant
