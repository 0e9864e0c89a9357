/* cgroup conversions and parsers, the BPF device filter against the real
   kernel, and create/destroy of real cgroup directories (under a unique
   name, removed at the end). */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdlib.h>
#include <json-c/json.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cgroup/internal.h"
#include "unit.h"
#include "util/cleanup.h"
#include "util/fs.h"

static void test_conversions(void)
{
  CHECK(cg_shares_to_weight(0) == 0);
  CHECK(cg_shares_to_weight(2) == 1);
  CHECK(cg_shares_to_weight(100) == 17);
  CHECK(cg_shares_to_weight(512) == 59);
  CHECK(cg_shares_to_weight(1024) == 100);
  CHECK(cg_shares_to_weight(2048) == 174);
  CHECK(cg_shares_to_weight(4096) == 303);
  CHECK(cg_shares_to_weight(262144) == 10000);
  CHECK(cg_shares_to_weight(1000000) == 10000);

  CHECK(cg_blkio_weight_to_io_weight(10) == 1);
  CHECK(cg_blkio_weight_to_io_weight(100) == 910);
  CHECK(cg_blkio_weight_to_io_weight(500) == 4950);
  CHECK(cg_blkio_weight_to_io_weight(1000) == 10000);

  int64_t v = 0;
  cn_error_t e = NULL;
  CHECK(cg_swap_to_v2(-1, 0, &v, &e) == 0 && v == -1);
  CHECK(cg_swap_to_v2(100, -1, &v, &e) == 0 && v == -1);
  CHECK(cg_swap_to_v2(100, 0, &v, &e) == 0 && v == 0);
  CHECK(cg_swap_to_v2(-1, 300, &v, &e) == 0 && v == 300);
  CHECK(cg_swap_to_v2(100, 300, &v, &e) == 0 && v == 200);
  CHECK(cg_swap_to_v2(100, 100, &v, &e) == 0 && v == 0);
  CHECK(cg_swap_to_v2(200, 100, &v, &e) < 0 && e && strstr(e->msg, "memory.swap"));
  cn_error_release(&e);
  CHECK(cg_swap_to_v2(0, 100, &v, &e) < 0 && e && strstr(e->msg, "without memory limit"));
  cn_error_release(&e);

  char buf[32];
  CHECK_STR(cg_pids_value(-1, buf), "max");
  CHECK_STR(cg_pids_value(-5, buf), "max");
  CHECK_STR(cg_pids_value(0, buf), "1");
  CHECK_STR(cg_pids_value(50, buf), "50");

  CHECK(cg_hugepage_bytes("2MB") == 2097152);
  CHECK(cg_hugepage_bytes("1GB") == 1073741824);
  CHECK(cg_hugepage_bytes("64KB") == 65536);
  CHECK(cg_hugepage_bytes("2mb") == 0);
  CHECK(cg_hugepage_bytes("MB") == 0);
}

static void test_cpuset(void)
{
  uint64_t m[16];
  CHECK(cg_parse_cpuset("0-3,7", m) == 0 && m[0] == 0x8f);
  CHECK(cg_parse_cpuset("1\n", m) == 0 && m[0] == 2);
  CHECK(cg_parse_cpuset("", m) == 0 && m[0] == 0);
  CHECK(cg_parse_cpuset("64", m) == 0 && m[0] == 0 && m[1] == 1);
  CHECK(cg_parse_cpuset("3-1", m) < 0);
  CHECK(cg_parse_cpuset("a", m) < 0);
  CHECK(cg_parse_cpuset("1,", m) < 0);
  CHECK(cg_parse_cpuset("1024", m) < 0);
}

static void test_bpf_build(void)
{
  struct spec_device_rule deny_all = { false, 'a', -1, -1, "rwm" };
  struct spec_resources r = { .devices = &deny_all, .n_devices = 1 };
  size_t n;
  _cleanup_free_ struct spec_device_rule *rules = cg_device_rules(&r, &n);
  CHECK(n == 12);
  CHECK(rules[0].allow == false && rules[1].type == 'c' && rules[1].major == -1);
  _cleanup_free_ void *insns = NULL;
  size_t cnt = cg_devices_bpf_build(rules, n, &insns);
  /* The deny-all rule is tested last (it comes first): nothing after it. */
  CHECK(cnt > 20 && cnt < 8 + n * 10);
  /* A filter without rules denies all: two instructions after the loads. */
  _cleanup_free_ void *empty = NULL;
  CHECK(cg_devices_bpf_build(NULL, 0, &empty) == 9);
}

/* A child in a fresh cgroup2 directory with the filter attached tries to
   open devices; returns a bitmask of which opens succeeded. */
