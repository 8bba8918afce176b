#include "java/jvm.hpp"

#include <decant/analyzer/common.hpp>

#include <gtest/gtest.h>

using namespace decant;
using namespace decant::java;

TEST(JvmCommand, TomcatShape)
{
  auto command = parse_jvm_command(
      {"/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
       "-Djava.util.logging.config.file=/var/lib/tomcat10/conf/logging.properties",
       "-Xms256m",
       "-Xmx1g",
       "-XX:MaxRAMPercentage=75.0",
       "--add-opens=java.base/java.lang=ALL-UNNAMED",
       "-javaagent:/opt/agent/agent.jar=opt=1",
       "-classpath",
       "/usr/share/tomcat10/bin/bootstrap.jar:/usr/share/tomcat10/bin/tomcat-juli.jar",
       "-Dcatalina.base=/var/lib/tomcat10",
       "-Dflag",
       "org.apache.catalina.startup.Bootstrap",
       "start"});
  ASSERT_TRUE(command) << command.error().message;
  EXPECT_EQ(command->main_class, "org.apache.catalina.startup.Bootstrap");
  EXPECT_EQ(command->arguments, std::vector<std::string>{"start"});
  EXPECT_EQ(command->classpath.size(), 2u);
  EXPECT_EQ(command->system_properties["catalina.base"], "/var/lib/tomcat10");
  EXPECT_EQ(command->system_properties["flag"], "");
  EXPECT_EQ(*command->max_heap_bytes, 1024ull * 1024 * 1024);
  EXPECT_EQ(*command->initial_heap_bytes, 256ull * 1024 * 1024);
  EXPECT_DOUBLE_EQ(*command->max_ram_percentage, 75.0);
  EXPECT_EQ(command->agents, std::vector<std::string>{"/opt/agent/agent.jar"});
}

TEST(JvmCommand, JarAndModuleForms)
{
  auto jar = parse_jvm_command({"java",
                                "-D[Standalone]",
                                "-jar",
                                "/opt/wildfly/jboss-modules.jar",
                                "-mp",
                                "/opt/wildfly/modules",
                                "org.jboss.as.standalone",
                                "-b",
                                "0.0.0.0"});
  ASSERT_TRUE(jar);
  EXPECT_EQ(jar->jar, "/opt/wildfly/jboss-modules.jar");
  EXPECT_EQ(jar->arguments.size(), 5u);
  EXPECT_EQ(jar->arguments[2], "org.jboss.as.standalone");
  auto module = parse_jvm_command({"java", "-p", "mods", "-m", "app/app.Main", "x"});
  ASSERT_TRUE(module);
  EXPECT_EQ(module->module, "app/app.Main");
  EXPECT_EQ(module->arguments, std::vector<std::string>{"x"});
}

TEST(JvmCommand, Malformed)
{
  EXPECT_FALSE(parse_jvm_command({}));
  EXPECT_FALSE(parse_jvm_command({"java", "-Xmx1g"}));
  EXPECT_FALSE(parse_jvm_command({"java", "-jar"}));
  EXPECT_FALSE(parse_jvm_command({"java", "-cp"}));
  EXPECT_FALSE(parse_jvm_command({"java", "-XX:MaxRAMPercentage=lots", "Main"}));
}

TEST(Jvm, MemorySizesAndJavaHome)
{
  EXPECT_EQ(parse_memory_size("512m"), 512ull << 20);
  EXPECT_EQ(parse_memory_size("2G"), 2ull << 30);
  EXPECT_EQ(parse_memory_size("1024k"), 1ull << 20);
  EXPECT_EQ(parse_memory_size("4096"), 4096u);
  EXPECT_FALSE(parse_memory_size("lots"));
  EXPECT_FALSE(parse_memory_size(""));
  EXPECT_EQ(java_home_from_exe("/usr/lib/jvm/java-17-openjdk-amd64/bin/java"),
            "/usr/lib/jvm/java-17-openjdk-amd64");
  EXPECT_EQ(java_home_from_exe("/usr/lib/jvm/jdk8/jre/bin/java"), "/usr/lib/jvm/jdk8/jre");
}

TEST(Properties, JavaPropertiesSyntax)
{
  auto props = parse_properties("# comment\n! also\nplain=1\nspaced = two words\ncolon:3\n"
                                "white space\nmulti=a,\\\n    b\nunicode=\\u00e9t\\u00E9\n"
                                "escaped\\=key=v\n");
  EXPECT_EQ(props["plain"].value, "1");
  EXPECT_EQ(props["plain"].line, 3);
  EXPECT_EQ(props["spaced"].value, "two words");
  EXPECT_EQ(props["colon"].value, "3");
  EXPECT_EQ(props["white"].value, "space");
  EXPECT_EQ(props["multi"].value, "a,b");
  EXPECT_EQ(props["unicode"].value, "\xc3\xa9t\xc3\xa9");
  EXPECT_EQ(props["escaped=key"].value, "v");
  EXPECT_EQ(props.count("comment"), 0u);
}

TEST(Placeholders, TomcatAndJBossForms)
{
  std::map<std::string, std::string> values{
      {"http.port", "8080"}, {"offset", "${base}"}, {"base", "100"}};
  PropertyLookup lookup = [&](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  EXPECT_EQ(*expand_placeholders("${http.port}", lookup), "8080");
  EXPECT_EQ(*expand_placeholders("port ${http.port}/${offset}", lookup), "port 8080/100");
  auto undefined = expand_placeholders("${nope}", lookup);
  ASSERT_FALSE(undefined);
  EXPECT_NE(undefined.error().message.find("nope"), std::string::npos);
  EXPECT_EQ(*expand_placeholders("${jboss.http.port:8080}", lookup, true), "8080");
  EXPECT_EQ(*expand_placeholders("${a,http.port:1}", lookup, true), "8080");
  EXPECT_EQ(*expand_placeholders("${a:${b:${base}}}", lookup, true), "100");
  EXPECT_FALSE(expand_placeholders("${unterminated", lookup, true));
  // Without defaults, "a:b" is one name (Tomcat has no default syntax).
  EXPECT_FALSE(expand_placeholders("${x:1}", lookup));
}

TEST(Secrets, NamesThatLookSecret)
{
  for (const char* name : {"DB_PASSWORD",
                           "javax.net.ssl.keyStorePassword",
                           "API_TOKEN",
                           "AWS_SECRET_ACCESS_KEY",
                           "db.pwd",
                           "SSL_KEY",
                           "ConnectionStrings__Pass"}) {
    EXPECT_TRUE(looks_secret(name)) << name;
  }
  for (const char* name :
       {"PWD", "OLDPWD", "PATH", "JAVA_HOME", "KEYBOARD_LAYOUT", "MONKEY", "LANG"}) {
    EXPECT_FALSE(looks_secret(name)) << name;
  }
}
