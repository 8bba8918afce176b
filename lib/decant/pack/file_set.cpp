#include <decant/machine/machine.hpp>
#include <decant/machine/services.hpp>
#include <decant/pack/archive_secrets.hpp>
#include <decant/pack/file_set.hpp>
#include <decant/pack/library_rules.hpp>
#include <decant/pack/library_search.hpp>
#include <decant/pack/system_files.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/strings.hpp>

#include <elf.h>
#include <fnmatch.h>
#include <glob.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <set>

namespace decant {

namespace {

// lstat of a path whose parent is physical (every symlink in it already resolved inside the
// root by add_parents): HostRoot::lstat would resolve each component again, 24 lstat calls
// per file of the JDK tree instead of one.
Result<struct stat>
lstat_physical(const HostRoot& root, const std::string& path)
{
  struct stat st {
  };
  if (::lstat(root.real(path).c_str(), &st) != 0) {
    return fail(errno_error("cannot stat", path, errno));
  }
  return st;
}

class Expander
{
public:
  Expander(const Analysis& analysis, const HostRoot& root, const ExpandOptions& options)
      : m_analysis(analysis),
        m_root(root),
        m_options(options),
        m_exclusions(analysis.exclude)
  {
  }

  Result<FileSet> run();

private:
  // Adds `path` (and its parents, symlink targets and, for directories when `walk`, everything
  // below). Returns not_found when it does not exist.
  Status add(const std::string& path, FileRole role, const std::string& reason, bool walk);
  // add() of a directory: its entry and, when `walk`, everything below it.
  Status add_directory(const std::string& path,
                       const struct stat& st,
                       FileRole role,
                       const std::string& reason,
                       bool walk);
  // add() of a symlink: `entry` (its metadata read) and the target it points at.
  Status add_symlink(PackEntry entry, FileRole role, bool walk);
  // Makes every parent of `path` an entry; a parent that is a symlink on the source stays one,
  // and its target is added. Returns the parent's symlink-free path.
  Result<std::string> add_parents(const std::string& path, FileRole role);
  void add_directory_entry(const std::string& path,
                           const struct stat& st,
                           FileRole role,
                           const std::string& reason,
                           bool parent_only);
  void add_generated(const std::string& path,
                     std::string content,
                     uint32_t mode,
                     const std::string& reason);
  FileRole role_for(const std::string& path) const;
  void
  warn(std::string code, std::string message)
  {
    m_set.warnings.push_back({std::move(code), std::move(message)});
  }

  Status add_files();
  Status externalize_archives();
  Status route_logs();
  void add_volumes();
  Status add_start_command();
  // The ELF closure of the program and of every packed file, the libraries the analysis says
  // are loaded with dlopen, and the loader's configuration.
  Status add_libraries();
  // The libraries the analysis says are loaded with dlopen (lazy_libraries): added, and
  // appended to `required`, whose missing dependencies stop the program.
  Status pack_lazy_libraries(const LibrarySearch& search, std::vector<std::string>& required);
  // The host paths of a lazy library: a path pattern's matches, or where the loader finds a
  // bare soname for the program the image runs.
  std::vector<std::string> lazy_library_paths(const LazyLibrary& library,
                                              const LibrarySearch& search) const;
  void warn_missing_libraries(const ElfClosure& closure, const std::set<std::string>& required);
  // What every process expects of the system: users and groups, /tmp, CA certificates, the
  // time zone and the locale.
  void add_system_files();
  void add_users_and_groups();
  void add_tmp();
  void add_ca_certificates();
  void add_timezone();
  void add_locale();
  std::string env_value(const std::string& name) const;

