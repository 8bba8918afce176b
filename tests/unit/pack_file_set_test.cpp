#include "test_support.hpp"

#include <decant/pack/file_set.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <filesystem>

namespace decant {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

// A small host tree with every kind of entry the packer must handle.
class FileSetTest : public ::testing::Test
{
protected:
  void
  SetUp() override
  {
    tree.write("etc/passwd",
               "root:x:0:0:root:/root:/bin/bash\napp:x:1234:1234::/opt/app:/bin/false\n");
    tree.write("etc/group", "root:x:0:\napp:x:1234:\n");
    program = tree.write("opt/app/bin/run", "#!/opt/app/bin/sh\nexit 0\n");
    ::chmod(program.c_str(), 04755); // setuid survives
    tree.write("opt/app/bin/sh", "not a real shell");
    tree.write("opt/app/conf/app.properties", "a=1\n");
    tree.write("opt/app/conf/debug.log", "noise\n");
    tree.write("opt/app/cache/x", "cached\n");
    tree.write("opt/app/private/key", "k\n");
    ::chmod((tree.path() + "/opt/app/private").c_str(), 0700);
    ::chown((tree.path() + "/opt/app/private").c_str(), 1234, 1234);
    tree.write("opt/app/data/one", "same inode\n");
    ::link((tree.path() + "/opt/app/data/one").c_str(),
           (tree.path() + "/opt/app/data/two").c_str());
    tree.write("srv/releases/v1/index.html", "hello\n");
    tree.symlink("/srv/releases/v1", "opt/app/current");
    tree.symlink("/", "opt/app/rootlink");
    tree.symlink("../../../../../../srv/releases", "opt/app/escape"); // clamps at the root
    tree.write("opt/app/logs/old.txt", "old log\n");
    ::mkfifo((tree.path() + "/opt/app/conf/pipe").c_str(), 0644);

    analysis.application_id = "test-1";
    analysis.application_type = "machine";
    analysis.process.uid = 1234;
    analysis.process.gid = 1234;
    analysis.process.user = "app";
    analysis.start.command = {"/opt/app/bin/run"};
    analysis.start.working_dir = "/opt/app";
    analysis.start.user = "app";
    analysis.files.push_back({"/opt/app", "the app", FileRole::app, false, false});
    analysis.files.push_back({"/opt/app/conf", "config", FileRole::config, false, false});
    analysis.exclude.push_back({"*.log", "logs"});
    analysis.exclude.push_back({"/opt/app/cache", "cache"});
    analysis.volumes.push_back({"/opt/app/logs", VolumeRole::log, 1234, 4, 02750, "logs"});
  }

  Result<FileSet>
  expand(ExpandOptions options = {})
  {
    auto root = HostRoot::open(tree.path()).value();
    return expand_file_set(analysis, root, options);
  }

  TempDir tree;
  std::string program;
  Analysis analysis;
};

TEST_F(FileSetTest, WalksDirectoriesAppliesExcludesAndKeepsMetadata)
{
  auto set = expand();
  ASSERT_TRUE(set) << set.error().message;
  auto& entries = set->entries;
  ASSERT_TRUE(entries.count("/opt/app/conf/app.properties"));
  EXPECT_EQ(entries.at("/opt/app/conf/app.properties").role, FileRole::config);
  EXPECT_EQ(entries.at("/opt/app/bin/sh").role, FileRole::app);
  EXPECT_FALSE(entries.count("/opt/app/conf/debug.log"));
  EXPECT_FALSE(entries.count("/opt/app/cache"));
  EXPECT_FALSE(entries.count("/opt/app/cache/x"));
  EXPECT_EQ(entries.at("/opt/app/bin/run").mode, 04755u);
  EXPECT_EQ(entries.at("/opt/app/private").mode, 0700u);
  EXPECT_EQ(entries.at("/opt/app/private").uid, 1234u);
  EXPECT_EQ(entries.at("/opt/app/data/one").inode, entries.at("/opt/app/data/two").inode);
  EXPECT_EQ(entries.at("/opt/app/data/one").links, 2u);
}

TEST_F(FileSetTest, SymlinksStayLinksAndTheirTargetsComeAlong)
{
  auto set = expand();
  ASSERT_TRUE(set) << set.error().message;
  auto& entries = set->entries;
  EXPECT_EQ(entries.at("/opt/app/current").type, EntryType::symlink);
  EXPECT_EQ(entries.at("/opt/app/current").link_target, "/srv/releases/v1");
  EXPECT_TRUE(entries.count("/srv/releases/v1/index.html"));
  // A link to "/" is kept but never walked: the image would be the whole host.
  EXPECT_EQ(entries.at("/opt/app/rootlink").type, EntryType::symlink);
  EXPECT_FALSE(entries.count("/etc/group") && entries.at("/etc/group").generated == false);
  // "../../.." beyond the root clamps at it, like the kernel's RESOLVE_IN_ROOT.
  EXPECT_EQ(entries.at("/opt/app/escape").type, EntryType::symlink);
  EXPECT_TRUE(entries.count("/srv/releases/v1"));
  // The shebang's interpreter of the start command.
  EXPECT_TRUE(entries.count("/opt/app/bin/sh"));
}

TEST_F(FileSetTest, VolumesAreEmptyDirectoriesWithTheirOwner)
{
  auto set = expand();
  ASSERT_TRUE(set) << set.error().message;
  const auto& logs = set->entries.at("/opt/app/logs");
  EXPECT_EQ(logs.type, EntryType::directory);
  EXPECT_EQ(logs.mode, 02750u);
  EXPECT_EQ(logs.gid, 4u);
  EXPECT_EQ(logs.role, FileRole::config);
  EXPECT_FALSE(set->entries.count("/opt/app/logs/old.txt"));
}

TEST_F(FileSetTest, AVolumeBehindASymlinkKeepsTheLink)
{
  tree.write("var/log/app/today.log.1", "old\n");
  tree.symlink("../../var/log/app", "opt/app/applogs");
  analysis.volumes.push_back({"/opt/app/applogs", VolumeRole::log, 1234, 1234, 0750, ""});
  auto set = expand();
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->entries.at("/opt/app/applogs").type, EntryType::symlink);
  const auto& dir = set->entries.at("/var/log/app");
  EXPECT_EQ(dir.type, EntryType::directory);
  EXPECT_EQ(dir.mode, 0750u);
  EXPECT_FALSE(set->entries.count("/var/log/app/today.log.1"));
}

