// The text-drawing rule (analyzers/java/text_drawing.cpp): which class bytes and JSP sources
// count as drawing text, and the scanner over jars, wars, exploded webapps and class
// directories of a host tree built here (class files are minimal but valid: magic, version and
// a constant pool of UTF-8 names, as javac writes them).
#include "java/jar.hpp"
#include "java/text_drawing.hpp"
#include "test_support.hpp"

#include <archive.h>
#include <gtest/gtest.h>

#include <archive_entry.h>

#include <string>
#include <utility>
#include <vector>

using namespace decant;
using namespace decant::java;
using decant::test::zip_bytes;

namespace {

// A class file whose constant pool holds `names` as CONSTANT_Utf8 entries (JVMS 4.4.7), then
// no fields, methods or attributes: the bytes the rule looks at, in the layout javac writes.
std::string
class_bytes(const std::vector<std::string>& names)
{
  std::string out("\xca\xfe\xba\xbe\x00\x00\x00\x3d", 8); // magic, Java 17 (61)
  auto u2 = [&](size_t n) {
    out += static_cast<char>((n >> 8) & 0xff);
    out += static_cast<char>(n & 0xff);
  };
  u2(names.size() + 2);
  for (const auto& name : names) {
    out += '\x01';
    u2(name.size());
    out += name;
  }
  out += '\x07'; // CONSTANT_Class of names[0]: this class
  u2(1);
  u2(0x21);             // ACC_PUBLIC | ACC_SUPER
  u2(names.size() + 1); // this_class
  for (int i = 0; i < 5; ++i) {
    u2(0); // super_class (Object only), interfaces, fields, methods, attributes
  }
  return out;
}

const std::string k_servlet = class_bytes({"com/acme/HelloServlet",
                                           "jakarta/servlet/http/HttpServlet",
                                           "java/awt/Toolkit",
                                           "getDefaultToolkit"});
const std::string k_captcha = class_bytes(
    {"com/acme/Captcha", "java/awt/Font", "(Ljava/awt/Font;)V", "setFont", "java/lang/Object"});
const std::string k_thumbnail = class_bytes({"com/acme/Thumbnail",
                                             "java/awt/image/BufferedImage",
                                             "createGraphics",
                                             "()Ljava/awt/Graphics2D;",
                                             "java/awt/Graphics2D",
                                             "fillRect",
                                             "javax/imageio/ImageIO"});

HostRoot
open_root(const test::TempDir& dir)
{
  auto root = HostRoot::open(dir.path());
  EXPECT_TRUE(root) << root.error().message;
  return *root;
}

} // namespace

