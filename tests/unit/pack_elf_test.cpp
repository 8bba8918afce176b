#include "test_support.hpp"

#include <decant/pack/elf.hpp>
#include <decant/pack/library_search.hpp>
#include <decant/proc/host_root.hpp>
#include <decant/util/fs.hpp>

#include <gtest/gtest.h>

#include <elf.h>

#include <algorithm>
#include <filesystem>

namespace decant {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

std::string
self_image()
{
  return read_file("/proc/self/exe").value();
}

TEST(ParseElf, ReadsInterpreterAndNeededOfThisTestBinary)
{
  auto info = parse_elf(self_image());
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_TRUE(info->is_64);
  EXPECT_FALSE(info->interpreter.empty());
  EXPECT_NE(std::find(info->needed.begin(), info->needed.end(), "libc.so.6"), info->needed.end());
}

TEST(ParseElf, RejectsTruncatedAndForeignFiles)
{
  EXPECT_FALSE(parse_elf("#!/bin/sh\necho hi\n"));
  std::string image = self_image();
  auto truncated = parse_elf(image.substr(0, 100));
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().code, ErrorCode::invalid_input);
  EXPECT_TRUE(is_elf(image));
  EXPECT_FALSE(is_elf("PK\x03\x04"));
}

TEST(ExpandOrigin, ReplacesBothSpellings)
{
  EXPECT_EQ(expand_origin("$ORIGIN/../lib", "/opt/app/bin"), "/opt/app/bin/../lib");
  EXPECT_EQ(expand_origin("${ORIGIN}/lib:$ORIGIN", "/x"), "/x/lib:/x");
  EXPECT_EQ(expand_origin("/usr/$LIB", "/x"), "/usr/$LIB");
}

TEST(LdSoConf, FollowsIncludesAndIgnoresCyclesAndComments)
{
  TempDir tree;
  tree.write("etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n/opt/first # comment\n");
  tree.write("etc/ld.so.conf.d/a.conf",
             "# multiarch\n/usr/local/lib:/opt/a, /opt/b\nhwcap 0 nosegneg\n");
  tree.write("etc/ld.so.conf.d/b.conf", "include ../ld.so.conf\n/opt/c\n");
  auto root = HostRoot::open(tree.path()).value();
  auto dirs = ld_so_conf_directories(root);
  std::vector<std::string> expected{"/usr/local/lib", "/opt/a", "/opt/b", "/opt/c", "/opt/first"};
  EXPECT_EQ(dirs, expected);
}

// A fake host tree laid out like Debian 12 (merged /usr, multiarch), with real ELF files copied
// from this machine.
class LibrarySearchTest : public ::testing::Test
{
protected:
  void
  SetUp() override
  {
    auto info = parse_elf(self_image()).value();
    if (info.machine != EM_X86_64 || !fs::exists("/lib/x86_64-linux-gnu/libc.so.6")) {
      GTEST_SKIP() << "needs an x86-64 Debian host (libc in /lib/x86_64-linux-gnu)";
    }
    libc_real = fs::canonical("/lib/x86_64-linux-gnu/libc.so.6");
    fs::create_directories(tree.path() + "/usr/lib/x86_64-linux-gnu");
    fs::create_directories(tree.path() + "/opt/app/bin");
    fs::create_directories(tree.path() + "/opt/app/lib");
    fs::copy_file(libc_real, tree.path() + "/usr/lib/x86_64-linux-gnu/libc.so.6");
    fs::copy_file("/bin/true", tree.path() + "/opt/app/bin/app");
    // Any real shared object of the right machine serves as "libfoo".
    fs::copy_file(libc_real, tree.path() + "/opt/app/lib/libfoo.so.1");
    tree.symlink("usr/lib", "lib");
  }

  TempDir tree;
  fs::path libc_real;
};

TEST_F(LibrarySearchTest, FindsThroughRunpathWithOriginThenDefaultDirectories)
{
  auto root = HostRoot::open(tree.path()).value();
  LibrarySearch search(root, {});
  ElfInfo loader{true, EM_X86_64, "", {}, {}, {"$ORIGIN/../lib"}};
  EXPECT_EQ(search.find("libfoo.so.1", "/opt/app/bin/app", loader), "/opt/app/lib/libfoo.so.1");
  EXPECT_EQ(search.find("libc.so.6", "/opt/app/bin/app", loader),
            "/lib/x86_64-linux-gnu/libc.so.6");
  EXPECT_EQ(search.find("libnothere.so", "/opt/app/bin/app", loader), "");
  // A library of another machine is never a candidate (an i386 program never loads it).
  ElfInfo other{false, EM_386, "", {}, {}, {"$ORIGIN/../lib"}};
  EXPECT_EQ(search.find("libfoo.so.1", "/opt/app/bin/app", other), "");
}

TEST_F(LibrarySearchTest, RpathIsIgnoredWhenRunpathIsSet)
{
  fs::create_directories(tree.path() + "/opt/rpath");
  fs::copy_file(libc_real, tree.path() + "/opt/rpath/libfoo.so.1");
  auto root = HostRoot::open(tree.path()).value();
  LibrarySearch search(root, {});
  ElfInfo rpath_only{true, EM_X86_64, "", {}, {"/opt/rpath"}, {}};
  EXPECT_EQ(search.find("libfoo.so.1", "/opt/app/bin/app", rpath_only), "/opt/rpath/libfoo.so.1");
  ElfInfo both{true, EM_X86_64, "", {}, {"/opt/rpath"}, {"$ORIGIN/../lib"}};
  EXPECT_EQ(search.find("libfoo.so.1", "/opt/app/bin/app", both), "/opt/app/lib/libfoo.so.1");
}

TEST_F(LibrarySearchTest, LdLibraryPathComesBeforeRunpath)
{
  fs::create_directories(tree.path() + "/opt/override");
  fs::copy_file(libc_real, tree.path() + "/opt/override/libfoo.so.1");
  auto root = HostRoot::open(tree.path()).value();
  LibrarySearch search(root, {"/opt/override"});
  ElfInfo loader{true, EM_X86_64, "", {}, {}, {"$ORIGIN/../lib"}};
  EXPECT_EQ(search.find("libfoo.so.1", "/opt/app/bin/app", loader), "/opt/override/libfoo.so.1");
}

TEST_F(LibrarySearchTest, ClosureReportsWhatIsMissingAndWhoNeedsIt)
{
  auto root = HostRoot::open(tree.path()).value();
  LibrarySearch search(root, {});
  auto closure = search.closure({"/opt/app/bin/app"});
  bool has_libc = false;
  for (const auto& library : closure.libraries) {
    if (library.path == "/lib/x86_64-linux-gnu/libc.so.6") {
      has_libc = true;
      EXPECT_EQ(library.needed_by, "/opt/app/bin/app");
    }
  }
  EXPECT_TRUE(has_libc);
  // The interpreter (/lib64/ld-linux-x86-64.so.2) is not in this tree.
  ASSERT_FALSE(closure.missing.empty());
  EXPECT_NE(closure.missing[0].find("needed by /opt/app/bin/app"), std::string::npos);
}

} // namespace
} // namespace decant
