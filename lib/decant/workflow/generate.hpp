#pragma once

// The generate stage (`decant generate`): Kubernetes manifests that deploy the pushed image,
// and with an OCI layout a Dockerfile and its build context, written to one directory.

#include <decant/error.hpp>
#include <decant/proc/host_root.hpp>
#include <decant/util/output_directory.hpp>
#include <decant/events/events.hpp>

#include <map>
#include <string>
#include <vector>

namespace decant::workflow {

struct GenerateOptions {
  std::string analysis; // analysis.json (its secrets file is read too)
  std::string secrets;  // the secrets file; "" = secrets_path_for(analysis)
  std::string image;    // the reference the Deployment pulls (what push returned), as written
  std::string oci;      // OCI layout of the image ("DIR" or "DIR:NAME"): also docker/; "" = none
  std::string output;   // the directory to write: OUT/kubernetes/, OUT/docker/
  std::string namespace_name;
  std::string name; // object name; "" = the application id
  int replicas = 1;
  std::string probe_path;   // HTTP path that answers on the main port; "" = from the analysis
  std::string memory_limit; // "1Gi"; "" = derived from the analysis
  std::string storage_size = "1Gi";
  bool force = false;                        // replace what generate wrote in `output` before
  bool externalize_secrets = false;          // mount the files marked secret from a Secret
  std::map<std::string, std::string> labels; // more labels on every object (valid label syntax)
};

struct GenerateSummary {
  std::string output;                 // the directory written
  std::vector<std::string> manifests; // OUT/kubernetes/<file>, in kustomization order
  std::string dockerfile;             // OUT/docker/Dockerfile; "" without an OCI layout
  std::vector<std::string> warnings;  // also sent as events
};

// `root` is the source host's file system when it is available: then group names become gids
// (its /etc/group), its /etc/hosts entries become hostAliases, and externalized secret files
// are read from it. Everything is written to OUT.decant-tmp-<pid> and renamed to OUT, so a
// failure leaves no output that looks complete.
Result<GenerateSummary> generate(const Result<HostRoot>& root,
                                 const GenerateOptions& options,
                                 const EventSink& on_event = {});

// -o OUT of generate for check_output_directory: --force replaces a directory holding only
// kubernetes/ and docker/.
const OutputKind& deploy_output();

} // namespace decant::workflow
