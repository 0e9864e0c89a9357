/* The test payload: one static multi-call binary put into every test rootfs.
 *
 * Called as `payload CMD ARGS...` or through a symlink named CMD. Every command
 * prints plain "key: value" style lines so tests can parse them, and flushes as
 * it goes so a test reading a pipe sees progress before the process is killed. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <libgen.h>
#include <linux/bpf.h>
#include <linux/kexec.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <dirent.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
  fprintf(stderr, "payload: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void usage_error(const char *msg)
{
  fprintf(stderr, "payload: %s\n", msg);
  exit(2);
}

static double now(clockid_t clk)
{
  struct timespec ts;
  clock_gettime(clk, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "4096", "64K", "1M" -> bytes. */
static long long parse_size(const char *s)
{
  char *end;
  long long v = strtoll(s, &end, 10);
  switch (*end) {
  case 'k':
  case 'K':
    v <<= 10;
    end++;
    break;
  case 'm':
  case 'M':
    v <<= 20;
    end++;
    break;
  case 'g':
  case 'G':
    v <<= 30;
    end++;
    break;
  }
  if (*end || v <= 0)
    usage_error("bad size");
  return v;
}

/* ---- cpuburn [SECONDS] [--threads N] ---- */

static volatile sig_atomic_t stop_burning;
static double burn_seconds;

static void *burn(void *arg)
{
  volatile unsigned long x = 0;
  double end = burn_seconds > 0 ? now(CLOCK_MONOTONIC) + burn_seconds : 0;
  (void)arg;
  while (!stop_burning) {
    for (int i = 0; i < 1000000; i++)
      x += i;
    if (end && now(CLOCK_MONOTONIC) >= end)
      break;
  }
  return NULL;
}

static int cmd_cpuburn(int argc, char **argv)
{
  int threads = 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = atoi(argv[++i]);
    else
      burn_seconds = atof(argv[i]);
  }
  if (threads < 1 || threads > 256)
    usage_error("cpuburn: --threads must be 1..256");
  double wall0 = now(CLOCK_MONOTONIC), cpu0 = now(CLOCK_PROCESS_CPUTIME_ID);
  printf("cpuburn: threads=%d seconds=%g\n", threads, burn_seconds);
  fflush(stdout);
  pthread_t tids[256];
  for (int i = 1; i < threads; i++)
    if (pthread_create(&tids[i], NULL, burn, NULL))
      die("pthread_create");
  burn(NULL);
  for (int i = 1; i < threads; i++)
    pthread_join(tids[i], NULL);
  double wall = now(CLOCK_MONOTONIC) - wall0;
  double cpu = now(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
  /* cpu / wall is the share of a CPU the cgroup let us have. */
  printf("cpuburn: wall=%.3f cpu=%.3f ratio=%.3f\n", wall, cpu, cpu / wall);
  return 0;
}

/* ---- memhog MB [--step MB] [--hold] ---- */

static int cmd_memhog(int argc, char **argv)
{
  long total = -1, step = 8;
  bool hold = false;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--step") && i + 1 < argc)
      step = atol(argv[++i]);
    else if (!strcmp(argv[i], "--hold"))
      hold = true;
    else
      total = atol(argv[i]);
  }
  if (total <= 0 || step <= 0)
    usage_error("usage: memhog MB [--step MB] [--hold]");
  long page = sysconf(_SC_PAGESIZE);
  for (long done = 0; done < total;) {
    long n = step < total - done ? step : total - done;
    size_t len = (size_t)n << 20;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
      die("mmap");
    /* Touch every page with non-zero data so it is really charged. */
    for (size_t off = 0; off < len; off += page)
      p[off] = 1;
    done += n;
    printf("memhog: %ld MB\n", done);
    fflush(stdout);
  }
  printf("memhog: done %ld MB\n", total);
  fflush(stdout);
  while (hold)
    pause();
  return 0;
}

/* ---- forkbomb [--max N] [--hold] ----
 * Forks sleeping children one by one until fork fails (the pids limit) or --max
 * is reached, so that running it by mistake outside a limit cannot take the host
 * down. Children die with the parent (PDEATHSIG), so killing it cleans up. */

