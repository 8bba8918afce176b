// The JBoss command line: which kind of JBoss JVM it is (standalone, domain, AS 4-6), and the
// server arguments standalone.sh passes after org.jboss.as.standalone turned into properties.
#include "jboss/server_command.hpp"

#include <gtest/gtest.h>

using namespace decant;
using namespace decant::jboss;

namespace {

java::JvmCommand
jvm(const std::vector<std::string>& argv)
{
  auto command = java::parse_jvm_command(argv);
  EXPECT_TRUE(command) << command.error().message;
  return command ? *command : java::JvmCommand{};
}

std::vector<std::string>
standalone(std::vector<std::string> server_arguments)
{
  std::vector<std::string> argv = {"/usr/bin/java",
                                   "-D[Standalone]",
                                   "-Xmx512m",
                                   "-Dfrom.jvm=1",
                                   "-jar",
                                   "/opt/wildfly/jboss-modules.jar",
                                   "-mp",
                                   "/opt/wildfly/modules:/opt/extra/modules",
                                   "-jaxpmodule",
                                   "javax.xml.jaxp-provider",
                                   "org.jboss.as.standalone"};
  argv.insert(argv.end(), server_arguments.begin(), server_arguments.end());
  return argv;
}

Result<std::string>
no_file(const std::string& path)
{
  return fail(ErrorCode::not_found, "{} does not exist", path);
}

} // namespace

TEST(JbossLaunchKind, Table)
{
  struct Case {
    std::vector<std::string> argv;
    LaunchKind kind;
  };
  const Case cases[] = {
      {standalone({}), LaunchKind::standalone},
      {{"java",
        "-jar",
        "/opt/jboss-modules-2.1.0.Final.jar",
        "-mp",
        "m",
        "org.jboss.as.standalone"},
       LaunchKind::standalone},
      {{"java",
        "-D[Process Controller]",
        "-jar",
        "/x/jboss-modules.jar",
        "-mp",
        "m",
        "org.jboss.as.process-controller",
        "-jboss-home",
        "/x"},
       LaunchKind::domain},
      {{"java",
        "-D[Host Controller]",
        "-jar",
        "/x/jboss-modules.jar",
        "-mp",
        "m",
        "org.jboss.as.host-controller"},
       LaunchKind::domain},
      {{"java",
        "-D[Server:server-one]",
        "-jar",
        "/x/jboss-modules.jar",
        "-mp",
        "m",
        "org.jboss.as.server"},
       LaunchKind::domain},
      {{"java", "-classpath", "/opt/jboss-5.1.0.GA/bin/run.jar", "org.jboss.Main", "-b", "0.0.0.0"},
       LaunchKind::legacy},
      {{"java", "-cp", "/a/b.jar", "org.jboss.Main"}, LaunchKind::legacy},
      {{"java", "-jar", "/x/jboss-modules.jar", "-mp", "m", "org.jboss.as.cli"},
       LaunchKind::other_module},
      {{"java", "-cp", "bootstrap.jar", "org.apache.catalina.startup.Bootstrap", "start"},
       LaunchKind::none},
      {{"java", "-jar", "app.jar"}, LaunchKind::none},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(launch_kind(jvm(c.argv)), c.kind) << c.argv.back();
  }
}

TEST(JbossServerCommand, ServerArgumentsBecomeProperties)
{
  auto server = parse_server_command(jvm(standalone({"-Djboss.home.dir=/opt/wildfly",
                                                     "-b",
                                                     "0.0.0.0",
                                                     "-bmanagement=127.0.0.1",
                                                     "-bprivate",
                                                     "[fe80::1]",
                                                     "-c",
                                                     "standalone-ha.xml",
                                                     "-u=230.0.0.9",
                                                     "-Dflag",
                                                     "-Dfrom.jvm=2",
                                                     "--admin-only"})),
                                     no_file);
  ASSERT_TRUE(server) << server.error().message;
  EXPECT_EQ(server->modules_jar, "/opt/wildfly/jboss-modules.jar");
  EXPECT_EQ(server->module, "org.jboss.as.standalone");
  EXPECT_EQ(server->module_paths,
            (std::vector<std::string>{"/opt/wildfly/modules", "/opt/extra/modules"}));
  EXPECT_EQ(server->server_config, "standalone-ha.xml");
  EXPECT_EQ(server->properties.at("jboss.home.dir"), "/opt/wildfly");
  EXPECT_EQ(server->properties.at("jboss.bind.address"), "0.0.0.0");
  EXPECT_EQ(server->properties.at("jboss.bind.address.management"), "127.0.0.1");
  EXPECT_EQ(server->properties.at("jboss.bind.address.private"), "fe80::1");
  EXPECT_EQ(server->properties.at("jboss.default.multicast.address"), "230.0.0.9");
  EXPECT_EQ(server->properties.at("flag"), "true");
  // Server arguments come after the JVM's -D options: they win.
  EXPECT_EQ(server->properties.at("from.jvm"), "2");
  EXPECT_EQ(server->property_sources.at("jboss.bind.address"), "server argument -b");
  EXPECT_EQ(server->server_arguments.size(), 12u);
}

