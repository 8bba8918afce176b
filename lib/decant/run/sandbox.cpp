#include <decant/proc/host_root.hpp>
#include <decant/run/sandbox.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/strings.hpp>

#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <thread>

namespace decant {

namespace {

// What the holder tells the caller, one fixed-size record per write (atomic on a pipe).
enum MessageType : int32_t { k_started = 1, k_failed = 2, k_exited = 3 };
struct Message {
  int32_t type = 0;
  int32_t step = 0;  // k_failed: the step that failed (an operation index, or a Step below)
  int32_t value = 0; // k_failed: errno; k_exited: status
};

// Steps outside the mount plan.
enum Step : int32_t {
  step_pdeathsig = -1,
  step_private = -2,
  step_hostname = -3,
  step_loopback = -4,
  step_pivot = -5,
  step_fork = -6,
  step_groups = -7,
  step_gid = -8,
  step_uid = -9,
  step_workdir = -10,
  step_stdio = -11,
  step_exec = -12,
  step_setsid = -13,
};

std::string
step_text(int32_t step)
{
  switch (step) {
  case step_pdeathsig:
    return "set the parent-death signal";
  case step_private:
    return "make the mounts private";
  case step_hostname:
    return "set the host name";
  case step_loopback:
    return "bring up the loopback interface";
  case step_pivot:
    return "change the root to the image (pivot_root)";
  case step_fork:
    return "fork the image's process";
  case step_groups:
    return "set the supplementary groups";
  case step_gid:
    return "set the group id";
  case step_uid:
    return "set the user id";
  case step_workdir:
    return "enter the working directory";
  case step_stdio:
    return "open /dev/null and the output log";
  case step_exec:
    return "execute the entrypoint";
  case step_setsid:
    return "start a session";
  }
  return "prepare the sandbox";
}

enum class OpKind { mount, bind, bind_file, mkdir, symlink, remount_ro };

// One step of the holder's mount plan, with every string prepared before the fork.
struct Op {
  OpKind kind = OpKind::mount;
  const char* source = nullptr;
  const char* target = nullptr;
  const char* fstype = nullptr;
  unsigned long flags = 0;
  const char* data = nullptr;
  mode_t mode = 0755;
};

// Everything the holder needs, laid out before the fork: it must not allocate.
struct Plan {
  std::deque<std::string> strings; // storage: a deque never moves what it holds
  std::vector<Op> ops;
  std::vector<std::string> describe; // per op, for messages
  std::string rootfs;
  std::string hostname;
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::vector<char*> path_dirs;
  std::string program; // argv[0]
  std::string workdir;
  std::vector<gid_t> groups;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string dev_null;

  const char*
  keep(std::string text)
  {
    strings.push_back(std::move(text));
    return strings.back().c_str();
  }

