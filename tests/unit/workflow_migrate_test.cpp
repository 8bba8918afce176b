// The migration job through the library on fixture hosts, into a small in-memory registry
// (verify needs a live source and root, so it is off here; the e2e test on the live tomcat10
// runs it): every stage recorded, labels in the image and the manifests, --confirm with an
// edited analysis, a source restart (exit 7) and resume --reanalyze, resume without redoing
// finished stages, a new compression repacking, --checksum finding a file changed after
// packing, cancel, the lock between two jobs of one application, the refusals, and a --machine
// job of a small fake server.

#include "test_support.hpp"

#include <decant/analysis/analysis.hpp>
#include <decant/job/store.hpp>
#include <decant/oci/image_layout.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/strings.hpp>
#include <decant/workflow/job_runner.hpp>
#include <decant/workflow/migrate.hpp>
#include <decant/workflow/pack.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <registry.hpp>

namespace decant {
namespace {

using job::JobStage;
using job::JobState;
using job::StageState;
using test::TempDir;
using workflow::Event;
using workflow::Stage;
namespace fs = std::filesystem;

class WorkflowMigrate : public ::testing::Test
{
protected:
  void
  SetUp() override
  {
    if (::system("command -v python3 >/dev/null") != 0) {
      GTEST_SKIP() << "python3 is not installed: it runs the test registry";
    }
    // A copy of the fixture host: tests change its files and its process' start time.
    fs::copy(test::fixture("hosts/tomcat-debian"),
             host,
             fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    root = HostRoot::open(host).value();
    registry = std::make_unique<test::FakeRegistry>(dir.path() + "/registry.log");
    ASSERT_TRUE(registry->ready());
    context.root = &*root;
    context.analyzers = &analyzers();
    context.workspace = dir.path() + "/ws";
    context.cancel = &cancel;
    context.events = [this](const Event& event) {
      events.push_back(event);
      if (on_event) {
        on_event(event);
      }
    };
    options.target = "4242";
    options.image = registry->address() + "/shop/tomcat:1.0";
    options.insecure = true;
    options.verify = false;
  }

  workflow::JobReport
  migrate()
  {
    auto report = workflow::migrate(context, options);
    EXPECT_TRUE(report) << report.error().message;
    return report ? *report : workflow::JobReport{};
  }

  // Completed with analyze, pack, push and generate done; confirm, checksum and verify (off in
  // these tests) skipped.
  static void
  expect_completed(const workflow::JobReport& report)
  {
    ASSERT_TRUE(report.status()) << report.status().error().message;
    const job::Job& job = report.job;
    EXPECT_EQ(job.state, JobState::completed);
    for (JobStage stage : {JobStage::analyze, JobStage::pack, JobStage::push, JobStage::generate}) {
      EXPECT_EQ(job.record(stage).state, StageState::done) << to_string(stage);
      EXPECT_FALSE(job.record(stage).ended_at.empty());
    }
    for (JobStage stage : {JobStage::confirm, JobStage::checksum, JobStage::verify}) {
      EXPECT_EQ(job.record(stage).state, StageState::skipped) << to_string(stage);
    }
  }

  // The job as job.json says.
  job::Job
  stored(const std::string& id)
  {
    return job::JobStore::open(context.workspace, false)->load(id).value();
  }

  // Restarts the fixture's process: start time 5353535, under `pid` (the same one by default).
  void
  restart_source(int pid = 4242)
  {
    std::string dir = fmt::format("{}/proc/{}", host, pid);
    if (pid != 4242) {
      fs::rename(host + "/proc/4242", dir);
    }
    std::string stat = read_file(dir + "/stat").value();
    size_t at = stat.find(" 4242424 ");
    ASSERT_NE(at, std::string::npos);
    stat.replace(at, 9, " 5353535 ");
    ASSERT_EQ(stat.rfind("4242 (java) ", 0), 0u);
    stat.replace(0, 4, std::to_string(pid));
    ASSERT_TRUE(write_file_atomic(dir + "/stat", stat));
  }

  // resume --reanalyze of a --confirm job whose source restarted as `pid`: analyzed anew, what
  // changed shown, waiting again; confirmed, it completes.
  void
  reanalyze_and_confirm(const std::string& id, int pid)
  {
    workflow::ResumeOptions reanalyze;
    reanalyze.reanalyze = true;
    auto again = workflow::resume_job(context, id, reanalyze);
    ASSERT_TRUE(again) << again.error().message;
    ASSERT_TRUE(again->status()) << again->status().error().message;
    EXPECT_EQ(again->job.state, JobState::awaiting_confirmation);
    EXPECT_EQ(again->job.source.pid, pid);
    EXPECT_EQ(again->job.source.start_time, 5353535u);
    ASSERT_FALSE(again->changes.empty());
    EXPECT_EQ(again->changes[0].area, "process");
    auto done = workflow::confirm_job(context, id);
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_EQ(done->job.state, JobState::completed) << done->status().error().message;
  }

  // Stops the job when the pack stage has sent its last progress event: it is then interrupted
  // with analyze and pack done.
  void
  interrupt_after_pack()
  {
    on_event = [this](const Event& event) {
      if (event.stage == Stage::pack && event.kind == Event::Kind::progress
          && event.done == event.total) {
        cancel = true;
      }
    };
  }

  TempDir dir;
  std::string host = dir.path() + "/host";
  std::optional<HostRoot> root;
  std::unique_ptr<test::FakeRegistry> registry;
  std::atomic<bool> cancel{false};
  std::vector<Event> events;
  std::function<void(const Event&)> on_event;
  workflow::JobContext context;
  workflow::MigrateOptions options;
};

TEST_F(WorkflowMigrate, RunsEveryStageAndRecordsThem)
{
  options.labels = {"team=shop", "example.com/tier=web"};
  options.name = "shop-web";
  options.description = "the shop";
  auto report = migrate();
  ASSERT_NO_FATAL_FAILURE(expect_completed(report));
  const job::Job& job = report.job;
  EXPECT_EQ(job.application_id, job.record(JobStage::analyze).result["applicationId"]);
  EXPECT_EQ(job.source.pid, 4242);
  EXPECT_EQ(job.source.start_time, 4242424u);
  EXPECT_TRUE(job.runner.empty());
  ASSERT_FALSE(job.image_digest.empty());
  EXPECT_EQ(job.pushed_reference, options.image + "@" + job.image_digest);
  EXPECT_EQ(job::to_json(stored(job.id)), job::to_json(job));
  // The labels: annotations of the image, labels of every Kubernetes object.
  auto index = nlohmann::json::parse(read_file(report.dir + "/image/index.json").value());
  std::string manifest_hex = index["manifests"][0]["digest"].get<std::string>().substr(7);
  auto manifest =
      nlohmann::json::parse(read_file(report.dir + "/image/blobs/sha256/" + manifest_hex).value());
  EXPECT_EQ(manifest["annotations"]["team"], "shop");
  EXPECT_EQ(manifest["annotations"]["org.opencontainers.image.description"], "the shop");
  EXPECT_EQ("sha256:" + manifest_hex, job.image_digest);
  std::string deployment = read_file(report.deploy_dir + "/kubernetes/deployment.yaml").value();
  EXPECT_NE(deployment.find("team: shop"), std::string::npos);
  EXPECT_NE(deployment.find("example.com/tier: web"), std::string::npos);
  EXPECT_NE(deployment.find(job.pushed_reference), std::string::npos);
  // The log, and nothing temporary left.
  std::string log = read_file(report.dir + "/job.log").value();
  EXPECT_NE(log.find("[pack] done in"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(report.dir + "/tmp"));
  EXPECT_FALSE(fs::exists(report.dir + "/push-state.json"));
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const Event& e) {
    return e.stage == Stage::migrate && e.message.find("completed") != std::string::npos;
  }));
  // `jobs --json` fields.
  auto summary = workflow::job_summary_json(job);
  for (const char* key : {"id", "name", "applicationId", "state", "stage", "imageDigest"}) {
    EXPECT_TRUE(summary.contains(key)) << key;
  }
  EXPECT_EQ(summary["name"], "shop-web");
  // Resuming a completed job does nothing and says so.
  auto again = workflow::resume_job(context, job.id, {});
  ASSERT_TRUE(again);
  ASSERT_EQ(again->notes.size(), 1u);
  EXPECT_NE(again->notes[0].find("completed: nothing to do"), std::string::npos);
  EXPECT_TRUE(again->status());
}

// --machine: the whole server, no source process to watch; the image, its push and its
// manifests as for an application.
TEST_F(WorkflowMigrate, MachineJobPacksPushesAndGeneratesTheWholeServer)
{
  root = HostRoot::open(test::write_fake_server(dir, "server")).value();
  context.root = &*root;
  options.machine = true;
  options.target.clear();
  options.image = registry->address() + "/backup/web01:1";
  auto report = migrate();
  ASSERT_NO_FATAL_FAILURE(expect_completed(report));
  const job::Job& job = report.job;
  EXPECT_EQ(job.source.pid, 0) << "a machine job watches no process";
  ASSERT_FALSE(job.image_digest.empty());
  EXPECT_EQ(job.pushed_reference, options.image + "@" + job.image_digest);
  auto analysis = load_analysis(report.analysis);
  ASSERT_TRUE(analysis) << analysis.error().message;
  EXPECT_EQ(analysis->application_type, "machine");
  // The server's own files are in the pushed image.
  auto index = nlohmann::json::parse(read_file(report.dir + "/image/index.json").value());
  EXPECT_EQ("sha256:" + index["manifests"][0]["digest"].get<std::string>().substr(7),
            job.image_digest);
  std::string listing;
  for (const auto& entry : fs::directory_iterator(report.dir + "/image/blobs/sha256")) {
    auto tar = test::run_command("tar -tzf " + entry.path().string() + " 2>/dev/null");
    listing += tar.out;
  }
  EXPECT_NE(listing.find("srv/www/index.html"), std::string::npos) << listing;
  std::string deployment = read_file(report.deploy_dir + "/kubernetes/deployment.yaml").value();
  EXPECT_NE(deployment.find(job.pushed_reference), std::string::npos);
  // A second machine job of the same workspace waits for none: the first one finished.
  auto again = workflow::migrate(context, options);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->status()) << again->status().error().message;
}

