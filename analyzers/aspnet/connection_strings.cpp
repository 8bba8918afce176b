#include "connection_strings.hpp"

#include "configuration.hpp"

#include <decant/util/strings.hpp>

#include <map>

namespace decant::aspnet {

namespace {

std::optional<ConnectionTarget>
from_url(std::string_view text)
{
  auto scheme_end = text.find("://");
  std::string scheme = to_lower(text.substr(0, scheme_end));
  static const std::map<std::string, std::pair<std::string, uint16_t>> k_schemes = {
      {"mongodb", {"mongodb", 27017}},
      {"mongodb+srv", {"mongodb", 0}},
      {"redis", {"redis", 6379}},
      {"rediss", {"redis", 6380}},
      {"amqp", {"amqp", 5672}},
      {"amqps", {"amqp", 5671}},
      {"postgres", {"postgresql", 5432}},
      {"postgresql", {"postgresql", 5432}},
      {"mysql", {"mysql", 3306}},
      {"http", {"http", 80}},
      {"https", {"https", 443}},
  };
  ConnectionTarget target;
  auto known = k_schemes.find(scheme);
  target.kind = known == k_schemes.end() ? scheme : known->second.first;
  target.port = known == k_schemes.end() ? 0 : known->second.second;
  std::string_view authority = text.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  authority = authority.substr(0, authority.find(',')); // first host of a replica set
  std::string_view host = authority;
  if (starts_with(authority, "[")) {
    auto close = authority.find(']');
    host = authority.substr(0, close + 1);
    authority.remove_prefix(std::min(authority.size(), close + 1));
    if (starts_with(authority, ":")) {
      target.port = static_cast<uint16_t>(parse_u64(authority.substr(1)).value_or(target.port));
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    target.port =
        static_cast<uint16_t>(parse_u64(authority.substr(colon + 1)).value_or(target.port));
  }
  target.host = std::string(host);
  if (target.host.empty()) {
    return std::nullopt;
  }
  return target;
}

} // namespace

std::optional<ConnectionTarget>
parse_connection_string(std::string_view text)
{
  text = trim(text);
  if (text.find("://") != std::string_view::npos && text.find('=') > text.find("://")) {
    return from_url(text);
  }
  // StackExchange.Redis: "cache:6379,password=...,ssl=True" (no ';', first element bare).
  if (text.find(';') == std::string_view::npos) {
    std::string head(trim(text.substr(0, text.find(','))));
    if (!head.empty() && head.find('=') == std::string::npos) {
      ConnectionTarget target{head, 6379, "redis"};
      if (auto colon = head.rfind(':'); colon != std::string::npos) {
        target.host = head.substr(0, colon);
        target.port = static_cast<uint16_t>(parse_u64(head.substr(colon + 1)).value_or(6379));
      }
      return target;
    }
  }
  std::map<std::string, std::string> fields;
  for (const auto& part : split(text, ';')) {
    auto eq = part.find('=');
    if (eq == std::string::npos) {
      continue;
    }
    fields[to_lower(trim(std::string_view(part).substr(0, eq)))] =
        std::string(trim(std::string_view(part).substr(eq + 1)));
  }
  auto field = [&](std::initializer_list<const char*> names) -> std::string {
    for (const char* name : names) {
      if (auto it = fields.find(name); it != fields.end()) {
        return it->second;
      }
    }
    return "";
  };

  ConnectionTarget target;
  std::string server = field({"server",
                              "data source",
                              "datasource",
                              "address",
                              "addr",
                              "network address",
                              "host",
                              "hostname"});
  if (server.empty()) {
    return std::nullopt;
  }
  bool host_key = fields.count("host") || fields.count("hostname");
  bool mysql = fields.count("uid") || fields.count("allowuservariables")
               || fields.count("treattinyasboolean");
  if (host_key) {
    target.kind = "postgresql";
    target.port = 5432;
  } else if (mysql) {
    target.kind = "mysql";
    target.port = 3306;
  } else {
    target.kind = "sqlserver";
    target.port = 1433;
  }
  // SQL Server: "tcp:db.example.com,1433", "db\\INSTANCE", "(localdb)\\MSSQLLocalDB".
  if (starts_with(to_lower(server), "tcp:")) {
    server = server.substr(4);
  }
  if (auto comma = server.find(','); comma != std::string::npos) {
    target.port = static_cast<uint16_t>(
        parse_u64(trim(std::string_view(server).substr(comma + 1))).value_or(target.port));
    server = server.substr(0, comma);
  }
  if (auto slash = server.find('\\'); slash != std::string::npos) {
    server = server.substr(0, slash); // a named instance: its port comes from SQL Browser
  }
  std::string port = field({"port"});
  if (!port.empty()) {
    target.port = static_cast<uint16_t>(parse_u64(port).value_or(target.port));
  }
  // Several hosts (Npgsql "Host=a,b"), keep the first.
  server = server.substr(0, server.find(','));
  if (auto colon = server.find(':'); colon != std::string::npos && target.kind != "sqlserver") {
    target.port = static_cast<uint16_t>(parse_u64(server.substr(colon + 1)).value_or(target.port));
    server = server.substr(0, colon);
  }
  std::string l = to_lower(server);
  // Files (SQLite "Data Source=app.db"), LocalDB and shared memory are not network services.
  if (server.empty() || starts_with(l, "(localdb)") || l == "." || l == "(local)"
      || ends_with(l, ".db") || ends_with(l, ".sqlite") || ends_with(l, ".sqlite3")
      || server.find('/') != std::string::npos) {
    return std::nullopt;
  }
  target.host = server;
  return target;
}

} // namespace decant::aspnet
