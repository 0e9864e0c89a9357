/* The life of a container's cgroup: validate, make, apply, enter, destroy,
   and its record in the state directory. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strv.h"

static void sleep_ms(long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep(&ts, NULL);
}

/* v1 cpusets start empty and an empty cpuset refuses tasks (ENOSPC). */
static int cpuset_copy_parent(const char *dir, cn_error_t *err)
{
  _cleanup_free_ char *parent = xstrdup(dir);
  *strrchr(parent, '/') = '\0';
  for (const char *const *f = (const char *const[]){ "cpuset.cpus", "cpuset.mems", NULL }; *f;
       f++) {
    _cleanup_free_ char *mine = NULL, *theirs = NULL;
    if (cg_read(dir, *f, &mine, err) < 0)
      return -1;
    if (mine[strspn(mine, " \n")] != '\0')
      continue;
    if (cg_read(parent, *f, &theirs, err) < 0 || cg_write(dir, *f, theirs, err) < 0)
      return -1;
  }
  return 0;
}

/* Enables every controller the parent offers in its subtree_control, one at
   a time: a parent that holds processes refuses (no internal processes), and
   the keys that needed the controller then fail with a message naming it. */
static void v2_enable_controllers(const char *parent, char **want)
{
  _cleanup_free_ char *have = NULL, *on = NULL;
  _cleanup_error_ cn_error_t e = NULL;
  if (cg_read(parent, "cgroup.controllers", &have, &e) < 0
      || cg_read(parent, "cgroup.subtree_control", &on, &e) < 0)
    return;
  for (char **w = want; w && *w; w++) {
    size_t l = strlen(*w);
    bool offered = false, enabled = false;
    for (char *p = have; (p = strstr(p, *w)); p += l)
      offered |= (p == have || p[-1] == ' ') && (p[l] == ' ' || p[l] == '\n' || !p[l]);
    for (char *p = on; (p = strstr(p, *w)); p += l)
      enabled |= (p == on || p[-1] == ' ') && (p[l] == ' ' || p[l] == '\n' || !p[l]);
    if (!offered || enabled)
      continue;
    _cleanup_free_ char *v = xasprintf("+%s", *w);
    _cleanup_error_ cn_error_t e2 = NULL;
    if (cg_write(parent, "cgroup.subtree_control", v, &e2) < 0)
      cn_debug("enable %s in %s: %s", *w, parent, e2->msg);
  }
}

static bool in_made(const struct cgroup *cg, const char *d)
{
  for (char **p = cg->made; p && *p; p++)
    if (strcmp(*p, d) == 0)
      return true;
  return false;
}

/* mkdir -p from the mount point down, recording what was made. */
static int make_dir(struct cgroup *cg, const char *mount, const char *dir, bool cpuset, bool v2,
                    cn_error_t *err)
{
  size_t ml = strlen(mount);
  _cleanup_free_ char *p = xstrdup(dir);
  for (char *s = p + ml; s && *s;) {
    char *next = strchr(s + 1, '/');
    if (next)
      *next = '\0';
    if (v2) {
      _cleanup_free_ char *parent = xstrdup(p);
      *strrchr(parent, '/') = '\0';
      v2_enable_controllers(parent, cg->v2_ctrls);
    }
    if (mkdir(p, 0755) == 0) {
      if (!in_made(cg, p))
        cn_strv_push(&cg->made, p);
      if (cpuset && cpuset_copy_parent(p, err) < 0)
        return cn_error_wrap(err, "cgroup %s", p);
    } else if (errno != EEXIST) {
      return cn_error_errno(err, errno, "create cgroup %s", p);
    } else if (!next && in_made(cg, p) == false && cpuset) {
      if (cpuset_copy_parent(p, err) < 0)
        return cn_error_wrap(err, "cgroup %s", p);
    }
    if (next)
      *next = '/';
    s = next;
  }
  return 0;
}

