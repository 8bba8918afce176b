#include <decant/deploy/k8s_names.hpp>

#include <gtest/gtest.h>

#include <set>
#include <string>

using namespace decant::k8s;

TEST(K8sNames, RulesAcceptWhatKubernetesAccepts)
{
  EXPECT_TRUE(is_dns1123_label("shop-web-1"));
  EXPECT_FALSE(is_dns1123_label("Shop"));
  EXPECT_FALSE(is_dns1123_label("-shop"));
  EXPECT_FALSE(is_dns1123_label(std::string(64, 'a')));
  EXPECT_TRUE(is_dns1035_label("shop"));
  EXPECT_FALSE(is_dns1035_label("1shop"));
  EXPECT_TRUE(is_dns1123_subdomain("db.example.com"));
  EXPECT_FALSE(is_dns1123_subdomain("db..example.com"));
  EXPECT_FALSE(is_dns1123_subdomain("bad_host"));
  EXPECT_TRUE(is_iana_svc_name("http"));
  EXPECT_FALSE(is_iana_svc_name("8080"));
  EXPECT_FALSE(is_iana_svc_name("a--b"));
  EXPECT_FALSE(is_iana_svc_name("sixteen-chars-xx"));
  EXPECT_TRUE(is_config_key("ARG_db.password"));
  EXPECT_FALSE(is_config_key("db password"));
  EXPECT_FALSE(is_config_key(".."));
  EXPECT_TRUE(is_env_var_name("my.var-1"));
  EXPECT_FALSE(is_env_var_name("9LIVES"));
  EXPECT_FALSE(is_env_var_name("A B"));
  EXPECT_TRUE(is_label_value(""));
  EXPECT_FALSE(is_label_value("a b"));
}

TEST(K8sNames, SanitizersAlwaysReturnValidNames)
{
  for (std::string text : {std::string("HTTP/1.1 Connector (port 8080)"),
                           std::string("8443"),
                           std::string("--management--"),
                           std::string("jgroups_udp.Str\xc3\xb6me"),
                           std::string(""),
                           std::string("\xff\xfe"),
                           std::string(400, 'x'),
                           std::string("..")}) {
    EXPECT_TRUE(is_dns1123_label(dns1123_label(text))) << text;
    EXPECT_TRUE(is_dns1035_label(dns1035_label(text))) << text;
    EXPECT_TRUE(is_dns1123_subdomain(dns1123_subdomain(text))) << text;
    EXPECT_TRUE(is_iana_svc_name(iana_svc_name(text))) << text;
    EXPECT_TRUE(is_config_key(config_key(text))) << text;
    EXPECT_TRUE(is_label_value(label_value(text))) << text;
  }
  EXPECT_EQ(iana_svc_name("8443"), "p-8443");
  EXPECT_EQ(dns1035_label("8080-shop"), "x-8080-shop");
  EXPECT_EQ(dns1123_subdomain("Shop.Example..COM"), "shop.example.com");
  EXPECT_EQ(config_key("db password"), "db_password");
}

TEST(K8sNames, UniqueNamesStayValidAndShort)
{
  std::set<std::string> used;
  EXPECT_EQ(unique("http-connector1", used, 15, is_iana_svc_name), "http-connector1");
  std::string second = unique("http-connector1", used, 15, is_iana_svc_name);
  EXPECT_EQ(second, "http-connecto-2");
  EXPECT_TRUE(is_iana_svc_name(second));
}

TEST(K8sNames, RenamesListOnlyWhatChanged)
{
  Renames renames;
  renames.add("port", "http", "http");
  EXPECT_TRUE(renames.empty());
  renames.add("port", "p-8443", "8443");
  EXPECT_EQ(renames.annotation(), R"({"port":{"p-8443":"8443"}})");
}
