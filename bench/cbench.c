/* cbench: the timing driver of the benchmark harness.
 *
 * Written in C with posix_spawn rather than Python's subprocess because the
 * fastest contenders finish a whole lifecycle in a few milliseconds: a Python
 * driver adds ~1 ms of fork/exec, pipe and GC jitter per command (four
 * commands per container), which would be a visible share of what we measure.
 * posix_spawn uses vfork-style cloning, so the driver's own cost per command
 * is tens of microseconds and does not depend on its heap size.
 *
 * The driver is a child subreaper: a runtime's `create` exits and leaves the
 * container's init behind, which is then re-parented to us, so the `wait`
 * step is a real waitpid() on the container process, and any monitor process
 * a runtime leaves behind shows up as our descendant.
 *
 *   cbench lifecycle ITERS WARMUP OUT BUNDLE RUNDIR CONTENDER...
 *   cbench density N OUT BUNDLE RUNDIR CONTENDER
 *
 * CONTENDER is one of
 *   rt:NAME:BIN:ROOT[:BUNDLE]  create, start, wait, delete (each timed)
 *   run:NAME:BIN:ROOT   one foreground `run` (plus delete if state is left)
 *   cmd:NAME:ARGV...    a plain command, argv split on spaces (the floors)
 *   cg:NAME:[CTRLS]     the cgroup floor: mkdir a cgroup in every hierarchy
 *                       (under our own), fork, attach the child through
 *                       cgroup.procs, exec /bin/true, wait, rmdir; CTRLS
 *                       (a,b,c) limits it to those v1 controllers
 *
 * lifecycle writes one TSV row per step: iter name step ns maxrss_kb cpu_us status.
 * density writes `key value` lines.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum kind { K_RT, K_RUN, K_CMD, K_CG };

struct contender {
  enum kind kind;
  char *name;
  char *bin;
  char *root;
  char *bundle;   /* K_RT/K_RUN: its own bundle, else the common one */
  char *only;     /* K_CG: controllers to use, NULL or empty for all */
  char *argv[32]; /* K_CMD only */
  int failures;
};

struct result {
  int64_t ns;
  long maxrss_kb;
  long cpu_us; /* user + system time of the command and its waited children */
  int status;  /* exit code, 128+sig, or -1 when the command could not run */
};

static void die(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("cbench: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(2);
}

static int64_t now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int decode_status(int st)
{
  if (WIFEXITED(st))
    return WEXITSTATUS(st);
  if (WIFSIGNALED(st))
    return 128 + WTERMSIG(st);
  return -1;
}

/* Spawns argv with stdin from /dev/null and stdout+stderr into log. */
static pid_t spawn(char *const argv[], const char *log)
{
  posix_spawn_file_actions_t fa;
  pid_t pid;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    errno = rc;
    return -1;
  }
  return pid;
}

static struct result run_cmd(char *const argv[], const char *log)
{
  struct result r = { .status = -1 };
  struct rusage ru;
  int st;
  int64_t t0 = now_ns();
  pid_t pid = spawn(argv, log);
  if (pid < 0)
    return r;
  while (wait4(pid, &st, 0, &ru) < 0)
    if (errno != EINTR)
      return r;
  r.ns = now_ns() - t0;
  r.maxrss_kb = ru.ru_maxrss;
  r.cpu_us = ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1000000L
             + ru.ru_stime.tv_usec;
  r.status = decode_status(st);
  return r;
}

static void show_log(const char *what, const char *log)
{
  char buf[2048];
  FILE *f = fopen(log, "r");
  fprintf(stderr, "cbench: %s failed:\n", what);
  if (!f)
    return;
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  buf[n] = 0;
  fclose(f);
  fprintf(stderr, "  %s\n", buf);
}

static pid_t read_pidfile(const char *path)
{
  FILE *f = fopen(path, "r");
  long pid = -1;
  if (!f)
    return -1;
  if (fscanf(f, "%ld", &pid) != 1)
    pid = -1;
  fclose(f);
  return (pid_t)pid;
}

/* State of /proc/PID: 0 gone, 'Z' zombie, other char running. */
static char proc_state(pid_t pid)
{
  char path[64], buf[512];
  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0)
    return 0;
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  return p && p[1] == ' ' ? p[2] : 0;
}

/* Waits for the container's init. It is normally our child (re-parented to
 * us as subreaper); if a runtime keeps it as the child of a monitor of its
 * own, fall back to polling /proc. */
