#pragma once

// What a JDK holds and what of it a server JVM needs: the release file, the files a server
// never reads, the parts a headless JVM never loads, the font stack, and the tool modules a
// jlink trim removes. Rules only: the steps that apply them to an analysis are jdk_trim.hpp.

#include "jvm.hpp"

#include <decant/analysis/analysis.hpp>
#include <decant/pack/jlink.hpp>
#include <decant/pack/library_rules.hpp>
#include <decant/proc/host_root.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace decant::java {

// JAVA_HOME/release (a JDK 8 JRE inside a JDK: ../release), the KEY="value" file of every JDK
// since 8: JAVA_VERSION and, from JDK 9, MODULES (the modules linked into lib/modules).
struct JavaRelease {
  bool found = false;
  std::string version;              // "17.0.15", "" when not given
  std::vector<std::string> modules; // empty for JDK 8 or when not given
};
JavaRelease read_java_release(const HostRoot& root, const std::string& java_home);

// JAVA_VERSION of the release file, "" when unknown.
std::string java_version(const HostRoot& root, const std::string& java_home);

// Files of a JDK a server JVM never reads at run time, each with its reason: sources, jlink's
// jmods, C headers, man pages, javac's --release data (ct.sym), the JDK's development tools
// (javac, jar, jlink, jshell, ... in bin/ and their helper files in lib/; the JRE's java,
// keytool and rmiregistry and the diagnostics jcmd, jstack, jmap, jinfo, jps and jstat stay),
// the PC/SC smart-card library; the CDS archive for heaps of 32 GB and more
// (classes_nocoops.jsa) unless `options` ask for such a heap, and the JDWP agent and its socket
// transport unless they ask for a debugger. Nothing a JVM maps on start-up (libjsvml,
// classes.jsa) is in these rules. Paths of JDK 8's layout only are listed when present.
std::vector<Exclusion>
unused_jdk_files(const HostRoot& root, const std::string& java_home, const JvmCommand& options);

// Adds JAVA_HOME as a runtime file entry and excludes unused_jdk_files (no duplicate paths).
void add_java_home(Analysis& analysis,
                   const HostRoot& root,
                   const std::string& java_home,
                   const JvmCommand& options);

// A JVM with java.awt.headless=true loads libawt + libawt_headless on the first image call
// (BufferedImage, ImageIO, java.awt.Toolkit), with the image libraries and codecs; the X11, GTK
// and ALSA parts of the JDK (libawt_xawt, libsplashscreen, libjsound) are never loaded then.
std::vector<LazyLibrary> jvm_headless_lazy_libraries(const std::string& java_home);
// The parts of a JDK a headless JVM never loads (X11/GTK AWT toolkit, sound, splash screen,
// accessibility bridge): as exclusions with reasons, so their X11/ALSA/GTK closures stay out.
std::vector<Exclusion> jvm_headless_exclusions(const std::string& java_home);
// Only code that draws or measures text makes it load libfontmanager with FreeType, and
// fontconfig read /etc/fonts and the fonts: the font part, for analyzers that found such code
// (TextDrawingScanner). `why` names it ("font rendering: com/acme/Captcha.class in
// /srv/app/WEB-INF/lib/acme.jar references java/awt/Font") and ends each reason.
std::vector<LazyLibrary> jvm_font_lazy_libraries(const std::string& java_home,
                                                 const std::string& why = "");
// When nothing draws text: $JAVA_HOME/lib/libfontmanager.so as an exclusion, so that neither it
// nor its DT_NEEDED closure (FreeType, HarfBuzz, GLib, libpng, ...) reaches the image; `why`
// says what was scanned, the reason adds how to undo it.
Exclusion jvm_font_exclusion(const std::string& java_home, const std::string& why);

// The tool modules a server keeps, each with why: what its command line or configuration uses.
struct JlinkNeeds {
  std::map<std::string, std::string> keep; // module -> why it stays
};
// From the JVM options: the JDWP agent for a debugger option, Graal and JVMCI for the JVMCI
// options, every --add-modules module.
JlinkNeeds jlink_needs(const JvmCommand& options);

// The plan for JAVA_HOME: the tool modules of the runtime (javac, javadoc, jshell, jlink, the
// Graal compiler, the serviceability agent, incubator modules, ...) that `needs` does not keep,
// each with its reason. nullopt with the reason in `why_not` when the runtime cannot or need
// not be trimmed (no jmods, no jlink, no MODULES in release, nothing to remove).
std::optional<JlinkPlan> runtime_jlink_plan(const HostRoot& root,
                                            const std::string& java_home,
                                            const JlinkNeeds& needs,
                                            std::string& why_not);

// Whether a jar is the Eclipse Java compiler (ECJ, JDT core), which Jasper and Jastow compile
// JSPs with instead of javac: "ecj-3.26.0.jar", "eclipse-jdt-core.jar",
// "org.eclipse.jdt.core_*.jar".
bool is_eclipse_compiler_jar(std::string_view path);

} // namespace decant::java