TEST_F(WorkflowMigrate, ConfirmWaitsAndPacksTheEditedAnalysis)
{
  options.confirm = true;
  auto waiting = migrate();
  ASSERT_TRUE(waiting.status());
  EXPECT_EQ(waiting.job.state, JobState::awaiting_confirmation);
  EXPECT_EQ(stored(waiting.job.id).state, JobState::awaiting_confirmation);
  EXPECT_TRUE(waiting.job.runner.empty());
  // resume is not confirm.
  auto resumed = workflow::resume_job(context, waiting.job.id, {});
  ASSERT_FALSE(resumed);
  EXPECT_EQ(resumed.error().code, ErrorCode::usage);
  // The operator removes the application's webapps directory from the analysis.
  auto analysis = nlohmann::json::parse(read_file(waiting.analysis).value());
  auto& files = analysis["files"];
  size_t before = files.size();
  files.erase(std::remove_if(files.begin(),
                             files.end(),
                             [](const nlohmann::json& f) {
                               return f["path"].get<std::string>().find("/var/lib/tomcat10") == 0;
                             }),
              files.end());
  ASSERT_LT(files.size(), before);
  analysis["exclude"].push_back({{"path", "/var/lib/tomcat10/webapps"}, {"reason", "test"}});
  ASSERT_TRUE(write_file_atomic(waiting.analysis, analysis.dump(2)));
  auto confirmed = workflow::confirm_job(context, waiting.job.id);
  ASSERT_TRUE(confirmed) << confirmed.error().message;
  ASSERT_TRUE(confirmed->status()) << confirmed->status().error().message;
  EXPECT_EQ(confirmed->job.state, JobState::completed);
  EXPECT_EQ(confirmed->job.record(JobStage::confirm).state, StageState::done);
  workflow::PackOptions list;
  list.analysis = waiting.analysis;
  list.list = true;
  auto listed = workflow::pack(*root, list);
  ASSERT_TRUE(listed);
  for (const auto& file : listed->files) {
    EXPECT_EQ(file.path.find("/var/lib/tomcat10/webapps"), std::string::npos) << file.path;
  }
  // Confirming twice is refused.
  auto twice = workflow::confirm_job(context, waiting.job.id);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::usage);
}

