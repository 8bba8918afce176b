#include <decant/deploy/kubernetes.hpp>
#include <decant/run/run_spec.hpp>
#include <decant/run/secrets.hpp>
#include <decant/util/fs.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace decant {

namespace {

Status
own(const std::string& path, uint32_t uid, uint32_t gid, uint32_t mode)
{
  if (::chown(path.c_str(), uid, gid) != 0) {
    return fail(errno_error("cannot change the owner of", path, errno));
  }
  if (::chmod(path.c_str(), mode) != 0) {
    return fail(errno_error("cannot change the mode of", path, errno));
  }
  return {};
}

} // namespace

Result<SandboxSpec>
make_sandbox_spec(const RunSpecOptions& o)
{
  const ImageRunConfig& config = *o.config;
  const Analysis& analysis = *o.analysis;
  auto image = HostRoot::open(o.rootfs);
  if (!image) {
    return fail(image.error());
  }
  SandboxSpec spec;
  spec.rootfs = o.rootfs;
  spec.hostname = o.hostname.empty() ? "decant" : o.hostname;
  spec.log_path = o.log_path;
  auto applied = apply_secrets(analysis, config.argv(), config.env);
  if (!applied) {
    return fail(applied.error());
  }
  spec.argv = std::move(applied->argv);
  spec.env = std::move(applied->env);
  spec.working_dir = config.working_dir.empty() ? "/" : config.working_dir;
  auto user = resolve_user(config.user, image->passwd(), image->groups());
  if (!user) {
    return fail(user.error());
  }
  spec.uid = user->uid;
  spec.gid = user->gid;
  spec.groups = user->groups;
  if (!o.have_analysis) {
    return spec;
  }
  std::optional<uint32_t> fs_group = pod_fs_group(analysis);
  if (fs_group && *fs_group != spec.gid
      && std::find(spec.groups.begin(), spec.groups.end(), *fs_group) == spec.groups.end()) {
    spec.groups.push_back(*fs_group);
  }
  size_t n = 0;
  for (const auto& volume : analysis.volumes) {
    std::string dir = fmt::format("{}/volume-{}", o.scratch, ++n);
    if (::mkdir(dir.c_str(), 0700) != 0) {
      return fail(errno_error("cannot create", dir, errno));
    }
    if (auto owned = own(dir, volume.uid, volume.gid, volume.mode); !owned) {
      return fail(owned.error());
    }
    spec.mounts.push_back({dir, volume.path, false, false});
  }
  n = 0;
  for (const auto& file : analysis.files) {
    if (!file.secret || image->exists(file.path)) {
      continue; // packed into the image: nothing to supply
    }
    if (!o.source) {
      return fail(Error(ErrorCode::not_found,
                        fmt::format("secret file {} is not in the image (packed with "
                                    "--externalize-secrets) and the source host is not at hand",
                                    file.path),
                        "run verify on the source host, or with --root where its file system is "
                        "mounted"));
    }
    auto content = o.source->read_file(file.path);
    if (!content) {
      return fail(content.error().context("secret file " + file.path));
    }
    std::string path = fmt::format("{}/secret-file-{}", o.scratch, ++n);
    if (auto written = write_file_atomic(path, *content, 0440); !written) {
      return fail(written.error());
    }
    // A Secret volume's files: root's, group fsGroup, mode 0440 (defaultMode of the manifest).
    if (auto owned = own(path, 0, fs_group.value_or(0), 0440); !owned) {
      return fail(owned.error());
    }
    spec.mounts.push_back({path, file.path, true, true});
  }
  return spec;
}

} // namespace decant