  void
  add(Op op, std::string what)
  {
    ops.push_back(op);
    describe.push_back(std::move(what));
  }
};

void
send(int fd, int32_t type, int32_t step, int32_t value)
{
  Message m;
  m.type = type;
  m.step = step;
  m.value = value;
  ssize_t ignored = ::write(fd, &m, sizeof(m));
  (void)ignored;
}

[[noreturn]] void
holder_fail(int fd, int32_t step)
{
  send(fd, k_failed, step, errno);
  _exit(1);
}

long
raw_fork()
{
  // A plain fork without glibc's atfork handlers and locks: this runs in a copy of a process
  // whose other threads may have held them.
  return ::syscall(
      SYS_clone, static_cast<unsigned long>(SIGCHLD), nullptr, nullptr, nullptr, nullptr);
}

// The image's process: drop to the image's user, enter the working directory, execute.
[[noreturn]] void
run_app(const Plan& plan, int log_fd, int report_fd)
{
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) {
      ::signal(sig, SIG_DFL);
    }
  }
  auto report = [&](int32_t step) {
    send(report_fd, k_failed, step, errno);
    _exit(127);
  };
  if (::setsid() < 0) {
    report(step_setsid);
  }
  int null_fd = ::open(plan.dev_null.c_str(), O_RDWR | O_CLOEXEC);
  if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(log_fd, 1) < 0 || ::dup2(log_fd, 2) < 0) {
    report(step_stdio);
  }
  // Raw system calls: glibc's wrappers would signal every thread the copied process thinks it
  // has, and wait for them forever.
  if (::syscall(SYS_setgroups, plan.groups.size(), plan.groups.data()) != 0) {
    report(step_groups);
  }
  if (::syscall(SYS_setresgid, plan.gid, plan.gid, plan.gid) != 0) {
    report(step_gid);
  }
  if (::syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid) != 0) {
    report(step_uid);
  }
  if (::chdir(plan.workdir.c_str()) != 0) {
    report(step_workdir);
  }
  ::umask(022);
  char* const* argv = plan.argv.data();
  char* const* envp = plan.envp.data();
  if (plan.program.find('/') != std::string::npos) {
    ::execve(plan.program.c_str(), argv, envp);
    report(step_exec);
  }
  // execvpe's rules with the image's PATH (not this process's): the first directory that has
  // it; EACCES remembered while the others are tried.
  int err = ENOENT;
  char path[4096];
  for (char* dir : plan.path_dirs) {
    if (!dir) {
      break;
    }
    size_t dlen = std::strlen(dir);
    size_t plen = plan.program.size();
    if (dlen + 1 + plen + 1 > sizeof(path)) {
      continue;
    }
    std::memcpy(path, dir, dlen);
    path[dlen] = '/';
    std::memcpy(path + dlen + 1, plan.program.c_str(), plen + 1);
    ::execve(path, argv, envp);
    if (errno == EACCES) {
      err = EACCES;
    } else if (errno != ENOENT && errno != ENOTDIR) {
      err = errno;
      break;
    }
  }
  errno = err;
  report(step_exec);
  _exit(127);
}

// From here to run_holder: the holder's steps, run after the clone in a copy of a threaded
// process. Plain system calls on the Plan laid out before; nothing allocates.

// The loopback interface of the sandbox's fresh network namespace, which starts down.
void
bring_up_loopback(int status_fd)
{
  int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof(ifr));
  std::memcpy(ifr.ifr_name, "lo", 3);
  if (sock < 0 || ::ioctl(sock, SIOCGIFFLAGS, &ifr) != 0) {
    holder_fail(status_fd, step_loopback);
  }
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (::ioctl(sock, SIOCSIFFLAGS, &ifr) != 0) {
    holder_fail(status_fd, step_loopback);
  }
  ::close(sock);
}

// One step of the mount plan: the system call's result, with errno set when it is not 0.
int
apply_op(const Op& op)
{
  int rc = 0;
  switch (op.kind) {
  case OpKind::mount:
    rc = ::mount(op.source, op.target, op.fstype, op.flags, op.data);
    break;
  case OpKind::bind:
    rc = ::mount(op.source, op.target, nullptr, MS_BIND | MS_REC, nullptr);
    break;
  case OpKind::bind_file: {
    int fd = ::open(op.target, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, op.mode);
    if (fd >= 0) {
      ::close(fd);
    }
    rc = ::mount(op.source, op.target, nullptr, MS_BIND, nullptr);
    break;
  }
  case OpKind::mkdir:
    rc = ::mkdir(op.target, op.mode);
    if (rc != 0 && errno == EEXIST) {
      rc = 0;
    }
    break;
  case OpKind::symlink:
    rc = ::symlink(op.source, op.target);
    break;
  case OpKind::remount_ro:
    rc = ::mount(nullptr, op.target, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | op.flags, nullptr);
    break;
  }
  return rc;
}

// Makes the holder's namespaces the image's: private mounts, host name, loopback, the mount
// plan, and the image's root as the root.
void
enter_image(const Plan& plan, int status_fd)
{
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    holder_fail(status_fd, step_private);
  }
  if (::sethostname(plan.hostname.c_str(), plan.hostname.size()) != 0) {
    holder_fail(status_fd, step_hostname);
  }
  bring_up_loopback(status_fd);
  for (size_t i = 0; i < plan.ops.size(); ++i) {
    if (apply_op(plan.ops[i]) != 0) {
      holder_fail(status_fd, static_cast<int32_t>(i));
    }
  }
  if (::chdir(plan.rootfs.c_str()) != 0 || ::syscall(SYS_pivot_root, ".", ".") != 0
      || ::umount2(".", MNT_DETACH) != 0 || ::chdir("/") != 0) {
    holder_fail(status_fd, step_pivot);
  }
}

