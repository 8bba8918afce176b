#include <decant/analysis/analysis.hpp>
#include <decant/job/store.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/json.hpp>
#include <decant/util/strings.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <random>

namespace decant::job {

namespace {

namespace fs = std::filesystem;

Error
workspace_error(const std::string& what, const std::string& path, int err)
{
  Error error = errno_error(what, path, err);
  if (err == EACCES || err == EPERM || err == EROFS) {
    error.code = ErrorCode::permission;
    error.hint = "choose a writable workspace (--workspace DIR or DECANT_WORKSPACE), or run "
                 "decant as root";
  }
  return error;
}

std::string
random_id()
{
  std::random_device device;
  return fmt::format("j-{:08x}", device());
}

std::string
lock_name(const std::string& application)
{
  std::string name;
  for (char c : application) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                 || c == '-' || c == '_' || c == '.';
    name += plain ? c : '_';
  }
  return name.empty() || name[0] == '.' ? "_" + name : name;
}

} // namespace

bool
is_job_id(std::string_view text)
{
  return text.size() > 2 && text.size() <= 64 && text.substr(0, 2) == "j-"
         && std::all_of(text.begin() + 2, text.end(), [](char c) {
              return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-';
            });
}

Result<JobStore>
JobStore::open(const std::string& workspace, bool create)
{
  std::string dir = workspace + "/jobs";
  if (create) {
    if (auto made = make_directories(dir, 0700); !made) {
      return fail(workspace_error("cannot create", dir, errno));
    }
    if (::access(dir.c_str(), W_OK) != 0) {
      return fail(workspace_error("cannot write to", dir, errno));
    }
  }
  return JobStore(workspace, dir);
}

std::string
JobStore::job_dir(const std::string& id) const
{
  return m_dir + "/" + id;
}

std::string
JobStore::job_file(const std::string& id) const
{
  return job_dir(id) + "/job.json";
}

Result<Job>
JobStore::create(Job job) const
{
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string id = random_id();
    if (::mkdir(job_dir(id).c_str(), 0700) != 0) {
      if (errno == EEXIST) {
        continue;
      }
      return fail(workspace_error("cannot create", job_dir(id), errno));
    }
    job.id = id;
    job.created_at = utc_now();
    if (auto saved = save(job); !saved) {
      std::error_code ignored;
      fs::remove_all(job_dir(id), ignored);
      return fail(saved.error());
    }
    return job;
  }
  return fail(ErrorCode::failure, "cannot find a free job id in {}", m_dir);
}

Result<Job>
JobStore::load_file(const std::string& id) const
{
  std::string path = job_file(id);
  auto text = read_file(path);
  if (!text) {
    return fail(text.error());
  }
  auto parsed = parse_json(*text, path);
  if (!parsed) {
    return fail(Error(ErrorCode::invalid_input,
                      parsed.error().message,
                      "restore the file from a backup, or remove the job: decant jobs rm " + id));
  }
  auto job = job_from_json(*parsed);
  if (!job) {
    return fail(Error(ErrorCode::invalid_input,
                      fmt::format("{}: {}", path, job.error().message),
                      "correct the field, or remove the job: decant jobs rm " + id));
  }
  if (job->id != id) {
    return fail(Error(ErrorCode::invalid_input,
                      fmt::format("{}: id \"{}\" is not its directory's name", path, job->id),
                      "correct the id, or remove the job: decant jobs rm " + id));
  }
  return job;
}

Result<Job>
JobStore::load(const std::string& id_or_name) const
{
  if (is_job_id(id_or_name) && fs::exists(job_file(id_or_name))) {
    return load_file(id_or_name);
  }
  std::vector<Job> named;
  for (auto& job : list().jobs) {
    if (!job.name.empty() && job.name == id_or_name) {
      named.push_back(std::move(job));
    }
  }
  if (named.size() == 1) {
    return std::move(named.front());
  }
  if (named.size() > 1) {
    std::vector<std::string> ids;
    for (const auto& job : named) {
      ids.push_back(job.id);
    }
    return fail(Error(ErrorCode::usage,
                      fmt::format("several jobs are named \"{}\": {}", id_or_name, join(ids, ", ")),
                      "name the job by its id"));
  }
  return fail(Error(ErrorCode::not_found,
                    fmt::format("no job \"{}\" in {}", id_or_name, m_dir),
                    "`decant jobs` lists the jobs of this workspace (--workspace DIR)"));
}

Status
JobStore::save(Job& job) const
{
  job.updated_at = utc_now();
  std::string path = job_file(job.id);
  if (auto written = write_file_atomic(path, to_json(job).dump(2) + "\n", 0600); !written) {
    return fail(workspace_error("cannot write", path, errno));
  }
  return {};
}

