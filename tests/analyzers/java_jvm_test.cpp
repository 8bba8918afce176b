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

// What the options make the JVM load, which the JDK trimming keeps: read from the JVM options
// only, never from the class path value or the application's arguments.
TEST(JvmCommand, UsageFactsComeFromTheJvmOptionsOnly)
{
  auto usage = parse_jvm_command({"java",
                                  "-agentlib:jdwp=transport=dt_socket,server=y",
                                  "--add-modules",
                                  "jdk.incubator.vector,java.se",
                                  "--add-modules=jdk.jsobject",
                                  "-XX:+UseJVMCICompiler",
                                  "-cp",
                                  "--add-modules=jdk.not.an.option",
                                  "com.acme.Main",
                                  "-Xdebug"});
  ASSERT_TRUE(usage) << usage.error().message;
  EXPECT_TRUE(usage->debugger);
  EXPECT_TRUE(usage->jvmci);
  EXPECT_EQ(usage->add_modules,
            (std::vector<std::string>{"jdk.incubator.vector", "java.se", "jdk.jsobject"}));
  auto plain = parse_jvm_command({"java", "-Xmx2g", "-cp", "-Xdebug", "Main", "-Xdebug"});
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->debugger); // "-Xdebug" as the class path value or an application argument
  EXPECT_FALSE(plain->large_heap());
  auto after_jar = parse_jvm_command({"java", "-Xmx1g", "-jar", "app.jar", "-agentlib:jdwp"});
  ASSERT_TRUE(after_jar);
  EXPECT_FALSE(after_jar->debugger);
  EXPECT_FALSE(after_jar->jvmci);
  EXPECT_TRUE(parse_jvm_command({"java", "-Xrunjdwp:transport=dt_socket", "Main"})->debugger);

  auto large = [](std::vector<std::string> argv) {
    auto command = parse_jvm_command(argv);
    return command && command->large_heap();
  };
  EXPECT_TRUE(large({"java", "-Xms1g", "-Xmx48g", "-jar", "app.jar"}));
  EXPECT_TRUE(large({"java", "-XX:MaxHeapSize=32768m", "Main"}));
  EXPECT_TRUE(large({"java", "-XX:-UseCompressedOops", "Main"}));
  EXPECT_FALSE(large({"java", "-XX:-UseCompressedOops", "-XX:+UseCompressedOops", "Main"}));
  EXPECT_FALSE(large({"java", "-Xmx31g", "Main"}));
  EXPECT_FALSE(large({"java", "-Xmxlots", "Main"}));
  // Beyond 64 bits: no size (the JVM refuses it too), never a wrapped small one.
  EXPECT_FALSE(parse_memory_size("99999999999999999999999g"));
  EXPECT_FALSE(parse_memory_size("99999999999999g"));
}