static int v2_need(const char *dir, const char *ctrl, const char *key, cn_error_t *err)
{
  _cleanup_free_ char *have = NULL;
  if (cg_read(dir, "cgroup.controllers", &have, err) < 0)
    return -1;
  size_t l = strlen(ctrl);
  for (char *p = have; (p = strstr(p, ctrl)); p += l)
    if ((p == have || p[-1] == ' ') && (p[l] == ' ' || p[l] == '\n' || !p[l]))
      return 0;
  return cn_error_set(err, EOPNOTSUPP,
                      "linux.resources.%s: the %s controller is not enabled for %s (its parent "
                      "holds processes or does not delegate it)",
                      key, ctrl, dir);
}

/* Routes each key to the hierarchy of its controller; unified last. */
int cg_apply(struct cgroup *cg, const struct spec_resources *r, bool update, cn_error_t *err)
{
  if (!r)
    return 0;
  const char *u = cg->unified;
#define DIR_OF(c) (cg_where(cg, c) == CG_IN_V1 ? cg->v1[c] : u)
#define IS_V2(c) (cg_where(cg, c) == CG_IN_V2)
  if (!update && cg->layout != CGROUP_LAYOUT_V2 && cg->v1[CG_DEVICES]
      && cg_devices_v1_apply(cg->v1[CG_DEVICES], r, err) < 0)
    return -1;
  if (!update && cg->layout == CGROUP_LAYOUT_V2) {
    _cleanup_close_ int fd = open(u, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
      return cn_error_errno(err, errno, "open %s", u);
    if (cg_devices_bpf_apply(fd, r, err) < 0)
      return -1;
  }
  if (r->has_cpu) {
    const struct spec_cpu *c = &r->cpu;
    bool cpuset = (c->cpus && *c->cpus) || (c->mems && *c->mems);
    if (cpuset) {
      if (IS_V2(CG_CPUSET)
              ? v2_need(u, "cpuset", "cpu.cpus", err) < 0 || cg_v2_cpuset(u, c, err) < 0
              : cg_v1_cpuset(cg->v1[CG_CPUSET], c, err) < 0)
        return -1;
    }
    bool cpu = c->has_shares || c->has_quota || c->has_period || c->has_burst || c->has_idle
               || c->has_realtime_period || c->has_realtime_runtime;
    if (cpu) {
      if (IS_V2(CG_CPU) ? v2_need(u, "cpu", "cpu", err) < 0 || cg_v2_cpu(u, c, err) < 0
                        : cg_v1_cpu(cg->v1[CG_CPU], c, err) < 0)
        return -1;
    }
  }
  if (r->has_memory) {
    const struct spec_memory *m = &r->memory;
    bool any = m->has_limit || m->has_reservation || m->has_swap || m->has_swappiness
               || m->has_disable_oom_killer;
    if (any
        && (IS_V2(CG_MEMORY)
                ? v2_need(u, "memory", "memory", err) < 0 || cg_v2_memory(u, m, update, err) < 0
                : cg_v1_memory(cg->v1[CG_MEMORY], m, update, err) < 0))
      return -1;
  }
  if (r->has_pids
      && (IS_V2(CG_PIDS)
              ? v2_need(u, "pids", "pids.limit", err) < 0 || cg_v2_pids(u, r->pids_limit, err) < 0
              : cg_v1_pids(cg->v1[CG_PIDS], r->pids_limit, err) < 0))
    return -1;
  if (r->has_block_io
      && (IS_V2(CG_BLKIO)
              ? v2_need(u, "io", "blockIO", err) < 0 || cg_v2_io(u, &r->block_io, err) < 0
              : cg_v1_blkio(cg->v1[CG_BLKIO], &r->block_io, err) < 0))
    return -1;
  if (r->n_hugepage_limits
      && (IS_V2(CG_HUGETLB)
              ? v2_need(u, "hugetlb", "hugepageLimits", err) < 0 || cg_v2_hugetlb(u, r, err) < 0
              : cg_v1_hugetlb(cg->v1[CG_HUGETLB], r, err) < 0))
    return -1;
  if ((r->has_class_id || r->n_net_priorities) && cg_v1_network(cg, r, err) < 0)
    return -1;
  if (r->n_rdma && cg_rdma(DIR_OF(CG_RDMA), r, err) < 0)
    return -1;
  if (r->n_unified && cg_v2_unified(u, r, err) < 0)
    return -1;
#undef DIR_OF
#undef IS_V2
  return 0;
}

static void rmdir_made(struct cgroup *cg)
{
  size_t n = cn_strv_len(cg->made);
  while (n-- > 0)
    if (rmdir(cg->made[n]) < 0 && errno != ENOENT)
      cn_debug("rmdir %s: %m", cg->made[n]);
}

int cgroup_create(const struct cgroup_create_opts *o, struct cgroup **out, cn_error_t *err)
{
  if (o->systemd)
    return cn_error_set(err, ENOTSUP,
                        "--systemd-cgroup: the systemd cgroup driver is not supported; use "
                        "cgroupfs");
  struct cg_mounts m;
  if (cg_mounts_read(&m, err) < 0)
    return -1;
  struct cgroup *cg = xcalloc(1, sizeof *cg);
  cg->unified_fd = -1;
  int r = cg_resolve_paths(cg, &m, o->id, o->cgroups_path, err);
  if (r == 0)
    r = cg_validate(cg, o->resources, false, err);
  for (int c = 0; r == 0 && c < CG__N; c++) {
    if (!cg->v1[c])
      continue;
    for (int d = 0; d < c; d++)
      if (cg->v1[d] && strcmp(cg->v1[d], cg->v1[c]) == 0)
        goto next; /* co-mounted with an earlier controller */
    if (cn_path_exists(cg->v1[c]) && !in_made(cg, cg->v1[c])) {
      r = cn_error_set(err, EEXIST, "cgroup %s already exists (another container uses it?)",
                       cg->v1[c]);
      break;
    }
    r = make_dir(cg, m.v1_mount[c], cg->v1[c], c == CG_CPUSET, false, err);
  next:;
  }
  if (r == 0 && cg->unified) {
    if (cn_path_exists(cg->unified))
      r = cn_error_set(err, EEXIST, "cgroup %s already exists (another container uses it?)",
                       cg->unified);
    else
      r = make_dir(cg, m.unified_mount, cg->unified, false, true, err);
  }
  if (r == 0)
    r = cg_apply(cg, o->resources, false, err);
  cg_mounts_clear(&m);
  if (r < 0) {
    rmdir_made(cg);
    cgroup_free(cg);
    return -1;
  }
  *out = cg;
  return 0;
}

int cgroup_clone_fd(struct cgroup *cg)
{
  if (!cg->unified)
    return -1;
  if (cg->unified_fd < 0)
    cg->unified_fd = open(cg->unified, O_PATH | O_DIRECTORY | O_CLOEXEC);
  return cg->unified_fd;
}

int cgroup_enter(struct cgroup *cg, pid_t pid, cn_error_t *err)
{
  const char *dirs[CG__N + 1];
  size_t n = cg_dirs(cg, dirs, CG__N + 1);
  char buf[32];
  snprintf(buf, sizeof buf, "%d", (int)pid);
  for (size_t i = 0; i < n; i++) {
    int tries = 0;
    /* A task still in TASK_NEW cannot be moved yet: EINVAL, retry briefly. */
    while (cg_write(dirs[i], "cgroup.procs", buf, err) < 0) {
      if ((*err)->status != EINVAL || ++tries > 50)
        return cn_error_wrap(err, "join cgroup");
      cn_error_release(err);
      sleep_ms(2);
    }
  }
  return 0;
}

int cgroup_update(struct cgroup *cg, const struct spec_resources *r, cn_error_t *err)
{
  if (cg_validate(cg, r, true, err) < 0)
    return -1;
  return cg_apply(cg, r, true, err);
}

/* ---- pids, freeze, kill ---- */

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
    sleep_ms(2);
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
    sleep_ms(i < 50 ? 2 : 10);
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
  rmdir_made(cg);
  return r;
}

