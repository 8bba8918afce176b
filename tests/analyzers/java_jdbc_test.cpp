// JDBC URLs to database endpoints (analyzers/java/jdbc.cpp): one table of real URL shapes per
// vendor, embedded databases without endpoints, and what is not a JDBC URL.
#include "java/jdbc.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace decant::java;

namespace {

struct Expected {
  std::string host;
  uint16_t port;
};

struct Case {
  const char* url;
  const char* vendor;
  std::vector<Expected> endpoints;
};

} // namespace

TEST(ParseJdbcUrl, ServersOfEachVendor)
{
  const Case cases[] = {
      {"jdbc:postgresql://db.example.com:5433/shop", "postgresql", {{"db.example.com", 5433}}},
      {"jdbc:postgresql://db/shop?ssl=true", "postgresql", {{"db", 5432}}},
      {"jdbc:postgresql://a:5432,b:5433/shop", "postgresql", {{"a", 5432}, {"b", 5433}}},
      {"jdbc:mysql://mysql:3307/app?useSSL=false", "mysql", {{"mysql", 3307}}},
      {"jdbc:mysql:loadbalance://m1,m2:3310/app", "mysql", {{"m1", 3306}, {"m2", 3310}}},
      {"jdbc:mariadb://user:pw@maria/app", "mariadb", {{"maria", 3306}}},
      {"jdbc:oracle:thin:@ora.example.com:1522:ORCL", "oracle", {{"ora.example.com", 1522}}},
      {"jdbc:oracle:thin:@//ora:1521/service", "oracle", {{"ora", 1521}}},
      {"jdbc:oracle:thin:@(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=o1)(PORT=1530))"
       "(ADDRESS=(PROTOCOL=TCP)(HOST=o2))(CONNECT_DATA=(SERVICE_NAME=s)))",
       "oracle",
       {{"o1", 1530}, {"o2", 1521}}},
      {"jdbc:sqlserver://sql\\INST;databaseName=x", "sqlserver", {{"sql", 1433}}},
      {"jdbc:sqlserver://sql:14330;databaseName=x", "sqlserver", {{"sql", 14330}}},
      {"jdbc:db2://db2:50001/SAMPLE", "db2", {{"db2", 50001}}},
      {"jdbc:h2:tcp://h2host/~/test", "h2", {{"h2host", 9092}}},
      {"jdbc:derby://derby:1528/db;create=true", "derby", {{"derby", 1528}}},
      {"jdbc:hsqldb:hsql://hs/xdb", "hsqldb", {{"hs", 9001}}},
      {"jdbc:postgresql://[::1]:5432/x", "postgresql", {{"::1", 5432}}},
      {"  JDBC:postgresql://db/x", "postgresql", {{"db", 5432}}},
  };
  for (const auto& c : cases) {
    auto endpoints = parse_jdbc_url(c.url);
    ASSERT_TRUE(endpoints) << c.url;
    ASSERT_EQ(endpoints->size(), c.endpoints.size()) << c.url;
    for (size_t i = 0; i < c.endpoints.size(); ++i) {
      EXPECT_EQ((*endpoints)[i].vendor, c.vendor) << c.url;
      EXPECT_EQ((*endpoints)[i].host, c.endpoints[i].host) << c.url;
      EXPECT_EQ((*endpoints)[i].port, c.endpoints[i].port) << c.url;
    }
  }
}

TEST(ParseJdbcUrl, EmbeddedDatabasesHaveNoEndpoint)
{
  for (const char* url : {"jdbc:h2:mem:test",
                          "jdbc:h2:file:/var/lib/app/db",
                          "jdbc:derby:memory:db;create=true",
                          "jdbc:hsqldb:file:/data/x",
                          "jdbc:sqlite:/var/lib/app.db"}) {
    auto endpoints = parse_jdbc_url(url);
    ASSERT_TRUE(endpoints) << url;
    EXPECT_TRUE(endpoints->empty()) << url;
  }
}

TEST(ParseJdbcUrl, NotJdbc)
{
  for (const char* url : {"", "postgresql://db/x", "http://example.com/", "jdbc:", "jdbcx"}) {
    EXPECT_FALSE(parse_jdbc_url(url)) << url;
  }
}
