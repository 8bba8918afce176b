#include "test_support.hpp"

#include <decant/analysis/analysis.hpp>
#include <decant/deploy/kubernetes.hpp>

#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>

namespace decant {
namespace {

// The library knows no analyzer: a program that reads analyses of an analyzer's type registers
// it, as the analyzers' registrar does (these tests link the library alone).
const bool k_types_registered = (register_application_type("java-tomcat"), true);

Analysis
tomcat()
{
  auto a = load_analysis(test::fixture("deploy/tomcat/analysis.json"));
  EXPECT_TRUE(a) << (a ? "" : a.error().message);
  return *a;
}

const KubernetesObject*
find(const KubernetesManifests& m, const std::string& kind)
{
  for (const auto& o : m.objects) {
    if (o.object["kind"] == kind) {
      return &o;
    }
  }
  return nullptr;
}

TEST(DeployKubernetes, YamlReadsBackAsBuilt)
{
  DeployOptions options;
  options.image = "127.0.0.1:5000/shop/tomcat:1.0";
  auto m = generate_kubernetes(tomcat(), options);
  ASSERT_TRUE(m) << m.error().message;
  for (const auto& o : m->objects) {
    YAML::Node node = YAML::Load(to_yaml(o.object));
    EXPECT_EQ(node["kind"].as<std::string>(), o.object["kind"].get<std::string>());
  }
  const auto* cm = find(*m, "ConfigMap");
  ASSERT_TRUE(cm);
  YAML::Node data = YAML::Load(to_yaml(cm->object))["data"];
  // "8080" and "true" must come back as strings, not a number and a boolean.
  EXPECT_EQ(data["TOMCAT_PORT"].Tag(), "!");
  EXPECT_EQ(data["TOMCAT_PORT"].as<std::string>(), "8080");
  EXPECT_EQ(data["FEATURE_ON"].Tag(), "!");
  EXPECT_EQ(data["JAVA_OPTS"].as<std::string>(), "-Djava.awt.headless=true $(not-a-k8s-ref)");
  EXPECT_FALSE(data["DB_PASSWORD"]); // secret: not in the ConfigMap
}

TEST(DeployKubernetes, DeploymentFollowsTheAnalysis)
{
  Analysis a = tomcat();
  DeployOptions options;
  options.image = "reg.example.com/shop/tomcat:1";
  options.replicas = 3;
  auto m = generate_kubernetes(a, options);
  ASSERT_TRUE(m);
  YAML::Node d = YAML::Load(to_yaml(find(*m, "Deployment")->object));
  EXPECT_EQ(d["spec"]["replicas"].as<int>(), 3);
  YAML::Node pod = d["spec"]["template"]["spec"];
  YAML::Node c = pod["containers"][0];
  // The image's Cmd is the start command, behind its own Entrypoint (decant-init when it
  // forwards logs): `args` replace the Cmd and keep that Entrypoint.
  EXPECT_FALSE(c["command"]);
  EXPECT_EQ(c["args"].size(), a.start.command.size());
  EXPECT_EQ(c["args"][0].as<std::string>(), a.start.command[0]);
  EXPECT_EQ(c["args"][2].as<std::string>(), "-Ddb.password=$(ARG_db.password)");
  EXPECT_EQ(c["args"][5].as<std::string>(), "-Dmsg=$$(literal)");
  EXPECT_EQ(c["workingDir"].as<std::string>(), "/var/lib/tomcat10");
  EXPECT_EQ(pod["securityContext"]["runAsUser"].as<int>(), 997);
  EXPECT_EQ(pod["securityContext"]["fsGroup"].as<int>(), 997);
  EXPECT_EQ(pod["securityContext"]["supplementalGroups"][0].as<int>(), 1001);
  EXPECT_EQ(c["securityContext"]["capabilities"]["add"][0].as<std::string>(), "NET_BIND_SERVICE");
  EXPECT_EQ(c["resources"]["limits"]["memory"].as<std::string>(), "1Gi");
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["path"].as<std::string>(), "/");
  EXPECT_TRUE(c["livenessProbe"]["tcpSocket"]);
  EXPECT_EQ(pod["hostAliases"][0]["ip"].as<std::string>(), "10.0.0.12");
  // Every secret reaches the container through secretKeyRef, never as a value.
  std::string text = to_yaml(find(*m, "Deployment")->object);
  for (const auto& s : a.secrets) {
    EXPECT_EQ(text.find(s.value), std::string::npos) << s.name;
  }
  EXPECT_TRUE(find(*m, "Secret")->secret);
  YAML::Node service = YAML::Load(to_yaml(find(*m, "Service")->object));
  EXPECT_EQ(service["spec"]["ports"].size(), 2u); // 8080 and 443; 8005 is not exposed
}

TEST(DeployKubernetes, WarnsWhenTheHeapDoesNotFit)
{
  Analysis a = tomcat();
  DeployOptions options;
  options.image = "r.io/a:1";
  options.memory_limit_bytes = 512ull << 20;
  auto m = generate_kubernetes(a, options);
  ASSERT_TRUE(m);
  bool warned = false;
  for (const auto& w : m->warnings) {
    warned |= w.find("does not fit the memory limit 512Mi") != std::string::npos;
  }
  EXPECT_TRUE(warned);
}

TEST(DeployKubernetes, TcpProbesWithoutAKnownPathAndNoCapabilityForHighPorts)
{
  Analysis a = tomcat();
  a.extensions = nlohmann::json::object();
  a.ports.erase(a.ports.begin() + 1); // drop 443
  DeployOptions options;
  options.image = "r.io/a:1";
  auto m = generate_kubernetes(a, options);
  ASSERT_TRUE(m);
  YAML::Node c = YAML::Load(
      to_yaml(find(*m, "Deployment")->object))["spec"]["template"]["spec"]["containers"][0];
  EXPECT_TRUE(c["readinessProbe"]["tcpSocket"]);
  EXPECT_TRUE(c["startupProbe"]["tcpSocket"]);
  EXPECT_FALSE(c["securityContext"]["capabilities"]["add"]);
  options.probe_path = "/health";
  auto with_path = generate_kubernetes(a, options);
  ASSERT_TRUE(with_path);
  EXPECT_EQ(find(*with_path, "Deployment")
                ->object["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]
                        ["path"],
            "/health");
}

TEST(DeployKubernetes, BadInput)
{
  Analysis a = tomcat();
  DeployOptions options;
  auto no_image = generate_kubernetes(a, options);
  ASSERT_FALSE(no_image);
  EXPECT_EQ(no_image.error().code, ErrorCode::usage);
  EXPECT_NE(no_image.error().hint.find("--image"), std::string::npos);
  options.image = "r.io/a:1";
  // A name Kubernetes refuses is made one it accepts, with a warning and the original kept.
  options.name = "Not_Valid";
  auto renamed = generate_kubernetes(a, options);
  ASSERT_TRUE(renamed);
  EXPECT_EQ(renamed->objects[0].object["metadata"]["name"], "not-valid");
  EXPECT_NE(renamed->objects[0]
                .object["metadata"]["annotations"]["decant.io/original-names"]
                .get<std::string>()
                .find("Not_Valid"),
            std::string::npos);
  options.name.clear();
  a.start.command.push_back("${secret:UNLISTED}");
  auto unlisted = generate_kubernetes(a, options);
  ASSERT_FALSE(unlisted);
  EXPECT_NE(unlisted.error().message.find("UNLISTED"), std::string::npos);
  Analysis machine = a;
  machine.application_type = "machine";
  machine.start.command.clear();
  auto nothing = generate_kubernetes(machine, options);
  ASSERT_FALSE(nothing);
  EXPECT_EQ(nothing.error().code, ErrorCode::invalid_input);
}

TEST(DeployKubernetes, ExternalizedSecretFilesAndResolvedGroups)
{
  Analysis a = tomcat();
  a.start.groups = {"tomcat", "adm"};
  DeployOptions options;
  options.image = "r.io/a:1";
  auto named = generate_kubernetes(a, options);
  ASSERT_TRUE(named);
  bool warned = false;
  for (const auto& w : named->warnings) {
    warned |= w.find("supplementary groups adm") != std::string::npos;
  }
  EXPECT_TRUE(warned);

  options.group_ids = {{"adm", 4}};
  options.externalize_secrets = true;
  auto missing = generate_kubernetes(a, options);
  ASSERT_FALSE(missing); // the file's content was not given
  EXPECT_NE(missing.error().message.find("/etc/tomcat10/tomcat-users.xml"), std::string::npos);

  options.secret_files["/etc/tomcat10/tomcat-users.xml"] = "<users/>";
  auto m = generate_kubernetes(a, options);
  ASSERT_TRUE(m) << m.error().message;
  const auto& pod = find(*m, "Deployment")->object["spec"]["template"]["spec"];
  EXPECT_EQ(pod["securityContext"]["supplementalGroups"], nlohmann::ordered_json::array({4}));
  const KubernetesObject* files = nullptr;
  for (const auto& o : m->objects) {
    if (o.file == "secret-files.yaml") {
      files = &o;
    }
  }
  ASSERT_TRUE(files);
  EXPECT_TRUE(files->secret);
  EXPECT_EQ(files->object["data"]["etc-tomcat10-tomcat-users-xml"], "PHVzZXJzLz4=");
}

TEST(DeployKubernetes, AWarPackedWithReferencesIsNotMountedAndItsSecretIsAnArgument)
{
  Analysis a = tomcat();
  a.files.clear();
  a.add_secret("TOMCAT_JDBC_SHOP_PASSWORD", "/w/shop.war!/META-INF/context.xml:3", "pw");
  a.files.push_back({"/w/shop.war",
                     "holds secrets",
                     FileRole::app,
                     true,
                     false,
                     {{"META-INF/context.xml",
                       3,
                       "Resource",
                       "password",
                       "TOMCAT_JDBC_SHOP_PASSWORD",
                       "${decant.secret.TOMCAT_JDBC_SHOP_PASSWORD}"}}});
  a.start.command.insert(a.start.command.end() - 2,
                         "-Ddecant.secret.TOMCAT_JDBC_SHOP_PASSWORD=${secret:TOMCAT_JDBC_SHOP_"
                         "PASSWORD}");
  DeployOptions options;
  options.image = "r.io/a:1";
  options.externalize_secrets = true; // no file contents given: none is needed
  auto m = generate_kubernetes(a, options);
  ASSERT_TRUE(m) << m.error().message;
  for (const auto& o : m->objects) {
    EXPECT_NE(o.file, "secret-files.yaml");
  }
  const auto& container =
      find(*m, "Deployment")->object["spec"]["template"]["spec"]["containers"][0];
  std::string args = container.dump();
  EXPECT_NE(args.find("-Ddecant.secret.TOMCAT_JDBC_SHOP_PASSWORD=$(TOMCAT_JDBC_SHOP_PASSWORD)"),
            std::string::npos)
      << args;
  bool from_secret = false;
  for (const auto& env : container["env"]) {
    from_secret = from_secret || env["name"] == "TOMCAT_JDBC_SHOP_PASSWORD";
  }
  EXPECT_TRUE(from_secret);
}

TEST(DeployKubernetes, HostAliasesFromEtcHosts)
{
  std::string hosts = "127.0.0.1\tlocalhost\n127.0.1.1 shop-web-01 db\n# comment db.internal\n"
                      "10.0.0.12   db.internal db   # primary\n10.0.0.99 other.example\n"
                      "::1 localhost\n";
  auto aliases = host_aliases_from_etc_hosts(hosts, {"db.internal", "localhost"});
  ASSERT_EQ(aliases.size(), 1u); // loopback entries never, unrelated hosts not
  EXPECT_EQ(aliases[0].ip, "10.0.0.12");
  EXPECT_EQ(aliases[0].hostnames, (std::vector<std::string>{"db.internal", "db"}));

  Analysis a = tomcat();
  a.extensions = nlohmann::json::object();
  DeployOptions options;
  options.image = "r.io/a:1";
  auto without = generate_kubernetes(a, options);
  ASSERT_TRUE(without);
  EXPECT_FALSE(
      find(*without, "Deployment")->object["spec"]["template"]["spec"].contains("hostAliases"));
  options.etc_hosts = hosts;
  auto with = generate_kubernetes(a, options);
  ASSERT_TRUE(with);
  const auto& pod = find(*with, "Deployment")->object["spec"]["template"]["spec"];
  ASSERT_EQ(pod["hostAliases"].size(), 1u);
  EXPECT_EQ(pod["hostAliases"][0]["ip"], "10.0.0.12");
}

TEST(DeployKubernetes, Quantities)
{
  EXPECT_EQ(memory_quantity(536870912), "512Mi");
  EXPECT_EQ(memory_quantity(536870913), "513Mi");
  EXPECT_EQ(memory_quantity(1ull << 30), "1Gi");
  EXPECT_EQ(cpu_quantity(0.5), "500m");
  EXPECT_EQ(cpu_quantity(2), "2");
  EXPECT_EQ(cpu_quantity(0.0001), "1m");
  EXPECT_EQ(parse_memory_quantity("512Mi"), 512ull << 20);
  EXPECT_EQ(parse_memory_quantity("1G"), 1000000000ull);
  EXPECT_EQ(parse_memory_quantity("4096"), 4096ull);
  EXPECT_FALSE(parse_memory_quantity("lots"));
  EXPECT_FALSE(parse_memory_quantity("0Mi"));
  EXPECT_EQ(non_heap_overhead(512ull << 20), 256ull << 20);
  EXPECT_EQ(non_heap_overhead(4ull << 30), 1ull << 30);
}

TEST(DeployKubernetes, ContainerArguments)
{
  std::vector<std::string> used;
  EXPECT_EQ(container_argument("-Dp=${secret:A}x${secret:B}", used), "-Dp=$(A)x$(B)");
  EXPECT_EQ(container_argument("$(HOME) and $$", used), "$$(HOME) and $$$");
  EXPECT_EQ(container_argument("${secret:unterminated", used), "${secret:unterminated");
  EXPECT_EQ(used, (std::vector<std::string>{"A", "B"}));
}

} // namespace
} // namespace decant