TEST_F(FileSetTest, SpecialFilesAreSkippedWithAWarning)
{
  auto set = expand();
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_FALSE(set->entries.count("/opt/app/conf/pipe"));
  bool warned = false;
  for (const auto& warning : set->warnings) {
    warned = warned
             || (warning.code == "skipped-special-file"
                 && warning.message.find("/opt/app/conf/pipe") != std::string::npos);
  }
  EXPECT_TRUE(warned);
}

TEST_F(FileSetTest, SystemFilesForTheAppUser)
{
  auto set = expand();
  ASSERT_TRUE(set) << set.error().message;
  const auto& passwd = set->entries.at("/etc/passwd");
  EXPECT_TRUE(passwd.generated);
  EXPECT_NE(passwd.content.find("app:x:1234:1234"), std::string::npos);
  EXPECT_EQ(set->entries.at("/tmp").mode, 01777u);
  EXPECT_TRUE(set->entries.at("/etc/nsswitch.conf").generated);
  // --list: files and links, no directories.
  auto listed = set->listed_paths();
  EXPECT_NE(std::find(listed.begin(), listed.end(), "/opt/app/current"), listed.end());
  EXPECT_EQ(std::find(listed.begin(), listed.end(), "/opt/app/bin"), listed.end());
}

// The layer plan: what every host of a fleet has alike stays in the system layer; what a host
// makes for itself goes to config; a per-server file nobody placed goes to app, never system.
TEST_F(FileSetTest, HostFilesGoToConfigAndPerServerFilesStayOutOfTheSystemLayer)
{
  tree.write("etc/hosts", "127.0.0.1 localhost source-host\n");
  tree.write("etc/ld.so.cache", "cache of this host's libraries");
  tree.write("etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n");
  tree.write("etc/ld.so.conf.d/local.conf", "/opt/local/lib\n");
  tree.write("usr/share/ca-certificates/mozilla/Root_CA.crt", "root CA\n");
  tree.symlink("/usr/share/ca-certificates/mozilla/Root_CA.crt", "etc/ssl/certs/Root_CA.pem");
  tree.write("etc/ssl/certs/ca-certificates.crt", "bundle made on this host\n");
  tree.write("etc/ssl/certs/java/cacerts", "keystore with this host's import dates");
  tree.write("usr/share/zoneinfo/Europe/Berlin", "TZif");
  tree.write("srv/shop/readme.txt", "the server's own directory\n");
  analysis.source.timezone = "Europe/Berlin";
  analysis.start.working_dir = "/srv/shop";
  auto set = expand();
  ASSERT_TRUE(set) << set.error().message;
  auto role = [&](const std::string& path) {
    auto found = set->entries.find(path);
    return found == set->entries.end() ? std::string("missing") : to_string(found->second.role);
  };
  for (const char* host_file : {"/etc/passwd",
                                "/etc/group",
                                "/etc/hosts",
                                "/etc/ld.so.cache",
                                "/etc/ld.so.conf",
                                "/etc/ld.so.conf.d/local.conf",
                                "/etc/ssl/certs/Root_CA.pem",
                                "/etc/ssl/certs/ca-certificates.crt",
                                "/etc/ssl/certs/java/cacerts",
                                "/etc/timezone",
                                "/etc/localtime"}) {
    EXPECT_EQ(role(host_file), "config") << host_file;
  }
  for (const char* shared : {"/etc/nsswitch.conf",
                             "/usr/share/ca-certificates/mozilla/Root_CA.crt",
                             "/usr/share/zoneinfo/Europe/Berlin",
                             "/tmp"}) {
    EXPECT_EQ(role(shared), "system") << shared;
  }
  EXPECT_EQ(role("/srv/shop"), "app"); // the working directory no files[] entry covers
}

