#pragma once

// Whether the classes and JSPs a Java server can load ever draw text. A headless JVM loads
// libfontmanager (with FreeType, HarfBuzz, fontconfig and the fonts) only when something
// renders or measures text; a server whose code never names the font, text-layout, Swing or
// printing APIs never does, so the analyzers can leave that stack out of the image. The rule
// is static and explainable: it reads the internal class names a .class file refers to (they
// are UTF-8 constants of its constant pool, so a substring search of the bytes finds them) and
// the dotted names in JSP sources.
//
//   java::TextDrawingScanner scanner(root);
//   scanner.scan_webapp_directory("/var/lib/tomcat10/webapps/ROOT");
//   scanner.scan_jar("/usr/share/tomcat10/lib/catalina.jar");
//   if (auto use = scanner.result().first) { ... use->describe() ... }

#include <decant/proc/host_root.hpp>

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace decant::java {

// The name in a class file's constant pool that lets it draw text, nullopt when there is none:
//   - anything under java/awt/Font* and java/awt/font/ (fonts, metrics, text layout, glyphs),
//     javax/swing/, java/awt/print/, javax/print/, sun/font/, java/awt/Canvas;
//   - java/awt/Graphics* (Graphics, Graphics2D, GraphicsEnvironment) together with a method
//     name that draws or lists text: drawString, drawChars, drawBytes,
//     getAvailableFontFamilyNames, preferLocaleFonts, preferProportionalFonts. Drawing shapes
//     and images on a Graphics2D does not load libfontmanager (OpenJDK 17, checked with
//     /proc/self/maps); setFont/getFont and FontMetrics name java/awt/Font in their descriptors.
// java/awt/Toolkit, java/awt/Color, java/awt/image/ and javax/imageio/ alone do not draw
// text: they need libawt and the image codecs, which stay in every Java image.
// The result is the full name found ("java/awt/FontMetrics", "java/awt/Graphics2D.drawString").
std::optional<std::string> class_text_reference(std::string_view class_bytes);

// Where the constant pool of a class file ends (JVMS 4.1 and 4.4): the offset after its last
// entry, nullopt while `bytes` is too short to say, npos for bytes that are not a class file
// (bad magic, unknown tag: the rule then reads all of them). Every name a class refers to is
// in its constant pool: the rule searches that far only, so bytecode and attribute bytes after
// it cannot make a false match.
std::optional<size_t> class_constant_pool_end(std::string_view bytes);

// The same for the source of a JSP, JSP document, tag file or fragment: java.awt.Font*,
// java.awt.font., javax.swing., java.awt.print., javax.print., sun.font., java.awt.Canvas, a
// java.awt.* import, or java.awt.Graphics* with one of the method names above.
std::optional<std::string> jsp_text_reference(std::string_view jsp_text);

// *.jsp, *.jspx, *.tag, *.tagx, *.jspf.
bool is_jsp_source(std::string_view name);

// The first class or JSP found that draws text.
struct TextDrawingUse {
  std::string item;      // "com/acme/Captcha.class", "/srv/app/chart.jsp"
  std::string container; // the jar, war or directory holding it; "" for a JSP file
  std::string reference; // "java/awt/Font"
  // "com/acme/Captcha.class in /srv/app/WEB-INF/lib/acme.jar references java/awt/Font"
  std::string describe() const;
};

struct TextDrawingScan {
  std::optional<TextDrawingUse> first; // the scan stops at the first one
  size_t classes = 0;                  // .class files and entries read
  size_t jars = 0;                     // jar and war files opened (nested jars of a war too)
  size_t jsp_files = 0;                // JSP sources read (files and jar entries)
  // "path: message" of what could not be read: then nothing can be said about it, and a caller
  // must keep the fonts.
  std::vector<std::string> unreadable;

  bool
  draws_text() const
  {
    return first.has_value();
  }
  // "2,311 classes in 41 jars and 97 JSP files"
  std::string summary() const;
};

// Scans what a server can load, through the host root. Each file is scanned once (by its
// resolved path); after the first use found every scan_* call returns at once.
class TextDrawingScanner
{
public:
  explicit TextDrawingScanner(const HostRoot& root);

  // A jar: its .class entries and the JSP sources it carries (META-INF/tags, META-INF/resources).
  void scan_jar(const std::string& host_path);
  // A war: WEB-INF/classes/**.class, WEB-INF/lib/*.jar (read in memory) and its JSP sources.
  void scan_war(const std::string& host_path);
  // An exploded webapp: WEB-INF/classes/**.class, WEB-INF/lib/*.jar and JSP sources anywhere.
  void scan_webapp_directory(const std::string& host_path);
  // A class-loader directory (catalina.properties' common.loader "dir" entries): **.class.
  void scan_class_directory(const std::string& host_path);
  // An application deployed to a Java EE server, whatever its kind (ear, war, ejb jar, rar,
  // sar; archived or exploded): every .class, every JSP source and every nested archive, in
  // the archive's other archives too (an ear's war's WEB-INF/lib jars). Wider than what one
  // class loader reads, so that no deployment layout hides a class that draws text.
  void scan_deployment(const std::string& host_path);

  const TextDrawingScan&
  result() const
  {
    return m_scan;
  }

private:
  bool done() const;
  bool first_visit(const std::string& host_path);
  void scan_zip(const std::string& host_path, bool war);
  void scan_nested_jar(const std::string& war, const std::string& entry, const std::string& bytes);
  bool check_class(std::string_view name, const std::string& container, std::string_view bytes);
  bool check_jsp(std::string_view name, const std::string& container, std::string_view text);
  // What a directory walk reads: a webapp's WEB-INF/classes, WEB-INF/lib jars and JSPs; every
  // .class of a class-loader directory; or every class, JSP and archive of a deployment.
  enum class Walk { webapp, classes, deployment };
  void walk(const std::string& dir, const std::string& top, Walk kind, int depth);
  bool deployment_entry(const std::string& container,
                        std::string_view name,
                        const std::string& content,
                        int depth);

  HostRoot m_root; // with a resolve cache: the scan resolves thousands of paths of a few trees
  TextDrawingScan m_scan;
  std::set<std::string> m_seen; // resolved paths of the files and directories scanned
};

} // namespace decant::java
