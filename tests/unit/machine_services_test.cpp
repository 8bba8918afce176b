#include "test_support.hpp"

#include <decant/machine/os_support.hpp>
#include <decant/machine/services.hpp>
#include <decant/proc/parse.hpp>

#include <gtest/gtest.h>

#include <filesystem>

using namespace decant;
using decant::test::TempDir;

TEST(MachineUnitFile, ParsesSectionsContinuationsAndComments)
{
  auto settings = parse_unit_file("[Unit]\n"
                                  "Description=nginx # not a comment here\n"
                                  "# a comment\n"
                                  "; another\n"
                                  "[Service]\n"
                                  "Type=forking\n"
                                  "ExecStart=/usr/sbin/nginx -g 'daemon on;' \\\n"
                                  "   -c /etc/nginx/nginx.conf\n"
                                  "User = www-data\n");
  ASSERT_EQ(settings.size(), 4u);
  EXPECT_EQ(settings[0].section, "Unit");
  EXPECT_EQ(settings[1].key, "Type");
  EXPECT_EQ(settings[2].value, "/usr/sbin/nginx -g 'daemon on;'  -c /etc/nginx/nginx.conf");
  EXPECT_EQ(settings[3].key, "User");
  EXPECT_EQ(settings[3].value, "www-data");
}

TEST(MachineUnitFile, DropInResetsExecStartAndSplitsEnvironment)
{
  auto settings = parse_unit_file("[Service]\n"
                                  "ExecStart=/usr/bin/app --old\n"
                                  "Environment=\"A=b c\" D=e\n"
                                  "EnvironmentFile=-/etc/default/app\n"
                                  "RuntimeDirectory=app app/sock\n"
                                  "WorkingDirectory=/srv/app\n"
                                  "ExecStartPre=-/usr/bin/app --check\n");
  auto dropin = parse_unit_file("[Service]\nExecStart=\nExecStart=/usr/bin/app --new\nGroup=adm\n");
  settings.insert(settings.end(), dropin.begin(), dropin.end());
  UnitService service = unit_service(settings);
  EXPECT_EQ(service.exec_start, std::vector<std::string>{"/usr/bin/app --new"});
  EXPECT_EQ(service.environment, (std::vector<std::string>{"A=b c", "D=e"}));
  EXPECT_EQ(service.environment_files, std::vector<std::string>{"-/etc/default/app"});
  EXPECT_EQ(service.runtime_directories, (std::vector<std::string>{"app", "app/sock"}));
  EXPECT_EQ(service.working_directory, "/srv/app");
  EXPECT_EQ(service.group, "adm");
  EXPECT_EQ(service.type, "simple");
  EXPECT_EQ(service.exec_start_pre, std::vector<std::string>{"-/usr/bin/app --check"});
}

TEST(MachineUnitFile, CgroupNamesTheUnit)
{
  EXPECT_EQ(unit_of_cgroup("/system.slice/nginx.service"), "nginx.service");
  EXPECT_EQ(unit_of_cgroup("/system.slice/system-getty.slice/getty@tty1.service"),
            "getty@tty1.service");
  EXPECT_EQ(unit_of_cgroup("/user.slice/user-1000.slice/user@1000.service/app.slice/x.service"),
            "");
  EXPECT_EQ(unit_of_cgroup("/user.slice/user-1000.slice/session-3.scope"), "");
  EXPECT_EQ(unit_of_cgroup("/"), "");
  auto cgroups = parse_cgroup("12:pids:/system.slice/redis.service\n"
                              "1:name=systemd:/system.slice/redis.service\n"
                              "0::/system.slice/redis.service\n");
  ASSERT_TRUE(cgroups);
  EXPECT_EQ(unit_of_cgroup(cgroups->back().path), "redis.service");
}

