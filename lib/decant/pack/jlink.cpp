#include <decant/oci/blob.hpp>
#include <decant/pack/jlink.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/run.hpp>
#include <decant/util/strings.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <set>

namespace decant {

namespace {

std::string
file_stamp(const std::string& path)
{
  struct stat st {
  };
  if (::stat(path.c_str(), &st) != 0) {
    return path + " missing\n";
  }
  return fmt::format("{} {} {}.{}\n", path, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

std::string
last_lines(const std::string& output, size_t count)
{
  auto lines = split(output, '\n');
  while (!lines.empty() && trim(lines.back()).empty()) {
    lines.pop_back();
  }
  if (lines.size() > count) {
    lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(count));
  }
  return join(lines, " | ");
}

// A tool of the runtime being built, run with a clean environment: JAVA_TOOL_OPTIONS and the
// like would change what jlink and the CDS dump produce.
Result<RunResult>
run_tool(const std::vector<std::string>& argv,
         const std::string& what,
         const std::vector<std::string>& env = {"PATH=/usr/bin:/bin", "LANG=C.UTF-8"},
         const RunOptions& options = {})
{
  auto result = run_program(argv, env, options);
  if (!result) {
    return fail(result.error().context(what));
  }
  if (result->exit_code != 0) {
    return fail(ErrorCode::failure,
                "{} failed (exit {}): {}",
                what,
                result->exit_code,
                last_lines(result->output, 4));
  }
  return result;
}

// The class-data sharing dump, made to write the same archive on every host. JDK 17's
// `java -Xshare:dump` is not deterministic (fixed in later JDKs), and what varies is known:
//  - the order of the archived classes follows the addresses of their name Symbols, i.e. the
//    order in which Symbols were created, and the Finalizer thread loads a class while the
//    main thread loads others: serialized threads (one CPU, SCHED_FIFO, RunOptions::serialize)
//    always interleave the same way;
//  - hash tables are ordered by C-heap addresses: no address-space randomization and a fixed
//    stack limit lay the address space out the same way;
//  - hash table entries have padding that keeps whatever malloc(3) left there: MALLOC_PERTURB_
//    makes glibc fill every allocation with the same byte;
//  - the lengths of the runtime's path and of the working directory shift objects in the
//    archived heap, and the locale is recorded: the runtime is bind-mounted over JAVA_HOME in
//    a private mount namespace (so the archive is dumped where the image has the runtime),
//    the working directory is / and LANG=C;
//  - the heap size decides where the archived heap objects lie (the JDK build dumps with
//    -Xmx128M -Xms128M), and one CPU would make the JVM pick the serial collector, which
//    archives no heap objects (-XX:+UseG1GC, as on any server).
// The modules file's path and mtime are not recorded, so the archive fits the packed
// lib/modules whatever mtime the layer gives it; its size is checked.
// `runtime` is the trimmed runtime, `java_home` where the image has it. Returns what did not
// take effect (empty: the dump is reproducible).
Result<std::string>
dump_cds_archive(const std::string& runtime, const std::string& java_home, bool nocoops)
{
  std::vector<std::string> argv{
      java_home + "/bin/java", "-Xshare:dump", "-Xmx128M", "-Xms128M", "-XX:+UseG1GC"};
  if (nocoops) {
    argv.push_back("-XX:-UseCompressedOops");
  }
  const std::string what = nocoops ? "the class-data sharing dump for -XX:-UseCompressedOops"
                                   : "the class-data sharing dump (java -Xshare:dump)";
  const std::vector<std::string> env{"PATH=/usr/bin:/bin", "LANG=C", "MALLOC_PERTURB_=165"};
  RunOptions options;
  options.cwd = "/";
  options.serialize = true;
  // A serialized JVM that waited on another of its threads without blocking would never end.
  options.timeout_seconds = 600;
  options.bind_source = runtime;
  options.bind_target = java_home;
  std::string missing;
  auto dumped = run_tool(argv, what, env, options);
  if (!dumped && dumped.error().code == ErrorCode::permission) {
    missing = "the runtime at " + java_home + " (" + dumped.error().message + ")";
    argv[0] = runtime + "/bin/java";
    options.bind_source.clear();
    options.bind_target.clear();
    dumped = run_tool(argv, what, env, options);
  }
  if (!dumped) {
    return fail(dumped.error());
  }
  if (!dumped->not_serialized.empty()) {
    missing += (missing.empty() ? "" : "; ") + dumped->not_serialized;
  }
  return missing;
}

// The cache key: everything the result depends on, and the recipe's version (2: the
// reproducible CDS dump; 3: the modules kept are the jmods', sorted).
std::string
cache_key(const std::string& jh, const std::vector<std::string>& keep, bool nocoops)
{
  Sha256 key;
  std::string inputs = "decant-jlink-3\n" + jh + "\n" + join(keep, ",") + "\n"
                       + (nocoops ? "nocoops\n" : "") + file_stamp(jh + "/release")
                       + file_stamp(jh + "/lib/modules") + file_stamp(jh + "/lib/server/libjvm.so");
  std::error_code ec;
  std::vector<std::string> jmods;
  for (const auto& entry : std::filesystem::directory_iterator(jh + "/jmods", ec)) {
    jmods.push_back(entry.path().string());
  }
  std::sort(jmods.begin(), jmods.end());
  for (const auto& jmod : jmods) {
    inputs += file_stamp(jmod);
  }
  key.update(inputs.data(), inputs.size());
  return key.hex().substr(0, 32);
}

// What the cache holds goes into images: only a directory no other user can write to.
Status
private_cache(const std::string& cache)
{
  if (auto made = make_directories(cache, 0700); !made) {
    return fail(made.error());
  }
  struct stat cache_st {
  };
  if (::stat(cache.c_str(), &cache_st) != 0 || cache_st.st_uid != ::geteuid()
      || (cache_st.st_mode & 022) != 0) {
    return fail(Error(ErrorCode::permission,
                      fmt::format("the jlink cache {} is not a directory of this user that only "
                                  "it can write to",
                                  cache),
                      "set DECANT_CACHE_DIR to a private directory"));
  }
  return {};
}

// jlink of the modules to `keep` into `out`, with the source's libjvm.so and the CDS archives
// dumped anew (classes_nocoops.jsa too with `nocoops`). Returns why the archives may not be
// reproducible ("" when they are).
Result<std::string>
link_runtime(const std::string& jh,
             const std::vector<std::string>& keep,
             const std::string& out,
             bool nocoops)
{
  auto status = run_tool({jh + "/bin/jlink",
                          "--module-path",
                          jh + "/jmods",
                          "--add-modules",
                          join(keep, ","),
                          "--output",
                          out,
                          "--no-header-files",
                          "--no-man-pages"},
                         "jlink of " + jh);
  if (!status) {
    return fail(status.error());
  }
  // The archive is tied to the JVM that dumps it: the source's own libjvm.so, not the copy in
  // the jmods (the same build, but not always the same bytes).
  std::error_code ec;
  std::filesystem::copy_file(jh + "/lib/server/libjvm.so",
                             out + "/lib/server/libjvm.so",
                             std::filesystem::copy_options::overwrite_existing,
                             ec);
  if (ec) {
    return fail(ErrorCode::failure, "cannot copy {}/lib/server/libjvm.so: {}", jh, ec.message());
  }
  std::filesystem::remove(out + "/lib/server/classes.jsa", ec);
  std::filesystem::remove(out + "/lib/server/classes_nocoops.jsa", ec);
  auto dumped = dump_cds_archive(out, jh, false);
  if (!dumped) {
    return fail(dumped.error());
  }
  std::string not_reproducible = *dumped;
  if (nocoops) {
    auto large = dump_cds_archive(out, jh, true);
    if (!large) {
      return fail(large.error());
    }
    if (not_reproducible.empty()) {
      not_reproducible = *large;
    }
  }
  return not_reproducible;
}

// Next to a cached runtime whose CDS archives were dumped without serialized threads: why.
constexpr const char* k_not_reproducible = "not-reproducible";

std::string
cached_note(const std::string& dir)
{
  auto note = read_file(dir + "/" + k_not_reproducible);
  return note ? std::string(trim(*note)) : std::string();
}

// A trimmed runtime is about 150 MB: the cache keeps the one just built and the k_cache_keep
// - 1 most recently built others (another JDK, another module list), and deletes the rest.
constexpr size_t k_cache_keep = 3;

void
prune_cache(const std::string& cache, const std::string& keep)
{
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::pair<fs::file_time_type, fs::path>> entries;
  for (const auto& entry : fs::directory_iterator(cache, ec)) {
    std::string name = entry.path().filename();
    if (entry.path() == fs::path(keep) || name.rfind(".tmp-", 0) == 0 || !entry.is_directory(ec)) {
      continue; // another pack's work in progress, or not ours
    }
    entries.emplace_back(entry.last_write_time(ec), entry.path());
  }
  if (entries.size() < k_cache_keep) {
    return;
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return a.first > b.first;
  });
  for (size_t i = k_cache_keep - 1; i < entries.size(); ++i) {
    fs::remove_all(entries[i].second, ec);
  }
}

} // namespace

namespace {

// The modules jlink can link: the JDK's jmods (on a JDK the same as release's MODULES, which
// the analyzer planned against), sorted so that the list and the cache key do not depend on
// the directory's order.
std::vector<std::string>
jmod_modules(const std::string& java_home)
{
  std::vector<std::string> modules;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(java_home + "/jmods", ec)) {
    std::string name = entry.path().filename();
    if (ends_with(name, ".jmod") && entry.is_regular_file(ec)) {
      modules.push_back(name.substr(0, name.size() - 5));
    }
  }
  std::sort(modules.begin(), modules.end());
  return modules;
}

} // namespace

