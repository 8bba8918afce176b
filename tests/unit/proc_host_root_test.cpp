#include "test_support.hpp"

#include <decant/proc/host_root.hpp>
#include <decant/proc/process.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

using namespace decant;
using decant::test::TempDir;

TEST(HostRoot, NormalizeClampsAtRoot)
{
  EXPECT_EQ(HostRoot::normalize("/a/./b/../c"), "/a/c");
  EXPECT_EQ(HostRoot::normalize("/../../etc/passwd"), "/etc/passwd");
  EXPECT_EQ(HostRoot::normalize("a//b/"), "/a/b");
  EXPECT_EQ(HostRoot::normalize(""), "/");
}

TEST(HostRoot, OpenRejectsMissingAndFiles)
{
  TempDir dir;
  auto missing = HostRoot::open(dir.path() + "/nope");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("nope"), std::string::npos);
  auto file = HostRoot::open(dir.write("file", "x"));
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().code, ErrorCode::usage);
}

TEST(HostRoot, SymlinksNeverLeaveTheRoot)
{
  TempDir dir;
  dir.write("host/etc/tomcat10/server.xml", "<Server/>");
  dir.write("outside-secret", "leak");
  dir.symlink("/etc/tomcat10", "host/var/lib/tomcat10/conf");   // absolute: inside the root
  dir.symlink("../../../../outside-secret", "host/var/escape"); // relative: clamps at the root
  dir.symlink("/../../outside-secret", "host/var/escape2");
  dir.symlink("loop2", "host/loop1");
  dir.symlink("loop1", "host/loop2");
  auto root = HostRoot::open(dir.path() + "/host");
  ASSERT_TRUE(root);

  EXPECT_EQ(*root->resolve("/var/lib/tomcat10/conf/server.xml"), "/etc/tomcat10/server.xml");
  EXPECT_EQ(*root->read_file("/var/lib/tomcat10/conf/server.xml"), "<Server/>");
  EXPECT_EQ(*root->resolve("/var/escape"), "/outside-secret");
  EXPECT_EQ(*root->resolve("/var/escape2"), "/outside-secret");
  EXPECT_FALSE(root->read_file("/var/escape"));
  EXPECT_FALSE(root->read_file("/../outside-secret"));
  EXPECT_EQ(*root->resolve("/var/lib/tomcat10/conf", false), "/var/lib/tomcat10/conf");
  EXPECT_EQ(*root->read_link("/var/lib/tomcat10/conf"), "/etc/tomcat10");
  auto loop = root->resolve("/loop1/x");
  ASSERT_FALSE(loop);
  EXPECT_NE(loop.error().message.find("symbolic links"), std::string::npos);
  EXPECT_TRUE(root->is_directory("/var/lib/tomcat10/conf"));
  EXPECT_TRUE(root->is_regular_file("/etc/tomcat10/server.xml"));
  auto listing = root->list_directory("/var/lib/tomcat10/conf");
  ASSERT_TRUE(listing);
  EXPECT_EQ(*listing, std::vector<std::string>{"server.xml"});
}

// The cached resolver (pack's file-set expansion) must give what the plain one gives, for
// every kind of link: relative, absolute, through "..", chained, dangling, escaping, looping.
TEST(HostRoot, ResolveCacheResolvesLikeTheUncachedResolver)
{
  TempDir dir;
  dir.write("host/etc/tomcat10/server.xml", "<Server/>");
  dir.write("host/usr/lib/jvm/java-17/lib/libjava.so", "elf");
  dir.write("host/usr/share/java/tomcat10-juli-10.1.jar", "jar");
  dir.symlink("/etc/tomcat10", "host/var/lib/tomcat10/conf");
  dir.symlink("java-17", "host/usr/lib/jvm/default-java");
  dir.symlink("../../java/tomcat10-juli-10.1.jar", "host/usr/share/tomcat10/bin/juli.jar");
  dir.symlink("usr/lib", "host/lib");
  dir.symlink("../../../../outside", "host/var/escape");
  dir.symlink("missing/target", "host/var/dangling");
  dir.symlink("loop2", "host/loop1");
  dir.symlink("loop1", "host/loop2");
  dir.symlink("/usr/lib/jvm/default-java/lib", "host/opt/jvmlib");
  auto root = HostRoot::open(dir.path() + "/host");
  ASSERT_TRUE(root);
  HostRoot cached = root->with_resolve_cache();

  const char* paths[] = {
      "/var/lib/tomcat10/conf/server.xml",
      "/var/lib/tomcat10/conf",
      "/var/lib/tomcat10/conf/../conf/server.xml",
      "/var/lib/tomcat10/conf/..",
      "/lib/jvm/default-java/lib/libjava.so",
      "/opt/jvmlib/libjava.so",
      "/opt/jvmlib/../bin/java",
      "/usr/share/tomcat10/bin/juli.jar",
      "/var/escape",
      "/var/escape/x",
      "/var/dangling",
      "/var/dangling/deeper",
      "/no/such/dir/file",
      "//usr/./lib//jvm/",
      "/",
      "/..",
      "/loop1",
      "/loop1/x",
  };
  for (int pass = 0; pass < 2; ++pass) { // the second pass answers from the cache
    for (const char* path : paths) {
      for (bool follow_last : {true, false}) {
        auto want = root->resolve(path, follow_last);
        auto got = cached.resolve(path, follow_last);
        ASSERT_EQ(want.has_value(), got.has_value()) << path << " follow_last=" << follow_last;
        if (want) {
          EXPECT_EQ(*got, *want) << path << " follow_last=" << follow_last;
        }
      }
    }
  }
}

