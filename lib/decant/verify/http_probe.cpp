#include <decant/verify/http_probe.hpp>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <curl/curl.h>

#include <cstring>
#include <mutex>

namespace decant {

namespace {

struct Sink {
  std::string* body;
  bool* truncated;
};

size_t
on_body(char* data, size_t size, size_t count, void* user)
{
  auto* sink = static_cast<Sink*>(user);
  size_t n = size * count;
  size_t room = k_max_body_bytes > sink->body->size() ? k_max_body_bytes - sink->body->size() : 0;
  if (n > room) {
    *sink->truncated = true;
  }
  sink->body->append(data, std::min(n, room));
  return n; // keep reading: the transfer's time counts, the tail is not kept
}

std::string
fingerprint(const std::string& pem)
{
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) {
    return {};
  }
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!cert) {
    return {};
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  X509_digest(cert, EVP_sha256(), digest, &length);
  X509_free(cert);
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += fmt::format("{}{:02X}", i ? ":" : "", digest[i]);
  }
  return out;
}

std::string
leaf_certificate_fingerprint(CURL* curl)
{
  struct curl_certinfo* info = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_CERTINFO, &info) != CURLE_OK || !info
      || info->num_of_certs < 1) {
    return {};
  }
  for (struct curl_slist* item = info->certinfo[0]; item; item = item->next) {
    if (std::strncmp(item->data, "Cert:", 5) == 0) {
      return fingerprint(item->data + 5);
    }
  }
  return {};
}

} // namespace

std::string
url_of(const HttpGet& r)
{
  bool v6 = r.host.find(':') != std::string::npos;
  return fmt::format("{}://{}{}{}:{}{}",
                     r.https ? "https" : "http",
                     v6 ? "[" : "",
                     r.host,
                     v6 ? "]" : "",
                     r.port,
                     r.path.empty() || r.path[0] != '/' ? "/" + r.path : r.path);
}

HttpAnswer
http_get(const HttpGet& request)
{
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  HttpAnswer answer;
  CURL* curl = curl_easy_init();
  if (!curl) {
    answer.error = "libcurl could not be initialised";
    return answer;
  }
  std::string url = url_of(request);
  char error[CURL_ERROR_SIZE] = {0};
  Sink sink{&answer.body, &answer.truncated};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "decant-verify");
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, request.timeout_seconds);
  // No proxy from the environment: source and image are both on this machine.
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  if (request.https) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(curl, CURLOPT_CERTINFO, 1L);
  }
  CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) {
    answer.error = error[0] ? error : curl_easy_strerror(rc);
    curl_easy_cleanup(curl);
    return answer;
  }
  answer.answered = true;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
  char* type = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type) {
    answer.content_type = type;
  }
  char* location = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location) {
    answer.location = location;
  }
  curl_off_t ttfb = 0;
  curl_off_t total = 0;
  curl_easy_getinfo(curl, CURLINFO_STARTTRANSFER_TIME_T, &ttfb);
  curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME_T, &total);
  answer.ttfb_seconds = static_cast<double>(ttfb) / 1e6;
  answer.total_seconds = static_cast<double>(total) / 1e6;
  if (request.https) {
    answer.certificate_sha256 = leaf_certificate_fingerprint(curl);
  }
  curl_easy_cleanup(curl);
  return answer;
}

} // namespace decant
