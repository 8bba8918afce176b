// analyzers/java/tooling_ports.cpp: the JMX and JDWP ports a JVM's command line opens.
#include <gtest/gtest.h>

#include <java/tooling_ports.hpp>

using namespace decant;

namespace {

std::vector<std::pair<uint16_t, std::string>>
ports_of(const std::vector<std::string>& options)
{
  std::vector<std::string> argv{"/usr/bin/java"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back("org.apache.catalina.startup.Bootstrap");
  auto jvm = java::parse_jvm_command(argv);
  EXPECT_TRUE(jvm) << jvm.error().message;
  std::vector<std::pair<uint16_t, std::string>> out;
  for (const auto& p : java::tooling_ports(*jvm)) {
    EXPECT_EQ(p.role, PortRole::management);
    out.emplace_back(p.port, p.name);
  }
  return out;
}

} // namespace

TEST(ToolingPorts, JmxPortAndRmiPort)
{
  EXPECT_EQ(ports_of({"-Dcom.sun.management.jmxremote.port=9010",
                      "-Dcom.sun.management.jmxremote.rmi.port=9011"}),
            (std::vector<std::pair<uint16_t, std::string>>{
                {9010, "JMX (-Dcom.sun.management.jmxremote.port)"},
                {9011, "JMX (-Dcom.sun.management.jmxremote.rmi.port)"}}));
}

TEST(ToolingPorts, JdwpServerAddressesInEveryForm)
{
  EXPECT_EQ(ports_of({"-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=*:5005"}),
            (std::vector<std::pair<uint16_t, std::string>>{{5005, "JDWP (-agentlib:jdwp)"}}));
  EXPECT_EQ(ports_of({"-agentlib:jdwp=transport=dt_socket,address=8787,server=y,suspend=n"}),
            (std::vector<std::pair<uint16_t, std::string>>{{8787, "JDWP (-agentlib:jdwp)"}}));
  EXPECT_EQ(ports_of({"-Xdebug", "-Xrunjdwp:transport=dt_socket,server=y,address=localhost:8000"}),
            (std::vector<std::pair<uint16_t, std::string>>{{8000, "JDWP (-Xrunjdwp)"}}));
}

TEST(ToolingPorts, NothingForClientAgentsOrBadNumbers)
{
  // server=n (the default) connects out to a debugger: no listening port.
  EXPECT_TRUE(ports_of({"-agentlib:jdwp=transport=dt_socket,address=debughost:5005"}).empty());
  EXPECT_TRUE(ports_of({"-Dcom.sun.management.jmxremote.port=${JMX_PORT}",
                        "-Dcom.sun.management.jmxremote.rmi.port=70000",
                        "-agentlib:jdwp=transport=dt_socket,server=y,address=0"})
                  .empty());
}