static int cmd_forkbomb(int argc, char **argv)
{
  long max = 4096, count = 0;
  bool hold = false;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--max") && i + 1 < argc)
      max = atol(argv[++i]);
    else if (!strcmp(argv[i], "--hold"))
      hold = true;
    else
      usage_error("usage: forkbomb [--max N] [--hold]");
  }
  pid_t parent = getpid();
  int err = 0;
  while (count < max) {
    pid_t pid = fork();
    if (pid < 0) {
      err = errno;
      break;
    }
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent)
        _exit(0);
      for (;;)
        pause();
    }
    count++;
  }
  if (err)
    printf("forkbomb: forked %ld, fork failed: errno %d (%s)\n", count, err, strerrorname_np(err));
  else
    printf("forkbomb: forked %ld, reached --max\n", count);
  fflush(stdout);
  while (hold)
    pause();
  return 0;
}

/* ---- iowrite PATH MB [--direct] [--bs N] / ioread PATH [--direct] [--bs N] ---- */

static int cmd_io(int argc, char **argv, bool write_mode)
{
  const char *path = NULL;
  long long mb = -1, bs = 1 << 20;
  bool direct = false;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--direct"))
      direct = true;
    else if (!strcmp(argv[i], "--bs") && i + 1 < argc)
      bs = parse_size(argv[++i]);
    else if (!path)
      path = argv[i];
    else
      mb = atoll(argv[i]);
  }
  if (!path || (write_mode && mb <= 0))
    usage_error(write_mode ? "usage: iowrite PATH MB [--direct] [--bs N]"
                           : "usage: ioread PATH [--direct] [--bs N]");
  int flags = write_mode ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY;
  int fd = open(path, flags | O_CLOEXEC | (direct ? O_DIRECT : 0), 0644);
  if (fd < 0)
    die(path);
  void *buf;
  /* O_DIRECT needs the buffer, size and offset aligned to the logical block. */
  if (posix_memalign(&buf, 4096, bs))
    die("posix_memalign");
  memset(buf, 0xa5, bs);
  long long total = write_mode ? mb << 20 : -1, done = 0;
  double t0 = now(CLOCK_MONOTONIC);
  while (total < 0 || done < total) {
    ssize_t n = write_mode ? write(fd, buf, bs) : read(fd, buf, bs);
    if (n < 0)
      die(write_mode ? "write" : "read");
    if (n == 0)
      break;
    done += n;
  }
  if (write_mode && fsync(fd) < 0)
    die("fsync");
  double secs = now(CLOCK_MONOTONIC) - t0;
  printf("%s: %lld bytes in %.3f s: %.2f MB/s\n", write_mode ? "iowrite" : "ioread", done, secs,
         done / 1048576.0 / (secs > 0 ? secs : 1e-9));
  close(fd);
  free(buf);
  return 0;
}

static int cmd_iowrite(int argc, char **argv)
{
  return cmd_io(argc, argv, true);
}
static int cmd_ioread(int argc, char **argv)
{
  return cmd_io(argc, argv, false);
}

/* ---- trysyscall NAME[=ARG]... ----
 * Each probe is built so that, when the kernel (capabilities, seccomp, sysctls)
 * permits the call, it either succeeds without lasting effect or fails with an
 * errno the kernel only returns after the permission check (listed in
 * `permitted`); those are reported as "ok". Anything that could change the
 * caller runs in a throwaway child. */

struct probe {
  const char *name;
  long (*fn)(const char *arg);
  int permitted[3];
};

static long run_in_child(long (*fn)(const char *), const char *arg)
{
  int pfd[2];
  if (pipe(pfd) < 0)
    die("pipe");
  pid_t pid = fork();
  if (pid < 0)
    die("fork");
  if (pid == 0) {
    close(pfd[0]);
    long r = fn(arg);
    int e = r < 0 ? errno : 0;
    if (write(pfd[1], &e, sizeof(e)) != sizeof(e))
      _exit(1);
    _exit(0);
  }
  close(pfd[1]);
  int e = EIO;
  if (read(pfd[0], &e, sizeof(e)) != sizeof(e))
    e = EIO;
  close(pfd[0]);
  waitpid(pid, NULL, 0);
  errno = e;
  return e ? -1 : 0;
}

static long do_unshare(const char *a)
{
  (void)a;
  return unshare(CLONE_NEWUTS);
}
static long p_unshare(const char *a)
{
  return run_in_child(do_unshare, a);
}

static long do_mount(const char *a)
{
  (void)a;
  /* A private mount namespace first where allowed, so the probe changes nothing
   * outside; making "/" private again is a no-op in a container. */
  unshare(CLONE_NEWNS);
  return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
}
static long p_mount(const char *a)
{
  return run_in_child(do_mount, a);
}

