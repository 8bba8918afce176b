#include <decant/deploy/k8s_names.hpp>
#include <decant/job/labels.hpp>
#include <decant/util/strings.hpp>

#include <fmt/format.h>

namespace decant::job {

namespace {

// NAME of a label key, and a non-empty label value: the same rule.
bool
is_label_name(std::string_view name)
{
  return !name.empty() && k8s::is_label_value(name);
}

const char* const k_rule =
    "a key is [PREFIX/]NAME: NAME at most 63 letters, digits, '-', '_' or '.' starting and "
    "ending with a letter or digit, PREFIX a DNS subdomain (example.com); a value is empty or "
    "like NAME";

} // namespace

bool
is_label_key(std::string_view key)
{
  size_t slash = key.find('/');
  if (slash == std::string_view::npos) {
    return is_label_name(key);
  }
  return k8s::is_dns1123_subdomain(key.substr(0, slash)) && is_label_name(key.substr(slash + 1));
}

bool
is_label_value(std::string_view value)
{
  return value.empty() || is_label_name(value);
}

Result<std::map<std::string, std::string>>
parse_labels(const std::vector<std::string>& arguments)
{
  if (arguments.size() > k_max_labels) {
    return fail(Error(
        ErrorCode::usage,
        fmt::format("{} labels given; a job takes at most {}", arguments.size(), k_max_labels),
        fmt::format("drop the labels after the {}th: --label {}",
                    k_max_labels,
                    quote(arguments[k_max_labels]))));
  }
  std::map<std::string, std::string> labels;
  for (const auto& argument : arguments) {
    size_t equals = argument.find('=');
    if (equals == std::string::npos) {
      return fail(Error(ErrorCode::usage,
                        fmt::format("--label {} is not KEY=VALUE", quote(argument)),
                        "e.g. --label team=shop --label tier=web"));
    }
    std::string key = argument.substr(0, equals);
    std::string value = argument.substr(equals + 1);
    if (!is_label_key(key)) {
      return fail(Error(ErrorCode::usage,
                        fmt::format("--label {}: {} is not a valid Kubernetes label key",
                                    quote(argument),
                                    quote(key)),
                        k_rule));
    }
    if (!is_label_value(value)) {
      return fail(Error(ErrorCode::usage,
                        fmt::format("--label {}: {} is not a valid Kubernetes label value",
                                    quote(argument),
                                    quote(value)),
                        k_rule));
    }
    if (key == "app.kubernetes.io/name" || key == "app.kubernetes.io/managed-by") {
      return fail(Error(ErrorCode::usage,
                        fmt::format("--label {}: decant sets this label itself", key),
                        "use --name for the application's name; choose another key"));
    }
    if (!labels.emplace(key, value).second) {
      return fail(Error(
          ErrorCode::usage, fmt::format("--label {} is given twice", key), "give each key once"));
    }
  }
  return labels;
}

} // namespace decant::job