// Forks the image's process and returns its pid once it executes the entrypoint; a failure
// before that is passed on to the caller and ends the holder.
long
start_app(const Plan& plan, int status_fd, int log_fd)
{
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    holder_fail(status_fd, step_fork);
  }
  long app = raw_fork();
  if (app < 0) {
    holder_fail(status_fd, step_fork);
  }
  if (app == 0) {
    ::close(report[0]);
    run_app(plan, log_fd, report[1]);
  }
  ::close(report[1]);
  ::close(log_fd);
  // The report pipe closes on exec: EOF means the entrypoint runs.
  Message m;
  ssize_t n;
  do {
    n = ::read(report[0], &m, sizeof(m));
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (n == static_cast<ssize_t>(sizeof(m))) {
    ssize_t ignored = ::write(status_fd, &m, sizeof(m));
    (void)ignored;
    _exit(1);
  }
  return app;
}

// Reaps children (PID 1's duty) until the image's process exits, and passes the stop signals
// on to every process of the sandbox.
[[noreturn]] void
wait_for_app(long app, int status_fd, const sigset_t& wanted)
{
  for (;;) {
    siginfo_t info;
    int sig = ::sigwaitinfo(&wanted, &info);
    if (sig == SIGCHLD) {
      int status = 0;
      pid_t pid;
      while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == app) {
          int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
          send(status_fd, k_exited, 0, code);
          // The container ends with its entrypoint: leaving PID 1 kills the rest.
          _exit(0);
        }
      }
    } else if (sig > 0) {
      ::kill(-1, SIGTERM);
    }
  }
}

// PID 1 of the sandbox.
[[noreturn]] void
run_holder(const Plan& plan, int status_fd, int life_fd, int log_fd)
{
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
    holder_fail(status_fd, step_pdeathsig);
  }
  // The caller may have died before the line above: then no one holds the write end of the
  // life pipe.
  struct pollfd pfd {
    life_fd, POLLIN, 0
  };
  if (::poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLERR))) {
    _exit(1);
  }
  // Out of the caller's session: a Ctrl-C on the terminal is decant's to handle.
  ::setsid();
  enter_image(plan, status_fd);
  sigset_t wanted;
  sigemptyset(&wanted);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT}) {
    sigaddset(&wanted, sig);
  }
  ::sigprocmask(SIG_BLOCK, &wanted, nullptr);
  long app = start_app(plan, status_fd, log_fd);
  send(status_fd, k_started, 0, static_cast<int32_t>(app));
  wait_for_app(app, status_fd, wanted);
}

// Resolves `path` inside the image the way the process inside will see it, and creates what is
// missing (directories, or an empty file for a file mount). The returned host path has no
// symlink left, so mounting there cannot land outside the image.
Result<std::string>
prepare_target(const HostRoot& image, const std::string& path, bool file, mode_t dir_mode = 0755)
{
  auto resolved = image.resolve(path);
  if (!resolved) {
    return fail(resolved.error().context("in the image"));
  }
  std::string real = image.real(*resolved);
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string parent = file ? fs::path(real).parent_path().string() : real;
  if (!fs::exists(parent, ec)) {
    if (auto made = make_directories(parent, dir_mode); !made) {
      return fail(made.error());
    }
  }
  if (file && !fs::exists(real, ec)) {
    int fd = ::open(real.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
      return fail(errno_error("cannot create the mount point", real, errno));
    }
    ::close(fd);
  }
  return real;
}

