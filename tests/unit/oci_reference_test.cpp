#include <decant/oci/reference.hpp>

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
      {"Shop/app:1", "name component \"Shop\""},
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

} // namespace
} // namespace decant
