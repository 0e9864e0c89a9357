/* Where the container's directories go (runc's cgroupfs rules), with
   made-up mount tables so every layout is covered on any host. */
#include <stdlib.h>
#include <string.h>

#include "cgroup/internal.h"
#include "unit.h"
#include "util/cleanup.h"
#include "util/strv.h"

static void hybrid_mounts(struct cg_mounts *m)
{
  memset(m, 0, sizeof *m);
  m->layout = CGROUP_LAYOUT_HYBRID;
  m->v1_mount[CG_PIDS] = xstrdup("/sys/fs/cgroup/pids");
  m->v1_root[CG_PIDS] = xstrdup("/");
  /* co-mounted cpu,cpuacct share one directory */
  m->v1_mount[CG_CPU] = xstrdup("/sys/fs/cgroup/cpu,cpuacct");
  m->v1_root[CG_CPU] = xstrdup("/");
  m->v1_mount[CG_CPUACCT] = xstrdup("/sys/fs/cgroup/cpu,cpuacct");
  m->v1_root[CG_CPUACCT] = xstrdup("/");
  m->unified_mount = xstrdup("/sys/fs/cgroup/unified");
  m->unified_root = xstrdup("/");
  cn_strv_push(&m->v2_controllers, "hugetlb");
}

static void clear(struct cgroup *cg)
{
  for (int c = 0; c < CG__N; c++)
    free(cg->v1[c]);
  free(cg->unified);
  free(cg->path);
  cn_strv_free(cg->v2_ctrls);
  memset(cg, 0, sizeof *cg);
}

static void test_absolute(void)
{
  struct cg_mounts m;
  hybrid_mounts(&m);
  struct cgroup cg = { 0 };
  cn_error_t e = NULL;
  CHECK(cg_resolve_paths(&cg, &m, "c1", "/cinch/c1", &e) == 0);
  CHECK_STR(cg.v1[CG_PIDS], "/sys/fs/cgroup/pids/cinch/c1");
  CHECK_STR(cg.v1[CG_CPU], "/sys/fs/cgroup/cpu,cpuacct/cinch/c1");
  CHECK_STR(cg.v1[CG_CPUACCT], cg.v1[CG_CPU]);
  CHECK_STR(cg.unified, "/sys/fs/cgroup/unified/cinch/c1");
  CHECK(cg.v1[CG_MEMORY] == NULL);
  /* routing: pids on v1, hugetlb on the unified mount, memory nowhere */
  CHECK(cg_where(&cg, CG_PIDS) == CG_IN_V1);
  CHECK(cg_where(&cg, CG_HUGETLB) == CG_IN_V2);
  CHECK(cg_where(&cg, CG_MEMORY) == CG_NOWHERE);
  const char *dirs[CG__N + 1];
  CHECK(cg_dirs(&cg, dirs, CG__N + 1) == 3); /* pids, cpu,cpuacct once, unified */
  clear(&cg);
  cg_mounts_clear(&m);
}

static void test_relative_and_default(void)
{
  struct cg_mounts m;
  hybrid_mounts(&m);
  struct cgroup cg = { 0 };
  cn_error_t e = NULL;
  /* Relative: under our own cgroup in that hierarchy. */
  _cleanup_free_ char *own = cg_own_cgroup("pids");
  CHECK(own != NULL);
  CHECK(cg_resolve_paths(&cg, &m, "c1", NULL, &e) == 0);
  _cleanup_free_ char *want
      = xasprintf("/sys/fs/cgroup/pids%s/c1", own && strcmp(own, "/") ? own : "");
  CHECK_STR(cg.v1[CG_PIDS], want);
  CHECK_STR(cg.path, "c1");
  /* hybrid: the unified directory hangs off the unified root */
  CHECK_STR(cg.unified, "/sys/fs/cgroup/unified/c1");
  clear(&cg);
  cg_mounts_clear(&m);
}

static void test_mount_root_stripped(void)
{
  /* Inside a container the mount shows a subtree of the hierarchy. */
  struct cg_mounts m;
  memset(&m, 0, sizeof m);
  m.layout = CGROUP_LAYOUT_V1;
  _cleanup_free_ char *own = cg_own_cgroup("memory");
  if (!own || strcmp(own, "/") == 0) {
    free(own);
    own = NULL;
    printf("skip: mount root test needs a nested memory cgroup\n");
    return;
  }
  m.v1_mount[CG_MEMORY] = xstrdup("/sys/fs/cgroup/memory");
  m.v1_root[CG_MEMORY] = xstrdup(own);
  struct cgroup cg = { 0 };
  cn_error_t e = NULL;
  CHECK(cg_resolve_paths(&cg, &m, "c1", NULL, &e) == 0);
  CHECK_STR(cg.v1[CG_MEMORY], "/sys/fs/cgroup/memory/c1");
  clear(&cg);
  cg_mounts_clear(&m);
}

static void test_bad_paths(void)
{
  struct cg_mounts m;
  hybrid_mounts(&m);
  static const char *const bad[] = { "/a/../b", "..", "/", "a/./b", "" };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    struct cgroup cg = { 0 };
    cn_error_t e = NULL;
    CHECK(cg_resolve_paths(&cg, &m, "c1", bad[i], &e) < 0);
    CHECK(e && strstr(e->msg, "linux.cgroupsPath"));
    cn_error_release(&e);
    clear(&cg);
  }
  cg_mounts_clear(&m);
}

static void test_keyed(void)
{
  const char *t = "usage_usec 100\nuser_usec 60\nnr_throttled 3\n";
  CHECK(cg_keyed(t, "usage_usec") == 100);
  CHECK(cg_keyed(t, "user_usec") == 60);
  CHECK(cg_keyed(t, "nr_throttled") == 3);
  CHECK(cg_keyed(t, "usage") == 0);
  CHECK(cg_keyed("oom 1\noom_kill 2\n", "oom_kill") == 2);
  CHECK(cg_keyed("oom 1\noom_kill 2\n", "oom") == 1);
}

int main(void)
{
  test_absolute();
  test_relative_and_default();
  test_mount_root_stripped();
  test_bad_paths();
  test_keyed();
  UNIT_DONE();
}
