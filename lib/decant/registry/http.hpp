#pragma once

// A small blocking HTTP client over libcurl for the registry protocol: one request at a time,
// bodies streamed from a file range (layers are not read into memory), a send-rate cap and a
// progress callback. Transport failures are returned, not thrown, and say whether they are worth
// retrying (a dropped connection is; a certificate error is not).

#include <tl/expected.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace decant {

struct HttpHeaders {
  std::vector<std::pair<std::string, std::string>> entries; // names as received

  // The first value of `name` (case-insensitive), or empty.
  std::string get(const std::string& name) const;
  std::vector<std::string> get_all(const std::string& name) const;
};

// A request body: bytes in memory, or `length` bytes of the file at `path` from `offset`.
struct HttpBody {
  std::string data;
  std::string path;
  uint64_t offset = 0;
  uint64_t length = 0;
  bool from_file = false;
  // Sees every byte read from the file, with its offset in the file, before it is sent (also
  // again after a rewind); returning false aborts the request before those bytes leave. Push
  // hashes blobs this way while sending them.
  std::function<bool(uint64_t offset, const char* data, size_t size)> on_read;

  static HttpBody bytes(std::string data);
  static HttpBody file_range(std::string path, uint64_t offset, uint64_t length);
  uint64_t
  size() const
  {
    return from_file ? length : data.size();
  }
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers; // "Name: value"
  HttpBody body;
  bool has_body = false;
};

struct HttpResponse {
  long status = 0;
  HttpHeaders headers;
  std::string body;
  uint64_t bytes_sent = 0; // request body bytes that left this machine
};

struct TransportError {
  std::string url;
  std::string cause;       // curl's words: "Couldn't connect to server: Connection refused"
  bool transient = false;  // connection refused/reset, timeout: worth a retry
  uint64_t bytes_sent = 0; // body bytes sent before it failed
  bool refused = false;    // nothing listens there (ECONNREFUSED)
  bool aborted = false;    // HttpBody::on_read stopped the request
};

struct HttpOptions {
  // Upload rate cap in bytes per second; 0 = none (CURLOPT_MAX_SEND_SPEED_LARGE).
  uint64_t max_send_bytes_per_second = 0;
  long connect_timeout_seconds = 15;
  // A transfer that moves under 1 byte/s for this long is dropped (a hung registry).
  long stall_timeout_seconds = 60;
  // Called with the number of body bytes sent since the previous call.
  std::function<void(uint64_t)> on_sent;
};

class HttpClient
{
public:
  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  tl::expected<HttpResponse, TransportError> perform(const HttpRequest& request);

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// Percent-encodes a query parameter value (RFC 3986 unreserved characters kept).
std::string url_encode(const std::string& value);
// Resolves a Location header against the URL that returned it (it may be a path only).
std::string resolve_location(const std::string& base_url, const std::string& location);
// Appends "name=value" to a URL's query.
std::string add_query(const std::string& url, const std::string& name, const std::string& value);

} // namespace decant