namespace decant {
namespace {

// An ASP.NET Core app with its data-protection key ring, as the analyzer writes it.
Analysis
mvc_app()
{
  Analysis a;
  a.application_type = "dotnet-aspnetcore";
  a.application_id = make_application_id("dotnet-aspnetcore", "/srv/mvc");
  a.process.uid = 1001;
  a.process.gid = 1001;
  a.start.command = {"/usr/share/dotnet/dotnet", "/srv/mvc/mvc.dll"};
  a.ports.push_back({8080, "tcp", "", PortRole::http, true, true, "env ASPNETCORE_HTTP_PORTS"});
  a.files.push_back({"/srv/mvc", "app", FileRole::app, false, false});
  a.files.push_back(
      {"/srv/.aspnet/DataProtection-Keys", "data protection keys", FileRole::config, true, false});
  return a;
}

TEST(DeployKubernetes, AKeyRingIsASharedWritableVolumeSeededFromTheSecret)
{
  test::TempDir tree;
  tree.write("srv/.aspnet/DataProtection-Keys/key-1.xml", "<key id=\"1\"/>");
  tree.write("srv/.aspnet/DataProtection-Keys/key-2.xml", "<key id=\"2\"/>");
  auto root = HostRoot::open(tree.path()).value();
  Analysis a = mvc_app();
  DeployOptions options;
  options.image = "r.io/mvc:1";
  options.replicas = 2;
  options.externalize_secrets = true;
  ASSERT_TRUE(read_secret_files(a, root, options));
  EXPECT_EQ(options.secret_directories.count("/srv/.aspnet/DataProtection-Keys"), 1u);
  EXPECT_EQ(options.secret_files.size(), 2u);

  auto m = generate_kubernetes(a, options);
  ASSERT_TRUE(m) << m.error().message;
  const auto& pod = find(*m, "Deployment")->object["spec"]["template"]["spec"];
  // The directory: a writable claim shared by the replicas.
  std::string claim;
  for (const auto& v : pod["volumes"]) {
    if (v.contains("persistentVolumeClaim")) {
      claim = v["persistentVolumeClaim"]["claimName"].get<std::string>();
    }
  }
  ASSERT_FALSE(claim.empty());
  const KubernetesObject* pvc = nullptr;
  for (const auto& o : m->objects) {
    if (o.object["kind"] == "PersistentVolumeClaim" && o.object["metadata"]["name"] == claim) {
      pvc = &o;
    }
  }
  ASSERT_TRUE(pvc);
  EXPECT_EQ(pvc->object["spec"]["accessModes"][0], "ReadWriteMany");
  int key_mounts = 0;
  bool dir_writable = false;
  for (const auto& mount : pod["containers"][0]["volumeMounts"]) {
    std::string path = mount["mountPath"];
    if (path == "/srv/.aspnet/DataProtection-Keys") {
      dir_writable = !mount.contains("readOnly");
    }
    if (path.rfind("/srv/.aspnet/DataProtection-Keys/key-", 0) == 0) {
      ++key_mounts;
      EXPECT_EQ(mount["readOnly"], true);
    }
  }
  EXPECT_TRUE(dir_writable);
  EXPECT_EQ(key_mounts, 2);
  // The Secret's files belong to root: fsGroup makes them readable by the app's group.
  EXPECT_EQ(pod["securityContext"]["fsGroup"], 1001);

  // One replica: ReadWriteOnce is enough.
  options.replicas = 1;
  auto single = generate_kubernetes(a, options);
  ASSERT_TRUE(single);
  for (const auto& o : single->objects) {
    if (o.object["kind"] == "PersistentVolumeClaim") {
      EXPECT_EQ(o.object["spec"]["accessModes"][0], "ReadWriteOnce");
    }
  }
}

TEST(DeployKubernetes, OperatorLabelsAreOnEveryObjectTheKeyRingClaimToo)
{
  test::TempDir tree;
  tree.write("srv/.aspnet/DataProtection-Keys/key-1.xml", "<key id=\"1\"/>");
  auto root = HostRoot::open(tree.path()).value();
  Analysis a = mvc_app();
  a.volumes.push_back({"/srv/data", VolumeRole::data, 1001, 1001, 0750, "uploads"});
  DeployOptions options;
  options.image = "r.io/mvc:1";
  options.externalize_secrets = true;
  options.labels = {{"team", "shop"}};
  ASSERT_TRUE(read_secret_files(a, root, options));
  auto m = generate_kubernetes(a, options);
  ASSERT_TRUE(m) << m.error().message;
  int claims = 0;
  for (const auto& o : m->objects) {
    EXPECT_EQ(o.object["metadata"]["labels"].value("team", ""), "shop") << o.file;
    claims += o.object["kind"] == "PersistentVolumeClaim";
  }
  EXPECT_EQ(claims, 2); // the data volume's and the key ring's
}

TEST(DeployKubernetes, SecretFilesAloneGetAnFsGroup)
{
  Analysis a = mvc_app();
  a.files.back() = {"/srv/certs/key.pem", "TLS key", FileRole::config, true, false};
  DeployOptions options;
  options.image = "r.io/mvc:1";
  options.externalize_secrets = true;
  options.secret_files["/srv/certs/key.pem"] = "-----BEGIN PRIVATE KEY-----";
  auto m = generate_kubernetes(a, options);
  ASSERT_TRUE(m) << m.error().message;
  const auto& pod = find(*m, "Deployment")->object["spec"]["template"]["spec"];
  EXPECT_EQ(pod["securityContext"]["fsGroup"], 1001);
  EXPECT_EQ(pod["volumes"][0]["secret"]["defaultMode"], 0440);
}

} // namespace
} // namespace decant
