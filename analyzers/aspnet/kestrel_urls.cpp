#include "kestrel_urls.hpp"

#include <decant/util/strings.hpp>

#include <fmt/format.h>

#include <arpa/inet.h>

namespace decant::aspnet {

std::string
to_string(UrlMechanism mechanism)
{
  switch (mechanism) {
  case UrlMechanism::kestrel_endpoints:
    return "Kestrel:Endpoints";
  case UrlMechanism::urls:
    return "urls";
  case UrlMechanism::http_ports:
    return "http_ports";
  case UrlMechanism::default_url:
    return "default";
  }
  return "default";
}

Result<KestrelUrl>
parse_kestrel_url(std::string_view text)
{
  KestrelUrl url;
  url.text = std::string(trim(text));
  std::string_view rest = url.text;
  auto scheme_end = rest.find("://");
  if (scheme_end == std::string_view::npos) {
    return fail(
        ErrorCode::invalid_input, "\"{}\" is not a URL (expected scheme://host:port)", url.text);
  }
  url.scheme = to_lower(rest.substr(0, scheme_end));
  rest.remove_prefix(scheme_end + 3);
  if (url.scheme != "http" && url.scheme != "https") {
    return fail(
        ErrorCode::invalid_input, "\"{}\": scheme {} is not http or https", url.text, url.scheme);
  }
  if (starts_with(rest, "unix:") || starts_with(rest, "pipe:")) {
    return fail(ErrorCode::unsupported,
                "\"{}\" binds a {} socket, not a TCP port",
                url.text,
                starts_with(rest, "unix:") ? "Unix domain" : "named pipe");
  }
  rest = rest.substr(0, rest.find('/'));
  std::string_view port_text;
  if (starts_with(rest, "[")) {
    auto close = rest.find(']');
    if (close == std::string_view::npos) {
      return fail(ErrorCode::invalid_input, "\"{}\": unterminated IPv6 address", url.text);
    }
    url.host = std::string(rest.substr(0, close + 1));
    if (close + 1 < rest.size() && rest[close + 1] == ':') {
      port_text = rest.substr(close + 2);
    }
  } else {
    auto colon = rest.rfind(':');
    url.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = rest.substr(colon + 1);
    }
  }
  if (port_text.empty()) {
    url.port = url.scheme == "https" ? 443 : 80;
  } else {
    auto port = parse_u64(port_text);
    if (!port || *port > 65535) {
      return fail(ErrorCode::invalid_input, "\"{}\": invalid port \"{}\"", url.text, port_text);
    }
    url.port = static_cast<uint16_t>(*port);
  }
  std::string host = to_lower(url.host);
  std::string bare = host;
  if (starts_with(bare, "[")) {
    bare = bare.substr(1, bare.size() - 2);
  }
  in_addr v4{};
  in6_addr v6{};
  if (host == "localhost") {
    url.loopback = true;
  } else if (inet_pton(AF_INET, bare.c_str(), &v4) == 1) {
    url.all_interfaces = v4.s_addr == 0;
    url.loopback = (ntohl(v4.s_addr) >> 24) == 127;
  } else if (inet_pton(AF_INET6, bare.c_str(), &v6) == 1) {
    url.all_interfaces = IN6_IS_ADDR_UNSPECIFIED(&v6);
    url.loopback = IN6_IS_ADDR_LOOPBACK(&v6);
  } else {
    // "*", "+" and any host name Kestrel cannot parse as an address bind all interfaces
    // (Kestrel logs "Overriding ... binding to all interfaces" for names other than localhost).
    url.all_interfaces = true;
  }
  return url;
}

std::string
rebind_all_interfaces(const KestrelUrl& url)
{
  return fmt::format("{}://+:{}", url.scheme, url.port);
}

namespace {

void
add_url_list(UrlResolution& out, const ConfigValue& source, const std::string& list)
{
  for (const auto& part : split(list, ';')) {
    if (trim(part).empty()) {
      continue;
    }
    auto url = parse_kestrel_url(part);
    if (!url) {
      out.warnings.push_back(fmt::format("{}: {}", source.source, url.error().message));
      continue;
    }
    out.endpoints.push_back({"", *url, source});
  }
}

} // namespace

UrlResolution
resolve_kestrel_urls(const Configuration& config, int framework_major)
{
  UrlResolution out;
  const ConfigValue* urls = config.get("urls");

  for (const auto& name : config.children("Kestrel:Endpoints")) {
    std::string key = "Kestrel:Endpoints:" + name + ":Url";
    const ConfigValue* value = config.get(key);
    if (!value || trim(value->value).empty()) {
      const ConfigValue* section = config.get("Kestrel:Endpoints:" + name);
      out.warnings.push_back(fmt::format(
          "{}: Kestrel endpoint \"{}\" has no Url; Kestrel refuses to start with it "
          "(\"The endpoint {} is missing the required 'Url' parameter\"), so it is ignored",
          section ? section->source : std::string("configuration"),
          name,
          name));
      continue;
    }
    auto url = parse_kestrel_url(value->value);
    if (!url) {
      out.warnings.push_back(fmt::format("{}: {}", value->source, url.error().message));
      continue;
    }
    out.endpoints.push_back({name, *url, *value});
  }
  if (!out.endpoints.empty()) {
    out.mechanism = UrlMechanism::kestrel_endpoints;
    if (urls && !trim(urls->value).empty()) {
      out.warnings.push_back(
          fmt::format("{}: urls \"{}\" is overridden by Kestrel:Endpoints, as Kestrel does",
                      urls->source,
                      urls->value));
    }
    return out;
  }

  if (urls && !trim(urls->value).empty()) {
    out.mechanism = UrlMechanism::urls;
    add_url_list(out, *urls, urls->value);
    if (!out.endpoints.empty()) {
      return out;
    }
  }

  if (framework_major >= 8) {
    for (const char* key : {"http_ports", "https_ports"}) {
      const ConfigValue* ports = config.get(key);
      if (!ports || trim(ports->value).empty()) {
        continue;
      }
      std::string scheme = key[4] == 's' ? "https" : "http";
      std::string list;
      for (const auto& port : split(ports->value, ';')) {
        if (!trim(port).empty()) {
          list += fmt::format("{}://*:{};", scheme, trim(port));
        }
      }
      add_url_list(out, *ports, list);
    }
    if (!out.endpoints.empty()) {
      out.mechanism = UrlMechanism::http_ports;
      return out;
    }
  }

  out.mechanism = UrlMechanism::default_url;
  ConfigValue source;
  source.key = "urls";
  source.value = "http://localhost:5000";
  source.source = "Kestrel default";
  source.origin = ConfigValue::Origin::default_value;
  out.endpoints.push_back({"", *parse_kestrel_url(source.value), source});
  return out;
}

} // namespace decant::aspnet
