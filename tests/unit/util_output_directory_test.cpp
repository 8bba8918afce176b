// The one rule for output directories (util/output_directory.hpp) and the kinds of output that
// use it: image layouts (pack -o, machine -o), --rootfs trees and generate's manifests.

#include "test_support.hpp"

#include <decant/oci/image_layout.hpp>
#include <decant/pack/rootfs_writer.hpp>
#include <decant/util/output_directory.hpp>
#include <decant/workflow/generate.hpp>

#include <gtest/gtest.h>

#include <filesystem>

namespace decant {
namespace {

using test::TempDir;
namespace fs = std::filesystem;

// Entries named "ours-*" are this test kind's own output.
const OutputKind&
test_kind()
{
  static const OutputKind kind{
      "-o", "output directory", "what the test wrote", [](const auto& dir) {
        for (const auto& item : fs::directory_iterator(dir)) {
          std::string name = item.path().filename();
          if (name.rfind("ours-", 0) != 0) {
            return std::optional<std::string>("holds " + name);
          }
        }
        return std::optional<std::string>();
      }};
  return kind;
}

TEST(OutputDirectory, MissingAndEmptyAreFineWithOrWithoutForce)
{
  TempDir dir;
  for (bool force : {false, true}) {
    EXPECT_EQ(check_output_directory(dir.path() + "/new", force, test_kind()).value(),
              OutputState::missing);
    EXPECT_EQ(check_output_directory(dir.path(), force, test_kind()).value(), OutputState::empty);
  }
  EXPECT_FALSE(fs::exists(dir.path() + "/new")) << "checking creates nothing";
}

TEST(OutputDirectory, NonEmptyNeedsForceAndForceReplacesOnlyItsOwnKind)
{
  TempDir dir;
  dir.write("out/ours-1", "x");
  auto refused = check_output_directory(dir.path() + "/out", false, test_kind());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::output_exists);
  EXPECT_EQ(exit_code(refused.error().code), 8);
  EXPECT_NE(refused.error().message.find("exists and is not empty"), std::string::npos);
  EXPECT_NE(refused.error().hint.find("--force"), std::string::npos);
  EXPECT_EQ(check_output_directory(dir.path() + "/out", true, test_kind()).value(),
            OutputState::replace);

  dir.write("out/notes.txt", "keep me");
  auto foreign = check_output_directory(dir.path() + "/out", true, test_kind());
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::output_exists);
  EXPECT_NE(foreign.error().message.find("holds notes.txt"), std::string::npos)
      << foreign.error().message;
  EXPECT_NE(foreign.error().hint.find("--force only replaces what the test wrote"),
            std::string::npos);
  EXPECT_TRUE(fs::exists(dir.path() + "/out/notes.txt"));
}

TEST(OutputDirectory, AFileOrASymlinkIsRefusedEvenWithForce)
{
  TempDir dir;
  dir.write("file", "x");
  fs::create_directories(dir.path() + "/real");
  dir.symlink("real", "link");
  for (const char* name : {"file", "link", "link/"}) {
    auto refused = check_output_directory(dir.path() + "/" + name, true, test_kind());
    ASSERT_FALSE(refused) << name;
    EXPECT_EQ(refused.error().code, ErrorCode::output_exists) << name;
    EXPECT_NE(refused.error().message.find("is not a directory"), std::string::npos) << name;
  }
}

TEST(OutputDirectory, ImageLayoutKindKnowsTheLayoutAndLeftovers)
{
  TempDir dir;
  dir.write("img/oci-layout", "{}");
  dir.write("img/index.json", "{}");
  dir.write("img/blobs/sha256/ab", "x");
  dir.write("img/index.json.tmp.123", "");
  dir.write("img/.decant-old-blobs.77/sha256/cd", "x");
  EXPECT_EQ(check_output_directory(dir.path() + "/img", true, image_layout_output()).value(),
            OutputState::replace);
  dir.write("img/usr/bin/sh", "x");
  auto foreign = check_output_directory(dir.path() + "/img", true, image_layout_output());
  ASSERT_FALSE(foreign);
  EXPECT_NE(foreign.error().message.find("holds usr, which is not part of an OCI image layout"),
            std::string::npos)
      << foreign.error().message;
}

TEST(OutputDirectory, RootfsKindNeedsDecantsMarker)
{
  TempDir dir;
  dir.write("tree/usr/bin/sh", "x");
  auto foreign = check_output_directory(dir.path() + "/tree", true, rootfs_output());
  ASSERT_FALSE(foreign);
  EXPECT_NE(foreign.error().message.find(".decant-rootfs"), std::string::npos);
  EXPECT_NE(foreign.error().hint.find("--rootfs DIR"), std::string::npos);
  dir.write("tree/.decant-rootfs", "");
  EXPECT_EQ(check_output_directory(dir.path() + "/tree", true, rootfs_output()).value(),
            OutputState::replace);
}

TEST(OutputDirectory, DeployKindIsKubernetesAndDockerOnly)
{
  TempDir dir;
  dir.write("deploy/kubernetes/deployment.yaml", "x");
  dir.write("deploy/docker/Dockerfile", "x");
  EXPECT_EQ(check_output_directory(dir.path() + "/deploy", true, workflow::deploy_output()).value(),
            OutputState::replace);
  dir.write("deploy/kustomization-overlay.yaml", "x");
  auto foreign = check_output_directory(dir.path() + "/deploy", true, workflow::deploy_output());
  ASSERT_FALSE(foreign);
  EXPECT_NE(foreign.error().message.find("kustomization-overlay.yaml"), std::string::npos);
}

} // namespace
} // namespace decant