TEST_F(WorkflowMigrate, BrokenEditIsRefusedAndTheJobKeepsWaiting)
{
  options.confirm = true;
  auto waiting = migrate();
  ASSERT_TRUE(write_file_atomic(waiting.analysis, "{\"schemaVersion\": 1"));
  auto confirmed = workflow::confirm_job(context, waiting.job.id);
  ASSERT_FALSE(confirmed);
  EXPECT_EQ(confirmed.error().code, ErrorCode::invalid_input);
  EXPECT_EQ(stored(waiting.job.id).shown_state(), JobState::awaiting_confirmation);
}

TEST_F(WorkflowMigrate, SourceRestartIsExit7AndResumeNeedsReanalyze)
{
  options.confirm = true;
  auto waiting = migrate();
  restart_source();
  auto confirmed = workflow::confirm_job(context, waiting.job.id);
  ASSERT_TRUE(confirmed) << confirmed.error().message;
  auto status = confirmed->status();
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::source_changed);
  EXPECT_NE(status.error().message.find(
                "the application process restarted during the migration (PID 4242 started at"),
            std::string::npos)
      << status.error().message;
  EXPECT_NE(status.error().message.find("now PID 4242 started at"), std::string::npos);
  EXPECT_EQ(stored(waiting.job.id).state, JobState::error);
  EXPECT_EQ(stored(waiting.job.id).record(JobStage::pack).state, StageState::failed);
  auto resumed = workflow::resume_job(context, waiting.job.id, {});
  ASSERT_FALSE(resumed);
  EXPECT_EQ(resumed.error().code, ErrorCode::source_changed);
  EXPECT_NE(resumed.error().hint.find("--reanalyze"), std::string::npos);
  reanalyze_and_confirm(waiting.job.id, 4242);
}

