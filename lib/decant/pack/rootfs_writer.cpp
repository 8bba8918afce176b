#include <decant/oci/image_layout.hpp>
#include <decant/oci/layer_writer.hpp>
#include <decant/pack/rootfs_writer.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/output_directory.hpp>

#include <archive.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace decant {

namespace {

// A rootfs holds usr/, etc/ ...: only one with decant's marker may be replaced.
std::optional<std::string>
not_a_decant_rootfs(const std::string& dir)
{
  std::error_code ec;
  if (std::filesystem::exists(dir + "/.decant-rootfs", ec)) {
    return std::nullopt;
  }
  return "has no .decant-rootfs (decant did not write it)";
}

} // namespace

const OutputKind&
rootfs_output()
{
  static const OutputKind kind{"--rootfs",
                               "rootfs directory",
                               "a rootfs decant wrote (it has .decant-rootfs)",
                               not_a_decant_rootfs};
  return kind;
}

Status
write_rootfs(const FileSet& set,
             const HostRoot& root,
             const std::string& dir,
             std::optional<int64_t> clamp_mtime,
             bool force)
{
  auto state = check_output_directory(dir, force, rootfs_output());
  if (!state) {
    return fail(state.error());
  }
  if (*state == OutputState::replace) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    if (ec) {
      return fail(
          Error(ErrorCode::failure, fmt::format("cannot remove {}: {}", dir, ec.message())));
    }
  }
  if (auto made = make_directories(dir, 0755); !made) {
    return made;
  }
  // archive_write_disk works relative to the current directory; the secure flags then refuse
  // absolute names, ".." and writing through symlinks.
  int cwd = ::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (::chdir(dir.c_str()) != 0) {
    int err = errno;
    if (cwd >= 0) {
      ::close(cwd);
    }
    return fail(errno_error("cannot enter", dir, err));
  }
  struct archive* disk = archive_write_disk_new();
  archive_write_disk_set_options(
      disk,
      ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR
          | ARCHIVE_EXTRACT_UNLINK | ARCHIVE_EXTRACT_SECURE_SYMLINKS
          | ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
  Status status;
  for (FileRole role : layer_roles()) {
    auto entries = layer_entries(set, role);
    status = write_entries(disk, entries, root, clamp_mtime, nullptr);
    if (!status) {
      break;
    }
  }
  if (status && archive_write_close(disk) != ARCHIVE_OK) {
    const char* message = archive_error_string(disk);
    status = fail(
        ErrorCode::failure, "cannot finish {}: {}", dir, message ? message : "libarchive error");
  }
  archive_write_free(disk);
  if (cwd >= 0) {
    (void)::fchdir(cwd);
    ::close(cwd);
  }
  if (!status) {
    return fail(status.error().context("rootfs " + dir));
  }
  return write_file_atomic(dir + "/.decant-rootfs", "written by decant pack\n", 0644);
}

} // namespace decant
