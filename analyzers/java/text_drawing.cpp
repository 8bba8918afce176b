#include "text_drawing.hpp"

#include "jar.hpp"

#include <decant/util/strings.hpp>

#include <sys/stat.h>

#include <cstdint>

namespace decant::java {

namespace {

// Names whose presence alone means text: fonts and metrics (java/awt/Font, FontMetrics,
// FontFormatException, also in descriptors such as "(Ljava/awt/Font;)V"), text layout and
// glyphs, Swing (every component paints text through the look and feel), printing, the JDK's
// font implementation, and Canvas (a heavyweight component that draws through the toolkit).
const char* const k_class_text_names[] = {
    "java/awt/Font",
    "java/awt/font/",
    "javax/swing/",
    "java/awt/print/",
    "javax/print/",
    "sun/font/",
    "java/awt/Canvas",
};
const char* const k_jsp_text_names[] = {
    "java.awt.Font",
    "java.awt.font.",
    "javax.swing.",
    "java.awt.print.",
    "javax.print.",
    "sun.font.",
    "java.awt.Canvas",
    "java.awt.*",
};
// With a Graphics or GraphicsEnvironment, the methods that render or enumerate text without
// naming java/awt/Font: drawString(String|AttributedCharacterIterator, ...), drawChars,
// drawBytes, and the GraphicsEnvironment calls that make the font manager read the fonts.
const char* const k_text_methods[] = {
    "drawString",
    "drawChars",
    "drawBytes",
    "getAvailableFontFamilyNames",
    "preferLocaleFonts",
    "preferProportionalFonts",
};

bool
is_name_char(char c, char separator)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
         || c == '$' || c == separator || c == '*';
}

// The whole name starting at `pos`: "java/awt/Font" found in "Ljava/awt/FontMetrics;" is
// reported as java/awt/FontMetrics. A trailing separator ("javax.swing.") is dropped.
std::string
name_at(std::string_view text, size_t pos, char separator)
{
  size_t end = pos;
  while (end < text.size() && is_name_char(text[end], separator)) {
    ++end;
  }
  while (end > pos && text[end - 1] == separator) {
    --end;
  }
  return std::string(text.substr(pos, end - pos));
}

std::optional<std::string>
text_reference(std::string_view text,
               const char* const* names,
               size_t name_count,
               std::string_view graphics,
               char separator)
{
  for (size_t i = 0; i < name_count; ++i) {
    size_t pos = text.find(names[i]);
    if (pos != std::string_view::npos) {
      return name_at(text, pos, separator);
    }
  }
  size_t graphics_pos = text.find(graphics);
  if (graphics_pos == std::string_view::npos) {
    return std::nullopt;
  }
  for (const char* method : k_text_methods) {
    if (text.find(method) != std::string_view::npos) {
      return name_at(text, graphics_pos, separator) + "." + method;
    }
  }
  return std::nullopt;
}

std::string
with_commas(size_t n)
{
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) {
      out += ',';
    }
    out += digits[i];
  }
  return out;
}

std::string
count(size_t n, const char* one, const char* many)
{
  return with_commas(n) + " " + (n == 1 ? one : many);
}

// Jars inside a war are read into memory; a larger one is reported unreadable (and the fonts
// kept), never allowed to exhaust memory.
constexpr size_t k_max_nested_jar = 256 * 1024 * 1024;
// Symlinked directories are followed (each once); deeper trees are not a webapp.
constexpr int k_max_depth = 64;
// Archives inside archives a deployment scan opens: an ear's war's WEB-INF/lib jar is 3 deep.
// Each level is held in memory, and a zip can hold itself (a zip quine).
constexpr int k_max_archive_depth = 4;

} // namespace

std::optional<size_t>
class_constant_pool_end(std::string_view bytes)
{
  auto u1 = [&](size_t at) { return static_cast<uint8_t>(bytes[at]); };
  auto u2 = [&](size_t at) { return static_cast<size_t>(u1(at) << 8 | u1(at + 1)); };
  if (bytes.size() < 10) {
    return std::nullopt;
  }
  if (bytes.substr(0, 4) != std::string_view("\xca\xfe\xba\xbe", 4)) {
    return std::string_view::npos;
  }
  size_t count = u2(8); // constant_pool_count: entries 1 .. count-1
  size_t pos = 10;
  for (size_t index = 1; index < count; ++index) {
    if (pos >= bytes.size()) {
      return std::nullopt;
    }
    switch (u1(pos)) {
    case 1: // Utf8: u2 length, bytes
      if (pos + 3 > bytes.size()) {
        return std::nullopt;
      }
      pos += 3 + u2(pos + 1);
      break;
    case 7:  // Class
    case 8:  // String
    case 16: // MethodType
    case 19: // Module
    case 20: // Package
      pos += 3;
      break;
    case 15: // MethodHandle
      pos += 4;
      break;
    case 3:  // Integer
    case 4:  // Float
    case 9:  // Fieldref
    case 10: // Methodref
    case 11: // InterfaceMethodref
    case 12: // NameAndType
    case 17: // Dynamic
    case 18: // InvokeDynamic
      pos += 5;
      break;
    case 5: // Long and Double take two entries (JVMS 4.4.5)
    case 6:
      pos += 9;
      ++index;
      break;
    default:
      return std::string_view::npos;
    }
  }
  if (pos > bytes.size()) {
    return std::nullopt;
  }
  return pos;
}

