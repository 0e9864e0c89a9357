/* Finding the hierarchies: statfs tells the layout (a cgroup2 superblock on
   /sys/fs/cgroup is pure v2; a tmpfs there with cgroup2 on .../unified is
   hybrid), and mountinfo tells where each v1 controller lives, since hosts
   co-mount them differently (cpu,cpuacct here, separate there). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <linux/magic.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"

static const char *const names[CG__N] = {
  [CG_CPU] = "cpu",
  [CG_CPUACCT] = "cpuacct",
  [CG_CPUSET] = "cpuset",
  [CG_MEMORY] = "memory",
  [CG_DEVICES] = "devices",
  [CG_FREEZER] = "freezer",
  [CG_BLKIO] = "blkio",
  [CG_PIDS] = "pids",
  [CG_HUGETLB] = "hugetlb",
  [CG_NET_CLS] = "net_cls",
  [CG_NET_PRIO] = "net_prio",
  [CG_RDMA] = "rdma",
  [CG_PERF_EVENT] = "perf_event",
};

static const char *const v2_names[CG__N] = {
  [CG_CPU] = "cpu",         [CG_CPUACCT] = "cpu", [CG_CPUSET] = "cpuset",
  [CG_MEMORY] = "memory",   [CG_BLKIO] = "io",    [CG_PIDS] = "pids",
  [CG_HUGETLB] = "hugetlb", [CG_RDMA] = "rdma",   [CG_PERF_EVENT] = "perf_event",
};

const char *cg_ctrl_name(enum cg_ctrl c)
{
  return names[c];
}
const char *cg_ctrl_v2_name(enum cg_ctrl c)
{
  return v2_names[c];
}

int cgroup_detect(enum cgroup_layout *out, cn_error_t *err)
{
  struct statfs st;
  if (statfs("/sys/fs/cgroup", &st) < 0)
    return cn_error_errno(err, errno, "statfs /sys/fs/cgroup");
  if (st.f_type == CGROUP2_SUPER_MAGIC) {
    *out = CGROUP_LAYOUT_V2;
    return 0;
  }
  if (statfs("/sys/fs/cgroup/unified", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
    *out = CGROUP_LAYOUT_HYBRID;
  else
    *out = CGROUP_LAYOUT_V1;
  return 0;
}

/* mountinfo fields: id parent maj:min root mountpoint opts [optional...] - fstype source superopts
 */
static void take_mount(struct cg_mounts *m, char *line)
{
  char *f[6] = { 0 };
  char *save = NULL, *tok = strtok_r(line, " ", &save);
  for (int i = 0; tok && i < 6; i++, tok = strtok_r(NULL, " ", &save))
    f[i] = tok;
  if (!f[4])
    return;
  while (tok && strcmp(tok, "-") != 0)
    tok = strtok_r(NULL, " ", &save);
  char *fstype = strtok_r(NULL, " ", &save);
  char *source = strtok_r(NULL, " ", &save);
  char *super = strtok_r(NULL, " \n", &save);
  (void)source;
  if (!fstype)
    return;
  if (strcmp(fstype, "cgroup2") == 0) {
    if (!m->unified_mount) {
      m->unified_mount = xstrdup(f[4]);
      m->unified_root = xstrdup(f[3]);
    }
    return;
  }
  if (strcmp(fstype, "cgroup") != 0 || !super)
    return;
  char *s2 = NULL;
  for (char *o = strtok_r(super, ",", &s2); o; o = strtok_r(NULL, ",", &s2))
    for (int c = 0; c < CG__N; c++)
      if (strcmp(o, names[c]) == 0 && !m->v1_mount[c]) {
        m->v1_mount[c] = xstrdup(f[4]);
        m->v1_root[c] = xstrdup(f[3]);
      }
}

int cg_mounts_read(struct cg_mounts *m, cn_error_t *err)
{
  memset(m, 0, sizeof *m);
  if (cgroup_detect(&m->layout, err) < 0)
    return -1;
  _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f)
    return cn_error_errno(err, errno, "open /proc/self/mountinfo");
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0)
    take_mount(m, line);
  if (m->layout == CGROUP_LAYOUT_V2) {
    /* Only the hierarchy at /sys/fs/cgroup counts on a v2 host. */
    free(m->unified_mount);
    free(m->unified_root);
    m->unified_mount = xstrdup("/sys/fs/cgroup");
    m->unified_root = xstrdup("/");
    for (int c = 0; c < CG__N; c++) {
      free(m->v1_mount[c]);
      free(m->v1_root[c]);
      m->v1_mount[c] = m->v1_root[c] = NULL;
    }
  } else if (m->layout == CGROUP_LAYOUT_V1) {
    free(m->unified_mount);
    free(m->unified_root);
    m->unified_mount = m->unified_root = NULL;
  }
  if (m->unified_mount) {
    _cleanup_free_ char *ctl = NULL;
    _cleanup_error_ cn_error_t e2 = NULL;
    if (cg_read(m->unified_mount, "cgroup.controllers", &ctl, &e2) == 0) {
      char *s = NULL;
      for (char *t = strtok_r(ctl, " \n", &s); t; t = strtok_r(NULL, " \n", &s))
        cn_strv_push(&m->v2_controllers, t);
    }
  }
  return 0;
}

void cg_mounts_clear(struct cg_mounts *m)
{
  for (int c = 0; c < CG__N; c++) {
    free(m->v1_mount[c]);
    free(m->v1_root[c]);
  }
  free(m->unified_mount);
  free(m->unified_root);
  cn_strv_free(m->v2_controllers);
  memset(m, 0, sizeof *m);
}

bool cg_v2_has(const struct cg_mounts *m, const char *ctrl)
{
  for (char **p = m->v2_controllers; p && *p; p++)
    if (strcmp(*p, ctrl) == 0)
      return true;
  return false;
}
