#include <decant/verify/report.hpp>

namespace decant {

using nlohmann::json;

namespace {

template<typename T>
T
field(const json& object, const char* key, T fallback)
{
  if (!object.is_object() || !object.contains(key)) {
    return fallback;
  }
  try {
    return object[key].get<T>();
  } catch (const json::exception&) {
    return fallback;
  }
}

const json&
member(const json& object, const char* key)
{
  static const json k_none;
  return object.is_object() && object.contains(key) ? object[key] : k_none;
}

ProbeSide
side_from(const json& in)
{
  ProbeSide side;
  side.answered = field(in, "answered", false);
  side.error = field(in, "error", std::string());
  side.status = field(in, "status", 0L);
  side.content_type = field(in, "contentType", std::string());
  side.bytes = field(in, "bytes", uint64_t{0});
  side.ttfb_seconds = static_cast<double>(field(in, "ttfbMs", int64_t{0})) / 1000;
  return side;
}

std::pair<uint64_t, uint64_t>
range_from(const json& in)
{
  if (!in.is_array() || in.size() != 2 || !in[0].is_number_unsigned()
      || !in[1].is_number_unsigned()) {
    return {0, 0};
  }
  return {in[0].get<uint64_t>(), in[1].get<uint64_t>()};
}

ProbeResult
probe_from(const json& in)
{
  ProbeResult p;
  p.port = field(in, "port", uint16_t{0});
  p.scheme = field(in, "scheme", std::string());
  p.path = field(in, "path", std::string());
  p.image = side_from(member(in, "image"));
  if (member(in, "source").is_object()) {
    p.source = side_from(member(in, "source"));
  }
  p.verdict = field(in, "verdict", std::string());
  p.passed = field(in, "passed", false);
  p.reason = field(in, "reason", std::string());
  for (const auto& d :
       member(in, "differences").is_array() ? member(in, "differences") : json::array()) {
    DiffRange range;
    range.kind = field(d, "kind", std::string());
    std::tie(range.source_begin, range.source_end) = range_from(member(d, "source"));
    std::tie(range.image_begin, range.image_end) = range_from(member(d, "image"));
    range.source_text = field(d, "sourceText", std::string());
    range.image_text = field(d, "imageText", std::string());
    p.ranges.push_back(range);
  }
  return p;
}

} // namespace

std::optional<VerifyReport>
verify_report_from_json(const json& in)
{
  if (!in.is_object()) {
    return std::nullopt;
  }
  VerifyReport r;
  r.image = field(in, "image", std::string());
  r.manifest_digest = field(in, "manifest", std::string());
  r.analysis_path = field(in, "analysis", std::string());
  r.application_id = field(in, "applicationId", std::string());
  r.application_type = field(in, "applicationType", std::string());
  const json& source = member(in, "source");
  r.compared = field(source, "compared", false);
  r.source_pid = field(source, "pid", 0);
  r.no_comparison = field(source, "reason", std::string());
  r.source_restarted = field(source, "restarted", false);
  r.source_restart_message = field(source, "message", std::string());
  const json& timings = member(in, "timings");
  r.unpack_seconds = field(timings, "unpackSeconds", 0.0);
  r.startup_seconds = field(timings, "startupSeconds", 0.0);
  r.probe_seconds = field(timings, "probeSeconds", 0.0);
  r.total_seconds = field(timings, "totalSeconds", 0.0);
  r.peak_rss_bytes = field(in, "peakRssBytes", uint64_t{0});
  for (const auto& p : member(in, "ports").is_array() ? member(in, "ports") : json::array()) {
    r.ports.push_back({field(p, "port", uint16_t{0}),
                       field(p, "protocol", std::string("tcp")),
                       field(p, "role", std::string()),
                       field(p, "listening", false),
                       field(p, "afterSeconds", 0.0)});
  }
  for (const auto& p : member(in, "probes").is_array() ? member(in, "probes") : json::array()) {
    r.probes.push_back(probe_from(p));
  }
  for (const auto& t : member(in, "tls").is_array() ? member(in, "tls") : json::array()) {
    r.tls.push_back({field(t, "port", uint16_t{0}),
                     field(t, "sourceSha256", std::string()),
                     field(t, "imageSha256", std::string()),
                     field(t, "match", false)});
  }
  r.failures = field(in, "failures", std::vector<std::string>());
  r.notes = field(in, "notes", std::vector<std::string>());
  r.log_tail = field(in, "logTail", std::vector<std::string>());
  r.log_path = field(in, "log", std::string());
  return r;
}

} // namespace decant
