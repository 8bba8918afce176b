// The JDK rules of analyzers/java/jdk.cpp: the release file, the files a server never reads,
// the headless and font rules, and the jlink plan of the tool modules.

#include "java/jdk.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using namespace decant;
using namespace decant::java;
using decant::test::TempDir;

namespace {

const std::string k_jh = "/usr/lib/jvm/java-17-openjdk-amd64";

JvmCommand
options_of(std::vector<std::string> argv)
{
  argv.insert(argv.begin(), "java");
  argv.push_back("Main");
  auto command = parse_jvm_command(argv);
  EXPECT_TRUE(command);
  return command ? *command : JvmCommand{};
}

bool
has(const std::vector<Exclusion>& rules, const std::string& path)
{
  for (const auto& rule : rules) {
    if (rule.path == path) {
      EXPECT_FALSE(rule.reason.empty()) << path;
      return true;
    }
  }
  return false;
}

// A fake host with a JDK whose release lists `modules`.
HostRoot
jdk_host(const TempDir& dir, const std::string& modules, bool jmods = true, bool jlink = true)
{
  dir.write("host" + k_jh + "/release", "JAVA_VERSION=\"17.0.15\"\nMODULES=\"" + modules + "\"\n");
  dir.write("host" + k_jh + "/bin/java", "elf");
  if (jmods) {
    dir.write("host" + k_jh + "/jmods/java.base.jmod", "jmod");
  }
  if (jlink) {
    dir.write("host" + k_jh + "/bin/jlink", "elf");
  }
  return *HostRoot::open(dir.path() + "/host");
}

} // namespace

TEST(JavaRelease, VersionAndModulesAlsoOfAJdk8Jre)
{
  TempDir dir;
  auto root = jdk_host(dir, "java.base java.logging jdk.compiler");
  auto release = read_java_release(root, k_jh);
  EXPECT_TRUE(release.found);
  EXPECT_EQ(release.version, "17.0.15");
  EXPECT_EQ(release.modules,
            (std::vector<std::string>{"java.base", "java.logging", "jdk.compiler"}));
  EXPECT_EQ(java_version(root, k_jh), "17.0.15");
  dir.write("host/usr/lib/jvm/java-8/release", "JAVA_VERSION=\"1.8.0_412\"\n");
  dir.write("host/usr/lib/jvm/java-8/jre/bin/java", "elf");
  auto jre = read_java_release(root, "/usr/lib/jvm/java-8/jre");
  EXPECT_EQ(jre.version, "1.8.0_412");
  EXPECT_TRUE(jre.modules.empty());
  EXPECT_FALSE(read_java_release(root, "/nowhere").found);
}

TEST(JdkRules, HeadlessAndUnusedExclusionsCarryReasons)
{
  TempDir dir;
  auto root = jdk_host(dir, "java.base");
  auto headless = jvm_headless_exclusions("/opt/jdk");
  ASSERT_FALSE(headless.empty());
  EXPECT_EQ(headless[0].path, "/opt/jdk/lib/libawt_xawt.so");
  auto small = unused_jdk_files(root, "/opt/jdk", options_of({}));
  auto large = unused_jdk_files(root, "/opt/jdk", options_of({"-Xmx48g"}));
  EXPECT_EQ(small.size(),
            large.size() + 1); // the no-compressed-oops CDS archive stays for big heaps
  EXPECT_TRUE(has(small, "/opt/jdk/lib/server/classes_nocoops.jsa"));
  EXPECT_FALSE(has(large, "/opt/jdk/lib/server/classes_nocoops.jsa"));
  // JDK 8's top-level src.zip only where it is.
  EXPECT_FALSE(has(small, "/opt/jdk/src.zip"));
  dir.write("host/opt/jdk/src.zip", "zip");
  EXPECT_TRUE(has(unused_jdk_files(root, "/opt/jdk", options_of({})), "/opt/jdk/src.zip"));
  for (const auto& font : jvm_font_lazy_libraries("/opt/jdk", "font rendering: X")) {
    EXPECT_NE(font.reason.find("font rendering: X"), std::string::npos) << font.path;
  }
  EXPECT_EQ(jvm_font_exclusion("/opt/jdk", "nothing draws").path, "/opt/jdk/lib/libfontmanager.so");
}