TEST(RoleByLocation, SystemTreesAreSharedEverythingElseIsTheServers)
{
  for (const char* path : {"/usr/lib/x86_64-linux-gnu/libc.so.6",
                           "/lib64/ld-linux-x86-64.so.2",
                           "/usr/local/lib/libz.so",
                           "/etc/ssl/openssl.cnf",
                           "/bin/sh",
                           "/usr"}) {
    EXPECT_EQ(role_by_location(path), FileRole::system) << path;
  }
  for (const char* path : {"/opt/shop/native/libfoo.so",
                           "/srv/app",
                           "/home/app/lib/x.so",
                           "/var/lib/tomcat10/lib/native.so",
                           "/usrlocal/lib/x.so",
                           "/library"}) {
    EXPECT_EQ(role_by_location(path), FileRole::app) << path;
  }
}

TEST(CoveringRole, TheMostSpecificEntryWins)
{
  Analysis analysis;
  analysis.files.push_back({"/opt/tomee", "CATALINA_HOME", FileRole::server, false, false});
  analysis.files.push_back({"/opt/tomee/conf", "conf", FileRole::config, false, false});
  EXPECT_EQ(analysis.covering_role("/opt/tomee/lib/catalina.jar"), FileRole::server);
  EXPECT_EQ(analysis.covering_role("/opt/tomee/conf/server.xml"), FileRole::config);
  EXPECT_EQ(analysis.covering_role("/opt/tomee"), FileRole::server);
  EXPECT_FALSE(analysis.covering_role("/opt/tomee-other/lib/x.jar"));
  EXPECT_FALSE(analysis.covering_role("/opt"));
}

TEST_F(FileSetTest, SecretFilesAreListedAndLeftOutOnRequest)
{
  analysis.files.push_back({"/opt/app/private/key", "TLS key", FileRole::config, true, false});
  auto packed = expand();
  ASSERT_TRUE(packed);
  EXPECT_EQ(packed->secret_files, std::vector<std::string>{"/opt/app/private/key"});
  ExpandOptions options;
  options.externalize_secrets = true;
  // The walk of /opt/app (a files[] directory) must not bring it back.
  auto left_out = expand(options);
  ASSERT_TRUE(left_out);
  EXPECT_FALSE(left_out->entries.count("/opt/app/private/key"));
  EXPECT_TRUE(left_out->entries.count("/opt/app/conf/app.properties"));
  // Listed through a symlinked directory (Debian's CATALINA_BASE/conf -> /etc/tomcat10), the
  // file is left out where it really is.
  tree.symlink("/opt/app/private", "srv/conf");
  analysis.files.back().path = "/srv/conf/key";
  analysis.files.push_back({"/srv", "", FileRole::app, false, false});
  auto through_link = expand(options);
  ASSERT_TRUE(through_link) << through_link.error().message;
  EXPECT_FALSE(through_link->entries.count("/opt/app/private/key"));
  EXPECT_TRUE(through_link->entries.count("/srv/conf"));
}

TEST_F(FileSetTest, MissingFilesFailUnlessOptional)
{
  analysis.files.push_back({"/opt/gone", "", FileRole::app, false, false});
  auto missing = expand();
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
  EXPECT_NE(missing.error().message.find("files[2]: /opt/gone"), std::string::npos);
  analysis.files.back().optional = true;
  auto optional = expand();
  ASSERT_TRUE(optional) << optional.error().message;
  bool warned = false;
  for (const auto& warning : optional->warnings) {
    warned = warned || warning.code == "missing-optional-file";
  }
  EXPECT_TRUE(warned);
}

TEST_F(FileSetTest, MissingProgramIsAnError)
{
  analysis.start.command = {"/opt/app/bin/nothere"};
  auto set = expand();
  ASSERT_FALSE(set);
  EXPECT_NE(set.error().message.find("start.command"), std::string::npos);
}

TEST(IsExcluded, GlobsMatchPathsOrNames)
{
  std::vector<Exclusion> rules{{"/var/lib/app/work/*", ""}, {"*.tmp", ""}, {"/opt/x", ""}};
  EXPECT_TRUE(is_excluded("/var/lib/app/work/a/b", rules));
  EXPECT_FALSE(is_excluded("/var/lib/app/work", rules));
  EXPECT_TRUE(is_excluded("/srv/a.tmp", rules));
  EXPECT_TRUE(is_excluded("/srv/a.tmp/inner", rules));
  EXPECT_TRUE(is_excluded("/opt/x/y", rules));
  EXPECT_FALSE(is_excluded("/opt/xy", rules));
}

} // namespace
} // namespace decant
