#include <decant/analysis/analysis.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/json.hpp>
#include <decant/util/strings.hpp>
#include <decant/verify/report.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

namespace decant {

using nlohmann::json;

int
VerifyReport::exit_code() const
{
  if (source_restarted) {
    return ::decant::exit_code(ErrorCode::source_changed);
  }
  return failures.empty() ? 0 : ::decant::exit_code(ErrorCode::verification);
}

namespace {

json
side_json(const ProbeSide& side)
{
  json j = {{"answered", side.answered}};
  if (!side.answered) {
    j["error"] = side.error;
    return j;
  }
  j["status"] = side.status;
  j["contentType"] = side.content_type;
  j["bytes"] = side.bytes;
  j["ttfbMs"] = static_cast<int64_t>(side.ttfb_seconds * 1000 + 0.5);
  return j;
}

} // namespace

json
to_json(const VerifyReport& r)
{
  json ports = json::array();
  for (const auto& p : r.ports) {
    ports.push_back({{"port", p.port},
                     {"protocol", p.protocol},
                     {"role", p.role},
                     {"listening", p.listening},
                     {"afterSeconds", p.after_seconds}});
  }
  json probes = json::array();
  for (const auto& p : r.probes) {
    json j = {{"port", p.port},
              {"scheme", p.scheme},
              {"path", p.path},
              {"image", side_json(p.image)},
              {"verdict", p.verdict},
              {"passed", p.passed}};
    if (p.source) {
      j["source"] = side_json(*p.source);
    }
    if (!p.reason.empty()) {
      j["reason"] = p.reason;
    }
    if (!p.ranges.empty()) {
      json ranges = json::array();
      for (const auto& d : p.ranges) {
        ranges.push_back({{"kind", d.kind},
                          {"source", {d.source_begin, d.source_end}},
                          {"image", {d.image_begin, d.image_end}},
                          {"sourceText", d.source_text},
                          {"imageText", d.image_text}});
      }
      j["differences"] = ranges;
    }
    probes.push_back(j);
  }
  json tls = json::array();
  for (const auto& t : r.tls) {
    tls.push_back({{"port", t.port},
                   {"sourceSha256", t.source_sha256},
                   {"imageSha256", t.image_sha256},
                   {"match", t.match}});
  }
  json source = {{"compared", r.compared}};
  if (r.compared) {
    source["pid"] = r.source_pid;
  } else {
    source["reason"] = r.no_comparison;
  }
  if (r.source_restarted) {
    source["restarted"] = true;
    source["message"] = r.source_restart_message;
  }
  json j = {{"image", r.image},
            {"manifest", r.manifest_digest},
            {"analysis", r.analysis_path},
            {"applicationId", r.application_id},
            {"applicationType", r.application_type},
            {"result", r.passed() ? "passed" : "failed"},
            {"exitCode", r.exit_code()},
            {"source", source},
            {"timings",
             {{"unpackSeconds", r.unpack_seconds},
              {"startupSeconds", r.startup_seconds},
              {"probeSeconds", r.probe_seconds},
              {"totalSeconds", r.total_seconds}}},
            {"unpacked",
             {{"compressedBytes", r.unpack.compressed_bytes},
              {"tarBytes", r.unpack.tar_bytes},
              {"entries", r.unpack.entries}}},
            {"peakRssBytes", r.peak_rss_bytes},
            {"ports", ports},
            {"probes", probes},
            {"tls", tls},
            {"failures", r.failures},
            {"notes", r.notes},
            {"log", r.log_path}};
  if (r.image_exit_status) {
    j["imageExitStatus"] = *r.image_exit_status;
  }
  if (!r.log_tail.empty()) {
    j["logTail"] = r.log_tail;
  }
  if (!r.kept_dir.empty()) {
    j["kept"] = r.kept_dir;
  }
  return j;
}

Status
record_verification(const std::string& path, const VerifyReport& r)
{
  auto content = read_file(path);
  if (!content) {
    return fail(content.error());
  }
  auto parsed = parse_json(*content, path);
  if (!parsed) {
    return fail(parsed.error());
  }
  json document = std::move(*parsed);
  if (!document.is_object()) {
    return fail(ErrorCode::invalid_input, "{}: not a JSON object", path);
  }
  json& extensions = document["extensions"];
  if (!extensions.is_object()) {
    extensions = json::object();
  }
  json& verify = extensions["verify"];
  if (!verify.is_object()) {
    verify = json::object();
  }
  std::vector<std::string> answered;
  for (const auto& p : r.probes) {
    if (p.scheme != "tcp" && p.image.answered && p.image.status >= 200 && p.image.status < 300
        && std::find(answered.begin(), answered.end(), p.path) == answered.end()) {
      answered.push_back(p.path);
    }
  }
  verify["answered"] = answered;
  std::string current = json_string(verify, "httpPath"); // edited by operators: any type
  if (std::find(answered.begin(), answered.end(), current) == answered.end()) {
    if (answered.empty()) {
      verify.erase("httpPath");
    } else {
      verify["httpPath"] =
          std::find(answered.begin(), answered.end(), "/") != answered.end() ? "/" : answered[0];
    }
  }
  verify["lastRun"] = {{"at", utc_now()},
                       {"image", r.image},
                       {"manifest", r.manifest_digest},
                       {"result", r.passed() ? "passed" : "failed"},
                       {"compared", r.compared},
                       {"exitCode", r.exit_code()}};
  return write_file_atomic(path, document.dump(2) + "\n", 0644);
}

std::vector<std::string>
tail_lines(const std::string& path, size_t count)
{
  std::vector<std::string> out;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return out;
  }
  off_t size = ::lseek(fd, 0, SEEK_END);
  off_t start = size > 65536 ? size - 65536 : 0;
  std::string text(static_cast<size_t>(size - start), '\0');
  ssize_t n = ::pread(fd, text.data(), text.size(), start);
  ::close(fd);
  if (n <= 0) {
    return out;
  }
  text.resize(static_cast<size_t>(n));
  auto lines = split(text, '\n');
  if (!lines.empty() && lines.back().empty()) {
    lines.pop_back();
  }
  if (start > 0 && !lines.empty()) {
    lines.erase(lines.begin()); // cut in the middle
  }
  size_t from = lines.size() > count ? lines.size() - count : 0;
  out.assign(lines.begin() + static_cast<long>(from), lines.end());
  return out;
}

} // namespace decant
