/* The processes of a container's cgroup: listing, freezing, signalling, and
   removing the directories once they are gone. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* The directory whose cgroup.procs lists the container's processes. */
static const char *main_dir(const struct cgroup *cg)
{
  if (cg->layout == CGROUP_LAYOUT_V2)
    return cg->unified;
  static const enum cg_ctrl pref[] = { CG_FREEZER, CG_PIDS, CG_MEMORY, CG_CPU, CG_DEVICES };
  for (size_t i = 0; i < sizeof pref / sizeof *pref; i++)
    if (cg->v1[pref[i]])
      return cg->v1[pref[i]];
  for (int c = 0; c < CG__N; c++)
    if (cg->v1[c])
      return cg->v1[c];
  return cg->unified;
}

static int read_pids(const char *dir, pid_t **pids, size_t *n, cn_error_t *err)
{
  _cleanup_free_ char *s = NULL;
  if (cg_read(dir, "cgroup.procs", &s, err) < 0)
    return -1;
  size_t cap = 16, k = 0;
  pid_t *v = xmalloc(cap * sizeof *v);
  for (char *p = s; *p;) {
    char *end;
    long x = strtol(p, &end, 10);
    if (end == p)
      break;
    if (k == cap)
      v = xrealloc(v, (cap *= 2) * sizeof *v);
    v[k++] = (pid_t)x;
    p = end;
    while (*p == '\n')
      p++;
  }
  *pids = v;
  *n = k;
  return 0;
}

int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n, cn_error_t *err)
{
  const char *d = main_dir(cg);
  if (!d)
    return cn_error_set(err, ENOENT, "cgroup: no directory");
  return read_pids(d, pids, n, err);
}

static const char *freezer_dir(const struct cgroup *cg, bool *v1)
{
  *v1 = cg->v1[CG_FREEZER] != NULL;
  return *v1 ? cg->v1[CG_FREEZER] : cg->unified;
}

int cgroup_is_frozen(struct cgroup *cg, bool *frozen, cn_error_t *err)
{
  bool v1;
  const char *d = freezer_dir(cg, &v1);
  _cleanup_free_ char *s = NULL;
  if (!d)
    return cn_error_set(err, EOPNOTSUPP, "cgroup: no freezer on this host");
  if (cg_read(d, v1 ? "freezer.state" : "cgroup.freeze", &s, err) < 0)
    return -1;
  *frozen = v1 ? strncmp(s, "FROZEN", 6) == 0 : s[0] == '1';
  return 0;
}

int cgroup_freeze(struct cgroup *cg, bool freeze, cn_error_t *err)
{
  bool v1;
  const char *d = freezer_dir(cg, &v1);
  if (!d)
    return cn_error_set(err, EOPNOTSUPP, "cgroup: no freezer on this host");
  const char *want = v1 ? (freeze ? "FROZEN" : "THAWED") : (freeze ? "1" : "0");
  if (cg_write(d, v1 ? "freezer.state" : "cgroup.freeze", want, err) < 0)
    return -1;
  /* v1 can stay FREEZING while a task sleeps uninterruptibly; thawing and
     refreezing now and then gets past it.  ~10 s in all. */
  for (int i = 0; i < 5000; i++) {
    _cleanup_free_ char *s = NULL;
    if (v1) {
      if (cg_read(d, "freezer.state", &s, err) < 0)
        return -1;
      if (strncmp(s, want, strlen(want)) == 0)
        return 0;
      if (freeze && i % 50 == 49) {
        if (cg_write(d, "freezer.state", "THAWED", err) < 0
            || cg_write(d, "freezer.state", "FROZEN", err) < 0)
          return -1;
      }
    } else {
      if (cg_read(d, "cgroup.events", &s, err) < 0)
        return -1;
      if (cg_keyed(s, "frozen") == (freeze ? 1u : 0u))
        return 0;
    }
    cg_sleep_ms(2);
  }
  if (freeze) {
    _cleanup_error_ cn_error_t e2 = NULL;
    cg_write(d, v1 ? "freezer.state" : "cgroup.freeze", v1 ? "THAWED" : "0", &e2);
  }
  return cn_error_set(err, ETIMEDOUT, "cgroup %s: timed out waiting to become %s", d,
                      freeze ? "frozen" : "thawed");
}

static int signal_each(const char *dir, int sig, cn_error_t *err)
{
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (read_pids(dir, &pids, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (kill(pids[i], sig) < 0 && errno != ESRCH)
      return cn_error_errno(err, errno, "kill %d", (int)pids[i]);
  return 0;
}

int cgroup_kill_all(struct cgroup *cg, int sig, cn_error_t *err)
{
  if (sig == SIGKILL && cg->unified && cg_file_exists(cg->unified, "cgroup.kill")) {
    if (cg_write(cg->unified, "cgroup.kill", "1", err) < 0)
      return -1;
    if (cg->layout == CGROUP_LAYOUT_V2)
      return 0;
  }
  const char *d = main_dir(cg);
  if (!d || !cn_path_exists(d))
    return 0;
  /* Freezing first stops the set from changing under the loop. */
  bool was_frozen = false, can_freeze = true;
  _cleanup_error_ cn_error_t e2 = NULL;
  if (cgroup_is_frozen(cg, &was_frozen, &e2) < 0)
    can_freeze = false;
  if (can_freeze && !was_frozen && cgroup_freeze(cg, true, &e2) < 0)
    can_freeze = false;
  int r = signal_each(d, sig, err);
  /* The container may end and be deleted (its monitor reaps it) while we
     signal: a cgroup that is gone has nothing left to kill. */
  if (r < 0 && err && *err && (*err)->status == ENOENT) {
    cn_error_release(err);
    r = 0;
  }
  if (can_freeze && !was_frozen) {
    cn_error_release(&e2);
    cgroup_freeze(cg, false, &e2);
  }
  return r;
}

/* ---- destroy ---- */

static int remove_dir(struct cgroup *cg, const char *d, cn_error_t *err)
{
  for (int i = 0; i < 1000; i++) {
    if (rmdir(d) == 0 || errno == ENOENT)
      return 0;
    if (errno != EBUSY)
      return cn_error_errno(err, errno, "remove cgroup %s", d);
    /* Leftovers (or a dying OOM victim): kill what is there and retry. */
    _cleanup_error_ cn_error_t e2 = NULL;
    if (i % 10 == 0) {
      if (cg->unified && cg_file_exists(cg->unified, "cgroup.kill"))
        cg_write(cg->unified, "cgroup.kill", "1", &e2);
      cn_error_release(&e2);
      if (cg_file_exists(d, "freezer.state"))
        cg_write(d, "freezer.state", "THAWED", &e2);
      cn_error_release(&e2);
      signal_each(d, SIGKILL, &e2);
    }
    cg_sleep_ms(i < 50 ? 2 : 10);
  }
  return cn_error_set(err, EBUSY, "remove cgroup %s: still busy after killing its processes", d);
}

int cgroup_destroy(struct cgroup *cg, cn_error_t *err)
{
  const char *dirs[CG__N + 1];
  size_t n = cg_dirs(cg, dirs, CG__N + 1);
  int r = 0;
  for (size_t i = 0; i < n; i++)
    if (remove_dir(cg, dirs[i], r < 0 ? NULL : err) < 0)
      r = -1;
  cg_rmdir_made(cg);
  return r;
}
