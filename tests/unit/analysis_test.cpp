#include "test_support.hpp"

#include <decant/analysis/analysis.hpp>
#include <decant/util/fs.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>

using namespace decant;
using decant::test::TempDir;
using nlohmann::json;

namespace {

// The library knows no analyzer: a program that reads analyses of an analyzer's type registers
// it, as the analyzers' registrar does (these tests link the library alone).
const bool k_types_registered = (register_application_type("java-tomcat"), true);

Analysis
sample()
{
  Analysis a;
  a.application_type = "java-tomcat";
  a.application_id = make_application_id("java-tomcat", "/var/lib/tomcat10");
  a.created_at = "2026-11-25T22:06:31Z";
  a.source = {"web01", {"debian", "12", "Debian GNU/Linux 12"}, "x86_64", "6.1.0", "UTC"};
  a.process.pid = 4242;
  a.process.start_time = 99;
  a.process.exe = "/usr/lib/jvm/java-17-openjdk-amd64/bin/java";
  a.process.cmdline = {"java", "-Dx=1", "org.apache.catalina.startup.Bootstrap", "start"};
  a.process.user = "tomcat";
  a.process.open_files = {1024, std::nullopt};
  a.runtime.name = "Apache Tomcat";
  a.runtime.version = "10.1.60";
  a.runtime.details["catalinaBase"] = "/var/lib/tomcat10";
  a.resources.peak_rss_bytes = 123456;
  a.resources.cpus = 2;
  a.ports.push_back(
      {8080, "tcp", "", PortRole::http, true, true, "/etc/tomcat10/server.xml:69", "http"});
  a.ports.push_back(
      {8005, "tcp", "127.0.0.1", PortRole::shutdown, false, false, "server.xml:22", ""});
  a.ports.push_back({4712,
                     "tcp",
                     "",
                     PortRole::txn,
                     false,
                     true,
                     "standalone.xml:511",
                     "txn-recovery-environment"});
  a.add_env("JAVA_OPTS", "-Djava.awt.headless=true", false);
  a.add_env("DB_PASSWORD", "s3cret", true);
  std::string ref = a.add_secret("ARG_KEYSTORE_PASS", "argv", "changeit");
  a.start.command = {"java", "-Dkeystore.pass=" + ref, "org.apache.catalina.startup.Bootstrap"};
  a.start.working_dir = "/var/lib/tomcat10";
  a.start.user = "tomcat";
  a.files.push_back({"/usr/share/tomcat10", "CATALINA_HOME", FileRole::server, false, false});
  a.files.push_back({"/etc/tomcat10/keystore.jks", "keystore", FileRole::config, true, true});
  a.volumes.push_back({"/var/log/tomcat10", VolumeRole::log, 105, 4, 02750, "logs"});
  a.exclude.push_back({"/usr/lib/jvm/java-17-openjdk-amd64/jmods", "jlink only"});
  a.dependencies.push_back({DependencyKind::database, "db.internal", 5432, "context.xml:12"});
  a.warn("ajp-exposed", "AJP connector on 8009");
  a.extensions["machine"] = {{"services", json::array()}};
  return a;
}

} // namespace

TEST(Analysis, ApplicationTypesAreTheRegisteredOnes)
{
  auto known = application_types();
  EXPECT_NE(std::find(known.begin(), known.end(), "machine"), known.end());
  EXPECT_NE(std::find(known.begin(), known.end(), "java-tomcat"), known.end());
  // This binary links no analyzer: no other analyzer's type is known.
  EXPECT_EQ(std::find(known.begin(), known.end(), "java-jboss"), known.end());
  register_application_type("java-example");
  register_application_type("java-example");
  known = application_types();
  EXPECT_EQ(std::count(known.begin(), known.end(), "java-example"), 1);
  EXPECT_TRUE(std::is_sorted(known.begin(), known.end()));
}

TEST(Analysis, ApplicationIdIsStableAndDistinct)
{
  auto id = make_application_id("java-tomcat", "/var/lib/tomcat10");
  EXPECT_EQ(id, make_application_id("java-tomcat", "/var/lib/tomcat10"));
  EXPECT_NE(id, make_application_id("java-tomcat", "/srv/tomcat-b"));
  EXPECT_NE(id, make_application_id("java-tomee", "/var/lib/tomcat10"));
  EXPECT_EQ(id.size(), std::string("java-tomcat-").size() + 8);
}

