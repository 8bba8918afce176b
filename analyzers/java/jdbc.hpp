#pragma once

// JDBC URLs as data sources name them (Tomcat <Resource url="...">, JBoss <connection-url>):
// the database servers an application depends on.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace decant::java {

struct JdbcEndpoint {
  std::string vendor; // "postgresql", "mysql", "oracle", ... (the URL's subprotocol)
  std::string host;
  uint16_t port = 0; // the vendor's default port when the URL names none
};

// The servers a JDBC URL connects to: jdbc:postgresql://db:5432/x, jdbc:mysql://a,b:3307/x,
// jdbc:oracle:thin:@host:1521:SID, jdbc:oracle:thin:@//host/service,
// jdbc:oracle:thin:@(DESCRIPTION=...(HOST=h)(PORT=p)...), jdbc:sqlserver://h\inst:1433;db=x,
// jdbc:db2://h:50000/x, jdbc:h2:tcp://h/~/x, jdbc:derby://h:1527/x. Embedded databases
// (jdbc:h2:mem:, jdbc:h2:file:, jdbc:derby:x, jdbc:hsqldb:file:, jdbc:sqlite:) have no endpoint:
// empty result. Not a JDBC URL: nullopt.
std::optional<std::vector<JdbcEndpoint>> parse_jdbc_url(std::string_view url);

} // namespace decant::java
