#include <decant/proc/parse.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>

using namespace decant;

TEST(ParseCmdline, SplitsOnNul)
{
  std::string content("java\0-Xmx1g\0-jar\0app.jar\0", 24);
  auto argv = parse_cmdline(content);
  ASSERT_EQ(argv.size(), 4u);
  EXPECT_EQ(argv[0], "java");
  EXPECT_EQ(argv[3], "app.jar");
}

TEST(ParseCmdline, NoTrailingNulAndEmpty)
{
  EXPECT_EQ(parse_cmdline(std::string("a\0b", 3)), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(parse_cmdline("").empty());
  // A daemon that rewrote argv with spaces keeps one element.
  EXPECT_EQ(parse_cmdline("nginx: master process").size(), 1u);
}

TEST(ParseEnviron, KeepsOrderAndValuesWithEquals)
{
  std::string content("A=1\0B=x=y\0NOEQ\0\0", 16);
  auto env = parse_environ(content);
  ASSERT_EQ(env.size(), 3u);
  EXPECT_EQ(env[1].first, "B");
  EXPECT_EQ(env[1].second, "x=y");
  EXPECT_EQ(env[2].first, "NOEQ");
  EXPECT_EQ(env[2].second, "");
}

TEST(ParseStat, CommWithSpacesAndParens)
{
  auto stat = parse_stat("42 (a) b) c) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 5 0 "
                         "12345 1000000 250 18446744073709551615");
  ASSERT_TRUE(stat) << stat.error().message;
  EXPECT_EQ(stat->pid, 42);
  EXPECT_EQ(stat->comm, "a) b) c");
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->ppid, 1);
  EXPECT_EQ(stat->utime, 7u);
  EXPECT_EQ(stat->num_threads, 5);
  EXPECT_EQ(stat->start_time, 12345u);
  EXPECT_EQ(stat->rss_pages, 250);
}

TEST(ParseStat, Malformed)
{
  EXPECT_FALSE(parse_stat(""));
  EXPECT_FALSE(parse_stat("42 no-parens S 1"));
  EXPECT_FALSE(parse_stat("42 (x) S 1 2 3"));
  EXPECT_FALSE(parse_stat("x (x) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 5 0 1 1 1"));
  auto bad_start = parse_stat("42 (x) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 5 0 zz 1 1");
  ASSERT_FALSE(bad_start);
  EXPECT_NE(bad_start.error().message.find("field 22"), std::string::npos);
}

const char* k_status = "Name:\tjava\n"
                       "State:\tS (sleeping)\n"
                       "PPid:\t17\n"
                       "Uid:\t105\t105\t105\t105\n"
                       "Gid:\t110\t111\t110\t110\n"
                       "Groups:\t110 4 \n"
                       "VmHWM:\t  204800 kB\n"
                       "VmRSS:\t  102400 kB\n"
                       "Threads:\t42\n"
                       "CapPrm:\t0000000000000400\n"
                       "CapEff:\t0000000000000400\n"
                       "CapAmb:\t0000000000000400\n";

TEST(ParseStatus, Fields)
{
  auto status = parse_status(k_status);
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(status->name, "java");
  EXPECT_EQ(status->ppid, 17);
  EXPECT_EQ(status->uid[1], 105u);
  EXPECT_EQ(status->gid[1], 111u);
  EXPECT_EQ(status->groups, (std::vector<uint32_t>{110, 4}));
  EXPECT_EQ(*status->vm_hwm_bytes, 204800u * 1024);
  EXPECT_EQ(*status->vm_rss_bytes, 102400u * 1024);
  EXPECT_EQ(status->cap_eff, 0x400u);
  EXPECT_EQ(capability_names(status->cap_amb), (std::vector<std::string>{"cap_net_bind_service"}));
  EXPECT_FALSE(status->kernel_thread);
}

TEST(ParseStatus, KernelThreadAndMalformed)
{
  auto kthread = parse_status("Name:\tkworker/0:1\nState:\tI (idle)\nPPid:\t2\nUid:\t0\t0\t0\t0\n"
                              "Gid:\t0\t0\t0\t0\n");
  ASSERT_TRUE(kthread);
  EXPECT_TRUE(kthread->kernel_thread);
  EXPECT_FALSE(parse_status(""));
  EXPECT_FALSE(parse_status("Name:\tx\nUid:\t1\t2\n"));
  EXPECT_FALSE(parse_status("Name:\tx\nUid:\ta\tb\tc\td\n"));
}

