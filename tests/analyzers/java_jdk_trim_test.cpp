// The JVM steps of analyzers/java/jdk_trim.cpp on a fake host: JAVA_HOME with its rules, the
// manifest Class-Path closure, and the jlink plan with what the caller keeps.

#include "java/jdk_trim.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using namespace decant;
using namespace decant::java;
using decant::test::TempDir;
using decant::test::zip_bytes;

namespace {

const std::string k_jh = "/opt/jdk";

bool
excluded(const Analysis& a, const std::string& path)
{
  return std::any_of(
      a.exclude.begin(), a.exclude.end(), [&](const Exclusion& x) { return x.path == path; });
}

} // namespace

TEST(JdkTrim, RuntimeClassPathAndPlanWithReasons)
{
  TempDir dir;
  dir.write("host" + k_jh + "/release",
            "JAVA_VERSION=\"17.0.15\"\nMODULES=\"java.base jdk.compiler jdk.jshell\"\n");
  dir.write("host" + k_jh + "/bin/java", "elf");
  dir.write("host" + k_jh + "/bin/jlink", "elf");
  dir.write("host" + k_jh + "/jmods/java.base.jmod", "jmod");
  dir.write(
      "host/srv/lib/app.jar",
      zip_bytes({{"META-INF/MANIFEST.MF",
                  "Manifest-Version: 1.0\r\nClass-Path: ../ext/dep.jar missing.jar\r\n\r\n"}}));
  dir.write("host/srv/ext/dep.jar",
            zip_bytes({{"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n"}}));
  auto root = *HostRoot::open(dir.path() + "/host");
  ProcessInfo process;
  process.pid = 42;
  process.environ = {{"JAVA_TOOL_OPTIONS", "-agentlib:jdwp=transport=dt_socket"}};
  auto command = parse_jvm_command({k_jh + "/bin/java", "-Djava.awt.headless=true", "Main"});
  ASSERT_TRUE(command);
  Analysis a;
  JdkTrim jdk(a, root, process, *command, k_jh);
  EXPECT_TRUE(jdk.options().debugger); // from JAVA_TOOL_OPTIONS, as the JVM takes it
  ASSERT_TRUE(jdk.add_runtime());
  EXPECT_TRUE(excluded(a, k_jh + "/jmods"));
  EXPECT_TRUE(excluded(a, k_jh + "/lib/libawt_xawt.so")); // headless
  EXPECT_FALSE(excluded(a, k_jh + "/lib/libjdwp.so"));    // a debugger is asked for

  auto jars = jdk.add_class_path_jars({"/srv/lib"});
  EXPECT_EQ(jars, (std::vector<std::string>{"/srv/lib/app.jar", "/srv/ext/dep.jar"}));
  ASSERT_TRUE(a.covers("/srv/ext/dep.jar"));

  JlinkNeeds needs;
  needs.keep["jdk.compiler"] = "the JSP compiler uses javac";
  jdk.plan_jlink(needs);
  ASSERT_TRUE(a.runtime.details.contains("jlink"));
  const auto& remove = a.runtime.details["jlink"]["remove"];
  ASSERT_EQ(remove.size(), 1u);
  EXPECT_EQ(remove[0]["module"], "jdk.jshell");
  EXPECT_FALSE(remove[0]["reason"].get<std::string>().empty());

  // Without the runtime: a warning, and the later steps do nothing.
  Analysis none;
  JdkTrim missing(none, root, process, *command, "/opt/nothing");
  EXPECT_FALSE(missing.add_runtime());
  missing.plan_jlink({});
  missing.decide_fonts({});
  EXPECT_FALSE(none.runtime.details.contains("jlink"));
  ASSERT_EQ(none.warnings.size(), 1u);
  EXPECT_EQ(none.warnings[0].code, "java-home-missing");
}
