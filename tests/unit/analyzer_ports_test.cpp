// lib/decant/analyzer/ports.cpp: the one policy for "ports the configuration declares" against
// "sockets the process listens on" (docs/analysis-json.md, "Ports: configured vs listening").
#include <decant/analyzer/ports.hpp>

#include <gtest/gtest.h>

#include <test_support.hpp>

using namespace decant;

namespace {

TcpSocket
socket_on(const std::string& address, uint16_t port)
{
  TcpSocket s;
  s.local_address = address;
  s.local_port = port;
  s.state = TcpState::listen;
  return s;
}

DeclaredPort
declared(int64_t number,
         PortRole role,
         const std::string& address = "",
         const std::string& protocol = "tcp")
{
  DeclaredPort d;
  d.number = number;
  d.role = role;
  d.address = address;
  d.protocol = protocol;
  d.source = "server.xml:" + std::to_string(number);
  d.what = "Connector";
  return d;
}

// One port as the policy lists it, and the warnings it gives.
struct Expected {
  uint16_t port;
  std::string address;
  PortRole role;
  bool expose;
  bool listening;
  std::string source; // "socket" or the declared source
};

struct Case {
  const char* name;
  std::vector<DeclaredPort> declared;
  std::vector<TcpSocket> sockets;
  std::vector<ToolingPort> tooling;
  std::vector<Expected> ports;
  std::vector<std::string> warnings; // codes, in order
};

class Policy : public ::testing::Test
{
protected:
  Analysis
  run(const Case& c, bool open_files = true)
  {
    ProcessInfo process;
    process.pid = 42;
    process.listening = c.sockets;
    if (open_files) {
      process.open_files.push_back({3, "socket:[1]", 0, true, false, 1});
    }
    Analysis a;
    reconcile_ports(a, *m_root, process, c.declared, c.tooling, "server.xml");
    return a;
  }

  void
  check(const Case& c, const Analysis& a)
  {
    SCOPED_TRACE(c.name);
    ASSERT_EQ(a.ports.size(), c.ports.size());
    for (size_t i = 0; i < c.ports.size(); ++i) {
      const auto& want = c.ports[i];
      const auto& got = a.ports[i];
      EXPECT_EQ(got.port, want.port) << i;
      EXPECT_EQ(got.address, want.address) << i;
      EXPECT_EQ(got.role, want.role) << i;
      EXPECT_EQ(got.expose, want.expose) << i;
      EXPECT_EQ(got.listening, want.listening) << i;
      EXPECT_EQ(got.source, want.source) << i;
    }
    std::vector<std::string> codes;
    for (const auto& w : a.warnings) {
      codes.push_back(w.code);
    }
    EXPECT_EQ(codes, c.warnings);
  }

  test::TempDir m_dir;
  std::optional<HostRoot> m_root = HostRoot::open(m_dir.path()).value();
};

} // namespace

