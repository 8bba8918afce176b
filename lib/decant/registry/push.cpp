#include <decant/oci/blob.hpp>
#include <decant/registry/http.hpp>
#include <decant/registry/progress.hpp>
#include <decant/registry/push.hpp>
#include <decant/registry/session.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/json.hpp>
#include <decant/util/strings.hpp>

#include <fmt/format.h>
#include <openssl/evp.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

namespace decant {

using nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

// Per-registry memory of where blobs live and which uploads are in flight (see PushOptions).
class PushState
{
public:
  PushState(std::string path, std::string registry)
      : m_path(std::move(path)),
        m_registry(std::move(registry))
  {
    if (m_path.empty()) {
      return;
    }
    if (auto text = read_file(m_path)) {
      m_state = parse_json_document(*text).value_or(json());
    }
    if (!m_state.is_object()) {
      m_state = json::object(); // a damaged cache is only a cache: start over
    }
  }

  std::vector<std::string>
  repositories_with(const std::string& digest) const
  {
    std::vector<std::string> out;
    const json* repos = find({"registries", m_registry, "blobs", digest});
    if (repos && repos->is_array()) {
      for (const auto& r : *repos) {
        if (r.is_string()) {
          out.push_back(r.get<std::string>());
        }
      }
    }
    return out;
  }

  void
  add_blob(const std::string& digest, const std::string& repository)
  {
    json& repos = json_object_at(json_object_at(json_object_at(m_state, "registries"), m_registry),
                                 "blobs")[digest];
    if (!repos.is_array()) {
      repos = json::array();
    }
    if (std::find(repos.begin(), repos.end(), repository) == repos.end()) {
      repos.push_back(repository);
    }
    save();
  }

  std::optional<std::pair<std::string, uint64_t>>
  upload(const std::string& repository, const std::string& digest) const
  {
    const json* u = find({"registries", m_registry, "uploads", repository + "@" + digest});
    if (!u || !u->is_object() || !u->contains("location")) {
      return std::nullopt;
    }
    return std::make_pair(json_string(*u, "location"), json_unsigned(*u, "offset").value_or(0));
  }

  void
  set_upload(const std::string& repository,
             const std::string& digest,
             const std::string& location,
             uint64_t offset)
  {
    json_object_at(json_object_at(json_object_at(m_state, "registries"), m_registry),
                   "uploads")[repository + "@" + digest] = {{"location", location},
                                                            {"offset", offset}};
    save();
  }

  void
  clear_upload(const std::string& repository, const std::string& digest)
  {
    json* uploads = mutable_find({"registries", m_registry, "uploads"});
    if (uploads && uploads->is_object()) {
      uploads->erase(repository + "@" + digest);
      save();
    }
  }

private:
  const json*
  find(std::initializer_list<std::string> keys) const
  {
    const json* at = &m_state;
    for (const auto& key : keys) {
      if (!at->is_object() || !at->contains(key)) {
        return nullptr;
      }
      at = &(*at)[key];
    }
    return at;
  }

  json*
  mutable_find(std::initializer_list<std::string> keys)
  {
    return const_cast<json*>(find(keys));
  }

  void
  save() const
  {
    if (m_path.empty()) {
      return;
    }
    if (size_t slash = m_path.rfind('/'); slash != std::string::npos && slash > 0) {
      (void)make_directories(m_path.substr(0, slash), 0700);
    }
    // Best effort: failing to remember only costs a re-upload next time.
    // Locations come from the registry: any bytes, replaced where they are not UTF-8.
    (void)write_file_atomic(
        m_path, m_state.dump(1, ' ', false, json::error_handler_t::replace), 0600);
  }