TEST(ClassTextReference, NamesTheFontTextSwingAndPrintingApis)
{
  struct Case {
    std::vector<std::string> names;
    std::optional<std::string> expected;
  };
  const std::vector<Case> cases = {
      {{"java/awt/Font"}, "java/awt/Font"},
      {{"()Ljava/awt/FontMetrics;"}, "java/awt/FontMetrics"},
      {{"java/awt/font/TextLayout"}, "java/awt/font/TextLayout"},
      {{"javax/swing/JLabel"}, "javax/swing/JLabel"},
      {{"java/awt/print/PrinterJob"}, "java/awt/print/PrinterJob"},
      {{"javax/print/PrintService"}, "javax/print/PrintService"},
      {{"sun/font/FontManagerFactory"}, "sun/font/FontManagerFactory"},
      {{"java/awt/Canvas"}, "java/awt/Canvas"},
      // Graphics draws text only through these methods (the rest name java/awt/Font).
      {{"java/awt/Graphics2D", "drawString"}, "java/awt/Graphics2D.drawString"},
      {{"java/awt/Graphics", "drawChars"}, "java/awt/Graphics.drawChars"},
      {{"java/awt/GraphicsEnvironment", "getAvailableFontFamilyNames"},
       "java/awt/GraphicsEnvironment.getAvailableFontFamilyNames"},
      // Images, shapes, colors and the toolkit need libawt, not the font manager.
      {{"java/awt/Graphics2D", "fillRect", "setRenderingHint", "java/awt/RenderingHints"},
       std::nullopt},
      {{"java/awt/Toolkit", "getDefaultToolkit"}, std::nullopt},
      {{"java/awt/image/BufferedImage", "javax/imageio/ImageIO"}, std::nullopt},
      {{"java/awt/Color", "java/awt/geom/Line2D"}, std::nullopt},
      {{"java/lang/String", "drawString"}, std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(class_text_reference(class_bytes(c.names)), c.expected) << c.names.front();
  }
}

TEST(ClassConstantPoolEnd, WalksEveryEntryKind)
{
  std::string bytes = class_bytes({"a/B", "java/awt/Font"});
  // magic+version (8), count (2), two Utf8 entries (3+3, 3+13), a Class entry (3), then the
  // class header.
  EXPECT_EQ(class_constant_pool_end(bytes), 10u + 6u + 16u + 3u);
  EXPECT_EQ(class_constant_pool_end(bytes.substr(0, 20)), std::nullopt);
  EXPECT_EQ(class_constant_pool_end("PK\x03\x04 a jar, not a class"), std::string_view::npos);
  // A Long takes two entries (count 4: Long, then a Class naming entry 3), an unknown tag
  // makes the bytes unreadable as a class.
  std::string with_long("\xca\xfe\xba\xbe\x00\x00\x00\x3d\x00\x04"
                        "\x05\x00\x00\x00\x00\x00\x00\x00\x2a"
                        "\x07\x00\x03\x00\x21",
                        24);
  EXPECT_EQ(class_constant_pool_end(with_long), 22u);
  std::string bad_tag("\xca\xfe\xba\xbe\x00\x00\x00\x3d\x00\x02\x63\x00", 12);
  EXPECT_EQ(class_constant_pool_end(bad_tag), std::string_view::npos);
  // Names after the constant pool (bytecode, attributes) do not count.
  EXPECT_FALSE(class_text_reference(class_bytes({"a/B"}) + "java/awt/Font"));
}

TEST(JspTextReference, ReadsImportsAndQualifiedNames)
{
  EXPECT_EQ(jsp_text_reference("<%@ page import=\"java.awt.*,java.io.*\" %>\n<% %>"), "java.awt.*");
  EXPECT_EQ(jsp_text_reference("<%@ page import=\"java.awt.Font\" %>"), "java.awt.Font");
  EXPECT_EQ(jsp_text_reference("<% new javax.swing.JLabel(\"x\"); %>"), "javax.swing.JLabel");
  EXPECT_EQ(jsp_text_reference("<% java.awt.Graphics2D g = img.createGraphics();\n"
                               "g.drawString(\"7f3k\", 4, 20); %>"),
            "java.awt.Graphics2D.drawString");
  EXPECT_EQ(jsp_text_reference("<jsp:directive.page import=\"java.awt.print.PrinterJob\"/>"),
            "java.awt.print.PrinterJob");
  EXPECT_FALSE(jsp_text_reference("<%@ page import=\"java.awt.image.BufferedImage\" %>\n"
                                  "<% java.awt.Graphics2D g = img.createGraphics(); %>"));
  EXPECT_FALSE(jsp_text_reference("<html><body>${font}</body></html>"));
  EXPECT_TRUE(is_jsp_source("WEB-INF/tags/panel.tag"));
  EXPECT_TRUE(is_jsp_source("header.jspf"));
  EXPECT_TRUE(is_jsp_source("doc.jspx"));
  EXPECT_FALSE(is_jsp_source("index.html"));
}

TEST(TextDrawingScanner, FindsAFontUserInAWebappJar)
{
  test::TempDir dir;
  dir.write("srv/app/index.jsp", "<%@ page import=\"java.util.*\" %>\n<%= new Date() %>\n");
  dir.write("srv/app/WEB-INF/classes/com/acme/HelloServlet.class", k_servlet);
  dir.write("srv/app/WEB-INF/lib/acme.jar",
            zip_bytes({{"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n"},
                       {"com/acme/Thumbnail.class", k_thumbnail},
                       {"com/acme/Captcha.class", k_captcha}}));
  auto root = open_root(dir);
  TextDrawingScanner scanner(root);
  scanner.scan_webapp_directory("/srv/app");
  const auto& scan = scanner.result();
  ASSERT_TRUE(scan.draws_text()) << scan.summary();
  EXPECT_EQ(scan.first->describe(),
            "com/acme/Captcha.class in /srv/app/WEB-INF/lib/acme.jar references java/awt/Font");
  EXPECT_EQ(scan.classes, 3u); // HelloServlet, Thumbnail, Captcha
  EXPECT_EQ(scan.jars, 1u);
  // Entries are walked in sorted order: index.jsp comes after WEB-INF, where the scan stopped.
  EXPECT_EQ(scan.jsp_files, 0u);
  EXPECT_TRUE(scan.unreadable.empty());

  // After the first use every scan returns at once.
  dir.write("opt/lib/other.jar", zip_bytes({{"x/Y.class", k_servlet}}));
  scanner.scan_jar("/opt/lib/other.jar");
  EXPECT_EQ(scanner.result().jars, 1u);
  EXPECT_EQ(scanner.result().classes, 3u);
}

TEST(TextDrawingScanner, ReportsNothingForAServerThatOnlyUsesImagesAndTheToolkit)
{
  test::TempDir dir;
  dir.write("srv/app/index.jsp", "<%@ page import=\"java.awt.image.BufferedImage\" %>\n");
  dir.write("srv/app/WEB-INF/tags/box.tag", "<%@ tag body-content=\"scriptless\" %>\n");
  dir.write("srv/app/WEB-INF/classes/com/acme/Thumbnail.class", k_thumbnail);
  // Classes outside WEB-INF/classes and jars outside WEB-INF/lib are never loaded.
  dir.write("srv/app/download/Captcha.class", k_captcha);
  dir.write("srv/app/download/captcha.jar", zip_bytes({{"Captcha.class", k_captcha}}));
  dir.write(
      "opt/tomcat/lib/catalina.jar",
      zip_bytes({{"org/apache/catalina/core/JreMemoryLeakPreventionListener.class", k_servlet},
                 {"org/apache/catalina/util/ServerInfo.properties", "server.info=x\n"}}));
  // Debian links lib/*.jar into /usr/share/java: the target is scanned once.
  dir.symlink("/opt/tomcat/lib/catalina.jar", "opt/tomcat/lib/catalina-link.jar");
  auto root = open_root(dir);
  TextDrawingScanner scanner(root);
  scanner.scan_webapp_directory("/srv/app");
  scanner.scan_jar("/opt/tomcat/lib/catalina.jar");
  scanner.scan_jar("/opt/tomcat/lib/catalina-link.jar");
  const auto& scan = scanner.result();
  EXPECT_FALSE(scan.draws_text()) << scan.first->describe();
  EXPECT_EQ(scan.classes, 2u);
  EXPECT_EQ(scan.jars, 1u);
  EXPECT_EQ(scan.jsp_files, 2u);
  EXPECT_EQ(scan.summary(), "2 classes in 1 jar and 2 JSP files");
  EXPECT_TRUE(scan.unreadable.empty());
}

TEST(TextDrawingScanner, FindsAJspWithAnAwtImport)
{
  test::TempDir dir;
  dir.write("srv/app/WEB-INF/classes/com/acme/HelloServlet.class", k_servlet);
  dir.write("srv/app/chart/pie.jsp",
            "<%@ page contentType=\"image/png\" import=\"java.awt.*,javax.imageio.*\" %>\n");
  auto root = open_root(dir);
  TextDrawingScanner scanner(root);
  scanner.scan_webapp_directory("/srv/app");
  ASSERT_TRUE(scanner.result().draws_text());
  EXPECT_EQ(scanner.result().first->describe(), "/srv/app/chart/pie.jsp references java.awt.*");
}

TEST(TextDrawingScanner, ReadsWarsWithTheirNestedJarsAndTagFilesInJars)
{
  test::TempDir dir;
  std::string nested = zip_bytes({{"com/acme/Captcha.class", k_captcha}});
  dir.write("srv/webapps/shop.war",
            zip_bytes({{"index.jsp", "<%= 1 %>"},
                       {"WEB-INF/classes/com/acme/HelloServlet.class", k_servlet},
                       {"WEB-INF/lib/acme.jar", nested}}));
  dir.write("srv/lib/tags.jar",
            zip_bytes({{"META-INF/tags/label.tag", "<%@ tag import=\"java.awt.Font\" %>\n"}}));
  auto root = open_root(dir);
  {
    TextDrawingScanner scanner(root);
    scanner.scan_jar("/srv/lib/tags.jar");
    ASSERT_TRUE(scanner.result().draws_text());
    EXPECT_EQ(scanner.result().first->describe(),
              "META-INF/tags/label.tag in /srv/lib/tags.jar references java.awt.Font");
  }
  TextDrawingScanner scanner(root);
  scanner.scan_war("/srv/webapps/shop.war");
  const auto& scan = scanner.result();
  ASSERT_TRUE(scan.draws_text());
  EXPECT_EQ(scan.first->describe(),
            "com/acme/Captcha.class in /srv/webapps/shop.war!/WEB-INF/lib/acme.jar references "
            "java/awt/Font");
  EXPECT_EQ(scan.jars, 2u);
  EXPECT_EQ(scan.classes, 2u);
  EXPECT_EQ(scan.jsp_files, 1u);
}

TEST(TextDrawingScanner, ClassDirectoriesAndUnreadableJars)
{
  test::TempDir dir;
  dir.write("opt/shared/classes/com/acme/Report.class",
            class_bytes({"com/acme/Report", "java/awt/print/Printable"}));
  dir.write("opt/shared/broken.jar", "PK\x03\x04 truncated");
  auto root = open_root(dir);
  TextDrawingScanner scanner(root);
  scanner.scan_jar("/opt/shared/broken.jar");
  EXPECT_FALSE(scanner.result().draws_text());
  ASSERT_EQ(scanner.result().unreadable.size(), 1u);
  EXPECT_NE(scanner.result().unreadable[0].find("broken.jar"), std::string::npos)
      << scanner.result().unreadable[0];
  scanner.scan_class_directory("/opt/shared/classes");
  ASSERT_TRUE(scanner.result().draws_text());
  EXPECT_EQ(scanner.result().first->describe(),
            "com/acme/Report.class in /opt/shared/classes references java/awt/print/Printable");
}

// A Java EE deployment of any kind: an ear's war's WEB-INF/lib jar is read (three archives
// deep), an exploded ear directory too, and archives nested deeper than any deployment has them
// (a zip can even hold itself) stop the scan with an unreadable entry instead of memory.
TEST(TextDrawingScanner, DeploymentsOfAnyKindAndDepth)
{
  test::TempDir dir;
  std::string war =
      zip_bytes({{"WEB-INF/classes/com/acme/HelloServlet.class", k_servlet},
                 {"WEB-INF/lib/acme.jar", zip_bytes({{"com/acme/Captcha.class", k_captcha}})}});
  dir.write("srv/deployments/shop.ear",
            zip_bytes({{"lib/util.jar", zip_bytes({})}, {"shop.war", war}}));
  dir.write("srv/exploded.ear/lib/util.jar", zip_bytes({{"com/acme/Util.class", k_servlet}}));
  dir.write("srv/exploded.ear/web.war/WEB-INF/classes/com/acme/Other.class", k_servlet);
  std::string deep = zip_bytes({{"com/acme/Captcha.class", k_captcha}});
  for (int i = 0; i < 6; ++i) {
    deep = zip_bytes({{"inner.jar", deep}});
  }
  dir.write("srv/deployments/deep.ear", deep);
  auto root = open_root(dir);
  {
    TextDrawingScanner scanner(root);
    scanner.scan_deployment("/srv/deployments/shop.ear");
    ASSERT_TRUE(scanner.result().draws_text());
    EXPECT_EQ(scanner.result().first->describe(),
              "com/acme/Captcha.class in /srv/deployments/shop.ear!/shop.war!/WEB-INF/lib/acme.jar "
              "references java/awt/Font");
  }
  {
    TextDrawingScanner scanner(root);
    scanner.scan_deployment("/srv/exploded.ear");
    EXPECT_FALSE(scanner.result().draws_text());
    EXPECT_EQ(scanner.result().classes, 2u);
    EXPECT_TRUE(scanner.result().unreadable.empty());
  }
  TextDrawingScanner scanner(root);
  scanner.scan_deployment("/srv/deployments/deep.ear");
  EXPECT_FALSE(scanner.result().draws_text());
  ASSERT_FALSE(scanner.result().unreadable.empty());
  EXPECT_NE(scanner.result().unreadable[0].find("nested deeper"), std::string::npos);
}
