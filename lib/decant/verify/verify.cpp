#include <decant/analysis/analysis.hpp>
#include <decant/analyzer/inventory.hpp>
#include <decant/proc/host_root.hpp>
#include <decant/proc/process.hpp>
#include <decant/registry/oci_layout_reader.hpp>
#include <decant/registry/progress.hpp>
#include <decant/run/image_config.hpp>
#include <decant/run/run_spec.hpp>
#include <decant/run/sandbox.hpp>
#include <decant/run/secrets.hpp>
#include <decant/run/unpack.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/strings.hpp>
#include <decant/verify/http_probe.hpp>
#include <decant/verify/probe_paths.hpp>
#include <decant/verify/verify.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace decant {

using nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

double
since(Clock::time_point start)
{
  return std::chrono::duration<double>(Clock::now() - start).count();
}

constexpr const char* k_tree_prefix = "decant-verify.";

std::string
temp_parent(const VerifyOptions& options)
{
  if (!options.temp_dir.empty()) {
    return options.temp_dir;
  }
  // /var/tmp: an image of hundreds of MB belongs on disk, not in a tmpfs /tmp.
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? tmp : "/var/tmp";
}

// The temporary tree: removed when it goes out of scope unless kept. Declared before the
// sandbox, so the sandbox is stopped first.
struct WorkTree {
  std::string path;
  bool keep = false;
  ~WorkTree()
  {
    if (!keep && !path.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  }
};

bool
cancelled(const VerifyOptions& o)
{
  return o.cancel && o.cancel->load();
}

Error
cancel_error()
{
  return Error(ErrorCode::aborted,
               "verification cancelled; the sandbox was stopped and its files removed",
               "run decant verify again to finish it");
}

void
say(const VerifyOptions& o, std::string message)
{
  workflow::Events(workflow::Stage::verify, o.events).message(std::move(message));
}

struct Source {
  bool live = false;
  int pid = 0;
  uint64_t start_time = 0;
  std::string reason;
  std::string note;
};

bool
same_network_namespace(int pid)
{
  std::error_code ec;
  auto theirs = std::filesystem::read_symlink(fmt::format("/proc/{}/ns/net", pid), ec);
  auto ours = std::filesystem::read_symlink("/proc/self/ns/net", ec);
  return !ec && theirs == ours;
}

// The running processes of `application_id` in this network namespace (an image of the same
// application verified next to it runs in a namespace of its own).
std::vector<int>
running_instances(const HostRoot& root,
                  const AnalyzerList& analyzers,
                  const std::string& application_id)
{
  std::vector<int> out;
  for (const auto& entry : inventory(root, analyzers)) {
    if (entry.identity.application_id == application_id
        && (!root.is_live() || same_network_namespace(entry.pid))) {
      out.push_back(entry.pid);
    }
  }
  return out;
}

Result<Source>
source_of_pid(const HostRoot& root,
              const AnalyzerList& analyzers,
              int pid,
              const std::string& application_id)
{
  auto target = select_analyzer(root, analyzers, pid);
  if (!target && target.error().code == ErrorCode::unsupported) {
    // A process no analyzer takes (or a wrapper around one) is not the analyzed application.
    return fail(
        Error(ErrorCode::invalid_input,
              fmt::format("--against {}: PID {} is not {}: {}",
                          pid,
                          pid,
                          application_id.empty() ? "an application decant migrates"
                                                 : "the analyzed application " + application_id,
                          target.error().message),
              target.error().hint.empty()
                  ? "give the PID of the application the image was packed from, or "
                    "--against none"
                  : target.error().hint));
  }
  if (!target) {
    return fail(target.error().context(fmt::format("--against {}", pid)));
  }
  auto identity = target->analyzer->identify(target->process, root);
  if (!identity) {
    return fail(identity.error().context(fmt::format("--against {}", pid)));
  }
  if (!application_id.empty() && identity->application_id != application_id) {
    return fail(Error(ErrorCode::invalid_input,
                      fmt::format("PID {} runs {}, not the analyzed application {}",
                                  pid,
                                  identity->application_id,
                                  application_id),
                      "give the PID of the application the image was packed from, its "
                      "application id, or --against none"));
  }
  Source source;
  source.live = true;
  source.pid = pid;
  source.start_time = target->process.stat.start_time;
  return source;
}

Result<Source>
find_source(const VerifyOptions& o, const HostRoot& root, const Analysis* analysis)
{
  Source none;
  const std::string app_id = analysis ? analysis->application_id : "";
  if (o.against == "none") {
    none.reason = "--against none";
    return none;
  }
  if (analysis && analysis->application_type == "machine") {
    none.reason = "a machine-level image is checked by its services' ports, not compared";
    return none;
  }
  static const AnalyzerList k_none;
  const AnalyzerList& analyzers = o.analyzers ? *o.analyzers : k_none;
  if (!o.against.empty()) {
    if (auto pid = parse_u64(o.against)) {
      if (*pid == 0 || *pid > 0x7fffffff) {
        return fail(Error(ErrorCode::usage,
                          fmt::format("--against {} is not a valid PID", o.against),
                          "give a PID, an application id or none"));
      }
      return source_of_pid(root, analyzers, static_cast<int>(*pid), app_id);
    }
    if (!app_id.empty() && o.against != app_id) {
      return fail(
          Error(ErrorCode::invalid_input,
                fmt::format("--against {}: the image holds application {}", o.against, app_id),
                "give the application the image was packed from, or --against none"));
    }
    auto pids = running_instances(root, analyzers, o.against);
    if (pids.empty()) {
      return fail(Error(ErrorCode::not_found,
                        fmt::format("no running application has the id {}", o.against),
                        "list running applications with `decant inventory`, or use --against "
                        "none"));
    }
    if (pids.size() > 1) {
      return fail(Error(ErrorCode::usage,
                        fmt::format("{} runs as several processes here", o.against),
                        "name one with --against PID"));
    }
    return source_of_pid(root, analyzers, pids.front(), app_id);
  }
  if (!analysis) {
    none.reason = "no analysis, so no known source (give --analysis FILE or --against PID)";
    return none;
  }
  // The analyzed PID when it is still the same process, else the application's current one.
  if (auto process = read_process(root, analysis->process.pid, {false, false, false, false});
      process && process->stat.start_time == analysis->process.start_time) {
    Source source;
    source.live = true;
    source.pid = analysis->process.pid;
    source.start_time = process->stat.start_time;
    return source;
  }
  auto pids = running_instances(root, analyzers, app_id);
  if (pids.size() == 1) {
    auto source = source_of_pid(root, analyzers, pids.front(), app_id);
    if (source) {
      source->note = fmt::format("the application was restarted since the analysis (PID {} then, "
                                 "{} now): compared with the running one",
                                 analysis->process.pid,
                                 pids.front());
    }
    return source;
  }
  none.reason =
      pids.empty()
          ? fmt::format("the source application {} is not running (PID {} is gone)",
                        app_id,
                        analysis->process.pid)
          : fmt::format("{} runs as several processes; say which with --against PID", app_id);
  return none;
}

Status
check_source_unchanged(const HostRoot& root, const Source& source)
{
  auto content = root.read_proc(source.pid, "stat");
  auto stat = content ? parse_stat(*content) : Result<ProcStat>(fail(ErrorCode::not_found, "gone"));
  if (!stat || stat->start_time != source.start_time || stat->state == 'Z') {
    return fail(Error(ErrorCode::source_changed,
                      fmt::format("the source application restarted during verification (PID {} "
                                  "{})",
                                  source.pid,
                                  stat ? "has a new start time" : "is gone"),
                      "verify again once the application runs steadily"));
  }
  return {};
}

// A port the image must open, with what the analysis says of it.
struct Target {
  uint16_t port = 0;
  std::string protocol = "tcp";
  std::string role;        // "" when unknown
  std::string source_host; // where the source listens, as an address to connect to
};

std::string
connect_address(const std::string& address)
{
  if (address.empty() || address == "0.0.0.0" || address == "::" || address == "*") {
    return "127.0.0.1";
  }
  if (starts_with(address, "::ffff:")) {
    return address.substr(7);
  }
  return address;
}

std::vector<Target>
targets_of(const ImageRunConfig& config, const Analysis* analysis, VerifyReport& report)
{
  std::vector<Target> out;
  std::set<uint16_t> wanted;
  if (analysis && analysis->application_type == "machine") {
    // Each recorded service's ports; the config's ExposedPorts are the same list.
    auto machine = analysis->extensions.find("machine");
    if (machine != analysis->extensions.end() && machine->is_object()) {
      for (const auto& service : machine->value("services", json::array())) {
        for (const auto& port : service.value("ports", json::array())) {
          if (port.is_number_unsigned() && port.get<uint64_t>() > 0
              && port.get<uint64_t>() < 65536) {
            wanted.insert(static_cast<uint16_t>(port.get<uint64_t>()));
          }
        }
      }
    }
  }
  for (const auto& exposed : config.exposed_ports) {
    if (exposed.protocol != "tcp") {
      report.notes.push_back(fmt::format(
          "port {}/{} is not checked (only TCP ports are)", exposed.port, exposed.protocol));
      continue;
    }
    wanted.insert(exposed.port);
  }
  for (uint16_t port : wanted) {
    Target t;
    t.port = port;
    t.source_host = "127.0.0.1";
    if (analysis) {
      for (const auto& p : analysis->ports) {
        if (p.port == port && p.protocol == "tcp") {
          t.role = to_string(p.role);
          t.source_host = connect_address(p.address);
          break;
        }
      }
    }
    out.push_back(t);
  }
  return out;
}

// Listening TCP ports of the sandbox (its network namespace, seen through its PID 1), with
// the address to reach each from inside.
std::map<uint16_t, std::string>
listening_ports(pid_t holder)
{
  std::map<uint16_t, std::string> out;
  for (bool v6 : {false, true}) {
    auto content = read_file(fmt::format("/proc/{}/net/{}", holder, v6 ? "tcp6" : "tcp"));
    if (!content) {
      continue;
    }
    auto sockets = parse_net_tcp(*content, v6);
    if (!sockets) {
      continue;
    }
    for (const auto& s : *sockets) {
      if (s.state != TcpState::listen) {
        continue;
      }
      // "::" is dual-stack unless the program said otherwise (Java, .NET, Go do not): 127.0.0.1
      // reaches it, and answers that name their own host then read as the source's do.
      std::string host = connect_address(s.local_address);
      auto [it, inserted] = out.emplace(s.local_port, host);
      if (!inserted && !v6) {
        it->second = host;
      } else if (!inserted && it->second.find(':') != std::string::npos && host == "127.0.0.1") {
        it->second = host;
      }
    }
  }
  return out;
}

// A TCP connect; "" when it connected, else why not.
std::string
tcp_connect(const std::string& host, uint16_t port, int timeout_ms)
{
  bool v6 = host.find(':') != std::string::npos;
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return std::strerror(errno);
  }
  int rc;
  if (v6) {
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_port = htons(port);
    inet_pton(AF_INET6, host.c_str(), &addr.sin6_addr);
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  } else {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  }
  std::string error;
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd pfd{fd, POLLOUT, 0};
    if (::poll(&pfd, 1, timeout_ms) <= 0) {
      error = "connection timed out";
    } else {
      int so_error = 0;
      socklen_t len = sizeof(so_error);
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
      if (so_error != 0) {
        error = std::strerror(so_error);
      }
    }
  } else if (rc != 0) {
    error = std::strerror(errno);
  }
  ::close(fd);
  return error;
}