TEST(ParseLimits, OpenFiles)
{
  const char* content =
      "Limit                     Soft Limit           Hard Limit           Units     \n"
      "Max cpu time              unlimited            unlimited            seconds   \n"
      "Max open files            1024                 524288               files     \n";
  auto limits = parse_limits(content);
  ASSERT_TRUE(limits) << limits.error().message;
  auto& open = limits->at("Max open files");
  EXPECT_EQ(*open.soft, 1024u);
  EXPECT_EQ(*open.hard, 524288u);
  EXPECT_EQ(open.unit, "files");
  EXPECT_FALSE(limits->at("Max cpu time").soft);
  EXPECT_FALSE(parse_limits("garbage"));
  EXPECT_FALSE(
      parse_limits("Limit                     Soft Limit           Hard Limit           Units\n"
                   "Max open files            lots                 524288               files\n"));
}

TEST(ParseCgroup, V1AndV2)
{
  auto cgroups = parse_cgroup("0::/system.slice/tomcat10.service\n4:cpu,cpuacct:/a\n");
  ASSERT_TRUE(cgroups);
  ASSERT_EQ(cgroups->size(), 2u);
  EXPECT_EQ((*cgroups)[0].path, "/system.slice/tomcat10.service");
  EXPECT_EQ((*cgroups)[1].controllers, "cpu,cpuacct");
  EXPECT_FALSE(parse_cgroup("no colons here\n"));
}

TEST(ParseMaps, PathsWithSpacesDeletedAndPseudo)
{
  const char* content =
      "55d0c0a00000-55d0c0a01000 r--p 00000000 fd:01 1234   /usr/lib/jvm/java 17/bin/java\n"
      "7f0000000000-7f0000001000 r-xp 00001000 fd:01 99     "
      "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13\n"
      "7f0000001000-7f0000002000 r--p 00002000 fd:01 99     "
      "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13\n"
      "7f0000003000-7f0000004000 rw-s 00000000 00:05 77     /tmp/hsperfdata_tomcat/42 (deleted)\n"
      "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0      [stack]\n"
      "7ffd00030000-7ffd00031000 rw-p 00000000 00:00 0 \n";
  auto maps = parse_maps(content);
  ASSERT_TRUE(maps) << maps.error().message;
  ASSERT_EQ(maps->size(), 6u);
  EXPECT_EQ((*maps)[0].path, "/usr/lib/jvm/java 17/bin/java");
  EXPECT_TRUE((*maps)[3].deleted);
  EXPECT_EQ((*maps)[3].path, "/tmp/hsperfdata_tomcat/42");
  EXPECT_EQ(mapped_files(*maps),
            (std::vector<std::string>{"/usr/lib/jvm/java 17/bin/java",
                                      "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13"}));
  EXPECT_FALSE(parse_maps("zzzz-yyyy r--p 0 fd:01 1 /x\n"));
  EXPECT_FALSE(parse_maps("1000-2000 r--p 0 fd:01 notanumber /x\n"));
}

TEST(ParseFdinfo, FlagsAreOctal)
{
  auto info = parse_fdinfo("pos:\t10\nflags:\t0100002\nmnt_id:\t25\n");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->flags & O_ACCMODE, O_RDWR);
  EXPECT_EQ(info->mnt_id, 25u);
  EXPECT_FALSE(parse_fdinfo("pos:\t0\n"));
  EXPECT_FALSE(parse_fdinfo("flags:\t09\n"));
}

TEST(ParseNetTcp, Ipv4ListenAndEstablished)
{
  const char* content =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
      "timeout inode\n"
      "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000   105        "
      "0 23456 1 0000000000000000 100 0 0 10 0\n"
      "   1: 0100007F:C350 0100007F:0CEA 01 00000000:00000000 00:00000000 00000000   105        "
      "0 23457 1 0000000000000000 20 4 30 10 -1\n";
  auto sockets = parse_net_tcp(content, false);
  ASSERT_TRUE(sockets) << sockets.error().message;
  ASSERT_EQ(sockets->size(), 2u);
  EXPECT_EQ((*sockets)[0].local_address, "0.0.0.0");
  EXPECT_EQ((*sockets)[0].local_port, 8080);
  EXPECT_EQ((*sockets)[0].state, TcpState::listen);
  EXPECT_EQ((*sockets)[0].inode, 23456u);
  EXPECT_EQ((*sockets)[1].local_address, "127.0.0.1");
  EXPECT_EQ((*sockets)[1].remote_port, 3306);
  EXPECT_EQ((*sockets)[1].state, TcpState::established);
  EXPECT_EQ((*sockets)[1].uid, 105u);
}

