#pragma once

// One conversation with a registry's API (distribution-spec) on behalf of one repository:
// requests go with the current authorization; a 401 triggers one authentication round (Basic,
// or a Bearer token from the token service the challenge names) and one resend. Transport
// failures, 5xx and 429 are transient, and with_retries() tries such steps again with backoff.

#include <decant/error.hpp>
#include <decant/registry/auth.hpp>
#include <decant/registry/http.hpp>
#include <decant/registry/reference.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace decant {

// A failed step: the error for the operator, and whether waiting and trying again may help.
struct RegistryFailure {
  Error error;
  bool transient = false;
};

template<typename T> using RegistryAttempt = tl::expected<T, RegistryFailure>;

tl::unexpected<RegistryFailure> fatal_failure(Error error);
tl::unexpected<RegistryFailure> transient_failure(Error error);

struct RegistrySessionOptions {
  bool insecure = false; // plain http to this registry (and to its token realm on the same host)
  std::optional<Credentials> credentials;
  int retries = 5;            // with_retries: how many times a transient failure is tried again
  double backoff_seconds = 1; // first wait; doubles each retry, at most 30 s
  std::function<void(const std::string&)> on_event; // one line per retry
};

class RegistrySession
{
public:
  // `scope` is the first token scope asked for ("repository:NAME:pull,push").
  RegistrySession(const RegistryReference& reference,
                  RegistrySessionOptions options,
                  HttpOptions http,
                  const std::string& scope);

  // Asks for `scope` too when a token is fetched (a mount source's "repository:NAME:pull").
  void add_scope(const std::string& scope);

  // Sends a request with the current authorization; a 401 triggers one authentication round
  // (Basic or a Bearer token) and one resend. Transport failures and 5xx/429 are transient.
  RegistryAttempt<HttpResponse> send(HttpRequest request);

  // GET /v2/: is this a registry, and which authentication does it want (401 -> authenticate
  // before any layer is sent, so no upload is wasted on a 401).
  RegistryAttempt<bool> ping();

  // The URL of `suffix` ("blobs/sha256:...") in the repository.
  std::string repo_url(const std::string& suffix) const;

  // An answer no step expected: the method, the URL and what the registry said.
  Error
  unexpected_status(const std::string& method, const std::string& url, const HttpResponse& r) const;

  // Retries that were needed so far.
  int
  retries_used() const
  {
    return m_retries_used;
  }

  // Runs `step` until it succeeds, fails for good, or the retries are spent; waits
  // backoff, 2*backoff, ... (at most 30 s) between tries.
  template<typename F>
  auto
  with_retries(const std::string& what, F step) -> Result<typename decltype(step())::value_type>
  {
    double wait = m_options.backoff_seconds;
    for (int attempt = 0;; ++attempt) {
      auto result = step();
      if (result) {
        return *result;
      }
      const RegistryFailure& failure = result.error();
      if (!failure.transient || attempt >= m_options.retries) {
        Error error = failure.error;
        if (failure.transient && m_options.retries > 0) {
          error.message += fmt::format(" (gave up after {} retries)", m_options.retries);
        }
        return fail(error);
      }
      ++m_retries_used;
      event(fmt::format("cannot {}: {}; retry {}/{} in {:.0f}s",
                        what,
                        failure.error.message,
                        attempt + 1,
                        m_options.retries,
                        wait));
      std::this_thread::sleep_for(std::chrono::duration<double>(wait));
      wait = std::min(wait * 2, 30.0);
    }
  }

private:
  void event(const std::string& line) const;
  std::string who() const;
  std::string transport_hint(const std::string& cause) const;
  RegistryAttempt<bool> authenticate(const HttpResponse& response);
  RegistryAttempt<bool> fetch_token(const AuthChallenge& challenge);

  RegistryReference m_ref;
  RegistrySessionOptions m_options;
  HttpClient m_http;
  std::string m_base;
  std::vector<std::string> m_scopes;
  std::string m_authorization;
  bool m_reached = false; // some request got an HTTP answer from the registry
  int m_retries_used = 0;
};

} // namespace decant
