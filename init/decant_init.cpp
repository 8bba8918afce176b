// decant-init: a minimal init for machine-level images (the job tini or dumb-init do).
//
//   decant-init [--grace SECONDS] [--] PROGRAM [ARG...]
//       Runs PROGRAM as its child in a process group of its own, forwards SIGTERM, SIGINT,
//       SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH to that group and to every other child
//       (daemons that detached into their own session are adopted: decant-init is PID 1 or a
//       child subreaper), reaps every zombie, and when PROGRAM exits sends SIGTERM to what is
//       left, SIGKILL after the grace period (default 10 s), then exits with PROGRAM's status
//       (128 + N when killed by signal N).
//   decant-init --exec-as UID:GID [--] PROGRAM [ARG...]
//       Drops to the numeric user and group (supplementary groups cleared) and executes
//       PROGRAM: how the entry script starts a service as its systemd User=.
//
// Written against the kernel and POSIX only (no C++ library at run time), linked statically.

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

namespace {

const int k_forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

void
usage()
{
  fprintf(stderr,
          "usage: decant-init [--grace SECONDS] [--] PROGRAM [ARG...]\n"
          "       decant-init --exec-as UID:GID [--] PROGRAM [ARG...]\n");
}

bool
parse_number(const char* text, unsigned long& out)
{
  char* end = nullptr;
  errno = 0;
  out = strtoul(text, &end, 10);
  return errno == 0 && end != text && *end == '\0';
}

[[noreturn]] void
exec_or_die(char** argv)
{
  execvp(argv[0], argv);
  int err = errno;
  fprintf(stderr, "decant-init: cannot execute %s: %s\n", argv[0], strerror(err));
  _exit(err == ENOENT ? 127 : 126);
}

int
exec_as(const char* spec, char** argv)
{
  const char* colon = strchr(spec, ':');
  unsigned long uid = 0;
  unsigned long gid = 0;
  char uid_text[32];
  size_t uid_length = colon ? static_cast<size_t>(colon - spec) : strlen(spec);
  if (uid_length == 0 || uid_length >= sizeof(uid_text)) {
    fprintf(stderr, "decant-init: --exec-as %s: expected UID:GID (numbers)\n", spec);
    return 2;
  }
  memcpy(uid_text, spec, uid_length);
  uid_text[uid_length] = '\0';
  if (!parse_number(uid_text, uid) || (colon && !parse_number(colon + 1, gid))) {
    fprintf(stderr, "decant-init: --exec-as %s: expected UID:GID (numbers)\n", spec);
    return 2;
  }
  if (!colon) {
    gid = uid;
  }
  // Order matters: groups and gid while still privileged, the uid last.
  gid_t group = static_cast<gid_t>(gid);
  if (setgroups(1, &group) != 0 || setgid(group) != 0 || setuid(static_cast<uid_t>(uid)) != 0) {
    fprintf(stderr, "decant-init: cannot become %lu:%lu: %s\n", uid, gid, strerror(errno));
    return 126;
  }
  exec_or_die(argv);
}

// Sends `sig` to every direct child of this process that is not in `group` (those are reached
// through the group): /proc/self/task/<tid>/children (Linux 3.5, CONFIG_PROC_CHILDREN). Adopted
// daemons live here, in sessions of their own.
void
signal_other_children(int sig, pid_t group)
{
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/task/%d/children", static_cast<int>(getpid()));
  FILE* file = fopen(path, "r");
  if (file == nullptr) {
    return;
  }
  long pid = 0;
  while (fscanf(file, "%ld", &pid) == 1) {
    if (getpgid(static_cast<pid_t>(pid)) != group) {
      kill(static_cast<pid_t>(pid), sig);
    }
  }
  fclose(file);
}

int
exit_status(int status)
{
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return 1;
}

int
supervise(char** argv, long grace_seconds)
{
  sigset_t handled;
  sigemptyset(&handled);
  for (int sig : k_forwarded) {
    sigaddset(&handled, sig);
  }
  sigaddset(&handled, SIGCHLD);
  sigset_t previous;
  // Blocked and taken with sigtimedwait: no handler runs between fork and exec, no race.
  sigprocmask(SIG_BLOCK, &handled, &previous);
  if (getpid() != 1) {
    // Not PID 1 (docker run without --init is PID 1; under bwrap or a shell we are not):
    // orphans are re-parented to us all the same.
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  }
  pid_t child = fork();
  if (child < 0) {
    fprintf(stderr, "decant-init: fork: %s\n", strerror(errno));
    return 1;
  }
  if (child == 0) {
    setpgid(0, 0);
    sigprocmask(SIG_SETMASK, &previous, nullptr);
    exec_or_die(argv);
  }
  setpgid(child, child); // both sides: whichever runs first
  int main_status = -1;
  bool main_done = false;
  struct timespec deadline {
  };
  bool killed = false;
  for (;;) {
    struct timespec wait_time = {1, 0};
    siginfo_t info;
    int sig = sigtimedwait(&handled, &info, &wait_time);
    if (sig > 0 && sig != SIGCHLD && !main_done) {
      if (kill(-child, sig) != 0) {
        kill(child, sig);
      }
      signal_other_children(sig, child);
    }
    // Reap everything that has exited: the main child and any adopted orphan.
    for (;;) {
      int status = 0;
      pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid == 0) {
        break;
      }
      if (pid < 0) {
        if (errno == EINTR) {
          continue;
        }
        if (errno == ECHILD && main_done) {
          return exit_status(main_status);
        }
        break;
      }
      if (pid == child) {
        main_status = status;
        main_done = true;
        // What the main program leaves behind is stopped with it.
        kill(-child, SIGTERM);
        signal_other_children(SIGTERM, -1);
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += grace_seconds;
      }
    }
    if (main_done && !killed) {
      struct timespec now {
      };
      clock_gettime(CLOCK_MONOTONIC, &now);
      if (now.tv_sec >= deadline.tv_sec) {
        kill(-child, SIGKILL);
        signal_other_children(SIGKILL, -1);
        killed = true;
      }
    }
  }
}

} // namespace

int
main(int argc, char** argv)
{
  int i = 1;
  long grace = 10;
  const char* exec_as_spec = nullptr;
  while (i < argc && argv[i][0] == '-' && argv[i][1] == '-') {
    if (strcmp(argv[i], "--") == 0) {
      ++i;
      break;
    }
    if (strcmp(argv[i], "--help") == 0) {
      usage();
      return 0;
    }
    if (strcmp(argv[i], "--grace") == 0 && i + 1 < argc) {
      unsigned long value = 0;
      if (!parse_number(argv[i + 1], value)) {
        fprintf(stderr, "decant-init: --grace %s: expected seconds\n", argv[i + 1]);
        return 2;
      }
      grace = static_cast<long>(value);
      i += 2;
    } else if (strcmp(argv[i], "--exec-as") == 0 && i + 1 < argc) {
      exec_as_spec = argv[i + 1];
      i += 2;
    } else {
      fprintf(stderr, "decant-init: unknown option %s\n", argv[i]);
      usage();
      return 2;
    }
  }
  if (i >= argc) {
    usage();
    return 2;
  }
  if (exec_as_spec != nullptr) {
    return exec_as(exec_as_spec, argv + i);
  }
  return supervise(argv + i, grace);
}
