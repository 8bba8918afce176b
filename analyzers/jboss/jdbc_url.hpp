#pragma once

// Host and port of the database a JDBC URL points at, for `dependencies`. Embedded databases
// (jdbc:h2:mem:, jdbc:h2:file:, jdbc:derby:dir, jdbc:hsqldb:file:) have none.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace decant::jboss {

struct JdbcEndpoint {
  std::string host;
  uint16_t port = 0;
  std::string vendor; // "mysql", "postgresql", "oracle", ...
};

// The endpoints of a JDBC URL: jdbc:mysql://h1:3306,h2/db, jdbc:postgresql://h/db,
// jdbc:mariadb://, jdbc:sqlserver://h:1433;databaseName=x, jdbc:oracle:thin:@h:1521:SID,
// jdbc:oracle:thin:@//h:1521/svc, jdbc:db2://h:50000/db, jdbc:h2:tcp://h:9092/db,
// jdbc:derby://h:1527/db. The vendor's default port when the URL has none. Empty for embedded
// databases and URLs it does not understand.
std::vector<JdbcEndpoint> parse_jdbc_url(std::string_view url);

} // namespace decant::jboss