TEST(ParseNetTcp, Ipv6AndV4Mapped)
{
  const char* content =
      "  sl  local_address                         remote_address                        st "
      "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A "
      "00000000:00000000 00:00000000 00000000   105        0 777 1 0000000000000000 100 0 0 10 0\n"
      "   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:D431 01 "
      "00000000:00000000 00:00000000 00000000   105        0 778 1 0000000000000000 20 4 0 10 -1\n"
      "   2: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A "
      "00000000:00000000 00:00000000 00000000   0        0 779 1 0000000000000000 100 0 0 10 0\n";
  auto sockets = parse_net_tcp(content, true);
  ASSERT_TRUE(sockets) << sockets.error().message;
  ASSERT_EQ(sockets->size(), 3u);
  EXPECT_EQ((*sockets)[0].local_address, "::");
  EXPECT_EQ((*sockets)[1].local_address, "::ffff:127.0.0.1");
  EXPECT_EQ((*sockets)[2].local_address, "::1");
  EXPECT_TRUE((*sockets)[2].ipv6);
}

TEST(ParseNetTcp, Malformed)
{
  EXPECT_FALSE(parse_net_tcp("header\n 0: 0000:1F90 00000000:0000 0A\n", false));
  EXPECT_FALSE(
      parse_net_tcp("header\n   0: 00000000:1F90 00000000:0000 0A 0:0 0:0 0 x 0 1\n", false));
  EXPECT_FALSE(
      parse_net_tcp("header\n   0: 0000000Z:1F90 00000000:0000 0A 0:0 0:0 0 0 0 1\n", false));
  auto empty = parse_net_tcp("header only\n", false);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(ParseSocketLink, Forms)
{
  EXPECT_EQ(parse_socket_link("socket:[12345]"), 12345u);
  EXPECT_FALSE(parse_socket_link("pipe:[12345]"));
  EXPECT_FALSE(parse_socket_link("socket:[abc]"));
  EXPECT_FALSE(parse_socket_link("/var/log/x"));
}

TEST(ParseOsRelease, QuotesAndComments)
{
  auto values =
      parse_os_release("# comment\nID=debian\nVERSION_ID=\"12\"\n"
                       "PRETTY_NAME='Debian GNU/Linux 12 (bookworm)'\nNAME=\"A \\\"q\\\"\"\n");
  EXPECT_EQ(values["ID"], "debian");
  EXPECT_EQ(values["VERSION_ID"], "12");
  EXPECT_EQ(values["PRETTY_NAME"], "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(values["NAME"], "A \"q\"");
}

TEST(ParsePasswdGroup, EntriesAndBadLines)
{
  auto users = parse_passwd("root:x:0:0:root:/root:/bin/bash\n# c\nbroken:x\n"
                            "tomcat:x:105:110::/var/lib/tomcat:/usr/sbin/nologin\nbad:x:a:1:::\n");
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[1].name, "tomcat");
  EXPECT_EQ(users[1].uid, 105u);
  EXPECT_EQ(users[1].home, "/var/lib/tomcat");
  auto groups = parse_group("root:x:0:\ntomcat:x:110:alice,bob\nbad:x:z:\n");
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[1].members, (std::vector<std::string>{"alice", "bob"}));
}

TEST(ProcParse, MeminfoAndCgroupMemoryLimits)
{
  EXPECT_EQ(parse_meminfo_total("MemTotal:       24684084 kB\nMemFree:  1 kB\n"),
            24684084ull * 1024);
  EXPECT_EQ(parse_meminfo_total("MemFree: 1 kB\nMemTotal: 2048\n"), 2048u);
  EXPECT_FALSE(parse_meminfo_total("MemFree: 1 kB\n"));
  EXPECT_FALSE(parse_meminfo_total("MemTotal: lots kB\n"));
  EXPECT_EQ(parse_cgroup_memory_limit("4294967296\n"), 4294967296ull);
  EXPECT_FALSE(parse_cgroup_memory_limit("max\n"));
  EXPECT_FALSE(parse_cgroup_memory_limit("9223372036854771712\n")); // v1's "no limit"
  EXPECT_FALSE(parse_cgroup_memory_limit(""));
}
