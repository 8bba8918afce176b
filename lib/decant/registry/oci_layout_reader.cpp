#include <decant/registry/oci_layout_reader.hpp>
#include <decant/registry/reference.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/json.hpp>
#include <decant/util/strings.hpp>

#include <nlohmann/json.hpp>

#include <sys/stat.h>

namespace decant {

using nlohmann::json;

namespace {

Result<Descriptor>
parse_descriptor(const json& j, const std::string& where)
{
  if (!j.is_object() || !j.contains("digest") || !j["digest"].is_string() || !j.contains("size")
      || !j["size"].is_number_unsigned()) {
    return fail(ErrorCode::invalid_input,
                "{}: a descriptor needs \"digest\" (string) and \"size\" (number)",
                where);
  }
  Descriptor d;
  d.digest = j["digest"].get<std::string>();
  d.size = j["size"].get<uint64_t>();
  d.media_type = json_string(j, "mediaType");
  if (j.contains("urls") && j["urls"].is_array()) {
    for (const auto& url : j["urls"]) {
      if (url.is_string()) {
        d.urls.push_back(url.get<std::string>());
      }
    }
  }
  if (!is_valid_digest(d.digest)) {
    return fail(ErrorCode::invalid_input, "{}: \"{}\" is not a valid digest", where, d.digest);
  }
  return d;
}

Result<std::string>
read_blob(const LayoutImage& image, const Descriptor& blob, const std::string& what)
{
  auto bytes = read_file(image.blob_path(blob));
  if (!bytes) {
    return fail(Error(
        ErrorCode::invalid_input,
        fmt::format(
            "{}: {} blob {} is missing: {}", image.dir, what, blob.digest, bytes.error().message),
        "the OCI layout is incomplete; pack the image again"));
  }
  if (starts_with(blob.digest, "sha256:") && "sha256:" + sha256_hex(*bytes) != blob.digest) {
    return fail(
        Error(ErrorCode::verification,
              fmt::format("{}: {} blob {} does not match its digest (the layout is corrupt)",
                          image.dir,
                          what,
                          blob.digest),
              "the image layout was damaged or changed after packing; pack it again"));
  }
  return bytes;
}

} // namespace

bool
Descriptor::is_foreign() const
{
  return !urls.empty()
         && (media_type.find("nondistributable") != std::string::npos
             || media_type.find("foreign") != std::string::npos);
}

std::string
LayoutImage::blob_path(const Descriptor& blob) const
{
  size_t colon = blob.digest.find(':');
  return dir + "/blobs/" + blob.digest.substr(0, colon) + "/" + blob.digest.substr(colon + 1);
}

std::pair<std::string, std::string>
split_layout_argument(const std::string& argument)
{
  struct stat st {
  };
  if (::stat(argument.c_str(), &st) == 0) {
    return {argument, ""};
  }
  // The name may itself hold ':' ("team/app:1.0"), so the split is at the first ':' whose left
  // side is an existing directory.
  for (size_t colon = argument.find(':'); colon != std::string::npos;
       colon = argument.find(':', colon + 1)) {
    std::string dir = argument.substr(0, colon);
    if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      return {dir, argument.substr(colon + 1)};
    }
  }
  return {argument, ""};
}

Result<LayoutImage>
read_oci_layout(const std::string& dir, const std::string& name)
{
  auto layout_text = read_file(dir + "/oci-layout");
  if (!layout_text) {
    return fail(
        Error(ErrorCode::not_found,
              fmt::format("{} is not an OCI image layout (no oci-layout file)", dir),
              "give the directory written by `decant pack` (or `skopeo copy ... oci:DIR`)"));
  }
  auto index_text = read_file(dir + "/index.json");
  if (!index_text) {
    return fail(ErrorCode::invalid_input, "{}/index.json: {}", dir, index_text.error().message);
  }
  json index = parse_json_document(*index_text).value_or(json());
  if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array()) {
    return fail(ErrorCode::invalid_input, "{}/index.json: not an image index", dir);
  }
  LayoutImage image;
  image.dir = dir;
  std::vector<std::string> names;
  const json* chosen = nullptr;
  size_t images = 0;
  for (const auto& entry : index["manifests"]) {
    std::string ref_name;
    if (entry.contains("annotations") && entry["annotations"].is_object()) {
      ref_name = json_string(entry["annotations"], "org.opencontainers.image.ref.name");
    }
    names.push_back(ref_name.empty() ? json_string(entry, "digest", "?") : ref_name);
    ++images;
    if (name.empty() || ref_name == name) {
      if (chosen && name.empty()) {
        return fail(
            Error(ErrorCode::usage,
                  fmt::format("{} holds several images; say which", dir),
                  fmt::format("append :NAME to the directory; names here: {}", join(names, ", "))));
      }
      if (!chosen) {
        chosen = &entry;
        image.name = ref_name;
      }
    }
  }
  if (!chosen) {
    return fail(Error(ErrorCode::not_found,
                      images == 0 ? fmt::format("{} holds no image", dir)
                                  : fmt::format("{} has no image named \"{}\"", dir, name),
                      images == 0 ? "pack an image into it first"
                                  : fmt::format("names here: {}", join(names, ", "))));
  }
  auto manifest = parse_descriptor(*chosen, dir + "/index.json");
  if (!manifest) {
    return fail(manifest.error());
  }
  image.manifest = *manifest;
  if (image.manifest.media_type == k_oci_index_type) {
    return fail(Error(ErrorCode::unsupported,
                      fmt::format("{}: {} is a multi-platform index", dir, image.manifest.digest),
                      "push a single-platform image (decant pack writes one)"));
  }
  auto manifest_bytes = read_blob(image, image.manifest, "manifest");
  if (!manifest_bytes) {
    return fail(manifest_bytes.error());
  }
  image.manifest_bytes = std::move(*manifest_bytes);
  json m = parse_json_document(image.manifest_bytes).value_or(json());
  if (!m.is_object()) {
    return fail(
        ErrorCode::invalid_input, "{}: manifest {} is not JSON", dir, image.manifest.digest);
  }
  if (image.manifest.media_type.empty()) {
    image.manifest.media_type = json_string(m, "mediaType", k_oci_manifest_type);
  }
  auto config = parse_descriptor(m.value("config", json()), "manifest config");
  if (!config) {
    return fail(config.error().context(dir));
  }
  image.config = *config;
  auto config_bytes = read_blob(image, image.config, "config");
  if (!config_bytes) {
    return fail(config_bytes.error());
  }
  image.config_bytes = std::move(*config_bytes);
  const json layers = m.value("layers", json::array());
  for (size_t i = 0; i < layers.size(); ++i) {
    auto layer = parse_descriptor(layers[i], fmt::format("manifest layers[{}]", i));
    if (!layer) {
      return fail(layer.error().context(dir));
    }
    if (layer->is_foreign()) {
      image.layers.push_back(*layer);
      continue;
    }
    struct stat st {
    };
    std::string path = image.blob_path(*layer);
    if (::stat(path.c_str(), &st) != 0) {
      return fail(Error(ErrorCode::invalid_input,
                        fmt::format("{}: layer blob {} is missing", dir, layer->digest),
                        "the OCI layout is incomplete; pack the image again"));
    }
    if (static_cast<uint64_t>(st.st_size) != layer->size) {
      return fail(ErrorCode::invalid_input,
                  "{}: layer blob {} has {} bytes, the manifest says {}",
                  dir,
                  layer->digest,
                  st.st_size,
                  layer->size);
    }
    image.layers.push_back(*layer);
  }
  return image;
}

} // namespace decant
