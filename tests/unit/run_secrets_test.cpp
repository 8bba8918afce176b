#include <decant/deploy/kubernetes.hpp>
#include <decant/run/secrets.hpp>

#include <gtest/gtest.h>

using namespace decant;

namespace {

Analysis
with_secrets()
{
  Analysis a;
  a.add_env("JAVA_OPTS", "-Xmx1g", false);
  a.add_env("DB_PASSWORD", "s3cr$t", true); // secret ENV_DB_PASSWORD
  a.add_secret("ARG_KEYSTORE_PASS", "argv", "change$(it)");
  return a;
}

std::string
env_of(const std::vector<std::string>& env, const std::string& name)
{
  for (const auto& e : env) {
    if (e.rfind(name + "=", 0) == 0) {
      return e.substr(name.size() + 1);
    }
  }
  return "<unset>";
}

} // namespace

TEST(RunSecrets, NeededAreThoseOfTheEnvironmentAndTheCommand)
{
  Analysis a = with_secrets();
  a.add_secret("FILE_SERVER_XML_PASSWORD", "/etc/tomcat10/server.xml:44", "x");
  auto needed = secrets_needed(a, {"java", "-Dks=${secret:ARG_KEYSTORE_PASS}"});
  // The server.xml secret is inside the packed file: the run does not need it.
  EXPECT_EQ(needed, (std::vector<std::string>{"ARG_KEYSTORE_PASS", "ENV_DB_PASSWORD"}));
}

TEST(RunSecrets, GivenAsTheDeploymentGivesThem)
{
  Analysis a = with_secrets();
  std::vector<std::string> argv{"java",
                                "-Dks=${secret:ARG_KEYSTORE_PASS}",
                                "-Dliteral=$(HOME) costs $$5",
                                "-Dopts=$(JAVA_OPTS)"};
  auto applied = apply_secrets(a, argv, {"PATH=/usr/bin", "JAVA_OPTS=-Xmx2g", "DB_PASSWORD="});
  ASSERT_TRUE(applied) << applied.error().message;
  // The secret's value verbatim (a '$(' in it is not expanded again), literal '$(' and '$$'
  // of the command kept; "$(JAVA_OPTS)" was literal text in the analysis too.
  EXPECT_EQ(applied->argv,
            (std::vector<std::string>{
                "java", "-Dks=change$(it)", "-Dliteral=$(HOME) costs $$5", "-Dopts=$(JAVA_OPTS)"}));
  EXPECT_EQ(env_of(applied->env, "DB_PASSWORD"), "s3cr$t");
  // Each secret of the command is also a variable of the container, as in the Deployment.
  EXPECT_EQ(env_of(applied->env, "ARG_KEYSTORE_PASS"), "change$(it)");
  // Plain variables are the image's (the packer may have changed them there).
  EXPECT_EQ(env_of(applied->env, "JAVA_OPTS"), "-Xmx2g");
  EXPECT_EQ(env_of(applied->env, "PATH"), "/usr/bin");
}

TEST(RunSecrets, ACommandSecretNotListedIsRefused)
{
  Analysis a = with_secrets();
  auto applied = apply_secrets(a, {"java", "-Dp=${secret:NOPE}"}, {});
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().code, ErrorCode::invalid_input);
  EXPECT_NE(applied.error().message.find("NOPE"), std::string::npos);
}

TEST(RunSecrets, KubernetesExpansionRoundTripsEveryArgument)
{
  // What generate writes, Kubernetes expands back to the original (secrets aside).
  for (std::string original :
       {"plain", "$", "$$", "$$$", "a$(b)c", "$(", "$)", "x$$(y)$", "$(A)$(B"}) {
    std::vector<std::string> secrets;
    std::string written = container_argument(original, secrets);
    auto none = [](const std::string&) { return std::optional<std::string>(); };
    EXPECT_EQ(expand_kubernetes_references(written, none), original) << written;
  }
  auto lookup = [](const std::string& name) {
    return name == "A" ? std::optional<std::string>("1") : std::nullopt;
  };
  EXPECT_EQ(expand_kubernetes_references("$(A)-$(B)-$$(A)-$x", lookup), "1-$(B)-$(A)-$x");
}

TEST(RunSecrets, WithoutAnAnalysisTheImageLabelNamesTheVariables)
{
  Analysis a = analysis_from_image_labels("DB_PASSWORD, API_KEY", {"app", "--key=${secret:K}"});
  ASSERT_EQ(a.env.size(), 2u);
  EXPECT_EQ(a.env[0].secret_ref, "ENV_DB_PASSWORD");
  EXPECT_EQ(secrets_needed(a, {"app", "--key=${secret:K}"}),
            (std::vector<std::string>{"ENV_API_KEY", "ENV_DB_PASSWORD", "K"}));
}