  const Analysis& m_analysis;
  const HostRoot& m_root;
  ExpandOptions m_options;
  ExclusionIndex m_exclusions;
  FileSet m_set;
  std::set<std::string> m_parent_only; // directories only there as parents of other entries
  std::map<std::string, std::string> m_resolved_links; // parent symlinks already followed
  std::set<std::string> m_walked; // directories already walked (symlink loops, shared targets)
  std::vector<std::string> m_exec_roots; // files the process executes: their closure is required
  // --externalize-secrets: secret files as listed and as resolved, left out even when a walked
  // directory (CATALINA_BASE/conf) holds them.
  std::set<std::string> m_externalized;
};

FileRole
Expander::role_for(const std::string& path) const
{
  // The role of the longest files[] entry covering the path: a library in JAVA_HOME/lib is
  // runtime; else where it lies: one in /usr/lib is system, one in /opt/shop/native app.
  return m_analysis.covering_role(path).value_or(role_by_location(path));
}

void
Expander::add_directory_entry(const std::string& path,
                              const struct stat& st,
                              FileRole role,
                              const std::string& reason,
                              bool parent_only)
{
  auto found = m_set.entries.find(path);
  if (found != m_set.entries.end()) {
    if (!parent_only && m_parent_only.erase(path)) {
      found->second.role = role; // first explicit mention decides the layer
      found->second.reason = reason;
    }
    return;
  }
  PackEntry entry;
  entry.path = path;
  entry.type = EntryType::directory;
  entry.role = role;
  entry.mode = st.st_mode & 07777;
  entry.uid = st.st_uid;
  entry.gid = st.st_gid;
  set_times(entry, st);
  entry.reason = reason;
  m_set.entries.emplace(path, std::move(entry));
  if (parent_only) {
    m_parent_only.insert(path);
  }
}

void
Expander::add_generated(const std::string& path,
                        std::string content,
                        uint32_t mode,
                        const std::string& reason)
{
  FileRole role = is_host_file(path) ? FileRole::config : FileRole::system;
  auto parents = add_parents(path, role);
  PackEntry entry;
  entry.path = parents ? host_path_join(*parents, base_name(path)) : path;
  entry.type = EntryType::regular;
  entry.role = role;
  entry.mode = mode;
  entry.generated = true;
  entry.size = content.size();
  entry.content = std::move(content);
  entry.reason = reason;
  // Generated files replace whatever the walk found at the same path.
  m_set.entries[entry.path] = std::move(entry);
}

Result<std::string>
Expander::add_parents(const std::string& path, FileRole role)
{
  std::string physical = "/";
  auto parts = split(dir_name(path), '/');
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty()) {
      continue;
    }
    std::string next = host_path_join(physical, parts[i]);
    // Most parents were seen before (every file of a walked tree shares them): no lstat again.
    if (auto known = m_set.entries.find(next);
        known != m_set.entries.end() && known->second.type == EntryType::directory) {
      physical = next;
      continue;
    }
    if (auto link = m_resolved_links.find(next); link != m_resolved_links.end()) {
      physical = link->second;
      continue;
    }
    auto st = m_root.lstat(next);
    if (!st) {
      return fail(st.error());
    }
    if (S_ISLNK(st->st_mode)) {
      // /lib -> usr/lib on merged-/usr systems: the link goes in as a link, its target as a
      // directory, and the walk continues in the target.
      auto status = add(next, role, "parent of " + path, false);
      if (!status) {
        return fail(status.error());
      }
      auto resolved = m_root.resolve(next);
      if (!resolved) {
        return fail(resolved.error());
      }
      m_resolved_links.emplace(next, *resolved);
      physical = *resolved;
      continue;
    }
    if (!S_ISDIR(st->st_mode)) {
      return fail(ErrorCode::invalid_input, "{}: {} is not a directory", path, next);
    }
    add_directory_entry(next, *st, role, "parent of " + path, true);
    physical = next;
  }
  return physical;
}

Status
Expander::add(const std::string& path_in, FileRole role, const std::string& reason, bool walk)
{
  std::string path = HostRoot::normalize(path_in);
  if (path == "/") {
    return {}; // the root directory itself is implicit in every layer
  }
  if (m_exclusions.excluded(path) || m_externalized.count(path) > 0) {
    return {};
  }
  auto parent = add_parents(path, role);
  if (!parent) {
    return fail(parent.error());
  }
  path = host_path_join(*parent, base_name(path));
  if (m_externalized.count(path) > 0) {
    return {};
  }
  auto st = lstat_physical(m_root, path);
  if (!st) {
    return fail(st.error());
  }
  auto existing = m_set.entries.find(path);
  if (existing != m_set.entries.end() && !m_parent_only.count(path)
      && !(walk && S_ISDIR(st->st_mode))) {
    return {};
  }
  if (S_ISDIR(st->st_mode)) {
    return add_directory(path, *st, role, reason, walk);
  }
  PackEntry entry;
  entry.path = path;
  entry.role = role;
  entry.mode = st->st_mode & 07777;
  entry.uid = st->st_uid;
  entry.gid = st->st_gid;
  set_times(entry, *st);
  entry.device = st->st_dev;
  entry.inode = st->st_ino;
  entry.links = st->st_nlink;
  entry.reason = reason;
  if (S_ISLNK(st->st_mode)) {
    return add_symlink(std::move(entry), role, walk);
  }
  if (S_ISREG(st->st_mode)) {
    entry.type = EntryType::regular;
    entry.size = static_cast<uint64_t>(st->st_size);
    // File capabilities (setcap cap_net_bind_service=+ep) and POSIX ACLs; security.selinux
    // and the rest are host-specific and left out.
    read_kept_xattrs(m_root.real(path), entry);
    m_set.entries[path] = std::move(entry);
    return {};
  }
  const char* kind = S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) ? "device node"
                     : S_ISFIFO(st->st_mode)                      ? "FIFO"
                                                                  : "socket";
  warn("skipped-special-file",
       fmt::format("{} is a {}; skipped (the runtime creates its own)", path, kind));
  return {};
}