// JAVA_TOOL_OPTIONS and JDK_JAVA_OPTIONS are options the JVM takes too; the command line's win.
TEST(JvmCommand, EffectiveOptionsIncludeTheEnvironment)
{
  ProcessInfo process;
  process.environ = {{"JAVA_TOOL_OPTIONS", "-agentlib:jdwp=transport=dt_socket -Xmx64g"}};
  auto command = parse_jvm_command({"java", "-Xmx1g", "Main"});
  ASSERT_TRUE(command);
  auto options = effective_jvm_options(process, *command);
  EXPECT_TRUE(options.debugger);
  EXPECT_EQ(options.max_heap_bytes, 1ull << 30);
  EXPECT_FALSE(options.large_heap());
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

TEST(JvmHeap, ErgonomicsOfTheDefaultHeap)
{
  const uint64_t mib = 1024ull * 1024;
  const uint64_t gib = 1024 * mib;
  auto heap =
      [](uint64_t physical, std::optional<uint64_t> cgroup, std::vector<std::string> options) {
        options.insert(options.begin(), "java");
        options.push_back("Main");
        nlohmann::json steps;
        return ergonomic_max_heap(physical, cgroup, *parse_jvm_command(options), steps);
      };
  // This machine's OpenJDK 17: MemTotal 25276502016 -> MaxHeapSize 6320816128.
  EXPECT_EQ(heap(25276502016ull, std::nullopt, {}), 6320816128ull);
  // 1 GiB cgroup limit -> 256 MiB (java -XX:+PrintFlagsFinal in a 1 GiB memory cgroup).
  EXPECT_EQ(heap(25276502016ull, gib, {}), 256 * mib);
  EXPECT_EQ(heap(25276502016ull, gib, {"-XX:-UseContainerSupport"}), 6320816128ull);
  EXPECT_EQ(heap(8 * gib, std::nullopt, {"-XX:MaxRAM=1g"}), 256 * mib);
  EXPECT_EQ(heap(8 * gib, std::nullopt, {"-XX:MaxRAMPercentage=50.0"}), 4 * gib);
  EXPECT_EQ(heap(8 * gib, std::nullopt, {"-XX:MaxRAMFraction=2"}), 4 * gib);
  // Small memory: MinRAMPercentage (50) of it.
  EXPECT_EQ(heap(200 * mib, std::nullopt, {}), 100 * mib);
  // Large memory: MaxRAM's 128 GiB default, then the compressed-oops cap.
  EXPECT_EQ(heap(512 * gib, std::nullopt, {}), 30 * gib);
}

TEST(JvmHeap, OptionForTheImage)
{
  EXPECT_EQ(max_heap_option(6320816128ull), "-Xmx6028m");
  EXPECT_EQ(max_heap_option(1024 * 1024 + 1024), "-Xmx1025k");
  EXPECT_EQ(max_heap_option(1000001), "-Xmx1000001");
  std::vector<std::string> argv = {"/usr/bin/java", "-Dx=1", "-cp", "a.jar", "Main", "start"};
  insert_jvm_options(argv, {"-Xmx512m"});
  EXPECT_EQ(argv,
            (std::vector<std::string>{
                "/usr/bin/java", "-Dx=1", "-cp", "a.jar", "-Xmx512m", "Main", "start"}));
  std::vector<std::string> jar = {"java", "-jar", "app.jar"};
  insert_jvm_options(jar, {"-Xmx1g"});
  EXPECT_EQ(jar, (std::vector<std::string>{"java", "-Xmx1g", "-jar", "app.jar"}));
  std::vector<std::string> not_java = {"sh", "-c"};
  insert_jvm_options(not_java, {"-Xmx1g"});
  EXPECT_EQ(not_java.size(), 2u);
}

TEST(Jsvc, OptionsSplitBetweenJsvcAndTheJvm)
{
  auto jsvc = parse_jsvc_command({"jsvc.exec",
                                  "-java-home",
                                  "/usr/lib/jvm/java-17-openjdk-amd64",
                                  "-user",
                                  "tomcat",
                                  "-pidfile",
                                  "/run/t.pid",
                                  "-wait",
                                  "10",
                                  "-nodetach",
                                  "-umask",
                                  "0027",
                                  "-outfile",
                                  "/var/log/t/catalina.out",
                                  "-errfile",
                                  "&1",
                                  "-cp",
                                  "/t/bin/bootstrap.jar:/t/bin/commons-daemon.jar",
                                  "-Dcatalina.base=/t",
                                  "-Xmx1g",
                                  "-XX:+UseG1GC",
                                  "-ea",
                                  "-javaagent:/opt/agent.jar=x",
                                  "--add-opens=java.base/java.lang=ALL-UNNAMED",
                                  "org.apache.catalina.startup.Bootstrap",
                                  "-config",
                                  "conf/other.xml"});
  ASSERT_TRUE(jsvc) << jsvc.error().message;
  EXPECT_EQ(jsvc->java_home, "/usr/lib/jvm/java-17-openjdk-amd64");
  EXPECT_EQ(jsvc->user, "tomcat");
  EXPECT_EQ(jsvc->umask, "0027");
  EXPECT_EQ(jsvc->outfile, "/var/log/t/catalina.out");
  EXPECT_EQ(jsvc->jvm.main_class, "org.apache.catalina.startup.Bootstrap");
  EXPECT_EQ(jsvc->jvm.arguments, (std::vector<std::string>{"-config", "conf/other.xml"}));
  EXPECT_EQ(jsvc->jvm.classpath,
            (std::vector<std::string>{"/t/bin/bootstrap.jar", "/t/bin/commons-daemon.jar"}));
  EXPECT_EQ(jsvc->jvm.max_heap_bytes, 1024ull << 20);
  EXPECT_EQ(jsvc->jvm.system_properties.at("catalina.base"), "/t");
  EXPECT_EQ(jsvc->jvm.agents, std::vector<std::string>{"/opt/agent.jar"});
  EXPECT_EQ(jsvc->jvm.java, "/usr/lib/jvm/java-17-openjdk-amd64/bin/java");
  EXPECT_EQ(java_argv(jsvc->jvm),
            (std::vector<std::string>{"/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
                                      "-classpath",
                                      "/t/bin/bootstrap.jar:/t/bin/commons-daemon.jar",
                                      "-Dcatalina.base=/t",
                                      "-Xmx1g",
                                      "-XX:+UseG1GC",
                                      "-ea",
                                      "-javaagent:/opt/agent.jar=x",
                                      "--add-opens=java.base/java.lang=ALL-UNNAMED",
                                      "org.apache.catalina.startup.Bootstrap",
                                      "-config",
                                      "conf/other.xml"}));
  EXPECT_EQ(jsvc->dropped.size(),
            8u); // -java-home -user -pidfile -wait -nodetach -umask -outfile -errfile
}

TEST(Jsvc, WhatJsvcItselfRefuses)
{
  EXPECT_FALSE(parse_jsvc_command({}));
  EXPECT_FALSE(parse_jsvc_command({"jsvc", "-user"}));           // no value
  EXPECT_FALSE(parse_jsvc_command({"jsvc", "-user", "tomcat"})); // no class
  EXPECT_FALSE(parse_jsvc_command({"jsvc", "-bogus", "Main"}));  // unknown option
  auto bad = parse_jsvc_command({"jsvc", "-frobnicate", "Main"});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("-frobnicate"), std::string::npos);
}