std::vector<std::string>
JlinkPlan::removed_modules() const
{
  std::vector<std::string> modules;
  modules.reserve(remove.size());
  for (const auto& removal : remove) {
    modules.push_back(removal.module);
  }
  return modules;
}

void
set_jlink_plan(Analysis& analysis, const JlinkPlan& plan)
{
  nlohmann::json remove = nlohmann::json::array();
  for (const auto& removal : plan.remove) {
    remove.push_back({{"module", removal.module}, {"reason", removal.reason}});
  }
  analysis.runtime.details["jlink"] = {
      {"javaHome", plan.java_home},
      {"remove", remove},
      {"reason",
       "the packer rebuilds lib/modules without these modules with the source JDK's jlink and "
       "regenerates the class-data sharing archive; delete runtime.jlink to pack the runtime "
       "whole"},
  };
}

Result<std::optional<JlinkPlan>>
jlink_plan(const Analysis& analysis)
{
  auto found = analysis.runtime.details.find("jlink");
  if (found == analysis.runtime.details.end() || found->is_null()) {
    return std::optional<JlinkPlan>();
  }
  if (!found->is_object()) {
    return fail(ErrorCode::invalid_input, "runtime.jlink: expected an object");
  }
  JlinkPlan plan;
  auto java_home = found->find("javaHome");
  if (java_home == found->end() || !java_home->is_string() || java_home->get<std::string>().empty()
      || java_home->get<std::string>()[0] != '/') {
    return fail(ErrorCode::invalid_input, "runtime.jlink.javaHome: expected an absolute path");
  }
  plan.java_home = java_home->get<std::string>();
  auto remove = found->find("remove");
  if (remove == found->end() || !remove->is_array()) {
    return fail(ErrorCode::invalid_input, "runtime.jlink.remove: expected an array");
  }
  for (size_t i = 0; i < remove->size(); ++i) {
    const auto& item = (*remove)[i];
    auto where = fmt::format("runtime.jlink.remove[{}]", i);
    if (!item.is_object() || !item.contains("module") || !item["module"].is_string()) {
      return fail(ErrorCode::invalid_input, "{}.module: expected a module name", where);
    }
    std::string module = item["module"].get<std::string>();
    if (module.empty() || module.find_first_of(" ,/") != std::string::npos) {
      return fail(
          ErrorCode::invalid_input, "{}.module: \"{}\" is not a module name", where, module);
    }
    if (module == "java.base") {
      return fail(ErrorCode::invalid_input, "{}.module: java.base cannot be removed", where);
    }
    plan.remove.push_back({module, item.value("reason", "")});
  }
  return std::optional<JlinkPlan>(std::move(plan));
}

