// runtime.jlink: the plan's round trip through analysis.json, and the packer's trim with the real
// JDK of this machine when it has jmods (skipped, with the reason, otherwise).

#include "test_support.hpp"

#include <decant/pack/jlink.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/run.hpp>
#include <decant/util/strings.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>

using namespace decant;
using decant::test::TempDir;

namespace {

const std::string k_jh = "/usr/lib/jvm/java-17-openjdk-amd64";

std::string
bytes_of(const std::string& path)
{
  // lib/modules is ~100 MB, beyond read_file's limit for configuration files.
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return "unreadable: " + path;
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

} // namespace

TEST(JlinkPlan, RoundTripsThroughTheAnalysisAndNamesBadEntries)
{
  Analysis analysis;
  EXPECT_FALSE(*jlink_plan(analysis)); // absent: no plan, no error
  JlinkPlan plan{k_jh, {{"jdk.compiler", "javac"}, {"jdk.jshell", "jshell"}}};
  set_jlink_plan(analysis, plan);
  auto back = jlink_plan(analysis);
  ASSERT_TRUE(back && *back);
  EXPECT_EQ((*back)->java_home, k_jh);
  EXPECT_EQ((*back)->removed_modules(), (std::vector<std::string>{"jdk.compiler", "jdk.jshell"}));

  analysis.runtime.details["jlink"]["remove"][1]["module"] = "java.base";
  auto base = jlink_plan(analysis);
  ASSERT_FALSE(base);
  EXPECT_NE(base.error().message.find("runtime.jlink.remove[1].module"), std::string::npos)
      << base.error().message;
  EXPECT_EQ(base.error().code, ErrorCode::invalid_input);

  analysis.runtime.details["jlink"]["remove"][1]["module"] = 7;
  EXPECT_FALSE(jlink_plan(analysis));
  analysis.runtime.details["jlink"]["javaHome"] = "relative/jdk";
  auto relative = jlink_plan(analysis);
  ASSERT_FALSE(relative);
  EXPECT_NE(relative.error().message.find("runtime.jlink.javaHome"), std::string::npos);
}

TEST(JlinkTrim, RunsOnlyAgainstTheLiveHost)
{
  TempDir dir;
  dir.write("host" + k_jh + "/jmods/java.base.jmod", "jmod");
  auto root = *HostRoot::open(dir.path() + "/host");
  auto trimmed = trim_runtime(root, {k_jh, {{"jdk.compiler", "javac"}}}, {});
  ASSERT_FALSE(trimmed);
  EXPECT_EQ(trimmed.error().code, ErrorCode::unsupported);
  EXPECT_NE(trimmed.error().message.find("--root /"), std::string::npos);
}

TEST(JlinkTrim, RefusesACacheOthersCanWriteTo)
{
  if (!std::filesystem::exists(k_jh + "/jmods/java.base.jmod")) {
    GTEST_SKIP() << "no JDK with jmods at " << k_jh << " (openjdk-17-jdk-headless)";
  }
  auto root = HostRoot::open("/");
  ASSERT_TRUE(root);
  TempDir cache;
  std::string shared = cache.path() + "/shared";
  std::filesystem::create_directories(shared);
  ::chmod(shared.c_str(), 01777);
  TrimOptions options;
  options.cache_dir = shared;
  auto trimmed = trim_runtime(*root, {k_jh, {{"jdk.jshell", "jshell"}}}, options);
  ASSERT_FALSE(trimmed);
  EXPECT_EQ(trimmed.error().code, ErrorCode::permission);
  EXPECT_NE(trimmed.error().hint.find("DECANT_CACHE_DIR"), std::string::npos);
}

TEST(JlinkTrim, PointsTheFileSetAtTheTrimmedRuntime)
{
  TempDir dir;
  dir.write("rt/lib/modules", std::string(100, 'm'));
  dir.write("rt/lib/server/classes.jsa", std::string(40, 'c'));
  FileSet set;
  PackEntry modules;
  modules.path = k_jh + "/lib/modules";
  modules.size = 1000;
  modules.mode = 0644;
  modules.mtime = 1700000000;
  set.entries[modules.path] = modules;
  PackEntry jsa = modules;
  jsa.path = k_jh + "/lib/server/classes.jsa";
  jsa.size = 500;
  set.entries[jsa.path] = jsa;
  TrimmedRuntime trimmed{dir.path() + "/rt", {"jdk.compiler"}, false};
  EXPECT_EQ(use_trimmed_runtime(set, k_jh, trimmed), (1000 - 100) + (500 - 40));
  const auto& packed = set.entries.at(k_jh + "/lib/modules");
  EXPECT_EQ(packed.source, dir.path() + "/rt/lib/modules");
  EXPECT_EQ(packed.size, 100u);
  EXPECT_EQ(packed.mtime, 1700000000); // the source's metadata stays
  EXPECT_NE(packed.reason.find("jlink"), std::string::npos);
  EXPECT_EQ(set.entries.at(k_jh + "/lib/server/classes.jsa").size, 40u);
}

// The real thing: this machine's JDK trimmed to java.base, its CDS archive regenerated, then
// found in the cache the second time.
TEST(JlinkTrim, TrimsThisMachinesJdkAndCachesIt)
{
  if (!std::filesystem::exists(k_jh + "/jmods/java.base.jmod")
      || !std::filesystem::exists(k_jh + "/bin/jlink")) {
    GTEST_SKIP() << "no JDK with jmods at " << k_jh << " (openjdk-17-jdk-headless)";
  }
  auto root = HostRoot::open("/");
  ASSERT_TRUE(root);
  JlinkPlan plan{k_jh, {}};
  for (const auto& entry : std::filesystem::directory_iterator(k_jh + "/jmods")) {
    std::string module = entry.path().stem();
    if (module != "java.base") {
      plan.remove.push_back({module, "test: java.base only"});
    }
  }
  ASSERT_FALSE(plan.remove.empty());
  TempDir cache;
  TrimOptions options;
  options.cache_dir = cache.path() + "/jlink";
  // Runtimes of other JDKs built before, oldest first, and another pack's work in progress.
  namespace fs = std::filesystem;
  auto now = fs::file_time_type::clock::now();
  for (int age : {30, 20, 10}) {
    fs::create_directories(options.cache_dir + "/old" + std::to_string(age) + "/rt");
    fs::last_write_time(options.cache_dir + "/old" + std::to_string(age),
                        now - std::chrono::hours(age));
  }
  fs::create_directories(options.cache_dir + "/.tmp-other");
  auto trimmed = trim_runtime(*root, plan, options);
  ASSERT_TRUE(trimmed) << trimmed.error().message;
  EXPECT_FALSE(trimmed->from_cache);
  EXPECT_EQ(trimmed->removed.size(), plan.remove.size());
  struct stat source {
  }, small{};
  ASSERT_EQ(::stat((k_jh + "/lib/modules").c_str(), &source), 0);
  ASSERT_EQ(::stat((trimmed->dir + "/lib/modules").c_str(), &small), 0);
  EXPECT_LT(small.st_size, source.st_size / 2);
  EXPECT_TRUE(std::filesystem::exists(trimmed->dir + "/lib/server/classes.jsa"));
  auto listed = run_program({trimmed->dir + "/bin/java", "-Xshare:on", "--list-modules"},
                            {"PATH=/usr/bin:/bin"});
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->exit_code, 0) << listed->output;
  EXPECT_EQ(listed->output.find("java.logging"), std::string::npos) << listed->output;
  EXPECT_NE(listed->output.find("java.base@"), std::string::npos) << listed->output;

