// A small agent on top of the decant library: lists the applications running on a host and
// analyzes one of them into analysis.json, through the library's API only (the stages of
// <decant/workflow/*.hpp>, errors as decant::Error with the CLI's exit codes).
//
//   decant-agent [--root DIR]                      list what runs
//   decant-agent [--root DIR] TARGET -o FILE      also analyze TARGET (a PID or an application id)

#include <decant/error.hpp>
#include <decant/proc/host_root.hpp>
#include <decant/workflow/analyze.hpp>
#include <decant/workflow/inventory.hpp>

#include <cstdio>
#include <registry.hpp> // decant::analyzers(): every analyzer decant has
#include <string>

namespace {

int
report(const decant::Error& error)
{
  std::fprintf(stderr, "decant-agent: error: %s\n", error.message.c_str());
  if (!error.hint.empty()) {
    std::fprintf(stderr, "hint: %s\n", error.hint.c_str());
  }
  return decant::exit_code(error.code);
}

int
usage()
{
  std::fprintf(stderr, "usage: decant-agent [--root DIR] [TARGET -o analysis.json]\n");
  return decant::exit_code(decant::ErrorCode::usage);
}

} // namespace

int
main(int argc, char** argv)
{
  std::string root_dir = "/";
  std::string target;
  std::string output;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--root" || arg == "-o") && i + 1 < argc) {
      (arg == "--root" ? root_dir : output) = argv[++i];
    } else if (!arg.empty() && arg[0] != '-' && target.empty()) {
      target = arg;
    } else {
      return usage();
    }
  }
  if (!target.empty() && output.empty()) {
    return usage();
  }

  auto root = decant::HostRoot::open(root_dir);
  if (!root) {
    return report(root.error());
  }

  auto found = decant::workflow::inventory(*root, decant::analyzers());
  if (!found) {
    return report(found.error());
  }
  std::printf("%zu application(s); this agent knows: %s\n",
              found->entries.size(),
              found->supported.c_str());
  for (const auto& entry : found->entries) {
    std::printf("%d\t%s\t%s\t%s\n",
                entry.pid,
                entry.identity.application_id.c_str(),
                entry.identity.application_type.c_str(),
                entry.analyzer_error.empty() ? entry.identity.path.c_str()
                                             : entry.analyzer_error.c_str());
  }
  if (target.empty()) {
    return 0;
  }

  decant::workflow::AnalyzeOptions options;
  options.target = target;
  options.output = output;
  auto analyzed = decant::workflow::analyze(
      *root, decant::analyzers(), options, [](const decant::workflow::Event& event) {
        if (event.kind == decant::workflow::Event::Kind::warning) {
          std::fprintf(stderr, "warning: %s\n", event.message.c_str());
        }
      });
  if (!analyzed) {
    return report(analyzed.error());
  }
  const decant::Analysis& analysis = analyzed->analysis;
  std::printf("analyzed PID %d with %s: %s, %zu port(s), %zu file entries, written to %s\n",
              analyzed->pid,
              analyzed->analyzer.c_str(),
              analysis.application_id.c_str(),
              analysis.ports.size(),
              analysis.files.size(),
              analyzed->path.c_str());
  return 0;
}