  std::string m_path;
  std::string m_registry;
  json m_state = json::object();
};

// A blob's SHA-256, computed from the bytes as they are read to be sent (no extra pass over the
// file): the upload is stopped before its last bytes leave when they do not hash to the digest
// the manifest names, so a corrupted layout never reaches a registry that does not re-check.
// Bytes are taken in file order; bytes sent again (a rewind, a chunk the registry asks for
// twice) are skipped, and a gap (an upload resumed from a previous run) is read once to fill it.
class BlobCheck
{
public:
  BlobCheck(std::string path, const Descriptor& blob)
      : m_path(std::move(path)),
        m_blob(blob),
        m_context(EVP_MD_CTX_new(), EVP_MD_CTX_free)
  {
    m_checked = !starts_with(blob.digest, "sha256:"); // other algorithms: the registry checks
    EVP_DigestInit_ex(m_context.get(), EVP_sha256(), nullptr);
  }

  // HttpBody::on_read: false (abort the request) once the whole blob is read and is not what
  // its digest says.
  bool
  feed(uint64_t offset, const char* data, size_t size)
  {
    if (m_checked || offset + size <= m_done) {
      return !m_mismatch;
    }
    if (offset > m_done && !catch_up(offset)) {
      return false;
    }
    uint64_t skip = m_done - offset;
    EVP_DigestUpdate(m_context.get(), data + skip, size - skip);
    m_done = offset + size;
    if (m_done >= m_blob.size) {
      finish();
    }
    return !m_mismatch;
  }

  // Reads [m_done, end) from the file (bytes a previous run sent); false on a mismatch.
  bool
  catch_up(uint64_t end)
  {
    if (m_checked || end <= m_done) {
      return !m_mismatch;
    }
    int fd = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    char buffer[65536];
    while (fd >= 0 && m_done < end) {
      ssize_t n = ::pread(fd, buffer, std::min<uint64_t>(sizeof(buffer), end - m_done), m_done);
      if (n <= 0) {
        break;
      }
      EVP_DigestUpdate(m_context.get(), buffer, static_cast<size_t>(n));
      m_done += static_cast<uint64_t>(n);
    }
    if (fd >= 0) {
      ::close(fd);
    }
    if (m_done < end) {
      m_mismatch = true; // shorter than the manifest says
      m_actual = fmt::format("{} bytes", m_done);
      return false;
    }
    if (m_done >= m_blob.size) {
      finish();
    }
    return !m_mismatch;
  }

  // A range of the blob's file as a request body, fed to this check as it is read.
  HttpBody
  body(uint64_t from, uint64_t length)
  {
    HttpBody body = HttpBody::file_range(m_path, from, length);
    body.on_read = [this](uint64_t at, const char* data, size_t size) {
      return feed(at, data, size);
    };
    return body;
  }

  bool
  mismatch() const
  {
    return m_mismatch;
  }

  Error
  error(const std::string& layout) const
  {
    return Error(ErrorCode::verification,
                 fmt::format("blob {} in {} does not match its digest (its bytes are {}): the "
                             "layout is corrupt; nothing of it was committed to the registry",
                             m_blob.digest,
                             layout,
                             m_actual),
                 "pack the image again (the layout was changed or damaged after decant wrote "
                 "it), then push");
  }

private:
  void
  finish()
  {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(m_context.get(), digest, &length);
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) {
      hex += fmt::format("{:02x}", digest[i]);
    }
    m_checked = true;
    if (m_done != m_blob.size || "sha256:" + hex != m_blob.digest) {
      m_mismatch = true;
      m_actual = m_done != m_blob.size ? fmt::format("{} bytes", m_done) : "sha256:" + hex;
    }
  }

  std::string m_path;
  Descriptor m_blob;
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> m_context;
  uint64_t m_done = 0;
  bool m_checked = false;
  bool m_mismatch = false;
  std::string m_actual;
};

class Pusher
{
public:
  Pusher(const LayoutImage& image, const RegistryReference& reference, const PushOptions& options)
      : m_image(image),
        m_ref(reference),
        m_options(options),
        m_state(options.state_file, reference.api_host()),
        m_session(reference,
                  {options.insecure,
                   options.credentials,
                   options.retries,
                   options.backoff_seconds,
                   options.on_event},
                  make_http_options(),
                  "repository:" + reference.repository + ":pull,push")
  {
  }

