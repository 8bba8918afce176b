#include "test_support.hpp"

#include <decant/registry/http.hpp>
#include <decant/registry/oci_layout_reader.hpp>
#include <decant/registry/push.hpp>
#include <decant/util/strings.hpp>

#include <gtest/gtest.h>

namespace decant {
namespace {

TEST(RegistryPush, DescribesRegistryErrorBodies)
{
  EXPECT_EQ(
      describe_registry_error(
          R"({"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content","detail":{}}]})"),
      "DIGEST_INVALID: provided digest did not match uploaded content");
  EXPECT_EQ(
      describe_registry_error(
          R"({"errors":[{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown","detail":"sha256:ab"},{"code":"X"}]})"),
      "MANIFEST_BLOB_UNKNOWN: blob unknown (sha256:ab); X");
  EXPECT_EQ(describe_registry_error("  <html>bad gateway</html>\n"), "<html>bad gateway</html>");
  EXPECT_EQ(describe_registry_error(""), "(no error body)");
  // Shortened, with the size of what was left out.
  EXPECT_EQ(describe_registry_error(std::string(400, 'x')),
            std::string(300, 'x') + "… (400 bytes)");
}

TEST(RegistryPush, UploadRangeGivesTheNextOffset)
{
  EXPECT_EQ(next_offset_from_range("0-1023"), 1024u);
  EXPECT_EQ(next_offset_from_range("bytes=0-8388607"), 8388608u);
  EXPECT_EQ(next_offset_from_range("0-0"), 0u);
  EXPECT_FALSE(next_offset_from_range(""));
  EXPECT_FALSE(next_offset_from_range("5-10"));
  EXPECT_FALSE(next_offset_from_range("garbage"));
}

TEST(RegistryPush, MegabitsToBytes)
{
  EXPECT_EQ(mbps_to_bytes_per_second(8), 1000000u);
  EXPECT_EQ(mbps_to_bytes_per_second(0.5), 62500u);
  EXPECT_EQ(mbps_to_bytes_per_second(0), 0u);
}

TEST(RegistryPush, UrlHelpers)
{
  EXPECT_EQ(resolve_location("http://r:5000/v2/a/blobs/uploads/", "/v2/a/blobs/uploads/u?_state=x"),
            "http://r:5000/v2/a/blobs/uploads/u?_state=x");
  EXPECT_EQ(resolve_location("http://r/v2/", "https://other/u"), "https://other/u");
  EXPECT_EQ(add_query("http://r/u", "digest", "sha256:ab"), "http://r/u?digest=sha256%3Aab");
  EXPECT_EQ(add_query("http://r/u?_state=x", "from", "a/b"), "http://r/u?_state=x&from=a%2Fb");
}

TEST(RegistryPush, RejectsANegativeRateBeforeAnyRequest)
{
  LayoutImage image;
  RegistryReference ref{"127.0.0.1:1", "a", "t", ""};
  PushOptions options;
  options.limit_mbps = -1;
  auto outcome = push_image(image, ref, options);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::usage);
  EXPECT_NE(outcome.error().message.find("--limit-mbps"), std::string::npos);
}

TEST(RegistryPush, UnreachableRegistryNamesUrlAndCause)
{
  test::TempDir dir;
  // A minimal valid layout: config blob + manifest with no layers.
  std::string config =
      R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
  std::string config_hex = sha256_hex(config);
  std::string manifest =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:)"
      + config_hex + R"(","size":)" + std::to_string(config.size()) + R"(},"layers":[]})";
  std::string manifest_hex = sha256_hex(manifest);
  dir.write("oci/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  dir.write("oci/blobs/sha256/" + config_hex, config);
  dir.write("oci/blobs/sha256/" + manifest_hex, manifest);
  dir.write(
      "oci/index.json",
      R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:)"
          + manifest_hex + R"(","size":)" + std::to_string(manifest.size()) + "}]}");
  auto image = read_oci_layout(dir.path() + "/oci");
  ASSERT_TRUE(image) << image.error().message;
  EXPECT_EQ(image->config.size, config.size());

  RegistryReference ref{"127.0.0.1:1", "a", "t", ""}; // port 1: nothing listens
  PushOptions options;
  options.insecure = true;
  options.retries = 0;
  auto outcome = push_image(*image, ref, options);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::network);
  EXPECT_NE(outcome.error().message.find("cannot reach http://127.0.0.1:1/v2/"), std::string::npos)
      << outcome.error().message;
  EXPECT_NE(outcome.error().message.find("onnect"), std::string::npos) << outcome.error().message;
}

TEST(RegistryPush, LayoutErrorsNameTheProblem)
{
  test::TempDir dir;
  auto missing = read_oci_layout(dir.path());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
  dir.write("l/oci-layout", "{}");
  dir.write("l/index.json",
            R"({"schemaVersion":2,"manifests":[
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:)"
                + std::string(64, 'a')
                + R"(","size":1,"annotations":{"org.opencontainers.image.ref.name":"one"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:)"
                + std::string(64, 'b')
                + R"(","size":1,"annotations":{"org.opencontainers.image.ref.name":"two"}}]})");
  auto several = read_oci_layout(dir.path() + "/l");
  ASSERT_FALSE(several);
  EXPECT_NE(several.error().hint.find("one, two"), std::string::npos);
  auto unknown = read_oci_layout(dir.path() + "/l", "three");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("no image named \"three\""), std::string::npos);
  auto absent_blob = read_oci_layout(dir.path() + "/l", "one");
  ASSERT_FALSE(absent_blob);
  EXPECT_NE(absent_blob.error().message.find("manifest blob"), std::string::npos);

  EXPECT_EQ(split_layout_argument(dir.path() + "/l:one"),
            std::make_pair(dir.path() + "/l", std::string("one")));
  EXPECT_EQ(split_layout_argument(dir.path() + "/l:team/app:1.0"),
            std::make_pair(dir.path() + "/l", std::string("team/app:1.0")));
  EXPECT_EQ(split_layout_argument(dir.path() + "/nowhere:x"),
            std::make_pair(dir.path() + "/nowhere:x", std::string()));
  EXPECT_EQ(split_layout_argument(dir.path() + "/l"),
            std::make_pair(dir.path() + "/l", std::string()));
}

} // namespace
} // namespace decant