static int wait_container(pid_t pid, long *cpu_us)
{
  int st;
  struct rusage ru;
  for (;;) {
    if (wait4(pid, &st, 0, &ru) == pid) {
      /* The init's CPU time includes the runtime's in-container setup
       * before the exec (runc init, cinch's child), not just /bin/true. */
      *cpu_us = ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1000000L
                + ru.ru_stime.tv_usec;
      return decode_status(st);
    }
    if (errno == EINTR)
      continue;
    break;
  }
  struct timespec d = { 0, 50000 };
  int64_t deadline = now_ns() + 30LL * 1000000000;
  while (now_ns() < deadline) {
    char s = proc_state(pid);
    if (s == 0 || s == 'Z')
      return 0;
    nanosleep(&d, NULL);
  }
  return -1;
}

/* Reaps whatever was re-parented to us and has exited; returns how many. */
static int reap_strays(void)
{
  int n = 0, st;
  while (waitpid(-1, &st, WNOHANG) > 0)
    n++;
  return n;
}

static void rt_argv(char **v, const struct contender *c, const char *verb)
{
  v[0] = c->bin;
  v[1] = "--root";
  v[2] = c->root;
  v[3] = (char *)verb;
}

static void force_delete(const struct contender *c, const char *id, const char *log)
{
  char *v[8];
  rt_argv(v, c, "delete");
  v[4] = "-f";
  v[5] = (char *)id;
  v[6] = NULL;
  run_cmd(v, log);
}

static int state_exists(const struct contender *c, const char *id, const char *log)
{
  char *v[8];
  rt_argv(v, c, "state");
  v[4] = (char *)id;
  v[5] = NULL;
  return run_cmd(v, log).status == 0;
}

static void emit(FILE *out, int iter, const char *name, const char *step, struct result r)
{
  if (out)
    fprintf(out, "%d\t%s\t%s\t%lld\t%ld\t%ld\t%d\n", iter, name, step, (long long)r.ns, r.maxrss_kb,
            r.cpu_us, r.status);
}

static void note_failure(struct contender *c, const char *step, const char *log)
{
  char what[256];
  if (++c->failures > 3)
    return;
  snprintf(what, sizeof(what), "%s %s", c->name, step);
  show_log(what, log);
}

/* --- the cgroup floor -------------------------------------------------- */

/* What every runtime pays for cgroups on this host whatever its code: one
 * directory per hierarchy, the child attached by writing its pid, removal. */
struct hierarchy {
  char dir[512]; /* our own cgroup in this hierarchy */
};

/* only: NULL for every hierarchy, else a comma list of controllers. */
static int wanted(const char *opts, const char *only)
{
  char list[256], *save = NULL;
  if (!only || !*only)
    return 1;
  snprintf(list, sizeof(list), "%s", only);
  for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    size_t n = strlen(t);
    for (const char *o = opts; (o = strstr(o, t)); o += n)
      if ((o == opts || o[-1] == ',') && (o[n] == ',' || o[n] == 0 || o[n] == '\n'))
        return 1;
  }
  return 0;
}

