// Jar reading (analyzers/java/jar.cpp): entries of zip files written here with libarchive and of
// the real Debian Tomcat jars when installed, manifest main sections, Class-Path splitting, and
// the errors for what is not a jar.
#include "java/jar.hpp"
#include "test_support.hpp"

#include <archive.h>
#include <gtest/gtest.h>

#include <archive_entry.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

using namespace decant;
using namespace decant::java;

namespace {

// A zip file with the given entries (deflated, like jar(1) writes them).
std::string
write_zip(const test::TempDir& dir,
          const std::string& name,
          const std::vector<std::pair<std::string, std::string>>& entries)
{
  return dir.write(name, test::zip_bytes(entries));
}

} // namespace

TEST(ReadZipEntry, FindsEntriesAndReportsAbsentOnes)
{
  test::TempDir dir;
  std::string jar = write_zip(dir,
                              "catalina.jar",
                              {{"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n"},
                               {"org/apache/catalina/util/ServerInfo.properties",
                                "server.info=Apache Tomcat/9.0.85\nserver.number=9.0.85.0\n"}});
  auto info = read_zip_entry(jar, "org/apache/catalina/util/ServerInfo.properties");
  ASSERT_TRUE(info) << info.error().message;
  ASSERT_TRUE(info->has_value());
  EXPECT_EQ(**info, "server.info=Apache Tomcat/9.0.85\nserver.number=9.0.85.0\n");

  auto absent = read_zip_entry(jar, "org/apache/Missing.class");
  ASSERT_TRUE(absent) << absent.error().message;
  EXPECT_FALSE(absent->has_value());
}

TEST(ForEachZipEntry, DecompressesOnlyWantedEntriesAndStops)
{
  test::TempDir dir;
  std::string jar = write_zip(dir,
                              "a.jar",
                              {{"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n"},
                               {"a/A.class", "A"},
                               {"a/B.class", "B"},
                               {"a/C.class", "C"}});
  std::vector<std::string> seen;
  auto all = for_each_zip_entry(
      jar,
      [](std::string_view name) {
        return name.size() > 6 && name.substr(name.size() - 6) == ".class";
      },
      [&](std::string_view name, const std::string& content) {
        seen.push_back(std::string(name) + "=" + content);
        return true;
      });
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_TRUE(*all);
  EXPECT_EQ(seen, (std::vector<std::string>{"a/A.class=A", "a/B.class=B", "a/C.class=C"}));

  seen.clear();
  auto stopped = for_each_zip_entry(
      jar,
      [](std::string_view) { return true; },
      [&](std::string_view name, const std::string&) {
        seen.push_back(std::string(name));
        return name != "a/A.class";
      });
  ASSERT_TRUE(stopped);
  EXPECT_FALSE(*stopped);
  EXPECT_EQ(seen.size(), 2u);

  auto not_zip = for_each_zip_entry(
      dir.write("b.jar", "not a zip"),
      [](std::string_view) { return true; },
      [](std::string_view, const std::string&) { return true; });
  ASSERT_FALSE(not_zip);
  EXPECT_EQ(not_zip.error().code, ErrorCode::invalid_input);
  EXPECT_NE(not_zip.error().message.find("b.jar"), std::string::npos) << not_zip.error().message;
}

TEST(ReadZipEntry, LimitsTheEntrySize)
{
  test::TempDir dir;
  std::string jar = write_zip(dir, "big.jar", {{"big.txt", std::string(10000, 'x')}});
  auto big = read_zip_entry(jar, "big.txt", 1000);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, ErrorCode::invalid_input);
  EXPECT_NE(big.error().message.find("larger than 1000 bytes"), std::string::npos)
      << big.error().message;
  EXPECT_TRUE(read_zip_entry(jar, "big.txt", 20000));
}

TEST(ReadZipEntry, RejectsWhatIsNotAJar)
{
  test::TempDir dir;
  std::string text = dir.write("not-a.jar", "plain text, not a zip archive\n");
  auto result = read_zip_entry(text, "META-INF/MANIFEST.MF");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::invalid_input);
  EXPECT_NE(result.error().message.find(text), std::string::npos) << result.error().message;

  auto missing = read_zip_entry(dir.path() + "/missing.jar", "META-INF/MANIFEST.MF");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("missing.jar"), std::string::npos);
}

TEST(ParseManifest, MainSectionWithContinuationLines)
{
  // Debian's tomcat10-jasper.jar, as jar(1) wraps it at 72 bytes.
  auto manifest =
      parse_manifest("Manifest-Version: 1.0\r\n"
                     "Bundle-Name: tomcat-jasper\r\n"
                     "Class-Path: eclipse-jdt-core.jar tomcat10-el-api.jar tomcat10-servlet-ap\r\n"
                     " i.jar tomcat10-jsp-api.jar\r\n"
                     "\r\n"
                     "Name: org/apache/jasper/\r\n"
                     "Class-Path: not-the-main-section.jar\r\n");
  EXPECT_EQ(manifest["Manifest-Version"], "1.0");
  EXPECT_EQ(manifest["Bundle-Name"], "tomcat-jasper");
  EXPECT_EQ(manifest["Class-Path"],
            "eclipse-jdt-core.jar tomcat10-el-api.jar tomcat10-servlet-api.jar "
            "tomcat10-jsp-api.jar");
  EXPECT_EQ(manifest.count("Name"), 0u);
}

TEST(ParseManifest, EmptyAndKeyless)
{
  EXPECT_TRUE(parse_manifest("").empty());
  auto manifest = parse_manifest("garbage line\nMain-Class: a.B\n");
  EXPECT_EQ(manifest.size(), 1u);
  EXPECT_EQ(manifest["Main-Class"], "a.B");
}

TEST(ManifestClassPath, SplitsAndDecodes)
{
  struct Case {
    const char* class_path;
    std::vector<std::string> expected;
  };
  const Case cases[] = {
      {"a.jar b.jar", {"a.jar", "b.jar"}},
      {"  a.jar   lib/b.jar  ", {"a.jar", "lib/b.jar"}},
      {"my%20lib.jar", {"my lib.jar"}},
      {"file:/opt/x.jar http://h/y.jar", {"file:/opt/x.jar", "http://h/y.jar"}},
      {"", {}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(manifest_class_path({{"Class-Path", c.class_path}}), c.expected) << c.class_path;
  }
  EXPECT_TRUE(manifest_class_path({{"Main-Class", "x"}}).empty());
}

TEST(ReadZipEntry, DebianJasperNamesItsJspCompiler)
{
  const std::string jar = "/usr/share/java/tomcat10-jasper.jar";
  if (access(jar.c_str(), R_OK) != 0) {
    GTEST_SKIP() << jar << " is not installed (package libtomcat10-java, from tomcat10)";
  }
  auto manifest = read_zip_entry(jar, "META-INF/MANIFEST.MF");
  ASSERT_TRUE(manifest) << manifest.error().message;
  ASSERT_TRUE(manifest->has_value());
  auto class_path = manifest_class_path(parse_manifest(**manifest));
  EXPECT_NE(std::find(class_path.begin(), class_path.end(), "eclipse-jdt-core.jar"),
            class_path.end());
}
