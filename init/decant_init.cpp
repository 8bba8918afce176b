// decant-init: a minimal init for images (the job tini or dumb-init do), and the forwarder of
// an application's log files to the container's output.
//
//   decant-init [--grace SECONDS] [--follow DIR]... [--] PROGRAM [ARG...]
//       Runs PROGRAM as its child in a process group of its own, forwards SIGTERM, SIGINT,
//       SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH to that group and to every other child
//       (daemons that detached into their own session are adopted: decant-init is PID 1 or a
//       child subreaper), reaps every zombie, and when PROGRAM exits sends SIGTERM to what is
//       left, SIGKILL after the grace period (default 10 s), then exits with PROGRAM's status
//       (128 + N when killed by signal N).
//       --follow DIR: every regular file in DIR is forwarded line by line to standard output,
//       each line prefixed with "[NAME] " (with several directories "[DIR-NAME/NAME] "), so
//       `kubectl logs` shows what the application writes to its log files, which stay as they
//       are. Files there before PROGRAM starts are followed from their end, later ones from
//       their start. Followed by name, like `tail -F`: a file renamed away is read to its end,
//       its successor from the start, a truncated file from the start again; a renamed file
//       (catalina.out -> catalina.out.1) is not forwarded twice; compressed files (.gz, .xz,
//       .bz2, .zst, .zip) are skipped. Polled five times a second.
//   decant-init --exec-as UID:GID [--] PROGRAM [ARG...]
//       Drops to the numeric user and group (supplementary groups cleared) and executes
//       PROGRAM: how the entry script starts a service as its systemd User=.
//
// Written against the kernel and POSIX only (no C++ library at run time), linked statically.

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
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
          "usage: decant-init [--grace SECONDS] [--follow DIR]... [--] PROGRAM [ARG...]\n"
          "       decant-init --exec-as UID:GID [--] PROGRAM [ARG...]\n");
}

// ---- log files to standard output (--follow) ----

const int k_max_dirs = 16;
const int k_max_files = 256;
const size_t k_line_max = 16384;    // a longer line is forwarded in pieces
const int k_idle_close_ticks = 300; // 60 s at five polls a second: the fd of a quiet file closes

struct Followed {
  bool used = false;
  char path[4096];
  char label[600];
  int fd = -1;
  dev_t dev = 0;
  ino_t ino = 0;
  off_t offset = 0;
  int idle = 0;
  bool present = false; // seen in the latest directory scan
  char partial[k_line_max];
  size_t partial_length = 0;
};

const char* g_dirs[k_max_dirs];
int g_dir_count = 0;
Followed g_files[k_max_files];
bool g_warned_full = false;

void
write_all(int fd, const char* data, size_t length)
{
  while (length > 0) {
    ssize_t n = write(fd, data, length);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return; // a closed output is not the application's problem
    }
    data += n;
    length -= static_cast<size_t>(n);
  }
}

void
emit_line(Followed& f)
{
  char prefix[sizeof(f.label) + 4];
  int n = snprintf(prefix, sizeof(prefix), "[%s] ", f.label);
  // One write per line (small lines: atomic on a pipe), so lines of different files never mix.
  static char line[sizeof(prefix) + k_line_max + 1];
  size_t length = 0;
  memcpy(line, prefix, static_cast<size_t>(n));
  length += static_cast<size_t>(n);
  memcpy(line + length, f.partial, f.partial_length);
  length += f.partial_length;
  line[length++] = '\n';
  write_all(STDOUT_FILENO, line, length);
  f.partial_length = 0;
}

void
flush_partial(Followed& f)
{
  if (f.partial_length > 0) {
    emit_line(f);
  }
}

void
forward(Followed& f, const char* data, size_t length)
{
  for (size_t i = 0; i < length; ++i) {
    if (data[i] == '\n') {
      emit_line(f);
      continue;
    }
    if (f.partial_length == k_line_max) {
      emit_line(f);
    }
    f.partial[f.partial_length++] = data[i];
  }
}

// Reads what was appended to the open file since the last time.
void
drain(Followed& f)
{
  if (f.fd < 0) {
    return;
  }
  static char buffer[65536];
  for (;;) {
    ssize_t n = read(f.fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return;
    }
    f.offset += n;
    f.idle = 0;
    forward(f, buffer, static_cast<size_t>(n));
  }
}

void
close_followed(Followed& f)
{
  if (f.fd >= 0) {
    close(f.fd);
    f.fd = -1;
  }
}

bool
open_followed(Followed& f, off_t offset)
{
  int fd = open(f.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    return false;
  }
  struct stat st {
  };
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return false;
  }
  if (offset > st.st_size) {
    offset = 0;
  }
  lseek(fd, offset, SEEK_SET);
  close_followed(f);
  f.fd = fd;
  f.dev = st.st_dev;
  f.ino = st.st_ino;
  f.offset = offset;
  f.idle = 0;
  return true;
}

bool
compressed(const char* name)
{
  static const char* const k_suffixes[] = {".gz", ".xz", ".bz2", ".zst", ".zip", ".Z"};
  size_t length = strlen(name);
  for (const char* suffix : k_suffixes) {
    size_t s = strlen(suffix);
    if (length > s && strcmp(name + length - s, suffix) == 0) {
      return true;
    }
  }
  return false;
}

