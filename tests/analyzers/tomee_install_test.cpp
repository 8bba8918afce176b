// TomEE markers, version and flavor (analyzers/tomee/tomee_install.cpp): table tests on jar
// names, and the real zip jars of the fixture hosts built by fixtures/hosts/tomee-generate.py.
#include "test_support.hpp"
#include "tomee/tomee_install.hpp"

#include <gtest/gtest.h>

using namespace decant;
using namespace decant::tomee;

TEST(TomeeInstall, VersionFromJarName)
{
  const std::pair<const char*, const char*> cases[] = {
      {"tomee-catalina-9.1.2.jar", "9.1.2"},
      {"openejb-core-8.0.16.jar", "8.0.16"},
      {"tomee-common-10.0.0-M1.jar", "10.0.0-M1"},
      {"openejb-core-4.7.5.jar", "4.7.5"},
      {"tomee-catalina.jar", nullptr},
      {"openejb-javaagent.jar", nullptr},
      {"tomee-catalina-9.1.2.war", nullptr},
  };
  for (const auto& [name, expected] : cases) {
    SCOPED_TRACE(name);
    auto got = version_from_jar_name(name);
    if (expected) {
      ASSERT_TRUE(got);
      EXPECT_EQ(*got, expected);
    } else {
      EXPECT_FALSE(got);
    }
  }
}

TEST(TomeeInstall, FlavorFromJars)
{
  struct Case {
    std::vector<std::string> jars;
    const char* flavor;
  };
  const Case cases[] = {
      {{"catalina.jar", "servlet-api.jar"}, ""}, // plain Tomcat
      {{"openejb-core-9.1.2.jar", "tomee-catalina-9.1.2.jar", "openjpa-3.2.2.jar"}, "webprofile"},
      {{"tomee-catalina-9.1.2.jar", "microprofile-config-api-3.0.jar"}, "microprofile"},
      {{"tomee-catalina-8.0.16.jar", "geronimo-config-impl-1.2.2.jar"}, "microprofile"},
      {{"tomee-catalina-9.1.2.jar", "microprofile-config-api-3.0.jar", "activemq-broker-5.jar"},
       "plus"},
      {{"tomee-catalina-9.1.2.jar", "cxf-rt-frontend-jaxws-3.5.jar"}, "plus"},
      {{"tomee-catalina-9.1.2.jar", "activemq-broker-5.jar", "eclipselink-4.0.2.jar"}, "plume"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.jars.back());
    auto guess = flavor_from_jars(c.jars);
    EXPECT_EQ(guess.flavor, c.flavor);
    EXPECT_EQ(guess.reason.empty(), std::string(c.flavor).empty());
  }
}

TEST(TomeeInstall, MarkersInHomeBaseAndAgent)
{
  test::TempDir dir;
  dir.write("home/lib/catalina.jar", "x");
  dir.write("home/lib/tomee-catalina-9.1.3.jar", "x");
  dir.write("base/conf/system.properties", "a=b\n");
  auto root = HostRoot::open(dir.path()).value();
  auto found = find_tomee_markers(root, "/home", "/base", {"/home/lib/openejb-javaagent.jar"});
  ASSERT_TRUE(found);
  std::vector<std::string> kinds;
  for (const auto& m : found->markers) {
    kinds.push_back(m.kind + " " + m.path);
  }
  EXPECT_EQ(kinds,
            (std::vector<std::string>{"tomee-jar /home/lib/tomee-catalina-9.1.3.jar",
                                      "system.properties /base/conf/system.properties",
                                      "javaagent /home/lib/openejb-javaagent.jar"}));
  EXPECT_EQ(found->lib_dir, "/home/lib");
  EXPECT_TRUE(found->has_jars());

  test::TempDir plain;
  plain.write("opt/tomcat/lib/catalina.jar", "x");
  plain.write("opt/tomcat/conf/server.xml", "<Server/>");
  auto plain_root = HostRoot::open(plain.path()).value();
  EXPECT_FALSE(find_tomee_markers(plain_root, "/opt/tomcat", "/opt/tomcat", {}));
}

TEST(TomeeInstall, VersionFromFixtureJars)
{
  struct Case {
    const char* host;
    const char* home;
    const char* version;
    const char* source;
    const char* flavor;
  };
  const Case cases[] = {
      {"tomee-8.0-plus",
       "/opt/tomee",
       "8.0.16",
       "lib/tomee-catalina-8.0.16.jar (META-INF/MANIFEST.MF)",
       "plus"},
      {"tomee-9.1-webprofile",
       "/usr/share/tomee",
       "9.1.3",
       "lib/tomee-catalina-9.1.3.jar (META-INF/MANIFEST.MF)",
       "webprofile"},
      {"tomee-10.0-microprofile",
       "/opt/apache-tomee-microprofile-10.0.0",
       "10.0.0",
       "lib/openejb-core.jar (openejb-version.properties)",
       "microprofile"},
      {"tomee-10.0-plume",
       "/srv/plume/tomee",
       "10.0.0",
       "lib/tomee-catalina-10.0.0.jar (META-INF/MANIFEST.MF)",
       "plume"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.host);
    auto root = HostRoot::open(test::fixture(std::string("hosts/") + c.host)).value();
    auto install = find_tomee_markers(root, c.home, c.home, {});
    ASSERT_TRUE(install);
    read_tomee_version(root, *install);
    EXPECT_EQ(install->version, c.version);
    EXPECT_EQ(install->version_source, c.source);
    EXPECT_EQ(install->flavor, c.flavor);
    EXPECT_TRUE(install->warnings.empty());
  }
}

TEST(TomeeInstall, UnreadableJarIsAWarningAndTheNameStillTells)
{
  test::TempDir dir;
  dir.write("t/lib/tomee-catalina-9.1.3.jar", "not a zip archive");
  auto root = HostRoot::open(dir.path()).value();
  auto install = find_tomee_markers(root, "/t", "/t", {});
  ASSERT_TRUE(install);
  read_tomee_version(root, *install);
  EXPECT_EQ(install->version, "9.1.3");
  EXPECT_EQ(install->version_source, "lib/tomee-catalina-9.1.3.jar (file name)");
  ASSERT_EQ(install->warnings.size(), 1u);
  EXPECT_NE(install->warnings[0].find("/t/lib/tomee-catalina-9.1.3.jar"), std::string::npos);
}
