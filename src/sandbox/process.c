/* The last steps before the container's program runs: limits, the user, the
   capabilities, no_new_privs, seccomp, and execve with the program resolved
   against the container's PATH. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/sync.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

_Noreturn void sandbox_fail(int sync_fd, cn_error_t *err)
{
  const char *msg = err && *err ? (*err)->msg : "unknown error";
  cn_error_t e2 = NULL;
  if (sync_fd < 0 || sync_send(sync_fd, SYNC_ERROR, msg, &e2) < 0) {
    /* Nobody listens any more (after `start`): the container's stderr is
       the only place left. */
    dprintf(2, "cinch: %s\n", msg);
  }
  _exit(1);
}

void reset_signals(void)
{
  /* The runtime may block or ignore signals for its own reasons (a
     foreground runtime blocks the ones it forwards); neither survives into
     the container, where execve would keep both. */
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int sig = 1; sig < NSIG; sig++) {
    struct sigaction sa;
    if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
      signal(sig, SIG_DFL);
  }
}

int close_other_fds(int preserve_fds, int keep1, int keep2, cn_error_t *err)
{
  unsigned first = 3 + (unsigned)(preserve_fds > 0 ? preserve_fds : 0);
  int keep[2] = { keep1 < keep2 ? keep1 : keep2, keep1 < keep2 ? keep2 : keep1 };
  for (int i = 0; i < 2; i++) {
    if (keep[i] < 0 || (unsigned)keep[i] < first)
      continue;
    if ((unsigned)keep[i] > first && close_range(first, (unsigned)keep[i] - 1, 0) < 0)
      return cn_error_errno(err, errno, "close_range");
    first = (unsigned)keep[i] + 1;
  }
  if (close_range(first, ~0U, 0) < 0)
    return cn_error_errno(err, errno, "close_range");
  return 0;
}

static const char *env_get(char *const *env, const char *key)
{
  size_t n = strlen(key);
  for (; env && *env; env++)
    if (strncmp(*env, key, n) == 0 && (*env)[n] == '=')
      return *env + n + 1;
  return NULL;
}

/* HOME from the container's /etc/passwd, as Docker does (never NSS). */
static char *home_of(uid_t uid)
{
  _cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  while (f && getline(&line, &cap, f) > 0) {
    char *fields[7];
    char *s = line;
    int n = 0;
    for (; n < 7; n++) {
      fields[n] = strsep(&s, ":");
      if (!fields[n])
        break;
    }
    if (n < 6 || strtoul(fields[2], NULL, 10) != uid)
      continue;
    return xstrdup(fields[5]);
  }
  return xstrdup("/");
}

static char *resolve_exe(const char *arg0, const char *path)
{
  if (strchr(arg0, '/'))
    return access(arg0, X_OK) == 0 ? xstrdup(arg0) : NULL;
  _cleanup_free_ char *copy = xstrdup(path ? path : DEFAULT_PATH);
  char *save = NULL;
  for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
    _cleanup_free_ char *cand = xasprintf("%s/%s", *dir ? dir : ".", arg0);
    struct stat st;
    if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
      return steal_pointer(&cand);
  }
  return NULL;
}

