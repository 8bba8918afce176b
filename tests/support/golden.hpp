#pragma once

// Golden analyses of fixture hosts, shared by the analyzer tests: an analysis of
// fixtures/hosts/<host> is compared with <host>/expected/analysis.json and secrets.json.
// DECANT_UPDATE_GOLDEN=1 rewrites them (review the diff before committing).

#include "test_support.hpp"

#include <decant/analysis/analysis.hpp>
#include <decant/analyzer/analyzer.hpp>
#include <decant/proc/host_root.hpp>
#include <decant/proc/process.hpp>
#include <decant/util/fs.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdlib>
#include <functional>
#include <string>

namespace decant::test {

// Runs `analyzer` on PID `pid` of the fake host tree at `root_dir` as `decant analyze` would;
// unsupported when the analyzer does not recognize the process.
inline Result<Analysis>
analyze_fixture(const Analyzer& analyzer, const std::string& root_dir, int pid)
{
  auto root = HostRoot::open(root_dir);
  if (!root) {
    return fail(root.error());
  }
  auto process = read_process(*root, pid);
  if (!process) {
    return fail(process.error());
  }
  if (!analyzer.matches(*process, *root)) {
    return fail(
        ErrorCode::unsupported, "the {} analyzer does not match PID {}", analyzer.info().id, pid);
  }
  return analyzer.analyze(*process, *root);
}

// Removes what may differ between runs (createdAt, the machine's CPU count, ...).
using StableJson = std::function<nlohmann::json(nlohmann::json)>;

// The analysis matches the golden files, and the model reads back what it wrote.
inline void
expect_golden_analysis(const std::string& host_dir,
                       const Analysis& analysis,
                       const StableJson& stable)
{
  nlohmann::json got = stable(to_json(analysis));
  nlohmann::json secrets = secrets_json(analysis);
  std::string expected_path = host_dir + "/expected/analysis.json";
  std::string secrets_path = host_dir + "/expected/secrets.json";
  if (std::getenv("DECANT_UPDATE_GOLDEN")) {
    ASSERT_TRUE(make_directories(host_dir + "/expected"));
    ASSERT_TRUE(write_file_atomic(expected_path, got.dump(2) + "\n"));
    ASSERT_TRUE(write_file_atomic(secrets_path, secrets.dump(2) + "\n"));
  }
  auto expected = read_file(expected_path);
  ASSERT_TRUE(expected) << "no golden output " << expected_path
                        << " (run once with DECANT_UPDATE_GOLDEN=1 and review it)";
  EXPECT_EQ(got, stable(nlohmann::json::parse(*expected))) << "got:\n" << got.dump(2);
  EXPECT_EQ(secrets, nlohmann::json::parse(read_file(secrets_path).value()));
  auto reparsed = analysis_from_json(to_json(analysis));
  ASSERT_TRUE(reparsed) << reparsed.error().message;
  EXPECT_EQ(stable(to_json(*reparsed)), got);
}

// A GoogleTest parameter name from a fixture host name ("tomcat-10.1" -> "tomcat_10_1").
inline std::string
golden_test_name(std::string host)
{
  for (auto& c : host) {
    c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  }
  return host;
}

// A copy of a fixture host to break in a test.
inline std::string
copy_fixture_host(const TempDir& dir, const std::string& host)
{
  std::string target = dir.path() + "/" + host;
  auto copied = run_command("cp -a '" + fixture("hosts/" + host) + "' '" + target + "'");
  EXPECT_EQ(copied.status, 0) << copied.err;
  return target;
}

} // namespace decant::test
