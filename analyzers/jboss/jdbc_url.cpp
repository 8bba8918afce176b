#include "jdbc_url.hpp"

#include <decant/util/strings.hpp>

#include <map>

namespace decant::jboss {

namespace {

const std::map<std::string, uint16_t> k_default_ports = {
    {"mysql", 3306},
    {"mariadb", 3306},
    {"postgresql", 5432},
    {"sqlserver", 1433},
    {"jtds", 1433},
    {"oracle", 1521},
    {"db2", 50000},
    {"h2", 9092},
    {"derby", 1527},
    {"hsqldb", 9001},
    {"informix-sqli", 9088},
    {"sybase", 5000},
};

// "host:port" or "[v6]:port" or "host" -> endpoint (port 0 when absent or invalid).
JdbcEndpoint
host_port(std::string_view text, const std::string& vendor)
{
  JdbcEndpoint endpoint;
  endpoint.vendor = vendor;
  text = trim(text);
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) {
      return endpoint;
    }
    endpoint.host = std::string(text.substr(1, close - 1));
    if (close + 1 < text.size() && text[close + 1] == ':') {
      port_text = text.substr(close + 2);
    }
  } else {
    auto colon = text.find(':');
    endpoint.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = text.substr(colon + 1);
    }
  }
  if (auto port = parse_u64(port_text); port && *port > 0 && *port < 65536) {
    endpoint.port = static_cast<uint16_t>(*port);
  } else if (auto it = k_default_ports.find(vendor); it != k_default_ports.end()) {
    endpoint.port = it->second;
  }
  return endpoint;
}

// The authority after "//": up to the first '/', ';', '?' (hosts separated by ',').
std::vector<JdbcEndpoint>
authority_endpoints(std::string_view rest, const std::string& vendor)
{
  auto end = rest.find_first_of("/;?");
  std::string_view authority = rest.substr(0, end);
  // user:password@host (MySQL and PostgreSQL accept it).
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  std::vector<JdbcEndpoint> out;
  for (const auto& part : split(authority, ',')) {
    auto endpoint = host_port(part, vendor);
    if (!endpoint.host.empty()) {
      out.push_back(std::move(endpoint));
    }
  }
  return out;
}

} // namespace

std::vector<JdbcEndpoint>
parse_jdbc_url(std::string_view url)
{
  url = trim(url);
  if (!starts_with(url, "jdbc:")) {
    return {};
  }
  std::string_view rest = url.substr(5);
  auto colon = rest.find(':');
  if (colon == std::string_view::npos) {
    return {};
  }
  std::string vendor(rest.substr(0, colon));
  rest = rest.substr(colon + 1);

  if (vendor == "oracle") {
    // jdbc:oracle:thin:@host:port:SID, jdbc:oracle:thin:@//host:port/service,
    // jdbc:oracle:thin:@(DESCRIPTION=...(HOST=h)(PORT=p)...)
    auto at = rest.find('@');
    if (at == std::string_view::npos) {
      return {};
    }
    std::string_view target = rest.substr(at + 1);
    if (starts_with(target, "(")) {
      std::vector<JdbcEndpoint> out;
      std::string upper(target);
      for (auto& c : upper) {
        c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
      }
      size_t pos = 0;
      while ((pos = upper.find("(HOST=", pos)) != std::string::npos) {
        auto end = upper.find(')', pos);
        std::string host(target.substr(pos + 6, end - pos - 6));
        auto port_pos = upper.find("(PORT=", pos);
        std::string port = "1521";
        if (port_pos != std::string::npos) {
          port = std::string(target.substr(port_pos + 6, upper.find(')', port_pos) - port_pos - 6));
        }
        out.push_back(host_port(std::string(trim(host)) + ":" + std::string(trim(port)), vendor));
        pos = end;
      }
      return out;
    }
    if (starts_with(target, "//")) {
      return authority_endpoints(target.substr(2), vendor);
    }
    // host:port:SID — the last ':' separates the SID.
    auto last = target.rfind(':');
    auto first = target.find(':');
    if (last != std::string_view::npos && last != first) {
      target = target.substr(0, last);
    }
    auto endpoint = host_port(target, vendor);
    if (endpoint.host.empty()) {
      return {};
    }
    return {endpoint};
  }

  if (vendor == "h2" || vendor == "hsqldb") {
    // jdbc:h2:tcp://host:port/db, jdbc:h2:ssl://...; jdbc:h2:mem:, jdbc:h2:file: are embedded.
    // jdbc:hsqldb:hsql://host:port/db likewise.
    for (const char* remote : {"tcp://", "ssl://", "hsql://", "hsqls://", "http://", "https://"}) {
      if (starts_with(rest, remote)) {
        return authority_endpoints(rest.substr(std::string_view(remote).size()), vendor);
      }
    }
    return {};
  }
  if (vendor == "jtds") {
    // jdbc:jtds:sqlserver://host:port/db
    auto slashes = rest.find("//");
    if (slashes == std::string_view::npos) {
      return {};
    }
    return authority_endpoints(rest.substr(slashes + 2), vendor);
  }
  if (vendor == "informix-sqli" && starts_with(rest, "//")) {
    // jdbc:informix-sqli://host:port/db:INFORMIXSERVER=x
    return authority_endpoints(rest.substr(2), vendor);
  }
  if (starts_with(rest, "//")) {
    // mysql, mariadb, postgresql, sqlserver, db2, derby network client: jdbc:v://authority...
    return authority_endpoints(rest.substr(2), vendor);
  }
  if (vendor == "mysql" || vendor == "mariadb") {
    // jdbc:mysql:loadbalance://h1,h2/db, jdbc:mysql:replication://...
    auto slashes = rest.find("//");
    if (slashes != std::string_view::npos) {
      return authority_endpoints(rest.substr(slashes + 2), vendor);
    }
  }
  if (vendor == "sybase") {
    // jdbc:sybase:Tds:host:port/db
    if (starts_with(rest, "Tds:")) {
      auto endpoint = host_port(rest.substr(4, rest.find('/') == std::string_view::npos
                                                   ? std::string_view::npos
                                                   : rest.find('/') - 4),
                                vendor);
      if (!endpoint.host.empty()) {
        return {endpoint};
      }
    }
  }
  return {};
}

} // namespace decant::jboss