Status
Expander::add_directory(const std::string& path,
                        const struct stat& st,
                        FileRole role,
                        const std::string& reason,
                        bool walk)
{
  add_directory_entry(path, st, role, reason, false);
  if (!walk || !m_walked.insert(path).second) {
    return {};
  }
  auto children = m_root.list_directory(path);
  if (!children) {
    return fail(children.error());
  }
  for (const auto& child : *children) {
    auto status = add(path + "/" + child, role, reason, true);
    if (!status && status.error().code != ErrorCode::not_found) {
      return status; // a file removed during the walk is not an error
    }
  }
  return {};
}

Status
Expander::add_symlink(PackEntry entry, FileRole role, bool walk)
{
  const std::string path = entry.path;
  auto target = m_root.read_link(path);
  if (!target) {
    return fail(target.error());
  }
  entry.type = EntryType::symlink;
  entry.link_target = *target;
  m_set.entries[path] = std::move(entry);
  m_parent_only.erase(path);
  // The target goes in too, or the link is useless. Resolution clamps at the root, so a link
  // to "/" or "../../.." can never reach outside the host tree; a link to the root or to one
  // of its own parents would pack the whole tree and is kept as a bare link.
  auto resolved = m_root.resolve(path);
  if (!resolved || !m_root.exists(*resolved)) {
    warn("dangling-symlink",
         fmt::format("{} -> {}: the target does not exist; the link is kept", path, *target));
    return {};
  }
  if (path_within(path, *resolved)) {
    warn("symlink-to-parent",
         fmt::format(
             "{} -> {} points at one of its parents; the target is not walked", path, *target));
    return {};
  }
  // One hop at a time, so every link of a chain (bin/tomcat-juli.jar -> ../../java/
  // tomcat10-juli.jar -> tomcat10-juli-10.1.60.jar) is in the image, not only the last file.
  // A target no files[] entry covers goes with a link of a shared layer (CATALINA_HOME/lib's
  // jars in /usr/share/java are server); one of a server's own link goes where it lies, so
  // /etc/ssl/certs (config) does not pull /usr/share/ca-certificates out of the system layer.
  std::string next = host_path_join(dir_name(path), *target);
  FileRole next_role = m_analysis.covering_role(next).value_or(
      is_shared_layer(role) ? role : role_by_location(next));
  return add(next, next_role, "target of " + path, walk);
}

Status
Expander::add_files()
{
  if (m_options.externalize_secrets) {
    for (const auto& file : m_analysis.files) {
      // An archive with externalize edits goes in, rewritten (externalize_archives()).
      if (file.secret && file.externalize.empty()) {
        m_externalized.insert(HostRoot::normalize(file.path));
        if (auto resolved = m_root.resolve(file.path)) {
          m_externalized.insert(*resolved);
        }
      }
    }
  }
  for (size_t i = 0; i < m_analysis.files.size(); ++i) {
    const auto& file = m_analysis.files[i];
    if (file.secret) {
      if (m_options.externalize_secrets && !file.externalize.empty()) {
        warn("secrets-replaced",
             fmt::format("files[{}]: {} is packed with its {} secret value(s) replaced by "
                         "references the start command defines",
                         i,
                         file.path,
                         file.externalize.size()));
      } else {
        m_set.secret_files.push_back(file.path);
        if (m_options.externalize_secrets) {
          continue;
        }
      }
    }
    if (!m_root.exists(file.path) && !m_root.lstat(file.path)) {
      if (file.optional) {
        warn("missing-optional-file",
             fmt::format("files[{}]: {} no longer exists; skipped (optional)", i, file.path));
        continue;
      }
      return fail(Error(ErrorCode::not_found,
                        fmt::format("files[{}]: {} no longer exists", i, file.path),
                        "re-run `decant analyze`, remove the entry, or mark it \"optional\": true "
                        "in analysis.json"));
    }
    auto status = add(
        file.path, file.role, file.reason.empty() ? "listed in analysis.json" : file.reason, true);
    if (!status) {
      return fail(status.error().context(fmt::format("files[{}]", i)));
    }
  }
  return {};
}