  Result<PushOutcome>
  run()
  {
    auto started = Clock::now();
    PushOutcome outcome;
    outcome.reference = m_ref;
    outcome.manifest_digest = m_image.manifest.digest;
    outcome.manifest_media_type = m_image.manifest.media_type;
    if (!m_ref.digest.empty() && m_ref.digest != m_image.manifest.digest) {
      return fail(Error(ErrorCode::usage,
                        fmt::format("{} names digest {}, but the image's manifest is {}",
                                    m_ref.str(),
                                    m_ref.digest,
                                    m_image.manifest.digest),
                        "drop the @digest or give the digest of this image"));
    }
    std::vector<Descriptor> blobs = blobs_to_push(outcome);
    const size_t foreign = outcome.blobs.size();
    ask_mount_scopes(blobs);
    if (auto ping =
            m_session.with_retries("contact the registry", [&] { return m_session.ping(); });
        !ping) {
      return fail(ping.error());
    }
    auto missing = plan_uploads(blobs, outcome);
    if (!missing) {
      return fail(missing.error());
    }
    if (auto pushed = push_missing(blobs, *missing, foreign, outcome); !pushed) {
      return fail(pushed.error());
    }
    report_progress(true);
    if (auto manifest = push_manifest(outcome); !manifest) {
      return fail(manifest.error());
    }
    for (const auto& b : outcome.blobs) {
      outcome.bytes_uploaded += b.bytes_uploaded;
    }
    outcome.retries = m_session.retries_used();
    outcome.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return outcome;
  }

private:
  // The layers and the config, in manifest order. Foreign layers go straight into the outcome:
  // registries never hold these; the manifest's URLs say where they come from.
  std::vector<Descriptor>
  blobs_to_push(PushOutcome& outcome) const
  {
    std::vector<Descriptor> blobs;
    for (const auto& layer : m_image.layers) {
      if (layer.is_foreign()) {
        outcome.blobs.push_back({layer, "foreign", "", 0, 0});
        continue;
      }
      blobs.push_back(layer);
    }
    blobs.push_back(m_image.config);
    return blobs;
  }

  // Mount sources: the ones given, then the ones remembered; mount scopes are asked for up
  // front so one token covers them.
  void
  ask_mount_scopes(const std::vector<Descriptor>& blobs)
  {
    for (const auto& blob : blobs) {
      for (const auto& repo : mount_sources(blob.digest)) {
        m_session.add_scope("repository:" + repo + ":pull");
      }
    }
  }

  // Plan: which blobs the registry lacks (their indexes in `blobs`); their sizes make the
  // progress total.
  Result<std::vector<size_t>>
  plan_uploads(const std::vector<Descriptor>& blobs, PushOutcome& outcome)
  {
    std::vector<size_t> missing;
    for (size_t i = 0; i < blobs.size(); ++i) {
      outcome.image_bytes += blobs[i].size;
      auto present = m_session.with_retries("check blob " + blobs[i].digest,
                                            [&] { return blob_exists(blobs[i].digest); });
      if (!present) {
        return fail(present.error());
      }
      BlobOutcome blob_outcome;
      blob_outcome.blob = blobs[i];
      if (*present) {
        blob_outcome.status = "exists";
        m_state.add_blob(blobs[i].digest, m_ref.repository);
        event(fmt::format("{} exists ({})", blobs[i].digest, format_bytes(blobs[i].size)));
      } else {
        missing.push_back(i);
        m_total += blobs[i].size;
      }
      outcome.blobs.push_back(blob_outcome);
    }
    return missing;
  }

