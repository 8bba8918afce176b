#include <decant/oci/reference.hpp>
#include <decant/registry/reference.hpp>

#include <gtest/gtest.h>

namespace decant {
namespace {

TEST(ParseReference, AcceptsDistributionSpecNames)
{
  struct Case {
    const char* text;
    const char* domain;
    const char* path;
    const char* tag;
  };
  const Case cases[] = {
      {"tomcat:1.0", "", "tomcat", "1.0"},
      {"shop/tomcat-app:10.1.60_b7", "", "shop/tomcat-app", "10.1.60_b7"},
      {"registry.local:5000/shop/app:V2", "registry.local:5000", "shop/app", "V2"},
      {"localhost/app", "localhost", "app", "latest"},
      {"a__b/c--d/e.f:_x", "", "a__b/c--d/e.f", "_x"},
      // docker's rule: a first component with upper-case letters is a registry host.
      {"Registry/app:1", "Registry", "app", "1"},
      {"[::1]:5000/app:1", "[::1]:5000", "app", "1"},
  };
  for (const auto& c : cases) {
    auto ref = parse_reference(c.text);
    ASSERT_TRUE(ref) << c.text << ": " << ref.error().message;
    EXPECT_EQ(ref->domain, c.domain) << c.text;
    EXPECT_EQ(ref->path, c.path) << c.text;
    EXPECT_EQ(ref->tag, c.tag) << c.text;
  }
  EXPECT_EQ(parse_reference("registry.local:5000/app").value().full(),
            "registry.local:5000/app:latest");
}

TEST(ParseReference, RejectsWithTheRuleBroken)
{
  struct Case {
    const char* text;
    const char* mentions;
  };
  const Case cases[] = {
      {"", "empty"},
      {"shop/App:1", "name component \"App\""},
      {"Shop:1", "name component \"Shop\""},
      {"app:-bad", "tag \"-bad\""},
      {"app:has space", "tag"},
      {"app_:1", "name component"},
      {"app@sha256:abc", "digests"},
      {"-host.x/app:1", "registry host"},
  };
  for (const auto& c : cases) {
    auto ref = parse_reference(c.text);
    ASSERT_FALSE(ref) << c.text;
    EXPECT_EQ(ref.error().code, ErrorCode::usage);
    EXPECT_NE(ref.error().message.find(c.mentions), std::string::npos) << ref.error().message;
    EXPECT_FALSE(ref.error().hint.empty());
  }
  EXPECT_FALSE(parse_reference("app:" + std::string(129, 'a')));
}

TEST(StrictTag, FollowsTheReferenceSystemRule)
{
  EXPECT_FALSE(strict_tag_problem("1.0.3"));
  EXPECT_FALSE(strict_tag_problem("2024.11-build_7"));
  EXPECT_TRUE(strict_tag_problem("V2")); // fine for the spec, not for the stricter rule
  EXPECT_TRUE(strict_tag_problem(".hidden"));
  EXPECT_TRUE(strict_tag_problem("trailing-"));
  EXPECT_TRUE(strict_tag_problem(""));
  EXPECT_TRUE(strict_tag_problem(std::string(129, 'a')));
  EXPECT_FALSE(strict_tag_problem(std::string(128, 'a')));
}

// The packer's NAME:TAG and the push destination follow one grammar: what one accepts (without
// a digest) the other accepts, with the same registry host and repository path.
TEST(ParseReference, TheSameGrammarAsPushDestinations)
{
  const char* texts[] = {"tomcat:1.0",
                         "shop/tomcat-app:10.1.60_b7",
                         "registry.local:5000/a:V2",
                         "localhost/app",
                         "Registry/app:1",
                         "[::1]:5000/app:1",
                         "a__b/c--d/e.f:_x",
                         "Shop:1",
                         "shop/App:1",
                         "app:-bad",
                         "app_:1",
                         "-host.x/app:1",
                         "a/b/c/d:1",
                         "host:99999/app:1",
                         "app:has space",
                         "x..y/app:1",
                         "a.b/c.:1",
                         "app:"};
  for (const char* text : texts) {
    auto built = parse_reference(text);
    auto pushed = parse_registry_reference(text);
    ASSERT_EQ(bool(built), bool(pushed)) << text;
    if (built && !built->domain.empty()) {
      EXPECT_EQ(built->domain, pushed->registry) << text;
      EXPECT_EQ(built->path, pushed->repository) << text;
    }
  }
}

} // namespace
} // namespace decant