static long p_keyctl(const char *a)
{
  (void)a;
  return syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0);
}

static long do_ptrace(const char *a)
{
  (void)a;
  return ptrace(PTRACE_TRACEME, 0, NULL, NULL);
}
static long p_ptrace(const char *a)
{
  return run_in_child(do_ptrace, a);
}

static long p_reboot(const char *a)
{
  (void)a;
  /* Bad magic: EINVAL comes only after the CAP_SYS_BOOT check. */
  return syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, 0, 0, NULL);
}

static long p_swapon(const char *a)
{
  (void)a;
  return swapon("/nonexistent-cinch-swapfile", 0);
}

static long p_chown(const char *a)
{
  (void)a;
  int fd = memfd_create("probe", MFD_CLOEXEC);
  if (fd < 0)
    return -1;
  long r = fchown(fd, 4242, 4242);
  int e = errno;
  close(fd);
  errno = e;
  return r;
}

static long do_setuid(const char *a)
{
  uid_t target = a ? (uid_t)atol(a) : (getuid() == 4242 ? 4243 : 4242);
  return syscall(SYS_setuid, target);
}
static long p_setuid(const char *a)
{
  return run_in_child(do_setuid, a);
}

static long do_personality(const char *a)
{
  unsigned long persona = a ? strtoul(a, NULL, 0) : PER_LINUX;
  return syscall(SYS_personality, persona);
}
static long p_personality(const char *a)
{
  return run_in_child(do_personality, a);
}

static long p_clock_settime(const char *a)
{
  (void)a;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return syscall(SYS_clock_settime, CLOCK_REALTIME, &ts);
}

static long p_kexec_load(const char *a)
{
  (void)a;
  /* Flags with unknown bits: EINVAL only after the permission check. */
  return syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0x80000000UL);
}

static long p_bpf(const char *a)
{
  (void)a;
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.map_type = BPF_MAP_TYPE_ARRAY;
  attr.key_size = 4;
  attr.value_size = 4;
  attr.max_entries = 1;
  long fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
  if (fd >= 0)
    close(fd);
  return fd;
}

static long p_perf_event_open(const char *a)
{
  (void)a;
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_TASK_CLOCK;
  attr.disabled = 1;
  attr.exclude_kernel = 1;
  long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
  if (fd >= 0)
    close(fd);
  return fd;
}

static long p_open_by_handle_at(const char *a)
{
  (void)a;
  struct {
    struct file_handle fh;
    unsigned char buf[MAX_HANDLE_SZ];
  } h;
  int mount_id;
  h.fh.handle_bytes = MAX_HANDLE_SZ;
  if (name_to_handle_at(AT_FDCWD, "/", &h.fh, &mount_id, 0) < 0)
    return -1;
  int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return -1;
  long fd = open_by_handle_at(root, &h.fh, O_RDONLY | O_CLOEXEC);
  int e = errno;
  close(root);
  if (fd >= 0)
    close(fd);
  errno = e;
  return fd;
}

static long p_rawsocket(const char *a)
{
  (void)a;
  long fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
  if (fd >= 0)
    close(fd);
  return fd;
}

static long do_sethostname(const char *a)
{
  (void)a;
  char name[256] = "";
  gethostname(name, sizeof(name) - 1);
  return sethostname(name, strlen(name));
}
static long p_sethostname(const char *a)
{
  return run_in_child(do_sethostname, a);
}

static long do_chroot(const char *a)
{
  (void)a;
  return chroot("/");
}
static long p_chroot(const char *a)
{
  return run_in_child(do_chroot, a);
}

static long do_setpriority(const char *a)
{
  return setpriority(PRIO_PROCESS, 0, a ? atoi(a) : -5);
}
static long p_setpriority(const char *a)
{
  return run_in_child(do_setpriority, a);
}

static long p_mknod(const char *a)
{
  /* Needs a writable directory: default /tmp, or the one given. */
  char path[4096];
  snprintf(path, sizeof(path), "%s/.cinch-probe-null-%d", a ? a : "/tmp", getpid());
  long r = mknod(path, S_IFCHR | 0600, makedev(1, 3));
  int e = errno;
  if (r == 0)
    unlink(path);
  errno = e;
  return r;
}