TEST(JdkRules, TheDebuggerAgentIsLeftOutOnlyWithoutADebuggerOption)
{
  TempDir dir;
  auto root = jdk_host(dir, "java.base");
  auto plain = unused_jdk_files(root, "/opt/jdk", options_of({}));
  EXPECT_TRUE(has(plain, "/opt/jdk/lib/libjdwp.so"));
  EXPECT_TRUE(has(plain, "/opt/jdk/lib/libdt_socket.so"));
  EXPECT_TRUE(has(plain, "/opt/jdk/bin/javac"));
  EXPECT_TRUE(has(plain, "/opt/jdk/lib/jrt-fs.jar"));
  // The JRE's launchers and the diagnostics an operator runs in the container stay, and so
  // does everything a JVM maps on start-up.
  for (const char* kept : {"/opt/jdk/bin/java",
                           "/opt/jdk/bin/keytool",
                           "/opt/jdk/bin/jcmd",
                           "/opt/jdk/bin/jstack",
                           "/opt/jdk/lib/server/classes.jsa",
                           "/opt/jdk/lib/libjsvml.so",
                           "/opt/jdk/lib/modules"}) {
    EXPECT_FALSE(has(plain, kept)) << kept;
  }
  auto debugging = unused_jdk_files(root, "/opt/jdk", options_of({"-agentlib:jdwp=server=y"}));
  EXPECT_FALSE(has(debugging, "/opt/jdk/lib/libjdwp.so"));
}

TEST(JdkRules, AddJavaHomeExcludesEachPathOnce)
{
  TempDir dir;
  auto root = jdk_host(dir, "java.base");
  Analysis analysis;
  analysis.exclude.push_back({k_jh + "/jmods", "by hand"});
  add_java_home(analysis, root, k_jh, options_of({}));
  ASSERT_FALSE(analysis.files.empty());
  EXPECT_EQ(analysis.files[0].path, k_jh);
  EXPECT_EQ(std::count_if(analysis.exclude.begin(),
                          analysis.exclude.end(),
                          [](const Exclusion& x) { return x.path == k_jh + "/jmods"; }),
            1);
  EXPECT_EQ(analysis.exclude[0].reason, "by hand");
}

TEST(JlinkPlan, RemovesToolModulesTheServerDoesNotNeed)
{
  TempDir dir;
  auto root = jdk_host(dir,
                       "java.base java.logging jdk.compiler jdk.jshell jdk.jdwp.agent "
                       "jdk.internal.vm.ci jdk.internal.vm.compiler jdk.incubator.vector jdk.jfr");
  std::string why_not;
  auto plan = runtime_jlink_plan(root, k_jh, JlinkNeeds{}, why_not);
  ASSERT_TRUE(plan) << why_not;
  EXPECT_EQ(plan->java_home, k_jh);
  auto removed = plan->removed_modules();
  for (const char* module : {"jdk.compiler",
                             "jdk.jshell",
                             "jdk.jdwp.agent",
                             "jdk.internal.vm.ci",
                             "jdk.internal.vm.compiler",
                             "jdk.incubator.vector"}) {
    EXPECT_NE(std::find(removed.begin(), removed.end(), module), removed.end()) << module;
  }
  EXPECT_EQ(std::find(removed.begin(), removed.end(), "java.base"), removed.end());
  EXPECT_EQ(std::find(removed.begin(), removed.end(), "jdk.jfr"),
            removed.end()); // a runtime module
  for (const auto& removal : plan->remove) {
    EXPECT_FALSE(removal.reason.empty()) << removal.module;
  }

  // What the command line or the configuration uses stays.
  auto needs = jlink_needs(
      options_of({"-Xdebug", "-XX:+EnableJVMCI", "--add-modules=jdk.incubator.vector"}));
  EXPECT_FALSE(needs.keep["jdk.jdwp.agent"].empty());
  needs.keep["jdk.compiler"] = "conf/web.xml sets Jasper's compiler";
  auto kept = runtime_jlink_plan(root, k_jh, needs, why_not);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->removed_modules(), std::vector<std::string>{"jdk.jshell"});
}

TEST(JlinkPlan, NoPlanWithoutJmodsOrJlinkOrAnythingToRemove)
{
  std::string why_not;
  {
    TempDir dir;
    auto root = jdk_host(dir, "java.base jdk.compiler", false);
    EXPECT_FALSE(runtime_jlink_plan(root, k_jh, {}, why_not));
    EXPECT_NE(why_not.find("jmods"), std::string::npos) << why_not;
  }
  {
    TempDir dir;
    auto root = jdk_host(dir, "java.base jdk.compiler", true, false);
    EXPECT_FALSE(runtime_jlink_plan(root, k_jh, {}, why_not));
    EXPECT_NE(why_not.find("bin/jlink"), std::string::npos) << why_not;
  }
  {
    TempDir dir;
    auto root = jdk_host(dir, "java.base java.logging");
    EXPECT_FALSE(runtime_jlink_plan(root, k_jh, {}, why_not));
    EXPECT_NE(why_not.find("no module"), std::string::npos) << why_not;
  }
}

TEST(JlinkPlan, EclipseCompilerJarsByName)
{
  EXPECT_TRUE(is_eclipse_compiler_jar("/opt/tomcat/lib/ecj-4.20.jar"));
  EXPECT_TRUE(is_eclipse_compiler_jar("/usr/share/java/eclipse-jdt-core.jar"));
  EXPECT_TRUE(is_eclipse_compiler_jar("org.eclipse.jdt.core.compiler.batch-3.33.0.jar"));
  EXPECT_FALSE(is_eclipse_compiler_jar("/opt/tomcat/lib/jasper.jar"));
}