// /dev as OCI runtimes make it: a tmpfs with the host's harmless devices bound in, devpts,
// shm and mqueue, and the standard links.
void
add_dev(Plan& plan, const std::string& dev)
{
  plan.add({OpKind::mount,
            "tmpfs",
            plan.keep(dev),
            "tmpfs",
            MS_NOSUID | MS_STRICTATIME,
            "mode=755,size=65536k"},
           "mount tmpfs on /dev");
  for (const char* device : {"null", "zero", "full", "random", "urandom", "tty"}) {
    Op op{
        OpKind::bind_file, plan.keep(std::string("/dev/") + device), plan.keep(dev + "/" + device)};
    op.mode = 0666;
    plan.add(op, fmt::format("bind /dev/{}", device));
  }
  // Opened by the image's process after pivot_root, where the image's /dev is /dev.
  plan.dev_null = "/dev/null";
  struct Sub {
    const char* name;
    mode_t mode;
    const char* fstype;
    unsigned long flags;
    const char* data;
  };
  for (const Sub& sub :
       {Sub{"pts",
            0755,
            "devpts",
            MS_NOSUID | MS_NOEXEC,
            "newinstance,ptmxmode=0666,mode=0620,gid=5"},
        Sub{"shm", 01777, "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=1777,size=65536k"},
        Sub{"mqueue", 0755, "mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV, nullptr}}) {
    const char* target = plan.keep(dev + "/" + sub.name);
    Op dir{OpKind::mkdir, nullptr, target};
    dir.mode = sub.mode;
    plan.add(dir, fmt::format("create /dev/{}", sub.name));
    plan.add({OpKind::mount, sub.fstype, target, sub.fstype, sub.flags, sub.data},
             fmt::format("mount {} on /dev/{}", sub.fstype, sub.name));
  }
  for (const auto& [link, target] :
       std::vector<std::pair<std::string, std::string>>{{"fd", "/proc/self/fd"},
                                                        {"stdin", "/proc/self/fd/0"},
                                                        {"stdout", "/proc/self/fd/1"},
                                                        {"stderr", "/proc/self/fd/2"},
                                                        {"ptmx", "pts/ptmx"},
                                                        {"core", "/proc/kcore"}}) {
    plan.add({OpKind::symlink, plan.keep(target), plan.keep(dev + "/" + link)},
             fmt::format("link /dev/{}", link));
  }
}

// The OCI default mounts: the image's root bound onto itself, /proc, /dev and a read-only /sys.
Status
add_default_mounts(Plan& plan, const HostRoot& image)
{
  // The image's root must be a mount point for pivot_root.
  const char* root = plan.keep(plan.rootfs);
  plan.add({OpKind::bind, root, root}, "bind the image's root onto itself");

  auto proc = prepare_target(image, "/proc", false);
  auto dev = prepare_target(image, "/dev", false);
  auto sys = prepare_target(image, "/sys", false);
  for (auto* target : {&proc, &dev, &sys}) {
    if (!*target) {
      return fail(target->error());
    }
  }
  plan.add({OpKind::mount, "proc", plan.keep(*proc), "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV},
           "mount proc on /proc");
  add_dev(plan, *dev);
  plan.add({OpKind::mount,
            "sysfs",
            plan.keep(*sys),
            "sysfs",
            MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV},
           "mount sysfs read-only on /sys");
  return {};
}

// The caller's mounts (volumes, secrets), each made read-only when asked.
Status
add_spec_mounts(Plan& plan, const HostRoot& image, const SandboxSpec& spec)
{
  for (const auto& mount : spec.mounts) {
    auto target = prepare_target(image, mount.target, mount.file);
    if (!target) {
      return fail(target.error());
    }
    const char* t = plan.keep(*target);
    plan.add({mount.file ? OpKind::bind_file : OpKind::bind, plan.keep(mount.source), t},
             "mount " + mount.source + " on " + mount.target);
    if (mount.read_only) {
      plan.add({OpKind::remount_ro, nullptr, t}, "make " + mount.target + " read-only");
    }
  }
  return {};
}

// What the image's process executes, with which environment, where and as whom; the image's
// PATH split for the search run_app does.
Status
set_command(Plan& plan, const SandboxSpec& spec)
{
  if (spec.argv.empty()) {
    return fail(Error(ErrorCode::invalid_input,
                      "the image has no command (Entrypoint and Cmd are empty)",
                      "pack the image from an analysis with start.command"));
  }
  plan.program = spec.argv[0];
  for (const auto& arg : spec.argv) {
    plan.argv.push_back(const_cast<char*>(plan.keep(arg)));
  }
  plan.argv.push_back(nullptr);
  std::string path_value = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& entry : spec.env) {
    plan.envp.push_back(const_cast<char*>(plan.keep(entry)));
    if (starts_with(entry, "PATH=")) {
      path_value = entry.substr(5);
    }
  }
  plan.envp.push_back(nullptr);
  for (const auto& dir : split(path_value, ':')) {
    // An empty PATH element is the working directory (execvp's rule).
    plan.path_dirs.push_back(const_cast<char*>(plan.keep(dir.empty() ? "." : dir)));
  }
  plan.path_dirs.push_back(nullptr);
  plan.workdir = spec.working_dir.empty() ? "/" : spec.working_dir;
  plan.uid = spec.uid;
  plan.gid = spec.gid;
  plan.groups.assign(spec.groups.begin(), spec.groups.end());
  return {};
}

Result<Plan>
make_plan(const SandboxSpec& spec)
{
  auto image = HostRoot::open(spec.rootfs);
  if (!image) {
    return fail(image.error());
  }
  Plan plan;
  plan.rootfs = image->root();
  plan.hostname = spec.hostname.substr(0, 64);
  if (auto status = add_default_mounts(plan, *image); !status) {
    return fail(status.error());
  }
  if (auto status = add_spec_mounts(plan, *image, spec); !status) {
    return fail(status.error());
  }
  if (auto status = set_command(plan, spec); !status) {
    return fail(status.error());
  }
  return plan;
}

} // namespace

std::vector<pid_t>
descendants(pid_t pid)
{
  std::vector<pid_t> out;
  std::vector<pid_t> todo{pid};
  while (!todo.empty() && out.size() < 100000) {
    pid_t current = todo.back();
    todo.pop_back();
    std::error_code ec;
    for (const auto& task :
         std::filesystem::directory_iterator(fmt::format("/proc/{}/task", current), ec)) {
      auto children = read_file(task.path().string() + "/children");
      if (!children) {
        continue;
      }
      for (const auto& word : split(*children, ' ')) {
        if (auto child = parse_u64(trim(word))) {
          out.push_back(static_cast<pid_t>(*child));
          todo.push_back(static_cast<pid_t>(*child));
        }
      }
    }
  }
  return out;
}

Result<std::unique_ptr<Sandbox>>
Sandbox::start(const SandboxSpec& spec)
{
  auto plan = make_plan(spec);
  if (!plan) {
    return fail(plan.error());
  }
  int log_fd =
      ::open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (log_fd < 0) {
    return fail(errno_error("cannot create", spec.log_path, errno));
  }
  int status_pipe[2];
  int life_pipe[2];
  if (::pipe2(status_pipe, O_CLOEXEC) != 0) {
    int err = errno;
    ::close(log_fd);
    return fail(errno_error("cannot create a pipe for", "the sandbox", err));
  }
  if (::pipe2(life_pipe, O_CLOEXEC) != 0) {
    int err = errno;
    ::close(log_fd);
    ::close(status_pipe[0]);
    ::close(status_pipe[1]);
    return fail(errno_error("cannot create a pipe for", "the sandbox", err));
  }
  unsigned long flags =
      CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | SIGCHLD;
  long pid = ::syscall(SYS_clone, flags, nullptr, nullptr, nullptr, nullptr);
  if (pid == 0) {
    ::close(status_pipe[0]);
    ::close(life_pipe[1]);
    run_holder(*plan, status_pipe[1], life_pipe[0], log_fd);
  }
  int clone_errno = errno;
  ::close(status_pipe[1]);
  ::close(life_pipe[0]);
  ::close(log_fd);
  std::unique_ptr<Sandbox> sandbox(new Sandbox());
  sandbox->m_status_fd = status_pipe[0];
  sandbox->m_life_fd = life_pipe[1];
  if (pid < 0) {
    if (clone_errno == EPERM) {
      return fail(Error(ErrorCode::permission,
                        "cannot create the sandbox's namespaces: operation not permitted",
                        "decant verify needs root (CAP_SYS_ADMIN) to create PID, mount, UTS, IPC "
                        "and network namespaces; run it with sudo"));
    }
    return fail(errno_error("cannot create", "the sandbox's namespaces", clone_errno));
  }
  sandbox->m_holder = static_cast<pid_t>(pid);
  sandbox->m_net_fd = ::open(fmt::format("/proc/{}/ns/net", pid).c_str(), O_RDONLY | O_CLOEXEC);
  sandbox->read_messages(true, 60000);
  if (sandbox->m_failure) {
    auto [step, err] = *sandbox->m_failure;
    std::string what = step >= 0 && static_cast<size_t>(step) < plan->describe.size()
                           ? plan->describe[static_cast<size_t>(step)]
                           : step_text(step);
    ErrorCode code = ErrorCode::failure;
    std::string hint = "run `decant verify --keep` and look at the unpacked image";
    if (step == step_exec || step == step_workdir) {
      // The image itself is broken: what verification exists to find.
      code = ErrorCode::verification;
      hint = step == step_exec ? "the entrypoint is not in the image or not executable; check "
                                 "start.command and files[] in analysis.json, then pack again"
                               : "the working directory is not in the image; check "
                                 "start.workingDir in analysis.json, then pack again";
    } else if (err == EPERM || err == EACCES) {
      code = ErrorCode::permission;
      hint = "decant verify needs root (CAP_SYS_ADMIN) for namespaces and mounts";
    }
    std::string subject = step == step_exec      ? fmt::format("{} ({})", what, spec.argv[0])
                          : step == step_workdir ? fmt::format("{} {}", what, plan->workdir)
                                                 : what;
    sandbox->stop();
    return fail(Error(
        code, fmt::format("the sandbox could not {}: {}", subject, std::strerror(err)), hint));
  }
  if (!sandbox->m_started && !sandbox->m_exit) {
    sandbox->stop();
    return fail(Error(ErrorCode::failure,
                      "the sandbox's holder process ended before starting the image",
                      "this is a bug in decant; please report it with the command line"));
  }
  return sandbox;
}

void
Sandbox::read_messages(bool block, int timeout_ms)
{
  if (m_status_fd < 0) {
    return;
  }
  for (;;) {
    struct pollfd pfd {
      m_status_fd, POLLIN, 0
    };
    int ready = ::poll(&pfd, 1, block ? timeout_ms : 0);
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready <= 0) {
      return;
    }
    Message m;
    ssize_t n = ::read(m_status_fd, &m, sizeof(m));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n != static_cast<ssize_t>(sizeof(m))) {
      // EOF: the holder is gone.
      ::close(m_status_fd);
      m_status_fd = -1;
      if (!m_exit && m_started) {
        m_exit = 128 + SIGKILL;
      }
      return;
    }
    if (m.type == k_started) {
      m_started = true;
      if (block) {
        return;
      }
    } else if (m.type == k_failed) {
      m_failure = std::make_pair(m.step, m.value);
      return;
    } else if (m.type == k_exited) {
      m_exit = m.value;
      return;
    }
  }
}

