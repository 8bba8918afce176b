#include "jdbc.hpp"

#include <decant/util/strings.hpp>

#include <algorithm>
#include <cctype>
#include <map>

namespace decant::java {

namespace {

uint16_t
default_port(const std::string& vendor)
{
  static const std::map<std::string, uint16_t> k_ports = {
      {"postgresql", 5432},
      {"pgsql", 5432},
      {"mysql", 3306},
      {"mariadb", 3306},
      {"oracle", 1521},
      {"sqlserver", 1433},
      {"jtds", 1433},
      {"db2", 50000},
      {"h2", 9092},
      {"derby", 1527},
      {"hsqldb", 9001},
      {"informix-sqli", 9088},
      {"sybase", 5000},
      {"redshift", 5439},
      {"clickhouse", 8123},
  };
  auto it = k_ports.find(vendor);
  return it == k_ports.end() ? 0 : it->second;
}

// "host", "host:port", "[::1]:port" -> endpoint (port 0 when absent or malformed).
JdbcEndpoint
host_port(std::string_view text, const std::string& vendor)
{
  JdbcEndpoint endpoint;
  endpoint.vendor = vendor;
  std::string_view host = text;
  std::string_view port;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close != std::string_view::npos) {
      host = text.substr(1, close - 1);
      if (close + 1 < text.size() && text[close + 1] == ':') {
        port = text.substr(close + 2);
      }
    }
  } else if (size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  // SQL Server's "host\instance" names an instance on the default port of that host.
  if (size_t backslash = host.find('\\'); backslash != std::string_view::npos) {
    host = host.substr(0, backslash);
  }
  endpoint.host = std::string(host);
  auto number = parse_u64(port);
  endpoint.port = number && *number > 0 && *number < 65536 ? static_cast<uint16_t>(*number)
                                                           : default_port(vendor);
  return endpoint;
}

// Oracle TNS descriptor: every (HOST=...)(PORT=...) pair.
std::vector<JdbcEndpoint>
tns_endpoints(std::string_view text)
{
  std::vector<JdbcEndpoint> out;
  std::string upper(text);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) {
    return static_cast<char>(std::toupper(c));
  });
  size_t pos = 0;
  while ((pos = upper.find("HOST", pos)) != std::string::npos) {
    size_t eq = upper.find('=', pos);
    size_t close = upper.find(')', pos);
    if (eq == std::string::npos || close == std::string::npos || eq > close) {
      pos += 4;
      continue;
    }
    JdbcEndpoint endpoint;
    endpoint.vendor = "oracle";
    endpoint.host = std::string(trim(text.substr(eq + 1, close - eq - 1)));
    endpoint.port = 1521;
    size_t port_pos = upper.find("PORT", close);
    size_t next_host = upper.find("HOST", close);
    if (port_pos != std::string::npos && (next_host == std::string::npos || port_pos < next_host)) {
      size_t peq = upper.find('=', port_pos);
      size_t pclose = upper.find(')', port_pos);
      if (peq != std::string::npos && pclose != std::string::npos && peq < pclose) {
        if (auto n = parse_u64(trim(text.substr(peq + 1, pclose - peq - 1))); n && *n < 65536) {
          endpoint.port = static_cast<uint16_t>(*n);
        }
      }
    }
    out.push_back(endpoint);
    pos = close;
  }
  return out;
}

} // namespace

std::optional<std::vector<JdbcEndpoint>>
parse_jdbc_url(std::string_view url)
{
  url = trim(url);
  if (to_lower(url.substr(0, 5)) != "jdbc:") {
    return std::nullopt;
  }
  std::string_view rest = url.substr(5);
  size_t colon = rest.find(':');
  if (colon == std::string_view::npos) {
    return std::nullopt;
  }
  std::string vendor = to_lower(rest.substr(0, colon));
  std::string_view tail = rest.substr(colon + 1);
  std::vector<JdbcEndpoint> out;

  if (vendor == "oracle") {
    // jdbc:oracle:thin:@host:port:SID, @//host:port/service, @(DESCRIPTION=...), @alias (TNS)
    size_t at = tail.find('@');
    if (at == std::string_view::npos) {
      return out;
    }
    std::string_view target = tail.substr(at + 1);
    if (!target.empty() && target[0] == '(') {
      return tns_endpoints(target);
    }
    if (starts_with(target, "//")) {
      target.remove_prefix(2);
      target = target.substr(0, target.find('/'));
      out.push_back(host_port(target, vendor));
      return out;
    }
    auto parts = split(target, ':');
    if (parts.size() >= 2) {
      out.push_back(host_port(parts[0] + ":" + parts[1], vendor));
    } else if (!parts.empty() && !parts[0].empty()) {
      out.push_back(host_port(parts[0], vendor)); // a TNS alias: a name, not a host
    }
    return out;
  }

  // Vendors with a second-level subprotocol before "//": jdbc:h2:tcp://, jdbc:hsqldb:hsql://,
  // jdbc:mysql:loadbalance://, jdbc:postgresql://.
  size_t slashes = tail.find("//");
  if (slashes == std::string_view::npos) {
    return out; // embedded or file based: jdbc:h2:mem:x, jdbc:derby:db, jdbc:sqlite:/x.db
  }
  std::string_view prefix = tail.substr(0, slashes);
  if (vendor == "h2" && prefix != "tcp:" && prefix != "ssl:") {
    return out;
  }
  if (vendor == "hsqldb" && prefix != "hsql:" && prefix != "hsqls:" && prefix != "http:"
      && prefix != "https:") {
    return out;
  }
  std::string_view authority = tail.substr(slashes + 2);
  size_t end = authority.find_first_of("/;?");
  authority = authority.substr(0, end);
  // user:password@ inside the authority (some drivers accept it): drop it.
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  for (const auto& host : split(authority, ',')) {
    if (trim(host).empty()) {
      continue;
    }
    out.push_back(host_port(trim(host), vendor));
  }
  return out;
}

} // namespace decant::java
