#include <decant/util/strings.hpp>

#include <gtest/gtest.h>

using namespace decant;

TEST(Strings, DirNameAsPosixDirname)
{
  EXPECT_EQ(dir_name("/opt/app/bin"), "/opt/app");
  EXPECT_EQ(dir_name("/x"), "/");
  EXPECT_EQ(dir_name("/"), "/");
  EXPECT_EQ(dir_name("x"), ".");
  EXPECT_EQ(dir_name(""), ".");
  EXPECT_EQ(dir_name("a/b"), "a");
  EXPECT_EQ(dir_name("/opt/app/"), "/opt");
  EXPECT_EQ(dir_name("/opt//app"), "/opt");
  EXPECT_EQ(dir_name("//x"), "/");
}

TEST(Strings, BaseNameAsPosixBasename)
{
  EXPECT_EQ(base_name("/usr/bin/java"), "java");
  EXPECT_EQ(base_name("java"), "java");
  EXPECT_EQ(base_name("/opt/app/"), "app");
  EXPECT_EQ(base_name("/"), "/");
  EXPECT_EQ(base_name(""), "");
}

TEST(Strings, PathWithinIsTheDirectoryOrBelowIt)
{
  EXPECT_TRUE(path_within("/opt/app", "/opt/app"));
  EXPECT_TRUE(path_within("/opt/app/lib/a.jar", "/opt/app"));
  EXPECT_FALSE(path_within("/opt/app2", "/opt/app"));
  EXPECT_FALSE(path_within("/opt", "/opt/app"));
  EXPECT_TRUE(path_within("/anything", "/"));
  EXPECT_TRUE(path_within("/", "/"));
  EXPECT_FALSE(path_within("relative", "/"));
}

TEST(Strings, IequalsIsAsciiCaseInsensitive)
{
  EXPECT_TRUE(iequals("Microsoft.NETCore.App", "microsoft.netcore.app"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("true", "tru"));
  EXPECT_FALSE(iequals("\xc3\xa9", "\xc3\x89")); // not Unicode folding: bytes beyond ASCII
}