static const struct probe probes[] = {
  { "unshare", p_unshare, { 0 } },
  { "mount", p_mount, { 0 } },
  { "keyctl", p_keyctl, { ENOKEY, 0 } },
  { "ptrace", p_ptrace, { 0 } },
  { "reboot", p_reboot, { EINVAL, 0 } },
  { "swapon", p_swapon, { ENOENT, 0 } },
  { "chown", p_chown, { 0 } },
  { "setuid", p_setuid, { 0 } },
  { "personality", p_personality, { 0 } },
  { "clock_settime", p_clock_settime, { 0 } },
  { "kexec_load", p_kexec_load, { EINVAL, 0 } },
  { "bpf", p_bpf, { 0 } },
  { "perf_event_open", p_perf_event_open, { 0 } },
  { "open_by_handle_at", p_open_by_handle_at, { 0 } },
  { "rawsocket", p_rawsocket, { 0 } },
  { "sethostname", p_sethostname, { 0 } },
  { "chroot", p_chroot, { 0 } },
  { "setpriority", p_setpriority, { 0 } },
  { "mknod", p_mknod, { 0 } },
};

static int cmd_trysyscall(int argc, char **argv)
{
  if (argc < 2)
    usage_error("usage: trysyscall NAME[=ARG]...");
  for (int i = 1; i < argc; i++) {
    char name[64];
    snprintf(name, sizeof(name), "%s", argv[i]);
    char *eq = strchr(name, '=');
    const char *arg = NULL;
    if (eq) {
      *eq = '\0';
      arg = argv[i] + (eq - name) + 1;
    }
    const struct probe *p = NULL;
    for (size_t j = 0; j < sizeof(probes) / sizeof(probes[0]); j++)
      if (!strcmp(probes[j].name, name))
        p = &probes[j];
    if (!p) {
      fprintf(stderr, "payload: trysyscall: unknown syscall probe %s\n", name);
      return 2;
    }
    errno = 0;
    long r = p->fn(arg);
    int e = errno;
    bool ok = r >= 0;
    for (int k = 0; !ok && k < 3 && p->permitted[k]; k++)
      ok = e == p->permitted[k];
    if (ok)
      printf("%s: ok\n", name);
    else
      printf("%s: errno %d (%s)\n", name, e, strerrorname_np(e));
    fflush(stdout);
  }
  return 0;
}

/* ---- showcaps ---- */

static int cmd_showcaps(int argc, char **argv)
{
  (void)argc, (void)argv;
  static const char *keys[]
      = { "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:" };
  FILE *f = fopen("/proc/self/status", "re");
  if (!f)
    die("/proc/self/status");
  char line[512];
  while (fgets(line, sizeof(line), f))
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
      if (!strncmp(line, keys[i], strlen(keys[i])))
        fputs(line, stdout);
  fclose(f);
  return 0;
}

/* ---- fdlist ---- */

static int cmd_fdlist(int argc, char **argv)
{
  (void)argc, (void)argv;
  DIR *d = opendir("/proc/self/fd");
  if (!d)
    die("/proc/self/fd");
  int self = dirfd(d);
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.' || atoi(de->d_name) == self)
      continue;
    char target[4096];
    ssize_t n = readlinkat(self, de->d_name, target, sizeof(target) - 1);
    target[n < 0 ? 0 : n] = '\0';
    printf("%s -> %s\n", de->d_name, target);
  }
  closedir(d);
  return 0;
}

/* ---- ids ---- */

static int cmd_ids(int argc, char **argv)
{
  (void)argc, (void)argv;
  gid_t groups[256];
  int n = getgroups(256, groups);
  mode_t mask = umask(0);
  umask(mask);
  printf("uid=%u euid=%u gid=%u egid=%u groups=", getuid(), geteuid(), getgid(), getegid());
  for (int i = 0; i < n; i++)
    printf("%s%u", i ? "," : "", groups[i]);
  printf(" umask=%04o\n", mask);
  return 0;
}

/* ---- sleep-forever ---- */

static int cmd_sleep_forever(int argc, char **argv)
{
  (void)argc, (void)argv;
  for (;;)
    pause();
  return 0;
}

/* ---- sigcatch: prints "ready", then "got SIGNAME" for the first signal and exits 0.
 * A pid 1 ignores signals it has no handler for, so forwarding tests need one.
 * Signals ignored by default stay ignored: Go runtimes (runc) forward their own
 * SIGURG preemption signals, and terminals send SIGWINCH. */