TEST(MachineUnitFile, ReadsUnitsAndDropInsUnderTheRoot)
{
  TempDir dir;
  dir.write("lib/systemd/system/web.service",
            "[Service]\nExecStart=/usr/bin/web --port 80\nUser=www\n");
  dir.write("etc/systemd/system/web.service.d/override.conf",
            "[Service]\nExecStart=\nExecStart=/usr/bin/web --port 8080\n");
  dir.write("lib/systemd/system/getty@.service", "[Service]\nExecStart=/sbin/agetty %I\n");
  auto root = HostRoot::open(dir.path());
  ASSERT_TRUE(root);
  auto web = read_unit(*root, "web.service");
  ASSERT_TRUE(web) << web.error().message;
  EXPECT_EQ(web->exec_start, std::vector<std::string>{"/usr/bin/web --port 8080"});
  EXPECT_EQ(web->user, "www");
  auto file = find_unit_file(*root, "getty@tty1.service");
  ASSERT_TRUE(file);
  EXPECT_EQ(*file, "/lib/systemd/system/getty@.service");
  auto missing = read_unit(*root, "nope.service");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
  EXPECT_FALSE(find_unit_file(*root, "../../etc/passwd"));
}

TEST(MachineCron, ParsesSystemAndUserCrontabs)
{
  auto system = parse_crontab("SHELL=/bin/sh\n"
                              "PATH=/usr/sbin:/usr/bin\n"
                              "# m h dom mon dow user command\n"
                              "17 *\t* * *\troot    cd / && run-parts --report /etc/cron.hourly\n"
                              "@reboot root /usr/local/bin/warm-cache --all\n"
                              "broken line\n",
                              "/etc/crontab",
                              true,
                              "");
  ASSERT_EQ(system.size(), 2u);
  EXPECT_EQ(system[0].schedule, "17 * * * *");
  EXPECT_EQ(system[0].user, "root");
  EXPECT_EQ(system[0].command, "cd / && run-parts --report /etc/cron.hourly");
  EXPECT_EQ(system[0].source, "/etc/crontab:4");
  EXPECT_EQ(system[1].schedule, "@reboot");
  EXPECT_EQ(system[1].command, "/usr/local/bin/warm-cache --all");
  auto user = parse_crontab("*/5 * * * * /home/alice/bin/sync >/dev/null 2>&1\n",
                            "/var/spool/cron/crontabs/alice",
                            false,
                            "alice");
  ASSERT_EQ(user.size(), 1u);
  EXPECT_EQ(user[0].user, "alice");
  EXPECT_EQ(user[0].schedule, "*/5 * * * *");
  EXPECT_EQ(user[0].command, "/home/alice/bin/sync >/dev/null 2>&1");
}

TEST(MachineCron, ListsEveryPlaceUnderTheRoot)
{
  TempDir dir;
  dir.write("etc/crontab", "0 3 * * * root /usr/sbin/backup\n");
  dir.write("etc/cron.d/certbot", "0 */12 * * * root certbot -q renew\n");
  dir.write("etc/cron.d/old.dpkg-old", "0 0 * * * root never\n");
  dir.write("var/spool/cron/crontabs/bob", "1 1 * * * /home/bob/report\n");
  dir.write("etc/cron.daily/logrotate", "#!/bin/sh\n");
  auto root = HostRoot::open(dir.path());
  ASSERT_TRUE(root);
  auto jobs = list_cron_jobs(*root);
  ASSERT_EQ(jobs.size(), 4u);
  EXPECT_EQ(jobs[0].command, "/usr/sbin/backup");
  EXPECT_EQ(jobs[1].command, "certbot -q renew");
  EXPECT_EQ(jobs[2].user, "bob");
  EXPECT_EQ(jobs[3].schedule, "@daily");
  EXPECT_EQ(jobs[3].command, "/etc/cron.daily/logrotate");
}