// --externalize-secrets: an archive marked secret that lists what to replace (a WAR's
// META-INF/context.xml) is packed rewritten, since leaving it out would leave out the
// application; when the listed path is a link, the file it names is rewritten.
Status
Expander::externalize_archives()
{
  if (!m_options.externalize_secrets) {
    return {};
  }
  for (size_t i = 0; i < m_analysis.files.size(); ++i) {
    const auto& file = m_analysis.files[i];
    if (!file.secret || file.externalize.empty()) {
      continue;
    }
    auto resolved = m_root.resolve(file.path);
    if (!resolved) {
      return fail(resolved.error().context(fmt::format("files[{}]", i)));
    }
    auto it = m_set.entries.find(*resolved);
    if (it == m_set.entries.end() || it->second.type != EntryType::regular
        || it->second.generated) {
      continue; // excluded, or rewritten already through another entry
    }
    auto bytes = externalize_archive_secrets(m_root.real(*resolved), file.externalize, file.path);
    if (!bytes) {
      return fail(bytes.error().context(fmt::format("files[{}]", i)));
    }
    PackEntry& entry = it->second;
    entry.generated = true;
    entry.content = std::move(*bytes);
    entry.size = entry.content.size();
    entry.links = 1;
    entry.xattrs.clear();
    entry.capability.clear();
    entry.reason += fmt::format(" (secrets replaced by references: {})", file.externalize.size());
  }
  return {};
}

// --logs stdout (the default): the log volumes' files also reach the container's output,
// through decant-init in front of the start command (init/decant_init.cpp, --follow).
Status
Expander::route_logs()
{
  if (m_options.logs != LogRouting::stdout || is_machine_analysis(m_analysis)) {
    return {};
  }
  std::vector<std::string> dirs;
  for (const auto& volume : m_analysis.volumes) {
    if (volume.role == VolumeRole::log) {
      dirs.push_back(HostRoot::normalize(volume.path));
    }
  }
  if (dirs.empty()) {
    return {};
  }
  std::string binary = m_options.init_binary;
  if (binary.empty()) {
    auto found = find_init_binary();
    if (!found) {
      Error error = found.error();
      error.hint += "; or pack with --logs files (the logs then stay in their volume only)";
      return fail(error);
    }
    binary = *found;
  }
  auto content = decant::read_file(binary);
  if (!content || content->empty()) {
    return fail(Error(ErrorCode::not_found,
                      fmt::format("cannot read decant-init at {}", binary),
                      "build the decant-init target, or set DECANT_INIT; or pack with --logs "
                      "files"));
  }
  // Generated, like machine mode's: /.decant is decant's own, never the host's.
  PackEntry dir;
  dir.path = "/.decant";
  dir.type = EntryType::directory;
  dir.role = FileRole::config;
  dir.mode = 0755;
  dir.reason = "decant's own files in the image";
  m_set.entries[dir.path] = dir;
  PackEntry init;
  init.path = k_machine_init_path;
  init.type = EntryType::regular;
  init.role = FileRole::config;
  init.mode = 0755;
  init.generated = true;
  init.size = content->size();
  init.content = std::move(*content);
  init.reason = "decant-init: runs the start command and forwards the files of the log volumes ("
                + join(dirs, ", ") + ") to the container's output";
  m_set.entries[init.path] = std::move(init);
  m_set.entrypoint = {k_machine_init_path};
  for (const auto& path : dirs) {
    m_set.entrypoint.push_back("--follow");
    m_set.entrypoint.push_back(path);
  }
  m_set.entrypoint.push_back("--");
  return {};
}

void
Expander::add_volumes()
{
  for (const auto& volume : m_analysis.volumes) {
    std::string path = HostRoot::normalize(volume.path);
    auto parent = add_parents(path, FileRole::config);
    std::string physical = parent ? host_path_join(*parent, base_name(path)) : path;
    // Debian's /var/lib/tomcat10/logs -> ../../log/tomcat10: the link stays a link and the
    // volume is the directory it points at, as on the source.
    if (auto st = m_root.lstat(physical); st && S_ISLNK(st->st_mode)) {
      (void)add(physical, FileRole::config, "link to the volume " + path, false);
      if (auto resolved = m_root.resolve(physical); resolved && *resolved != "/") {
        auto target_parent = add_parents(*resolved, FileRole::config);
        physical = target_parent ? host_path_join(*target_parent, base_name(*resolved)) : *resolved;
      }
    }
    // A volume is mounted over: what the walk found below it (logs, work files) stays out.
    for (auto it = m_set.entries.lower_bound(physical + "/");
         it != m_set.entries.end() && path_within(it->first, physical);) {
      it = m_set.entries.erase(it);
    }
    PackEntry entry;
    entry.path = physical;
    entry.type = EntryType::directory;
    entry.role = FileRole::config;
    entry.mode = volume.mode & 07777;
    entry.uid = volume.uid;
    entry.gid = volume.gid;
    if (auto st = m_root.lstat(physical)) {
      set_times(entry, *st);
    }
    entry.reason = "volume (" + to_string(volume.role) + ")"
                   + (volume.reason.empty() ? "" : ": " + volume.reason);
    m_set.entries[physical] = std::move(entry);
    m_parent_only.erase(physical);
  }
}