  // Pushes the blobs the plan found missing; their outcomes follow the `foreign` ones.
  Status
  push_missing(const std::vector<Descriptor>& blobs,
               const std::vector<size_t>& missing,
               size_t foreign,
               PushOutcome& outcome)
  {
    for (size_t n = 0; n < missing.size(); ++n) {
      size_t i = missing[n];
      BlobOutcome& blob_outcome = outcome.blobs[foreign + i];
      m_index = n + 1;
      m_count = missing.size();
      m_digest = blobs[i].digest;
      uint64_t credited_before = m_credited;
      auto pushed = m_session.with_retries("push blob " + blobs[i].digest, [&] {
        // A retry starts the blob over; what its earlier attempts counted towards the progress
        // total is taken back (the bytes sent stay counted in bytesUploaded).
        m_credited = credited_before;
        return push_blob(blobs[i], blob_outcome);
      });
      m_credited = credited_before + blobs[i].size;
      blob_outcome.bytes_uploaded = m_blob_sent_total;
      m_blob_sent_total = 0;
      if (!pushed) {
        return fail(pushed.error());
      }
      m_state.add_blob(blobs[i].digest, m_ref.repository);
      event(
          fmt::format("{} {}{} ({}, {} sent)",
                      blobs[i].digest,
                      blob_outcome.status,
                      blob_outcome.mounted_from.empty() ? "" : " from " + blob_outcome.mounted_from,
                      format_bytes(blobs[i].size),
                      format_bytes(blob_outcome.bytes_uploaded)));
    }
    return {};
  }

  // Puts the manifest and, when asked, reads back the digest the registry serves for it.
  Status
  push_manifest(PushOutcome& outcome)
  {
    auto manifest = m_session.with_retries("push the manifest", [&] { return put_manifest(); });
    if (!manifest) {
      return fail(manifest.error());
    }
    if (m_options.check_manifest) {
      auto served =
          m_session.with_retries("read the manifest back", [&] { return served_manifest(); });
      if (!served) {
        return fail(served.error());
      }
      outcome.registry_manifest_digest = *served;
    }
    return {};
  }

  HttpOptions
  make_http_options()
  {
    HttpOptions http;
    http.max_send_bytes_per_second = mbps_to_bytes_per_second(m_options.limit_mbps);
    http.on_sent = [this](uint64_t bytes) {
      m_blob_sent_total += bytes;
      m_credited += bytes;
      m_meter.add(seconds_now(), bytes);
      report_progress(false);
    };
    return http;
  }

  double
  seconds_now() const
  {
    return std::chrono::duration<double>(Clock::now() - m_epoch).count();
  }

  void
  report_progress(bool force)
  {
    if (!m_options.on_progress) {
      return;
    }
    double now = seconds_now();
    if (!force && now - m_last_report < 0.25) {
      return;
    }
    m_last_report = now;
    PushProgress p;
    p.index = m_index;
    p.count = m_count;
    p.digest = m_digest;
    p.sent = std::min(m_credited, m_total);
    p.total = m_total;
    p.bytes_per_second = m_meter.bytes_per_second(now);
    m_options.on_progress(p);
  }

  void
  event(const std::string& line) const
  {
    if (m_options.on_event) {
      m_options.on_event(line);
    }
  }

  RegistryAttempt<bool>
  blob_exists(const std::string& digest)
  {
    HttpRequest request;
    request.method = "HEAD";
    request.url = m_session.repo_url("blobs/" + digest);
    auto response = m_session.send(request);
    if (!response) {
      return tl::unexpected(response.error());
    }
    if (response->status == 200) {
      return true;
    }
    if (response->status == 404) {
      return false;
    }
    return fatal_failure(m_session.unexpected_status("HEAD", request.url, *response));
  }

  std::vector<std::string>
  mount_sources(const std::string& digest) const
  {
    std::vector<std::string> out;
    auto add = [&](const std::string& repo) {
      if (repo != m_ref.repository && std::find(out.begin(), out.end(), repo) == out.end()) {
        out.push_back(repo);
      }
    };
    for (const auto& repo : m_options.mount_from) {
      add(repo);
    }
    for (const auto& repo : m_state.repositories_with(digest)) {
      add(repo);
    }
    return out;
  }

  // Where a blob's upload goes, and how many of its bytes the registry already has.
  struct UploadSession {
    std::string location;
    uint64_t offset = 0;
  };

