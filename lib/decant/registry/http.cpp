#include <decant/registry/http.hpp>
#include <decant/util/limits.hpp>
#include <decant/util/strings.hpp>

#include <fmt/format.h>

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>

namespace decant {

namespace {

// Failures where the same request may succeed a moment later: the registry restarting, a dropped
// connection, a proxy hiccup. TLS and DNS-name errors are not retried: they do not heal by waiting.
bool
is_transient(CURLcode code)
{
  switch (code) {
  case CURLE_COULDNT_CONNECT:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_PARTIAL_FILE:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
  case CURLE_COULDNT_RESOLVE_PROXY:
    return true;
  default:
    return false;
  }
}

struct Transfer {
  const HttpBody* body = nullptr;
  int fd = -1;
  uint64_t position = 0; // within the body
  HttpResponse* response = nullptr;
  const HttpOptions* options = nullptr;
  uint64_t reported = 0;
  bool aborted = false;
};

size_t
read_body(char* buffer, size_t size, size_t count, void* user)
{
  auto* t = static_cast<Transfer*>(user);
  uint64_t remaining = t->body->size() - t->position;
  size_t want = static_cast<size_t>(std::min<uint64_t>(remaining, size * count));
  if (want == 0) {
    return 0;
  }
  if (!t->body->from_file) {
    std::memcpy(buffer, t->body->data.data() + t->position, want);
    t->position += want;
    return want;
  }
  uint64_t offset = t->body->offset + t->position;
  ssize_t got = ::pread(t->fd, buffer, want, static_cast<off_t>(offset));
  if (got <= 0) {
    return CURL_READFUNC_ABORT; // the file shrank under us
  }
  if (t->body->on_read && !t->body->on_read(offset, buffer, static_cast<size_t>(got))) {
    t->aborted = true;
    return CURL_READFUNC_ABORT;
  }
  t->position += static_cast<uint64_t>(got);
  return static_cast<size_t>(got);
}

// curl rewinds the body when it must send it again (a redirect, an auth round trip).
int
seek_body(void* user, curl_off_t offset, int origin)
{
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > t->body->size()) {
    return CURL_SEEKFUNC_FAIL;
  }
  t->position = static_cast<uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

size_t
write_body(char* data, size_t size, size_t count, void* user)
{
  auto* t = static_cast<Transfer*>(user);
  // Error bodies are small; a registry streaming megabytes at us is not something to keep.
  if (t->response->body.size() < limits::k_registry_answer_bytes) {
    t->response->body.append(data, size * count);
  }
  return size * count;
}

size_t
write_header(char* data, size_t size, size_t count, void* user)
{
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.pop_back();
  }
  if (line.rfind("HTTP/", 0) == 0) {
    // A new status line (after 100 Continue or a redirect): forget earlier headers.
    t->response->headers.entries.clear();
  } else if (t->response->headers.entries.size() >= 200) {
    // A registry's answer is untrusted: a few dozen headers are normal, thousands are not kept.
  } else if (size_t colon = line.find(':'); colon != std::string::npos) {
    std::string value = line.substr(colon + 1);
    size_t start = value.find_first_not_of(" \t");
    value = start == std::string::npos ? "" : value.substr(start);
    t->response->headers.entries.emplace_back(line.substr(0, colon), value);
  }
  return size * count;
}

int
on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t uploaded)
{
  auto* t = static_cast<Transfer*>(user);
  if (uploaded > 0 && static_cast<uint64_t>(uploaded) > t->reported) {
    uint64_t delta = static_cast<uint64_t>(uploaded) - t->reported;
    t->reported = static_cast<uint64_t>(uploaded);
    if (t->options->on_sent) {
      t->options->on_sent(delta);
    }
  }
  return 0;
}

void
global_init()
{
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

} // namespace

std::string
HttpHeaders::get(const std::string& name) const
{
  for (const auto& [key, value] : entries) {
    if (iequals(key, name)) {
      return value;
    }
  }
  return {};
}

std::vector<std::string>
HttpHeaders::get_all(const std::string& name) const
{
  std::vector<std::string> out;
  for (const auto& [key, value] : entries) {
    if (iequals(key, name)) {
      out.push_back(value);
    }
  }
  return out;
}

HttpBody
HttpBody::bytes(std::string data)
{
  HttpBody body;
  body.data = std::move(data);
  return body;
}