std::string
Expander::env_value(const std::string& name) const
{
  for (const auto& var : m_analysis.env) {
    if (var.name == name && !var.secret) {
      return var.value;
    }
  }
  return "";
}

Status
Expander::add_start_command()
{
  std::vector<std::string> programs;
  if (!m_analysis.process.exe.empty()) {
    programs.push_back(m_analysis.process.exe);
  }
  if (!m_analysis.start.command.empty()) {
    std::string program = m_analysis.start.command[0];
    if (program.find('/') == std::string::npos) {
      // "java": found through the process's PATH, as execvp(3) would.
      std::string path = env_value("PATH");
      for (const auto& dir : split(path.empty() ? "/usr/local/bin:/usr/bin:/bin" : path, ':')) {
        if (!dir.empty() && m_root.is_regular_file(dir + "/" + program)) {
          program = dir + "/" + program;
          break;
        }
      }
    } else if (program[0] != '/') {
      program = host_path_join(
          m_analysis.start.working_dir.empty() ? "/" : m_analysis.start.working_dir, program);
    }
    programs.push_back(program);
  }
  const size_t initial = programs.size(); // exe and command; later ones are interpreters
  for (size_t i = 0; i < programs.size(); ++i) {
    const std::string program = programs[i];
    bool missing = program.empty() || program[0] != '/' || !m_root.is_regular_file(program);
    if (missing && i >= initial) {
      warn(
          "interpreter-missing",
          fmt::format("{}, the interpreter of {}, is not on the source", program, programs[i - 1]));
      continue;
    }
    if (missing) {
      return fail(Error(ErrorCode::not_found,
                        fmt::format("start.command: program {} does not exist", program),
                        "fix start.command[0] (an absolute path) in analysis.json"));
    }
    if (auto status = add(program, role_for(program), "the program the image runs", false);
        !status) {
      return status;
    }
    m_exec_roots.push_back(program);
    // A script: its interpreter goes in too ("#!/bin/sh" -> dash and its libraries).
    auto head = m_root.read_file_head(program, 4096);
    if (head && starts_with(*head, "#!")) {
      std::string line = head->substr(2, head->find('\n') - 2);
      std::string interpreter(trim(line));
      interpreter = interpreter.substr(0, interpreter.find_first_of(" \t"));
      if (!interpreter.empty() && interpreter[0] == '/' && programs.size() < 8) {
        programs.push_back(interpreter);
      }
    }
  }
  if (!m_analysis.start.working_dir.empty() && m_root.is_directory(m_analysis.start.working_dir)) {
    if (auto status = add(m_analysis.start.working_dir,
                          role_for(m_analysis.start.working_dir),
                          "working directory",
                          false);
        !status) {
      return status;
    }
  }
  return {};
}

Status
Expander::add_libraries()
{
  std::vector<std::string> ld_library_path;
  for (const auto& dir : split(env_value("LD_LIBRARY_PATH"), ':')) {
    if (!dir.empty()) {
      ld_library_path.push_back(dir);
    }
  }
  LibrarySearch search(m_root, ld_library_path);
  std::vector<std::string> required = m_exec_roots;
  if (auto status = pack_lazy_libraries(search, required); !status) {
    return status;
  }
  std::set<std::string> required_set(required.begin(), required.end());
  std::vector<std::string> roots = required;
  for (const auto& [path, entry] : m_set.entries) {
    if (entry.type == EntryType::regular && !entry.generated && !required_set.count(path)) {
      roots.push_back(path);
    }
  }
  ElfClosure closure = search.closure(roots);
  for (const auto& library : closure.libraries) {
    if (m_exclusions.excluded(library.path)) {
      continue;
    }
    auto status =
        add(library.path, role_for(library.path), "needed by " + library.needed_by, false);
    if (!status) {
      return fail(status.error().context("library " + library.path));
    }
  }
  warn_missing_libraries(closure, required_set);
  // The loader's cache and configuration: libraries found through ld.so.conf directories are
  // found the same way in the image.
  for (const char* path : {"/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d"}) {
    if (m_root.lstat(path)) {
      if (auto status = add(path, FileRole::config, "dynamic loader configuration", true);
          !status) {
        return status;
      }
    }
  }
  return {};
}

