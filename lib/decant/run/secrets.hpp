#pragma once

// Secrets given to a sandboxed image exactly as the generated Kubernetes Deployment gives them
// (lib/decant/deploy/kubernetes.cpp): a secret environment variable from its Secret key, each
// `${secret:NAME}` of the command as the variable NAME referenced by `$(NAME)` and expanded the
// way Kubernetes expands command and args, and with --externalize-secrets the files marked
// secret mounted read-only (mode 0440) at their paths.

#include <decant/analysis/analysis.hpp>
#include <decant/error.hpp>

#include <string>
#include <vector>

namespace decant {

// The keys of the secrets file a run of `argv` needs: those of the secret environment
// variables and those `${secret:NAME}` names in argv. Sorted, unique.
std::vector<std::string> secrets_needed(const Analysis& analysis,
                                        const std::vector<std::string>& argv);

struct SecretApplication {
  std::vector<std::string> argv;
  std::vector<std::string> env; // the image's Env with the Deployment's variables applied
};

// Applies the secrets (values loaded in `analysis.secrets`) to the image's argv and Env. A
// `${secret:NAME}` not listed in the analysis's secrets fails (invalid input), as generate does.
Result<SecretApplication> apply_secrets(const Analysis& analysis,
                                        const std::vector<std::string>& argv,
                                        const std::vector<std::string>& image_env);

// An analysis standing in for a missing one: the secret variables named in the image's label
// io.decant.secret-env (as ENV_<NAME> keys, the analyzers' naming) and the `${secret:NAME}`
// names of argv.
Analysis analysis_from_image_labels(const std::string& secret_env_label,
                                    const std::vector<std::string>& argv);

} // namespace decant
