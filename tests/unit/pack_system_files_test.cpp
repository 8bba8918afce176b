#include <decant/pack/library_rules.hpp>
#include <decant/pack/system_files.hpp>

#include <gtest/gtest.h>

namespace decant {
namespace {

TEST(ImagePasswd, KeepsRootAndTheAppUserOnly)
{
  auto source = parse_passwd("root:x:0:0:root:/root:/bin/bash\n"
                             "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                             "tomcat:x:995:995:Apache Tomcat:/var/lib/tomcat:/usr/sbin/nologin\n");
  EXPECT_EQ(image_passwd(source, "tomcat", 995, 995),
            "root:x:0:0:root:/root:/bin/bash\ntomcat:x:995:995:Apache "
            "Tomcat:/var/lib/tomcat:/usr/sbin/nologin\n");
  // A user the source does not name (a numeric uid) gets a line so lookups by uid work.
  EXPECT_EQ(image_passwd(source, "", 1234, 50),
            "root:x:0:0:root:/root:/bin/bash\napp:x:1234:50:app:/nonexistent:/usr/sbin/nologin\n");
  EXPECT_EQ(image_passwd(source, "root", 0, 0), "root:x:0:0:root:/root:/bin/bash\n");
}

TEST(ImageGroup, KeepsTheUsersGroupsWithMembersReduced)
{
  auto source = parse_group("root:x:0:\nadm:x:4:syslog,tomcat\ntomcat:x:995:\nusers:x:100:alice\n");
  EXPECT_EQ(image_group(source, 995, {"adm"}, {"root", "tomcat"}),
            "root:x:0:\nadm:x:4:tomcat\ntomcat:x:995:\n");
  EXPECT_EQ(image_group(source, 777, {}, {"root"}), "root:x:0:\napp777:x:777:\n");
}

TEST(Locale, NormalizesLikeGlibc)
{
  EXPECT_EQ(normalize_locale_name("en_US.UTF-8"), "en_US.utf8");
  EXPECT_EQ(normalize_locale_name("de_DE.ISO-8859-1@euro"), "de_DE.iso88591@euro");
  EXPECT_EQ(normalize_locale_name("C"), "C");
  EXPECT_EQ(process_locale({{"LANG", "en_US.UTF-8"}, {"LC_ALL", "de_DE.UTF-8"}}), "de_DE.UTF-8");
  EXPECT_EQ(process_locale({{"LANG", "en_US.UTF-8"}, {"LC_TIME", "fr_FR.UTF-8"}}), "fr_FR.UTF-8");
  EXPECT_EQ(process_locale({{"LANG", "en_US.UTF-8"}}), "en_US.UTF-8");
  EXPECT_EQ(process_locale({}), "");
}

TEST(Timezone, RefusesNamesThatLeaveZoneinfo)
{
  EXPECT_TRUE(valid_timezone_name("Europe/Berlin"));
  EXPECT_TRUE(valid_timezone_name("Etc/GMT+5"));
  EXPECT_FALSE(valid_timezone_name("../../etc/shadow"));
  EXPECT_FALSE(valid_timezone_name("/etc/localtime"));
  EXPECT_FALSE(valid_timezone_name(""));
}

TEST(LazyLibraries, RoundTripThroughRuntimeDetails)
{
  Analysis analysis;
  add_lazy_libraries(analysis, jvm_headless_lazy_libraries("/opt/jdk"));
  add_lazy_library(analysis, "/opt/jdk/lib/libawt.so", "again"); // no duplicate
  auto libraries = lazy_libraries(analysis);
  ASSERT_TRUE(libraries);
  EXPECT_EQ(libraries->size(), jvm_headless_lazy_libraries("/opt/jdk").size());
  EXPECT_EQ((*libraries)[0].path, "/opt/jdk/lib/libawt.so");
  EXPECT_FALSE((*libraries)[0].reason.empty());

  analysis.runtime.details["lazyLibraries"] = nlohmann::json::array({{{"path", "/a/../etc"}}});
  auto bad = lazy_libraries(analysis);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("runtime.lazyLibraries[0].path"), std::string::npos);
  analysis.runtime.details["lazyLibraries"] = "libssl";
  EXPECT_FALSE(lazy_libraries(analysis));
}

TEST(JvmRules, HeadlessAndUnusedExclusionsCarryReasons)
{
  auto headless = jvm_headless_exclusions("/opt/jdk");
  ASSERT_FALSE(headless.empty());
  EXPECT_EQ(headless[0].path, "/opt/jdk/lib/libawt_xawt.so");
  auto small = jvm_unused_file_exclusions("/opt/jdk", false);
  auto large = jvm_unused_file_exclusions("/opt/jdk", true);
  EXPECT_EQ(small.size(),
            large.size() + 1); // the no-compressed-oops CDS archive stays for big heaps
  for (const auto& rule : small) {
    EXPECT_FALSE(rule.reason.empty()) << rule.path;
  }
}

TEST(JvmRules, UsageComesFromTheJvmOptionsOnly)
{
  auto plain = jvm_usage({"/opt/jdk/bin/java", "-Xmx2g", "-cp", "-Xdebug", "Main", "-Xdebug"});
  EXPECT_FALSE(plain.large_heap);
  EXPECT_FALSE(plain.debugger); // "-Xdebug" as the class path value or an application argument
  auto big = jvm_usage({"java", "-Xms1g", "-Xmx48g", "-jar", "app.jar"});
  EXPECT_TRUE(big.large_heap);
  EXPECT_TRUE(jvm_usage({"java", "-XX:MaxHeapSize=32768m", "Main"}).large_heap);
  EXPECT_TRUE(jvm_usage({"java", "-XX:-UseCompressedOops", "Main"}).large_heap);
  EXPECT_FALSE(jvm_usage({"java", "-Xmx31g", "Main"}).large_heap);
  EXPECT_TRUE(jvm_usage({"java", "-Xmx99999999999999999999999g", "Main"}).large_heap); // saturates
  EXPECT_FALSE(jvm_usage({"java", "-Xmxlots", "Main"}).large_heap);
  auto debug =
      jvm_usage({"java", "-agentlib:jdwp=transport=dt_socket,server=y,address=*:8000", "Main"});
  EXPECT_TRUE(debug.debugger);
  EXPECT_TRUE(jvm_usage({"java", "-Xrunjdwp:transport=dt_socket", "Main"}).debugger);
}

TEST(JvmRules, TheDebuggerAgentIsLeftOutOnlyWithoutADebuggerOption)
{
  auto has = [](const std::vector<Exclusion>& rules, const std::string& path) {
    for (const auto& rule : rules) {
      if (rule.path == path) {
        EXPECT_FALSE(rule.reason.empty()) << path;
        return true;
      }
    }
    return false;
  };
  auto plain = jvm_unused_file_exclusions("/opt/jdk", JvmUsage{});
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
  JvmUsage debugging;
  debugging.debugger = true;
  EXPECT_FALSE(has(jvm_unused_file_exclusions("/opt/jdk", debugging), "/opt/jdk/lib/libjdwp.so"));
  // The two-argument form (what analyzers called before) never drops the debugger agent.
  EXPECT_FALSE(has(jvm_unused_file_exclusions("/opt/jdk", false), "/opt/jdk/lib/libjdwp.so"));
}

} // namespace
} // namespace decant
