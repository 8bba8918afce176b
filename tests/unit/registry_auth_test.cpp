#include "test_support.hpp"

#include <decant/registry/auth.hpp>

#include <gtest/gtest.h>

#include <cstdlib>

namespace decant {
namespace {

TEST(RegistryAuth, ParsesWwwAuthenticate)
{
  auto c = parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].params["realm"], "https://auth.docker.io/token");
  EXPECT_EQ(c[0].params["service"], "registry.docker.io");
  EXPECT_EQ(c[0].params["scope"], "repository:samalba/my-app:pull,push");

  auto basic = parse_www_authenticate(R"(Basic realm="Registry Realm")");
  ASSERT_EQ(basic.size(), 1u);
  EXPECT_EQ(basic[0].scheme, "basic");
  EXPECT_EQ(basic[0].params["realm"], "Registry Realm");

  auto both = parse_www_authenticate(
      R"(Basic realm="a \"quoted\" realm", Bearer realm=https://t.example/token,service=x)");
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].params["realm"], "a \"quoted\" realm");
  EXPECT_EQ(both[1].scheme, "bearer");
  EXPECT_EQ(both[1].params["realm"], "https://t.example/token");
  EXPECT_EQ(both[1].params["service"], "x");
  EXPECT_TRUE(parse_www_authenticate("").empty());
}

TEST(RegistryAuth, Base64RoundTrip)
{
  for (const std::string& text :
       std::vector<std::string>{"", "a", "ab", "abc", "alice:pa:ss", std::string("\0\xff", 2)}) {
    auto back = base64_decode(base64_encode(text));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, text);
  }
  EXPECT_EQ(base64_encode("alice:secret"), "YWxpY2U6c2VjcmV0");
  EXPECT_FALSE(base64_decode("not*base64"));
}

TEST(RegistryAuth, FindsDockerConfigAuths)
{
  test::TempDir dir;
  std::string path = dir.write("config.json", R"({"auths": {
    "https://index.docker.io/v1/": {"auth": "aHViOmh1YnBhc3M="},
    "https://reg.example.com": {"auth": "YWxpY2U6c2VjcmV0"},
    "127.0.0.1:5000": {"username": "bob", "password": "pw"}
  }})");
  auto reg = credentials_from_config(path, "reg.example.com");
  ASSERT_TRUE(reg && *reg);
  EXPECT_EQ((*reg)->username, "alice");
  EXPECT_EQ((*reg)->password, "secret");
  EXPECT_EQ((*reg)->source, path);
  EXPECT_EQ((*reg)->describe(), "user \"alice\" (from " + path + ")");

  auto hub = credentials_from_config(path, "docker.io");
  ASSERT_TRUE(hub && *hub);
  EXPECT_EQ((*hub)->username, "hub");

  auto local = credentials_from_config(path, "127.0.0.1:5000");
  ASSERT_TRUE(local && *local);
  EXPECT_EQ((*local)->username, "bob");

  auto none = credentials_from_config(path, "other.example.com");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TEST(RegistryAuth, BadConfigsSayWhatToDo)
{
  test::TempDir dir;
  auto bad_json = credentials_from_config(dir.write("a.json", "{nope"), "r.io");
  ASSERT_FALSE(bad_json);
  EXPECT_EQ(bad_json.error().code, ErrorCode::invalid_input);
  EXPECT_NE(bad_json.error().hint.find("--password-stdin"), std::string::npos);

  auto bad_auth = credentials_from_config(
      dir.write("b.json", R"({"auths":{"r.io":{"auth":"bm9jb2xvbg=="}}})"), "r.io");
  ASSERT_FALSE(bad_auth);
  EXPECT_NE(bad_auth.error().message.find("user:password"), std::string::npos);

  auto helper = credentials_from_config(dir.write("c.json", R"({"credsStore":"desktop"})"), "r.io");
  ASSERT_FALSE(helper);
  EXPECT_NE(helper.error().message.find("credential helper"), std::string::npos);
}

TEST(RegistryAuth, LookupHonoursDockerConfigAndRegistryAuthFile)
{
  test::TempDir dir;
  dir.write("docker/config.json", R"({"auths":{"r.io":{"auth":"ZG9jOmQ="}}})");
  std::string auth_file = dir.write("auth.json", R"({"auths":{"p.io":{"auth":"cG9kOnA="}}})");
  ::setenv("DOCKER_CONFIG", (dir.path() + "/docker").c_str(), 1);
  ::setenv("REGISTRY_AUTH_FILE", auth_file.c_str(), 1);
  ::unsetenv("XDG_RUNTIME_DIR");
  auto docker = find_config_credentials("r.io");
  auto podman = find_config_credentials("p.io");
  auto none = find_config_credentials("x.io");
  ::unsetenv("DOCKER_CONFIG");
  ::unsetenv("REGISTRY_AUTH_FILE");
  ASSERT_TRUE(docker && *docker);
  EXPECT_EQ((*docker)->username, "doc");
  ASSERT_TRUE(podman && *podman);
  EXPECT_EQ((*podman)->username, "pod");
  EXPECT_EQ((*podman)->source, auth_file);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

} // namespace
} // namespace decant
