#include <decant/deploy/kubernetes.hpp>
#include <decant/run/secrets.hpp>
#include <decant/util/strings.hpp>

#include <algorithm>
#include <map>
#include <set>

namespace decant {

std::vector<std::string>
secrets_needed(const Analysis& analysis, const std::vector<std::string>& argv)
{
  std::set<std::string> names;
  for (const auto& var : analysis.env) {
    if (var.secret) {
      names.insert(var.secret_ref);
    }
  }
  std::vector<std::string> in_argv;
  for (const auto& arg : argv) {
    container_argument(arg, in_argv);
  }
  std::set<std::string> env_names;
  for (const auto& var : analysis.env) {
    env_names.insert(var.name);
  }
  for (const auto& name : in_argv) {
    // A variable of the same name wins in Kubernetes: then the secret itself is not read.
    if (!env_names.count(name)) {
      names.insert(name);
    }
  }
  return {names.begin(), names.end()};
}

Result<SecretApplication>
apply_secrets(const Analysis& analysis,
              const std::vector<std::string>& argv,
              const std::vector<std::string>& image_env)
{
  std::map<std::string, std::string> secret_values;
  for (const auto& secret : analysis.secrets) {
    secret_values[secret.name] = secret.value;
  }
  // The container's variables as the Deployment sets them: plain ones through the ConfigMap,
  // secret ones through secretKeyRef, then one per secret of the command.
  // Plain ones are the image's Env already (the packer may have adjusted them there); they
  // count for `$(NAME)` references only.
  std::vector<std::pair<std::string, std::string>> container_env;
  std::vector<std::pair<std::string, std::string>> plain_env;
  std::set<std::string> env_names;
  for (const auto& var : analysis.env) {
    env_names.insert(var.name);
    if (var.secret) {
      auto it = secret_values.find(var.secret_ref);
      container_env.emplace_back(var.name, it == secret_values.end() ? "" : it->second);
    } else {
      plain_env.emplace_back(var.name, var.value);
    }
  }
  SecretApplication out;
  std::vector<std::string> argv_secrets;
  std::vector<std::string> converted;
  for (const auto& arg : argv) {
    converted.push_back(container_argument(arg, argv_secrets));
  }
  for (const auto& name : argv_secrets) {
    if (!secret_values.count(name)) {
      return fail(Error(ErrorCode::invalid_input,
                        fmt::format("the command refers to ${{secret:{}}}, which is not listed in "
                                    "\"secrets\"",
                                    name),
                        "add it to secrets (and its value to the secrets file) or edit the "
                        "command"));
    }
    if (!env_names.count(name)) {
      container_env.emplace_back(name, secret_values[name]);
      env_names.insert(name);
    }
  }
  auto lookup = [&](const std::string& name) -> std::optional<std::string> {
    // The last definition of a name wins, as in a container's environment.
    for (const auto* list : {&container_env, &plain_env}) {
      for (auto it = list->rbegin(); it != list->rend(); ++it) {
        if (it->first == name) {
          return it->second;
        }
      }
    }
    return std::nullopt;
  };
  for (const auto& arg : converted) {
    out.argv.push_back(expand_kubernetes_references(arg, lookup));
  }
  // The image's Env first, then the container's variables replace or extend it (what a
  // runtime does with the pod's env over the image config).
  out.env = image_env;
  for (const auto& [name, value] : container_env) {
    std::string entry = name + "=" + value;
    // A named prefix, not the binding: C++17 lambdas cannot capture structured bindings (clang
    // refuses it; the sanitizer build uses clang).
    std::string prefix = name + "=";
    auto same = std::find_if(out.env.begin(), out.env.end(), [&](const std::string& e) {
      return e.compare(0, prefix.size(), prefix) == 0;
    });
    if (same != out.env.end()) {
      *same = entry;
    } else {
      out.env.push_back(entry);
    }
  }
  return out;
}

Analysis
analysis_from_image_labels(const std::string& secret_env_label,
                           const std::vector<std::string>& argv)
{
  Analysis a;
  for (const auto& raw : split(secret_env_label, ',')) {
    std::string name(trim(raw));
    if (name.empty()) {
      continue;
    }
    EnvVar var;
    var.name = name;
    var.secret = true;
    var.secret_ref = "ENV_" + name;
    a.env.push_back(var);
    a.secrets.push_back({var.secret_ref, "env", ""});
  }
  std::vector<std::string> in_argv;
  for (const auto& arg : argv) {
    container_argument(arg, in_argv);
  }
  for (const auto& name : in_argv) {
    a.secrets.push_back({name, "argv", ""});
  }
  return a;
}

} // namespace decant