TEST(Analysis, RoundTripThroughFiles)
{
  TempDir dir;
  Analysis a = sample();
  std::string path = dir.path() + "/analysis.json";
  ASSERT_TRUE(save_analysis(a, path));

  auto text = *read_file(path);
  EXPECT_EQ(text.find("s3cret"), std::string::npos) << "secret value leaked into analysis.json";
  EXPECT_EQ(text.find("changeit"), std::string::npos);
  struct stat st {
  };
  ASSERT_EQ(::stat((dir.path() + "/secrets.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto loaded = load_analysis(path);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(to_json(*loaded), to_json(a));
  EXPECT_EQ(loaded->env[1].value, "s3cret");
  EXPECT_EQ(loaded->secrets.size(), 2u);
  EXPECT_EQ(loaded->volumes[0].mode, 02750u);
  EXPECT_EQ(loaded->runtime.details["catalinaBase"], "/var/lib/tomcat10");
}

TEST(Analysis, MissingSecretsFileIsAnError)
{
  TempDir dir;
  std::string path = dir.path() + "/analysis.json";
  ASSERT_TRUE(save_analysis(sample(), path));
  std::remove((dir.path() + "/secrets.json").c_str());
  auto loaded = load_analysis(path);
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("secrets.json"), std::string::npos);
}

struct BadField {
  const char* pointer; // JSON pointer of the field to change
  json value;
  const char* expected; // what the message names
};

class AnalysisValidation : public ::testing::TestWithParam<BadField>
{
};

TEST_P(AnalysisValidation, NamesTheFieldAtFault)
{
  json document = to_json(sample());
  const auto& bad = GetParam();
  if (bad.value.is_discarded()) {
    document.erase(json::json_pointer(bad.pointer).back());
  } else {
    document[json::json_pointer(bad.pointer)] = bad.value;
  }
  auto loaded = analysis_from_json(document);
  ASSERT_FALSE(loaded) << bad.pointer;
  EXPECT_EQ(loaded.error().code, ErrorCode::invalid_input);
  EXPECT_NE(loaded.error().message.find(bad.expected), std::string::npos) << loaded.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Fields,
    AnalysisValidation,
    ::testing::Values(BadField{"/schemaVersion", 99, "schemaVersion"},
                      BadField{"/applicationType", "java-glassfish", "applicationType"},
                      BadField{"/applicationId", "java-tomcat-XYZ", "applicationId"},
                      BadField{"/ports/1/role", "gopher", "ports[1].role"},
                      BadField{"/ports/0/port", 70000, "ports[0].port"},
                      BadField{"/ports/0/port", "8080", "ports[0].port"},
                      BadField{"/files/0/path", "relative/path", "files[0].path"},
                      BadField{"/files/1/path", "/a/../etc/shadow", "files[1].path"},
                      BadField{"/volumes/0/mode", "rwx", "volumes[0].mode"},
                      BadField{"/env/1/secretRef", "NOPE", "env[1].secretRef"},
                      BadField{"/env/1/value", "inline", "env[1].value"},
                      BadField{"/start/command", json::array(), "start.command"},
                      BadField{"/dependencies/0/kind", "cache", "dependencies[0].kind"},
                      BadField{"/resources/cpus", -1, "resources.cpus"},
                      BadField{"/process", "x", "process"}));

TEST(Analysis, InvalidJsonNamesFileLineAndColumn)
{
  TempDir dir;
  std::string path = dir.write("analysis.json", "{\"schemaVersion\": 1,,}");
  auto loaded = load_analysis(path);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::invalid_input);
  EXPECT_NE(loaded.error().message.find(path + ":1:21: malformed JSON"), std::string::npos)
      << loaded.error().message;
}

TEST(Analysis, WriteIsAtomic)
{
  TempDir dir;
  std::string path = dir.path() + "/out.json";
  ASSERT_TRUE(write_file_atomic(path, "one"));
  ASSERT_TRUE(write_file_atomic(path, "two"));
  EXPECT_EQ(*read_file(path), "two");
  auto failed = write_file_atomic(dir.path() + "/missing-dir/out.json", "x");
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("missing-dir"), std::string::npos);
}

TEST(AnalysisJson, DroppedEnvironmentRoundTrips)
{
  Analysis a;
  a.application_type = "java-tomcat";
  a.application_id = make_application_id("java-tomcat", "/opt/tomcat");
  a.start.command = {"/usr/bin/java", "Main"};
  a.env_dropped.push_back({"TERM", "xterm-256color", "the terminal"});
  auto json = to_json(a);
  ASSERT_TRUE(json.contains("envDropped"));
  EXPECT_EQ(json["envDropped"][0]["name"], "TERM");
  auto back = analysis_from_json(json);
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_EQ(back->env_dropped.size(), 1u);
  EXPECT_EQ(back->env_dropped[0].value, "xterm-256color");
  EXPECT_EQ(back->env_dropped[0].reason, "the terminal");
  // Without any, the field is left out.
  a.env_dropped.clear();
  EXPECT_FALSE(to_json(a).contains("envDropped"));
  json["envDropped"] = {{{"value", "x"}}};
  auto bad = analysis_from_json(json);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("envDropped[0].name"), std::string::npos)
      << bad.error().message;
}