TEST_F(Policy, TableOfCases)
{
  const auto http = PortRole::http;
  const auto other = PortRole::other;
  const auto mgmt = PortRole::management;
  const Case cases[] = {
      {"declared and listening: exposed by role",
       {declared(8080, http)},
       {socket_on("0.0.0.0", 8080), socket_on("::", 8080)},
       {},
       {{8080, "", http, true, true, "server.xml:8080"}},
       {}},
      {"declared, not listening: kept and exposed, warned",
       {declared(8443, PortRole::https)},
       {socket_on("0.0.0.0", 8080)},
       {},
       {{8443, "", PortRole::https, true, false, "server.xml:8443"},
        {8080, "", other, true, true, "socket"}},
       {"port-not-listening", "port-unconfigured"}},
      {"shutdown, management and txn roles are never exposed, nor warned when not listening",
       {declared(8005, PortRole::shutdown, "localhost"),
        declared(9990, mgmt, "127.0.0.1"),
        declared(4712, PortRole::txn)},
       {socket_on("127.0.0.1", 9990)},
       {},
       {{8005, "localhost", PortRole::shutdown, false, false, "server.xml:8005"},
        {9990, "127.0.0.1", mgmt, false, true, "server.xml:9990"},
        {4712, "", PortRole::txn, false, false, "server.xml:4712"}},
       {}},
      {"a serving port left on loopback is not exposed",
       {declared(8081, http, "127.0.0.1"), declared(8082, http, "[::1]")},
       {socket_on("127.0.0.1", 8081), socket_on("::1", 8082)},
       {},
       {{8081, "127.0.0.1", http, false, true, "server.xml:8081"},
        {8082, "[::1]", http, false, true, "server.xml:8082"}},
       {}},
      {"UDP: listed, never exposed, no socket check",
       {declared(55200, other, "", "udp")},
       {},
       {},
       {{55200, "", other, false, false, "server.xml:55200"}},
       {}},
      {"ephemeral, disabled and out-of-range declarations are not listed",
       {declared(0, http),
        declared(-1, http),
        declared(70000, http),
        declared(0, other, "", "udp")},
       {},
       {},
       {},
       {"dynamic-port", "port-disabled", "invalid-port"}},
      {"the same number twice: one entry; a different role is a conflict",
       {declared(8080, http), declared(8080, http, "127.0.0.1"), declared(8080, PortRole::ajp)},
       {socket_on("0.0.0.0", 8080)},
       {},
       {{8080, "", http, true, true, "server.xml:8080"}},
       {"port-conflict"}},
      {"an unknown socket on all interfaces is exposed as seen",
       {},
       {socket_on("::", 7000), socket_on("0.0.0.0", 7000)},
       {},
       {{7000, "", other, true, true, "socket"}},
       {"port-unconfigured"}},
      {"an unknown socket on a host address keeps it and is exposed",
       {},
       {socket_on("10.0.0.5", 7001)},
       {},
       {{7001, "10.0.0.5", other, true, true, "socket"}},
       {"port-unconfigured"}},
      {"an unknown loopback socket is not exposed",
       {},
       {socket_on("127.0.0.1", 7002)},
       {},
       {{7002, "127.0.0.1", other, false, true, "socket"}},
       {"port-unconfigured"}},
      {"an unknown socket in the ephemeral range is not exposed",
       {},
       {socket_on("0.0.0.0", 41234)},
       {},
       {{41234, "", other, false, true, "socket"}},
       {"port-unconfigured"}},
      {"JMX and a debugger named by the command line: management, not exposed",
       {declared(8080, http)},
       {socket_on("0.0.0.0", 8080), socket_on("0.0.0.0", 9010), socket_on("0.0.0.0", 8787)},
       {{9010, mgmt, "JMX (-Dcom.sun.management.jmxremote.port)"},
        {8787, mgmt, "JDWP (-agentlib:jdwp)"}},
       {{8080, "", http, true, true, "server.xml:8080"},
        {8787, "", mgmt, false, true, "socket"},
        {9010, "", mgmt, false, true, "socket"}},
       {"port-unconfigured", "port-unconfigured"}},
      {"the socket of an ephemeral declaration shows up as unconfigured",
       {declared(0, http)},
       {socket_on("0.0.0.0", 45678)},
       {},
       {{45678, "", other, false, true, "socket"}},
       {"dynamic-port", "port-unconfigured"}},
  };
  for (const auto& c : cases) {
    check(c, run(c));
  }
}

TEST_F(Policy, UnreadableOpenFilesGiveOneWarningNotOnePerPort)
{
  Case c{"sockets unknown",
         {declared(8080, PortRole::http), declared(8443, PortRole::https)},
         {},
         {},
         {{8080, "", PortRole::http, true, false, "server.xml:8080"},
          {8443, "", PortRole::https, true, false, "server.xml:8443"}},
         {"sockets-unknown"}};
  check(c, run(c, false));
}

TEST_F(Policy, EphemeralRangeIsTheHosts)
{
  m_dir.write("proc/sys/net/ipv4/ip_local_port_range", "10000\t20000\n");
  m_root = HostRoot::open(m_dir.path()).value();
  Case c{"narrow range",
         {},
         {socket_on("0.0.0.0", 15000), socket_on("0.0.0.0", 41234)},
         {},
         {{15000, "", PortRole::other, false, true, "socket"},
          {41234, "", PortRole::other, true, true, "socket"}},
         {"port-unconfigured", "port-unconfigured"}};
  check(c, run(c));
}

TEST_F(Policy, MessagesNameTheDeclarationAndTheReason)
{
  Case c{"messages", {declared(8443, PortRole::https)}, {socket_on("0.0.0.0", 9000)}, {}, {}, {}};
  auto a = run(c);
  ASSERT_EQ(a.warnings.size(), 2u);
  EXPECT_NE(a.warnings[0].message.find("Connector (server.xml:8443) gives port 8443"),
            std::string::npos)
      << a.warnings[0].message;
  EXPECT_NE(a.warnings[1].message.find("listens on port 9000, which server.xml does not declare"),
            std::string::npos)
      << a.warnings[1].message;
  EXPECT_NE(a.warnings[1].message.find("exposed as the source served it"), std::string::npos);
}

TEST(LoopbackAddress, EveryWayToWriteIt)
{
  for (const char* address : {"127.0.0.1",
                              "127.1.2.3",
                              "::1",
                              "[::1]",
                              "0:0:0:0:0:0:0:1",
                              "localhost",
                              "LocalHost",
                              "ip6-localhost",
                              "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(is_loopback_address(address)) << address;
  }
  for (const char* address : {"", "0.0.0.0", "::", "10.0.0.5", "128.0.0.1", "localhost.example"}) {
    EXPECT_FALSE(is_loopback_address(address)) << address;
  }
}