TEST(JbossServerCommand, ServerConfigForms)
{
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"--server-config=standalone-full.xml"},
                                             {"--server-config", "standalone-full.xml"},
                                             {"-c=standalone-full.xml"}}) {
    auto server = parse_server_command(jvm(standalone(args)), no_file);
    ASSERT_TRUE(server) << server.error().message;
    EXPECT_EQ(server->server_config, "standalone-full.xml");
    EXPECT_FALSE(server->read_only_config);
  }
  auto read_only = parse_server_command(
      jvm(standalone({"--read-only-server-config=standalone-ro.xml"})), no_file);
  ASSERT_TRUE(read_only);
  EXPECT_EQ(read_only->server_config, "standalone-ro.xml");
  EXPECT_TRUE(read_only->read_only_config);
}

TEST(JbossServerCommand, PropertiesFileIsReadInOrder)
{
  std::vector<std::string> asked;
  auto reader = [&](const std::string& path) -> Result<std::string> {
    asked.push_back(path);
    return std::string(
        "# comment\njboss.socket.binding.port-offset = 100\njboss.bind.address=10.0.0.1\n");
  };
  auto server = parse_server_command(
      jvm(standalone({"-b", "0.0.0.0", "--properties=/srv/node.properties", "-Dlater=1"})), reader);
  ASSERT_TRUE(server) << server.error().message;
  EXPECT_EQ(asked, std::vector<std::string>{"/srv/node.properties"});
  EXPECT_EQ(server->properties.at("jboss.socket.binding.port-offset"), "100");
  // The file comes after -b: its value wins, as System.setProperty in order does.
  EXPECT_EQ(server->properties.at("jboss.bind.address"), "10.0.0.1");
  EXPECT_EQ(server->property_sources.at("jboss.socket.binding.port-offset"),
            "--properties /srv/node.properties:2");
  EXPECT_EQ(server->properties_files, std::vector<std::string>{"/srv/node.properties"});
  auto short_form = parse_server_command(jvm(standalone({"-P", "/srv/node.properties"})), reader);
  ASSERT_TRUE(short_form);
  EXPECT_EQ(short_form->properties.at("jboss.bind.address"), "10.0.0.1");
}

TEST(JbossServerCommand, BadArgumentsAreNamed)
{
  auto missing_value = parse_server_command(jvm(standalone({"-c"})), no_file);
  ASSERT_FALSE(missing_value);
  EXPECT_EQ(missing_value.error().code, ErrorCode::invalid_input);
  EXPECT_NE(missing_value.error().message.find("server argument -c lacks its value"),
            std::string::npos);

  auto missing_address = parse_server_command(jvm(standalone({"-bmanagement"})), no_file);
  ASSERT_FALSE(missing_address);
  EXPECT_NE(missing_address.error().message.find("-bmanagement lacks its address"),
            std::string::npos);

  auto unreadable =
      parse_server_command(jvm(standalone({"--properties=/gone.properties"})), no_file);
  ASSERT_FALSE(unreadable);
  EXPECT_EQ(unreadable.error().code, ErrorCode::not_found);
  EXPECT_NE(unreadable.error().message.find("--properties /gone.properties"), std::string::npos)
      << unreadable.error().message;

  auto no_module =
      parse_server_command(jvm({"java", "-jar", "/x/jboss-modules.jar", "-mp", "m"}), no_file);
  ASSERT_FALSE(no_module);
  EXPECT_NE(no_module.error().message.find("name no module"), std::string::npos);
}