std::optional<std::string>
class_text_reference(std::string_view class_bytes)
{
  // Only the constant pool: names there are what the class refers to, and bytecode or
  // attribute bytes after it cannot make a false match.
  auto end = class_constant_pool_end(class_bytes);
  if (end && *end != std::string_view::npos) {
    class_bytes = class_bytes.substr(0, *end);
  }
  return text_reference(
      class_bytes, k_class_text_names, std::size(k_class_text_names), "java/awt/Graphics", '/');
}

std::optional<std::string>
jsp_text_reference(std::string_view jsp_text)
{
  return text_reference(
      jsp_text, k_jsp_text_names, std::size(k_jsp_text_names), "java.awt.Graphics", '.');
}

bool
is_jsp_source(std::string_view name)
{
  for (const char* extension : {".jsp", ".jspx", ".tag", ".tagx", ".jspf"}) {
    if (ends_with(name, extension)) {
      return true;
    }
  }
  return false;
}

std::string
TextDrawingUse::describe() const
{
  return container.empty() ? fmt::format("{} references {}", item, reference)
                           : fmt::format("{} in {} references {}", item, container, reference);
}

std::string
TextDrawingScan::summary() const
{
  return fmt::format("{} in {} and {}",
                     count(classes, "class", "classes"),
                     count(jars, "jar", "jars"),
                     count(jsp_files, "JSP file", "JSP files"));
}

namespace {

// Archives a deployment can hold (Java EE: ejb and library jars, web and resource-adapter
// archives, JBoss service archives, ears in nothing but a JBoss deployments/ directory).
bool
is_archive(std::string_view name)
{
  for (const char* extension : {".jar", ".war", ".rar", ".sar", ".ear"}) {
    if (ends_with(name, extension)) {
      return true;
    }
  }
  return false;
}

} // namespace

TextDrawingScanner::TextDrawingScanner(const HostRoot& root)
    : m_root(root.with_resolve_cache())
{
}

bool
TextDrawingScanner::done() const
{
  return m_scan.first.has_value();
}

bool
TextDrawingScanner::first_visit(const std::string& host_path)
{
  auto resolved = m_root.resolve(host_path);
  return m_seen.insert(resolved ? *resolved : host_path).second;
}

bool
TextDrawingScanner::check_class(std::string_view name,
                                const std::string& container,
                                std::string_view bytes)
{
  ++m_scan.classes;
  if (auto reference = class_text_reference(bytes)) {
    m_scan.first = TextDrawingUse{std::string(name), container, *reference};
    return false;
  }
  return true;
}

bool
TextDrawingScanner::check_jsp(std::string_view name,
                              const std::string& container,
                              std::string_view text)
{
  ++m_scan.jsp_files;
  if (auto reference = jsp_text_reference(text)) {
    m_scan.first = TextDrawingUse{std::string(name), container, *reference};
    return false;
  }
  return true;
}

void
TextDrawingScanner::scan_jar(const std::string& host_path)
{
  scan_zip(host_path, false);
}

void
TextDrawingScanner::scan_war(const std::string& host_path)
{
  scan_zip(host_path, true);
}

void
TextDrawingScanner::scan_zip(const std::string& host_path, bool war)
{
  if (done() || !first_visit(host_path)) {
    return;
  }
  ++m_scan.jars;
  // A war's classes are under WEB-INF/classes; other .class entries (a war's own META-INF
  // tooling, an applet served as a file) are never loaded from it.
  auto is_class = [war](std::string_view name) {
    return ends_with(name, ".class") && (!war || starts_with(name, "WEB-INF/classes/"));
  };
  auto is_nested_jar = [war](std::string_view name) {
    return war && starts_with(name, "WEB-INF/lib/") && ends_with(name, ".jar")
           && name.find('/', 12) == std::string_view::npos;
  };
  auto visited = for_each_zip_entry(
      m_root.real_resolved(host_path),
      [&](std::string_view name) {
        return is_class(name) || is_jsp_source(name) || is_nested_jar(name);
      },
      [&](std::string_view name, const std::string& content) {
        if (is_class(name)) {
          return check_class(name, host_path, content);
        }
        if (is_jsp_source(name)) {
          return check_jsp(name, host_path, content);
        }
        scan_nested_jar(host_path, std::string(name), content);
        return !done();
      },
      war ? k_max_nested_jar : 64 * 1024 * 1024);
  if (!visited) {
    m_scan.unreadable.push_back(visited.error().message);
  }
}

