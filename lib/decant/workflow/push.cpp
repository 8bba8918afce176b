#include <decant/registry/auth.hpp>
#include <decant/registry/oci_layout_reader.hpp>
#include <decant/registry/progress.hpp>
#include <decant/registry/reference.hpp>
#include <decant/workflow/push.hpp>

#include <cstdlib>

namespace decant::workflow {

namespace {

const char* const k_password_example =
    "e.g. printf '%s' \"$TOKEN\" | decant push DIR REF --username ci --password-stdin";

Status
check_options(const PushOptions& o)
{
  if (o.limit_mbps && *o.limit_mbps <= 0) {
    return fail(Error(ErrorCode::usage,
                      fmt::format("--limit-mbps {} is not a positive rate", *o.limit_mbps),
                      "give megabits per second, e.g. --limit-mbps 100; leave it out for no cap"));
  }
  if (o.retries < 0) {
    return fail(Error(ErrorCode::usage, "--retries must be 0 or more"));
  }
  if (o.chunk_mb <= 0) {
    return fail(Error(ErrorCode::usage, "--chunk-mb must be positive"));
  }
  if (o.password && o.username.empty()) {
    return fail(Error(ErrorCode::usage, "--password-stdin needs --username", k_password_example));
  }
  if (!o.username.empty() && !o.password) {
    // Passwords on the command line end up in shell history and `ps`; decant takes none there.
    return fail(Error(ErrorCode::usage, "--username needs --password-stdin", k_password_example));
  }
  return {};
}

Result<std::optional<Credentials>>
credentials(const PushOptions& o, const std::string& registry)
{
  if (o.username.empty()) {
    return find_config_credentials(registry);
  }
  Credentials creds;
  creds.username = o.username;
  creds.password = o.password.value_or("");
  creds.source = "--username/--password-stdin";
  return creds;
}

uint64_t
image_bytes(const LayoutImage& image)
{
  uint64_t sum = image.config.size;
  for (const auto& layer : image.layers) {
    sum += layer.size;
  }
  return sum;
}

} // namespace

std::string
default_push_state_file()
{
  if (const char* cache = std::getenv("XDG_CACHE_HOME"); cache && *cache) {
    return std::string(cache) + "/decant/push-state.json";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::string(home) + "/.cache/decant/push-state.json";
  }
  return {};
}

Result<PushSummary>
push(const PushOptions& o, const EventSink& on_event)
{
  Events events(Stage::push, on_event);
  if (auto checked = check_options(o); !checked) {
    return fail(checked.error());
  }
  auto reference = parse_registry_reference(o.reference);
  if (!reference) {
    return fail(reference.error());
  }
  auto [dir, name] = split_layout_argument(o.layout);
  auto image = read_oci_layout(dir, name);
  if (!image) {
    return fail(image.error());
  }
  decant::PushOptions options;
  options.insecure = o.insecure;
  options.limit_mbps = o.limit_mbps.value_or(0);
  options.retries = o.retries;
  options.chunk_bytes = static_cast<uint64_t>(o.chunk_mb * 1024 * 1024);
  options.mount_from = o.mount_from;
  options.state_file = o.state_file.value_or(default_push_state_file());
  options.check_manifest = o.check_manifest;
  auto creds = credentials(o, reference->registry);
  if (!creds) {
    return fail(creds.error());
  }
  options.credentials = *creds;
  options.on_event = [&events](const std::string& line) { events.message(line); };
  options.on_progress = [&events](const PushProgress& p) {
    Event event;
    event.kind = Event::Kind::progress;
    event.message = p.digest;
    event.done = p.sent;
    event.total = p.total;
    event.item = p.index;
    event.items = p.count;
    event.bytes_per_second = p.bytes_per_second;
    events.send(std::move(event));
  };
  events.message(fmt::format("pushing {} ({} blobs, {}) to {}{}",
                             image->dir,
                             image->layers.size() + 1,
                             format_bytes(image_bytes(*image)),
                             reference->str(),
                             options.credentials ? " as " + options.credentials->describe() : ""));
  auto outcome = push_image(*image, *reference, options);
  if (!outcome) {
    return fail(outcome.error());
  }
  PushSummary summary;
  summary.reference = reference->str();
  summary.image = summary.reference + "@" + outcome->manifest_digest;
  summary.outcome = std::move(*outcome);
  return summary;
}

} // namespace decant::workflow
