// A machine analysis as analyze_machine writes it, through analysis.json and into the
// deployment writer: the container runs /.decant/init with the entry script (the deployment
// writer reads extensions.machine.command), and the image's own Entrypoint says the same.

#include "test_support.hpp"

#include <decant/analysis/analysis.hpp>
#include <decant/deploy/kubernetes.hpp>
#include <decant/machine/machine.hpp>
#include <decant/oci/image_layout.hpp>

#include <gtest/gtest.h>

#include <filesystem>

using namespace decant;
using decant::test::TempDir;

TEST(MachineDeploy, GenerateRunsTheInitAndEntryScript)
{
  TempDir dir;
  dir.write("host/etc/os-release", "ID=ubuntu\nPRETTY_NAME=\"Ubuntu 22.04 LTS\"\n");
  dir.write("host/etc/hostname", "web01\n");
  dir.write("host/usr/bin/env", "x");
  dir.write("host/var/www/index.html", "<h1>hi</h1>");
  auto root = HostRoot::open(dir.path() + "/host");
  ASSERT_TRUE(root);
  MachineOptions options;
  options.mountinfo = "22 1 252:1 / / rw - ext4 /dev/vda1 rw\n";
  auto analysis = analyze_machine(*root, options);
  ASSERT_TRUE(analysis) << analysis.error().message;
  EXPECT_TRUE(is_machine_analysis(*analysis));
  EXPECT_EQ(analysis->application_type, "machine");
  EXPECT_EQ(analysis->source.hostname, "web01");

  // Through analysis.json, as the operator would edit and hand it on.
  auto reloaded = analysis_from_json(to_json(*analysis));
  ASSERT_TRUE(reloaded) << reloaded.error().message;
  auto argv = container_start_argv(*reloaded);
  ASSERT_TRUE(argv) << argv.error().message;
  EXPECT_EQ(*argv, (std::vector<std::string>{"/.decant/init", "/.decant/entrypoint.sh"}));

  FileSet empty;
  auto config = image_config(*reloaded, empty, {}, "2026-11-26T00:00:00Z");
  EXPECT_EQ(config["config"]["Entrypoint"], nlohmann::json(*argv));
  EXPECT_EQ(config["config"]["User"], "0:0");

  std::vector<std::string> files;
  for (const auto& file : reloaded->files) {
    files.push_back(file.path);
  }
  EXPECT_EQ(files, (std::vector<std::string>{"/etc", "/usr", "/var"}));
  EXPECT_EQ(machine_role("usr"), FileRole::system);
  EXPECT_EQ(machine_role("etc"), FileRole::config);
  EXPECT_EQ(machine_role("var"), FileRole::app);
}

TEST(MachineDeploy, AHandWrittenMachineAnalysisIsNotMachineMode)
{
  Analysis analysis;
  analysis.application_type = "machine";
  EXPECT_FALSE(is_machine_analysis(analysis));
  analysis.extensions["machine"] = {{"command", {"/.decant/init", "/.decant/entrypoint.sh"}}};
  EXPECT_TRUE(is_machine_analysis(analysis));
}

TEST(MachineDeploy, ListeningServicesBecomeExposedPorts)
{
  // The aspnet-8.0-selfcontained fixture host: PID 8101 of webapp.service listens on :5000.
  TempDir dir;
  std::string host = dir.path() + "/host";
  std::filesystem::copy(test::fixture("hosts/aspnet-8.0-selfcontained"),
                        host,
                        std::filesystem::copy_options::recursive
                            | std::filesystem::copy_options::copy_symlinks);
  auto root = HostRoot::open(host);
  ASSERT_TRUE(root);
  MachineOptions options;
  options.mountinfo = "22 1 252:1 / / rw - ext4 /dev/vda1 rw\n";
  auto analysis = analyze_machine(*root, options);
  ASSERT_TRUE(analysis) << analysis.error().message;
  const auto& services = analysis->extensions["machine"]["services"];
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0]["ports"], nlohmann::json({5000}));
  ASSERT_EQ(analysis->ports.size(), 1u);
  EXPECT_TRUE(analysis->ports[0].expose);
  FileSet empty;
  auto config = image_config(*analysis, empty, {}, "2026-11-26T00:00:00Z");
  EXPECT_TRUE(config["config"]["ExposedPorts"].contains("5000/tcp")) << config.dump();
}

TEST(MachineDeploy, ARockyLinuxHostIsSupported)
{
  // The tomcat-rhel9 fixture host: Rocky Linux 9.3's os-release (ID rocky, ID_LIKE rhel).
  auto root = HostRoot::open(test::fixture("hosts/tomcat-rhel9"));
  ASSERT_TRUE(root);
  MachineOptions options;
  options.mountinfo = "22 1 252:1 / / rw - xfs /dev/vda1 rw\n";
  options.services = false;
  auto analysis = analyze_machine(*root, options);
  ASSERT_TRUE(analysis) << analysis.error().message;
  EXPECT_EQ(analysis->source.os.id, "rocky");
  const auto& os = analysis->extensions["machine"]["os"];
  EXPECT_EQ(os["id"], "rocky");
  EXPECT_EQ(os["supported"], true);
}
