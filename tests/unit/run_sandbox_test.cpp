#include "test_support.hpp"

#include <decant/run/sandbox.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/strings.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

using namespace decant;
using decant::test::run_command;
using decant::test::TempDir;

namespace {

// A tiny image: the host's /bin/sh and sleep with their libraries.
std::string
make_rootfs(const TempDir& tmp)
{
  std::string rootfs = tmp.path() + "/rootfs";
  auto copied = run_command(
      "set -e; r='" + rootfs
      + "'; mkdir -p \"$r/tmp\" \"$r/work\"; "
        "for p in /bin/sh $(command -v sleep); do "
        "  cp --parents -L \"$p\" \"$r\"; "
        "  for l in $(ldd \"$p\" | grep -o '/[^ ]*'); do cp --parents -L \"$l\" \"$r\"; done; "
        "done; chmod 1777 \"$r/tmp\"; echo kept > \"$r/tmp/keep\"; true");
  EXPECT_EQ(copied.status, 0) << copied.err;
  return rootfs;
}

bool
wait_for(const std::string& path, int seconds)
{
  for (int i = 0; i < seconds * 20; ++i) {
    struct stat st {
    };
    if (::stat(path.c_str(), &st) == 0 && st.st_size > 0) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::string
line(const std::string& path)
{
  std::string text = read_file(path).value_or("");
  return std::string(trim(text));
}

} // namespace

TEST(RunSandbox, TheImageRunsAsItsUserInFreshNamespacesAndNothingIsLeft)
{
  if (::geteuid() != 0) {
    GTEST_SKIP() << "the sandbox needs root (namespaces and mounts)";
  }
  TempDir tmp;
  std::string rootfs = make_rootfs(tmp);
  std::string out = tmp.path() + "/out";
  ASSERT_EQ(::mkdir(out.c_str(), 0777), 0);
  ::chmod(out.c_str(), 0777);
  SandboxSpec spec;
  spec.rootfs = rootfs;
  spec.argv = {"sh",
               "-c",
               "echo $$ > /out/pid; read h < /proc/sys/kernel/hostname; echo $h > /out/host; "
               "while read k v rest; do case $k in Uid:|Gid:|Groups:) echo \"$k $v $rest\";; "
               "esac; done < /proc/self/status > /out/ids; "
               "[ -c /dev/null ] && [ -c /dev/urandom ] && [ -d /dev/pts ] && [ -d /dev/shm ] "
               "&& [ -d /dev/mqueue ] && [ -L /dev/fd ] && echo ok > /out/dev; "
               "(: > /sys/decant-test) 2> /dev/null || echo read-only > /out/sys; "
               "read t < /tmp/keep; echo $t > /out/tmp; pwd > /out/pwd; echo \"$MARK\" > /out/env; "
               "echo started; exec sleep 60"};
  spec.env = {"PATH=/usr/bin:/bin", "MARK=hello"};
  spec.working_dir = "/work";
  spec.uid = 1234;
  spec.gid = 1234;
  spec.groups = {5, 77};
  spec.hostname = "verify-test";
  spec.mounts.push_back({out, "/out", false, false});
  spec.log_path = tmp.path() + "/output.log";
  auto sandbox = Sandbox::start(spec);
  ASSERT_TRUE(sandbox) << sandbox.error().message;
  ASSERT_TRUE(wait_for(out + "/env", 20)) << read_file(spec.log_path).value_or("");
  EXPECT_EQ(line(out + "/pid"), "2"); // PID 1 is the holder
  EXPECT_EQ(line(out + "/host"), "verify-test");
  std::string ids = read_file(out + "/ids").value_or("");
  EXPECT_NE(ids.find("Uid: 1234 1234\t1234\t1234"), std::string::npos) << ids;
  EXPECT_NE(ids.find("Gid: 1234 1234\t1234\t1234"), std::string::npos) << ids;
  EXPECT_NE(ids.find("Groups: 5 77"), std::string::npos) << ids;
  EXPECT_EQ(line(out + "/dev"), "ok");
  EXPECT_EQ(line(out + "/sys"), "read-only");
  EXPECT_EQ(line(out + "/tmp"), "kept"); // nothing over the image's own /tmp
  EXPECT_EQ(line(out + "/pwd"), "/work");
  EXPECT_EQ(line(out + "/env"), "hello");
  EXPECT_GT((*sandbox)->rss_bytes(), 0u);
  EXPECT_FALSE((*sandbox)->exit_status());
  pid_t holder = (*sandbox)->holder_pid();
  std::string pid_ns = std::filesystem::read_symlink("/proc/" + std::to_string(holder) + "/ns/pid");
  (*sandbox)->stop();
  EXPECT_NE(::kill(holder, 0), 0);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::error_code ignored;
    auto ns = std::filesystem::read_symlink(entry.path() / "ns/pid", ignored);
    EXPECT_NE(ns.string(), pid_ns) << "process " << entry.path() << " of the sandbox is left";
  }
  EXPECT_EQ(read_file("/proc/self/mountinfo").value_or("").find(rootfs), std::string::npos);
  EXPECT_NE(read_file(spec.log_path).value_or("").find("started"), std::string::npos);
}

TEST(RunSandbox, AnImageThatStopsGivesItsStatus)
{
  if (::geteuid() != 0) {
    GTEST_SKIP() << "the sandbox needs root (namespaces and mounts)";
  }
  TempDir tmp;
  SandboxSpec spec;
  spec.rootfs = make_rootfs(tmp);
  spec.argv = {"/bin/sh", "-c", "echo bye; exit 3"};
  spec.log_path = tmp.path() + "/output.log";
  auto sandbox = Sandbox::start(spec);
  ASSERT_TRUE(sandbox) << sandbox.error().message;
  std::optional<int> status;
  for (int i = 0; i < 200 && !status; ++i) {
    status = (*sandbox)->exit_status();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 3);
  EXPECT_EQ(line(spec.log_path), "bye");
}

TEST(RunSandbox, AMissingProgramOrWorkingDirectoryIsNamed)
{
  if (::geteuid() != 0) {
    GTEST_SKIP() << "the sandbox needs root (namespaces and mounts)";
  }
  TempDir tmp;
  SandboxSpec spec;
  spec.rootfs = make_rootfs(tmp);
  spec.argv = {"no-such-program"};
  spec.env = {"PATH=/usr/bin:/bin"};
  spec.log_path = tmp.path() + "/output.log";
  auto missing = Sandbox::start(spec);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::verification);
  EXPECT_NE(missing.error().message.find("no-such-program"), std::string::npos);
  spec.argv = {"/bin/sh", "-c", "true"};
  spec.working_dir = "/nowhere";
  auto no_dir = Sandbox::start(spec);
  ASSERT_FALSE(no_dir);
  EXPECT_NE(no_dir.error().message.find("/nowhere"), std::string::npos);
}