int process_prepare(struct process_ctx *pc, cn_error_t *err)
{
  const struct spec_process *p = pc->p;
  if (!p->args || !p->args[0])
    return cn_error_set(err, EINVAL, "process.args: empty");
  pc->env = cn_strv_dup(p->env);
  if (!env_get(pc->env, "HOME")) {
    _cleanup_free_ char *home = home_of(p->user.uid);
    _cleanup_free_ char *kv = xasprintf("HOME=%s", home);
    cn_strv_push(&pc->env, kv);
  }
  const char *cwd = p->cwd && *p->cwd ? p->cwd : "/";
  if (chdir(cwd) < 0)
    return cn_error_errno(err, errno, "process.cwd: chdir %s", cwd);
  /* A cwd reached through a leaked fd would sit outside our root
     (CVE-2024-21626): the kernel then reports it as unreachable. */
  char buf[PATH_MAX];
  if (!getcwd(buf, sizeof buf) || buf[0] != '/')
    return cn_error_set(err, EPERM, "process.cwd: %s is outside the container", cwd);
  pc->exe = resolve_exe(p->args[0], env_get(pc->env, "PATH"));
  /* Lower-case errno words as runc (Go) writes them: the docker CLI matches
     "no such file or directory" and "permission denied" case-sensitively in
     the runtime's error to exit 127 / 126 instead of 125. */
  if (!pc->exe && strchr(p->args[0], '/') && access(p->args[0], F_OK) == 0)
    return cn_error_set(err, EACCES, "process.args[0]: exec: \"%s\": permission denied",
                        p->args[0]);
  if (!pc->exe)
    return cn_error_set(err, ENOENT,
                        "process.args[0]: executable \"%s\" not found in $PATH: "
                        "no such file or directory",
                        p->args[0]);
  const struct spec *spec = pc->spec;
  if (spec && spec->has_linux && spec->linux_.has_seccomp
      && seccomp_build(&spec->linux_.seccomp, &pc->filter, err) < 0)
    return -1;
  return 0;
}

int process_limits(const struct spec_process *p, cn_error_t *err)
{
  if (p->has_oom_score_adj) {
    char v[16];
    snprintf(v, sizeof v, "%d", p->oom_score_adj);
    if (cn_write_file("/proc/self/oom_score_adj", v, err) < 0)
      return cn_error_wrap(err, "process.oomScoreAdj");
  }
  for (size_t i = 0; i < p->n_rlimits; i++) {
    struct rlimit rl = { .rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard };
    if (setrlimit((__rlimit_resource_t)p->rlimits[i].type, &rl) < 0)
      return cn_error_errno(err, errno, "process.rlimits[%zu] (%s %llu/%llu)", i,
                            spec_rlimit_name(p->rlimits[i].type),
                            (unsigned long long)p->rlimits[i].soft,
                            (unsigned long long)p->rlimits[i].hard);
  }
  return 0;
}

static int set_user(const struct spec_user *u, cn_error_t *err)
{
  /* Supplementary groups are not ours to set when setgroups is denied in
     the user namespace (rootless); that is the only tolerated failure. */
  if (setgroups(u->n_additional_gids, (const gid_t *)u->additional_gids) < 0) {
    bool denied = false;
    char *s = NULL;
    cn_error_t e = NULL;
    if (cn_read_file("/proc/self/setgroups", &s, NULL, &e) == 0)
      denied = strncmp(s, "deny", 4) == 0;
    cn_error_release(&e);
    free(s);
    if (!denied || u->n_additional_gids)
      return cn_error_errno(err, errno, "process.user.additionalGids: setgroups");
  }
  if (setresgid(u->gid, u->gid, u->gid) < 0)
    return cn_error_errno(err, errno, "process.user.gid: setgid %u", u->gid);
  if (setresuid(u->uid, u->uid, u->uid) < 0)
    return cn_error_errno(err, errno, "process.user.uid: setuid %u", u->uid);
  return 0;
}

int process_exec(struct process_ctx *pc, cn_error_t *err)
{
  const struct spec_process *p = pc->p;
  void *filter = pc->filter;

  /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it while
     we still have it.  With it, load it last so it judges only the program. */
  if (filter && !p->no_new_privileges && seccomp_load_ctx(filter, err) < 0)
    return -1;
  if (p->has_caps) {
    if (caps_drop_bounding(&p->caps, err) < 0)
      return -1;
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
      return cn_error_errno(err, errno, "prctl PR_SET_KEEPCAPS");
  }
  if (set_user(&p->user, err) < 0)
    return -1;
  umask(p->user.has_umask ? p->user.umask : 022);
  if (p->has_caps) {
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
      return cn_error_errno(err, errno, "prctl PR_SET_KEEPCAPS");
    if (caps_apply(&p->caps, err) < 0)
      return -1;
  }
  if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return cn_error_errno(err, errno, "process.noNewPrivileges");
  if (filter && p->no_new_privileges && seccomp_load_ctx(filter, err) < 0)
    return -1;
  execve(pc->exe, p->args, pc->env);
  return cn_error_errno(err, errno, "exec %s", pc->exe);
}
