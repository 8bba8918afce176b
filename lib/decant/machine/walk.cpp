#include <decant/files/file_set.hpp>
#include <decant/machine/exclusions.hpp>
#include <decant/machine/walk.hpp>
#include <decant/util/strings.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

namespace decant {

namespace {

// Keeps the n largest (path, size) pairs.
class Largest
{
public:
  explicit Largest(size_t n)
      : m_n(n)
  {
  }
  void
  add(const std::string& path, uint64_t size)
  {
    if (m_items.size() < m_n) {
      m_items.insert({size, path});
    } else if (size > m_items.begin()->first) {
      m_items.erase(m_items.begin());
      m_items.insert({size, path});
    }
  }
  std::vector<std::pair<std::string, uint64_t>>
  sorted() const
  {
    std::vector<std::pair<std::string, uint64_t>> out;
    for (auto it = m_items.rbegin(); it != m_items.rend(); ++it) {
      out.emplace_back(it->second, it->first);
    }
    return out;
  }

private:
  size_t m_n;
  std::multiset<std::pair<uint64_t, std::string>> m_items;
};

class Walker
{
public:
  Walker(const Analysis& analysis, const HostRoot& root, const WalkOptions& options)
      : m_analysis(analysis),
        m_root(root),
        m_matcher(analysis.exclude),
        m_largest_files(options.report_entries),
        m_report_entries(options.report_entries),
        m_check_access(::geteuid() != 0)
  {
  }

  Result<MachineWalk> run();

private:
  void walk_directory(int dir_fd, const std::string& path, FileRole role);
  void add_entry(int dir_fd,
                 const std::string& path,
                 const std::string& name,
                 const struct stat& st,
                 FileRole role);
  void add_parents(const std::string& path, FileRole role);
  void
  count(const std::string& path, uint64_t bytes)
  {
    // Directory totals up to three levels (/usr/lib/x86_64-linux-gnu): enough to see where the
    // bytes are without a du(1) of every directory.
    std::string dir = dir_name(path);
    while (dir.size() > 1) { // stops at "/" (and "." for a relative path)
      if (std::count(dir.begin(), dir.end(), '/') <= 3) {
        m_directory_bytes[dir] += bytes;
      }
      dir = dir_name(dir);
    }
  }

