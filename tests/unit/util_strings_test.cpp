// lib/decant/util/strings.cpp: the small helpers shared everywhere, by table.
#include <decant/util/strings.hpp>

#include <gtest/gtest.h>

using namespace decant;

TEST(UtilStrings, PathWithin)
{
  struct Case {
    const char* path;
    const char* dir;
    bool within;
  };
  const Case cases[] = {
      {"/opt/app", "/opt/app", true},
      {"/opt/app/conf/x", "/opt/app", true},
      {"/opt/app2", "/opt/app", false},
      {"/opt", "/opt/app", false},
      {"/anything", "/", true},
      {"/", "/", true},
      {"relative", "/", false},
      {"/opt/application", "/opt/app", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(path_within(c.path, c.dir), c.within) << c.path << " in " << c.dir;
  }
}

TEST(UtilStrings, LineOfOffset)
{
  EXPECT_EQ(line_of_offset("a\nb\nc", 0), 1);
  EXPECT_EQ(line_of_offset("a\nb\nc", 2), 2);
  EXPECT_EQ(line_of_offset("a\nb\nc", 4), 3);
  EXPECT_EQ(line_of_offset("a\nb\nc", 100), 3);
}

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

TEST(Strings, IequalsIsAsciiCaseInsensitive)
{
  EXPECT_TRUE(iequals("Microsoft.NETCore.App", "microsoft.netcore.app"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("true", "tru"));
  EXPECT_FALSE(iequals("\xc3\xa9", "\xc3\x89")); // not Unicode folding: bytes beyond ASCII
}