std::optional<int>
Sandbox::exit_status()
{
  if (!m_exit) {
    read_messages(false, 0);
  }
  return m_exit;
}

uint64_t
Sandbox::rss_bytes() const
{
  if (m_holder <= 0) {
    return 0;
  }
  uint64_t total = 0;
  for (pid_t pid : descendants(m_holder)) {
    auto status = read_file(fmt::format("/proc/{}/status", pid));
    if (!status) {
      continue;
    }
    for (const auto& line : split(*status, '\n')) {
      if (starts_with(line, "VmRSS:")) {
        std::string value(trim(std::string_view(line).substr(6)));
        if (auto kb = parse_u64(value.substr(0, value.find(' ')))) {
          total += *kb * 1024;
        }
        break;
      }
    }
  }
  return total;
}

void
Sandbox::stop(std::chrono::milliseconds grace)
{
  if (m_holder > 0 && grace.count() > 0 && ::kill(m_holder, SIGTERM) == 0) {
    // PID 1 relays SIGTERM to every process inside and exits when the entrypoint does.
    auto deadline = std::chrono::steady_clock::now() + grace;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      pid_t done = ::waitpid(m_holder, &status, WNOHANG);
      if (done == m_holder || (done < 0 && errno != EINTR)) {
        m_holder = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  if (m_holder > 0) {
    // SIGKILL to PID 1 of the namespace: the kernel kills every other process in it and
    // waitpid returns only when they are all gone.
    ::kill(m_holder, SIGKILL);
    int status = 0;
    while (::waitpid(m_holder, &status, 0) < 0 && errno == EINTR) {
    }
    m_holder = -1;
  }
  for (int* fd : {&m_net_fd, &m_status_fd, &m_life_fd}) {
    if (*fd >= 0) {
      ::close(*fd);
      *fd = -1;
    }
  }
}

Sandbox::~Sandbox()
{
  stop();
}

} // namespace decant