  const Analysis& m_analysis;
  const HostRoot& m_root;
  ExclusionMatcher m_matcher;
  MachineWalk m_walk;
  Largest m_largest_files;
  size_t m_report_entries;
  bool m_check_access;
  std::map<std::string, uint64_t> m_directory_bytes;
  std::set<std::pair<uint64_t, uint64_t>> m_directories_seen; // (st_dev, st_ino)
  std::set<std::pair<uint64_t, uint64_t>> m_hard_links;       // counted once in the report
};

void
Walker::add_entry(int dir_fd,
                  const std::string& path,
                  const std::string& name,
                  const struct stat& st,
                  FileRole role)
{
  PackEntry entry;
  entry.path = path;
  entry.role = role;
  entry.mode = st.st_mode & 07777;
  entry.uid = st.st_uid;
  entry.gid = st.st_gid;
  set_times(entry, st);
  entry.device = st.st_dev;
  entry.inode = st.st_ino;
  entry.links = st.st_nlink;
  entry.live = true;
  std::string real = m_root.real(path);
  if (S_ISDIR(st.st_mode)) {
    entry.type = EntryType::directory;
    read_kept_xattrs(real, entry); // default ACLs live on directories
    m_walk.set.entries[path] = std::move(entry);
    ++m_walk.size.directories;
    m_walk.size.tar_bytes += 512;
    // A directory whose contents are all excluded ("/proc/*", a mount point's "/data/*") is not
    // opened: it stays an empty directory, and a bind mount point is not mistaken for the
    // directory it shows (same device and inode) when that one is walked later.
    if (m_matcher.match(path + "/\x01", "\x01") != nullptr) {
      return;
    }
    if (!m_directories_seen.insert({st.st_dev, st.st_ino}).second) {
      // The same directory twice: a bind mount that mountinfo did not show (or a loop).
      m_walk.loops.push_back(path);
      return;
    }
    int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) {
        m_walk.vanished.push_back(path);
      } else {
        m_walk.unreadable.push_back(fmt::format("{}: {}", path, std::strerror(errno)));
      }
      return;
    }
    walk_directory(fd, path, role);
    ::close(fd);
    return;
  }
  if (S_ISLNK(st.st_mode)) {
    std::string target(4096, '\0');
    ssize_t n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
    if (n < 0) {
      m_walk.vanished.push_back(path);
      return;
    }
    target.resize(static_cast<size_t>(n));
    entry.type = EntryType::symlink;
    entry.link_target = std::move(target);
    m_walk.set.entries[path] = std::move(entry);
    ++m_walk.size.files;
    m_walk.size.tar_bytes += 512 + (n > 100 ? 1024 : 0); // long targets need a PAX header
    return;
  }
  if (!S_ISREG(st.st_mode)) {
    const char* kind = S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "device node"
                       : S_ISFIFO(st.st_mode)                     ? "FIFO"
                                                                  : "socket";
    m_walk.special.push_back(fmt::format("{} ({})", path, kind));
    return;
  }
  if (m_check_access && ::faccessat(dir_fd, name.c_str(), R_OK, AT_EACCESS) != 0) {
    m_walk.unreadable.push_back(fmt::format("{}: {}", path, std::strerror(errno)));
    return;
  }
  entry.type = EntryType::regular;
  entry.size = static_cast<uint64_t>(st.st_size);
  read_kept_xattrs(real, entry);
  // Stored bytes: a sparse file's holes are not written (GNU sparse entries).
  uint64_t stored = std::min<uint64_t>(entry.size, static_cast<uint64_t>(st.st_blocks) * 512);
  bool first_link = true;
  if (st.st_nlink > 1) {
    first_link = m_hard_links.insert({st.st_dev, st.st_ino}).second;
  }
  if (first_link) {
    m_walk.size.total_bytes += stored;
    m_walk.size.tar_bytes += 512 + ((stored + 511) / 512) * 512;
    count(path, stored);
    m_largest_files.add(path, stored);
  } else {
    m_walk.size.tar_bytes += 512;
  }
  ++m_walk.size.files;
  m_walk.set.entries[path] = std::move(entry);
}

void
Walker::walk_directory(int dir_fd, const std::string& path, FileRole role)
{
  DIR* dir = ::fdopendir(::dup(dir_fd));
  if (dir == nullptr) {
    m_walk.unreadable.push_back(fmt::format("{}: {}", path, std::strerror(errno)));
    return;
  }
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* item = ::readdir(dir)) {
    if (std::strcmp(item->d_name, ".") != 0 && std::strcmp(item->d_name, "..") != 0) {
      names.emplace_back(item->d_name);
    }
  }
  if (errno != 0) {
    m_walk.unreadable.push_back(fmt::format("{}: {}", path, std::strerror(errno)));
  }
  ::closedir(dir);
  for (const auto& name : names) {
    std::string child = path == "/" ? "/" + name : path + "/" + name;
    if (m_matcher.match(child, name) != nullptr) {
      continue;
    }
    struct stat st {
    };
    // fstatat/openat relative to the directory, never following a link: the walk stays inside
    // the root whatever the tree's links say, and a directory swapped for a link mid-walk is
    // not followed either.
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) {
        m_walk.vanished.push_back(child);
      } else {
        m_walk.unreadable.push_back(fmt::format("{}: {}", child, std::strerror(errno)));
      }
      continue;
    }
    add_entry(dir_fd, child, name, st, role);
  }
}

void
Walker::add_parents(const std::string& path, FileRole role)
{
  for (std::string parent = dir_name(path); parent.size() > 1; parent = dir_name(parent)) {
    if (m_walk.set.entries.count(parent)) {
      return;
    }
    auto st = m_root.lstat(parent);
    PackEntry entry;
    entry.path = parent;
    entry.type = EntryType::directory;
    entry.role = role;
    entry.mode = st ? st->st_mode & 07777 : 0755;
    entry.uid = st ? st->st_uid : 0;
    entry.gid = st ? st->st_gid : 0;
    if (st) {
      set_times(entry, *st);
    }
    m_walk.set.entries.emplace(parent, std::move(entry));
  }
}

