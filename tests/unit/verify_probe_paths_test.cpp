#include "test_support.hpp"

#include <decant/verify/probe_paths.hpp>

#include <gtest/gtest.h>

using namespace decant;
using decant::test::TempDir;

TEST(VerifyProbePaths, TomcatContextNames)
{
  EXPECT_EQ(tomcat_context_path("ROOT"), "/");
  EXPECT_EQ(tomcat_context_path("examples"), "/examples/");
  EXPECT_EQ(tomcat_context_path("shop#admin"), "/shop/admin/");
  EXPECT_EQ(tomcat_context_path("app##2.1"), "/app/");
  EXPECT_EQ(tomcat_context_path("ROOT##3"), "/");
}

TEST(VerifyProbePaths, TomcatContextsOfTheDefaultHostThenTheOperatorsPaths)
{
  TempDir image;
  image.write("var/lib/tomcat10/conf/Catalina/localhost/examples.xml", "<Context/>");
  image.write("var/lib/tomcat10/conf/Catalina/localhost/shop#admin.xml", "<Context/>");
  image.write("var/lib/tomcat10/conf/Catalina/other/hidden.xml", "<Context/>");
  image.write("var/lib/tomcat10/webapps/ROOT/index.html", "hi");
  image.write("var/lib/tomcat10/webapps/orders.war", "PK");
  image.write("var/lib/tomcat10/webapps/notes.txt", "not a webapp");
  Analysis a;
  a.application_type = "java-tomcat";
  a.runtime.details = nlohmann::json::parse(R"({
    "catalinaBase": "/var/lib/tomcat10",
    "services": [{"engine": "Catalina", "defaultHost": "localhost",
                  "hosts": [{"name": "localhost", "appBase": "webapps"},
                            {"name": "other", "appBase": "otherapps"}]}]})");
  a.extensions["verify"]["paths"] = {"/health", "status"};
  auto root = HostRoot::open(image.path());
  ASSERT_TRUE(root);
  EXPECT_EQ(default_probe_paths(a, *root),
            (std::vector<std::string>{
                "/", "/examples/", "/shop/admin/", "/orders/", "/health", "/status"}));
}

TEST(VerifyProbePaths, JbossWarsAndAspnetRoot)
{
  TempDir image;
  auto root = HostRoot::open(image.path());
  ASSERT_TRUE(root);
  Analysis jboss;
  jboss.application_type = "java-jboss";
  jboss.runtime.details["deployments"] = nlohmann::json::parse(
      R"([{"runtimeName": "orders.war", "state": "enabled"},
          {"runtimeName": "off.war", "state": "disabled"},
          {"runtimeName": "bank.ear"}])");
  EXPECT_EQ(default_probe_paths(jboss, *root), (std::vector<std::string>{"/", "/orders/"}));
  Analysis aspnet;
  aspnet.application_type = "dotnet-aspnetcore";
  EXPECT_EQ(default_probe_paths(aspnet, *root), std::vector<std::string>{"/"});
}