TEST(HostRoot, ReadErrorsNameTheHostPath)
{
  TempDir dir;
  auto root = HostRoot::open(dir.path());
  auto missing = root->read_file("/etc/missing.conf");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
  EXPECT_NE(missing.error().message.find("/etc/missing.conf"), std::string::npos);
  EXPECT_EQ(missing.error().message.find(dir.path()), std::string::npos);
}

TEST(HostRoot, SystemFacts)
{
  TempDir dir;
  dir.write("etc/os-release", "ID=centos\nVERSION_ID=\"7\"\nPRETTY_NAME=\"CentOS Linux 7\"\n");
  dir.write("etc/hostname", "web01\n");
  dir.write("etc/passwd", "root:x:0:0::/root:/bin/sh\ntomcat:x:91:91::/opt/tomcat:/sbin/nologin\n");
  dir.symlink("/usr/share/zoneinfo/Asia/Shanghai", "etc/localtime");
  auto root = HostRoot::open(dir.path());
  EXPECT_EQ(root->os_release()["ID"], "centos");
  EXPECT_EQ(root->hostname(), "web01");
  EXPECT_EQ(root->timezone(), "Asia/Shanghai");
  EXPECT_EQ(root->passwd().size(), 2u);
}

// A fake host with one process, as fixtures/hosts trees are laid out.
class FakeProcess : public ::testing::Test
{
protected:
  void
  SetUp() override
  {
    m_dir.write("proc/4242/stat",
                "4242 (java) S 1 4242 4242 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 40 0 "
                "987654 1000000 250 18446744073709551615\n");
    m_dir.write("proc/4242/status",
                "Name:\tjava\nState:\tS (sleeping)\nPPid:\t1\nUid:\t105\t105\t105\t105\n"
                "Gid:\t110\t110\t110\t110\nGroups:\t110\nVmHWM:\t1000 kB\nVmRSS:\t900 kB\n"
                "CapEff:\t0000000000000000\n");
    m_dir.write("proc/4242/cmdline", std::string("/usr/bin/java\0-Xmx512m\0Main\0", 28));
    m_dir.write("proc/4242/environ",
                std::string("JAVA_HOME=/usr/lib/jvm/j\0DB_PASSWORD=s3cret\0", 44));
    m_dir.write("proc/4242/maps",
                "1000-2000 r-xp 00000000 fd:01 12 /usr/lib/jvm/j/lib/server/libjvm.so\n");
    m_dir.write("proc/4242/cgroup", "0::/system.slice/tomcat.service\n");
    m_dir.write(
        "proc/4242/net/tcp",
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
        "timeout inode\n"
        "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000   105 "
        "0 555 1 0 100 0 0 10 0\n"
        "   1: 00000000:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000   105 "
        "0 999 1 0 100 0 0 10 0\n");
    m_dir.write("proc/4242/fdinfo/3", "pos:\t0\nflags:\t02\n");
    m_dir.write("proc/4242/fdinfo/4", "pos:\t0\nflags:\t02101\n");
    m_dir.write("opt/app/log/app.log", "");
    m_dir.symlink("socket:[555]", "proc/4242/fd/3");
    m_dir.symlink("/opt/app/log/app.log", "proc/4242/fd/4");
    m_dir.symlink("/usr/lib/jvm/j/bin/java", "proc/4242/exe");
    m_dir.symlink("/opt/app", "proc/4242/cwd");
    m_dir.symlink("/", "proc/4242/root");
  }

  TempDir m_dir;
};

