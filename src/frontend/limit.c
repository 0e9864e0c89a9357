/* `cinch limit [resource flags] -- CMD...`: cgexec with Docker's flags.
   The command runs on the host, without any isolation, in a fresh cgroup
   made by the same cgroup_create() (and so the same validation and
   conversions) as a container's.  OOM kills and refused forks are reported
   as they happen; the cgroup is removed when the command ends; the exit
   status is the command's (128+N for signal N). */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "frontend/fe.h"
#include "spec/spec.h"

static const char limit_usage[]
    = "Usage: cinch limit [RESOURCE OPTIONS] [--] COMMAND [ARG...]\n\n"
      "Run a host command in a fresh cgroup with `cinch run`'s resource flags and\n"
      "no isolation (like cgexec).  OOM kills and forks refused by --pids-limit are\n"
      "reported on stderr; the cgroup is removed at the end; the exit status is the\n"
      "command's (128+N when killed by signal N, 137 after an OOM kill).\n\n"
      "      --cpus, --cpu-period, --cpu-quota, -c/--cpu-shares, --cpuset-cpus,\n"
      "      --cpuset-mems, --cpu-rt-period, --cpu-rt-runtime, -m/--memory,\n"
      "      --memory-swap, --memory-reservation, --memory-swappiness,\n"
      "      --kernel-memory, --oom-kill-disable, --pids-limit, --blkio-weight,\n"
      "      --blkio-weight-device, --device-read-bps, --device-write-bps,\n"
      "      --device-read-iops, --device-write-iops   as for `cinch run`\n";

static uint64_t pids_hits(struct cgroup *cg)
{
  _cleanup_(json_object_putp) struct json_object *d = NULL;
  _cleanup_error_ cn_error_t e = NULL;
  struct json_object *p, *f;
  if (cgroup_stats(cg, &d, &e) < 0)
    return 0;
  if (json_object_object_get_ex(d, "pids", &p) && json_object_object_get_ex(p, "failcnt", &f))
    return (uint64_t)json_object_get_int64(f);
  return 0;
}

static void cgroup_freep(struct cgroup **cg)
{
  if (*cg) {
    _cleanup_error_ cn_error_t e = NULL;
    if (cgroup_destroy(*cg, &e) < 0)
      fprintf(stderr, "cinch limit: %s\n", e->msg);
    cgroup_free(*cg);
  }
}

int fe_cmd_limit(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  _cleanup_(fe_resources_clear) struct fe_resources res = { 0 };
  int next = 0;
  int pr = fe_resources_parse(g, argc, argv, &res, &next, err);
  if (pr < 0)
    return -1;
  if (pr > 0) {
    fputs(limit_usage, stdout);
    return 0;
  }
  if (next < argc && strcmp(argv[next], "--") == 0)
    next++;
  if (next >= argc)
    return cn_error_set(err, EINVAL, "\"limit\" requires a command.\nSee 'cinch limit --help'.");
  if (fe_resources_validate(&res, false, err) < 0)
    return -1;
  _cleanup_(json_object_putp) struct json_object *rj = fe_resources_json(&res);
  struct spec_resources sr = { 0 };
  if (spec_parse_resources_string(json_object_to_json_string(rj), &sr, err) < 0)
    return -1;
  _cleanup_free_ char *id = xasprintf("cinch-limit-%d", (int)getpid());
  struct cgroup_create_opts co = { .id = id, .resources = &sr };
  _cleanup_(cgroup_freep) struct cgroup *cg = NULL;
  int r = cgroup_create(&co, &cg, err);
  spec_resources_clear(&sr);
  if (r < 0)
    return -1;

  int go[2];
  if (pipe2(go, O_CLOEXEC) < 0)
    return cn_error_errno(err, errno, "pipe");
  static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
  sigset_t set, old;
  sigemptyset(&set);
  for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
    sigaddset(&set, forwarded[i]);
  sigprocmask(SIG_BLOCK, &set, &old);
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    return cn_error_errno(err, errno, "fork");
  }
  if (pid == 0) {
    /* Wait until we are in the cgroup, then become the command. */
    close(go[1]);
    char b;
    if (read(go[0], &b, 1) != 1)
      _exit(125);
    sigprocmask(SIG_SETMASK, &old, NULL);
    execvp(argv[next], argv + next);
    int e = errno;
    fprintf(stderr, "cinch limit: exec %s: %s\n", argv[next], strerror(e));
    _exit(e == ENOENT ? 127 : 126);
  }
  close(go[0]);
  if (cgroup_enter(cg, pid, err) < 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(go[1]);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return -1;
  }
  uint64_t oom0 = 0, pids0 = pids_hits(cg);
  {
    _cleanup_error_ cn_error_t e = NULL;
    cgroup_oom_kills(cg, &oom0, &e);
  }
  if (write(go[1], "g", 1) != 1) {
    close(go[1]);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return cn_error_errno(err, errno, "start %s", argv[next]);
  }
  close(go[1]);

  _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  _cleanup_close_ int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
  _cleanup_close_ int oom_fd = -1;
  {
    _cleanup_error_ cn_error_t e = NULL;
    if (cgroup_oom_watch(cg, &oom_fd, &e) < 0)
      oom_fd = -1;
  }
  uint64_t oom_seen = oom0, pids_seen = pids0;
  for (;;) {
    struct pollfd p[3] = { { .fd = pfd, .events = POLLIN },
                           { .fd = sfd, .events = POLLIN },
                           { .fd = oom_fd, .events = POLLIN } };
    int n = poll(p, 3, 500);
    if (n < 0 && errno != EINTR)
      break;
    if (p[1].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) == sizeof si)
        kill(pid, (int)si.ssi_signo);
    }
    if (p[2].revents & POLLIN) {
      char buf[4096];
      if (read(oom_fd, buf, sizeof buf) < 0)
        oom_fd = -1;
    }
    uint64_t k = oom_seen;
    _cleanup_error_ cn_error_t e = NULL;
    if (cgroup_oom_kills(cg, &k, &e) == 0 && k > oom_seen) {
      fprintf(stderr,
              "cinch limit: oom: the OOM killer killed %llu process(es) of the command "
              "(memory limit reached)\n",
              (unsigned long long)(k - oom_seen));
      oom_seen = k;
    }
    uint64_t h = pids_hits(cg);
    if (h > pids_seen) {
      fprintf(stderr, "cinch limit: pids-limit: %llu fork(s) refused by --pids-limit\n",
              (unsigned long long)(h - pids_seen));
      pids_seen = h;
    }
    if (pfd < 0 || (p[0].revents & POLLIN))
      break;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  sigprocmask(SIG_SETMASK, &old, NULL);
  uint64_t k = oom_seen;
  {
    _cleanup_error_ cn_error_t e = NULL;
    if (cgroup_oom_kills(cg, &k, &e) == 0 && k > oom_seen) {
      fprintf(stderr,
              "cinch limit: oom: the OOM killer killed %llu process(es) of the command "
              "(memory limit reached)\n",
              (unsigned long long)(k - oom_seen));
      oom_seen = k;
    }
  }
  int code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  if (oom_seen > oom0)
    fprintf(stderr, "cinch limit: %s was OOM-killed (exit status %d)\n", argv[next], code);
  return code;
}
