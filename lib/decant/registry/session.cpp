#include <decant/registry/push.hpp>
#include <decant/registry/session.hpp>
#include <decant/util/json.hpp>
#include <decant/util/strings.hpp>

namespace decant {

using nlohmann::json;

namespace {

std::string
host_of(const std::string& url)
{
  size_t scheme = url.find("://");
  size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t end = url.find_first_of("/?", start);
  std::string host = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (size_t at = host.rfind('@'); at != std::string::npos) {
    host = host.substr(at + 1);
  }
  return host;
}

// A URL as messages show it: without the query, where upload URLs carry the registry's long
// signed session state.
std::string
display_url(const std::string& url)
{
  return url.substr(0, url.find('?'));
}

std::string
hostname_of(const std::string& host_port)
{
  if (!host_port.empty() && host_port[0] == '[') {
    return host_port.substr(0, host_port.find(']') + 1);
  }
  return host_port.substr(0, host_port.find(':'));
}

} // namespace

tl::unexpected<RegistryFailure>
fatal_failure(Error error)
{
  return tl::unexpected<RegistryFailure>(RegistryFailure{std::move(error), false});
}

tl::unexpected<RegistryFailure>
transient_failure(Error error)
{
  return tl::unexpected<RegistryFailure>(RegistryFailure{std::move(error), true});
}

RegistrySession::RegistrySession(const RegistryReference& reference,
                                 RegistrySessionOptions options,
                                 HttpOptions http,
                                 const std::string& scope)
    : m_ref(reference),
      m_options(std::move(options)),
      m_http(std::move(http))
{
  m_base =
      std::string(m_options.insecure ? "http" : "https") + "://" + reference.api_host() + "/v2/";
  m_scopes.push_back(scope);
}

void
RegistrySession::add_scope(const std::string& scope)
{
  if (std::find(m_scopes.begin(), m_scopes.end(), scope) == m_scopes.end()) {
    m_scopes.push_back(scope);
  }
}

void
RegistrySession::event(const std::string& line) const
{
  if (m_options.on_event) {
    m_options.on_event(line);
  }
}

std::string
RegistrySession::who() const
{
  return m_options.credentials ? m_options.credentials->describe() : "anonymous access";
}

RegistryAttempt<HttpResponse>
RegistrySession::send(HttpRequest request)
{
  for (int round = 0;; ++round) {
    HttpRequest attempt = request;
    if (!m_authorization.empty()) {
      attempt.headers.push_back("Authorization: " + m_authorization);
    }
    auto response = m_http.perform(attempt);
    if (!response) {
      Error error(ErrorCode::network,
                  fmt::format("cannot reach {}: {}",
                              display_url(response.error().url),
                              response.error().cause),
                  transport_hint(response.error().cause));
      // Nothing listening where the registry was never reached yet is a wrong address or a
      // registry that is not running: no retry makes it answer, so say it at once. Later in
      // a push, a refused connection may be a registry restarting: retried.
      if (response.error().refused && !m_reached) {
        error.hint = fmt::format("nothing listens on {}: check the host and port of the "
                                 "reference and that the registry runs{}",
                                 m_ref.api_host(),
                                 m_options.insecure ? "" : " (plain http needs --insecure)");
        return fatal_failure(error);
      }
      if (response.error().transient) {
        return transient_failure(error);
      }
      return fatal_failure(error);
    }
    m_reached = true;
    if (response->status == 401 && round == 0) {
      if (auto auth = authenticate(*response); !auth) {
        return tl::unexpected(auth.error());
      }
      continue;
    }
    if (response->status == 401) {
      return fatal_failure(Error(ErrorCode::network,
                                 fmt::format("{} rejected {} pushing to {} ({} {}): {}",
                                             m_ref.api_host(),
                                             who(),
                                             m_ref.repository,
                                             request.method,
                                             display_url(request.url),
                                             describe_registry_error(response->body)),
                                 m_options.credentials
                                     ? "check the user name and password"
                                     : "log in: --username U --password-stdin, or docker login"));
    }
    if (response->status == 403) {
      return fatal_failure(
          Error(ErrorCode::network,
                fmt::format("{} refused {}: not allowed to push to {} ({})",
                            m_ref.api_host(),
                            who(),
                            m_ref.repository,
                            describe_registry_error(response->body)),
                "ask the registry's administrator for push rights to this repository"));
    }
    if (response->status >= 500 || response->status == 429) {
      return transient_failure(Error(ErrorCode::network,
                                     fmt::format("{} {} answered {}: {}",
                                                 request.method,
                                                 display_url(request.url),
                                                 response->status,
                                                 describe_registry_error(response->body))));
    }
    return *response;
  }
}

std::string
RegistrySession::transport_hint(const std::string& cause) const
{
  if (!m_options.insecure
      && (cause.find("SSL") != std::string::npos || cause.find("TLS") != std::string::npos)) {
    return fmt::format("if {} serves plain http, add --insecure; if it uses a private CA, "
                       "install the CA certificate in /usr/local/share/ca-certificates and "
                       "run update-ca-certificates",
                       m_ref.api_host());
  }
  return "check the registry address and that the registry is running";
}

RegistryAttempt<bool>
RegistrySession::authenticate(const HttpResponse& response)
{
  auto challenges = parse_www_authenticate(response.headers.get("WWW-Authenticate"));
  const AuthChallenge* bearer = nullptr;
  const AuthChallenge* basic = nullptr;
  for (const auto& c : challenges) {
    if (c.scheme == "bearer" && !bearer) {
      bearer = &c;
    } else if (c.scheme == "basic" && !basic) {
      basic = &c;
    }
  }
  if (bearer) {
    return fetch_token(*bearer);
  }
  if (basic) {
    if (!m_options.credentials) {
      return fatal_failure(
          Error(ErrorCode::network,
                fmt::format("{} requires a user name and password to push to {}",
                            m_ref.api_host(),
                            m_ref.repository),
                fmt::format("pass --username U --password-stdin, or run docker login {}",
                            m_ref.registry)));
    }
    m_authorization =
        "Basic "
        + base64_encode(m_options.credentials->username + ":" + m_options.credentials->password);
    return true;
  }
  return fatal_failure(
      Error(ErrorCode::network,
            fmt::format("{} answered 401 without a usable WWW-Authenticate challenge "
                        "(\"{}\")",
                        m_ref.api_host(),
                        response.headers.get("WWW-Authenticate")),
            "decant speaks Basic and Bearer token authentication"));
}

RegistryAttempt<bool>
RegistrySession::fetch_token(const AuthChallenge& challenge)
{
  auto realm_it = challenge.params.find("realm");
  if (realm_it == challenge.params.end() || realm_it->second.empty()) {
    return fatal_failure(Error(
        ErrorCode::network, fmt::format("{}: Bearer challenge without a realm", m_ref.api_host())));
  }
  std::string realm = realm_it->second;
  // A token sent over plain http could be read on the way; allow it only where --insecure
  // already allows plain http: the registry's own host.
  if (starts_with(realm, "http://")
      && !(m_options.insecure && hostname_of(host_of(realm)) == hostname_of(m_ref.api_host()))) {
    return fatal_failure(
        Error(ErrorCode::network,
              fmt::format("{} sends us to a plain-http token service {}; refusing to "
                          "send credentials there",
                          m_ref.api_host(),
                          realm),
              "use a registry whose token service speaks https (or, on the "
              "registry's own host, --insecure)"));
  }
  std::string url = realm;
  if (auto service = challenge.params.find("service"); service != challenge.params.end()) {
    url = add_query(url, "service", service->second);
  }
  std::vector<std::string> scopes = m_scopes;
  if (auto scope = challenge.params.find("scope"); scope != challenge.params.end()) {
    if (std::find(scopes.begin(), scopes.end(), scope->second) == scopes.end()) {
      scopes.insert(scopes.begin(), scope->second);
    }
  }
  for (const auto& scope : scopes) {
    url = add_query(url, "scope", scope);
  }
  HttpRequest request;
  request.url = url;
  if (m_options.credentials) {
    request.headers.push_back(
        "Authorization: Basic "
        + base64_encode(m_options.credentials->username + ":" + m_options.credentials->password));
  }
  auto response = m_http.perform(request);
  if (!response) {
    Error error(
        ErrorCode::network,
        fmt::format("cannot reach the token service {}: {}", realm, response.error().cause));
    return response.error().transient ? transient_failure(error) : fatal_failure(error);
  }
  if (response->status == 401 || response->status == 403) {
    return fatal_failure(Error(ErrorCode::network,
                               fmt::format("the token service {} of {} rejected {}: {} {}",
                                           realm,
                                           m_ref.api_host(),
                                           who(),
                                           response->status,
                                           describe_registry_error(response->body)),
                               m_options.credentials
                                   ? "check the user name and password"
                                   : "log in: --username U --password-stdin, or docker login"));
  }
  if (response->status >= 500) {
    return transient_failure(
        Error(ErrorCode::network,
              fmt::format("the token service {} answered {}", realm, response->status)));
  }
  json body = parse_json_document(response->body).value_or(json());
  std::string token;
  if (response->status == 200) {
    token = json_string(body, "token", json_string(body, "access_token"));
  }
  if (token.empty()) {
    return fatal_failure(Error(
        ErrorCode::network,
        fmt::format("the token service {} answered {} without a token", realm, response->status)));
  }
  m_authorization = "Bearer " + token;
  return true;
}

RegistryAttempt<bool>
RegistrySession::ping()
{
  HttpRequest request;
  request.url = m_base;
  auto response = send(request);
  if (!response) {
    return tl::unexpected(response.error());
  }
  if (response->status != 200) {
    return fatal_failure(Error(ErrorCode::network,
                               fmt::format("{} does not answer like a registry: GET {} gave {}",
                                           m_ref.api_host(),
                                           m_base,
                                           response->status),
                               "check the registry address (the API must be served at /v2/)"));
  }
  return true;
}

std::string
RegistrySession::repo_url(const std::string& suffix) const
{
  return m_base + m_ref.repository + "/" + suffix;
}

Error
RegistrySession::unexpected_status(const std::string& method,
                                   const std::string& url,
                                   const HttpResponse& r) const
{
  return Error(ErrorCode::network,
               fmt::format("{} {} answered {}: {}",
                           method,
                           display_url(url),
                           r.status,
                           describe_registry_error(r.body)));
}

} // namespace decant
