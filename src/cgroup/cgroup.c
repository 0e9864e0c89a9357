/* Making a container's cgroup: validate, mkdir on every hierarchy (with
   the ancestors' set-up each version needs), apply, enter; and updates. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strv.h"

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

void cg_rmdir_made(struct cgroup *cg)
{
  size_t n = cn_strv_len(cg->made);
  while (n-- > 0)
    if (rmdir(cg->made[n]) < 0 && errno != ENOENT)
      cn_debug("rmdir %s: %m", cg->made[n]);
}

/* Keys that only the unified hierarchy of a hybrid host can honour. */
static bool needs_unified(const struct spec_resources *r)
{
  return r && (r->n_hugepage_limits || r->n_rdma);
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
    /* On a hybrid host the unified placement is a convenience (cgroup.kill,
       CLONE_INTO_CGROUP) unless a key lives there: a read-only or
       undelegated unified mount is then only a warning, as with runc. */
    if (r < 0 && cg->layout == CGROUP_LAYOUT_HYBRID && !needs_unified(o->resources)) {
      cn_warn("not placing the container in the unified hierarchy: %s", (*err)->msg);
      cn_error_release(err);
      free(cg->unified);
      cg->unified = NULL;
      cn_strv_free(cg->v2_ctrls);
      cg->v2_ctrls = NULL;
      r = 0;
    }
  }
  if (r == 0)
    r = cg_apply(cg, o->resources, false, err);
  cg_mounts_clear(&m);
  if (r < 0) {
    cg_rmdir_made(cg);
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

size_t cgroup_dirs(const struct cgroup *cg, const char **out, size_t max)
{
  return cg_dirs(cg, out, max);
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
      cg_sleep_ms(2);
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