Status
Expander::pack_lazy_libraries(const LibrarySearch& search, std::vector<std::string>& required)
{
  auto lazy = lazy_libraries(m_analysis);
  if (!lazy) {
    return fail(lazy.error());
  }
  for (const auto& library : *lazy) {
    std::vector<std::string> matches = lazy_library_paths(library, search);
    if (matches.empty()) {
      warn("lazy-library-missing",
           fmt::format("{} ({}) is not on the source; left out", library.path, library.reason));
    }
    for (const auto& match : matches) {
      if (m_exclusions.excluded(match)) {
        continue;
      }
      if (auto status = add(match, role_for(match), library.reason, true); !status) {
        return status;
      }
      required.push_back(match);
    }
  }
  return {};
}

std::vector<std::string>
Expander::lazy_library_paths(const LazyLibrary& library, const LibrarySearch& search) const
{
  std::vector<std::string> matches;
  if (library.path[0] == '/') {
    glob_t found{};
    if (::glob(m_root.real(library.path).c_str(), 0, nullptr, &found) == 0) {
      size_t prefix = m_root.root() == "/" ? 0 : m_root.root().size();
      for (size_t i = 0; i < found.gl_pathc; ++i) {
        matches.push_back(std::string(found.gl_pathv[i]).substr(prefix));
      }
    }
    ::globfree(&found);
    return matches;
  }
  // A bare soname: found like ld.so would find it for the program the image runs.
  ElfInfo as{true, EM_X86_64, "", {}, {}, {}}; // replaced by the program's own below
  for (const auto& root : m_exec_roots) {
    if (auto elf = m_root.read_file(root, limits::k_program_file_bytes); elf && is_elf(*elf)) {
      if (auto info = parse_elf(*elf)) {
        as = *info;
        break;
      }
    }
  }
  if (auto path = search.find(library.path, m_exec_roots.empty() ? "/" : m_exec_roots[0], as);
      !path.empty()) {
    matches.push_back(path);
  }
  return matches;
}

void
Expander::warn_missing_libraries(const ElfClosure& closure, const std::set<std::string>& required)
{
  // A library missing for the program itself will stop it; one missing for a library that only
  // sits in a walked directory (a JDK's X11 parts) is only loaded on demand, if ever.
  std::set<std::string> packed_names;
  for (const auto& [path, entry] : m_set.entries) {
    packed_names.insert(base_name(path));
  }
  std::vector<std::string> optional_missing;
  for (const auto& missing : closure.missing) {
    auto by = missing.substr(missing.rfind(" needed by ") + 11);
    // libjava.so needs "libjvm.so", which sits in lib/server/ and is found because the launcher
    // loaded it first: ld.so matches DT_NEEDED against loaded sonames before searching.
    if (packed_names.count(missing.substr(0, missing.find(' ')))) {
      continue;
    }
    if (required.count(by)) {
      warn("library-missing", missing + ": not found on the source; the program may not start");
    } else {
      optional_missing.push_back(missing);
    }
  }
  if (!optional_missing.empty()) {
    warn("library-missing-optional",
         fmt::format(
             "{} libraries needed only by files inside packed directories are not on the source "
             "(loaded on demand, if ever), e.g. {}",
             optional_missing.size(),
             optional_missing[0]));
  }
}

void
Expander::add_system_files()
{
  add_users_and_groups();
  add_tmp();
  add_ca_certificates();
  add_timezone();
  add_locale();
}

// Users and groups: the process's user, its groups and root; nothing else of the source's.
// Name service and hosts files go with them.
void
Expander::add_users_and_groups()
{
  const std::string& user =
      m_analysis.start.user.empty() ? m_analysis.process.user : m_analysis.start.user;
  uint32_t uid = m_analysis.process.uid;
  uint32_t gid = m_analysis.process.gid;
  auto passwd = m_root.passwd();
  for (const auto& entry : passwd) {
    if (!user.empty() && entry.name == user) {
      uid = entry.uid;
      gid = entry.gid;
    }
  }
  std::vector<std::string> users{"root"};
  if (!user.empty()) {
    users.push_back(user);
  }
  std::vector<std::string> groups =
      m_analysis.start.groups.empty() ? m_analysis.process.groups : m_analysis.start.groups;
  if (!m_analysis.process.group.empty()) {
    groups.push_back(m_analysis.process.group);
  }
  add_generated("/etc/passwd",
                image_passwd(passwd, user, uid, gid),
                0644,
                "users: root and " + (user.empty() ? "the app user" : user));
  add_generated("/etc/group",
                image_group(m_root.groups(), gid, groups, users),
                0644,
                "groups of the app user");
  add_generated(
      "/etc/nsswitch.conf", k_image_nsswitch_conf, 0644, "name service: files and dns only");
  if (m_root.is_regular_file("/etc/hosts")) {
    (void)add("/etc/hosts", FileRole::config, "host names the application may rely on", false);
  } else {
    add_generated("/etc/hosts",
                  "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
                  0644,
                  "loopback names");
  }
}

