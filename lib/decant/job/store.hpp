#pragma once

// Where jobs live: <workspace>/jobs/<job-id>/ holding job.json (rewritten atomically at every
// change), job.log (one line per step, appended), and the job's own files (analysis.json,
// secrets.json, image/, deploy/, tmp/). A per-application lock (ApplicationLock) keeps two jobs
// from working on one application at once.

#include <decant/error.hpp>
#include <decant/job/job.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace decant::job {

class JobStore
{
public:
  // The store of `workspace`. With `create`, <workspace>/jobs is made and must be writable
  // (else permission, exit 5); without, a missing directory is an empty store.
  static Result<JobStore> open(const std::string& workspace, bool create);

  const std::string&
  workspace() const
  {
    return m_workspace;
  }
  const std::string&
  dir() const
  {
    return m_dir;
  }
  std::string job_dir(const std::string& id) const;
  std::string job_file(const std::string& id) const;

  // Gives the job a new id ("j-" and 8 hex digits), its directory (mode 0700: secrets.json goes
  // there) and its first job.json.
  Result<Job> create(Job job) const;
  // By id, or by a name only one job has. Unknown: not_found (exit 3); a job.json that cannot be
  // read as a job: invalid_input (exit 6) naming the file.
  Result<Job> load(const std::string& id_or_name) const;
  // Writes job.json atomically with updated_at set to now.
  Status save(Job& job) const;

  struct Listing {
    std::vector<Job> jobs;     // oldest first
    std::vector<Error> broken; // job.json files that could not be read, each named
  };
  Listing list() const;

  // Removes the job's directory.
  Status remove(const std::string& id) const;

  // Appends "TIME [STAGE] TEXT" to job.log.
  void log(const std::string& id, std::string_view stage, std::string_view text) const;

private:
  JobStore(std::string workspace, std::string dir)
      : m_workspace(std::move(workspace)),
        m_dir(std::move(dir))
  {
  }
  Result<Job> load_file(const std::string& id) const;

  std::string m_workspace;
  std::string m_dir;
};

// A job id as `create` makes them: "j-" and lower-case hex digits or dashes, nothing else (an
// id is a directory name).
bool is_job_id(std::string_view text);

// An flock'ed file descriptor: closing it lets the lock go.
class HeldLock
{
public:
  explicit HeldLock(int fd)
      : m_fd(fd)
  {
  }
  HeldLock(HeldLock&& other) noexcept;
  HeldLock& operator=(HeldLock&& other) noexcept;
  HeldLock(const HeldLock&) = delete;
  HeldLock& operator=(const HeldLock&) = delete;
  ~HeldLock();

private:
  int m_fd = -1;
};

// Holds <job dir>/job.lock (flock) while a process works on the job: runs its stages, or
// cancels or removes it. A second process gets an error naming the first one's PID; the kernel
// lets go when the holder dies, even by kill -9.
class JobLock
{
public:
  static Result<JobLock> acquire(const JobStore& store, const std::string& job_id);

private:
  explicit JobLock(HeldLock held)
      : m_held(std::move(held))
  {
  }
  HeldLock m_held;
};

// Whether no process works on the job now (its JobLock is free); else the error naming it.
Status check_job_idle(const JobStore& store, const std::string& job_id);

// Holds <workspace>/jobs/.locks/<application>.lock (flock) while a job works on the
// application; the kernel lets go when the process dies, even by kill -9.
class ApplicationLock
{
public:
  // Fails (ErrorCode::failure) naming the job that holds the lock and its PID.
  static Result<ApplicationLock>
  acquire(const JobStore& store, const std::string& application, const std::string& job_id);

private:
  explicit ApplicationLock(HeldLock held)
      : m_held(std::move(held))
  {
  }
  HeldLock m_held;
};

} // namespace decant::job