  RegistryAttempt<bool>
  push_blob(const Descriptor& blob, BlobOutcome& outcome)
  {
    // A retry may find the blob there after all (the last PUT landed, its answer did not).
    auto present = blob_exists(blob.digest);
    if (!present) {
      return tl::unexpected(present.error());
    }
    if (*present) {
      outcome.status = outcome.bytes_uploaded > 0 || m_blob_sent_total > 0 ? "uploaded" : "exists";
      return true;
    }
    auto session = resume_saved_upload(blob, outcome);
    if (!session) {
      return tl::unexpected(session.error());
    }
    if (session->location.empty()) {
      auto mounted = mount_blob(blob, outcome, *session);
      if (!mounted) {
        return tl::unexpected(mounted.error());
      }
      if (*mounted) {
        return true;
      }
    }
    if (session->location.empty()) {
      auto opened = open_upload();
      if (!opened) {
        return tl::unexpected(opened.error());
      }
      session->location = *opened;
    }
    BlobCheck check(m_image.blob_path(blob), blob);
    if (session->offset == 0 && blob.size <= m_options.chunk_bytes) {
      return put_whole_blob(blob, session->location, check, outcome);
    }
    if (auto sent = send_chunks(blob, *session, check); !sent) {
      return sent;
    }
    return close_upload(blob, session->location, check, outcome);
  }

  // The upload a previous run left for this blob, if the registry still has it; an empty
  // location otherwise.
  RegistryAttempt<UploadSession>
  resume_saved_upload(const Descriptor& blob, BlobOutcome& outcome)
  {
    UploadSession session;
    auto saved = m_state.upload(m_ref.repository, blob.digest);
    if (!saved) {
      return session;
    }
    auto resumed = resume_session(blob, saved->first);
    if (!resumed) {
      return tl::unexpected(resumed.error());
    }
    if (resumed->first.empty()) {
      m_state.clear_upload(m_ref.repository, blob.digest);
      return session;
    }
    session.location = resumed->first;
    session.offset = resumed->second;
    outcome.resumed_from = session.offset;
    m_credited += session.offset;
    event(fmt::format("{} resuming the upload at {}", blob.digest, format_bytes(session.offset)));
    return session;
  }

  // Tries a cross-repository mount from each source in turn: true when one mounted the blob.
  // A registry that cannot mount may open an ordinary upload instead: its location goes into
  // `session`.
  RegistryAttempt<bool>
  mount_blob(const Descriptor& blob, BlobOutcome& outcome, UploadSession& session)
  {
    for (const auto& source : mount_sources(blob.digest)) {
      HttpRequest request;
      request.method = "POST";
      request.url = add_query(
          add_query(m_session.repo_url("blobs/uploads/"), "mount", blob.digest), "from", source);
      auto response = m_session.send(request);
      if (!response) {
        return tl::unexpected(response.error());
      }
      if (response->status == 201) {
        outcome.status = "mounted";
        outcome.mounted_from = source;
        m_credited += blob.size;
        return true;
      }
      if (response->status == 202) {
        // Not mountable from there: the registry opened an ordinary upload instead.
        session.location = resolve_location(request.url, response->headers.get("Location"));
        break;
      }
    }
    return false;
  }

  // Opens an upload session (POST); returns its location.
  RegistryAttempt<std::string>
  open_upload()
  {
    HttpRequest request;
    request.method = "POST";
    request.url = m_session.repo_url("blobs/uploads/");
    auto response = m_session.send(request);
    if (!response) {
      return tl::unexpected(response.error());
    }
    if (response->status != 202 || response->headers.get("Location").empty()) {
      return fatal_failure(m_session.unexpected_status("POST", request.url, *response));
    }
    return resolve_location(request.url, response->headers.get("Location"));
  }

  // Sends a request whose body is blob bytes fed to `check`: bytes that are not what the
  // blob's digest says fail the push, whatever the registry answered.
  RegistryAttempt<HttpResponse>
  send_checked(HttpRequest request, BlobCheck& check)
  {
    request.has_body = true;
    auto response = m_session.send(std::move(request));
    if (check.mismatch()) {
      return fatal_failure(check.error(m_image.dir));
    }
    return response;
  }

