#include "jdk_trim.hpp"

#include "jar.hpp"
#include "text_drawing.hpp"

#include <decant/util/strings.hpp>

#include <deque>
#include <set>

namespace decant::java {

JdkTrim::JdkTrim(Analysis& analysis,
                 const HostRoot& root,
                 const ProcessInfo& process,
                 const JvmCommand& command,
                 std::string java_home)
    : m_a(analysis),
      m_root(root),
      m_process(process),
      m_command(command),
      m_options(effective_jvm_options(process, command)),
      m_java_home(std::move(java_home))
{
}

void
JdkTrim::exclude(const Exclusion& exclusion)
{
  for (const auto& x : m_a.exclude) {
    if (x.path == exclusion.path) {
      return;
    }
  }
  m_a.exclude.push_back(exclusion);
}

bool
JdkTrim::add_runtime()
{
  const std::string& jh = m_java_home;
  if (jh.empty() || !m_root.is_directory(jh)) {
    m_a.warn("java-home-missing",
             fmt::format("the Java runtime of PID {} ({}) was not found; the image has no JVM",
                         m_process.pid,
                         m_process.exe));
    return false;
  }
  m_present = true;
  // From the options: a large heap keeps classes_nocoops.jsa, a debugger option JDWP.
  add_java_home(m_a, m_root, jh, m_options);
  auto headless = m_options.system_properties.find("java.awt.headless");
  bool is_headless =
      headless != m_options.system_properties.end() && to_lower(headless->second) == "true";
  // The font part (libfontmanager, FreeType, fontconfig, fonts) is decided by decide_fonts(),
  // once the applications and jars are known.
  add_lazy_libraries(m_a, jvm_headless_lazy_libraries(jh));
  if (is_headless) {
    for (const auto& e : jvm_headless_exclusions(jh)) {
      exclude(e);
    }
  } else {
    m_a.warn("jvm-not-headless",
             "the JVM runs without -Djava.awt.headless=true: the X11 parts of the JDK and their "
             "libraries stay in the image");
  }
  return true;
}

std::vector<std::string>
JdkTrim::add_class_path_jars(const std::vector<std::string>& dirs)
{
  std::vector<std::string> read;
  std::deque<std::string> queue;
  std::set<std::string> seen;
  for (const auto& dir : dirs) {
    if (auto names = m_root.list_directory(dir)) {
      for (const auto& name : *names) {
        if (ends_with(name, ".jar")) {
          queue.push_back(dir + "/" + name);
        }
      }
    }
  }
  while (!queue.empty()) {
    std::string jar = queue.front();
    queue.pop_front();
    auto resolved = m_root.resolve(jar);
    if (!resolved || !seen.insert(*resolved).second || !m_root.is_regular_file(*resolved)) {
      continue;
    }
    read.push_back(jar);
    // Distribution packages link lib/*.jar into /usr/share/java: the target is what the
    // class loader opens, named here so the reason says which link needs it.
    if (*resolved != jar && !m_a.covers(*resolved)) {
      m_a.add_file({*resolved, "target of " + jar, FileRole::server, false, false});
    }
    auto manifest = read_zip_entry(m_root.real(*resolved), "META-INF/MANIFEST.MF");
    if (!manifest) {
      m_a.warn("jar-unreadable", manifest.error().context(jar).message);
      continue;
    }
    if (!*manifest) {
      continue;
    }
    for (const auto& entry : manifest_class_path(parse_manifest(**manifest))) {
      if (entry.find(':') != std::string::npos) {
        continue; // absolute URLs (file:, http:) are not resolved against the jar
      }
      // Relative to the jar's real location, as URLClassLoader resolves it.
      std::string path = HostRoot::normalize(host_path_join(dir_name(*resolved), entry));
      if (!m_root.exists(path)) {
        continue; // optional entries (Debian lists jars of optional packages)
      }
      if (!m_a.covers(path)) {
        m_a.add_file({path,
                      fmt::format("Class-Path of {} ({})", jar, *resolved),
                      FileRole::server,
                      false,
                      false});
      }
      queue.push_back(path);
    }
  }
  return read;
}

namespace {

void
scan(TextDrawingScanner& scanner,
     const HostRoot& root,
     LoadedCode::Kind kind,
     const std::string& path)
{
  using Kind = LoadedCode::Kind;
  switch (kind) {
  case Kind::webapp_directory:
    scanner.scan_webapp_directory(path);
    break;
  case Kind::war:
    scanner.scan_war(path);
    break;
  case Kind::jar_directory:
    if (auto names = root.list_directory(path)) {
      for (const auto& name : *names) {
        if (ends_with(name, ".jar") && root.is_regular_file(path + "/" + name)) {
          scanner.scan_jar(path + "/" + name);
        }
      }
    }
    break;
  case Kind::jar:
    if (root.is_regular_file(path)) {
      scanner.scan_jar(path);
    }
    break;
  case Kind::class_directory:
    if (root.is_directory(path)) {
      scanner.scan_class_directory(path);
    }
    break;
  case Kind::deployment:
    scanner.scan_deployment(path);
    break;
  }
}

} // namespace

void
JdkTrim::decide_fonts(const LoadedCode& code)
{
  if (!m_present) {
    return;
  }
  const std::string& jh = m_java_home;
  auto& details = m_a.runtime.details["textDrawing"];
  // A process that has rendered text already has the library mapped: nothing to decide.
  for (const auto& file : m_process.mapped_files()) {
    if (ends_with(file, "/libfontmanager.so")) {
      std::string why = fmt::format("PID {} has loaded {}", m_process.pid, file);
      details = {{"drawsText", true}, {"firstUse", why}};
      add_lazy_libraries(m_a, jvm_font_lazy_libraries(jh, "font rendering: " + why));
      return;
    }
  }
  TextDrawingScanner scanner(m_root);
  for (const auto& [kind, path] : code.items) {
    scan(scanner, m_root, kind, path);
  }
  for (const auto& entry : m_command.classpath) {
    std::string path = HostRoot::normalize(m_process.host_path(entry));
    if (m_root.is_regular_file(path)) {
      scanner.scan_jar(path);
    } else if (m_root.is_directory(path)) {
      scanner.scan_class_directory(path);
    }
  }

  const auto& result = scanner.result();
  details = {{"drawsText", result.draws_text()},
             {"classes", result.classes},
             {"jars", result.jars},
             {"jspFiles", result.jsp_files}};
  if (result.draws_text()) {
    details["firstUse"] = result.first->describe();
    add_lazy_libraries(m_a,
                       jvm_font_lazy_libraries(jh, "font rendering: " + result.first->describe()));
    return;
  }
  if (!result.unreadable.empty()) {
    // What could not be read may draw text: keep the fonts and say why.
    details["unreadable"] = result.unreadable;
    std::string why = fmt::format("{} file(s) could not be scanned for text drawing ({})",
                                  result.unreadable.size(),
                                  result.unreadable.front());
    add_lazy_libraries(m_a, jvm_font_lazy_libraries(jh, why));
    m_a.warn("text-drawing-unknown", why + ": the font stack stays in the image");
    return;
  }
  std::string why = fmt::format(
      "no class of the server or its applications draws text (scanned {})", result.summary());
  exclude(jvm_font_exclusion(jh, why));
  m_a.warn("fonts-left-out",
           fmt::format("{}: libfontmanager, FreeType, fontconfig and the fonts are left out of "
                       "the image; code that renders text anyway (loaded by reflection or "
                       "from outside the scanned jars) fails with UnsatisfiedLinkError "
                       "(fontmanager): remove the exclude[] entry {}/lib/libfontmanager.so "
                       "to keep them",
                       why,
                       jh));
}

void
JdkTrim::plan_jlink(const JlinkNeeds& needs)
{
  if (!m_present) {
    return;
  }
  JlinkNeeds all = jlink_needs(m_options);
  all.keep.insert(needs.keep.begin(), needs.keep.end());
  std::string why_not;
  if (auto plan = runtime_jlink_plan(m_root, m_java_home, all, why_not)) {
    set_jlink_plan(m_a, *plan);
  } else {
    m_a.runtime.details["jlinkSkipped"] = why_not; // the runtime is packed whole
  }
}

} // namespace decant::java