// /tmp: every process expects a world-writable sticky /tmp.
void
Expander::add_tmp()
{
  struct stat tmp {
  };
  tmp.st_mode = S_IFDIR | 01777;
  if (auto st = m_root.lstat("/tmp")) {
    tmp.st_mtim = st->st_mtim;
  }
  m_set.entries.erase("/tmp");
  m_parent_only.erase("/tmp");
  add_directory_entry("/tmp", tmp, FileRole::system, "temporary files (mode 1777)", false);
  m_set.entries["/tmp"].mode = 01777;
  m_set.entries["/tmp"].uid = 0;
  m_set.entries["/tmp"].gid = 0;
}

// CA certificates: Java, .NET and OpenSSL all verify TLS peers against the system store
// (Debian's JDK cacerts is a link into /etc/ssl/certs/java). An analyzer that knows the
// runtime never uses TLS sets runtime.tls = false.
void
Expander::add_ca_certificates()
{
  auto tls = m_analysis.runtime.details.find("tls");
  bool wants_tls =
      tls == m_analysis.runtime.details.end() || !tls->is_boolean() || tls->get<bool>();
  if (!wants_tls) {
    return;
  }
  // Debian/Ubuntu (/etc/ssl/certs, its Java keystore in /etc/ssl/certs/java) and the RHEL
  // family (ca-certificates' update-ca-trust output in /etc/pki/ca-trust/extracted, reached
  // through /etc/pki/tls/certs/ca-bundle.crt, /etc/pki/tls/cert.pem, /etc/pki/java/cacerts,
  // and /etc/ssl/certs -> /etc/pki/tls/certs). Never /etc/pki/tls/private.
  for (const char* path : {"/etc/ssl/certs",
                           "/usr/share/ca-certificates",
                           "/etc/ca-certificates.conf",
                           "/etc/pki/ca-trust",
                           "/etc/pki/tls/certs",
                           "/etc/pki/tls/cert.pem",
                           "/etc/pki/java"}) {
    if (m_root.lstat(path)) {
      (void)add(path,
                is_host_file(path) ? FileRole::config : FileRole::system,
                "CA certificates for TLS",
                true);
    }
  }
  // OpenSSL's and the JDK's system crypto policy on the RHEL family.
  for (const char* path : {"/etc/pki/tls/openssl.cnf", "/etc/crypto-policies"}) {
    if (m_root.lstat(path)) {
      (void)add(path, FileRole::system, "system crypto policy for TLS (RHEL family)", true);
    }
  }
}

// Time zone: the zone file, /etc/localtime and /etc/timezone, and TZ in the environment so
// runtimes that read TZ first (the JVM) agree with those that read /etc/localtime.
void
Expander::add_timezone()
{
  std::string zone = m_analysis.source.timezone;
  if (zone.empty()) {
    return;
  }
  std::string file = "/usr/share/zoneinfo/" + zone;
  if (!valid_timezone_name(zone) || !m_root.is_regular_file(file)) {
    warn("timezone-missing",
         fmt::format("time zone \"{}\" has no file under /usr/share/zoneinfo; the image uses UTC",
                     zone));
    return;
  }
  (void)add(file, FileRole::system, "time zone " + zone, false);
  PackEntry link;
  link.path = "/etc/localtime";
  link.type = EntryType::symlink;
  link.role = FileRole::config; // the host's choice (is_host_file)
  link.mode = 0777;
  link.link_target = file;
  link.reason = "time zone " + zone;
  m_set.entries["/etc/localtime"] = link;
  add_generated("/etc/timezone", zone + "\n", 0644, "time zone " + zone);
  if (env_value("TZ").empty()) {
    m_set.extra_env["TZ"] = zone;
  }
}