static int hierarchies(struct hierarchy *h, int max, const char *only)
{
  char line[1024], mnt[256], opts[512], type[32];
  int n = 0;
  FILE *mi = fopen("/proc/self/mountinfo", "r");
  if (!mi)
    return 0;
  while (n < max && fgets(line, sizeof(line), mi)) {
    char *sep = strstr(line, " - ");
    if (!sep || sscanf(line, "%*s %*s %*s %*s %255s", mnt) != 1
        || sscanf(sep + 3, "%31s %*s %511s", type, opts) != 2)
      continue;
    if (strcmp(type, "cgroup") && strcmp(type, "cgroup2"))
      continue;
    if (!strcmp(type, "cgroup") && !wanted(opts, only))
      continue;
    /* Our path in it, from /proc/self/cgroup: the line whose controller
     * list is one of the mount options (or 0:: for cgroup2). */
    char cl[1024], path[512] = "";
    FILE *pc = fopen("/proc/self/cgroup", "r");
    while (pc && fgets(cl, sizeof(cl), pc)) {
      char *c1 = strchr(cl, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
      if (!c2)
        continue;
      *c2 = 0;
      const char *ctrls = c1 + 1, *p = c2 + 1;
      int match = !strcmp(type, "cgroup2") ? *ctrls == 0 : *ctrls && strstr(opts, ctrls) != NULL;
      if (match) {
        snprintf(path, sizeof(path), "%s", p);
        path[strcspn(path, "\n")] = 0;
        break;
      }
    }
    if (pc)
      fclose(pc);
    /* v1: under our own cgroup, as runc and crun place relative paths here.
     * v2: under the root, where the controllers are enabled for children
     * (our own cgroup may hold processes and enable none). */
    if (!strcmp(type, "cgroup2"))
      path[0] = 0;
    snprintf(h[n].dir, sizeof(h[n].dir), "%s%s", mnt, strcmp(path, "/") ? path : "");
    n++;
  }
  fclose(mi);
  return n;
}

static void copy_knob(const char *from, const char *to, const char *knob)
{
  char path[8704], buf[256];
  snprintf(path, sizeof(path), "%s/%s", from, knob);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  ssize_t n = read(fd, buf, sizeof(buf));
  close(fd);
  if (n <= 0)
    return;
  snprintf(path, sizeof(path), "%s/%s", to, knob);
  fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  if (write(fd, buf, n) < 0) {
    /* the attach below fails and reports it */
  }
  close(fd);
}

static struct result cgroup_floor(const char *id, const char *only)
{
  struct hierarchy h[16];
  char d[8704], procs[8720], pid_s[32];
  struct result r = { .status = -1 };
  int n = hierarchies(h, 16, only), pfd[2];
  struct rusage self0;
  getrusage(RUSAGE_SELF, &self0);
  int64_t t0 = now_ns();
  for (int i = 0; i < n; i++) {
    snprintf(d, sizeof(d), "%s/%s", h[i].dir, id);
    if (mkdir(d, 0755) < 0)
      return r;
    /* A new v1 cpuset is empty and refuses tasks (ENOSPC) until it has
     * CPUs and memory nodes: copy the parent's, as runtimes do. */
    copy_knob(h[i].dir, d, "cpuset.cpus");
    copy_knob(h[i].dir, d, "cpuset.mems");
  }
  if (pipe2(pfd, O_CLOEXEC) < 0)
    return r;
  pid_t pid = fork();
  if (pid == 0) {
    char c;
    close(pfd[1]);
    if (read(pfd[0], &c, 1) != 1)
      _exit(127);
    execl("/bin/true", "true", (char *)NULL);
    _exit(127);
  }
  close(pfd[0]);
  snprintf(pid_s, sizeof(pid_s), "%d", (int)pid);
  int ok = pid > 0;
  for (int i = 0; ok && i < n; i++) {
    snprintf(procs, sizeof(procs), "%s/%s/cgroup.procs", h[i].dir, id);
    int fd = open(procs, O_WRONLY | O_CLOEXEC);
    ok = fd >= 0 && write(fd, pid_s, strlen(pid_s)) > 0;
    if (fd >= 0)
      close(fd);
  }
  if (write(pfd[1], "x", 1) != 1)
    ok = 0;
  close(pfd[1]);
  struct rusage ru = { 0 }, self1;
  int st = 0;
  if (pid > 0)
    wait4(pid, &st, 0, &ru);
  for (int i = 0; i < n; i++) {
    snprintf(d, sizeof(d), "%s/%s", h[i].dir, id);
    /* An exited task leaves the cgroup asynchronously on some kernels. */
    for (int k = 0; k < 1000 && rmdir(d) < 0 && errno == EBUSY; k++)
      usleep(100);
  }
  r.ns = now_ns() - t0;
  getrusage(RUSAGE_SELF, &self1);
  /* The driver's own mkdir/attach/rmdir work plus the child's. */
  r.cpu_us = ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1000000L
             + ru.ru_stime.tv_usec + (self1.ru_stime.tv_sec - self0.ru_stime.tv_sec) * 1000000L
             + (self1.ru_stime.tv_usec - self0.ru_stime.tv_usec);
  r.status = ok && pid > 0 ? decode_status(st) : -1;
  return r;
}

static void one_lifecycle(FILE *out, int iter, struct contender *c, const char *bundle,
                          const char *rundir)
{
  char id[96], pidfile[512], log[512];
  char *v[12];
  if (c->bundle)
    bundle = c->bundle;
  snprintf(id, sizeof(id), "cbench-%d-%d-%s", (int)getpid(), iter < 0 ? 1000 - iter : iter,
           c->name);
  snprintf(pidfile, sizeof(pidfile), "%s/%s.pid", rundir, id);
  snprintf(log, sizeof(log), "%s/%s.log", rundir, c->name);

  if (c->kind == K_CG) {
    struct result r = cgroup_floor(id, c->only);
    if (r.status != 0 && ++c->failures <= 3)
      fprintf(stderr, "cbench: cgroup floor failed: %s\n", strerror(errno));
    emit(out, iter, c->name, "total", r);
    return;
  }
  if (c->kind == K_CMD) {
    struct result r = run_cmd(c->argv, log);
    if (r.status != 0)
      note_failure(c, "command", log);
    emit(out, iter, c->name, "total", r);
    return;
  }
  if (c->kind == K_RUN) {
    rt_argv(v, c, "run");
    v[4] = "--bundle";
    v[5] = (char *)bundle;
    v[6] = id;
    v[7] = NULL;
    struct result r = run_cmd(v, log);
    if (r.status != 0)
      note_failure(c, "run", log);
    /* runc and crun delete on exit; a runtime that keeps state pays for
     * the delete inside the measurement. */
    int64_t t0 = now_ns();
    if (state_exists(c, id, log))
      force_delete(c, id, log);
    r.ns += now_ns() - t0;
    /* The container is our child's child here, so its CPU time is in cpu_us;
     * that is the same small /bin/true for every runtime. */
    reap_strays();
    emit(out, iter, c->name, "total", r);
    return;
  }

  struct result cr, sr, wr = { 0 }, dr, tot = { 0 };
  unlink(pidfile);
  rt_argv(v, c, "create");
  v[4] = "--bundle";
  v[5] = (char *)bundle;
  v[6] = "--pid-file";
  v[7] = pidfile;
  v[8] = id;
  v[9] = NULL;
  cr = run_cmd(v, log);
  if (cr.status != 0) {
    note_failure(c, "create", log);
    force_delete(c, id, log);
    emit(out, iter, c->name, "total", (struct result){ .status = cr.status });
    return;
  }
  pid_t init = read_pidfile(pidfile);
  rt_argv(v, c, "start");
  v[4] = id;
  v[5] = NULL;
  sr = run_cmd(v, log);
  if (sr.status != 0)
    note_failure(c, "start", log);
  int64_t t0 = now_ns();
  wr.status = init > 0 ? wait_container(init, &wr.cpu_us) : -1;
  wr.ns = now_ns() - t0;
  rt_argv(v, c, "delete");
  v[4] = id;
  v[5] = NULL;
  dr = run_cmd(v, log);
  if (dr.status != 0) {
    note_failure(c, "delete", log);
    force_delete(c, id, log);
  }
  reap_strays();
  unlink(pidfile);
  tot.ns = cr.ns + sr.ns + wr.ns + dr.ns;
  tot.cpu_us = cr.cpu_us + sr.cpu_us + wr.cpu_us + dr.cpu_us;
  tot.maxrss_kb = cr.maxrss_kb;
  if (sr.maxrss_kb > tot.maxrss_kb)
    tot.maxrss_kb = sr.maxrss_kb;
  if (dr.maxrss_kb > tot.maxrss_kb)
    tot.maxrss_kb = dr.maxrss_kb;
  tot.status = cr.status ? cr.status : sr.status ? sr.status : wr.status ? wr.status : dr.status;
  emit(out, iter, c->name, "create", cr);
  emit(out, iter, c->name, "start", sr);
  emit(out, iter, c->name, "wait", wr);
  emit(out, iter, c->name, "delete", dr);
  emit(out, iter, c->name, "total", tot);
}

static void parse_contender(struct contender *c, char *s)
{
  char *kind = strsep(&s, ":");
  memset(c, 0, sizeof(*c));
  c->name = strsep(&s, ":");
  if (!c->name || !s)
    die("bad contender (want kind:name:...)");
  if (strcmp(kind, "cg") == 0) {
    c->kind = K_CG;
    c->only = s;
    return;
  }
  if (strcmp(kind, "cmd") == 0) {
    c->kind = K_CMD;
    int n = 0;
    char *tok;
    while ((tok = strsep(&s, " ")) && n < 31)
      if (*tok)
        c->argv[n++] = tok;
    c->argv[n] = NULL;
    return;
  }
  if (strcmp(kind, "rt") == 0)
    c->kind = K_RT;
  else if (strcmp(kind, "run") == 0)
    c->kind = K_RUN;
  else
    die("unknown contender kind %s", kind);
  c->bin = strsep(&s, ":");
  c->root = strsep(&s, ":");
  c->bundle = s;
  if (!c->bin || !c->root)
    die("contender %s: want %s:NAME:BIN:ROOT", c->name, kind);
  mkdir(c->root, 0700);
}

static int cmd_lifecycle(int argc, char **argv)
{
  if (argc < 7)
    die("usage: cbench lifecycle ITERS WARMUP OUT BUNDLE RUNDIR CONTENDER...");
  int iters = atoi(argv[2]), warmup = atoi(argv[3]);
  FILE *out = fopen(argv[4], "w");
  const char *bundle = argv[5], *rundir = argv[6];
  int nc = argc - 7;
  struct contender *cs = calloc(nc, sizeof(*cs));
  if (!out || !cs)
    die("cannot open %s", argv[4]);
  for (int i = 0; i < nc; i++)
    parse_contender(&cs[i], argv[7 + i]);
  fprintf(out, "iter\tname\tstep\tns\tmaxrss_kb\tcpu_us\tstatus\n");
  /* Interleave: every iteration runs each contender once, in a fresh random
   * order, so drift in machine load hits all alike. Random, not rotated:
   * attaching to a cgroup waits for an RCU grace period unless another
   * attach happened just before, so a fixed neighbour (a cgroup floor
   * right before a runtime) would hand that runtime free grace periods.
   * The gap lets the kernel's grace-period state settle between them. */
  int *order = calloc(nc, sizeof(int));
  const char *gap_env = getenv("CBENCH_GAP_MS");
  long gap_ms = gap_env ? atol(gap_env) : 50;
  srand(12345);
  for (int it = -warmup; it < iters; it++) {
    for (int k = 0; k < nc; k++)
      order[k] = k;
    for (int k = nc - 1; k > 0; k--) {
      int j = rand() % (k + 1), t = order[k];
      order[k] = order[j];
      order[j] = t;
    }
    for (int k = 0; k < nc; k++) {
      struct contender *c = &cs[order[k]];
      if (gap_ms > 0)
        usleep(gap_ms * 1000);
      one_lifecycle(it < 0 ? NULL : out, it, c, bundle, rundir);
    }
    if (it >= 0 && ((it + 1) % (iters >= 100 ? 25 : 5) == 0 || iters < 10))
      fprintf(stderr, "  lifecycle: %d/%d\n", it + 1, iters);
  }
  fclose(out);
  int bad = 0;
  for (int i = 0; i < nc; i++)
    bad += cs[i].failures;
  return bad ? 1 : 0;
}

/* --- density --------------------------------------------------------- */

static long rss_kb(pid_t pid)
{
  char path[64], line[256];
  long kb = 0;
  snprintf(path, sizeof(path), "/proc/%d/status", pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return 0;
  while (fgets(line, sizeof(line), f))
    if (sscanf(line, "VmRSS: %ld", &kb) == 1)
      break;
  fclose(f);
  return kb;
}

static pid_t ppid_of(pid_t pid)
{
  char path[64], buf[512];
  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0)
    return -1;
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  int ppid = -1;
  if (p)
    sscanf(p + 2, "%*c %d", &ppid);
  return ppid;
}

static int in_set(pid_t p, const pid_t *set, int n)
{
  for (int i = 0; i < n; i++)
    if (set[i] == p)
      return 1;
  return 0;
}

/* Processes that descend from us but not from a container init: what a
 * runtime leaves running per container (a monitor, a shim). */
static void leftovers(FILE *out, const pid_t *inits, int ninit)
{
  DIR *d = opendir("/proc");
  struct dirent *e;
  pid_t self = getpid();
  int count = 0;
  long total = 0;
  while (d && (e = readdir(d))) {
    pid_t p = atoi(e->d_name);
    if (p <= 0 || p == self || proc_state(p) == 'Z')
      continue;
    pid_t q = p;
    int ours = 0, contained = 0;
    for (int depth = 0; q > 1 && depth < 64; depth++) {
      if (in_set(q, inits, ninit))
        contained = 1;
      q = ppid_of(q);
      if (q == self) {
        ours = 1;
        break;
      }
    }
    if (!ours || contained)
      continue;
    char path[64], comm[64] = "?";
    snprintf(path, sizeof(path), "/proc/%d/comm", p);
    FILE *f = fopen(path, "r");
    if (f) {
      if (fgets(comm, sizeof(comm), f))
        comm[strcspn(comm, "\n")] = 0;
      fclose(f);
    }
    long kb = rss_kb(p);
    fprintf(out, "leftover_process %d %s %ld\n", p, comm, kb);
    count++;
    total += kb;
  }
  if (d)
    closedir(d);
  fprintf(out, "leftover_count %d\nleftover_rss_kb %ld\n", count, total);
  long crss = 0;
  for (int i = 0; i < ninit; i++)
    crss += rss_kb(inits[i]);
  fprintf(out, "container_rss_kb %ld\n", crss);
}

static int cmd_density(int argc, char **argv)
{
  if (argc != 7)
    die("usage: cbench density N OUT BUNDLE RUNDIR CONTENDER");
  int n = atoi(argv[2]);
  FILE *out = fopen(argv[3], "w");
  const char *bundle = argv[4], *rundir = argv[5];
  struct contender c;
  parse_contender(&c, argv[6]);
  if (c.kind != K_RT || !out || n <= 0)
    die("density wants an rt: contender and N > 0");
  pid_t *pids = calloc(n, sizeof(pid_t)), *inits = calloc(n, sizeof(pid_t));
  char(*ids)[96] = calloc(n, 96);
  char log[512], pidfile[512];
  char *v[12];
  for (int i = 0; i < n; i++)
    snprintf(ids[i], 96, "cbench-%d-d%d-%s", (int)getpid(), i, c.name);

  int64_t t0 = now_ns();
  for (int i = 0; i < n; i++) {
    snprintf(log, sizeof(log), "%s/%s.log", rundir, ids[i]);
    snprintf(pidfile, sizeof(pidfile), "%s/%s.pid", rundir, ids[i]);
    rt_argv(v, &c, "run");
    v[4] = "-d";
    v[5] = "--bundle";
    v[6] = (char *)bundle;
    v[7] = "--pid-file";
    v[8] = pidfile;
    v[9] = ids[i];
    v[10] = NULL;
    pids[i] = spawn(v, log);
  }
  int failures = 0, shown = 0;
  long maxrss = 0;
  for (int i = 0; i < n; i++) {
    int st;
    struct rusage ru;
    if (pids[i] < 0 || wait4(pids[i], &st, 0, &ru) < 0 || decode_status(st) != 0) {
      failures++;
      snprintf(log, sizeof(log), "%s/%s.log", rundir, ids[i]);
      if (shown++ < 3)
        show_log(ids[i], log);
      continue;
    }
    if (ru.ru_maxrss > maxrss)
      maxrss = ru.ru_maxrss;
  }
  int64_t wall = now_ns() - t0;

  /* Let a runtime's detached helpers settle before looking for them. */
  usleep(200000);
  int ninit = 0;
  for (int i = 0; i < n; i++) {
    snprintf(pidfile, sizeof(pidfile), "%s/%s.pid", rundir, ids[i]);
    pid_t p = read_pidfile(pidfile);
    if (p > 0 && proc_state(p) != 0 && proc_state(p) != 'Z')
      inits[ninit++] = p;
  }
  fprintf(out, "n %d\nwall_ns %lld\nfailures %d\nrunning %d\nmaxrss_kb %ld\n", n, (long long)wall,
          failures, ninit, maxrss);
  leftovers(out, inits, ninit);

  int64_t t1 = now_ns();
  for (int i = 0; i < n; i++) {
    snprintf(log, sizeof(log), "%s/%s.log", rundir, ids[i]);
    force_delete(&c, ids[i], log);
    snprintf(pidfile, sizeof(pidfile), "%s/%s.pid", rundir, ids[i]);
    unlink(pidfile);
    unlink(log);
    reap_strays();
  }
  fprintf(out, "teardown_ns %lld\n", (long long)(now_ns() - t1));
  /* Wait briefly for killed inits re-parented to us. */
  for (int k = 0; k < 50 && reap_strays() >= 0; k++) {
    int alive = 0;
    for (int i = 0; i < ninit; i++)
      if (proc_state(inits[i]) && proc_state(inits[i]) != 'Z')
        alive++;
    if (!alive)
      break;
    usleep(20000);
  }
  reap_strays();
  fclose(out);
  return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
  if (argc < 2)
    die("usage: cbench lifecycle|density ...");
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
    die("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
  signal(SIGPIPE, SIG_IGN);
  if (strcmp(argv[1], "lifecycle") == 0)
    return cmd_lifecycle(argc, argv);
  if (strcmp(argv[1], "density") == 0)
    return cmd_density(argc, argv);
  die("unknown mode %s", argv[1]);
}