/* ---- state record ---- */

static const char *layout_name(enum cgroup_layout l)
{
  return l == CGROUP_LAYOUT_V1 ? "v1" : l == CGROUP_LAYOUT_HYBRID ? "hybrid" : "v2";
}

struct json_object *cgroup_to_json(const struct cgroup *cg)
{
  struct json_object *j = json_object_new_object(), *dirs = json_object_new_object();
  json_object_object_add(j, "layout", json_object_new_string(layout_name(cg->layout)));
  json_object_object_add(j, "path", json_object_new_string(cg->path ? cg->path : ""));
  for (int c = 0; c < CG__N; c++)
    if (cg->v1[c])
      json_object_object_add(dirs, cg_ctrl_name(c), json_object_new_string(cg->v1[c]));
  if (cg->unified)
    json_object_object_add(dirs, "unified", json_object_new_string(cg->unified));
  json_object_object_add(j, "dirs", dirs);
  struct json_object *a = json_object_new_array();
  for (char **p = cg->v2_ctrls; p && *p; p++)
    json_object_array_add(a, json_object_new_string(*p));
  json_object_object_add(j, "v2_controllers", a);
  a = json_object_new_array();
  for (char **p = cg->made; p && *p; p++)
    json_object_array_add(a, json_object_new_string(*p));
  json_object_object_add(j, "made", a);
  return j;
}

