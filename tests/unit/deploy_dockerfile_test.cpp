#include "test_support.hpp"

#include <decant/analysis/analysis.hpp>
#include <decant/deploy/dockerfile.hpp>
#include <decant/util/fs.hpp>

#include <gtest/gtest.h>

namespace decant {
namespace {

// The library knows no analyzer: a program that reads analyses of an analyzer's type registers
// it, as the analyzers' registrar does (these tests link the library alone).
const bool k_types_registered = (register_application_type("java-tomcat"), true);

LayoutImage
image_with(const std::vector<Descriptor>& layers)
{
  LayoutImage image;
  image.dir = "/layout";
  image.manifest.digest = "sha256:" + std::string(64, 'f');
  image.layers = layers;
  return image;
}

TEST(DeployDockerfile, FromScratchWithTheAnalysis)
{
  auto a = load_analysis(test::fixture("deploy/tomcat/analysis.json"));
  ASSERT_TRUE(a);
  auto image = image_with(
      {{"application/vnd.oci.image.layer.v1.tar+gzip", "sha256:" + std::string(64, '1'), 10, {}},
       {"application/vnd.oci.image.layer.v1.tar+zstd", "sha256:" + std::string(64, '2'), 10, {}},
       {"application/vnd.oci.image.layer.v1.tar", "sha256:" + std::string(64, '3'), 10, {}}});
  auto ctx = plan_docker_context(image, *a);
  ASSERT_TRUE(ctx) << ctx.error().message;
  const std::string& f = ctx->dockerfile;
  EXPECT_NE(f.find("\nFROM scratch\n"), std::string::npos);
  EXPECT_NE(f.find("ADD layers/01-111111111111.tar.gz /\nADD layers/02-222222222222.tar /\nADD "
                   "layers/03-333333333333.tar /\n"),
            std::string::npos)
      << f;
  EXPECT_TRUE(ctx->layers[1].decompress_zstd);
  EXPECT_EQ(ctx->layers[0].source, "/layout/blobs/sha256/" + std::string(64, '1'));
  EXPECT_NE(f.find("ENV JAVA_OPTS=\"-Djava.awt.headless=true \\$(not-a-k8s-ref)\"\n"),
            std::string::npos);
  EXPECT_NE(f.find("WORKDIR /var/lib/tomcat10\n"), std::string::npos);
  EXPECT_NE(f.find("USER 997:997\n"), std::string::npos);
  EXPECT_NE(f.find("EXPOSE 8080/tcp\nEXPOSE 443/tcp\n"), std::string::npos);
  EXPECT_EQ(f.find("EXPOSE 8005"), std::string::npos);
  EXPECT_NE(f.find("-Dapi.token=\\\"$ARG_api_token\\\""), std::string::npos) << f;
  for (const auto& s : a->secrets) {
    EXPECT_EQ(f.find(s.value), std::string::npos) << s.name;
  }
}

TEST(DeployDockerfile, PlainCommandIsExecForm)
{
  auto a = load_analysis(test::fixture("deploy/tomcat/analysis.json"));
  ASSERT_TRUE(a);
  a->start.command = {"/opt/app/run", "--port", "8080"};
  auto ctx = plan_docker_context(image_with({}), *a);
  ASSERT_TRUE(ctx);
  // An application's start command is the image's Cmd.
  EXPECT_NE(ctx->dockerfile.find("CMD [\"/opt/app/run\",\"--port\",\"8080\"]\n"), std::string::npos)
      << ctx->dockerfile;
  EXPECT_EQ(ctx->dockerfile.find("ENTRYPOINT"), std::string::npos);
  // Behind the image's own Entrypoint: decant-init forwarding the log files.
  LayoutImage routed = image_with({});
  routed.config_bytes =
      R"({"config":{"Entrypoint":["/.decant/init","--follow","/opt/app/logs","--"]}})";
  auto with_init = plan_docker_context(routed, *a);
  ASSERT_TRUE(with_init);
  EXPECT_NE(with_init->dockerfile.find(
                "ENTRYPOINT [\"/.decant/init\",\"--follow\",\"/opt/app/logs\",\"--\"]\nCMD "
                "[\"/opt/app/run\",\"--port\",\"8080\"]\n"),
            std::string::npos)
      << with_init->dockerfile;
}

TEST(DeployDockerfile, UnknownLayerTypeIsRefused)
{
  auto a = load_analysis(test::fixture("deploy/tomcat/analysis.json"));
  ASSERT_TRUE(a);
  auto ctx = plan_docker_context(
      image_with({{"application/x-squashfs", "sha256:" + std::string(64, '1'), 1, {}}}), *a);
  ASSERT_FALSE(ctx);
  EXPECT_EQ(ctx.error().code, ErrorCode::unsupported);
  EXPECT_NE(ctx.error().message.find("application/x-squashfs"), std::string::npos);
}

TEST(DeployDockerfile, WritesLayersAndDockerfile)
{
  test::TempDir dir;
  std::string blob = dir.write("blob", "layer bytes");
  DockerContext ctx;
  ctx.layers.push_back({blob, "layers/01-abc.tar.gz", false});
  ctx.dockerfile = "FROM scratch\n";
  ASSERT_TRUE(write_docker_context(ctx, dir.path() + "/out"));
  EXPECT_EQ(read_file(dir.path() + "/out/layers/01-abc.tar.gz").value_or(""), "layer bytes");
  EXPECT_EQ(read_file(dir.path() + "/out/Dockerfile").value_or(""), "FROM scratch\n");
}

TEST(DeployDockerfile, ShellQuote)
{
  EXPECT_EQ(shell_quote("plain-word_1.0"), "plain-word_1.0");
  EXPECT_EQ(shell_quote("two words"), "'two words'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote(""), "''");
}

} // namespace
} // namespace decant
