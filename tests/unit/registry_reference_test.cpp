#include <decant/registry/reference.hpp>

#include <gtest/gtest.h>

namespace decant {
namespace {

struct Case {
  const char* text;
  const char* registry;
  const char* repository;
  const char* tag;
  const char* digest;
};

TEST(RegistryReferenceParse, ParsesTheDistributionGrammar)
{
  const std::string hex(64, 'a');
  const Case cases[] = {
      {"app", "docker.io", "library/app", "latest", ""},
      {"app:1.0", "docker.io", "library/app", "1.0", ""},
      {"team/app", "docker.io", "team/app", "latest", ""},
      {"localhost/app:dev", "localhost", "app", "dev", ""},
      {"localhost:5000/app", "localhost:5000", "app", "latest", ""},
      {"127.0.0.1:5000/shop/tomcat:10.1_x-y", "127.0.0.1:5000", "shop/tomcat", "10.1_x-y", ""},
      {"registry.example.com/a/b/c:v1", "registry.example.com", "a/b/c", "v1", ""},
      {"Registry.Example.com/app", "Registry.Example.com", "app", "latest", ""},
      {"[::1]:5000/app:1", "[::1]:5000", "app", "1", ""},
      {"reg.io/my_app__x/y.z-w:t", "reg.io", "my_app__x/y.z-w", "t", ""},
  };
  for (const auto& c : cases) {
    auto ref = parse_registry_reference(c.text);
    ASSERT_TRUE(ref) << c.text << ": " << ref.error().message;
    EXPECT_EQ(ref->registry, c.registry) << c.text;
    EXPECT_EQ(ref->repository, c.repository) << c.text;
    EXPECT_EQ(ref->tag, c.tag) << c.text;
    EXPECT_EQ(ref->digest, c.digest) << c.text;
  }
  auto pinned = parse_registry_reference("reg.io/app:1@sha256:" + hex);
  ASSERT_TRUE(pinned);
  EXPECT_EQ(pinned->tag, "1");
  EXPECT_EQ(pinned->digest, "sha256:" + hex);
  EXPECT_EQ(pinned->manifest_reference(), "1");
  auto by_digest = parse_registry_reference("reg.io/app@sha256:" + hex);
  ASSERT_TRUE(by_digest);
  EXPECT_EQ(by_digest->tag, "");
  EXPECT_EQ(by_digest->manifest_reference(), "sha256:" + hex);
  EXPECT_EQ(by_digest->str(), "reg.io/app@sha256:" + hex);
}

TEST(RegistryReferenceParse, DockerHubTalksToRegistry1)
{
  auto ref = parse_registry_reference("nginx:1");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->api_host(), "registry-1.docker.io");
  EXPECT_EQ(ref->str(), "docker.io/library/nginx:1");
}

TEST(RegistryReferenceParse, RejectsWithTheFaultyPartNamed)
{
  struct Bad {
    const char* text;
    const char* says;
  };
  const Bad cases[] = {
      {"", "empty"},
      {"Team/App", "repository component \"App\""},
      {"reg.io/app:-x", "tag \"-x\""},
      {"reg.io/app:", "tag \"\""},
      {"reg.io/app@sha256:abc", "digest"},
      {"reg.io/", "repository name is missing"},
      {"reg.io/a//b", "repository component \"\""},
      {"reg.io/a-/b", "repository component \"a-\""},
      {"reg.io:99999/app", "registry \"reg.io:99999\""},
      {"bad_host.io/app", "registry \"bad_host.io\""},
      {"reg.io/app:has space", "tag"},
  };
  for (const auto& c : cases) {
    auto ref = parse_registry_reference(c.text);
    ASSERT_FALSE(ref) << c.text;
    EXPECT_EQ(ref.error().code, ErrorCode::usage);
    EXPECT_NE(ref.error().message.find(c.says), std::string::npos)
        << c.text << " -> " << ref.error().message;
    EXPECT_FALSE(ref.error().hint.empty());
  }
  EXPECT_FALSE(parse_registry_reference(std::string(300, 'a')));
}

TEST(RegistryReferenceParse, TagRepositoryAndDigestValidators)
{
  EXPECT_TRUE(is_valid_tag("latest"));
  EXPECT_TRUE(is_valid_tag("_x.Y-1"));
  EXPECT_TRUE(is_valid_tag(std::string(128, 'a')));
  EXPECT_FALSE(is_valid_tag(std::string(129, 'a')));
  EXPECT_FALSE(is_valid_tag(".x"));
  EXPECT_FALSE(is_valid_tag("a/b"));
  EXPECT_TRUE(is_valid_repository("a/b-c/d__e"));
  EXPECT_FALSE(is_valid_repository("a/b___c"));
  EXPECT_FALSE(is_valid_repository("a/.b"));
  EXPECT_TRUE(is_valid_digest("sha256:" + std::string(64, '0')));
  EXPECT_FALSE(is_valid_digest("sha256:" + std::string(63, '0')));
  EXPECT_FALSE(is_valid_digest("sha256:" + std::string(64, 'A')));
  EXPECT_FALSE(is_valid_digest("sha256/../../x"));
}

} // namespace
} // namespace decant