std::string
default_jlink_cache_dir()
{
  std::string base;
  if (const char* dir = std::getenv("DECANT_CACHE_DIR"); dir != nullptr && *dir != '\0') {
    base = dir;
  } else if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg == '/') {
    base = std::string(xdg) + "/decant";
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home == '/') {
    base = std::string(home) + "/.cache/decant";
  } else {
    base = "/var/tmp/decant-cache";
  }
  return base + "/jlink";
}

Result<TrimmedRuntime>
trim_runtime(const HostRoot& root, const JlinkPlan& plan, const TrimOptions& options)
{
  if (!root.is_live()) {
    return fail(ErrorCode::unsupported,
                "the Java runtime can be trimmed only on the live host (--root /): decant runs "
                "the source's jlink and java");
  }
  const std::string& jh = plan.java_home;
  auto modules = jmod_modules(jh);
  if (modules.empty()) {
    return fail(ErrorCode::not_found, "{}/jmods holds no module (*.jmod) for jlink", jh);
  }
  auto removed = plan.removed_modules();
  std::set<std::string> remove(removed.begin(), removed.end());
  TrimmedRuntime trimmed;
  std::vector<std::string> keep;
  for (const auto& module : modules) {
    (remove.count(module) > 0 ? trimmed.removed : keep).push_back(module);
  }
  if (trimmed.removed.empty()) {
    return trimmed; // nothing of the plan is in this runtime
  }

  std::string cache = options.cache_dir.empty() ? default_jlink_cache_dir() : options.cache_dir;
  std::string final_dir = cache + "/" + cache_key(jh, keep, options.nocoops);
  trimmed.dir = final_dir + "/rt";
  if (auto usable = private_cache(cache); !usable) {
    return fail(usable.error());
  }
  if (::access((trimmed.dir + "/lib/modules").c_str(), R_OK) == 0
      && ::access((trimmed.dir + "/lib/server/classes.jsa").c_str(), R_OK) == 0) {
    trimmed.from_cache = true;
    trimmed.not_reproducible = cached_note(final_dir);
    return trimmed;
  }

  if (options.on_build) {
    options.on_build();
  }
  std::string tmp_template = cache + "/.tmp-XXXXXX";
  if (::mkdtemp(tmp_template.data()) == nullptr) {
    return fail(errno_error("cannot create a directory in", cache, errno));
  }
  const std::string tmp = tmp_template;
  struct Cleanup {
    std::string path;
    ~Cleanup()
    {
      if (!path.empty()) {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
      }
    }
  } cleanup{tmp};

  auto linked = link_runtime(jh, keep, tmp + "/rt", options.nocoops);
  if (!linked) {
    return fail(linked.error());
  }
  trimmed.not_reproducible = *linked;
  if (!trimmed.not_reproducible.empty()) {
    // Kept with the cached runtime: a pack that takes it from the cache warns too.
    if (auto written =
            write_file_atomic(tmp + "/" + k_not_reproducible, trimmed.not_reproducible + "\n");
        !written) {
      return fail(written.error());
    }
  }
  const std::string java = tmp + "/rt/bin/java";
  // -Xshare:on fails instead of falling back: the archive maps with this JVM and module image.
  if (auto checked = run_tool({java, "-Xshare:on", "-version"},
                              "java -Xshare:on -version of the trimmed runtime");
      !checked) {
    return fail(checked.error());
  }
  if (::rename(tmp.c_str(), final_dir.c_str()) != 0) {
    if (errno != EEXIST && errno != ENOTEMPTY) {
      return fail(errno_error("cannot rename a trimmed runtime to", final_dir, errno));
    }
    // Another pack finished the same runtime first: use that one.
    trimmed.not_reproducible = cached_note(final_dir);
  } else {
    cleanup.path.clear();
    prune_cache(cache, final_dir);
  }
  return trimmed;
}