// A restarted server usually has a new PID: --reanalyze finds it by the application id.
TEST_F(WorkflowMigrate, ReanalyzeFindsTheRestartedServerUnderItsNewPid)
{
  options.confirm = true;
  auto waiting = migrate();
  ASSERT_EQ(waiting.job.source.pid, 4242);
  restart_source(5353);
  auto confirmed = workflow::confirm_job(context, waiting.job.id);
  ASSERT_TRUE(confirmed) << confirmed.error().message;
  ASSERT_FALSE(confirmed->status());
  EXPECT_EQ(confirmed->status().error().code, ErrorCode::source_changed);
  EXPECT_NE(confirmed->status().error().message.find("now PID 5353 started at"), std::string::npos)
      << confirmed->status().error().message;
  reanalyze_and_confirm(waiting.job.id, 5353);
  EXPECT_EQ(stored(waiting.job.id).application_id, waiting.job.application_id);
}

TEST_F(WorkflowMigrate, ResumeDoesNotRedoFinishedStages)
{
  interrupt_after_pack();
  auto stopped = migrate();
  EXPECT_EQ(stopped.job.state, JobState::interrupted);
  ASSERT_FALSE(stopped.status());
  EXPECT_EQ(stopped.status().error().code, ErrorCode::aborted);
  EXPECT_EQ(stopped.job.record(JobStage::pack).state, StageState::done);
  EXPECT_EQ(stopped.job.record(JobStage::push).state, StageState::pending);
  std::string packed_at = stopped.job.record(JobStage::pack).started_at;
  cancel = false;
  on_event = nullptr;
  events.clear();
  auto resumed = workflow::resume_job(context, stopped.job.id, {});
  ASSERT_TRUE(resumed) << resumed.error().message;
  ASSERT_TRUE(resumed->status()) << resumed->status().error().message;
  EXPECT_EQ(resumed->job.state, JobState::completed);
  EXPECT_EQ(resumed->job.record(JobStage::pack).started_at, packed_at);
  EXPECT_FALSE(std::any_of(events.begin(), events.end(), [](const Event& e) {
    return e.stage == Stage::pack || e.stage == Stage::analyze;
  }));
}

