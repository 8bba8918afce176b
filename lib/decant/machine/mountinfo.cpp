#include <decant/machine/mountinfo.hpp>
#include <decant/util/strings.hpp>

#include <algorithm>
#include <map>
#include <set>

namespace decant {

namespace {

bool
is_octal(char c)
{
  return c >= '0' && c <= '7';
}

// Strictly below: the root's own mount is not one below it.
bool
is_below(const std::string& path, const std::string& dir)
{
  return path != dir && path_within(path, dir);
}

} // namespace

std::string
unescape_mount_field(std::string_view field)
{
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && is_octal(field[i + 1]) && is_octal(field[i + 2])
        && is_octal(field[i + 3])) {
      out.push_back(static_cast<char>(((field[i + 1] - '0') << 6) | ((field[i + 2] - '0') << 3)
                                      | (field[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(field[i]);
    }
  }
  return out;
}

Result<std::vector<MountInfo>>
parse_mountinfo(std::string_view content)
{
  std::vector<MountInfo> mounts;
  size_t number = 0;
  for (const auto& line : split(content, '\n')) {
    ++number;
    if (trim(line).empty()) {
      continue;
    }
    std::vector<std::string> fields;
    for (const auto& field : split(line, ' ')) {
      if (!field.empty()) {
        fields.push_back(field);
      }
    }
    auto separator = std::find(fields.begin(), fields.end(), "-");
    size_t at = static_cast<size_t>(separator - fields.begin());
    if (fields.size() < 6 || separator == fields.end() || at < 6 || fields.size() < at + 3) {
      return fail(ErrorCode::invalid_input,
                  "mountinfo line {}: expected \"ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS ... - "
                  "TYPE SOURCE SUPER-OPTIONS\"",
                  number);
    }
    MountInfo mount;
    auto id = parse_i64(fields[0]);
    auto parent = parse_i64(fields[1]);
    if (!id || !parent) {
      return fail(ErrorCode::invalid_input, "mountinfo line {}: mount ids are not numbers", number);
    }
    mount.id = static_cast<int>(*id);
    mount.parent_id = static_cast<int>(*parent);
    mount.device = fields[2];
    mount.root = unescape_mount_field(fields[3]);
    mount.mount_point = unescape_mount_field(fields[4]);
    mount.options = fields[5];
    mount.fs_type = unescape_mount_field(fields[at + 1]);
    mount.source = unescape_mount_field(fields[at + 2]);
    mounts.push_back(std::move(mount));
  }
  return mounts;
}

std::vector<ExcludedMount>
mounts_below(const std::vector<MountInfo>& mounts, const std::string& root_dir)
{
  std::string root = root_dir.size() > 1 && root_dir.back() == '/'
                         ? root_dir.substr(0, root_dir.size() - 1)
                         : root_dir;
  // The last mount on a mount point is the one seen there (mounts stack in mountinfo order).
  std::map<std::string, const MountInfo*> by_point;
  for (const auto& mount : mounts) {
    if (is_below(mount.mount_point, root)) {
      by_point[mount.mount_point] = &mount;
    }
  }
  std::vector<ExcludedMount> out;
  std::string last_point;
  for (const auto& [point, mount] : by_point) {
    if (!last_point.empty() && is_below(point, last_point)) {
      continue; // inside a mount already left out
    }
    last_point = point;
    ExcludedMount excluded;
    excluded.path = root == "/" ? point : point.substr(root.size());
    excluded.fs_type = mount->fs_type;
    excluded.source = mount->source;
    bool bind = mount->root != "/";
    static const std::set<std::string> k_virtual{"proc",
                                                 "sysfs",
                                                 "devtmpfs",
                                                 "devpts",
                                                 "cgroup",
                                                 "cgroup2",
                                                 "securityfs",
                                                 "debugfs",
                                                 "tracefs",
                                                 "pstore",
                                                 "bpf",
                                                 "mqueue",
                                                 "hugetlbfs",
                                                 "configfs",
                                                 "fusectl",
                                                 "autofs",
                                                 "binfmt_misc",
                                                 "efivarfs",
                                                 "nsfs"};
    if (k_virtual.count(mount->fs_type)) {
      excluded.reason = fmt::format(
          "kernel file system ({}) mounted here: the container runtime provides its own",
          mount->fs_type);
    } else if (mount->fs_type == "tmpfs" || mount->fs_type == "ramfs") {
      excluded.reason = fmt::format("mount point ({} {}): in-memory contents, empty at every boot",
                                    mount->fs_type,
                                    mount->source);
    } else {
      excluded.reason = fmt::format(
          "mount point ({} {}{}): not the root's own file system; migrate its data separately "
          "(a volume)",
          mount->fs_type,
          mount->source,
          bind ? ", bind mount of " + mount->root : "");
    }
    out.push_back(std::move(excluded));
  }
  return out;
}

} // namespace decant