int64_t
use_trimmed_runtime(FileSet& set, const std::string& java_home, const TrimmedRuntime& trimmed)
{
  int64_t saved = 0;
  if (trimmed.dir.empty()) {
    return saved;
  }
  for (const char* relative :
       {"lib/modules", "lib/server/classes.jsa", "lib/server/classes_nocoops.jsa"}) {
    auto entry = set.entries.find(java_home + "/" + relative);
    if (entry == set.entries.end() || entry->second.type != EntryType::regular) {
      continue;
    }
    std::string source = trimmed.dir + "/" + relative;
    struct stat st {
    };
    if (::stat(source.c_str(), &st) != 0) {
      continue;
    }
    saved += static_cast<int64_t>(entry->second.size) - st.st_size;
    entry->second.source = source;
    entry->second.size = static_cast<uint64_t>(st.st_size);
    entry->second.reason += fmt::format("; rebuilt by jlink without {} modules (runtime.jlink)",
                                        trimmed.removed.size());
  }
  return saved;
}

Status
apply_jlink_plan(const Analysis& analysis,
                 FileSet& set,
                 const HostRoot& root,
                 const TrimOptions& options,
                 const std::function<void(const std::string&)>& notice)
{
  auto plan = jlink_plan(analysis);
  if (!plan) {
    return fail(plan.error());
  }
  if (!*plan) {
    return {};
  }
  auto physical = root.resolve((*plan)->java_home);
  std::string java_home = physical ? *physical : (*plan)->java_home;
  if (set.entries.count(java_home + "/lib/modules") == 0) {
    return {}; // the runtime is not in the image (excluded by hand)
  }
  TrimOptions trim = options;
  trim.nocoops = set.entries.count(java_home + "/lib/server/classes_nocoops.jsa") > 0;
  std::string cache = trim.cache_dir.empty() ? default_jlink_cache_dir() : trim.cache_dir;
  trim.cache_dir = cache;
  JlinkPlan resolved = **plan;
  resolved.java_home = java_home;
  trim.on_build = [&] {
    notice(fmt::format("trimming {} with jlink (runtime.jlink: {} modules), about 10 s; the "
                       "result is cached in {}",
                       java_home,
                       resolved.remove.size(),
                       cache));
  };
  auto trimmed = trim_runtime(root, resolved, trim);
  if (!trimmed) {
    set.warnings.push_back({"runtime-not-trimmed",
                            trimmed.error().message
                                + "; JAVA_HOME is packed whole (delete runtime.jlink from the "
                                  "analysis to silence this)"});
    return {};
  }
  if (!trimmed->not_reproducible.empty()) {
    set.warnings.push_back(
        {"cds-not-reproducible",
         fmt::format("the class-data sharing archive of the trimmed runtime was dumped without "
                     "{}, so it may differ from another host's and this image will not share its "
                     "runtime layer with theirs (run decant pack as root, or delete {} and pack "
                     "again as root)",
                     trimmed->not_reproducible,
                     std::filesystem::path(trimmed->dir).parent_path().string())});
  }
  int64_t saved = use_trimmed_runtime(set, java_home, *trimmed);
  notice(fmt::format("{} trimmed with jlink{}: without {}; {:.1f} MB less to pack",
                     java_home,
                     trimmed->from_cache ? " (from the cache)" : "",
                     join(trimmed->removed, ", "),
                     static_cast<double>(saved) / 1e6));
  return {};
}

} // namespace decant