Result<MachineWalk>
Walker::run()
{
  for (size_t i = 0; i < m_analysis.files.size(); ++i) {
    const auto& file = m_analysis.files[i];
    std::string path = HostRoot::normalize(file.path);
    if (path == "/") {
      return fail(Error(ErrorCode::invalid_input,
                        fmt::format("files[{}]: \"/\" cannot be an entry of a machine analysis", i),
                        "list the root's top-level directories instead (decant analyze --machine "
                        "does)"));
    }
    std::string name = path.substr(path.rfind('/') + 1);
    if (m_matcher.match(path, name) != nullptr) {
      continue;
    }
    std::string parent = dir_name(path);
    // The parent is opened through the root without following links in it (O_NOFOLLOW on the
    // last component; files[] paths of a machine analysis are top-level, so the parent is the
    // root itself).
    auto resolved_parent = m_root.resolve(parent);
    if (!resolved_parent) {
      return fail(resolved_parent.error().context(fmt::format("files[{}]", i)));
    }
    int dir_fd = ::open(m_root.real(*resolved_parent).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) {
      return fail(errno_error("cannot open", parent, errno).context(fmt::format("files[{}]", i)));
    }
    struct stat st {
    };
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      int err = errno;
      ::close(dir_fd);
      if (err == ENOENT && file.optional) {
        m_walk.set.warnings.push_back(
            {"missing-optional-file", fmt::format("files[{}]: {} does not exist", i, path)});
        continue;
      }
      return fail(Error(ErrorCode::not_found,
                        fmt::format("files[{}]: {}: {}", i, path, std::strerror(err)),
                        "remove the entry from files[] in analysis.json or re-run decant analyze "
                        "--machine"));
    }
    std::string physical = *resolved_parent == "/" ? "/" + name : *resolved_parent + "/" + name;
    add_parents(physical, file.role);
    add_entry(dir_fd, physical, name, st, file.role);
    ::close(dir_fd);
  }
  std::vector<std::pair<uint64_t, std::string>> directories;
  for (const auto& [dir, bytes] : m_directory_bytes) {
    directories.emplace_back(bytes, dir);
  }
  std::sort(directories.rbegin(), directories.rend());
  for (size_t i = 0; i < directories.size() && i < m_report_entries; ++i) {
    m_walk.size.largest_directories.emplace_back(directories[i].second, directories[i].first);
  }
  m_walk.size.largest_files = m_largest_files.sorted();
  m_walk.size.tar_bytes += 1024; // end-of-archive blocks
  return std::move(m_walk);
}

} // namespace

Result<MachineWalk>
walk_machine(const Analysis& analysis, const HostRoot& root, const WalkOptions& options)
{
  return Walker(analysis, root, options).run();
}

nlohmann::json
to_json(const SizeReport& report)
{
  nlohmann::json directories = nlohmann::json::array();
  for (const auto& [path, bytes] : report.largest_directories) {
    directories.push_back({{"path", path}, {"bytes", bytes}});
  }
  nlohmann::json files = nlohmann::json::array();
  for (const auto& [path, bytes] : report.largest_files) {
    files.push_back({{"path", path}, {"bytes", bytes}});
  }
  return {{"totalBytes", report.total_bytes},
          {"estimatedTarBytes", report.tar_bytes},
          {"files", report.files},
          {"directories", report.directories},
          {"largestDirectories", directories},
          {"largestFiles", files}};
}

Result<uint64_t>
parse_size(const std::string& text)
{
  std::string number = text;
  uint64_t factor = 1;
  if (!number.empty()) {
    char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(number.back())));
    const std::string units = "KMGT";
    if (auto at = units.find(unit); at != std::string::npos) {
      factor = uint64_t{1} << (10 * (at + 1));
      number.pop_back();
    } else if (unit == 'B') {
      number.pop_back();
    }
  }
  char* end = nullptr;
  errno = 0;
  double value = number.empty() ? -1 : std::strtod(number.c_str(), &end);
  if (number.empty() || end == nullptr || *end != '\0' || errno != 0 || !(value > 0)
      || !std::isfinite(value)) {
    return fail(Error(ErrorCode::usage,
                      fmt::format("size \"{}\" is not a size", text),
                      "write a number of bytes with an optional K, M, G or T suffix (powers of "
                      "1024), e.g. 20G or 512M"));
  }
  return static_cast<uint64_t>(value * static_cast<double>(factor));
}

} // namespace decant
