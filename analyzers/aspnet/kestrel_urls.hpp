#pragma once

// Which addresses Kestrel binds, decided the way Kestrel and the web host decide it:
//  1. Kestrel:Endpoints:<name>:Url from any configuration source (appsettings*.json,
//     Kestrel__Endpoints__<name>__Url, --Kestrel:Endpoints:<name>:Url) overrides everything
//     below ("Overriding address(es) ..." in the application's log);
//  2. the "urls" key (--urls, ASPNETCORE_URLS, DOTNET_URLS, "urls" in appsettings), semicolons
//     between URLs;
//  3. .NET 8+: "http_ports" / "https_ports" (ASPNETCORE_HTTP_PORTS, ...), bound on all
//     interfaces;
//  4. the default http://localhost:5000.

#include "configuration.hpp"

#include <decant/error.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace decant::aspnet {

struct KestrelUrl {
  std::string text;            // as configured
  std::string scheme;          // "http" or "https"
  std::string host;            // as written: "*", "+", "0.0.0.0", "[::]", "localhost", "10.0.0.5"
  uint16_t port = 0;           // 0 = a dynamic port chosen at start
  bool all_interfaces = false; // *, +, 0.0.0.0, [::], or a host name Kestrel cannot bind
  bool loopback = false;       // localhost, 127.x.x.x, [::1]
};

// "http://*:5000", "https://localhost:5001/", "http://[::]:80", "http://10.0.0.5". A URL
// without a port gets the scheme's default (80, 443) as Kestrel gives it. unix: sockets and
// named pipes are rejected (unsupported): they are no TCP port.
Result<KestrelUrl> parse_kestrel_url(std::string_view url);

// The same URL bound on all interfaces: http://localhost:5000 -> http://+:5000.
std::string rebind_all_interfaces(const KestrelUrl& url);

struct KestrelEndpoint {
  std::string name; // the Kestrel:Endpoints name; "" for urls, ports and the default
  KestrelUrl url;
  ConfigValue source; // where the URL was set (origin default_value for the default)
};

enum class UrlMechanism { kestrel_endpoints, urls, http_ports, default_url };
std::string to_string(UrlMechanism mechanism);

struct UrlResolution {
  UrlMechanism mechanism = UrlMechanism::default_url;
  std::vector<KestrelEndpoint> endpoints;
  std::vector<std::string> warnings; // invalid entries skipped, overridden settings
};

// `framework_major` decides whether ASPNETCORE_HTTP_PORTS applies (8+).
UrlResolution resolve_kestrel_urls(const Configuration& config, int framework_major);

} // namespace decant::aspnet