  // Monolithic: the whole blob in the PUT that closes the upload.
  RegistryAttempt<bool>
  put_whole_blob(const Descriptor& blob,
                 const std::string& location,
                 BlobCheck& check,
                 BlobOutcome& outcome)
  {
    HttpRequest request;
    request.method = "PUT";
    request.url = add_query(location, "digest", blob.digest);
    request.headers.push_back("Content-Type: application/octet-stream");
    request.body = check.body(0, blob.size);
    auto response = send_checked(std::move(request), check);
    if (!response) {
      return tl::unexpected(response.error());
    }
    if (response->status != 201) {
      return fatal_failure(blob_rejected(blob, *response));
    }
    outcome.status = "uploaded";
    return true;
  }

  // Sends the rest of the blob from session.offset in PATCH chunks, remembering after each how
  // far the upload got so that a later run can resume it.
  RegistryAttempt<bool>
  send_chunks(const Descriptor& blob, UploadSession& session, BlobCheck& check)
  {
    while (session.offset < blob.size) {
      uint64_t offset = session.offset;
      uint64_t length = std::min<uint64_t>(m_options.chunk_bytes, blob.size - offset);
      HttpRequest request;
      request.method = "PATCH";
      request.url = session.location;
      request.headers.push_back("Content-Type: application/octet-stream");
      request.headers.push_back(fmt::format("Content-Range: {}-{}", offset, offset + length - 1));
      request.body = check.body(offset, length);
      auto response = send_checked(std::move(request), check);
      if (!response) {
        return tl::unexpected(response.error());
      }
      if (response->status == 416 || response->status == 404) {
        // The session is gone or elsewhere than we think: forget it, start the blob over.
        m_state.clear_upload(m_ref.repository, blob.digest);
        return transient_failure(
            Error(ErrorCode::network,
                  fmt::format("upload session of {} lost ({})", blob.digest, response->status)));
      }
      if (response->status != 202) {
        return fatal_failure(blob_rejected(blob, *response));
      }
      if (auto next = response->headers.get("Location"); !next.empty()) {
        session.location = resolve_location(session.location, next);
      }
      uint64_t next_offset = offset + length;
      if (auto range = next_offset_from_range(response->headers.get("Range"))) {
        next_offset = *range;
      }
      session.offset = next_offset;
      m_state.set_upload(m_ref.repository, blob.digest, session.location, session.offset);
    }
    return true;
  }

  // Commits a chunked upload with the PUT that names its digest.
  RegistryAttempt<bool>
  close_upload(const Descriptor& blob,
               const std::string& location,
               BlobCheck& check,
               BlobOutcome& outcome)
  {
    // Every byte was hashed on its way out (and what a previous run sent, read once now): the
    // upload is committed only when the whole blob is what its digest says.
    if (!check.catch_up(blob.size) || check.mismatch()) {
      m_state.clear_upload(m_ref.repository, blob.digest);
      return fatal_failure(check.error(m_image.dir));
    }
    HttpRequest close;
    close.method = "PUT";
    close.url = add_query(location, "digest", blob.digest);
    auto response = m_session.send(close);
    if (!response) {
      return tl::unexpected(response.error());
    }
    if (response->status != 201) {
      m_state.clear_upload(m_ref.repository, blob.digest);
      return fatal_failure(blob_rejected(blob, *response));
    }
    m_state.clear_upload(m_ref.repository, blob.digest);
    outcome.status = outcome.resumed_from > 0 ? "resumed" : "uploaded";
    return true;
  }

  // Asks the registry how far a remembered upload got (GET on its location, 204 + Range).
  // Returns ("", 0) when the session is no longer there.
  RegistryAttempt<std::pair<std::string, uint64_t>>
  resume_session(const Descriptor& blob, const std::string& location)
  {
    HttpRequest request;
    request.url = location;
    auto response = m_session.send(request);
    if (!response) {
      return tl::unexpected(response.error());
    }
    if (response->status != 204) {
      return std::make_pair(std::string(), uint64_t(0));
    }
    auto offset = next_offset_from_range(response->headers.get("Range"));
    if (!offset || *offset > blob.size) {
      return std::make_pair(std::string(), uint64_t(0));
    }
    std::string next = response->headers.get("Location");
    return std::make_pair(next.empty() ? location : resolve_location(location, next), *offset);
  }