static char **strv_from_json(struct json_object *a)
{
  char **v = NULL;
  if (!a || !json_object_is_type(a, json_type_array))
    return NULL;
  for (size_t i = 0; i < json_object_array_length(a); i++)
    cn_strv_push(&v, json_object_get_string(json_object_array_get_idx(a, i)));
  return v;
}

int cgroup_from_json(struct json_object *j, struct cgroup **out, cn_error_t *err)
{
  struct json_object *x, *dirs;
  if (!j || !json_object_object_get_ex(j, "layout", &x)
      || !json_object_object_get_ex(j, "dirs", &dirs))
    return cn_error_set(err, EINVAL, "cgroup state: missing layout or dirs");
  struct cgroup *cg = xcalloc(1, sizeof *cg);
  cg->unified_fd = -1;
  const char *l = json_object_get_string(x);
  cg->layout = strcmp(l, "v1") == 0       ? CGROUP_LAYOUT_V1
               : strcmp(l, "hybrid") == 0 ? CGROUP_LAYOUT_HYBRID
                                          : CGROUP_LAYOUT_V2;
  if (json_object_object_get_ex(j, "path", &x))
    cg->path = xstrdup(json_object_get_string(x));
  for (int c = 0; c < CG__N; c++)
    if (json_object_object_get_ex(dirs, cg_ctrl_name(c), &x))
      cg->v1[c] = xstrdup(json_object_get_string(x));
  if (json_object_object_get_ex(dirs, "unified", &x))
    cg->unified = xstrdup(json_object_get_string(x));
  if (json_object_object_get_ex(j, "v2_controllers", &x))
    cg->v2_ctrls = strv_from_json(x);
  if (json_object_object_get_ex(j, "made", &x))
    cg->made = strv_from_json(x);
  *out = cg;
  return 0;
}

void cgroup_free(struct cgroup *cg)
{
  if (!cg)
    return;
  for (int c = 0; c < CG__N; c++)
    free(cg->v1[c]);
  free(cg->path);
  free(cg->unified);
  cn_strv_free(cg->v2_ctrls);
  cn_strv_free(cg->made);
  if (cg->unified_fd >= 0)
    close(cg->unified_fd);
  free(cg);
}
