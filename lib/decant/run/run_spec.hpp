#pragma once

// From an unpacked image and its analysis to what the sandbox runs: the image config's process
// (Entrypoint + Cmd, Env, WorkingDir, User with the groups the image's /etc/group gives it),
// the analysis's volumes as empty directories with their owner and mode, and the secrets as
// the generated Deployment supplies them (run/secrets.hpp), with the pod's fsGroup added to
// the groups as the kubelet does.

#include <decant/analysis/analysis.hpp>
#include <decant/error.hpp>
#include <decant/proc/host_root.hpp>
#include <decant/run/image_config.hpp>
#include <decant/run/sandbox.hpp>

#include <string>

namespace decant {

struct RunSpecOptions {
  const ImageRunConfig* config = nullptr;
  std::string rootfs;
  // The analysis with the secret values needed loaded (or analysis_from_image_labels()).
  const Analysis* analysis = nullptr;
  bool have_analysis = false;       // false: volumes and secret files are unknown
  std::string scratch;              // host directory for the volumes and secret files
  const HostRoot* source = nullptr; // the source host, for secret files left out of the image
  std::string hostname = "decant";
  std::string log_path;
};

Result<SandboxSpec> make_sandbox_spec(const RunSpecOptions& options);

} // namespace decant
