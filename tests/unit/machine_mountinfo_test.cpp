#include <decant/machine/exclusions.hpp>
#include <decant/machine/mountinfo.hpp>
#include <decant/pack/file_set.hpp>

#include <gtest/gtest.h>

using namespace decant;

namespace {

// Shaped like a real /proc/self/mountinfo of a server with a data disk, a tmpfs, an NFS share,
// a bind mount and a mount point holding a space, plus a host mounted at /host.
const char* const k_mountinfo =
    "22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
    "23 22 0:21 / /proc rw,nosuid,nodev,noexec shared:12 - proc proc rw\n"
    "24 22 0:22 / /sys rw,nosuid shared:2 - sysfs sysfs rw\n"
    "25 22 0:5 / /dev rw,nosuid shared:3 - devtmpfs udev rw,size=4000k\n"
    "26 25 0:23 / /dev/pts rw shared:4 - devpts devpts rw\n"
    "30 22 252:17 / /data rw,relatime shared:20 - xfs /dev/vdb1 rw\n"
    "31 22 0:40 / /var/lib/docker/tmp rw - tmpfs tmpfs rw\n"
    "32 22 0:41 / /mnt/nfs\\040share rw master:5 - nfs4 srv:/export rw\n"
    "33 22 252:1 /srv/www /var/www rw shared:1 - ext4 /dev/vda1 rw\n"
    "40 22 252:33 / /host rw shared:30 - ext4 /dev/vdc1 rw\n"
    "41 40 0:50 / /host/proc rw - proc proc rw\n"
    "42 40 252:34 / /host/home rw - ext4 /dev/vdc2 rw\n"
    "43 42 0:51 / /host/home/alice/.cache rw - tmpfs tmpfs rw\n";

} // namespace

TEST(MachineMountinfo, ParsesFieldsAndOptionalFields)
{
  auto mounts = parse_mountinfo(k_mountinfo);
  ASSERT_TRUE(mounts) << mounts.error().message;
  ASSERT_EQ(mounts->size(), 13u);
  EXPECT_EQ((*mounts)[0].mount_point, "/");
  EXPECT_EQ((*mounts)[0].fs_type, "ext4");
  EXPECT_EQ((*mounts)[0].source, "/dev/vda1");
  EXPECT_EQ((*mounts)[5].device, "252:17");
  EXPECT_EQ((*mounts)[5].id, 30);
  EXPECT_EQ((*mounts)[5].parent_id, 22);
  // No optional fields at all (31) and one (32): the "-" separator decides.
  EXPECT_EQ((*mounts)[6].fs_type, "tmpfs");
  EXPECT_EQ((*mounts)[7].fs_type, "nfs4");
  EXPECT_EQ((*mounts)[7].source, "srv:/export");
}

TEST(MachineMountinfo, DecodesOctalEscapes)
{
  auto mounts = parse_mountinfo(k_mountinfo);
  ASSERT_TRUE(mounts);
  EXPECT_EQ((*mounts)[7].mount_point, "/mnt/nfs share");
  EXPECT_EQ(unescape_mount_field("a\\011b\\012c\\134d"), "a\tb\nc\\d");
  EXPECT_EQ(unescape_mount_field("trailing\\04"), "trailing\\04"); // incomplete: kept as is
}

TEST(MachineMountinfo, BindMountKeepsItsRoot)
{
  auto mounts = parse_mountinfo(k_mountinfo);
  ASSERT_TRUE(mounts);
  EXPECT_EQ((*mounts)[8].root, "/srv/www");
  auto below = mounts_below(*mounts, "/");
  auto www = std::find_if(
      below.begin(), below.end(), [](const ExcludedMount& m) { return m.path == "/var/www"; });
  ASSERT_NE(www, below.end());
  EXPECT_NE(www->reason.find("bind mount of /srv/www"), std::string::npos) << www->reason;
}