TEST_F(FakeProcess, ReadsTheWholeSnapshot)
{
  auto root = HostRoot::open(m_dir.path());
  auto process = read_process(*root, 4242);
  ASSERT_TRUE(process) << process.error().message;
  EXPECT_EQ(process->exe, "/usr/lib/jvm/j/bin/java");
  EXPECT_EQ(process->cwd, "/opt/app");
  EXPECT_EQ(process->cmdline.size(), 3u);
  EXPECT_EQ(*process->env("DB_PASSWORD"), "s3cret");
  EXPECT_EQ(process->stat.start_time, 987654u);
  EXPECT_EQ(process->status.uid[0], 105u);
  EXPECT_EQ(process->mapped_files(),
            std::vector<std::string>{"/usr/lib/jvm/j/lib/server/libjvm.so"});
  ASSERT_EQ(process->open_files.size(), 2u);
  EXPECT_EQ(process->open_files[0].socket_inode, 555u);
  EXPECT_TRUE(process->open_files[1].writable);
  EXPECT_EQ(process->open_files[1].target, "/opt/app/log/app.log");
  // Port 8081's socket (inode 999) belongs to another process: only 8080 is this one's.
  EXPECT_EQ(process->listening_ports(), std::vector<uint16_t>{8080});
  EXPECT_EQ(process->host_path("conf/x.xml"), "/opt/app/conf/x.xml");
  EXPECT_EQ(process->cgroups.at(0).path, "/system.slice/tomcat.service");
}

TEST_F(FakeProcess, MissingPidIsNotFound)
{
  auto root = HostRoot::open(m_dir.path());
  auto process = read_process(*root, 7);
  ASSERT_FALSE(process);
  EXPECT_EQ(process.error().code, ErrorCode::not_found);
  EXPECT_NE(process.error().message.find("PID 7"), std::string::npos);
}

TEST_F(FakeProcess, ZombieAndKernelThreadAreUnsupported)
{
  m_dir.write("proc/9/stat", "9 (defunct) Z 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0 0\n");
  m_dir.write("proc/2/stat", "2 (kthreadd) S 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0 0\n");
  m_dir.write("proc/2/status",
              "Name:\tkthreadd\nState:\tS\nPPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n");
  m_dir.write("proc/2/cmdline", "");
  auto root = HostRoot::open(m_dir.path());
  auto zombie = read_process(*root, 9);
  ASSERT_FALSE(zombie);
  EXPECT_EQ(zombie.error().code, ErrorCode::unsupported);
  EXPECT_NE(zombie.error().message.find("zombie"), std::string::npos);
  auto kthread = read_process(*root, 2);
  ASSERT_FALSE(kthread);
  EXPECT_NE(kthread.error().message.find("kernel thread"), std::string::npos);
}

TEST_F(FakeProcess, UnreadableEnvironIsAWarning)
{
  if (::geteuid() == 0) {
    // root reads mode-000 files anyway; remove the file to stand for "cannot read".
    ::unlink((m_dir.path() + "/proc/4242/environ").c_str());
  } else {
    ::chmod((m_dir.path() + "/proc/4242/environ").c_str(), 0);
  }
  auto root = HostRoot::open(m_dir.path());
  auto process = read_process(*root, 4242);
  ASSERT_TRUE(process);
  EXPECT_FALSE(process->environ_readable);
  ASSERT_FALSE(process->warnings.empty());
  EXPECT_NE(process->warnings[0].find("environment"), std::string::npos);
}

TEST_F(FakeProcess, RestartedProcessIsDetected)
{
  auto root = HostRoot::open(m_dir.path());
  auto process = read_process(*root, 4242);
  ASSERT_TRUE(process);
  m_dir.write("proc/4242/stat",
              "4242 (java) S 1 4242 4242 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 40 0 "
              "999999 1000000 250 18446744073709551615\n");
  auto same = check_same_process(*root, *process);
  ASSERT_FALSE(same);
  EXPECT_EQ(same.error().code, ErrorCode::source_changed);
}

TEST_F(FakeProcess, AProcessWithAnotherRootIsNotOnThisFileSystem)
{
  auto root = HostRoot::open(m_dir.path());
  std::string why;
  EXPECT_TRUE(root->shares_file_system(4242, why));
  EXPECT_TRUE(read_process(*root, 4242)->foreign_root.empty());
  ASSERT_EQ(::unlink((m_dir.path() + "/proc/4242/root").c_str()), 0);
  m_dir.symlink("/srv/jail", "proc/4242/root");
  EXPECT_FALSE(root->shares_file_system(4242, why));
  EXPECT_NE(why.find("/srv/jail"), std::string::npos) << why;
  auto process = read_process(*root, 4242);
  ASSERT_TRUE(process);
  EXPECT_EQ(process->foreign_root, why);
  EXPECT_FALSE(root->live_proc());
}

TEST(LiveProcess, ReadsItself)
{
  auto root = HostRoot::open("/");
  auto self = read_process(*root, ::getpid());
  ASSERT_TRUE(self) << self.error().message;
  EXPECT_FALSE(self->cmdline.empty());
  EXPECT_FALSE(self->exe.empty());
  EXPECT_FALSE(self->maps.empty());
  // decant's own process sees the root it reads.
  EXPECT_TRUE(root->live_proc());
  EXPECT_TRUE(self->foreign_root.empty()) << self->foreign_root;
}