TEST(MachineEntryScript, StartsServicesAsTheirUnitsDid)
{
  MachineService web;
  web.name = "web.service";
  web.source = "systemd";
  web.unit_file = "/lib/systemd/system/web.service";
  web.command = "/usr/bin/web --greeting 'it''s'";
  web.uid = 33;
  web.gid = 33;
  web.working_directory = "/srv/web";
  web.environment = {"MODE=prod"};
  web.environment_files = {"-/etc/default/web"};
  web.runtime_directories = {"web"};
  web.ports = {80, 443};
  MachineService daemon;
  daemon.name = "forky";
  daemon.type = "forking";
  daemon.command = "/usr/sbin/forky -d";
  std::string script = machine_entry_script({web, daemon}, "web01");
  EXPECT_EQ(script.rfind("#!/bin/sh\n", 0), 0u);
  EXPECT_NE(script.find("# web.service (/lib/systemd/system/web.service, ports 80 443)"),
            std::string::npos);
  EXPECT_NE(script.find("mkdir -p /run/web && chown 33:33 /run/web"), std::string::npos);
  EXPECT_NE(script.find("cd /srv/web || exit 200; if [ -r /etc/default/web ]; then set -a; . "
                        "/etc/default/web; set +a; fi; export MODE=prod; exec /.decant/init "
                        "--exec-as 33:33 -- /bin/sh -c "),
            std::string::npos)
      << script;
  EXPECT_NE(script.find(") &\npids=\"$pids $!\""), std::string::npos);
  EXPECT_NE(script.find("( exec /bin/sh -c 'exec /usr/sbin/forky -d' ) || status=$?\ndetached=1"),
            std::string::npos)
      << script;
  EXPECT_EQ(quote_shell_word("it's"), "'it'\\''s'");
  EXPECT_EQ(quote_shell_word("/usr/bin/x"), "/usr/bin/x");
  EXPECT_EQ(quote_shell_word(""), "''");
}

TEST(MachineEntryScript, RunsUnderShAndReportsTheFirstFailure)
{
  TempDir dir;
  MachineService ok;
  ok.name = "ok";
  ok.command = "echo started > " + dir.path() + "/ok";
  MachineService bad;
  bad.name = "bad";
  bad.command = "sh -c 'exit 3'";
  std::string script = machine_entry_script({ok, bad}, "h");
  std::string path = dir.write("entry.sh", script);
  auto result = test::run_command("sh " + path);
  EXPECT_EQ(result.status, 3) << result.err;
  auto root = HostRoot::open(dir.path());
  ASSERT_TRUE(root);
  EXPECT_EQ(root->read_file("/ok").value_or(""), "started\n");
}

