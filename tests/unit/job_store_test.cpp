// The migration job's model and store: job.json written and read back field for field, errors
// that name the file and field of a broken job.json (nothing overwritten), a dead runner shown
// as interrupted (PID and start time, never the PID alone), the per-application lock naming the
// job that holds it, the labels' Kubernetes syntax, and a process tree killed by PID.

#include "test_support.hpp"

#include <decant/job/labels.hpp>
#include <decant/job/process_tree.hpp>
#include <decant/job/store.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/strings.hpp>

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

namespace decant::job {
namespace {

using test::TempDir;

Job
sample_job()
{
  Job job = Job::make();
  job.name = "shop-web";
  job.description = "the shop's Tomcat";
  job.labels = {{"team", "shop"}, {"example.com/tier", "web"}};
  job.settings.target = "4242";
  job.settings.image = "registry.example.com/shop/tomcat:1.0";
  job.settings.limit_mbps = 50;
  job.settings.source_date_epoch = 1700000000;
  job.settings.exclude = {"/var/lib/tomcat10/webapps/docs"};
  job.settings.logs = "files";
  job.state = JobState::error;
  job.stage = JobStage::push;
  job.record(JobStage::analyze).state = StageState::done;
  job.record(JobStage::analyze).seconds = 1.5;
  job.record(JobStage::analyze).ended_at = "2026-11-25T10:00:01Z";
  job.record(JobStage::analyze).result = {{"pid", 4242}};
  job.error = Error(ErrorCode::network, "registry.example.com refused", "check it");
  job.application_id = "java-tomcat-0000beef";
  job.source = {4242, 4242424};
  return job;
}

TEST(JobStore, SavesAndLoadsEveryField)
{
  TempDir dir;
  auto store = JobStore::open(dir.path(), true);
  ASSERT_TRUE(store) << store.error().message;
  auto created = store->create(sample_job());
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_TRUE(is_job_id(created->id)) << created->id;
  EXPECT_EQ(std::filesystem::status(store->job_dir(created->id)).permissions()
                & std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
  auto loaded = store->load(created->id);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(to_json(*loaded), to_json(*created));
  EXPECT_EQ(loaded->labels.at("example.com/tier"), "web");
  EXPECT_EQ(*loaded->settings.limit_mbps, 50);
  EXPECT_EQ(*loaded->settings.source_date_epoch, 1700000000);
  EXPECT_EQ(loaded->settings.logs, "files");
  EXPECT_EQ(loaded->error->code, ErrorCode::network);
  EXPECT_EQ(loaded->record(JobStage::analyze).result["pid"], 4242);
  // By its name too, when only one job has it.
  auto by_name = store->load("shop-web");
  ASSERT_TRUE(by_name);
  EXPECT_EQ(by_name->id, created->id);
}

TEST(JobStore, UnknownJobIsNotFound)
{
  TempDir dir;
  auto store = JobStore::open(dir.path(), true);
  auto missing = store->load("j-00000000");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
  EXPECT_NE(missing.error().message.find("j-00000000"), std::string::npos);
  // An id is a directory name: nothing outside the jobs directory is ever read.
  EXPECT_FALSE(store->load("../../etc"));
}

TEST(JobStore, BrokenJobFileNamesTheFileAndIsNotOverwritten)
{
  TempDir dir;
  auto store = JobStore::open(dir.path(), true);
  auto created = store->create(sample_job());
  ASSERT_TRUE(created);
  std::string path = store->job_file(created->id);
  auto wrong_type = to_json(*created);
  wrong_type["stage"] = 3;
  for (const std::string& broken :
       {std::string("{\"schemaVersion\": 1, \"id\": "), std::string("[1, 2]"), wrong_type.dump()}) {
    ASSERT_TRUE(write_file_atomic(path, broken));
    auto loaded = store->load(created->id);
    ASSERT_FALSE(loaded) << broken;
    EXPECT_EQ(loaded.error().code, ErrorCode::invalid_input);
    EXPECT_NE(loaded.error().message.find(path), std::string::npos) << loaded.error().message;
    EXPECT_EQ(read_file(path).value(), broken);
    auto listing = store->list();
    EXPECT_TRUE(listing.jobs.empty());
    EXPECT_EQ(listing.broken.size(), 1u);
  }
  auto wrong_logs = to_json(*created);
  wrong_logs["settings"]["logs"] = "syslog";
  ASSERT_TRUE(write_file_atomic(path, wrong_logs.dump()));
  auto refused = store->load(created->id);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("logs must be \"stdout\" or \"files\""), std::string::npos)
      << refused.error().message;
  auto wrong_state = to_json(*created);
  wrong_state["state"] = "flying";
  ASSERT_TRUE(write_file_atomic(path, wrong_state.dump()));
  auto loaded = store->load(created->id);
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("state \"flying\" is unknown"), std::string::npos)
      << loaded.error().message;
}

TEST(JobStore, WorkspaceThatCannotBeWrittenIsPermission)
{
  if (::geteuid() == 0) {
    GTEST_SKIP() << "root writes anywhere; the e2e test checks this as user nobody";
  }
  TempDir dir;
  std::filesystem::permissions(
      dir.path(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  auto store = JobStore::open(dir.path() + "/ws", true);
  std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::permission);
}

TEST(JobState, DeadRunnerShowsAsInterrupted)
{
  Job job = sample_job();
  job.state = JobState::packing;
  job.runner = own_process();
  EXPECT_EQ(job.shown_state(), JobState::packing);
  EXPECT_EQ(to_json(job)["state"], "packing");
  // The same PID with another start time is another process.
  job.runner.start_time += 1;
  EXPECT_EQ(job.shown_state(), JobState::interrupted);
  // A child that exited.
  pid_t child = ::fork();
  if (child == 0) {
    ::_exit(0);
  }
  ::waitpid(child, nullptr, 0);
  job.runner = {child, 1};
  EXPECT_EQ(job.shown_state(), JobState::interrupted);
  EXPECT_EQ(to_json(job)["state"], "interrupted");
  // A stopped job is what it says.
  job.state = JobState::error;
  EXPECT_EQ(job.shown_state(), JobState::error);
}

TEST(JobState, StartTimeAsWallClock)
{
  long hz = ::sysconf(_SC_CLK_TCK);
  EXPECT_EQ(start_time_text(static_cast<uint64_t>(hz) * 90, "cpu 1 2 3\nbtime 1700000000\n"),
            "2023-11-14T22:14:50Z");
  EXPECT_EQ(start_time_text(100, "cpu 1 2 3\n"), "");
}

TEST(ApplicationLock, SecondJobForTheSameApplicationIsRefusedByName)
{
  TempDir dir;
  auto store = JobStore::open(dir.path(), true);
  auto first = ApplicationLock::acquire(*store, "java-tomcat-0000beef", "j-11111111");
  ASSERT_TRUE(first) << first.error().message;
  // flock locks belong to the open file: another open in this process competes like another
  // process would.
  auto second = ApplicationLock::acquire(*store, "java-tomcat-0000beef", "j-22222222");
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find("job j-11111111"), std::string::npos)
      << second.error().message;
  EXPECT_NE(second.error().message.find("java-tomcat-0000beef"), std::string::npos);
  EXPECT_NE(second.error().hint.find("decant jobs cancel j-11111111"), std::string::npos);
  // Another application is not held up.
  EXPECT_TRUE(ApplicationLock::acquire(*store, "java-tomcat-0000cafe", "j-33333333"));
  first = fail(ErrorCode::failure, "released");
  EXPECT_TRUE(ApplicationLock::acquire(*store, "java-tomcat-0000beef", "j-22222222"));
}

TEST(Labels, KubernetesSyntax)
{
  for (const char* key :
       {"team", "app.kubernetes.io/part-of", "example.com/tier", "a", "A_b.c-9"}) {
    EXPECT_TRUE(is_label_key(key)) << key;
  }
  for (const char* key : {"",
                          "-team",
                          "team-",
                          "with space",
                          "Example.com/tier",
                          "/tier",
                          "example.com/",
                          "a/b/c",
                          "x.example..com/y"}) {
    EXPECT_FALSE(is_label_key(key)) << key;
  }
  EXPECT_TRUE(is_label_value(""));
  EXPECT_TRUE(is_label_value("v1.2_beta-3"));
  EXPECT_FALSE(is_label_value("has/slash"));
  EXPECT_FALSE(is_label_value(std::string(64, 'a')));
}

TEST(Labels, ParseRefusesWhatKubernetesRefuses)
{
  auto labels = parse_labels({"team=shop", "tier=", "example.com/owner=ops"});
  ASSERT_TRUE(labels) << labels.error().message;
  EXPECT_EQ(labels->at("tier"), "");
  for (const std::vector<std::string>& bad : {std::vector<std::string>{"team"},
                                              {"team=a", "team=b"},
                                              {"=x"},
                                              {"team=a b"},
                                              {"app.kubernetes.io/name=x"}}) {
    auto parsed = parse_labels(bad);
    ASSERT_FALSE(parsed) << bad.front();
    EXPECT_EQ(parsed.error().code, ErrorCode::usage);
    EXPECT_FALSE(parsed.error().hint.empty());
  }
  std::vector<std::string> many;
  for (int i = 0; i < 21; ++i) {
    many.push_back(fmt::format("k{}=v", i));
  }
  auto too_many = parse_labels(many);
  ASSERT_FALSE(too_many);
  EXPECT_NE(too_many.error().message.find("at most 20"), std::string::npos);
  many.pop_back();
  EXPECT_TRUE(parse_labels(many));
}

TEST(ProcessTree, KillsTheProcessAndItsChildren)
{
  pid_t child = ::fork();
  if (child == 0) {
    ::setpgid(0, 0);
    // A grandchild that would outlive its parent.
    if (::fork() == 0) {
      ::execl("/bin/sleep", "sleep", "300", nullptr);
      ::_exit(127);
    }
    ::execl("/bin/sleep", "sleep", "300", nullptr);
    ::_exit(127);
  }
  ProcessIdentity root{child, 0};
  // The identity needs the start time; read it as the job records it.
  auto text = read_file(fmt::format("/proc/{}/stat", child));
  ASSERT_TRUE(text);
  root.start_time = std::stoull(split(text->substr(text->rfind(')') + 2), ' ')[19]);
  // The grandchild is forked when the child gets a CPU, which on a loaded machine takes a while.
  auto tree = process_tree(root);
  for (int i = 0; i < 200 && tree.size() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    tree = process_tree(root);
  }
  ASSERT_EQ(tree.size(), 2u);
  ProcessIdentity grandchild = tree[1];
  ASSERT_TRUE(kill_process_tree(root, std::chrono::seconds(5)));
  ::waitpid(child, nullptr, 0);
  EXPECT_FALSE(is_running(root));
  EXPECT_FALSE(is_running(grandchild));
  // A PID that no longer names the process is left alone.
  EXPECT_TRUE(kill_process_tree({child, root.start_time}, std::chrono::seconds(1)));
}

} // namespace
} // namespace decant::job
