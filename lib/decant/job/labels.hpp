#pragma once

// Labels of a migration job (`decant migrate --label KEY=VALUE`): at most 20, each a valid
// Kubernetes label (they become labels of every generated object and annotations of the image),
// so a label Kubernetes would refuse is refused before any work starts.

#include <decant/error.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace decant::job {

inline constexpr size_t k_max_labels = 20;

// A label key: an optional prefix (a DNS subdomain of at most 253 characters) and '/', then a
// name of at most 63 characters of [A-Za-z0-9-_.] beginning and ending with a letter or digit
// (k8s.io/apimachinery validation.IsQualifiedName).
bool is_label_key(std::string_view key);
// A label value: empty, or at most 63 such characters (validation.IsValidLabelValue).
bool is_label_value(std::string_view value);

// Parses KEY=VALUE arguments. Usage errors (exit 2) name the argument: not KEY=VALUE, a key or
// value Kubernetes refuses, a key given twice or one decant sets itself, more than 20.
Result<std::map<std::string, std::string>> parse_labels(const std::vector<std::string>& arguments);

} // namespace decant::job
