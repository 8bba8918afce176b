#include <decant/machine/walk.hpp>
#include <decant/oci/reference.hpp>
#include <decant/util/output_directory.hpp>
#include <decant/util/strings.hpp>
#include <decant/workflow/analyze.hpp>
#include <decant/workflow/machine.hpp>

#include <unistd.h>

namespace decant::workflow {

namespace {

Status
check_options(const MachineImageOptions& options)
{
  if (auto level = check_compression_level(options.compression); !level) {
    return level;
  }
  if (options.output.empty() && !options.list && !options.size_report) {
    return fail(Error(ErrorCode::usage,
                      "nothing to write",
                      "give -o DIR for the OCI image layout, or --list / --size-report to look "
                      "first"));
  }
  return {};
}

// The analysis and its walk, with every warning and unreadable file sent as it is known.
struct Walked {
  Analysis analysis;
  MachineWalk walk;
};

Result<Walked>
walk_root(const HostRoot& root, const MachineImageOptions& options, const Events& events)
{
  std::vector<std::string> own_paths = {options.workspace};
  for (const auto* path : {&options.output, &options.analysis}) {
    if (!path->empty()) {
      own_paths.push_back(*path);
    }
  }
  MachineOptions machine = own_machine_options(root, options.exclude, own_paths);
  machine.services = options.services;
  auto analysis = analyze_machine(root, machine);
  if (!analysis) {
    return fail(analysis.error());
  }
  auto init = find_init_binary();
  if (!init) {
    return fail(init.error());
  }
  auto walk = machine_file_set(*analysis, root, *init);
  if (!walk) {
    return fail(walk.error());
  }
  for (const auto& warning : analysis->warnings) {
    events.warning(warning.code, warning.message);
  }
  for (const auto& warning : walk_warnings(*walk)) {
    events.warning(warning.code, warning.message);
  }
  for (const auto& line : walk->unreadable) {
    events.message("unreadable: " + line);
  }
  analysis->extensions["machine"]["sizeReport"] = to_json(walk->size);
  return Walked{std::move(*analysis), std::move(*walk)};
}

Result<ImageSummary>
pack_machine(const HostRoot& root,
             const MachineImageOptions& options,
             MachineSummary& summary,
             const FileSet& set,
             const Events& events)
{
  auto reference = parse_reference(options.tag.empty() ? summary.analysis.application_id + ":latest"
                                                       : options.tag);
  if (!reference) {
    return fail(reference.error());
  }
  auto path = save_analysis_to(summary.analysis, options.analysis, options.workspace);
  if (!path) {
    return fail(path.error());
  }
  summary.analysis_path = *path;
  const auto& machine = summary.analysis.extensions["machine"];
  events.message(fmt::format("{}: {} files, {} ({} services, {} cron jobs); analysis: {}",
                             summary.analysis.application_id,
                             summary.size.files,
                             human_bytes(summary.size.total_bytes),
                             machine.value("services", nlohmann::json::array()).size(),
                             machine.value("cronJobs", nlohmann::json::array()).size(),
                             summary.analysis_path));
  ImageOptions image;
  image.output = options.output;
  image.reference = *reference;
  image.compression = make_compression(options.compression, options.zstd);
  image.force = options.force;
  image.progress = [&events](uint64_t done, uint64_t total) { events.progress(done, total); };
  return write_image_layout(summary.analysis, set, root, image);
}

} // namespace

MachineOptions
own_machine_options(const HostRoot& root,
                    std::vector<std::string> exclude,
                    std::vector<std::string> own_paths)
{
  MachineOptions machine;
  machine.exclude = std::move(exclude);
  machine.own_paths = std::move(own_paths);
  machine.mountinfo = own_mountinfo();
  machine.self_pid = root.is_live() ? static_cast<int>(::getpid()) : 0;
  return machine;
}

Result<MachineSummary>
machine(const HostRoot& root, const MachineImageOptions& options, const EventSink& on_event)
{
  Events events(Stage::machine, on_event);
  if (auto checked = check_options(options); !checked) {
    return fail(checked.error());
  }
  if (!options.output.empty() && !options.tag.empty()) {
    if (auto reference = parse_reference(options.tag); !reference) {
      return fail(reference.error());
    }
  }
  bool packing = !options.list && !options.size_report;
  if (packing) {
    // Before the walk, which takes minutes on a large server; checked again when writing.
    if (auto state = check_output_directory(options.output, options.force, image_layout_output());
        !state) {
      return fail(state.error());
    }
  }
  auto walked = walk_root(root, options, events);
  if (!walked) {
    return fail(walked.error());
  }
  MachineSummary summary;
  summary.analysis = std::move(walked->analysis);
  summary.size = walked->walk.size;
  summary.unreadable = check_unreadable(walked->walk, options.allow_unreadable);
  if (!packing) {
    if (options.list) {
      summary.files = walked->walk.set.listed_paths();
    }
    return summary;
  }
  // Both checks before anything is written: a refused run leaves no output behind.
  if (!summary.unreadable) {
    return fail(summary.unreadable.error());
  }
  if (auto status = check_max_size(walked->walk, options.max_size); !status) {
    return fail(status.error());
  }
  auto image = pack_machine(root, options, summary, walked->walk.set, events);
  if (!image) {
    return fail(image.error());
  }
  summary.image = std::move(*image);
  return summary;
}

} // namespace decant::workflow
