#pragma once

// The server a connection string points at, for analysis.json `dependencies`: ADO.NET
// key=value lists (SQL Server, PostgreSQL/Npgsql, MySQL), URLs (mongodb://, redis://,
// amqp://, postgres://) and StackExchange.Redis "host:port,option=value" lists.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace decant::aspnet {

struct ConnectionTarget {
  std::string host;
  uint16_t port = 0; // 0 when the connection string gives none and the kind is unknown
  std::string kind;  // "sqlserver", "postgresql", "mysql", "mongodb", "redis", "amqp", ...
};

// nullopt when no remote host can be found (SQLite "Data Source=app.db", LocalDB, a bare name).
std::optional<ConnectionTarget> parse_connection_string(std::string_view text);

} // namespace decant::aspnet