static void on_signal(int sig)
{
  char buf[64];
  int n = snprintf(buf, sizeof(buf), "got SIG%s\n", sigabbrev_np(sig));
  if (write(STDOUT_FILENO, buf, n) < 0)
    _exit(1);
  _exit(0);
}

static int cmd_sigcatch(int argc, char **argv)
{
  (void)argc, (void)argv;
  struct sigaction sa = { .sa_handler = on_signal };
  for (int s = 1; s < SIGRTMIN; s++)
    if (s != SIGKILL && s != SIGSTOP && s != SIGCHLD && s != SIGURG && s != SIGWINCH)
      sigaction(s, &sa, NULL);
  printf("ready\n");
  fflush(stdout);
  for (;;)
    pause();
  return 0;
}

/* ---- rlimits ---- */

static int cmd_rlimits(int argc, char **argv)
{
  (void)argc, (void)argv;
  static const struct {
    const char *name;
    int res;
  } lims[] = {
    { "RLIMIT_CPU", RLIMIT_CPU },           { "RLIMIT_FSIZE", RLIMIT_FSIZE },
    { "RLIMIT_DATA", RLIMIT_DATA },         { "RLIMIT_STACK", RLIMIT_STACK },
    { "RLIMIT_CORE", RLIMIT_CORE },         { "RLIMIT_RSS", RLIMIT_RSS },
    { "RLIMIT_NPROC", RLIMIT_NPROC },       { "RLIMIT_NOFILE", RLIMIT_NOFILE },
    { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },   { "RLIMIT_AS", RLIMIT_AS },
    { "RLIMIT_LOCKS", RLIMIT_LOCKS },       { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
    { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },
    { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },     { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  };
  for (size_t i = 0; i < sizeof(lims) / sizeof(lims[0]); i++) {
    struct rlimit rl;
    if (getrlimit(lims[i].res, &rl) < 0)
      die("getrlimit");
    char soft[32], hard[32];
    snprintf(soft, sizeof(soft), "%llu", (unsigned long long)rl.rlim_cur);
    snprintf(hard, sizeof(hard), "%llu", (unsigned long long)rl.rlim_max);
    printf("%s %s %s\n", lims[i].name, rl.rlim_cur == RLIM_INFINITY ? "unlimited" : soft,
           rl.rlim_max == RLIM_INFINITY ? "unlimited" : hard);
  }
  return 0;
}

/* ---- pid1 ---- */

static int cmd_pid1(int argc, char **argv)
{
  (void)argc, (void)argv;
  printf("pid=%d ppid=%d\n", getpid(), getppid());
  return 0;
}

/* ---- exit N / killself SIGNAL: exit statuses for run tests ---- */

static int cmd_exit(int argc, char **argv)
{
  return argc > 1 ? atoi(argv[1]) : 0;
}

static int cmd_killself(int argc, char **argv)
{
  int sig = argc > 1 ? atoi(argv[1]) : SIGKILL;
  signal(sig, SIG_DFL);
  raise(sig);
  /* Still here: a namespace's pid 1 does not receive its own signals. */
  fprintf(stderr, "payload: killself: signal %d did not kill pid %d\n", sig, getpid());
  return 125;
}

static const struct {
  const char *name;
  int (*fn)(int, char **);
} commands[] = {
  { "cpuburn", cmd_cpuburn },   { "memhog", cmd_memhog },
  { "forkbomb", cmd_forkbomb }, { "iowrite", cmd_iowrite },
  { "ioread", cmd_ioread },     { "trysyscall", cmd_trysyscall },
  { "showcaps", cmd_showcaps }, { "fdlist", cmd_fdlist },
  { "ids", cmd_ids },           { "sleep-forever", cmd_sleep_forever },
  { "sigcatch", cmd_sigcatch }, { "rlimits", cmd_rlimits },
  { "pid1", cmd_pid1 },         { "exitwith", cmd_exit },
  { "killself", cmd_killself },
};

int main(int argc, char **argv)
{
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *name = basename(argv[0]);
  if (!strcmp(name, "payload")) {
    if (argc < 2)
      usage_error("usage: payload CMD ARGS... | payload --list");
    if (!strcmp(argv[1], "--list")) {
      for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        puts(commands[i].name);
      return 0;
    }
    argv++, argc--;
    name = argv[0];
  }
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    if (!strcmp(commands[i].name, name))
      return commands[i].fn(argc, argv);
  fprintf(stderr, "payload: unknown command %s\n", name);
  return 2;
}
