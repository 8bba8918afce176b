#pragma once

// The JVM steps every Java server analyzer takes, in the order they run:
//
//   java::JdkTrim jdk(analysis, root, process, command, java_home);
//   if (jdk.add_runtime()) {                       // JAVA_HOME, unused and headless parts
//     auto jars = jdk.add_class_path_jars(dirs);   // manifest Class-Path closure
//     java::LoadedCode code;                       // what the class loaders read
//     code.add(java::LoadedCode::Kind::war, "/srv/app.war");
//     jdk.decide_fonts(code);                      // runtime.textDrawing, the font stack
//     jdk.plan_jlink(needs);                       // runtime.jlink or runtime.jlinkSkipped
//   }
//
// Each step writes its decision with the reason into the analysis; the packer only applies
// them (exclude[], runtime.lazyLibraries, runtime.jlink: pack/jlink.hpp, pack/library_rules.hpp).

#include "jdk.hpp"
#include "jvm.hpp"

#include <decant/analysis/analysis.hpp>
#include <decant/proc/host_root.hpp>
#include <decant/proc/process.hpp>

#include <string>
#include <utility>
#include <vector>

namespace decant::java {

// What a server's class loaders can read, in the order to scan it (the first class that draws
// text ends the scan, and is the one the analysis names).
struct LoadedCode {
  enum class Kind {
    webapp_directory, // an exploded webapp: WEB-INF/classes, WEB-INF/lib, JSP sources
    war,              // a war deployed as the archive
    jar_directory,    // every *.jar directly in it
    jar,              // one jar, when it is a regular file
    class_directory,  // a class-loader directory of .class files, when it is one
    deployment,       // an application archive or directory of any kind (ear, war, jar, rar,
                      // sar, exploded): every class, JSP and nested archive in it
  };
  std::vector<std::pair<Kind, std::string>> items;

  void
  add(Kind kind, std::string path)
  {
    items.emplace_back(kind, std::move(path));
  }
};

class JdkTrim
{
public:
  // `command`: the JVM's command line (jvm_command_of); its options are merged with
  // JAVA_TOOL_OPTIONS and JDK_JAVA_OPTIONS of the process (effective_jvm_options).
  JdkTrim(Analysis& analysis,
          const HostRoot& root,
          const ProcessInfo& process,
          const JvmCommand& command,
          std::string java_home);

  const std::string&
  java_home() const
  {
    return m_java_home;
  }
  // The options the JVM took: the usage facts the rules depend on.
  const JvmCommand&
  options() const
  {
    return m_options;
  }

  // JAVA_HOME as a runtime entry without unused_jdk_files; the headless AWT libraries as lazy
  // libraries, and with java.awt.headless=true the X11/sound parts as exclusions (else a
  // "jvm-not-headless" warning). The font part is decide_fonts'. False, with a
  // "java-home-missing" warning, when the runtime is not found: the other steps do nothing then.
  bool add_runtime();

  // The jars in `dirs` and, transitively, the jars their manifests' Class-Path names (relative
  // to the jar's real location, as URLClassLoader resolves them; Debian's jasper.jar names
  // eclipse-jdt-core.jar this way). Class-Path jars and link targets not in the set yet are
  // added with the reason. Returns every jar read (as named), for decide_fonts.
  std::vector<std::string> add_class_path_jars(const std::vector<std::string>& dirs);

  // The font stack goes into the image only when the server or one of its applications can
  // draw text (class_text_reference): a headless JVM loads libfontmanager, FreeType, HarfBuzz
  // and fontconfig, and reads the fonts, on the first text it renders or measures, and never
  // otherwise. Scans `code`, then the JVM's -classpath; a process that has libfontmanager mapped
  // keeps the fonts without a scan. The decision and its numbers go to runtime.textDrawing;
  // leaving the fonts out is an exclusion and a "fonts-left-out" warning, what could not be read
  // keeps them ("text-drawing-unknown").
  void decide_fonts(const LoadedCode& code);

  // runtime.jlink: the JDK's tool modules out of lib/modules, keeping what the JVM options need
  // (jlink_needs) and what `needs` adds (javac for a JSP compiler that uses it, a JDK module a
  // server module depends on). Without a plan, runtime.jlinkSkipped says why.
  void plan_jlink(const JlinkNeeds& needs);

private:
  void exclude(const Exclusion& exclusion);

  Analysis& m_a;
  const HostRoot& m_root;
  const ProcessInfo& m_process;
  JvmCommand m_command;
  JvmCommand m_options;
  std::string m_java_home;
  bool m_present = false;
};

} // namespace decant::java