TEST(Jsvc, JavaHomeFromTheMappedJvm)
{
  ProcessInfo p;
  p.exe = "/usr/bin/jsvc";
  p.cmdline = {"jsvc.exec", "-home", "/wrong", "Main"};
  auto map = [](const std::string& path) {
    MapsEntry e;
    e.path = path;
    e.inode = 42; // a file, not an anonymous mapping
    return e;
  };
  p.maps = {map("/usr/lib/jvm/java-8-openjdk-amd64/jre/lib/amd64/server/libjvm.so")};
  EXPECT_EQ(java_home_of(p), "/usr/lib/jvm/java-8-openjdk-amd64/jre");
  p.maps = {map("/usr/lib/jvm/java-21-openjdk-amd64/lib/server/libjvm.so")};
  EXPECT_EQ(java_home_of(p), "/usr/lib/jvm/java-21-openjdk-amd64");
  p.maps.clear(); // the controller: no JVM mapped, -home says where
  EXPECT_EQ(java_home_of(p), "/wrong");
  EXPECT_TRUE(is_jsvc(p));
  ProcessInfo java;
  java.exe = "/usr/lib/jvm/x/bin/java";
  java.cmdline = {"java", "Main"};
  EXPECT_FALSE(is_jsvc(java));
  EXPECT_EQ(java_home_of(java), "/usr/lib/jvm/x");
}