Followed*
find_path(const char* path)
{
  for (auto& f : g_files) {
    if (f.used && strcmp(f.path, path) == 0) {
      return &f;
    }
  }
  return nullptr;
}

Followed*
find_inode(dev_t dev, ino_t ino, const Followed* except)
{
  for (auto& f : g_files) {
    if (f.used && &f != except && f.dev == dev && f.ino == ino) {
      return &f;
    }
  }
  return nullptr;
}

// A file of a followed directory not seen before. At start-up its current end is where
// forwarding starts; later its beginning, unless it is a known file renamed.
void
add_file(const char* dir, const char* name, const struct stat& st, bool at_start)
{
  Followed* slot = nullptr;
  for (auto& f : g_files) {
    if (!f.used) {
      slot = &f;
      break;
    }
  }
  if (!slot) {
    if (!g_warned_full) {
      fprintf(stderr,
              "decant-init: following %d files already; %s/%s is not forwarded\n",
              k_max_files,
              dir,
              name);
      g_warned_full = true;
    }
    return;
  }
  Followed& f = *slot;
  f = Followed();
  f.used = true;
  f.present = true;
  snprintf(f.path, sizeof(f.path), "%s/%s", dir, name);
  if (g_dir_count > 1) {
    const char* base = strrchr(dir, '/');
    snprintf(f.label, sizeof(f.label), "%s/%s", base && base[1] ? base + 1 : dir, name);
  } else {
    snprintf(f.label, sizeof(f.label), "%s", name);
  }
  off_t start = at_start ? st.st_size : 0;
  if (Followed* renamed = find_inode(st.st_dev, st.st_ino, &f)) {
    // catalina.out renamed to catalina.out.1: its content was forwarded under the old name.
    drain(*renamed);
    start = renamed->offset;
    renamed->dev = 0;
    renamed->ino = 0;
  }
  if (!open_followed(f, start)) {
    f.fd = -1;
    f.dev = st.st_dev;
    f.ino = st.st_ino;
    f.offset = start;
  }
}

// One poll: new files, rotation (another file under the name), truncation, new data.
void
follow_logs(bool at_start)
{
  for (auto& f : g_files) {
    f.present = false;
  }
  for (int d = 0; d < g_dir_count; ++d) {
    DIR* dir = opendir(g_dirs[d]);
    if (dir == nullptr) {
      continue; // not there yet: the application may create it
    }
    while (struct dirent* entry = readdir(dir)) {
      if (entry->d_name[0] == '.' || compressed(entry->d_name)) {
        continue;
      }
      char path[4096];
      snprintf(path, sizeof(path), "%s/%s", g_dirs[d], entry->d_name);
      struct stat st {
      };
      if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        continue;
      }
      Followed* f = find_path(path);
      if (f == nullptr) {
        add_file(g_dirs[d], entry->d_name, st, at_start);
        continue;
      }
      f->present = true;
      if (st.st_dev != f->dev || st.st_ino != f->ino) {
        // Rotated: finish the old file (still open), then the new one from its start.
        drain(*f);
        flush_partial(*f);
        Followed* renamed = find_inode(st.st_dev, st.st_ino, f);
        off_t start = renamed ? renamed->offset : 0;
        if (!open_followed(*f, start)) {
          close_followed(*f);
          f->dev = st.st_dev;
          f->ino = st.st_ino;
          f->offset = 0;
        }
      } else if (st.st_size < f->offset) {
        // Truncated in place (copytruncate): from the start again.
        flush_partial(*f);
        f->offset = 0;
        if (f->fd >= 0) {
          lseek(f->fd, 0, SEEK_SET);
        }
      }
      if (f->fd < 0 && st.st_size > f->offset) {
        open_followed(*f, f->offset);
      }
    }
    closedir(dir);
  }
  for (auto& f : g_files) {
    if (!f.used) {
      continue;
    }
    drain(f);
    if (!f.present) {
      // Removed (or renamed away and not recreated): what was written is forwarded; the
      // slot is freed for the next file.
      flush_partial(f);
      close_followed(f);
      f.used = false;
      continue;
    }
    if (f.fd >= 0 && ++f.idle > k_idle_close_ticks) {
      close_followed(f); // reopened at the same offset when it grows
    }
  }
}

void
finish_logs()
{
  follow_logs(false);
  for (auto& f : g_files) {
    if (f.used) {
      flush_partial(f);
      close_followed(f);
    }
  }
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
  // A closed standard output must not kill the init that forwards logs to it.
  signal(SIGPIPE, SIG_IGN);
  if (g_dir_count > 0) {
    follow_logs(true); // what is there already is not the new run's
  }
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
    if (g_dir_count > 0) {
      wait_time = {0, 200 * 1000 * 1000};
      follow_logs(false);
    }
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
          if (g_dir_count > 0) {
            finish_logs(); // the last lines written before the exit
          }
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
    } else if (strcmp(argv[i], "--follow") == 0 && i + 1 < argc) {
      if (g_dir_count == k_max_dirs) {
        fprintf(stderr, "decant-init: at most %d --follow directories\n", k_max_dirs);
        return 2;
      }
      g_dirs[g_dir_count++] = argv[i + 1];
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
