#include <decant/analysis/analysis.hpp>
#include <decant/machine/machine.hpp>
#include <decant/oci/reference.hpp>
#include <decant/pack/jlink.hpp>
#include <decant/pack/rootfs_writer.hpp>
#include <decant/util/output_directory.hpp>
#include <decant/util/strings.hpp>
#include <decant/workflow/pack.hpp>

#include <cstdlib>
#include <ctime>

namespace decant::workflow {

Result<std::optional<int64_t>>
source_date_epoch_from_environment()
{
  const char* env = std::getenv("SOURCE_DATE_EPOCH");
  if (env == nullptr || *env == '\0') {
    return std::optional<int64_t>();
  }
  auto value = parse_i64(env);
  if (!value || *value < 0) {
    return fail(
        Error(ErrorCode::usage,
              fmt::format("SOURCE_DATE_EPOCH=\"{}\" is not a number of seconds since 1970", env),
              "export SOURCE_DATE_EPOCH=$(date +%s), or unset it"));
  }
  return std::optional<int64_t>(*value);
}

namespace {

// Warnings go to the caller as events and into the summary.
class Warnings
{
public:
  Warnings(const Events& events, std::vector<PackWarning>& kept)
      : m_events(events),
        m_kept(kept)
  {
  }

  void
  operator()(std::string code, std::string message) const
  {
    m_events.warning(code, message);
    m_kept.push_back({std::move(code), std::move(message)});
  }

private:
  const Events& m_events;
  std::vector<PackWarning>& m_kept;
};

Status
check_options(const PackOptions& options)
{
  if (auto level = check_compression_level(options.compression); !level) {
    return level;
  }
  if (!options.list && options.output.empty() && options.rootfs.empty()) {
    return fail(Error(ErrorCode::usage,
                      "nothing to write",
                      "give -o DIR for an OCI image layout, --rootfs DIR for a tree, or --list"));
  }
  return {};
}

// The image name; a tag outside the strict rule is a warning, or with strict_tags an error.
Result<ImageReference>
image_reference(const Analysis& analysis, const PackOptions& options, const Warnings& warn)
{
  auto reference =
      parse_reference(options.tag.empty() ? analysis.application_id + ":latest" : options.tag);
  if (!reference) {
    return reference;
  }
  if (auto problem = strict_tag_problem(reference->tag)) {
    std::string message = fmt::format("tag \"{}\" {} (strict tag rule)", reference->tag, *problem);
    if (options.strict_tags) {
      return fail(Error(ErrorCode::usage, message, "choose a tag like 1.0.3 or 2024.11-build7"));
    }
    warn("", message + "; some registries will refuse it (--strict-tags makes this an error)");
  }
  return reference;
}

// Fails before the file set is expanded, the longest part, when an output is refused; the
// writers check again as they start.
Status
check_outputs(const PackOptions& options)
{
  if (!options.output.empty()) {
    if (auto state = check_output_directory(options.output, options.force, image_layout_output());
        !state) {
      return fail(state.error());
    }
  }
  if (!options.rootfs.empty()) {
    if (auto state = check_output_directory(options.rootfs, options.force, rootfs_output());
        !state) {
      return fail(state.error());
    }
  }
  return {};
}

// Machine mode: the whole root walked as the analysis says, plus the init and entry script
// (lib/decant/machine, docs/machine.md). Else the analysis' files expanded. Errors in reading
// the analysis' entries name the analysis.
Result<FileSet>
file_set(const Analysis& analysis, const HostRoot& root, const PackOptions& options)
{
  if (!is_machine_analysis(analysis)) {
    ExpandOptions expand;
    expand.externalize_secrets = options.externalize_secrets;
    expand.logs = options.logs;
    auto set = expand_file_set(analysis, root, expand);
    if (!set) {
      return fail(set.error().context(options.analysis));
    }
    return set;
  }
  auto init = find_init_binary();
  if (!init) {
    return fail(init.error());
  }
  auto walk = machine_file_set(analysis, root, *init);
  if (!walk) {
    return fail(walk.error().context(options.analysis));
  }
  walk->set.warnings = walk_warnings(*walk);
  if (auto readable = check_unreadable(*walk, options.allow_unreadable); !readable) {
    return fail(readable.error());
  }
  return std::move(walk->set);
}

void
report_secret_files(const FileSet& set,
                    const PackOptions& options,
                    const Events& events,
                    const Warnings& warn)
{
  if (set.secret_files.empty()) {
    return;
  }
  if (options.externalize_secrets) {
    events.message(fmt::format("left out {} files marked secret (mount them at run time): {}",
                               set.secret_files.size(),
                               join(set.secret_files, ", ")));
  } else {
    warn("",
         fmt::format("packing {} files marked secret into the image: {} "
                     "(--externalize-secrets leaves them out)",
                     set.secret_files.size(),
                     join(set.secret_files, ", ")));
  }
}

std::vector<ListedFile>
listed_files(const FileSet& set)
{
  std::vector<ListedFile> files;
  for (const auto& path : set.listed_paths()) {
    const auto& entry = set.entries.at(path);
    files.push_back({path, entry.type, entry.role, entry.size, entry.reason});
  }
  return files;
}

// runtime.jlink: the JDK rebuilt without its tool modules (pack/jlink.hpp).
Status
trim_runtime(const Analysis& analysis,
             FileSet& set,
             const HostRoot& root,
             const Events& events,
             const Warnings& warn)
{
  size_t known = set.warnings.size();
  auto trimmed =
      apply_jlink_plan(analysis, set, root, TrimOptions{}, [&events](const std::string& line) {
        events.message(line);
      });
  if (!trimmed) {
    return trimmed;
  }
  for (size_t i = known; i < set.warnings.size(); ++i) {
    warn(set.warnings[i].code, set.warnings[i].message);
  }
  return {};
}

// --reproducible: SOURCE_DATE_EPOCH (reproducible-builds.org), else the analysis' createdAt, so
// the same analysis.json always gives the same digests.
Result<int64_t>
source_date_epoch(const Analysis& analysis, const PackOptions& options)
{
  if (options.source_date_epoch) {
    return *options.source_date_epoch;
  }
  auto env = source_date_epoch_from_environment();
  if (!env) {
    return fail(env.error());
  }
  if (*env) {
    return **env;
  }
  struct tm tm {
  };
  if (!analysis.created_at.empty()
      && ::strptime(analysis.created_at.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) != nullptr) {
    return static_cast<int64_t>(::timegm(&tm));
  }
  return 0;
}

// The layer cache, when one is asked for and usable; packing goes on without one otherwise.
std::optional<LayerCache>
open_layer_cache(const PackOptions& options, const Events& events)
{
  if (options.layer_cache.empty()) {
    return std::nullopt;
  }
  auto cache = LayerCache::open(options.layer_cache, options.layer_cache_max_bytes);
  if (!cache) {
    events.message("packing without the layer cache: " + cache.error().message);
    return std::nullopt;
  }
  return std::move(*cache);
}

void
report_cached_layers(const ImageSummary& image, const Events& events)
{
  std::vector<std::string> reused;
  for (const auto& layer : image.layers) {
    if (layer.cached) {
      reused.push_back(to_string(layer.role));
    }
  }
  if (!reused.empty()) {
    events.message(fmt::format("{} of {} layers unchanged, reused from the layer cache: {}",
                               reused.size(),
                               image.layers.size(),
                               join(reused, ", ")));
  }
}

// The layout and/or the tree, from the finished file set.
Status
write_outputs(const Analysis& analysis,
              const FileSet& set,
              const HostRoot& root,
              const PackOptions& options,
              const ImageReference& reference,
              const Events& events,
              PackSummary& summary)
{
  std::optional<int64_t> epoch;
  if (options.reproducible) {
    auto value = source_date_epoch(analysis, options);
    if (!value) {
      return fail(value.error());
    }
    epoch = *value;
  }
  if (!options.output.empty()) {
    ImageOptions image;
    image.output = options.output;
    image.reference = reference;
    image.compression = make_compression(options.compression, options.zstd);
    image.source_date_epoch = epoch;
    image.force = options.force;
    image.progress = [&events](uint64_t done, uint64_t total) { events.progress(done, total); };
    image.annotations = options.annotations;
    image.checksums = options.checksums;
    image.cancel = options.cancel;
    auto cache = open_layer_cache(options, events);
    image.cache = cache ? &*cache : nullptr;
    auto written = write_image_layout(analysis, set, root, image);
    if (!written) {
      return fail(written.error());
    }
    report_cached_layers(*written, events);
    summary.image = std::move(*written);
  }
  if (!options.rootfs.empty()) {
    if (auto written = write_rootfs(set, root, options.rootfs, epoch, options.force); !written) {
      return written;
    }
    summary.rootfs = options.rootfs;
  }
  return {};
}

} // namespace

Result<PackSummary>
pack(const HostRoot& root, const PackOptions& options, const EventSink& on_event)
{
  Events events(Stage::pack, on_event);
  PackSummary summary;
  Warnings warn(events, summary.warnings);
  if (auto checked = check_options(options); !checked) {
    return fail(checked.error());
  }
  auto analysis = load_analysis(options.analysis, options.secrets);
  if (!analysis) {
    return fail(analysis.error());
  }
  if (!options.list) {
    if (auto utf8 = check_utf8_fields(*analysis, "the image configuration (JSON)"); !utf8) {
      return fail(utf8.error());
    }
  }
  auto reference = image_reference(*analysis, options, warn);
  if (!reference) {
    return fail(reference.error());
  }
  summary.reference = reference->full();
  if (!options.list) {
    if (auto outputs = check_outputs(options); !outputs) {
      return fail(outputs.error());
    }
  }
  auto set = file_set(*analysis, root, options);
  if (!set) {
    return fail(set.error());
  }
  for (const auto& warning : set->warnings) {
    warn(warning.code, warning.message);
  }
  report_secret_files(*set, options, events, warn);
  if (options.list) {
    summary.files = listed_files(*set);
    return summary;
  }
  if (!is_machine_analysis(*analysis)) {
    if (auto trimmed = trim_runtime(*analysis, *set, root, events, warn); !trimmed) {
      return fail(trimmed.error().context(options.analysis));
    }
  }
  if (auto written = write_outputs(*analysis, *set, root, options, *reference, events, summary);
      !written) {
    return fail(written.error());
  }
  return summary;
}

nlohmann::json
to_json(const std::vector<ListedFile>& files)
{
  nlohmann::json out = nlohmann::json::array();
  for (const auto& file : files) {
    out.push_back({{"path", file.path},
                   {"type", file.type == EntryType::symlink ? "symlink" : "file"},
                   {"role", to_string(file.role)},
                   {"size", file.size},
                   {"reason", file.reason}});
  }
  return out;
}

} // namespace decant::workflow
