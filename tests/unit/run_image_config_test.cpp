#include <decant/proc/parse.hpp>
#include <decant/run/image_config.hpp>

#include <gtest/gtest.h>

using namespace decant;

TEST(RunImageConfig, ReadsTheProcessPortsVolumesLabelsAndDiffIds)
{
  auto config = parse_image_config(R"({
    "architecture": "amd64", "os": "linux",
    "config": {
      "User": "105:109",
      "Env": ["PATH=/usr/bin:/bin", "LANG=C.UTF-8"],
      "Entrypoint": ["/usr/bin/java", "-Dx=${secret:ARG_X}"],
      "Cmd": ["start"],
      "WorkingDir": "/var/lib/tomcat10",
      "ExposedPorts": {"8443/tcp": {}, "8080/tcp": {}, "53/udp": {}, "9000": {}},
      "Volumes": {"/var/log/tomcat10": {}},
      "Labels": {"io.decant.application-id": "java-tomcat-5924e694"}
    },
    "rootfs": {"type": "layers", "diff_ids": ["sha256:aa", "sha256:bb"]}
  })");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->argv(),
            (std::vector<std::string>{"/usr/bin/java", "-Dx=${secret:ARG_X}", "start"}));
  EXPECT_EQ(config->user, "105:109");
  EXPECT_EQ(config->working_dir, "/var/lib/tomcat10");
  ASSERT_NE(config->env_value("LANG"), nullptr);
  EXPECT_EQ(*config->env_value("LANG"), "LANG=C.UTF-8");
  EXPECT_EQ(config->env_value("LAN"), nullptr);
  ASSERT_EQ(config->exposed_ports.size(), 4u);
  EXPECT_EQ(config->exposed_ports[0].port, 53);
  EXPECT_EQ(config->exposed_ports[0].protocol, "udp");
  EXPECT_EQ(config->exposed_ports[1].port, 8080);
  EXPECT_EQ(config->exposed_ports[3].port, 9000);
  EXPECT_EQ(config->exposed_ports[3].protocol, "tcp");
  EXPECT_EQ(config->volumes, std::vector<std::string>{"/var/log/tomcat10"});
  EXPECT_EQ(config->labels.at("io.decant.application-id"), "java-tomcat-5924e694");
  EXPECT_EQ(config->diff_ids, (std::vector<std::string>{"sha256:aa", "sha256:bb"}));
}

TEST(RunImageConfig, ErrorsNameTheField)
{
  auto expect_error = [](const std::string& text, const std::string& fragment) {
    auto config = parse_image_config(text);
    ASSERT_FALSE(config) << text;
    EXPECT_EQ(config.error().code, ErrorCode::invalid_input);
    EXPECT_NE(config.error().message.find(fragment), std::string::npos) << config.error().message;
  };
  expect_error("not json", "not a JSON object");
  expect_error(R"({"config": {"Entrypoint": "java"}, "rootfs": {"diff_ids": []}})",
               "config.Entrypoint");
  expect_error(R"({"config": {"Env": ["NOEQUALS"]}, "rootfs": {"diff_ids": []}})", "config.Env");
  expect_error(R"({"config": {"ExposedPorts": {"http/tcp": {}}}, "rootfs": {"diff_ids": []}})",
               "config.ExposedPorts");
  expect_error(R"({"config": {"ExposedPorts": {"70000/tcp": {}}}, "rootfs": {"diff_ids": []}})",
               "70000");
  expect_error(R"({"config": {"WorkingDir": "relative"}, "rootfs": {"diff_ids": []}})",
               "config.WorkingDir");
  expect_error(R"({"config": {}})", "rootfs");
  expect_error(R"({"config": {}, "rootfs": {"diff_ids": [1]}})", "rootfs.diff_ids");
}

TEST(RunImageConfig, UserAndGroupsAsOciRuntimesResolveThem)
{
  auto passwd =
      parse_passwd("root:x:0:0::/root:/bin/sh\ntomcat:x:105:109::/var/lib/tomcat:/bin/false\n");
  auto groups = parse_group("root:x:0:\ntomcat:x:109:\nssl-cert:x:111:tomcat,postgres\n"
                            "adm:x:4:syslog,tomcat\n");
  auto numeric = resolve_user("105:109", passwd, groups);
  ASSERT_TRUE(numeric);
  EXPECT_EQ(numeric->uid, 105u);
  EXPECT_EQ(numeric->gid, 109u);
  EXPECT_EQ(numeric->name, "tomcat");
  EXPECT_EQ(numeric->groups, (std::vector<uint32_t>{111, 4}));

  auto by_name = resolve_user("tomcat", passwd, groups);
  ASSERT_TRUE(by_name);
  EXPECT_EQ(by_name->uid, 105u);
  EXPECT_EQ(by_name->gid, 109u); // the passwd entry's group

  auto named_group = resolve_user("tomcat:adm", passwd, groups);
  ASSERT_TRUE(named_group);
  EXPECT_EQ(named_group->gid, 4u);

  auto unknown_uid = resolve_user("4242", passwd, groups);
  ASSERT_TRUE(unknown_uid);
  EXPECT_EQ(unknown_uid->uid, 4242u);
  EXPECT_EQ(unknown_uid->gid, 0u);
  EXPECT_TRUE(unknown_uid->groups.empty());

  auto root = resolve_user("", passwd, groups);
  ASSERT_TRUE(root);
  EXPECT_EQ(root->uid, 0u);

  EXPECT_FALSE(resolve_user("nobody", passwd, groups));
  EXPECT_FALSE(resolve_user("tomcat:nogroup", passwd, groups));
  EXPECT_FALSE(resolve_user(":4", passwd, groups));
}
