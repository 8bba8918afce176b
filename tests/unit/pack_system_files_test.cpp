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
  const std::vector<LazyLibrary> awt = {{"/opt/jdk/lib/libawt.so", "AWT core"},
                                        {"/opt/jdk/lib/libawt_headless.so", "headless toolkit"}};
  add_lazy_libraries(analysis, awt);
  add_lazy_library(analysis, "/opt/jdk/lib/libawt.so", "again"); // no duplicate
  auto libraries = lazy_libraries(analysis);
  ASSERT_TRUE(libraries);
  EXPECT_EQ(libraries->size(), awt.size());
  EXPECT_EQ((*libraries)[0].path, "/opt/jdk/lib/libawt.so");
  EXPECT_FALSE((*libraries)[0].reason.empty());

  analysis.runtime.details["lazyLibraries"] = nlohmann::json::array({{{"path", "/a/../etc"}}});
  auto bad = lazy_libraries(analysis);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("runtime.lazyLibraries[0].path"), std::string::npos);
  analysis.runtime.details["lazyLibraries"] = "libssl";
  EXPECT_FALSE(lazy_libraries(analysis));
}

} // namespace
} // namespace decant