  Error
  blob_rejected(const Descriptor& blob, const HttpResponse& response) const
  {
    std::string body = describe_registry_error(response.body);
    if (body.find("DIGEST_INVALID") != std::string::npos) {
      return Error(ErrorCode::invalid_input,
                   fmt::format("{} rejected blob {}: {} (the file in the layout does not match "
                               "its name)",
                               m_ref.api_host(),
                               blob.digest,
                               body),
                   "the OCI layout is corrupt; pack the image again");
    }
    return Error(
        ErrorCode::network,
        fmt::format(
            "{} rejected blob {}: {} {}", m_ref.api_host(), blob.digest, response.status, body));
  }

  RegistryAttempt<bool>
  put_manifest()
  {
    HttpRequest request;
    request.method = "PUT";
    request.url = m_session.repo_url("manifests/" + m_ref.manifest_reference());
    request.headers.push_back("Content-Type: " + m_image.manifest.media_type);
    request.body = HttpBody::bytes(m_image.manifest_bytes);
    request.has_body = true;
    auto response = m_session.send(request);
    if (!response) {
      return tl::unexpected(response.error());
    }
    if (response->status != 201 && response->status != 200) {
      return fatal_failure(Error(ErrorCode::network,
                                 fmt::format("{} rejected the manifest {} for {}: {} {}",
                                             m_ref.api_host(),
                                             m_image.manifest.digest,
                                             m_ref.str(),
                                             response->status,
                                             describe_registry_error(response->body)),
                                 "the registry's words above say what it did not accept"));
    }
    std::string digest = response->headers.get("Docker-Content-Digest");
    if (!digest.empty() && digest != m_image.manifest.digest) {
      return fatal_failure(Error(ErrorCode::network,
                                 fmt::format("{} stored the manifest as {}, not {}: it rewrote it",
                                             m_ref.api_host(),
                                             digest,
                                             m_image.manifest.digest)));
    }
    event(fmt::format("manifest {} tagged {}", m_image.manifest.digest, m_ref.str()));
    return true;
  }

  // The digest of the manifest the registry serves under the tag just pushed: the SHA-256 of
  // the bytes it returns, which must be the local manifest's.
  RegistryAttempt<std::string>
  served_manifest()
  {
    HttpRequest request;
    request.url = m_session.repo_url("manifests/" + m_ref.manifest_reference());
    request.headers.push_back("Accept: " + m_image.manifest.media_type);
    auto response = m_session.send(request);
    if (!response) {
      return tl::unexpected(response.error());
    }
    if (response->status != 200) {
      return fatal_failure(Error(ErrorCode::network,
                                 fmt::format("{} does not serve {} just pushed: {} {}",
                                             m_ref.api_host(),
                                             m_ref.str(),
                                             response->status,
                                             describe_registry_error(response->body))));
    }
    Sha256 hash;
    hash.update(response->body.data(), response->body.size());
    std::string digest = "sha256:" + hash.hex();
    if (digest != m_image.manifest.digest) {
      return fatal_failure(
          Error(ErrorCode::verification,
                fmt::format("{} serves manifest {} for {}, not the pushed {}",
                            m_ref.api_host(),
                            digest,
                            m_ref.str(),
                            m_image.manifest.digest),
                "another push to the same tag may have raced this one; push again"));
    }
    event(fmt::format(
        "registry serves manifest {} for {}: the same as the local one", digest, m_ref.str()));
    return digest;
  }

  const LayoutImage& m_image;
  RegistryReference m_ref;
  const PushOptions& m_options;
  PushState m_state;
  RegistrySession m_session;
  Clock::time_point m_epoch = Clock::now();
  RateMeter m_meter;
  double m_last_report = -1;
  uint64_t m_total = 0;
  uint64_t m_credited = 0;        // progress: bytes of `m_total` done
  uint64_t m_blob_sent_total = 0; // body bytes sent for the current blob, all attempts
  size_t m_index = 0;
  size_t m_count = 0;
  std::string m_digest;
};

} // namespace

