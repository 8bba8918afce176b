#include <decant/machine/machine.hpp>
#include <decant/oci/blob.hpp>
#include <decant/oci/image_layout.hpp>
#include <decant/oci/layer_writer.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/output_directory.hpp>
#include <decant/util/strings.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <ctime>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

namespace decant {

using nlohmann::json;

namespace {

const char* const k_manifest_type = "application/vnd.oci.image.manifest.v1+json";
const char* const k_config_type = "application/vnd.oci.image.config.v1+json";
const char* const k_index_type = "application/vnd.oci.image.index.v1+json";

std::string
oci_architecture(const std::string& arch)
{
  // uname -m -> GOARCH names (image-spec config.md "architecture").
  if (arch == "x86_64" || arch.empty()) {
    return "amd64";
  }
  if (arch == "aarch64") {
    return "arm64";
  }
  if (arch == "i686" || arch == "i386") {
    return "386";
  }
  if (arch == "ppc64le") {
    return "ppc64le";
  }
  if (arch == "s390x") {
    return "s390x";
  }
  return arch;
}

std::string
user_spec(const Analysis& analysis)
{
  // Numeric uid:gid: works whatever /etc/passwd says, and Kubernetes' runAsNonRoot can check it.
  return fmt::format("{}:{}", analysis.process.uid, analysis.process.gid);
}

} // namespace

const std::vector<FileRole>&
layer_roles()
{
  static const std::vector<FileRole> k_roles{
      FileRole::system, FileRole::runtime, FileRole::server, FileRole::app, FileRole::config};
  return k_roles;
}

std::string
layer_description(FileRole role)
{
  switch (role) {
  case FileRole::system:
    return "system libraries and files";
  case FileRole::runtime:
    return "runtime";
  case FileRole::server:
    return "server";
  case FileRole::app:
    return "application";
  case FileRole::config:
    return "instance configuration";
  }
  return "";
}

std::string
rfc3339(int64_t seconds)
{
  time_t t = static_cast<time_t>(seconds);
  struct tm tm {
  };
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

json
image_config(const Analysis& analysis,
             const FileSet& set,
             const std::vector<LayerSummary>& layers,
             const std::string& created)
{
  json env = json::array();
  std::vector<std::string> secret_env;
  bool have_path = false;
  std::map<std::string, std::string> extra = set.extra_env;
  for (const auto& var : analysis.env) {
    if (var.secret) {
      secret_env.push_back(var.name);
      continue;
    }
    have_path = have_path || var.name == "PATH";
    if (extra.count(var.name)) {
      env.push_back(var.name + "=" + extra[var.name]);
      extra.erase(var.name);
    } else {
      env.push_back(var.name + "=" + var.value);
    }
  }
  if (!have_path) {
    env.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  }
  for (const auto& [name, value] : extra) {
    env.push_back(name + "=" + value);
  }
  json config = json::object();
  config["User"] = user_spec(analysis);
  config["Env"] = env;
  // An application image runs start.command as its Cmd, behind the Entrypoint decant-init when
  // it forwards the log files (FileSet::entrypoint): a Deployment's `args` then replace the Cmd
  // and keep the init. A machine image's start command is its init already.
  if (is_machine_analysis(analysis)) {
    config["Entrypoint"] = analysis.start.command;
  } else {
    if (!set.entrypoint.empty()) {
      config["Entrypoint"] = set.entrypoint;
    }
    config["Cmd"] = analysis.start.command;
  }
  if (!analysis.start.working_dir.empty()) {
    config["WorkingDir"] = analysis.start.working_dir;
  }
  json ports = json::object();
  for (const auto& port : analysis.ports) {
    if (port.expose) {
      ports[fmt::format("{}/{}", port.port, port.protocol)] = json::object();
    }
  }
  if (!ports.empty()) {
    config["ExposedPorts"] = ports;
  }
  json volumes = json::object();
  for (const auto& volume : analysis.volumes) {
    volumes[volume.path] = json::object();
  }
  if (!volumes.empty()) {
    config["Volumes"] = volumes;
  }
  json labels = {{"io.decant.application-id", analysis.application_id},
                 {"io.decant.application-type", analysis.application_type},
                 {"io.decant.source-host", analysis.source.hostname}};
  if (!analysis.runtime.name.empty()) {
    labels["io.decant.runtime"] =
        analysis.runtime.name
        + (analysis.runtime.version.empty() ? "" : " " + analysis.runtime.version);
  }
  if (!secret_env.empty()) {
    labels["io.decant.secret-env"] = join(secret_env, ",");
  }
  config["Labels"] = labels;

  json diff_ids = json::array();
  json history = json::array();
  for (const auto& layer : layers) {
    diff_ids.push_back(layer.diff_id);
    history.push_back(
        {{"created", created},
         {"created_by",
          fmt::format("decant pack: {} ({} files)", layer_description(layer.role), layer.files)}});
  }
  return {{"created", created},
          {"architecture", oci_architecture(analysis.source.arch)},
          {"os", "linux"},
          {"config", config},
          {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
          {"history", history}};
}

namespace {

constexpr const char* k_old_blobs = ".decant-old-blobs.";

bool
is_layout_entry(const std::string& name)
{
  return name == "oci-layout" || name == "index.json" || name == "blobs"
         || name.rfind("index.json.tmp", 0) == 0 || name.rfind(k_old_blobs, 0) == 0;
}

std::optional<std::string>
not_a_layout(const std::string& dir)
{
  return foreign_entry(dir, is_layout_entry, "is not part of an OCI image layout");
}

} // namespace

const OutputKind&
image_layout_output()
{
  static const OutputKind kind{"-o", "output directory", "an existing image layout", not_a_layout};
  return kind;
}

Result<std::vector<std::string>>
prepare_output_directory(const std::string& dir, bool force)
{
  namespace fs = std::filesystem;
  std::vector<std::string> to_delete;
  auto state = check_output_directory(dir, force, image_layout_output());
  if (!state) {
    return fail(state.error());
  }
  if (*state == OutputState::missing) {
    if (auto made = make_directories(dir, 0755); !made) {
      return fail(made.error());
    }
    return to_delete;
  }
  if (*state == OutputState::empty) {
    return to_delete;
  }
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(dir, ec)) {
    if (std::string(item.path().filename()).rfind(k_old_blobs, 0) == 0) {
      to_delete.push_back(item.path().string()); // left by an interrupted pack
    }
  }
  // index.json first: from here on the directory is no valid layout until the new one is done.
  fs::remove(fs::path(dir) / "index.json", ec);
  if (!ec && fs::exists(fs::path(dir) / "blobs", ec)) {
    std::string aside = dir + "/" + k_old_blobs + std::to_string(::getpid());
    fs::rename(fs::path(dir) / "blobs", aside, ec);
    if (!ec) {
      to_delete.push_back(aside);
    }
  }
  if (!ec) {
    fs::remove(fs::path(dir) / "oci-layout", ec);
  }
  if (ec) {
    return fail(Error(ErrorCode::failure, fmt::format("cannot clear {}: {}", dir, ec.message())));
  }
  return to_delete;
}

namespace {

// One layer to write, by one thread.
struct LayerJob {
  FileRole role = FileRole::system;
  std::vector<PackEntry> entries;
  uint64_t bytes = 0; // content bytes of its files
  std::optional<Result<LayerResult>> result;
  bool cached = false;
  std::atomic<uint64_t> done{0};
};

std::vector<std::unique_ptr<LayerJob>>
plan_layers(const FileSet& set)
{
  std::vector<std::unique_ptr<LayerJob>> jobs;
  for (FileRole role : layer_roles()) {
    auto entries = layer_entries(set, role);
    if (entries.empty()) {
      continue;
    }
    auto job = std::make_unique<LayerJob>();
    job->role = role;
    for (const auto& entry : entries) {
      job->bytes += entry.type == EntryType::regular ? entry.size : 0;
    }
    job->entries = std::move(entries);
    jobs.push_back(std::move(job));
  }
  return jobs;
}

// Writes every layer, one thread each: the layers are independent streams, so the small ones
// (system, server, app, config) are written while the runtime layer is still compressing, each
// layer's fsync overlaps the others' work, and a core never idles at a layer boundary. Every
// layer's bytes are the same as when written alone (tar order, deflate chunks and zstd jobs do
// not depend on timing), so --reproducible digests do not change. A layer the cache holds is
// linked from it instead.
void
write_layers(std::vector<std::unique_ptr<LayerJob>>& jobs,
             const HostRoot& root,
             const std::string& blobs,
             const ImageOptions& options,
             uint64_t total)
{
  std::mutex progress_mutex;
  auto report_progress = [&] {
    // try_lock: a layer thread never waits for another to finish drawing the progress line.
    std::unique_lock<std::mutex> lock(progress_mutex, std::try_to_lock);
    if (!lock.owns_lock()) {
      return;
    }
    uint64_t done = 0;
    for (const auto& job : jobs) {
      done += job->done.load(std::memory_order_relaxed);
    }
    options.progress(std::min(done, total), total);
  };
  auto write_one = [&](LayerJob& job) {
    LayerOptions layer_options;
    layer_options.compression = options.compression;
    layer_options.clamp_mtime = options.source_date_epoch;
    if (options.source_date_epoch) {
      layer_options.directory_mtime = k_shared_layer_mtime;
      if (is_shared_layer(job.role)) {
        layer_options.clamp_mtime = k_shared_layer_mtime;
      }
    }
    layer_options.checksums = options.checksums;
    layer_options.cancel = options.cancel;
    std::string key;
    if (options.cache != nullptr) {
      key = LayerCache::key(job.entries, layer_options);
      if (auto hit = options.cache->take(key, blobs, options.checksums)) {
        job.result = std::move(*hit);
        job.cached = true;
        job.done.store(job.bytes, std::memory_order_relaxed);
        if (options.progress) {
          report_progress();
        }
        return;
      }
    }
    if (options.progress) {
      layer_options.progress = [&job, &report_progress](uint64_t done) {
        job.done.store(done, std::memory_order_relaxed);
        report_progress();
      };
    }
    auto layer = write_layer(job.entries, root, blobs, layer_options);
    if (!layer && layer.error().code == ErrorCode::source_changed) {
      // A log or cache file rewritten mid-read: one more try, then give up naming it.
      layer = write_layer(job.entries, root, blobs, layer_options);
    }
    if (layer && options.cache != nullptr) {
      options.cache->store(key, *layer, blobs, options.checksums);
    }
    job.result = std::move(layer);
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < jobs.size(); ++i) {
    threads.emplace_back(write_one, std::ref(*jobs[i]));
  }
  if (!jobs.empty()) {
    write_one(*jobs[0]);
  }
  for (auto& thread : threads) {
    thread.join();
  }
  bool all_written = std::all_of(
      jobs.begin(), jobs.end(), [](const auto& job) { return job->result && *job->result; });
  if (options.progress && all_written) {
    options.progress(total, total); // the files' sizes are estimates: the end is all done
  }
}

Status
collect_layers(const std::vector<std::unique_ptr<LayerJob>>& jobs, ImageSummary& summary)
{
  for (const auto& job : jobs) {
    auto& layer = *job->result;
    if (!layer) {
      return fail(layer.error().context(layer_description(job->role) + " layer"));
    }
    LayerSummary item;
    item.role = job->role;
    item.digest = layer->blob.digest;
    item.diff_id = layer->diff_id;
    item.media_type = layer->media_type;
    item.size = layer->blob.size;
    item.tar_size = layer->tar_size;
    item.files = layer->files;
    item.cached = job->cached;
    item.checksums = std::move(layer->checksums);
    summary.files += layer->files;
    summary.total_size += item.size;
    summary.layers.push_back(std::move(item));
  }
  if (summary.layers.empty()) {
    return fail(Error(ErrorCode::invalid_input,
                      "the analysis lists no files to pack",
                      "add entries to \"files\" in analysis.json"));
  }
  return {};
}

// The config, the manifest and index.json (last: until it is written the directory is no
// valid layout).
Status
write_manifest(const Analysis& analysis,
               const FileSet& set,
               const ImageOptions& options,
               const std::string& blobs,
               ImageSummary& summary)
{
  std::string created =
      options.source_date_epoch ? rfc3339(*options.source_date_epoch) : rfc3339(std::time(nullptr));
  std::string config_text = image_config(analysis, set, summary.layers, created).dump();
  auto config = write_blob(blobs, config_text);
  if (!config) {
    return fail(config.error());
  }
  json layers = json::array();
  for (const auto& layer : summary.layers) {
    layers.push_back(
        {{"mediaType", layer.media_type}, {"digest", layer.digest}, {"size", layer.size}});
  }
  json manifest = {
      {"schemaVersion", 2},
      {"mediaType", k_manifest_type},
      {"config",
       {{"mediaType", k_config_type}, {"digest", config->digest}, {"size", config->size}}},
      {"layers", layers}};
  if (!options.annotations.empty()) {
    manifest["annotations"] = options.annotations;
  }
  auto manifest_blob = write_blob(blobs, manifest.dump());
  if (!manifest_blob) {
    return fail(manifest_blob.error());
  }
  json index = {
      {"schemaVersion", 2},
      {"mediaType", k_index_type},
      {"manifests",
       {{{"mediaType", k_manifest_type},
         {"digest", manifest_blob->digest},
         {"size", manifest_blob->size},
         {"platform", {{"architecture", oci_architecture(analysis.source.arch)}, {"os", "linux"}}},
         {"annotations", {{"org.opencontainers.image.ref.name", summary.reference}}}}}}};
  if (auto status =
          write_file_atomic(options.output + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
      !status) {
    return fail(status.error());
  }
  if (auto status = write_file_atomic(options.output + "/index.json", index.dump()); !status) {
    return fail(status.error());
  }
  summary.manifest_digest = manifest_blob->digest;
  summary.config_digest = config->digest;
  summary.total_size += config->size + manifest_blob->size;
  return {};
}

} // namespace

Result<ImageSummary>
write_image_layout(const Analysis& analysis,
                   const FileSet& set,
                   const HostRoot& root,
                   const ImageOptions& options)
{
  auto prepared = prepare_output_directory(options.output, options.force);
  if (!prepared) {
    return fail(prepared.error());
  }
  // The replaced layout's blobs go while the new layers are written; done before returning.
  std::thread remover([old = *prepared] {
    for (const auto& path : old) {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  });
  struct Joiner {
    std::thread& thread;
    ~Joiner() { thread.join(); }
  } join_remover{remover};
  std::string blobs = options.output + "/blobs/sha256";
  if (auto made = make_directories(blobs, 0755); !made) {
    return fail(made.error());
  }
  ImageSummary summary;
  summary.layout = options.output;
  summary.reference = options.reference.full();
  auto jobs = plan_layers(set);
  write_layers(jobs, root, blobs, options, set.total_bytes());
  if (auto collected = collect_layers(jobs, summary); !collected) {
    return fail(collected.error());
  }
  if (auto written = write_manifest(analysis, set, options, blobs, summary); !written) {
    return fail(written.error());
  }
  return summary;
}

json
to_json(const ImageSummary& summary)
{
  json layers = json::array();
  for (const auto& layer : summary.layers) {
    layers.push_back({{"role", to_string(layer.role)},
                      {"digest", layer.digest},
                      {"diffId", layer.diff_id},
                      {"mediaType", layer.media_type},
                      {"size", layer.size},
                      {"uncompressedSize", layer.tar_size},
                      {"files", layer.files},
                      {"cached", layer.cached}});
  }
  return {{"layout", summary.layout},
          {"reference", summary.reference},
          {"manifest", summary.manifest_digest},
          {"config", summary.config_digest},
          {"size", summary.total_size},
          {"files", summary.files},
          {"layers", layers}};
}

} // namespace decant
