#include <decant/deploy/dockerfile.hpp>
#include <decant/deploy/kubernetes.hpp>
#include <decant/machine/machine.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/strings.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <zstd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

namespace decant {

namespace {

// A JSON array of strings, the exec form of ENTRYPOINT (no shell, no expansion).
std::string
exec_form(const std::vector<std::string>& argv)
{
  return nlohmann::json(argv).dump();
}

// ENV values are double-quoted; inside, Dockerfile processes \ escapes and $ substitution.
std::string
env_value(const std::string& value)
{
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\' || c == '$') {
      out += '\\';
    }
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

bool
is_shell_name(const std::string& name)
{
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

Status
decompress_zstd(const std::string& from, const std::string& to)
{
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  if (!in || !out) {
    return fail(ErrorCode::failure, "cannot decompress {} to {}", from, to);
  }
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  std::vector<char> input(ZSTD_DStreamInSize());
  std::vector<char> output(ZSTD_DStreamOutSize());
  size_t last = 0;
  while (in) {
    in.read(input.data(), static_cast<std::streamsize>(input.size()));
    ZSTD_inBuffer ib{input.data(), static_cast<size_t>(in.gcount()), 0};
    while (ib.pos < ib.size) {
      ZSTD_outBuffer ob{output.data(), output.size(), 0};
      last = ZSTD_decompressStream(ctx, &ob, &ib);
      if (ZSTD_isError(last)) {
        ZSTD_freeDCtx(ctx);
        return fail(ErrorCode::invalid_input, "{}: {}", from, ZSTD_getErrorName(last));
      }
      out.write(output.data(), static_cast<std::streamsize>(ob.pos));
    }
  }
  ZSTD_freeDCtx(ctx);
  if (last != 0 || !out) {
    return fail(ErrorCode::invalid_input, "{}: truncated zstd stream", from);
  }
  return {};
}

} // namespace

std::string
shell_quote(const std::string& word)
{
  if (!word.empty()
      && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789_-./=:,+@%")
             == std::string::npos) {
    return word;
  }
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

namespace {

// The Entrypoint of the image's config ([] when it has none or the config cannot be read).
std::vector<std::string>
image_entrypoint(const LayoutImage& image)
{
  std::vector<std::string> out;
  auto config = nlohmann::json::parse(image.config_bytes, nullptr, false);
  if (config.is_discarded() || !config.contains("config") || !config["config"].is_object()) {
    return out;
  }
  const auto& entrypoint = config["config"].value("Entrypoint", nlohmann::json::array());
  if (!entrypoint.is_array()) {
    return out;
  }
  for (const auto& part : entrypoint) {
    if (part.is_string()) {
      out.push_back(part.get<std::string>());
    }
  }
  return out;
}

// Layer `i` as the build context holds it: a gzip or plain tar ADD unpacks as it is, a zstd
// one is decompressed first (ADD does not know zstd).
Result<DockerContext::Layer>
context_layer(const LayoutImage& image, size_t i)
{
  const Descriptor& layer = image.layers[i];
  std::string hex = layer.digest.substr(layer.digest.find(':') + 1, 12);
  DockerContext::Layer l;
  l.source = image.blob_path(layer);
  const std::string& type = layer.media_type;
  if (ends_with(type, "+zstd") || ends_with(type, ".zstd")) {
    l.decompress_zstd = true;
    l.name = fmt::format("layers/{:02}-{}.tar", i + 1, hex);
  } else if (ends_with(type, "gzip") || ends_with(type, "+gzip")) {
    l.name = fmt::format("layers/{:02}-{}.tar.gz", i + 1, hex);
  } else if (ends_with(type, ".tar") || ends_with(type, "diff.tar")) {
    l.name = fmt::format("layers/{:02}-{}.tar", i + 1, hex);
  } else {
    return fail(Error(ErrorCode::unsupported,
                      fmt::format("layer {} has media type \"{}\", which a Dockerfile ADD cannot "
                                  "unpack",
                                  layer.digest,
                                  type),
                      "use the OCI layout directly (decant push / skopeo copy)"));
  }
  return l;
}

// ENV for each plain variable; secret ones are named in a comment, never written.
std::string
env_instructions(const Analysis& a)
{
  std::string out;
  std::set<std::string> secret_names;
  for (const auto& var : a.env) {
    if (var.secret) {
      secret_names.insert(var.name);
      continue;
    }
    out += fmt::format("ENV {}={}\n", var.name, env_value(var.value));
  }
  if (!secret_names.empty()) {
    out +=
        fmt::format("# Secret variables are not baked in; pass them at run time: {}\n",
                    join(std::vector<std::string>(secret_names.begin(), secret_names.end()), ", "));
  }
  return out;
}

// One argument as a shell word: ${secret:NAME} becomes "$NAME", expanded by the shell from the
// run-time environment (NAME appended to `secrets`); the rest is quoted.
std::string
shell_word(const std::string& arg,
           std::vector<std::string>& secrets,
           std::vector<std::string>& warnings)
{
  std::string word;
  size_t i = 0;
  while (i < arg.size()) {
    if (arg.compare(i, 9, "${secret:") == 0 && arg.find('}', i) != std::string::npos) {
      size_t close = arg.find('}', i);
      std::string name = arg.substr(i + 9, close - i - 9);
      if (!is_shell_name(name)) {
        warnings.push_back(fmt::format("secret {} is not a shell variable name; the "
                                       "Dockerfile's ENTRYPOINT leaves it as a literal",
                                       name));
        word += shell_quote(arg.substr(i, close + 1 - i));
      } else {
        word += "\"$" + name + "\"";
        secrets.push_back(name);
      }
      i = close + 1;
      continue;
    }
    size_t next = arg.find("${secret:", i);
    std::string plain = arg.substr(i, next == std::string::npos ? std::string::npos : next - i);
    word += shell_quote(plain);
    i += plain.size();
  }
  return word;
}

// The start command: in exec form, or through /bin/sh when it takes secrets from the
// environment. As in the image: a machine image's start command is its ENTRYPOINT; an
// application's is its CMD, behind the image's own ENTRYPOINT when it has one (decant-init
// forwarding logs).
std::string
start_instructions(const LayoutImage& image,
                   const Analysis& a,
                   const std::vector<std::string>& argv,
                   std::vector<std::string>& warnings)
{
  std::vector<std::string> secrets;
  std::vector<std::string> shell_words;
  for (const auto& arg : argv) {
    std::vector<std::string> used;
    container_argument(arg, used);
    shell_words.push_back(used.empty() ? shell_quote(arg) : shell_word(arg, secrets, warnings));
  }
  std::string out;
  std::string instruction = "ENTRYPOINT";
  if (!is_machine_analysis(a)) {
    instruction = "CMD";
    auto entrypoint = image_entrypoint(image);
    if (!entrypoint.empty()) {
      out += fmt::format("ENTRYPOINT {}\n", exec_form(entrypoint));
    }
  }
  if (secrets.empty()) {
    return out + fmt::format("{} {}\n", instruction, exec_form(argv));
  }
  out += fmt::format("# The command takes secrets from the environment ({}): docker run -e ...\n",
                     join(secrets, ", "));
  return out
         + fmt::format("{} {}\n",
                       instruction,
                       exec_form({"/bin/sh", "-c", "exec " + join(shell_words, " ")}));
}

} // namespace

Result<DockerContext>
plan_docker_context(const LayoutImage& image, const Analysis& a)
{
  DockerContext ctx;
  std::string file = "# Built by decant from " + a.application_id + " (" + a.source.hostname
                     + ").\n# The same image as the OCI layout " + image.manifest.digest
                     + ":\n#   docker build -t IMAGE .    or    buildah bud -t IMAGE .\n"
                       "FROM scratch\n";
  for (size_t i = 0; i < image.layers.size(); ++i) {
    auto layer = context_layer(image, i);
    if (!layer) {
      return fail(layer.error());
    }
    // ADD unpacks a local tar (plain, gzip, bzip2, xz) into the destination; OCI whiteout
    // files in later layers would be copied, not applied, which is why decant packs without
    // deleting files across layers.
    file += fmt::format("ADD {} /\n", layer->name);
    ctx.layers.push_back(*layer);
  }
  file += env_instructions(a);
  if (!a.start.working_dir.empty()) {
    file += fmt::format("WORKDIR {}\n", a.start.working_dir);
  }
  file += fmt::format("USER {}:{}\n", a.process.uid, a.process.gid);
  for (const auto& port : a.ports) {
    if (port.expose) {
      file += fmt::format("EXPOSE {}/{}\n", port.port, port.protocol);
    }
  }
  auto argv = container_start_argv(a);
  if (!argv) {
    return fail(argv.error());
  }
  file += start_instructions(image, a, *argv, ctx.warnings);
  ctx.dockerfile = file;
  return ctx;
}

Status
write_docker_context(const DockerContext& context, const std::string& dir)
{
  if (auto made = make_directories(dir + "/layers", 0755); !made) {
    return made;
  }
  for (const auto& layer : context.layers) {
    std::string target = dir + "/" + layer.name;
    if (layer.decompress_zstd) {
      if (auto done = decompress_zstd(layer.source, target); !done) {
        return done;
      }
      continue;
    }
    std::error_code ec;
    // A hard link costs nothing when the layout is on the same file system; else a copy.
    std::filesystem::create_hard_link(layer.source, target, ec);
    if (ec) {
      std::filesystem::copy_file(layer.source, target, ec);
      if (ec) {
        return fail(
            ErrorCode::failure, "cannot copy {} to {}: {}", layer.source, target, ec.message());
      }
    }
  }
  return write_file_atomic(dir + "/Dockerfile", context.dockerfile, 0644);
}

} // namespace decant