TEST(MachineMountinfo, RejectsMalformedLines)
{
  auto bad = parse_mountinfo("22 1 252:1 / / rw shared:1 ext4 /dev/vda1 rw\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::invalid_input);
  EXPECT_NE(bad.error().message.find("line 1"), std::string::npos);
  EXPECT_FALSE(parse_mountinfo("x 1 252:1 / / rw - ext4 /dev/vda1 rw\n"));
}

TEST(MachineMountinfo, LiveRootExcludesEveryMountBelowItButItself)
{
  auto mounts = parse_mountinfo(k_mountinfo);
  ASSERT_TRUE(mounts);
  std::vector<std::string> paths;
  for (const auto& mount : mounts_below(*mounts, "/")) {
    paths.push_back(mount.path);
  }
  // /dev/pts folds into /dev, /host/* into /host; the root's own mount is not listed.
  EXPECT_EQ(paths,
            (std::vector<std::string>{"/data",
                                      "/dev",
                                      "/host",
                                      "/mnt/nfs share",
                                      "/proc",
                                      "/sys",
                                      "/var/lib/docker/tmp",
                                      "/var/www"}));
}

TEST(MachineMountinfo, HostAtSlashHostKeepsOnlyMountsUnderIt)
{
  auto mounts = parse_mountinfo(k_mountinfo);
  ASSERT_TRUE(mounts);
  auto below = mounts_below(*mounts, "/host/");
  std::vector<std::string> paths;
  for (const auto& mount : below) {
    paths.push_back(mount.path);
  }
  // Paths are the host's own (relative to /host); /host itself is the root's file system, and
  // decant's /data or /proc are not the host's.
  EXPECT_EQ(paths, (std::vector<std::string>{"/home", "/proc"}));
  EXPECT_EQ(below[0].fs_type, "ext4");
}

TEST(MachineExclusions, DefaultsCarryReasonsAndMatch)
{
  auto defaults = default_machine_exclusions();
  for (const auto& rule : defaults) {
    EXPECT_FALSE(rule.reason.empty()) << rule.path;
  }
  ExclusionMatcher matcher(defaults);
  EXPECT_NE(matcher.match("/proc/1", "1"), nullptr);
  EXPECT_EQ(matcher.match("/proc", "proc"), nullptr); // the mount point stays
  EXPECT_NE(matcher.match("/tmp/.X11-unix", ".X11-unix"), nullptr);
  EXPECT_EQ(matcher.match("/tmp", "tmp"), nullptr);
  EXPECT_NE(matcher.match("/var/tmp/x", "x"), nullptr);
  EXPECT_NE(matcher.match("/boot/vmlinuz", "vmlinuz"), nullptr);
  EXPECT_NE(matcher.match("/lib/modules", "modules"), nullptr);
  EXPECT_NE(matcher.match("/lost+found", "lost+found"), nullptr);
  EXPECT_NE(matcher.match("/var/cache/apt/archives/curl_7.deb", "curl_7.deb"), nullptr);
  EXPECT_EQ(matcher.match("/var/cache/apt/archives/partial", "partial"), nullptr);
  EXPECT_NE(matcher.match("/var/cache/dnf/x", "x"), nullptr);
  EXPECT_EQ(matcher.match("/usr/bin/tmp", "tmp"), nullptr);
  EXPECT_EQ(matcher.match("/etc/passwd", "passwd"), nullptr);
}

TEST(MachineExclusions, MatcherAgreesWithThePackersIsExcluded)
{
  std::vector<Exclusion> rules{{"/srv/cache/*", ""}, {"*.log", ""}, {"/opt/a[b]c", ""}};
  ExclusionMatcher matcher(rules);
  for (const std::string path : {"/srv/cache/x",
                                 "/srv/cache",
                                 "/var/log/syslog.log",
                                 "/opt/abc",
                                 "/opt/a[b]c",
                                 "/etc/hosts"}) {
    std::string name = path.substr(path.rfind('/') + 1);
    EXPECT_EQ(matcher.match(path, name) != nullptr, is_excluded(path, rules)) << path;
  }
}

TEST(MachineExclusions, MountsSwapsAndOwnPaths)
{
  std::vector<ExcludedMount> mounts{{"/data [1]", "xfs", "/dev/vdb1", "mount point"}};
  auto swaps = swap_files("Filename\tType\tSize\tUsed\tPriority\n"
                          "/swap\\040file                              file\t\t1048572\t0\t-2\n"
                          "/dev/vda3                               partition\t999\t0\t-3\n",
                          "/");
  ASSERT_EQ(swaps, std::vector<std::string>{"/swap file"});
  auto rules =
      machine_exclusions(mounts, swaps, {"/host/var/lib/decant", "/elsewhere/out"}, "/host");
  ExclusionMatcher matcher(rules);
  EXPECT_NE(matcher.match("/data [1]/x", "x"), nullptr);
  EXPECT_EQ(matcher.match("/data [1]", "data [1]"), nullptr); // the mount point stays, empty
  EXPECT_EQ(matcher.match("/data 1/x", "x"), nullptr);        // '[' was escaped
  EXPECT_NE(matcher.match("/swap file", "swap file"), nullptr);
  EXPECT_NE(matcher.match("/var/lib/decant", "decant"), nullptr);
  EXPECT_EQ(matcher.match("/elsewhere/out", "out"), nullptr); // outside the root: not ours
  EXPECT_EQ(glob_escape("/a*b?[c]"), "/a\\*b\\?\\[c\\]");
}