static int probe_devices(const char *dir, const char *const *paths, int flags)
{
  pid_t pid = fork();
  if (pid == 0) {
    char buf[32];
    snprintf(buf, sizeof buf, "%d", getpid());
    cn_error_t e = NULL;
    if (cg_write(dir, "cgroup.procs", buf, &e) < 0)
      _exit(255);
    int ok = 0;
    for (int i = 0; paths[i]; i++) {
      int fd = open(paths[i], flags | O_CLOEXEC);
      if (fd >= 0) {
        ok |= 1 << i;
        close(fd);
      }
    }
    _exit(ok);
  }
  int st;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *v2_mount(void)
{
  struct statfs st;
  if (statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
    return "/sys/fs/cgroup";
  if (statfs("/sys/fs/cgroup/unified", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
    return "/sys/fs/cgroup/unified";
  return NULL;
}

static void test_bpf_kernel(void)
{
  const char *mnt = v2_mount();
  if (!mnt || geteuid() != 0) {
    printf("skip: BPF device filter test needs root and a cgroup2 mount\n");
    return;
  }
  _cleanup_free_ char *dir = xasprintf("%s/cinch-unit-bpf-%d", mnt, getpid());
  CHECK(mkdir(dir, 0755) == 0);
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  /* deny everything, then allow reading /dev/kmsg (1:11) only */
  struct spec_device_rule rules[] = { { false, 'a', -1, -1, "rwm" }, { true, 'c', 1, 11, "r" } };
  struct spec_resources r = { .devices = rules, .n_devices = 2 };
  cn_error_t e = NULL;
  int ret = cg_devices_bpf_apply(fd, &r, &e);
  CHECK(ret == 0);
  if (ret < 0)
    fprintf(stderr, "bpf: %s\n", e->msg);
  cn_error_release(&e);
  close(fd);
  static const char *const paths[] = { "/dev/null", "/dev/kmsg", "/dev/loop-control", NULL };
  /* /dev/null is in the default allow-list; kmsg readable; loop-control denied. */
  CHECK(probe_devices(dir, paths, O_RDONLY) == 0x3);
  /* writing kmsg is not granted */
  CHECK(probe_devices(dir, paths, O_WRONLY) == 0x1);
  CHECK(rmdir(dir) == 0);
}

static bool any_dir(struct cgroup *cg)
{
  const char *dirs[CG__N + 1];
  size_t n = cg_dirs(cg, dirs, CG__N + 1);
  for (size_t i = 0; i < n; i++)
    if (cn_path_exists(dirs[i]))
      return true;
  return false;
}

static void test_create_destroy(void)
{
  if (geteuid() != 0) {
    printf("skip: create test needs root\n");
    return;
  }
  char id[64];
  snprintf(id, sizeof id, "cinch-unit-%d", getpid());
  struct spec_resources r = { 0 };
  r.has_pids = true;
  r.pids_limit = 10;
  r.has_memory = true;
  r.memory.has_limit = true;
  r.memory.limit = 64 << 20;
  r.has_cpu = true;
  r.cpu.has_shares = true;
  r.cpu.shares = 512;
  struct cgroup_create_opts o = { .id = id, .resources = &r };
  struct cgroup *cg = NULL;
  cn_error_t e = NULL;
  int ret = cgroup_create(&o, &cg, &e);
  CHECK(ret == 0);
  if (ret < 0) {
    fprintf(stderr, "create: %s\n", e->msg);
    cn_error_release(&e);
    return;
  }
  enum cg_where w = cg_where(cg, CG_PIDS);
  const char *pd = w == CG_IN_V1 ? cg->v1[CG_PIDS] : cg->unified;
  _cleanup_free_ char *s = NULL;
  CHECK(cg_read(pd, "pids.max", &s, &e) == 0 && strcmp(s, "10\n") == 0);
  uint64_t v = 0;
  if (cg_where(cg, CG_CPU) == CG_IN_V1)
    CHECK(cg_read_u64(cg->v1[CG_CPU], "cpu.shares", &v, &e) == 0 && v == 512);
  else
    CHECK(cg_read_u64(cg->unified, "cpu.weight", &v, &e) == 0 && v == 59);

  /* state round trip */
  struct json_object *j = cgroup_to_json(cg);
  struct cgroup *back = NULL;
  CHECK(cgroup_from_json(j, &back, &e) == 0);
  json_object_put(j);
  CHECK(back && back->layout == cg->layout);
  CHECK(back && back->unified == NULL ? cg->unified == NULL
                                      : strcmp(back->unified, cg->unified) == 0);

  /* a process inside, then destroy: it is killed and every directory goes */
  pid_t pid = fork();
  if (pid == 0) {
    pause();
    _exit(0);
  }
  CHECK(cgroup_enter(back, pid, &e) == 0);
  pid_t *pids = NULL;
  size_t n = 0;
  CHECK(cgroup_pids(back, &pids, &n, &e) == 0 && n == 1 && pids[0] == pid);
  free(pids);
  CHECK(cgroup_freeze(back, true, &e) == 0);
  bool frozen = false;
  CHECK(cgroup_is_frozen(back, &frozen, &e) == 0 && frozen);
  CHECK(cgroup_freeze(back, false, &e) == 0);
  CHECK(cgroup_is_frozen(back, &frozen, &e) == 0 && !frozen);
  /* destroy must cope with the live process: it kills it */
  CHECK(cgroup_destroy(back, &e) == 0);
  if (e)
    fprintf(stderr, "destroy: %s\n", e->msg);
  int st;
  CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  CHECK(!any_dir(cg));
  cgroup_free(back);
  cgroup_free(cg);
  cn_error_release(&e);
}

/* Bad values fail before anything is made, naming the key. */
static void expect_refused(struct spec_resources *r, const char *needle)
{
  char id[64];
  snprintf(id, sizeof id, "cinch-unit-bad-%d", getpid());
  struct cgroup_create_opts o = { .id = id, .resources = r };
  struct cgroup *cg = NULL;
  cn_error_t e = NULL;
  CHECK(cgroup_create(&o, &cg, &e) < 0);
  CHECK(e && strstr(e->msg, needle));
  if (e && !strstr(e->msg, needle))
    fprintf(stderr, "wanted \"%s\" in: %s\n", needle, e->msg);
  cn_error_release(&e);
  _cleanup_free_ char *p1 = xasprintf("/sys/fs/cgroup/pids/%s", id);
  _cleanup_free_ char *p2 = xasprintf("/sys/fs/cgroup/%s", id);
  _cleanup_free_ char *p3 = xasprintf("/sys/fs/cgroup/unified/%s", id);
  CHECK(!cn_path_exists(p1) && !cn_path_exists(p2) && !cn_path_exists(p3));
}

static void test_refusals(void)
{
  if (geteuid() != 0)
    return;
  struct spec_resources r = { 0 };
  r.has_cpu = true;
  r.cpu.cpus = "0-999";
  expect_refused(&r, "linux.resources.cpu.cpus");
  r = (struct spec_resources){ 0 };
  r.has_memory = true;
  r.memory.has_limit = true;
  r.memory.limit = 100 << 20;
  r.memory.has_swap = true;
  r.memory.swap = 50 << 20;
  expect_refused(&r, "linux.resources.memory.swap");
  r = (struct spec_resources){ 0 };
  struct spec_throttle_device td = { 259, 99999, 1000 };
  r.has_block_io = true;
  r.block_io.throttle_write_bps.v = &td;
  r.block_io.throttle_write_bps.n = 1;
  expect_refused(&r, "throttleWriteBpsDevice[0]");
  r = (struct spec_resources){ 0 };
  r.has_cpu = true;
  r.cpu.has_shares = true;
  r.cpu.shares = 1;
  expect_refused(&r, "linux.resources.cpu.shares");
  r = (struct spec_resources){ 0 };
  r.has_pids = true;
  r.pids_limit = 5;
  r.has_class_id = true;
  r.class_id = 5;
  expect_refused(&r, "linux.resources.network.classID");

  enum cgroup_layout l;
  cn_error_t e = NULL;
  cgroup_detect(&l, &e);
  r = (struct spec_resources){ 0 };
  if (l == CGROUP_LAYOUT_V2) {
    r.has_cpu = true;
    r.cpu.has_realtime_runtime = true;
    r.cpu.realtime_runtime = 1000;
    expect_refused(&r, "linux.resources.cpu.realtimeRuntime");
    r = (struct spec_resources){ 0 };
    r.has_memory = true;
    r.memory.has_disable_oom_killer = true;
    r.memory.disable_oom_killer = true;
    expect_refused(&r, "linux.resources.memory.disableOOMKiller");
  } else {
    struct spec_kv kv = { "memory.high", "1000000" };
    r.unified = &kv;
    r.n_unified = 1;
    expect_refused(&r, "linux.resources.unified");
  }
}

int main(void)
{
  test_conversions();
  test_cpuset();
  test_bpf_build();
  test_bpf_kernel();
  test_create_destroy();
  test_refusals();
  UNIT_DONE();
}