JobStore::Listing
JobStore::list() const
{
  Listing listing;
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(m_dir, ec)) {
    std::string id = item.path().filename().string();
    if (!is_job_id(id) || !fs::exists(item.path() / "job.json")) {
      continue;
    }
    auto job = load_file(id);
    if (job) {
      listing.jobs.push_back(std::move(*job));
    } else {
      listing.broken.push_back(job.error());
    }
  }
  std::sort(listing.jobs.begin(), listing.jobs.end(), [](const Job& a, const Job& b) {
    return a.created_at != b.created_at ? a.created_at < b.created_at : a.id < b.id;
  });
  return listing;
}

Status
JobStore::remove(const std::string& id) const
{
  std::error_code ec;
  fs::remove_all(job_dir(id), ec);
  if (ec) {
    return fail(
        Error(ErrorCode::failure, fmt::format("cannot remove {}: {}", job_dir(id), ec.message())));
  }
  return {};
}

void
JobStore::log(const std::string& id, std::string_view stage, std::string_view text) const
{
  std::string line = fmt::format("{} [{}] {}\n", utc_now(), stage, text);
  int fd =
      ::open((job_dir(id) + "/job.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return; // the log is for people; job.json is what counts
  }
  (void)!::write(fd, line.data(), line.size());
  ::close(fd);
}

namespace {

// flock(LOCK_EX | LOCK_NB) on `path`, which then holds `note`. When another process holds it:
// nullopt with `holder` set to the note that process wrote.
Result<std::optional<int>>
try_lock(const std::string& path, const std::string& note, std::string& holder)
{
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return fail(workspace_error("cannot open", path, errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    holder = std::string(trim(read_file(path, 4096).value_or("")));
    ::close(fd);
    return std::optional<int>();
  }
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, note.data(), note.size(), 0) < 0) {
    // The lock holds without the note; only the message for a second process is poorer.
  }
  return std::optional<int>(fd);
}

} // namespace

Result<JobLock>
JobLock::acquire(const JobStore& store, const std::string& job_id)
{
  std::string holder;
  auto fd =
      try_lock(store.job_dir(job_id) + "/job.lock", std::to_string(::getpid()) + "\n", holder);
  if (!fd) {
    return fail(fd.error());
  }
  if (!*fd) {
    return fail(Error(ErrorCode::failure,
                      fmt::format("job {} is being worked on by another decant process{}",
                                  job_id,
                                  holder.empty() ? "" : " (PID " + holder + ")"),
                      fmt::format("wait for it (decant jobs show {0}) or stop it (decant jobs "
                                  "cancel {0})",
                                  job_id)));
  }
  return JobLock(HeldLock(**fd));
}

HeldLock::HeldLock(HeldLock&& other) noexcept
    : m_fd(other.m_fd)
{
  other.m_fd = -1;
}

HeldLock&
HeldLock::operator=(HeldLock&& other) noexcept
{
  if (this != &other) {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    m_fd = other.m_fd;
    other.m_fd = -1;
  }
  return *this;
}

HeldLock::~HeldLock()
{
  if (m_fd >= 0) {
    ::close(m_fd); // releases the flock
  }
}

Status
check_job_idle(const JobStore& store, const std::string& job_id)
{
  auto lock = JobLock::acquire(store, job_id);
  return lock ? Status() : fail(lock.error());
}

Result<ApplicationLock>
ApplicationLock::acquire(const JobStore& store,
                         const std::string& application,
                         const std::string& job_id)
{
  std::string dir = store.dir() + "/.locks";
  if (auto made = make_directories(dir, 0700); !made) {
    return fail(workspace_error("cannot create", dir, errno));
  }
  std::string path = dir + "/" + lock_name(application) + ".lock";
  std::string holder;
  auto fd = try_lock(path, fmt::format("{} {}\n", job_id, ::getpid()), holder);
  if (!fd) {
    return fail(fd.error());
  }
  if (!*fd) {
    auto fields = split(holder, ' ');
    std::string other = fields.empty() || fields[0].empty() ? "another job" : "job " + fields[0];
    std::string pid = fields.size() > 1 ? " (decant PID " + fields[1] + ")" : "";
    return fail(Error(ErrorCode::failure,
                      fmt::format("{}{} is migrating {} now; two jobs for one application "
                                  "cannot run at once",
                                  other,
                                  pid,
                                  application),
                      fields.empty() || fields[0].empty()
                          ? "wait for it to finish"
                          : fmt::format("wait for it (decant jobs show {0}) or stop it "
                                        "(decant jobs cancel {0})",
                                        fields[0])));
  }
  return ApplicationLock(HeldLock(**fd));
}

} // namespace decant::job
