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

Result<VerifyReport>
verify_image(const VerifyOptions& o)
{
  const auto started = Clock::now();
  if (o.timeout_seconds <= 0) {
    return fail(Error(ErrorCode::usage, "--timeout must be a positive number of seconds"));
  }
  VerifyReport report;
  auto [dir, name] = split_layout_argument(o.layout);
  auto image = read_oci_layout(dir, name);
  if (!image) {
    return fail(image.error());
  }
  report.image = image->name.empty() ? dir : dir + ":" + image->name;
  report.manifest_digest = image->manifest.digest;
  auto config = parse_image_config(image->config_bytes);
  if (!config) {
    return fail(config.error().context(fmt::format("{}: config {}", dir, image->config.digest)));
  }
  std::string analysis_path;
  auto analysis = find_analysis(o, dir, *config, analysis_path, report.notes);
  if (!analysis) {
    return fail(analysis.error());
  }
  const bool have_analysis = !analysis_path.empty();
  report.analysis_path = analysis_path;
  if (have_analysis) {
    report.application_id = analysis->application_id;
    report.application_type = analysis->application_type;
  } else {
    auto label = [&](const char* key) {
      auto it = config->labels.find(key);
      return it == config->labels.end() ? std::string() : it->second;
    };
    report.application_id = label("io.decant.application-id");
    report.application_type = label("io.decant.application-type");
    *analysis = analysis_from_image_labels(label("io.decant.secret-env"), config->argv());
  }
  report.machine = report.application_type == "machine";

  // Secrets the run needs: from the secrets file beside the analysis, or --secrets.
  auto needed = secrets_needed(*analysis, config->argv());
  if (!o.secrets.empty() && ::access(o.secrets.c_str(), R_OK) != 0) {
    return fail(errno_error("--secrets: cannot read", o.secrets, errno));
  }
  if (!needed.empty()) {
    std::string secrets = !o.secrets.empty() ? o.secrets
                          : have_analysis    ? secrets_path_for(analysis_path)
                                             : "";
    if (secrets.empty()) {
      return fail(Error(ErrorCode::not_found,
                        fmt::format("the image needs the secrets {}, and there is no analysis to "
                                    "find them beside",
                                    join(needed, ", ")),
                        "give --secrets FILE (the secrets file `decant analyze` wrote) or "
                        "--analysis FILE"));
    }
    if (auto loaded = load_secrets(*analysis, secrets, needed); !loaded) {
      return fail(loaded.error());
    }
  }
  auto root = HostRoot::open(o.root);
  if (!root) {
    return fail(root.error());
  }
  const Analysis* known = have_analysis ? &*analysis : nullptr;
  auto source = find_source(o, *root, known);
  if (!source) {
    return fail(source.error());
  }
  report.compared = source->live;
  report.source_pid = source->pid;
  report.no_comparison = source->reason;
  if (!source->note.empty()) {
    report.notes.push_back(source->note);
  }
  if (::geteuid() != 0) {
    return fail(Error(ErrorCode::permission,
                      "decant verify runs the image in namespaces and mounts it creates, which "
                      "needs root",
                      "run it as root (sudo decant verify ...): it needs CAP_SYS_ADMIN for the "
                      "namespaces and mounts, CAP_SETUID/CAP_SETGID to become the image's user"));
  }

  // The tree: rootfs/, the volumes, the output log.
  std::string parent = temp_parent(o);
  remove_stale_verify_trees(parent);
  auto tree_path = make_tree(parent);
  if (!tree_path) {
    return fail(tree_path.error());
  }
  WorkTree tree{*tree_path, o.keep};
  std::string rootfs = tree.path + "/rootfs";
  if (::mkdir(rootfs.c_str(), 0755) != 0 || ::chmod(rootfs.c_str(), 0755) != 0) {
    return fail(errno_error("cannot create", rootfs, errno));
  }
  report.log_path = tree.path + "/output.log";

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
  auto unpacked = unpack_layers(*image, config->diff_ids, rootfs, unpack_options);
  if (!unpacked) {
    return fail(unpacked.error().code == ErrorCode::aborted ? cancel_error() : unpacked.error());
  }
  report.unpack = *unpacked;
  report.unpack_seconds = since(t_unpack);
  say(o,
      fmt::format("unpacked {} layers ({}, {} entries) in {:.1f}s, every digest checked",
                  image->layers.size(),
                  format_bytes(unpacked->tar_bytes),
                  unpacked->entries,
                  report.unpack_seconds));

  RunSpecOptions run;
  run.config = &*config;
  run.rootfs = rootfs;
  run.analysis = &*analysis;
  run.have_analysis = have_analysis;
  run.scratch = tree.path;
  // Secret files left out of the image come from the source host, as `generate` reads them:
  // only when --root is that host.
  run.source = have_analysis && root->hostname() == analysis->source.hostname ? &*root : nullptr;
  run.hostname =
      have_analysis && !analysis->source.hostname.empty() ? analysis->source.hostname : "decant";
  run.log_path = report.log_path;
  auto spec = make_sandbox_spec(run);
  if (!spec) {
    return fail(spec.error());
  }
  auto targets = targets_of(*config, known, report);
  if (targets.empty()) {
    report.notes.push_back("the image exposes no TCP port: it is only checked to keep running");
  }
  if (cancelled(o)) {
    return fail(cancel_error());
  }
  // The config's argv, not the run's: secrets stay ${secret:NAME} in every message.
  say(o,
      fmt::format(
          "starting {} as {}:{}", join(config->argv(), " ").substr(0, 200), spec->uid, spec->gid));
  auto t_start = Clock::now();
  auto sandbox = Sandbox::start(*spec);
  if (!sandbox) {
    Error error = sandbox.error();
    if (error.code == ErrorCode::verification) {
      auto tail = tail_lines(report.log_path, 20);
      if (!tail.empty()) {
        error.message += "; its last output:\n  " + join(tail, "\n  ");
      }
    }
    return fail(error);
  }

  // Peak memory: sampled through the whole run on a thread of its own.
  std::atomic<bool> sampling{true};
  std::atomic<uint64_t> peak{0};
  std::thread sampler([&] {
    while (sampling.load()) {
      uint64_t now = (*sandbox)->rss_bytes();
      if (now > peak.load()) {
        peak.store(now);
      }
      for (int i = 0; i < 4 && sampling.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  });
  struct StopSampler {
    std::atomic<bool>& flag;
    std::thread& thread;
    ~StopSampler()
    {
      flag.store(false);
      if (thread.joinable()) {
        thread.join();
      }
    }
  } stop_sampler{sampling, sampler};

  // Wait for every port to listen, the image to exit, the timeout or a cancel.
  std::map<uint16_t, std::string> listening;
  std::set<uint16_t> open;
  const auto deadline = t_start + std::chrono::seconds(o.timeout_seconds);
  auto last_said = t_start;
  for (;;) {
    if (cancelled(o)) {
      return fail(cancel_error());
    }
    listening = listening_ports((*sandbox)->holder_pid());
    for (const auto& t : targets) {
      if (listening.count(t.port) && open.insert(t.port).second) {
        PortResult p;
        p.port = t.port;
        p.role = t.role;
        p.listening = true;
        p.after_seconds = since(t_start);
        report.ports.push_back(p);
        say(o, fmt::format("port {} listens after {:.1f}s", t.port, p.after_seconds));
      }
    }
    if (open.size() == targets.size() && !targets.empty()) {
      break;
    }
    if (auto status = (*sandbox)->exit_status()) {
      report.image_exit_status = status;
      report.failures.push_back(
          fmt::format("the image's process exited with status {} after {:.1f}s{}",
                      *status,
                      since(t_start),
                      targets.empty() ? "" : ", before all its ports listened"));
      break;
    }
    if (Clock::now() >= deadline) {
      if (!targets.empty()) {
        std::vector<std::string> missing;
        for (const auto& t : targets) {
          if (!open.count(t.port)) {
            missing.push_back(std::to_string(t.port));
          }
        }
        report.failures.push_back(fmt::format("port {} did not listen within {} s (--timeout)",
                                              join(missing, ", "),
                                              o.timeout_seconds));
      }
      break;
    }
    if (since(last_said) >= 10) {
      std::vector<std::string> waiting;
      for (const auto& t : targets) {
        if (!open.count(t.port)) {
          waiting.push_back(std::to_string(t.port));
        }
      }
      say(o,
          fmt::format("waiting for port {} to listen: {:.0f}s of {}s",
                      join(waiting, ", "),
                      since(t_start),
                      o.timeout_seconds));
      last_said = Clock::now();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  report.startup_seconds = since(t_start);
  for (const auto& t : targets) {
    if (!open.count(t.port)) {
      PortResult p;
      p.port = t.port;
      p.role = t.role;
      report.ports.push_back(p);
    }
  }
  std::sort(report.ports.begin(), report.ports.end(), [](const auto& a, const auto& b) {
    return a.port < b.port;
  });

  // Probes: on each listening port, the HTTP paths (HTTP and HTTPS roles, and ports of unknown
  // role) or a TCP connect, on the image and on the source at the same time.
  auto t_probe = Clock::now();
  std::vector<Probe> probes;
  auto image_root = HostRoot::open(rootfs);
  std::vector<std::string> paths = image_root && have_analysis
                                       ? default_probe_paths(*analysis, *image_root)
                                       : std::vector<std::string>{"/"};
  for (const auto& extra : o.probes) {
    std::string path = extra.empty() || extra[0] != '/' ? "/" + extra : extra;
    if (std::find(paths.begin(), paths.end(), path) == paths.end()) {
      paths.push_back(path);
    }
  }
  for (const auto& t : targets) {
    if (!open.count(t.port)) {
      continue;
    }
    bool http = !report.machine && (t.role == "http" || t.role == "https" || t.role.empty());
    if (http) {
      for (const auto& path : paths) {
        probes.push_back({t, listening[t.port], path});
      }
    } else {
      probes.push_back({t, listening[t.port], ""});
    }
  }
  std::vector<Answer> image_answers(probes.size());
  std::vector<Answer> source_answers(probes.size());
  if (!probes.empty() && !report.image_exit_status) {
    say(o,
        fmt::format("probing {} path(s) on {}",
                    probes.size(),
                    report.compared ? "the source and the image" : "the image"));
    std::thread source_thread([&] {
      if (!report.compared) {
        return;
      }
      for (size_t i = 0; i < probes.size() && !cancelled(o); ++i) {
        source_answers[i] = ask(probes[i], probes[i].target.source_host, o.request_timeout_seconds);
      }
    });
    auto entered = in_network_namespace((*sandbox)->net_fd(), [&] {
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
  }
  std::map<uint16_t, TlsResult> tls;
  for (size_t i = 0; i < probes.size() && !report.image_exit_status; ++i) {
    const Probe& probe = probes[i];
    ProbeResult r;
    r.port = probe.target.port;
    r.path = probe.path;
    if (probe.path.empty()) {
      r.scheme = "tcp";
      judge_tcp(
          r, report.compared ? &source_answers[i].tcp_error : nullptr, image_answers[i].tcp_error);
    } else {
      r.scheme = probe.target.role == "https" ? "https" : "http";
      const HttpAnswer& img = image_answers[i].http;
      const HttpAnswer* src = report.compared ? &source_answers[i].http : nullptr;
      if (probe.target.role.empty() && !img.answered && probe.path == paths.front()) {
        // A port of unknown role that does not speak HTTP: a TCP connect is all to check.
        r.scheme = "tcp";
        r.path.clear();
        judge_tcp(r, nullptr, "");
        r.reason = "not HTTP (" + img.error + "): checked by a TCP connect";
      } else if (probe.target.role.empty() && !img.answered) {
        continue;
      } else {
        HttpGet origin;
        origin.https = r.scheme == "https";
        origin.port = probe.target.port;
        origin.path = "";
        origin.host = probe.target.source_host;
        std::string source_origin = url_of(origin);
        origin.host = probe.host_in_image;
        std::string image_origin = url_of(origin);
        source_origin.pop_back(); // url_of ends in "/"
        image_origin.pop_back();
        judge_http(r, src, img, source_origin, image_origin);
      }
      if (r.scheme == "https" && src && src->answered && img.answered && !tls.count(r.port)) {
        TlsResult t;
        t.port = r.port;
        t.source_sha256 = src->certificate_sha256;
        t.image_sha256 = img.certificate_sha256;
        t.match = !t.source_sha256.empty() && t.source_sha256 == t.image_sha256;
        if (!t.match) {
          report.failures.push_back(
              fmt::format("port {}: the image's certificate {} is not the "
                          "source's {}",
                          r.port,
                          t.image_sha256.empty() ? "(none)" : t.image_sha256,
                          t.source_sha256.empty() ? "(none)" : t.source_sha256));
        }
        tls[r.port] = t;
      }
    }
    if (!r.passed) {
      report.failures.push_back(
          fmt::format("{}{}: {}", r.port, r.path.empty() ? "" : " " + r.path, r.reason));
    }
    report.probes.push_back(std::move(r));
  }
  for (auto& [port, t] : tls) {
    report.tls.push_back(t);
  }
  report.probe_seconds = since(t_probe);
  if (!report.image_exit_status) {
    if (auto status = (*sandbox)->exit_status()) {
      report.image_exit_status = status;
      report.failures.push_back(fmt::format("the image's process exited with status {} while it "
                                            "was probed",
                                            *status));
    }
  }
  stop_sampler.flag.store(false);
  if (sampler.joinable()) {
    sampler.join();
  }
  report.peak_rss_bytes = peak.load();
  // Stopped as Kubernetes stops a pod (SIGTERM, then SIGKILL), with a shorter grace than its
  // 30 s: the output log then holds what the application writes while it shuts down, such as
  // the access-log lines Tomcat buffers.
  (*sandbox)->stop(std::chrono::seconds(10));
  if (report.compared) {
    if (auto unchanged = check_source_unchanged(*root, *source); !unchanged) {
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
  if (o.keep) {
    report.kept_dir = tree.path;
  } else {
    report.log_path.clear();
  }
  if (have_analysis && o.record) {
    if (auto recorded = record_verification(analysis_path, report); !recorded) {
      report.notes.push_back("the verdict could not be recorded in " + analysis_path + ": "
                             + recorded.error().message);
    }
  }
  report.total_seconds = since(started);
  return report;
}

} // namespace decant