  // The cache keeps three runtimes: this one and the two most recent others.
  EXPECT_FALSE(fs::exists(options.cache_dir + "/old30"));
  EXPECT_TRUE(fs::exists(options.cache_dir + "/old20"));
  EXPECT_TRUE(fs::exists(options.cache_dir + "/old10"));
  EXPECT_TRUE(fs::exists(options.cache_dir + "/.tmp-other"));

  auto again = trim_runtime(*root, plan, options);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->from_cache);
  EXPECT_EQ(again->dir, trimmed->dir);
  EXPECT_EQ(again->not_reproducible, trimmed->not_reproducible);

  // Another host: the same JDK and plan, its own empty cache: the same bytes, CDS archive
  // included (when the dump could run serialized).
  TempDir other;
  TrimOptions elsewhere;
  elsewhere.cache_dir = other.path() + "/somewhere/else/jlink";
  auto second = trim_runtime(*root, plan, elsewhere);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_FALSE(second->from_cache);
  EXPECT_TRUE(bytes_of(second->dir + "/lib/modules") == bytes_of(trimmed->dir + "/lib/modules"))
      << "jlink wrote another lib/modules for the same plan";
  if (!trimmed->not_reproducible.empty()) {
    GTEST_SKIP() << "the CDS dump could not run serialized here (" << trimmed->not_reproducible
                 << "): its archive is not compared";
  }
  EXPECT_TRUE(bytes_of(second->dir + "/lib/server/classes.jsa")
              == bytes_of(trimmed->dir + "/lib/server/classes.jsa"))
      << "the regenerated CDS archive differs between two builds of the same runtime";
}

