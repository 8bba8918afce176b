#include <decant/util/run.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

namespace decant {

namespace {

std::vector<char*>
c_strings(const std::vector<std::string>& strings)
{
  std::vector<char*> out;
  for (const auto& s : strings) {
    out.push_back(const_cast<char*>(s.c_str()));
  }
  out.push_back(nullptr);
  return out;
}

// What the child reports through its status pipe before exec: a setting that did not take
// effect (the program still runs), or the exec itself failing (it does not).
struct ChildReport {
  enum Step : int {
    affinity,
    randomization,
    stack,
    scheduler,
    private_mounts,
    bind_mount,
    chdir,
    exec
  } step;
  int error;
};

const char*
step_name(ChildReport::Step step)
{
  switch (step) {
  case ChildReport::affinity:
    return "one CPU";
  case ChildReport::randomization:
    return "no address-space randomization";
  case ChildReport::stack:
    return "8 MiB stack limit";
  case ChildReport::scheduler:
    return "SCHED_FIFO";
  case ChildReport::private_mounts:
    return "a private mount namespace";
  case ChildReport::bind_mount:
    return "the bind mount";
  case ChildReport::chdir:
    return "working directory";
  case ChildReport::exec:
    return "exec";
  }
  return "";
}

// Between fork and exec of a threaded parent only async-signal-safe calls: plain system calls
// on memory prepared before the fork.
[[noreturn]] void
child(int output_fd,
      int status_fd,
      const char* program,
      char* const* argv,
      char* const* envp,
      const char* cwd,
      const cpu_set_t* one_cpu,
      const char* bind_source,
      const char* bind_target)
{
  auto report = [status_fd](ChildReport::Step step, int error) {
    ChildReport r{step, error};
    (void)!::write(status_fd, &r, sizeof(r));
  };
  int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd >= 0) {
    ::dup2(null_fd, STDIN_FILENO);
  }
  ::dup2(output_fd, STDOUT_FILENO);
  ::dup2(output_fd, STDERR_FILENO);
  if (bind_source != nullptr) {
    // Private first: the bind mount must not propagate to the host's namespace.
    if (::unshare(CLONE_NEWNS) != 0
        || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      report(ChildReport::private_mounts, errno);
      ::_exit(127);
    }
    if (::mount(bind_source, bind_target, nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      report(ChildReport::bind_mount, errno);
      ::_exit(127);
    }
  }
  if (cwd != nullptr && ::chdir(cwd) != 0) {
    report(ChildReport::chdir, errno);
    ::_exit(127);
  }
  if (one_cpu != nullptr) {
    if (::sched_setaffinity(0, sizeof(cpu_set_t), one_cpu) != 0) {
      report(ChildReport::affinity, errno);
    }
    int current = ::personality(0xffffffff);
    if (current == -1
        || ::personality(static_cast<unsigned long>(current) | ADDR_NO_RANDOMIZE) == -1) {
      report(ChildReport::randomization, errno);
    }
    struct rlimit stack {
      8UL << 20, 8UL << 20
    };
    struct rlimit old {
    };
    if (::getrlimit(RLIMIT_STACK, &old) == 0 && old.rlim_max != RLIM_INFINITY
        && old.rlim_max < stack.rlim_max) {
      stack.rlim_max = old.rlim_max;
      stack.rlim_cur = old.rlim_max;
    }
    if (::setrlimit(RLIMIT_STACK, &stack) != 0) {
      report(ChildReport::stack, errno);
    }
    struct sched_param param {
    };
    param.sched_priority = 1;
    if (::sched_setscheduler(0, SCHED_FIFO, &param) != 0) {
      report(ChildReport::scheduler, errno);
    }
  }
  ::execve(program, argv, envp);
  report(ChildReport::exec, errno);
  ::_exit(127);
}

int64_t
now_ms()
{
  struct timespec ts {
  };
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// The CPU for a serialized run: the first one this process may use.
cpu_set_t
first_allowed_cpu()
{
  cpu_set_t one_cpu;
  CPU_ZERO(&one_cpu);
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  int cpu = 0;
  if (::sched_getaffinity(0, sizeof(allowed), &allowed) == 0) {
    while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &allowed)) {
      ++cpu;
    }
  }
  CPU_SET(cpu < CPU_SETSIZE ? cpu : 0, &one_cpu);
  return one_cpu;
}

// Reads the child's reports until exec closes the status pipe (or the child exits). Settings
// that did not take effect go into result.not_serialized; returns the step that kept the
// program from starting, if one did.
std::optional<ChildReport>
read_child_reports(int status_fd, RunResult& result)
{
  std::optional<ChildReport> exec_failure;
  ChildReport report{};
  for (;;) {
    ssize_t n = ::read(status_fd, &report, sizeof(report));
    if (n == static_cast<ssize_t>(sizeof(report))) {
      if (report.step == ChildReport::exec || report.step == ChildReport::chdir
          || report.step == ChildReport::private_mounts || report.step == ChildReport::bind_mount) {
        exec_failure = report;
      } else {
        result.not_serialized += fmt::format("{}{}: {}",
                                             result.not_serialized.empty() ? "" : "; ",
                                             step_name(report.step),
                                             std::strerror(report.error));
      }
    } else if (n == 0 || (n < 0 && errno != EINTR)) {
      break;
    }
  }
  return exec_failure;
}

// Reads the program's output until it closes it; past the timeout (0: none) the program is
// killed. Returns whether it timed out.
bool
read_output(int output_fd, pid_t pid, int timeout_seconds, std::string& output)
{
  int64_t deadline = timeout_seconds > 0 ? now_ms() + timeout_seconds * 1000LL : 0;
  char buffer[8192];
  for (;;) {
    if (deadline != 0) {
      struct pollfd fd {
        output_fd, POLLIN, 0
      };
      int64_t left = deadline - now_ms();
      int ready = left > 0 ? ::poll(&fd, 1, static_cast<int>(left)) : 0;
      if (ready == 0) {
        ::kill(pid, SIGKILL);
        return true;
      }
      if (ready < 0 && errno == EINTR) {
        continue;
      }
    }
    ssize_t n = ::read(output_fd, buffer, sizeof(buffer));
    if (n > 0) {
      output.append(buffer, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      return false;
    }
  }
}

// Why the program did not start, from the step of the child that failed.
Error
start_failure(const std::string& program, const RunOptions& options, const ChildReport& report)
{
  if (report.step == ChildReport::private_mounts) {
    return errno_error(
        "cannot start " + program + " in a private mount namespace:", "unshare", report.error);
  }
  if (report.step == ChildReport::bind_mount) {
    return errno_error("cannot start " + program + " with " + options.bind_source
                           + " bind-mounted at",
                       options.bind_target,
                       report.error);
  }
  if (report.step == ChildReport::chdir) {
    return errno_error("cannot start " + program + " in", options.cwd, report.error);
  }
  return errno_error("cannot start", program, report.error);
}

} // namespace

Result<RunResult>
run_program(const std::vector<std::string>& argv,
            const std::vector<std::string>& env,
            const RunOptions& options)
{
  if (argv.empty()) {
    return fail(ErrorCode::failure, "run_program: no program");
  }
  cpu_set_t one_cpu;
  CPU_ZERO(&one_cpu);
  if (options.serialize) {
    one_cpu = first_allowed_cpu();
  }
  int output[2];
  int status[2];
  if (::pipe2(output, O_CLOEXEC) != 0) {
    return fail(errno_error("cannot create a pipe for", argv[0], errno));
  }
  if (::pipe2(status, O_CLOEXEC) != 0) {
    int err = errno;
    ::close(output[0]);
    ::close(output[1]);
    return fail(errno_error("cannot create a pipe for", argv[0], err));
  }
  auto args = c_strings(argv);
  auto environment = c_strings(env);
  pid_t pid = ::fork();
  if (pid == 0) {
    child(output[1],
          status[1],
          argv[0].c_str(),
          args.data(),
          environment.data(),
          options.cwd.empty() ? nullptr : options.cwd.c_str(),
          options.serialize ? &one_cpu : nullptr,
          options.bind_source.empty() ? nullptr : options.bind_source.c_str(),
          options.bind_source.empty() ? nullptr : options.bind_target.c_str());
  }
  int fork_error = errno;
  ::close(output[1]);
  ::close(status[1]);
  if (pid < 0) {
    ::close(output[0]);
    ::close(status[0]);
    return fail(errno_error("cannot start", argv[0], fork_error));
  }

  RunResult result;
  std::optional<ChildReport> exec_failure = read_child_reports(status[0], result);
  ::close(status[0]);
  bool timed_out = read_output(output[0], pid, options.timeout_seconds, result.output);
  ::close(output[0]);
  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR) {
      return fail(errno_error("cannot wait for", argv[0], errno));
    }
  }
  if (exec_failure) {
    return fail(start_failure(argv[0], options, *exec_failure));
  }
  if (timed_out) {
    return fail(ErrorCode::failure,
                "{} did not finish within {} s and was stopped",
                argv[0],
                options.timeout_seconds);
  }
  result.exit_code = WIFEXITED(wait_status)     ? WEXITSTATUS(wait_status)
                     : WIFSIGNALED(wait_status) ? 128 + WTERMSIG(wait_status)
                                                : -1;
  return result;
}

} // namespace decant
