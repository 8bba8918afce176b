// Kestrel's address resolution over layered configuration, URL forms, and connection strings.
#include "aspnet/configuration.hpp"
#include "aspnet/connection_strings.hpp"
#include "aspnet/dotnet_json.hpp"
#include "aspnet/kestrel_urls.hpp"
#include "test_support.hpp"

#include <decant/util/fs.hpp>

#include <gtest/gtest.h>

using namespace decant;
using namespace decant::aspnet;

namespace {

void
add_file(Configuration& config, const std::string& corpus_name, const std::string& host_path)
{
  std::string text = read_file(test::fixture("configs/aspnet/" + corpus_name)).value();
  auto json = parse_dotnet_json(text, host_path);
  ASSERT_TRUE(json) << json.error().message;
  config.add_json(*json, host_path, text);
}

std::vector<std::string>
urls_of(const UrlResolution& resolution)
{
  std::vector<std::string> out;
  for (const auto& endpoint : resolution.endpoints) {
    out.push_back(endpoint.url.text);
  }
  return out;
}

} // namespace

TEST(AspnetKestrelUrls, ParsesUrlForms)
{
  struct Case {
    const char* url;
    const char* scheme;
    uint16_t port;
    bool all;
    bool loopback;
  };
  const Case cases[] = {
      {"http://*:5000", "http", 5000, true, false},
      {"http://+:80", "http", 80, true, false},
      {"http://0.0.0.0:8080/", "http", 8080, true, false},
      {"http://[::]:8080", "http", 8080, true, false},
      {"https://localhost:5001", "https", 5001, false, true},
      {"http://127.0.0.1:7000", "http", 7000, false, true},
      {"http://[::1]:7000", "http", 7000, false, true},
      {"http://10.1.2.3:9000", "http", 9000, false, false},
      {"https://example.com", "https", 443, true, false},
      {"HTTP://*", "http", 80, true, false},
      {"http://localhost:0", "http", 0, false, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    auto url = parse_kestrel_url(c.url);
    ASSERT_TRUE(url) << url.error().message;
    EXPECT_EQ(url->scheme, c.scheme);
    EXPECT_EQ(url->port, c.port);
    EXPECT_EQ(url->all_interfaces, c.all);
    EXPECT_EQ(url->loopback, c.loopback);
  }
  EXPECT_EQ(rebind_all_interfaces(*parse_kestrel_url("https://localhost:5001")), "https://+:5001");
  EXPECT_FALSE(parse_kestrel_url("localhost:5000"));
  EXPECT_FALSE(parse_kestrel_url("ftp://*:21"));
  EXPECT_FALSE(parse_kestrel_url("http://*:99999"));
  auto unix_socket = parse_kestrel_url("http://unix:/run/app.sock");
  ASSERT_FALSE(unix_socket);
  EXPECT_EQ(unix_socket.error().code, ErrorCode::unsupported);
}

TEST(AspnetKestrelUrls, DefaultIsLocalhost5000)
{
  Configuration config;
  auto resolved = resolve_kestrel_urls(config, 8);
  EXPECT_EQ(resolved.mechanism, UrlMechanism::default_url);
  EXPECT_EQ(urls_of(resolved), std::vector<std::string>{"http://localhost:5000"});
  EXPECT_EQ(resolved.endpoints[0].source.origin, ConfigValue::Origin::default_value);
}

TEST(AspnetKestrelUrls, UrlsPrecedenceCommandLineOverEnvironmentOverFiles)
{
  EnvList env = {{"ASPNETCORE_URLS", "http://+:8000"}, {"DOTNET_URLS", "http://+:8001"}};
  Configuration config;
  // WebApplicationBuilder (.NET 7+): ASPNETCORE_ first, DOTNET_ after.
  config.add_environment(env, "ASPNETCORE_");
  config.add_environment(env, "DOTNET_");
  auto resolved = resolve_kestrel_urls(config, 8);
  EXPECT_EQ(urls_of(resolved), std::vector<std::string>{"http://+:8001"});
  EXPECT_EQ(resolved.endpoints[0].source.source, "env DOTNET_URLS");

  nlohmann::json settings = {{"urls", "http://*:8100;https://*:8443"}};
  config.add_json(settings, "/srv/app/appsettings.json", settings.dump());
  resolved = resolve_kestrel_urls(config, 8);
  EXPECT_EQ(resolved.mechanism, UrlMechanism::urls);
  EXPECT_EQ(urls_of(resolved), (std::vector<std::string>{"http://*:8100", "https://*:8443"}));

  config.add_command_line({"--urls", "http://localhost:9000"}, 2);
  resolved = resolve_kestrel_urls(config, 8);
  EXPECT_EQ(urls_of(resolved), std::vector<std::string>{"http://localhost:9000"});
  EXPECT_EQ(resolved.endpoints[0].source.argv_index, 3);
}

TEST(AspnetKestrelUrls, HttpPortsOnlyFromDotnet8)
{
  Configuration config;
  config.add_environment(
      {{"ASPNETCORE_HTTP_PORTS", "8080;8081"}, {"ASPNETCORE_HTTPS_PORTS", "8443"}}, "ASPNETCORE_");
  auto resolved = resolve_kestrel_urls(config, 8);
  EXPECT_EQ(resolved.mechanism, UrlMechanism::http_ports);
  EXPECT_EQ(urls_of(resolved),
            (std::vector<std::string>{"http://*:8080", "http://*:8081", "https://*:8443"}));
  EXPECT_EQ(resolve_kestrel_urls(config, 7).mechanism, UrlMechanism::default_url);
  // urls outrank the port lists.
  config.add_environment({{"ASPNETCORE_URLS", "http://+:7000"}}, "ASPNETCORE_");
  EXPECT_EQ(resolve_kestrel_urls(config, 8).mechanism, UrlMechanism::urls);
}

TEST(AspnetKestrelUrls, EndpointsOverrideUrlsAndMergeAcrossSources)
{
  Configuration config;
  config.add_environment({{"ASPNETCORE_URLS", "http://+:8000"}}, "ASPNETCORE_");
  add_file(config, "yarp-letsencrypt-sample.appsettings.json", "/app/appsettings.json");
  add_file(config,
           "aspnetcore-kestrel-sampleapp.appsettings.Production.json",
           "/app/appsettings.Production.json");
  config.add_environment({{"Kestrel__Endpoints__Http__Url", "http://0.0.0.0:8080"}}, "");
  auto resolved = resolve_kestrel_urls(config, 6);
  EXPECT_EQ(resolved.mechanism, UrlMechanism::kestrel_endpoints);
  EXPECT_EQ(urls_of(resolved),
            (std::vector<std::string>{
                "http://0.0.0.0:8080", "https://*:443", "http://*:6000", "https://*:6443"}));
  EXPECT_EQ(resolved.endpoints[0].name, "Http");
  EXPECT_EQ(resolved.endpoints[0].source.source, "env Kestrel__Endpoints__Http__Url");
  EXPECT_EQ(resolved.endpoints[2].source.source, "/app/appsettings.Production.json:4");
  ASSERT_EQ(resolved.warnings.size(), 1u);
  EXPECT_NE(resolved.warnings[0].find("overridden by Kestrel:Endpoints"), std::string::npos);
  EXPECT_EQ(config.value("Kestrel:Endpoints:NamedHttpsEndpoint:Certificate:Password"),
            "testPassword");
}

TEST(AspnetKestrelUrls, InvalidEndpointIsSkippedWithAWarning)
{
  Configuration config;
  add_file(config,
           "aspnetcore-kestrel-sampleapp.appsettings.Development.json",
           "/app/appsettings.Development.json");
  auto resolved = resolve_kestrel_urls(config, 7);
  EXPECT_EQ(urls_of(resolved),
            (std::vector<std::string>{"http://localhost:6000", "https://localhost:6443"}));
  ASSERT_EQ(resolved.warnings.size(), 1u);
  EXPECT_NE(resolved.warnings[0].find("\"Foo\" has no Url"), std::string::npos);
  EXPECT_NE(resolved.warnings[0].find("appsettings.Development.json:4"), std::string::npos);
}

TEST(AspnetConfiguration, CommandLineForms)
{
  Configuration config;
  config.add_command_line({"--a=1", "--b", "2", "/c=3", "/d", "4", "e=5", "-f", "6", "lonely"}, 1);
  EXPECT_EQ(config.value("a"), "1");
  EXPECT_EQ(config.value("b"), "2");
  EXPECT_EQ(config.value("c"), "3");
  EXPECT_EQ(config.value("d"), "4");
  EXPECT_EQ(config.value("e"), "5");
  EXPECT_EQ(config.value("f"), "");
  EXPECT_EQ(config.get("b")->argv_index, 3);
}

TEST(AspnetConfiguration, EnvironmentKeysAndConnectionStringPrefixes)
{
  Configuration config;
  config.add_environment({{"Logging__LogLevel__Default", "Debug"},
                          {"SQLCONNSTR_Main", "Server=db;Database=x"},
                          {"DOTNET_ENVIRONMENT", "Staging"}},
                         "");
  EXPECT_EQ(config.value("logging:loglevel:default"), "Debug");
  EXPECT_EQ(config.value("ConnectionStrings:Main"), "Server=db;Database=x");
  EXPECT_EQ(config.children("ConnectionStrings"), std::vector<std::string>{"Main"});
  Configuration prefixed;
  prefixed.add_environment({{"DOTNET_ENVIRONMENT", "Staging"}, {"OTHER", "x"}}, "DOTNET_");
  EXPECT_EQ(prefixed.value("environment"), "Staging");
  EXPECT_EQ(prefixed.get("other"), nullptr);
}

TEST(AspnetConnectionStrings, FindsServerAndPort)
{
  struct Case {
    const char* text;
    const char* host;
    uint16_t port;
    const char* kind;
  };
  const Case cases[] = {
      {"Server=tcp:sql.example,1433;Database=shop;User Id=u;Password=p",
       "sql.example",
       1433,
       "sqlserver"},
      {"Data Source=sql2.example\\PROD;Initial Catalog=x;Integrated Security=true",
       "sql2.example",
       1433,
       "sqlserver"},
      {"Host=pg.example;Port=5433;Database=r;Username=u;Password=p",
       "pg.example",
       5433,
       "postgresql"},
      {"Host=pg1,pg2;Database=r", "pg1", 5432, "postgresql"},
      {"Server=my.example;Port=3307;Uid=u;Pwd=p;Database=d", "my.example", 3307, "mysql"},
      {"redis.example:6380,password=x,ssl=True", "redis.example", 6380, "redis"},
      {"mongodb://user:pw@mongo1.example:27018,mongo2.example/db?replicaSet=rs",
       "mongo1.example",
       27018,
       "mongodb"},
      {"amqp://guest:guest@rabbit.example/vhost", "rabbit.example", 5672, "amqp"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto target = parse_connection_string(c.text);
    ASSERT_TRUE(target);
    EXPECT_EQ(target->host, c.host);
    EXPECT_EQ(target->port, c.port);
    EXPECT_EQ(target->kind, c.kind);
  }
  EXPECT_FALSE(parse_connection_string("Data Source=app.db"));
  EXPECT_FALSE(parse_connection_string("Server=(localdb)\\MSSQLLocalDB;Database=x"));
  EXPECT_FALSE(parse_connection_string(""));
}