TEST_F(WorkflowMigrate, NewCompressionOnResumePacksAgain)
{
  interrupt_after_pack();
  auto stopped = migrate();
  cancel = false;
  on_event = nullptr;
  std::string level7 = stopped.job.record(JobStage::pack).result["manifest"];
  workflow::ResumeOptions resume;
  resume.compression = 1;
  resume.limit_mbps = 100;
  auto resumed = workflow::resume_job(context, stopped.job.id, resume);
  ASSERT_TRUE(resumed) << resumed.error().message;
  ASSERT_TRUE(resumed->status()) << resumed->status().error().message;
  ASSERT_EQ(resumed->notes.size(), 1u);
  EXPECT_NE(resumed->notes[0].find("packed again"), std::string::npos);
  EXPECT_EQ(resumed->job.settings.compression, 1);
  EXPECT_EQ(*resumed->job.settings.limit_mbps, 100);
  EXPECT_NE(resumed->job.image_digest, level7);
  EXPECT_EQ(resumed->job.image_digest, resumed->job.record(JobStage::pack).result["manifest"]);
  // A bad level is refused before anything runs.
  resume.compression = 11;
  EXPECT_FALSE(workflow::resume_job(context, stopped.job.id, resume));
}

TEST_F(WorkflowMigrate, ChecksumFindsAFileChangedAfterPacking)
{
  options.checksum = true;
  std::string changed = host + "/var/lib/tomcat10/webapps/ROOT/index.html";
  on_event = [&](const Event& event) {
    if (event.stage == Stage::checksum && event.kind == Event::Kind::message
        && !fs::exists(changed + ".done")) {
      write_file_atomic(changed + ".done", "");
      write_file_atomic(changed, "<h1>changed after packing</h1>\n");
    }
  };
  auto report = migrate();
  auto status = report.status();
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::verification);
  EXPECT_NE(status.error().message.find("/var/lib/tomcat10/webapps/ROOT/index.html"),
            std::string::npos)
      << status.error().message;
  EXPECT_EQ(report.job.record(JobStage::pack).state, StageState::pending);
  EXPECT_TRUE(fs::exists(report.dir + "/checksums.json"));
  // Resume packs the new version, and the check passes.
  on_event = nullptr;
  auto resumed = workflow::resume_job(context, report.job.id, {});
  ASSERT_TRUE(resumed);
  ASSERT_TRUE(resumed->status()) << resumed->status().error().message;
  EXPECT_EQ(resumed->job.record(JobStage::checksum).result["changed"].size(), 0u);
  // The registry served the manifest the push sent.
  EXPECT_EQ(resumed->job.record(JobStage::push).result["registryDigest"],
            resumed->job.image_digest);
}

TEST_F(WorkflowMigrate, CancelKeepsTheAnalysisOnly)
{
  interrupt_after_pack();
  auto stopped = migrate();
  ASSERT_TRUE(fs::exists(stopped.dir + "/image/index.json"));
  auto cancelled = workflow::cancel_job(context.workspace, stopped.job.id);
  ASSERT_TRUE(cancelled) << cancelled.error().message;
  EXPECT_EQ(cancelled->state, JobState::cancelled);
  EXPECT_FALSE(fs::exists(stopped.dir + "/image"));
  EXPECT_TRUE(fs::exists(stopped.analysis));
  EXPECT_EQ(stored(stopped.job.id).state, JobState::cancelled);
  EXPECT_TRUE(workflow::cancel_job(context.workspace, stopped.job.id)); // once more: nothing to do
  auto resumed = workflow::resume_job(context, stopped.job.id, {});
  ASSERT_FALSE(resumed);
  EXPECT_EQ(resumed.error().code, ErrorCode::usage);
  ASSERT_TRUE(workflow::remove_job(context.workspace, stopped.job.id));
  EXPECT_FALSE(fs::exists(stopped.dir));
}