uint64_t
mbps_to_bytes_per_second(double mbps)
{
  if (mbps <= 0) {
    return 0;
  }
  return std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(mbps * 125000.0)));
}

Result<PushOutcome>
push_image(const LayoutImage& image, const RegistryReference& reference, const PushOptions& options)
{
  if (options.limit_mbps < 0 || !std::isfinite(options.limit_mbps)) {
    return fail(Error(ErrorCode::usage,
                      fmt::format("--limit-mbps {} is not a positive rate", options.limit_mbps),
                      "give megabits per second, e.g. --limit-mbps 100"));
  }
  if (options.chunk_bytes == 0) {
    return fail(ErrorCode::usage, "the chunk size must be positive");
  }
  Pusher pusher(image, reference, options);
  return pusher.run();
}

json
to_json(const PushOutcome& outcome)
{
  json blobs = json::array();
  for (const auto& b : outcome.blobs) {
    json entry = {{"digest", b.blob.digest},
                  {"size", b.blob.size},
                  {"mediaType", b.blob.media_type},
                  {"status", b.status},
                  {"bytesUploaded", b.bytes_uploaded}};
    if (!b.mounted_from.empty()) {
      entry["mountedFrom"] = b.mounted_from;
    }
    if (b.resumed_from > 0) {
      entry["resumedFrom"] = b.resumed_from;
    }
    blobs.push_back(entry);
  }
  json out = {{"reference", outcome.reference.str()},
              {"digest", outcome.manifest_digest},
              {"mediaType", outcome.manifest_media_type},
              {"blobs", blobs},
              {"bytesUploaded", outcome.bytes_uploaded},
              {"imageBytes", outcome.image_bytes},
              {"retries", outcome.retries},
              {"seconds", std::round(outcome.seconds * 1000) / 1000}};
  if (!outcome.registry_manifest_digest.empty()) {
    out["registryDigest"] = outcome.registry_manifest_digest;
  }
  return out;
}

std::string
describe_registry_error(const std::string& body)
{
  // The registry's answer is untrusted: any shape, any size, any bytes. Only the fields of the
  // distribution spec's error format are read, each shortened and escaped.
  json j = parse_json_document(body).value_or(json());
  if (j.is_object() && j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()) {
    std::vector<std::string> parts;
    for (const auto& e : j["errors"]) {
      if (!e.is_object() || parts.size() >= 5) {
        continue;
      }
      std::string part = json_string(e, "code", "ERROR");
      part = shorten(part, 40);
      std::string message = json_string(e, "message");
      if (!message.empty()) {
        part += ": " + shorten(message, 200);
      }
      if (e.contains("detail") && !e["detail"].is_null() && !e["detail"].empty()
          && e["detail"] != "") {
        std::string detail = e["detail"].is_string()
                                 ? e["detail"].get<std::string>()
                                 : e["detail"].dump(-1, ' ', false, json::error_handler_t::replace);
        part += " (" + shorten(detail, 200) + ")";
      }
      parts.push_back(part);
    }
    if (!parts.empty()) {
      return join(parts, "; ");
    }
  }
  std::string text(trim(body));
  if (text.empty()) {
    return "(no error body)";
  }
  return shorten(text, 300);
}

std::optional<uint64_t>
next_offset_from_range(const std::string& range)
{
  std::string_view text = trim(range);
  if (starts_with(text, "bytes=")) {
    text.remove_prefix(6);
  }
  size_t dash = text.find('-');
  if (dash == std::string_view::npos) {
    return std::nullopt;
  }
  auto start = parse_u64(text.substr(0, dash));
  auto end = parse_u64(text.substr(dash + 1));
  if (!start || !end || *start != 0) {
    return std::nullopt;
  }
  // distribution writes "0-0" for an empty upload as well as for one byte; 0 is the safe reading
  // (a wrong guess is answered with 416 and the blob starts over).
  return *end == 0 ? 0 : *end + 1;
}

} // namespace decant