TEST(MachineServiceJson, RoundTripsAndRejectsAServiceWithoutCommand)
{
  MachineService service;
  service.name = "db";
  service.source = "process";
  service.command = "/usr/sbin/db --port 5432";
  service.uid = 105;
  service.gid = 110;
  service.user = "postgres";
  service.ports = {5432};
  service.environment = {"PGDATA=/var/lib/db"};
  auto back = machine_service_from_json(to_json(service));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(to_json(*back), to_json(service));
  auto bad = machine_service_from_json({{"name", "x"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::invalid_input);
  EXPECT_FALSE(machine_service_from_json({{"command", "x"}, {"uid", "zero"}}));
}

TEST(MachineOsSupport, RecognisesTheReferenceDistributions)
{
  struct Case {
    const char* os_release;
    const char* arch;
    bool supported;
    const char* id;
  };
  const Case cases[] = {
      {"ID=ubuntu\nPRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\n", "x86_64", true, "ubuntu"},
      {"ID=\"centos\"\nID_LIKE=\"rhel fedora\"\n", "x86_64", true, "centos"},
      {"ID=\"rhel\"\nVERSION_ID=\"9.3\"\n", "aarch64", true, "rhel"},
      {"ID=alinux\nNAME=\"Alibaba Cloud Linux\"\n", "x86_64", true, "alinux"},
      {"ID=debian\n", "x86_64", true, "debian"},
      {"ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n", "x86_64", true, "rocky"},
      {"ID=\"almalinux\"\n", "x86_64", true, "almalinux"},
      {"ID=\"amzn\"\nID_LIKE=\"centos rhel fedora\"\n", "x86_64", true, "amzn"},
      {"ID=myrebuild\nID_LIKE=\"rhel fedora\"\n", "x86_64", true, "rhel"},
      {"ID=gentoo\nNAME=Gentoo\n", "x86_64", false, ""},
      {"ID=ubuntu\n", "s390x", false, "ubuntu"},
      {"", "x86_64", false, ""},
  };
  for (const auto& c : cases) {
    auto support = check_os_support(parse_os_release(c.os_release), c.arch);
    EXPECT_EQ(support.supported, c.supported) << c.os_release;
    EXPECT_EQ(support.id, c.id) << c.os_release;
    EXPECT_EQ(support.message.empty(), c.supported) << c.os_release;
  }
}

namespace {

// The aspnet-8.0-selfcontained fixture host: PID 8101 listens on 127.0.0.1:5000 and its
// cgroup is /system.slice/webapp.service. Copied, so a test can add or leave out the unit file.
std::string
copy_fixture_host(const TempDir& dir)
{
  std::string host = dir.path() + "/host";
  std::filesystem::copy(test::fixture("hosts/aspnet-8.0-selfcontained"),
                        host,
                        std::filesystem::copy_options::recursive
                            | std::filesystem::copy_options::copy_symlinks);
  return host;
}

} // namespace

TEST(MachineServices, ListeningProcessOfAUnitIsDescribedByTheUnitFile)
{
  TempDir dir;
  std::string host = copy_fixture_host(dir);
  dir.write(
      "host/lib/systemd/system/webapp.service",
      "[Unit]\nDescription=Blazor\n[Service]\nType=notify\n"
      "ExecStart=/opt/blazor8/blazor_8 --urls http://127.0.0.1:5000\n"
      "User=webapp\nWorkingDirectory=/opt/blazor8\nEnvironment=DOTNET_ENVIRONMENT=Production\n");
  auto root = HostRoot::open(host);
  ASSERT_TRUE(root);
  std::vector<std::string> warnings;
  auto services = discover_services(*root, 0, warnings);
  ASSERT_EQ(services.size(), 1u) << (warnings.empty() ? "" : warnings[0]);
  const auto& web = services[0];
  EXPECT_EQ(web.name, "webapp.service");
  EXPECT_EQ(web.source, "systemd");
  // The fixture has a merged /usr (/lib -> usr/lib): /usr/lib/systemd/system is searched first.
  EXPECT_EQ(web.unit_file, "/usr/lib/systemd/system/webapp.service");
  EXPECT_EQ(web.type, "notify");
  EXPECT_EQ(web.command, "/opt/blazor8/blazor_8 --urls http://127.0.0.1:5000");
  EXPECT_EQ(web.working_directory, "/opt/blazor8");
  EXPECT_EQ(web.environment, std::vector<std::string>{"DOTNET_ENVIRONMENT=Production"});
  EXPECT_EQ(web.user, "webapp");
  EXPECT_EQ(web.uid, 1001u); // through the host's /etc/passwd
  EXPECT_EQ(web.gid, 1001u);
  EXPECT_EQ(web.ports, std::vector<uint16_t>{5000});
  EXPECT_EQ(web.pid, 8101);
}

TEST(MachineServices, WithoutItsUnitFileTheCommandLineIsUsed)
{
  TempDir dir;
  std::string host = copy_fixture_host(dir);
  auto root = HostRoot::open(host);
  ASSERT_TRUE(root);
  std::vector<std::string> warnings;
  auto services = discover_services(*root, 0, warnings);
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].source, "process");
  EXPECT_EQ(services[0].command, "/opt/blazor8/blazor_8");
  EXPECT_EQ(services[0].working_directory, "/opt/blazor8");
  EXPECT_EQ(services[0].user, "webapp");
  EXPECT_EQ(services[0].uid, 1001u);
  EXPECT_EQ(services[0].ports, std::vector<uint16_t>{5000});
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("webapp.service"), std::string::npos) << warnings[0];
  // decant's own PID is never a service.
  EXPECT_TRUE(discover_services(*root, 8101, warnings).empty());
}
