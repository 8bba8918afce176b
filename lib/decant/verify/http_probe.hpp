#pragma once

// One HTTP(S) GET for verification (libcurl): status, Content-Type, body (at most
// k_max_body_bytes), time to first byte, and for HTTPS the SHA-256 fingerprint of the server's
// certificate. Redirects are not followed (a 302 is compared as a 302); certificates are not
// checked for trust, since the point is to compare them with the source's.

#include <cstdint>
#include <string>

namespace decant {

inline constexpr uint64_t k_max_body_bytes = 32ull << 20;

struct HttpAnswer {
  bool answered = false;
  std::string error; // transport failure, when !answered
  long status = 0;
  std::string content_type;
  std::string location;
  std::string body;
  bool truncated = false;
  double ttfb_seconds = 0;
  double total_seconds = 0;
  std::string certificate_sha256; // "AB:CD:...", HTTPS only
};

struct HttpGet {
  bool https = false;
  std::string host = "127.0.0.1"; // an address literal
  uint16_t port = 0;
  std::string path = "/";
  long timeout_seconds = 60;
};

// Blocking; the socket lives in the calling thread's network namespace.
HttpAnswer http_get(const HttpGet& request);

// "http://127.0.0.1:8080/path" for messages.
std::string url_of(const HttpGet& request);

} // namespace decant