TEST_F(WorkflowMigrate, CreateOnlyThenStart)
{
  options.create_only = true;
  auto created = migrate();
  EXPECT_EQ(created.job.state, JobState::created);
  EXPECT_FALSE(fs::exists(created.analysis));
  auto started = workflow::start_job(context, created.job.id);
  ASSERT_TRUE(started) << started.error().message;
  EXPECT_EQ(started->job.state, JobState::completed);
  auto twice = workflow::start_job(context, created.job.id);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::usage);
  auto cancel_done = workflow::cancel_job(context.workspace, created.job.id);
  ASSERT_FALSE(cancel_done);
  EXPECT_EQ(cancel_done.error().code, ErrorCode::usage);
  // A job made to be started later may name a server that is not running yet; starting it
  // while it still is not fails at the analysis.
  options.target = "31337";
  auto later = migrate();
  EXPECT_EQ(later.job.state, JobState::created);
  auto not_running = workflow::start_job(context, later.job.id);
  ASSERT_TRUE(not_running) << not_running.error().message;
  ASSERT_FALSE(not_running->status());
  EXPECT_EQ(not_running->status().error().code, ErrorCode::not_found);
}

TEST_F(WorkflowMigrate, SecondJobForTheSameApplicationNamesTheFirst)
{
  auto store = job::JobStore::open(context.workspace, true);
  auto held = job::ApplicationLock::acquire(*store, "java-tomcat-61de77ad", "j-0000feed");
  ASSERT_TRUE(held);
  auto report = migrate();
  auto status = report.status();
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("job j-0000feed"), std::string::npos)
      << status.error().message;
  EXPECT_EQ(report.job.state, JobState::error);
  EXPECT_EQ(report.job.record(JobStage::analyze).state, StageState::pending);
}

TEST_F(WorkflowMigrate, RefusesBadOptionsBeforeMakingAJob)
{
  auto refused = [this](const workflow::MigrateOptions& bad, ErrorCode code) {
    auto report = workflow::migrate(context, bad);
    ASSERT_FALSE(report);
    EXPECT_EQ(report.error().code, code) << report.error().message;
    EXPECT_FALSE(report.error().hint.empty()) << report.error().message;
  };
  auto bad = options;
  bad.target.clear();
  refused(bad, ErrorCode::usage);
  bad = options;
  bad.image = "registry.example.com/shop/tomcat@sha256:" + std::string(64, 'a');
  refused(bad, ErrorCode::usage);
  bad = options;
  bad.labels = {"not a label"};
  refused(bad, ErrorCode::usage);
  bad = options;
  bad.allow_changed = true;
  refused(bad, ErrorCode::usage);
  bad = options;
  bad.username = "ci";
  refused(bad, ErrorCode::usage);
  bad = options;
  bad.target = "31337"; // no such process
  refused(bad, ErrorCode::not_found);
  bad.target = "java-tomcat-00000000"; // no such application
  refused(bad, ErrorCode::not_found);
  EXPECT_FALSE(fs::exists(context.workspace)) << "a refused target made the workspace";
  bad = options;
  bad.deploy_dir = dir.write("deploy/notes.txt", "mine");
  bad.deploy_dir = dir.path() + "/deploy";
  refused(bad, ErrorCode::output_exists);
  EXPECT_TRUE(job::JobStore::open(context.workspace, false)->list().jobs.empty());
  auto unknown = workflow::resume_job(context, "j-00000000", {});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::not_found);
}

} // namespace
} // namespace decant

namespace decant {
namespace {

// verify writes its verdict into extensions.verify (making extensions when there was none): that
// is not an edit by the operator and must not make a resumed job pack again.
TEST(AnalysisFingerprint, IgnoresTheVerdictVerifyWrites)
{
  test::TempDir dir;
  std::string path = dir.path() + "/analysis.json";
  ASSERT_TRUE(write_file_atomic(path, R"({"applicationId": "a", "files": []})"));
  std::string before = workflow::analysis_fingerprint(path);
  ASSERT_FALSE(before.empty());
  ASSERT_TRUE(write_file_atomic(
      path, R"({"applicationId": "a", "files": [], "extensions": {"verify": {"lastRun": {}}}})"));
  EXPECT_EQ(workflow::analysis_fingerprint(path), before);
  ASSERT_TRUE(write_file_atomic(path, R"({"applicationId": "a", "files": [{"path": "/x"}]})"));
  EXPECT_NE(workflow::analysis_fingerprint(path), before);
}

} // namespace
} // namespace decant