HttpBody
HttpBody::file_range(std::string path, uint64_t offset, uint64_t length)
{
  HttpBody body;
  body.path = std::move(path);
  body.offset = offset;
  body.length = length;
  body.from_file = true;
  return body;
}

struct HttpClient::Impl {
  HttpOptions options;
  CURL* curl = nullptr;
};

HttpClient::HttpClient(HttpOptions options)
    : m_impl(std::make_unique<Impl>())
{
  global_init();
  m_impl->options = std::move(options);
  m_impl->curl = curl_easy_init();
}

HttpClient::~HttpClient()
{
  if (m_impl->curl) {
    curl_easy_cleanup(m_impl->curl);
  }
}

tl::expected<HttpResponse, TransportError>
HttpClient::perform(const HttpRequest& request)
{
  CURL* curl = m_impl->curl;
  if (!curl) {
    return tl::unexpected(
        TransportError{request.url, "libcurl could not be initialised", false, 0});
  }
  // One handle is reused so connections are kept alive between blobs; options are reset per
  // request so nothing leaks from the previous one (a HEAD's NOBODY on a PUT).
  curl_easy_reset(curl);
  HttpResponse response;
  Transfer transfer;
  transfer.body = &request.body;
  transfer.response = &response;
  transfer.options = &m_impl->options;
  if (request.has_body && request.body.from_file) {
    transfer.fd = ::open(request.body.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (transfer.fd < 0) {
      return tl::unexpected(
          TransportError{request.url,
                         fmt::format("cannot read {}: {}", request.body.path, std::strerror(errno)),
                         false,
                         0});
    }
  }
  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "decant");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, m_impl->options.connect_timeout_seconds);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, m_impl->options.stall_timeout_seconds);
  // Certificates are always verified; --insecure means plain http, never "trust anything".
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, write_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
  if (m_impl->options.max_send_bytes_per_second > 0) {
    curl_easy_setopt(curl,
                     CURLOPT_MAX_SEND_SPEED_LARGE,
                     static_cast<curl_off_t>(m_impl->options.max_send_bytes_per_second));
  }

  struct curl_slist* headers = nullptr;
  for (const auto& header : request.headers) {
    headers = curl_slist_append(headers, header.c_str());
  }
  // No "Expect: 100-continue" round trip before every layer.
  headers = curl_slist_append(headers, "Expect:");

  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.has_body) {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_body);
    curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, seek_body);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    if (request.method != "PUT") {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
  } else if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, 0L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
  } else if (request.method == "PUT" || request.method == "PATCH") {
    // An empty-bodied PUT (closing a chunked upload) still needs Content-Length: 0.
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, 0L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

  CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (transfer.fd >= 0) {
    ::close(transfer.fd);
  }
  curl_off_t uploaded = 0;
  curl_easy_getinfo(curl, CURLINFO_SIZE_UPLOAD_T, &uploaded);
  response.bytes_sent = static_cast<uint64_t>(std::max<curl_off_t>(0, uploaded));
  if (response.bytes_sent > transfer.reported && m_impl->options.on_sent) {
    m_impl->options.on_sent(response.bytes_sent - transfer.reported);
  }
  if (code != CURLE_OK) {
    std::string cause = curl_easy_strerror(code);
    if (error_buffer[0] != '\0' && cause != error_buffer) {
      cause += std::string(": ") + error_buffer;
    }
    long os_errno = 0;
    curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
    TransportError error{request.url, cause, is_transient(code), response.bytes_sent};
    error.refused = code == CURLE_COULDNT_CONNECT && os_errno == ECONNREFUSED;
    error.aborted = transfer.aborted;
    if (error.aborted) {
      error.transient = false;
    }
    return tl::unexpected(error);
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

std::string
url_encode(const std::string& value)
{
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string
resolve_location(const std::string& base_url, const std::string& location)
{
  if (location.find("://") != std::string::npos) {
    return location;
  }
  size_t scheme = base_url.find("://");
  size_t path = base_url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  std::string origin = path == std::string::npos ? base_url : base_url.substr(0, path);
  if (!location.empty() && location[0] == '/') {
    return origin + location;
  }
  return origin + "/" + location;
}

std::string
add_query(const std::string& url, const std::string& name, const std::string& value)
{
  return url + (url.find('?') == std::string::npos ? "?" : "&") + name + "=" + url_encode(value);
}

} // namespace decant