void
TextDrawingScanner::scan_nested_jar(const std::string& war,
                                    const std::string& entry,
                                    const std::string& bytes)
{
  ++m_scan.jars;
  std::string container = war + "!/" + entry;
  auto visited = for_each_zip_entry_in_memory(
      bytes,
      container,
      [](std::string_view name) { return ends_with(name, ".class") || is_jsp_source(name); },
      [&](std::string_view name, const std::string& content) {
        return ends_with(name, ".class") ? check_class(name, container, content)
                                         : check_jsp(name, container, content);
      });
  if (!visited) {
    m_scan.unreadable.push_back(visited.error().message);
  }
}

void
TextDrawingScanner::scan_webapp_directory(const std::string& host_path)
{
  if (done() || !first_visit(host_path)) {
    return;
  }
  walk(host_path, host_path, Walk::webapp, 0);
}

void
TextDrawingScanner::scan_class_directory(const std::string& host_path)
{
  if (done() || !first_visit(host_path)) {
    return;
  }
  walk(host_path, host_path, Walk::classes, 0);
}

void
TextDrawingScanner::walk(const std::string& dir, const std::string& top, Walk kind, int depth)
{
  auto names = m_root.list_directory(dir);
  if (!names) {
    m_scan.unreadable.push_back(names.error().context(dir).message);
    return;
  }
  const bool webapp = kind == Walk::webapp;
  const std::string classes = top + "/WEB-INF/classes/";
  const std::string lib = top + "/WEB-INF/lib";
  for (const auto& name : *names) {
    if (done()) {
      return;
    }
    std::string path = dir + "/" + name;
    auto st = m_root.stat(path);
    if (!st) {
      continue; // a dangling link: nothing a class loader can open
    }
    if (S_ISDIR(st->st_mode)) {
      if (depth < k_max_depth && first_visit(path)) {
        walk(path, top, kind, depth + 1);
      }
      continue;
    }
    if (!S_ISREG(st->st_mode)) {
      continue;
    }
    bool is_class = ends_with(name, ".class") && (!webapp || starts_with(path, classes));
    bool is_jsp = kind != Walk::classes && is_jsp_source(name);
    if (webapp && dir == lib && ends_with(name, ".jar")) {
      scan_jar(path);
      continue;
    }
    if (kind == Walk::deployment && is_archive(name)) {
      scan_deployment(path);
      continue;
    }
    if (!is_class && !is_jsp) {
      continue;
    }
    auto content = m_root.read_file(path);
    if (!content) {
      m_scan.unreadable.push_back(content.error().context(path).message);
      continue;
    }
    if (is_class) {
      // Named like a jar entry: com/acme/Captcha.class in <webapp>/WEB-INF/classes.
      size_t prefix = webapp ? classes.size() : top.size() + 1;
      check_class(path.substr(prefix), path.substr(0, prefix - 1), *content);
    } else {
      check_jsp(path, "", *content);
    }
  }
}

bool
TextDrawingScanner::deployment_entry(const std::string& container,
                                     std::string_view name,
                                     const std::string& content,
                                     int depth)
{
  if (ends_with(name, ".class")) {
    return check_class(name, container, content);
  }
  if (is_jsp_source(name)) {
    return check_jsp(name, container, content);
  }
  if (depth >= k_max_archive_depth) {
    m_scan.unreadable.push_back(container + "!/" + std::string(name)
                                + ": archives nested deeper than a Java EE deployment has them");
    return true;
  }
  ++m_scan.jars;
  std::string nested = container + "!/" + std::string(name);
  auto visited = for_each_zip_entry_in_memory(
      content,
      nested,
      [](std::string_view entry) {
        return ends_with(entry, ".class") || is_jsp_source(entry) || is_archive(entry);
      },
      [&](std::string_view entry, const std::string& bytes) {
        return deployment_entry(nested, entry, bytes, depth + 1) && !done();
      },
      k_max_nested_jar);
  if (!visited) {
    m_scan.unreadable.push_back(visited.error().message);
  }
  return !done();
}

void
TextDrawingScanner::scan_deployment(const std::string& host_path)
{
  if (done() || !first_visit(host_path)) {
    return;
  }
  if (m_root.is_directory(host_path)) {
    walk(host_path, host_path, Walk::deployment, 0);
    return;
  }
  ++m_scan.jars;
  auto visited = for_each_zip_entry(
      m_root.real_resolved(host_path),
      [](std::string_view entry) {
        return ends_with(entry, ".class") || is_jsp_source(entry) || is_archive(entry);
      },
      [&](std::string_view entry, const std::string& bytes) {
        return deployment_entry(host_path, entry, bytes, 1) && !done();
      },
      k_max_nested_jar);
  if (!visited) {
    m_scan.unreadable.push_back(visited.error().message);
  }
}

} // namespace decant::java