// Locale data for LANG/LC_*: compiled locales live in /usr/lib/locale/<name> or in the
// locale archive; C and POSIX need nothing.
void
Expander::add_locale()
{
  std::vector<std::pair<std::string, std::string>> env;
  for (const auto& var : m_analysis.env) {
    if (!var.secret) {
      env.emplace_back(var.name, var.value);
    }
  }
  std::string locale = process_locale(env);
  if (locale.empty() || locale == "C" || locale == "POSIX") {
    return;
  }
  std::string dir = "/usr/lib/locale/" + normalize_locale_name(locale);
  if (locale.find("..") == std::string::npos && m_root.is_directory(dir)) {
    (void)add(dir, FileRole::system, "locale " + locale, true);
  } else if (m_root.is_regular_file("/usr/lib/locale/locale-archive")) {
    (void)add("/usr/lib/locale/locale-archive",
              FileRole::system,
              "locale " + locale + " (locale archive)",
              false);
  } else if (m_root.is_directory("/usr/lib/locale/C.utf8")) {
    warn("locale-missing",
         fmt::format("locale {} is not compiled on the source; the image uses C.UTF-8", locale));
    (void)add("/usr/lib/locale/C.utf8",
              FileRole::system,
              "locale C.UTF-8 (replacing " + locale + ")",
              true);
    m_set.extra_env["LANG"] = "C.UTF-8";
  } else {
    warn("locale-missing",
         fmt::format("locale {} is not compiled on the source; the image uses the C locale",
                     locale));
  }
}

Result<FileSet>
Expander::run()
{
  if (auto status = add_files(); !status) {
    return fail(status.error());
  }
  if (auto status = add_start_command(); !status) {
    return fail(status.error());
  }
  if (m_options.system_files) {
    add_system_files();
  }
  if (auto status = add_libraries(); !status) {
    return fail(status.error());
  }
  add_volumes();
  if (auto status = externalize_archives(); !status) {
    return fail(status.error());
  }
  if (auto status = route_logs(); !status) {
    return fail(status.error());
  }
  // The most specific files[] entry decides a path's layer: /opt/app (app) walked first must
  // not keep /opt/app/conf (config) in the app layer. Files the host made for itself that no
  // entry covers go to the config layer (is_host_file), whichever walk reached them first.
  for (auto& [path, entry] : m_set.entries) {
    if (!entry.generated && entry.reason.rfind("volume (", 0) != 0) {
      if (auto covering = m_analysis.covering_role(path)) {
        entry.role = *covering;
      } else if (is_host_file(path)) {
        entry.role = FileRole::config;
      }
    }
  }
  return std::move(m_set);
}

} // namespace

bool
is_excluded(const std::string& path, const std::vector<Exclusion>& exclude)
{
  return ExclusionIndex(exclude).excluded(path);
}

ExclusionIndex::ExclusionIndex(const std::vector<Exclusion>& exclude)
{
  // The views point into `exclude`, which outlives the index (the analysis being packed).
  for (const auto& rule : exclude) {
    const std::string& pattern = rule.path;
    if (pattern.empty()) {
      continue;
    }
    bool literal = pattern.find_first_of("*?[\\") == std::string::npos;
    bool absolute = pattern[0] == '/';
    if (literal) {
      (absolute ? m_paths : m_names).insert(pattern);
    } else {
      (absolute ? m_path_globs : m_name_globs).push_back(pattern);
    }
  }
}

bool
ExclusionIndex::excluded(std::string_view path) const
{
  std::string buffer; // fnmatch wants a NUL-terminated string
  auto matches = [&buffer](const std::unordered_set<std::string_view>& literals,
                           const std::vector<std::string>& globs,
                           std::string_view subject) {
    if (literals.count(subject) > 0) {
      return true;
    }
    if (globs.empty()) {
      return false;
    }
    buffer.assign(subject);
    return std::any_of(globs.begin(), globs.end(), [&buffer](const std::string& glob) {
      return ::fnmatch(glob.c_str(), buffer.c_str(), 0) == 0;
    });
  };
  // The path itself or any of its parents matching excludes it.
  for (std::string_view current = path; !current.empty() && current != "/";) {
    if (matches(m_paths, m_path_globs, current)) {
      return true;
    }
    size_t slash = current.rfind('/');
    current = slash == std::string_view::npos ? std::string_view() : current.substr(0, slash);
  }
  // A name pattern against each component.
  for (size_t start = 0; start < path.size();) {
    size_t end = std::min(path.find('/', start), path.size());
    std::string_view part = path.substr(start, end - start);
    start = end + 1;
    if (!part.empty() && matches(m_names, m_name_globs, part)) {
      return true;
    }
  }
  return false;
}

Result<FileSet>
expand_file_set(const Analysis& analysis, const HostRoot& root, const ExpandOptions& options)
{
  // Every file of a walked tree shares its parents: resolve each directory once.
  HostRoot cached = root.with_resolve_cache();
  return Expander(analysis, cached, options).run();
}

} // namespace decant