TEST(RunProgram, CollectsOutputAndExitCode)
{
  auto ok = run_program({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, {});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->exit_code, 3);
  EXPECT_NE(ok->output.find("out"), std::string::npos);
  EXPECT_NE(ok->output.find("err"), std::string::npos);
  auto env = run_program({"/usr/bin/env"}, {"ONLY=this"});
  ASSERT_TRUE(env);
  EXPECT_EQ(env->output, "ONLY=this\n");
  EXPECT_FALSE(run_program({"/no/such/program"}, {}));
}

TEST(RunProgram, RunsInTheWorkingDirectoryAndStopsAtTheTimeout)
{
  RunOptions in_root;
  in_root.cwd = "/";
  auto pwd = run_program({"/bin/sh", "-c", "pwd"}, {}, in_root);
  ASSERT_TRUE(pwd);
  EXPECT_EQ(pwd->output, "/\n");
  in_root.cwd = "/no/such/directory";
  auto missing = run_program({"/bin/sh", "-c", "pwd"}, {}, in_root);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("/no/such/directory"), std::string::npos);

  RunOptions quick;
  quick.timeout_seconds = 1;
  auto started = std::chrono::steady_clock::now();
  auto slow = run_program({"/bin/sleep", "30"}, {}, quick);
  ASSERT_FALSE(slow);
  EXPECT_NE(slow.error().message.find("did not finish within 1 s"), std::string::npos)
      << slow.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
}

// One CPU, no address-space randomization, an 8 MiB stack limit and SCHED_FIFO, each visible
// in the child's /proc; SCHED_FIFO only where this process may use it (else reported).
TEST(RunProgram, SerializedRunsOnOneCpuWithAFixedAddressLayout)
{
  RunOptions serialized;
  serialized.serialize = true;
  auto run = run_program({"/bin/sh",
                          "-c",
                          "grep Cpus_allowed_list /proc/self/status; cat /proc/self/personality; "
                          "ulimit -s; cut -d' ' -f41 /proc/$$/stat"},
                         {"PATH=/usr/bin:/bin"},
                         serialized);
  ASSERT_TRUE(run) << run.error().message;
  auto lines = split(run->output, '\n');
  ASSERT_GE(lines.size(), 4u) << run->output;
  auto cpus = std::string(trim(lines[0].substr(lines[0].find(':') + 1)));
  EXPECT_EQ(cpus.find_first_of(",-"), std::string::npos) << "more than one CPU: " << cpus;
  EXPECT_EQ(std::stoul(lines[1], nullptr, 16) & 0x0040000, 0x0040000u) << "ASLR still on";
  EXPECT_EQ(lines[2], "8192");
  if (run->not_serialized.empty()) {
    EXPECT_EQ(lines[3], "1") << "policy is not SCHED_FIFO";
  } else {
    EXPECT_NE(run->not_serialized.find("SCHED_FIFO"), std::string::npos) << run->not_serialized;
    EXPECT_EQ(lines[3], "0");
  }
}

// The bind mount is seen by the program only; without CAP_SYS_ADMIN nothing runs.
TEST(RunProgram, BindMountIsPrivateToTheProgram)
{
  TempDir dir;
  dir.write("runtime/bin/tool", "#!/bin/sh\ncat \"$(dirname \"$0\")/which\"\n");
  dir.write("runtime/bin/which", "trimmed\n");
  dir.write("home/bin/tool", "#!/bin/sh\necho source\n");
  dir.write("home/bin/which", "source\n");
  ::chmod((dir.path() + "/runtime/bin/tool").c_str(), 0755);
  ::chmod((dir.path() + "/home/bin/tool").c_str(), 0755);
  RunOptions bound;
  bound.bind_source = dir.path() + "/runtime";
  bound.bind_target = dir.path() + "/home";
  auto run = run_program({dir.path() + "/home/bin/tool"}, {"PATH=/usr/bin:/bin"}, bound);
  if (!run && run.error().code == ErrorCode::permission) {
    GTEST_SKIP() << "no private mount namespace here: " << run.error().message;
  }
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(run->output, "trimmed\n");
  EXPECT_EQ(bytes_of(dir.path() + "/home/bin/which"), "source\n"); // not mounted out here
}