struct Probe {
  Target target;
  std::string host_in_image;
  std::string path; // "" = tcp connect
};

struct Answer {
  HttpAnswer http;
  std::string tcp_error;
};

Answer
ask(const Probe& probe, const std::string& host, int timeout)
{
  Answer a;
  if (probe.path.empty()) {
    a.tcp_error = tcp_connect(host, probe.target.port, 10000);
    return a;
  }
  HttpGet get;
  get.https = probe.target.role == "https";
  get.host = host;
  get.port = probe.target.port;
  get.path = probe.path;
  get.timeout_seconds = timeout;
  a.http = http_get(get);
  return a;
}

ProbeSide
side_of(const HttpAnswer& answer)
{
  ProbeSide side;
  side.answered = answer.answered;
  side.error = answer.error;
  side.status = answer.status;
  side.content_type = answer.content_type;
  side.bytes = answer.body.size();
  side.ttfb_seconds = answer.ttfb_seconds;
  return side;
}

std::string
media_type(const std::string& content_type)
{
  // "text/html;charset=UTF-8" and "text/html; charset=utf-8" are the same type.
  std::string out;
  for (char c : content_type) {
    if (c != ' ' && c != '\t') {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

// A redirect to the server's own address ("http://127.0.0.1:8080/app/") is compared by its
// path: the source and the image are reached at different addresses.
std::string
own_origin_removed(const std::string& location, const std::string& origin)
{
  return starts_with(location, origin) ? location.substr(origin.size()) : location;
}

void
judge_http(ProbeResult& r,
           const HttpAnswer* source,
           const HttpAnswer& image,
           const std::string& source_origin,
           const std::string& image_origin)
{
  r.image = side_of(image);
  if (!image.answered) {
    if (source) {
      r.source = side_of(*source);
    }
    if (source && !source->answered) {
      r.verdict = "no answer";
      r.passed = true;
      r.reason = "neither answered: " + image.error;
      return;
    }
    r.verdict = "failed";
    r.reason = "the image did not answer: " + image.error;
    return;
  }
  if (!source || !source->answered) {
    if (source) {
      r.source = side_of(*source);
    }
    r.verdict = "answers";
    r.passed = image.status < 500;
    if (!r.passed) {
      r.reason = fmt::format("the image answers {} (a server error)", image.status);
    } else if (source) {
      r.reason = "the source did not answer: " + source->error;
    }
    return;
  }
  r.source = side_of(*source);
  if (source->status != image.status) {
    r.verdict = "different";
    r.reason = fmt::format("status {} (the source answers {})", image.status, source->status);
    return;
  }
  if (media_type(source->content_type) != media_type(image.content_type)) {
    r.verdict = "different";
    r.reason = fmt::format(
        "Content-Type \"{}\" (the source's is \"{}\")", image.content_type, source->content_type);
    return;
  }
  if (source->status >= 300 && source->status < 400
      && own_origin_removed(source->location, source_origin)
             != own_origin_removed(image.location, image_origin)) {
    r.verdict = "different";
    r.reason = fmt::format("redirects to {} (the source to {})", image.location, source->location);
    return;
  }
  auto comparison = compare_bodies(source->body, image.body);
  r.ranges = std::move(comparison.ranges);
  r.verdict = to_string(comparison.match);
  r.passed = comparison.match != BodyMatch::different;
  if (comparison.match == BodyMatch::same_shape) {
    std::set<std::string> kinds;
    for (const auto& d : r.ranges) {
      kinds.insert(d.kind);
    }
    r.reason = fmt::format("{} range(s) differ, each a {}",
                           r.ranges.size(),
                           join(std::vector<std::string>(kinds.begin(), kinds.end()), "/"));
  } else if (comparison.match == BodyMatch::different) {
    const DiffRange* first = nullptr;
    for (const auto& d : r.ranges) {
      if (d.kind == "content") {
        first = &d;
        break;
      }
    }
    r.reason = first ? fmt::format("body differs at byte {}: \"{}\" (the source has \"{}\")",
                                   first->image_begin,
                                   first->image_text,
                                   first->source_text)
                     : "body differs";
  }
  if (source->truncated || image.truncated) {
    r.reason += fmt::format(" (bodies compared up to {} MiB)", k_max_body_bytes >> 20);
  }
}

void
judge_tcp(ProbeResult& r, const std::string* source_error, const std::string& image_error)
{
  r.image.answered = image_error.empty();
  r.image.error = image_error;
  if (source_error) {
    ProbeSide side;
    side.answered = source_error->empty();
    side.error = *source_error;
    r.source = side;
  }
  r.passed = image_error.empty();
  r.verdict = r.passed ? "connects" : "failed";
  if (!r.passed) {
    r.reason = "cannot connect in the image: " + image_error;
  }
}

// Runs `work` on a thread that has entered the sandbox's network namespace (setns acts on the
// calling thread only).
template<typename Work>
Status
in_network_namespace(int net_fd, Work work)
{
  Status status;
  std::thread thread([&] {
    if (::setns(net_fd, CLONE_NEWNET) != 0) {
      status = fail(errno_error("cannot enter", "the sandbox's network namespace", errno));
      return;
    }
    work();
  });
  thread.join();
  return status;
}

Result<std::string>
make_tree(const std::string& parent)
{
  if (auto made = make_directories(parent, 01777); !made) {
    return fail(made.error());
  }
  std::string pattern = fmt::format("{}/{}{}.XXXXXX", parent, k_tree_prefix, ::getpid());
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (!::mkdtemp(buffer.data())) {
    return fail(errno_error("cannot create a temporary directory in", parent, errno));
  }
  return std::string(buffer.data());
}

Result<Analysis>
find_analysis(const VerifyOptions& o,
              const std::string& layout_dir,
              const ImageRunConfig& config,
              std::string& path,
              std::vector<std::string>& notes)
{
  std::string app_id;
  if (auto it = config.labels.find("io.decant.application-id"); it != config.labels.end()) {
    app_id = it->second;
  }
  if (!o.analysis.empty()) {
    path = o.analysis;
    auto analysis = load_analysis_without_secrets(path);
    if (analysis && !app_id.empty() && analysis->application_id != app_id) {
      notes.push_back(
          fmt::format("{} describes {}, the image {}", path, analysis->application_id, app_id));
    }
    return analysis;
  }
  auto candidates = analysis_candidates(layout_dir, app_id, o.workspace);
  for (const auto& candidate : candidates) {
    struct stat st {
    };
    if (::stat(candidate.c_str(), &st) != 0) {
      continue;
    }
    auto analysis = load_analysis_without_secrets(candidate);
    if (!analysis) {
      return fail(analysis.error());
    }
    if (!app_id.empty() && analysis->application_id != app_id) {
      continue; // beside the layout, but another application's
    }
    path = candidate;
    return analysis;
  }
  notes.push_back(fmt::format("no analysis found (looked for {}): ports are checked from the "
                              "image config, no source is known",
                              join(candidates, " and ")));
  path.clear();
  return Analysis{};
}

} // namespace

std::vector<std::string>
analysis_candidates(const std::string& layout_dir,
                    const std::string& application_id,
                    const std::string& workspace)
{
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  std::error_code ec;
  fs::path layout = fs::absolute(layout_dir, ec).lexically_normal();
  if (layout.has_filename() == false) {
    layout = layout.parent_path();
  }
  out.push_back((layout.parent_path() / "analysis.json").string());
  if (!application_id.empty() && application_id.find('/') == std::string::npos
      && application_id != "." && application_id != "..") {
    out.push_back(workspace + "/" + application_id + "/analysis.json");
  }
  return out;
}

void
remove_stale_verify_trees(const std::string& temp_dir)
{
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(temp_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!starts_with(name, k_tree_prefix)) {
      continue;
    }
    auto pid = parse_u64(
        name.substr(std::strlen(k_tree_prefix), name.rfind('.') - std::strlen(k_tree_prefix)));
    if (!pid || *pid == 0 || *pid > 0x7fffffff) {
      continue;
    }
    if (::kill(static_cast<pid_t>(*pid), 0) == 0 || errno != ESRCH) {
      continue; // still running (or not ours to judge)
    }
    struct stat st {
    };
    if (::lstat(entry.path().c_str(), &st) != 0 || !S_ISDIR(st.st_mode)
        || st.st_uid != ::geteuid()) {
      continue;
    }
    std::error_code ignored;
    std::filesystem::remove_all(entry.path(), ignored);
  }
}

namespace {

// What the stages of one verification share: the image and its config, the analysis (found, or
// made from the image's labels), the ports to check, and the report they fill in.
struct Verification {
  const VerifyOptions& o;
  VerifyReport report;
  std::string layout_dir;
  LayoutImage image;
  ImageRunConfig config;
  Analysis analysis;
  std::string analysis_path; // "" when no analysis was found
  std::vector<Target> targets;
  Clock::time_point t_start; // when the image was started

  bool
  have_analysis() const
  {
    return !analysis_path.empty();
  }
  const Analysis*
  known() const
  {
    return have_analysis() ? &analysis : nullptr;
  }
};

Status
read_image(Verification& v)
{
  auto [dir, name] = split_layout_argument(v.o.layout);
  auto image = read_oci_layout(dir, name);
  if (!image) {
    return fail(image.error());
  }
  v.layout_dir = dir;
  v.image = std::move(*image);
  v.report.image = v.image.name.empty() ? dir : dir + ":" + v.image.name;
  v.report.manifest_digest = v.image.manifest.digest;
  auto config = parse_image_config(v.image.config_bytes);
  if (!config) {
    return fail(config.error().context(fmt::format("{}: config {}", dir, v.image.config.digest)));
  }
  v.config = std::move(*config);
  return {};
}

// The analysis beside the layout or in the workspace (or --analysis); without one, what the
// image's labels say of the application.
Status
resolve_analysis(Verification& v)
{
  auto analysis = find_analysis(v.o, v.layout_dir, v.config, v.analysis_path, v.report.notes);
  if (!analysis) {
    return fail(analysis.error());
  }
  v.analysis = std::move(*analysis);
  v.report.analysis_path = v.analysis_path;
  if (v.have_analysis()) {
    v.report.application_id = v.analysis.application_id;
    v.report.application_type = v.analysis.application_type;
  } else {
    auto label = [&](const char* key) {
      auto it = v.config.labels.find(key);
      return it == v.config.labels.end() ? std::string() : it->second;
    };
    v.report.application_id = label("io.decant.application-id");
    v.report.application_type = label("io.decant.application-type");
    v.analysis = analysis_from_image_labels(label("io.decant.secret-env"), v.config.argv());
  }
  v.report.machine = v.report.application_type == "machine";
  return {};
}

// Secrets the run needs: from the secrets file beside the analysis, or --secrets.
Status
load_run_secrets(Verification& v)
{
  const VerifyOptions& o = v.o;
  auto needed = secrets_needed(v.analysis, v.config.argv());
  if (!o.secrets.empty() && ::access(o.secrets.c_str(), R_OK) != 0) {
    return fail(errno_error("--secrets: cannot read", o.secrets, errno));
  }
  if (needed.empty()) {
    return {};
  }
  std::string secrets = !o.secrets.empty()  ? o.secrets
                        : v.have_analysis() ? secrets_path_for(v.analysis_path)
                                            : "";
  if (secrets.empty()) {
    return fail(Error(ErrorCode::not_found,
                      fmt::format("the image needs the secrets {}, and there is no analysis to "
                                  "find them beside",
                                  join(needed, ", ")),
                      "give --secrets FILE (the secrets file `decant analyze` wrote) or "
                      "--analysis FILE"));
  }
  return load_secrets(v.analysis, secrets, needed);
}

// The running source to compare with, or why there is none.
Result<Source>
find_comparison_source(Verification& v, const HostRoot& root)
{
  auto source = find_source(v.o, root, v.known());
  if (!source) {
    return fail(source.error());
  }
  v.report.compared = source->live;
  v.report.source_pid = source->pid;
  v.report.no_comparison = source->reason;
  if (!source->note.empty()) {
    v.report.notes.push_back(source->note);
  }
  return source;
}

Status
check_privileges()
{
  if (::geteuid() != 0) {
    return fail(Error(ErrorCode::permission,
                      "decant verify runs the image in namespaces and mounts it creates, which "
                      "needs root",
                      "run it as root (sudo decant verify ...): it needs CAP_SYS_ADMIN for the "
                      "namespaces and mounts, CAP_SETUID/CAP_SETGID to become the image's user"));
  }
  return {};
}

std::string
rootfs_of(const WorkTree& tree)
{
  return tree.path + "/rootfs";
}

// The tree: rootfs/, the volumes, the output log.
Status
make_work_tree(Verification& v, WorkTree& tree)
{
  std::string parent = temp_parent(v.o);
  remove_stale_verify_trees(parent);
  auto tree_path = make_tree(parent);
  if (!tree_path) {
    return fail(tree_path.error());
  }
  tree.path = *tree_path;
  tree.keep = v.o.keep;
  std::string rootfs = rootfs_of(tree);
  if (::mkdir(rootfs.c_str(), 0755) != 0 || ::chmod(rootfs.c_str(), 0755) != 0) {
    return fail(errno_error("cannot create", rootfs, errno));
  }
  v.report.log_path = tree.path + "/output.log";
  return {};
}

Status
unpack_image(Verification& v, const std::string& rootfs)
{
  const VerifyOptions& o = v.o;
  auto t_unpack = Clock::now();
  UnpackOptions unpack_options;
  unpack_options.cancel = o.cancel;
  unpack_options.progress = [&](const UnpackProgress& p) {
    workflow::Event event;
    event.kind = workflow::Event::Kind::progress;
    event.message = "unpacking";
    event.done = p.done;
    event.total = p.total;
    event.item = p.layer;
    event.items = p.layers;
    workflow::Events(workflow::Stage::verify, o.events).send(event);
  };
  auto unpacked = unpack_layers(v.image, v.config.diff_ids, rootfs, unpack_options);
  if (!unpacked) {
    return fail(unpacked.error().code == ErrorCode::aborted ? cancel_error() : unpacked.error());
  }
  v.report.unpack = *unpacked;
  v.report.unpack_seconds = since(t_unpack);
  say(o,
      fmt::format("unpacked {} layers ({}, {} entries) in {:.1f}s, every digest checked",
                  v.image.layers.size(),
                  format_bytes(unpacked->tar_bytes),
                  unpacked->entries,
                  v.report.unpack_seconds));
  return {};
}

Result<SandboxSpec>
sandbox_spec(const Verification& v, const HostRoot& root, const WorkTree& tree)
{
  RunSpecOptions run;
  run.config = &v.config;
  run.rootfs = rootfs_of(tree);
  run.analysis = &v.analysis;
  run.have_analysis = v.have_analysis();
  run.scratch = tree.path;
  // Secret files left out of the image come from the source host, as `generate` reads them:
  // only when --root is that host.
  bool on_source = v.have_analysis() && root.hostname() == v.analysis.source.hostname;
  run.source = on_source ? &root : nullptr;
  run.hostname = v.have_analysis() && !v.analysis.source.hostname.empty()
                     ? v.analysis.source.hostname
                     : "decant";
  run.log_path = v.report.log_path;
  return make_sandbox_spec(run);
}

Result<std::unique_ptr<Sandbox>>
start_sandbox(Verification& v, const SandboxSpec& spec)
{
  // The config's argv, not the run's: secrets stay ${secret:NAME} in every message.
  say(v.o,
      fmt::format(
          "starting {} as {}:{}", join(v.config.argv(), " ").substr(0, 200), spec.uid, spec.gid));
  v.t_start = Clock::now();
  auto sandbox = Sandbox::start(spec);
  if (!sandbox) {
    Error error = sandbox.error();
    if (error.code == ErrorCode::verification) {
      auto tail = tail_lines(v.report.log_path, 20);
      if (!tail.empty()) {
        error.message += "; its last output:\n  " + join(tail, "\n  ");
      }
    }
    return fail(error);
  }
  return sandbox;
}

// Peak memory of the image: sampled through the whole run on a thread of its own.
class PeakMemorySampler
{
public:
  explicit PeakMemorySampler(const Sandbox& sandbox)
      : m_thread([this, &sandbox] { sample(sandbox); })
  {
  }
  ~PeakMemorySampler() { stop(); }
  PeakMemorySampler(const PeakMemorySampler&) = delete;
  PeakMemorySampler& operator=(const PeakMemorySampler&) = delete;

  // Stops sampling; the highest RSS seen.
  uint64_t
  stop()
  {
    m_sampling.store(false);
    if (m_thread.joinable()) {
      m_thread.join();
    }
    return m_peak.load();
  }

private:
  void
  sample(const Sandbox& sandbox)
  {
    while (m_sampling.load()) {
      uint64_t now = sandbox.rss_bytes();
      if (now > m_peak.load()) {
        m_peak.store(now);
      }
      for (int i = 0; i < 4 && m_sampling.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  }

  std::atomic<bool> m_sampling{true};
  std::atomic<uint64_t> m_peak{0};
  std::thread m_thread; // last: it starts once the flags above exist
};

// The ports the image listens on: `listening` as last seen (port -> address to reach it from
// inside), `open` every target port seen listening at some point.
struct OpenPorts {
  std::map<uint16_t, std::string> listening;
  std::set<uint16_t> open;
};

std::vector<std::string>
ports_not_open(const std::vector<Target>& targets, const std::set<uint16_t>& open)
{
  std::vector<std::string> out;
  for (const auto& t : targets) {
    if (!open.count(t.port)) {
      out.push_back(std::to_string(t.port));
    }
  }
  return out;
}

void
record_new_listeners(Verification& v, OpenPorts& ports)
{
  for (const auto& t : v.targets) {
    if (ports.listening.count(t.port) && ports.open.insert(t.port).second) {
      PortResult p;
      p.port = t.port;
      p.role = t.role;
      p.listening = true;
      p.after_seconds = since(v.t_start);
      v.report.ports.push_back(p);
      say(v.o, fmt::format("port {} listens after {:.1f}s", t.port, p.after_seconds));
    }
  }
}

// The start-up time, and the ports that never listened, in port order with the others.
void
record_start_up(Verification& v, const OpenPorts& ports)
{
  v.report.startup_seconds = since(v.t_start);
  for (const auto& t : v.targets) {
    if (!ports.open.count(t.port)) {
      PortResult p;
      p.port = t.port;
      p.role = t.role;
      v.report.ports.push_back(p);
    }
  }
  std::sort(v.report.ports.begin(), v.report.ports.end(), [](const auto& a, const auto& b) {
    return a.port < b.port;
  });
}

// Waits for every port to listen, the image to exit, the timeout or a cancel.
Result<OpenPorts>
wait_for_ports(Verification& v, Sandbox& sandbox)
{
  const VerifyOptions& o = v.o;
  const auto& targets = v.targets;
  OpenPorts ports;
  const auto deadline = v.t_start + std::chrono::seconds(o.timeout_seconds);
  auto last_said = v.t_start;
  for (;;) {
    if (cancelled(o)) {
      return fail(cancel_error());
    }
    ports.listening = listening_ports(sandbox.holder_pid());
    record_new_listeners(v, ports);
    if (ports.open.size() == targets.size() && !targets.empty()) {
      break;
    }
    if (auto status = sandbox.exit_status()) {
      v.report.image_exit_status = status;
      v.report.failures.push_back(
          fmt::format("the image's process exited with status {} after {:.1f}s{}",
                      *status,
                      since(v.t_start),
                      targets.empty() ? "" : ", before all its ports listened"));
      break;
    }
    if (Clock::now() >= deadline) {
      if (!targets.empty()) {
        v.report.failures.push_back(fmt::format("port {} did not listen within {} s (--timeout)",
                                                join(ports_not_open(targets, ports.open), ", "),
                                                o.timeout_seconds));
      }
      break;
    }
    if (since(last_said) >= 10) {
      say(o,
          fmt::format("waiting for port {} to listen: {:.0f}s of {}s",
                      join(ports_not_open(targets, ports.open), ", "),
                      since(v.t_start),
                      o.timeout_seconds));
      last_said = Clock::now();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  record_start_up(v, ports);
  return ports;
}

// The HTTP paths to ask: those the analysis suggests (read in the unpacked image), or "/",
// and --probe.
std::vector<std::string>
probe_paths(const Verification& v, const std::string& rootfs)
{
  auto image_root = HostRoot::open(rootfs);
  std::vector<std::string> paths = image_root && v.have_analysis()
                                       ? default_probe_paths(v.analysis, *image_root)
                                       : std::vector<std::string>{"/"};
  for (const auto& extra : v.o.probes) {
    std::string path = extra.empty() || extra[0] != '/' ? "/" + extra : extra;
    if (std::find(paths.begin(), paths.end(), path) == paths.end()) {
      paths.push_back(path);
    }
  }
  return paths;
}

// On each listening port, the HTTP paths (HTTP and HTTPS roles, and ports of unknown role) or
// a TCP connect.
std::vector<Probe>
plan_probes(const Verification& v, OpenPorts& ports, const std::vector<std::string>& paths)
{
  std::vector<Probe> probes;
  for (const auto& t : v.targets) {
    if (!ports.open.count(t.port)) {
      continue;
    }
    bool http = !v.report.machine && (t.role == "http" || t.role == "https" || t.role.empty());
    if (http) {
      for (const auto& path : paths) {
        probes.push_back({t, ports.listening[t.port], path});
      }
    } else {
      probes.push_back({t, ports.listening[t.port], ""});
    }
  }
  return probes;
}

// Asks every probe of the image (from inside its network namespace) and, when there is a
// source to compare with, of the source at the same time.
Status
ask_probes(const Verification& v,
           const Sandbox& sandbox,
           const std::vector<Probe>& probes,
           std::vector<Answer>& image_answers,
           std::vector<Answer>& source_answers)
{
  const VerifyOptions& o = v.o;
  say(o,
      fmt::format("probing {} path(s) on {}",
                  probes.size(),
                  v.report.compared ? "the source and the image" : "the image"));
  std::thread source_thread([&] {
    if (!v.report.compared) {
      return;
    }
    for (size_t i = 0; i < probes.size() && !cancelled(o); ++i) {
      source_answers[i] = ask(probes[i], probes[i].target.source_host, o.request_timeout_seconds);
    }
  });
  auto entered = in_network_namespace(sandbox.net_fd(), [&] {
    for (size_t i = 0; i < probes.size() && !cancelled(o); ++i) {
      image_answers[i] = ask(probes[i], probes[i].host_in_image, o.request_timeout_seconds);
    }
  });
  source_thread.join();
  if (!entered) {
    return fail(entered.error());
  }
  if (cancelled(o)) {
    return fail(cancel_error());
  }
  return {};
}

// "http://host:port" (url_of() without its trailing "/").
std::string
origin_of(bool https, const std::string& host, uint16_t port)
{
  HttpGet origin;
  origin.https = https;
  origin.port = port;
  origin.path = "";
  origin.host = host;
  std::string url = url_of(origin);
  url.pop_back();
  return url;
}

// The verdict on one probe; nothing for a further path of a port of unknown role that did not
// answer HTTP (its first path checked it by a TCP connect).
std::optional<ProbeResult>
judge_probe(const Probe& probe,
            const Answer& image,
            const Answer* source,
            const std::string& first_path)
{
  ProbeResult r;
  r.port = probe.target.port;
  r.path = probe.path;
  if (probe.path.empty()) {
    r.scheme = "tcp";
    judge_tcp(r, source ? &source->tcp_error : nullptr, image.tcp_error);
    return r;
  }
  r.scheme = probe.target.role == "https" ? "https" : "http";
  const HttpAnswer& img = image.http;
  if (probe.target.role.empty() && !img.answered) {
    if (probe.path != first_path) {
      return std::nullopt;
    }
    // A port of unknown role that does not speak HTTP: a TCP connect is all to check.
    r.scheme = "tcp";
    r.path.clear();
    judge_tcp(r, nullptr, "");
    r.reason = "not HTTP (" + img.error + "): checked by a TCP connect";
    return r;
  }
  judge_http(r,
             source ? &source->http : nullptr,
             img,
             origin_of(r.scheme == "https", probe.target.source_host, r.port),
             origin_of(r.scheme == "https", probe.host_in_image, r.port));
  return r;
}

// The image must present the source's certificate: checked once per HTTPS port.
void
compare_certificates(VerifyReport& report,
                     std::map<uint16_t, TlsResult>& tls,
                     uint16_t port,
                     const HttpAnswer& source,
                     const HttpAnswer& image)
{
  if (!source.answered || !image.answered || tls.count(port)) {
    return;
  }
  TlsResult t;
  t.port = port;
  t.source_sha256 = source.certificate_sha256;
  t.image_sha256 = image.certificate_sha256;
  t.match = !t.source_sha256.empty() && t.source_sha256 == t.image_sha256;
  if (!t.match) {
    report.failures.push_back(fmt::format("port {}: the image's certificate {} is not the "
                                          "source's {}",
                                          port,
                                          t.image_sha256.empty() ? "(none)" : t.image_sha256,
                                          t.source_sha256.empty() ? "(none)" : t.source_sha256));
  }
  tls[port] = t;
}

void
judge_answers(Verification& v,
              const std::vector<Probe>& probes,
              const std::vector<std::string>& paths,
              const std::vector<Answer>& image_answers,
              const std::vector<Answer>& source_answers)
{
  VerifyReport& report = v.report;
  std::map<uint16_t, TlsResult> tls;
  for (size_t i = 0; i < probes.size(); ++i) {
    const Answer* source = report.compared ? &source_answers[i] : nullptr;
    auto r = judge_probe(probes[i], image_answers[i], source, paths.front());
    if (!r) {
      continue;
    }
    if (r->scheme == "https" && source) {
      compare_certificates(report, tls, r->port, source->http, image_answers[i].http);
    }
    if (!r->passed) {
      report.failures.push_back(
          fmt::format("{}{}: {}", r->port, r->path.empty() ? "" : " " + r->path, r->reason));
    }
    report.probes.push_back(std::move(*r));
  }
  for (auto& [port, t] : tls) {
    report.tls.push_back(t);
  }
}

// Probes: on each listening port, the HTTP paths or a TCP connect, on the image and on the
// source at the same time, each answer judged against the source's.
Status
probe_ports(Verification& v, const Sandbox& sandbox, const std::string& rootfs, OpenPorts& ports)
{
  auto t_probe = Clock::now();
  std::vector<std::string> paths = probe_paths(v, rootfs);
  std::vector<Probe> probes = plan_probes(v, ports, paths);
  std::vector<Answer> image_answers(probes.size());
  std::vector<Answer> source_answers(probes.size());
  if (!probes.empty() && !v.report.image_exit_status) {
    if (auto asked = ask_probes(v, sandbox, probes, image_answers, source_answers); !asked) {
      return asked;
    }
  }
  if (!v.report.image_exit_status) {
    judge_answers(v, probes, paths, image_answers, source_answers);
  }
  v.report.probe_seconds = since(t_probe);
  return {};
}

void
check_still_running(Verification& v, Sandbox& sandbox)
{
  if (v.report.image_exit_status) {
    return;
  }
  if (auto status = sandbox.exit_status()) {
    v.report.image_exit_status = status;
    v.report.failures.push_back(fmt::format("the image's process exited with status {} while it "
                                            "was probed",
                                            *status));
  }
}

// The verdict's last parts, once the image is stopped: whether the source restarted
// meanwhile, the notes, the output of a failed run, what --keep kept, and the verdict recorded
// in the analysis.
void
complete_report(Verification& v, const HostRoot& root, const Source& source, const WorkTree& tree)
{
  VerifyReport& report = v.report;
  if (report.compared) {
    if (auto unchanged = check_source_unchanged(root, source); !unchanged) {
      report.source_restarted = true;
      report.source_restart_message = unchanged.error().message;
    }
  }
  if (!report.compared) {
    report.notes.push_back("no comparison was possible: " + report.no_comparison
                           + "; the image was run and its ports checked");
  }
  if (!report.passed()) {
    report.log_tail = tail_lines(report.log_path, 20);
  }
  if (v.o.keep) {
    report.kept_dir = tree.path;
  } else {
    report.log_path.clear();
  }
  if (v.have_analysis() && v.o.record) {
    if (auto recorded = record_verification(v.analysis_path, report); !recorded) {
      report.notes.push_back("the verdict could not be recorded in " + v.analysis_path + ": "
                             + recorded.error().message);
    }
  }
}

// Reads the image and what is known of its source, before anything runs.
Status
prepare(Verification& v)
{
  if (v.o.timeout_seconds <= 0) {
    return fail(Error(ErrorCode::usage, "--timeout must be a positive number of seconds"));
  }
  if (auto read = read_image(v); !read) {
    return read;
  }
  if (auto found = resolve_analysis(v); !found) {
    return found;
  }
  return load_run_secrets(v);
}

} // namespace

Result<VerifyReport>
verify_image(const VerifyOptions& o)
{
  const auto started = Clock::now();
  Verification v{o};
  if (auto prepared = prepare(v); !prepared) {
    return fail(prepared.error());
  }
  auto root = HostRoot::open(o.root);
  if (!root) {
    return fail(root.error());
  }
  auto source = find_comparison_source(v, *root);
  if (!source) {
    return fail(source.error());
  }
  if (auto privileged = check_privileges(); !privileged) {
    return fail(privileged.error());
  }
  WorkTree tree; // before the sandbox, so the sandbox is stopped first
  if (auto made = make_work_tree(v, tree); !made) {
    return fail(made.error());
  }
  if (auto unpacked = unpack_image(v, rootfs_of(tree)); !unpacked) {
    return fail(unpacked.error());
  }
  auto spec = sandbox_spec(v, *root, tree);
  if (!spec) {
    return fail(spec.error());
  }
  v.targets = targets_of(v.config, v.known(), v.report);
  if (v.targets.empty()) {
    v.report.notes.push_back("the image exposes no TCP port: it is only checked to keep running");
  }
  if (cancelled(o)) {
    return fail(cancel_error());
  }
  auto sandbox = start_sandbox(v, *spec);
  if (!sandbox) {
    return fail(sandbox.error());
  }
  PeakMemorySampler sampler(**sandbox);
  auto ports = wait_for_ports(v, **sandbox);
  if (!ports) {
    return fail(ports.error());
  }
  if (auto probed = probe_ports(v, **sandbox, rootfs_of(tree), *ports); !probed) {
    return fail(probed.error());
  }
  check_still_running(v, **sandbox);
  v.report.peak_rss_bytes = sampler.stop();
  // Stopped as Kubernetes stops a pod (SIGTERM, then SIGKILL), with a shorter grace than its
  // 30 s: the output log then holds what the application writes while it shuts down, such as
  // the access-log lines Tomcat buffers.
  (*sandbox)->stop(std::chrono::seconds(10));
  complete_report(v, *root, *source, tree);
  v.report.total_seconds = since(started);
  return std::move(v.report);
}

} // namespace decant
