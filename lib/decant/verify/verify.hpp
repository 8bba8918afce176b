#pragma once

// `decant verify`: run a packed image in a sandbox (lib/decant/run/) and compare it with the
// source application. The layout is unpacked with every digest checked, the image starts as
// its config and the analysis say (secrets as the generated Deployment gives them), every
// exposed port must listen within the timeout, then each probe path is fetched from the source
// and from the image and compared (status, Content-Type, body; a body that differs only in
// session ids, tokens and timestamps is "same shape", a pass). Without a live source the image
// is still run and its ports checked. Machine-level images run their init and each recorded
// service's port must listen.

#include <decant/analyzer/analyzer.hpp>
#include <decant/error.hpp>
#include <decant/verify/report.hpp>
#include <decant/events/events.hpp>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace decant {

struct VerifyOptions {
  std::string layout;              // DIR or DIR:NAME
  std::string analysis;            // "" = found by find_image_analysis()
  std::string secrets;             // "" = secrets_path_for(analysis)
  std::vector<std::string> probes; // extra HTTP paths
  std::string against; // "" = the analysis's application; "none"; a PID; an application id
  int timeout_seconds = 180;
  int request_timeout_seconds = 60;
  bool keep = false;  // keep the unpacked tree, the volumes and the output log
  bool record = true; // write extensions.verify into the analysis
  std::string root = "/";
  std::string workspace = "/var/lib/decant";
  // The analyzers that recognize the source (analyzers() of decant_analyzers): --against and
  // the default source are found through them. Required unless against is "none".
  const AnalyzerList* analyzers = nullptr;
  std::string temp_dir; // "" = $TMPDIR, else /var/tmp
  // Steps as messages (every 10 s while ports are awaited), unpacking as progress (compressed
  // bytes, layer i of n); stage Stage::verify.
  workflow::EventSink events;
  const std::atomic<bool>* cancel = nullptr; // set: stop, clean up, fail with aborted
};

// Verifies. Errors are input problems (exit 2, 3, 5, 6), a corrupt layout (10), or
// cancellation (11); a verification that ran returns its report, whose exit_code() says 0, 7
// or 10.
Result<VerifyReport> verify_image(const VerifyOptions& options);

// Where the analysis of the image in `layout_dir` (labelled with `application_id`) is looked
// for, in order: analysis.json beside the layout directory, then
// <workspace>/<application-id>/analysis.json.
std::vector<std::string> analysis_candidates(const std::string& layout_dir,
                                             const std::string& application_id,
                                             const std::string& workspace);

// Verify's temporary trees are named decant-verify.<pid>.XXXXXX under the temporary directory;
// those of processes that no longer run (decant killed with -9) are removed by the next run.
void remove_stale_verify_trees(const std::string& temp_dir);

} // namespace decant
