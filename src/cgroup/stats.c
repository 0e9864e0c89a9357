/* runc's `events` stats object, from whichever hierarchy holds each
   controller.  Field names follow runc's types (libcontainer/events types) so
   tools that parse runc events parse ours. */
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"

static uint64_t rd(const char *dir, const char *file)
{
  uint64_t v = 0;
  _cleanup_error_ cn_error_t e = NULL;
  if (!dir || cg_read_u64(dir, file, &v, &e) < 0)
    return 0;
  return v == UINT64_MAX ? 0 : v;
}

static char *rds(const char *dir, const char *file)
{
  char *s = NULL;
  _cleanup_error_ cn_error_t e = NULL;
  if (!dir || cg_read(dir, file, &s, &e) < 0)
    return xstrdup("");
  return s;
}

static void add_u64(struct json_object *o, const char *k, uint64_t v)
{
  json_object_object_add(o, k, json_object_new_uint64(v));
}

static struct json_object *u64_list(const char *text, uint64_t mul)
{
  struct json_object *a = json_object_new_array();
  for (const char *p = text; *p;) {
    char *end;
    unsigned long long v = strtoull(p, &end, 10);
    if (end == p)
      break;
    json_object_array_add(a, json_object_new_uint64(v * mul));
    p = end;
  }
  return a;
}

static struct json_object *cpu_stats(const struct cgroup *cg)
{
  struct json_object *cpu = json_object_new_object(), *usage = json_object_new_object(),
                     *thr = json_object_new_object();
  if (cg_where(cg, CG_CPU) == CG_IN_V2) {
    _cleanup_free_ char *s = rds(cg->unified, "cpu.stat");
    add_u64(usage, "total", cg_keyed(s, "usage_usec") * 1000);
    add_u64(usage, "kernel", cg_keyed(s, "system_usec") * 1000);
    add_u64(usage, "user", cg_keyed(s, "user_usec") * 1000);
    add_u64(thr, "periods", cg_keyed(s, "nr_periods"));
    add_u64(thr, "throttledPeriods", cg_keyed(s, "nr_throttled"));
    add_u64(thr, "throttledTime", cg_keyed(s, "throttled_usec") * 1000);
  } else {
    const char *acct = cg->v1[CG_CPUACCT];
    add_u64(usage, "total", rd(acct, "cpuacct.usage"));
    _cleanup_free_ char *pc = rds(acct, "cpuacct.usage_percpu");
    _cleanup_free_ char *pk = rds(acct, "cpuacct.usage_percpu_sys");
    _cleanup_free_ char *pu = rds(acct, "cpuacct.usage_percpu_user");
    json_object_object_add(usage, "percpu", u64_list(pc, 1));
    json_object_object_add(usage, "percpu_kernel", u64_list(pk, 1));
    json_object_object_add(usage, "percpu_user", u64_list(pu, 1));
    /* cpuacct.stat is in USER_HZ ticks (100 per second). */
    _cleanup_free_ char *st = rds(acct, "cpuacct.stat");
    add_u64(usage, "kernel", cg_keyed(st, "system") * 10000000ULL);
    add_u64(usage, "user", cg_keyed(st, "user") * 10000000ULL);
    _cleanup_free_ char *s = rds(cg->v1[CG_CPU], "cpu.stat");
    add_u64(thr, "periods", cg_keyed(s, "nr_periods"));
    add_u64(thr, "throttledPeriods", cg_keyed(s, "nr_throttled"));
    add_u64(thr, "throttledTime", cg_keyed(s, "throttled_time"));
  }
  json_object_object_add(cpu, "usage", usage);
  json_object_object_add(cpu, "throttling", thr);
  return cpu;
}

static struct json_object *entry(uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt)
{
  struct json_object *o = json_object_new_object();
  add_u64(o, "limit", limit);
  add_u64(o, "usage", usage);
  add_u64(o, "max", max);
  add_u64(o, "failcnt", failcnt);
  return o;
}

static struct json_object *raw_stat(const char *text)
{
  struct json_object *o = json_object_new_object();
  _cleanup_free_ char *dup = xstrdup(text);
  char *s = NULL;
  for (char *l = strtok_r(dup, "\n", &s); l; l = strtok_r(NULL, "\n", &s)) {
    char *sp = strchr(l, ' ');
    if (!sp)
      continue;
    *sp = '\0';
    add_u64(o, l, strtoull(sp + 1, NULL, 10));
  }
  return o;
}

/* "max" (unlimited) is reported as the largest value, as runc does. */
static uint64_t rd_limit(const char *dir, const char *file)
{
  uint64_t v = 0;
  _cleanup_error_ cn_error_t e = NULL;
  if (!dir || cg_read_u64(dir, file, &v, &e) < 0)
    return 0;
  return v;
}

static struct json_object *memory_stats(const struct cgroup *cg)
{
  struct json_object *m = json_object_new_object();
  enum cg_where w = cg_where(cg, CG_MEMORY);
  if (w == CG_IN_V2) {
    const char *d = cg->unified;
    _cleanup_free_ char *st = rds(d, "memory.stat");
    _cleanup_free_ char *ev = rds(d, "memory.events");
    uint64_t cur = rd(d, "memory.current"), swap = rd(d, "memory.swap.current");
    add_u64(m, "cache", cg_keyed(st, "file"));
    json_object_object_add(
        m, "usage",
        entry(rd_limit(d, "memory.max"), cur, rd(d, "memory.peak"), cg_keyed(ev, "max")));
    uint64_t sl = rd_limit(d, "memory.swap.max"), ml = rd_limit(d, "memory.max");
    uint64_t both = (sl == UINT64_MAX || ml == UINT64_MAX) ? UINT64_MAX : sl + ml;
    json_object_object_add(
        m, "swap", entry(both, cur + swap, rd(d, "memory.swap.peak") + 0, cg_keyed(ev, "max")));
    json_object_object_add(m, "raw", raw_stat(st));
  } else if (w == CG_IN_V1) {
    const char *d = cg->v1[CG_MEMORY];
    _cleanup_free_ char *st = rds(d, "memory.stat");
    add_u64(m, "cache", cg_keyed(st, "cache"));
    json_object_object_add(m, "usage",
                           entry(rd_limit(d, "memory.limit_in_bytes"),
                                 rd(d, "memory.usage_in_bytes"), rd(d, "memory.max_usage_in_bytes"),
                                 rd(d, "memory.failcnt")));
    json_object_object_add(
        m, "swap",
        entry(rd_limit(d, "memory.memsw.limit_in_bytes"), rd(d, "memory.memsw.usage_in_bytes"),
              rd(d, "memory.memsw.max_usage_in_bytes"), rd(d, "memory.memsw.failcnt")));
    json_object_object_add(
        m, "kernel",
        entry(rd_limit(d, "memory.kmem.limit_in_bytes"), rd(d, "memory.kmem.usage_in_bytes"),
              rd(d, "memory.kmem.max_usage_in_bytes"), rd(d, "memory.kmem.failcnt")));
    json_object_object_add(m, "kernelTCP",
                           entry(rd_limit(d, "memory.kmem.tcp.limit_in_bytes"),
                                 rd(d, "memory.kmem.tcp.usage_in_bytes"),
                                 rd(d, "memory.kmem.tcp.max_usage_in_bytes"),
                                 rd(d, "memory.kmem.tcp.failcnt")));
    json_object_object_add(m, "raw", raw_stat(st));
  }
  return m;
}

/* pids.events "max" counts forks refused by pids.max: the kernel keeps it on
   v1 as well (4.x+), so both versions report the hits as "failcnt". */
static struct json_object *pids_stats(const struct cgroup *cg)
{
  struct json_object *p = json_object_new_object();
  enum cg_where w = cg_where(cg, CG_PIDS);
  const char *d = w == CG_IN_V1 ? cg->v1[CG_PIDS] : w == CG_IN_V2 ? cg->unified : NULL;
  add_u64(p, "current", rd(d, "pids.current"));
  add_u64(p, "limit", rd(d, "pids.max"));
  _cleanup_free_ char *ev = rds(d, "pids.events");
  add_u64(p, "failcnt", cg_keyed(ev, "max"));
  return p;
}

static void blk_entry(struct json_object *a, unsigned ma, unsigned mi, const char *op, uint64_t v)
{
  struct json_object *o = json_object_new_object();
  add_u64(o, "major", ma);
  add_u64(o, "minor", mi);
  json_object_object_add(o, "op", json_object_new_string(op));
  add_u64(o, "value", v);
  json_object_array_add(a, o);
}

/* v1: "8:0 Read 4096" lines (plus a "Total" line, which runc drops). */
static struct json_object *blk_v1(const char *text)
{
  struct json_object *a = json_object_new_array();
  _cleanup_free_ char *dup = xstrdup(text);
  char *s = NULL;
  for (char *l = strtok_r(dup, "\n", &s); l; l = strtok_r(NULL, "\n", &s)) {
    unsigned ma, mi;
    char op[32];
    unsigned long long v;
    if (sscanf(l, "%u:%u %31s %llu", &ma, &mi, op, &v) == 4)
      blk_entry(a, ma, mi, op, v);
  }
  return a;
}

/* v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0". */
static void blk_v2(const char *text, struct json_object *bytes, struct json_object *ios)
{
  _cleanup_free_ char *dup = xstrdup(text);
  char *s = NULL;
  for (char *l = strtok_r(dup, "\n", &s); l; l = strtok_r(NULL, "\n", &s)) {
    unsigned ma, mi;
    if (sscanf(l, "%u:%u", &ma, &mi) != 2)
      continue;
    static const struct {
      const char *key, *op;
      bool bytes;
    } keys[] = { { "rbytes=", "Read", true },
                 { "wbytes=", "Write", true },
                 { "rios=", "Read", false },
                 { "wios=", "Write", false } };
    for (size_t i = 0; i < 4; i++) {
      char *p = strstr(l, keys[i].key);
      if (p)
        blk_entry(keys[i].bytes ? bytes : ios, ma, mi, keys[i].op,
                  strtoull(p + strlen(keys[i].key), NULL, 10));
    }
  }
}

static struct json_object *blkio_stats(const struct cgroup *cg)
{
  struct json_object *b = json_object_new_object();
  enum cg_where w = cg_where(cg, CG_BLKIO);
  if (w == CG_IN_V1) {
    _cleanup_free_ char *by = rds(cg->v1[CG_BLKIO], "blkio.throttle.io_service_bytes_recursive");
    _cleanup_free_ char *io = rds(cg->v1[CG_BLKIO], "blkio.throttle.io_serviced_recursive");
    json_object_object_add(b, "ioServiceBytesRecursive", blk_v1(by));
    json_object_object_add(b, "ioServicedRecursive", blk_v1(io));
  } else if (w == CG_IN_V2) {
    struct json_object *by = json_object_new_array(), *io = json_object_new_array();
    _cleanup_free_ char *s = rds(cg->unified, "io.stat");
    blk_v2(s, by, io);
    json_object_object_add(b, "ioServiceBytesRecursive", by);
    json_object_object_add(b, "ioServicedRecursive", io);
  }
  return b;
}

static struct json_object *hugetlb_stats(const struct cgroup *cg)
{
  struct json_object *h = json_object_new_object();
  enum cg_where w = cg_where(cg, CG_HUGETLB);
  if (w == CG_NOWHERE)
    return h;
  const char *d = w == CG_IN_V1 ? cg->v1[CG_HUGETLB] : cg->unified;
  _cleanup_dir_ DIR *dir = opendir("/sys/kernel/mm/hugepages");
  struct dirent *de;
  while (dir && (de = readdir(dir))) {
    unsigned long kb;
    if (sscanf(de->d_name, "hugepages-%lukB", &kb) != 1)
      continue;
    char name[32];
    if (kb >= 1048576)
      snprintf(name, sizeof name, "%luGB", kb >> 20);
    else if (kb >= 1024)
      snprintf(name, sizeof name, "%luMB", kb >> 10);
    else
      snprintf(name, sizeof name, "%luKB", kb);
    char f1[64], f2[64], f3[64];
    if (w == CG_IN_V1) {
      snprintf(f1, sizeof f1, "hugetlb.%s.usage_in_bytes", name);
      snprintf(f2, sizeof f2, "hugetlb.%s.max_usage_in_bytes", name);
      snprintf(f3, sizeof f3, "hugetlb.%s.failcnt", name);
      json_object_object_add(h, name, entry(0, rd(d, f1), rd(d, f2), rd(d, f3)));
    } else {
      snprintf(f1, sizeof f1, "hugetlb.%s.current", name);
      snprintf(f3, sizeof f3, "hugetlb.%s.events", name);
      _cleanup_free_ char *ev = rds(d, f3);
      struct json_object *o = json_object_new_object();
      add_u64(o, "usage", rd(d, f1));
      add_u64(o, "failcnt", cg_keyed(ev, "max"));
      json_object_object_add(h, name, o);
    }
  }
  return h;
}

int cgroup_stats(struct cgroup *cg, struct json_object **data, cn_error_t *err)
{
  (void)err;
  struct json_object *d = json_object_new_object();
  json_object_object_add(d, "cpu", cpu_stats(cg));
  json_object_object_add(d, "memory", memory_stats(cg));
  json_object_object_add(d, "pids", pids_stats(cg));
  json_object_object_add(d, "blkio", blkio_stats(cg));
  json_object_object_add(d, "hugetlb", hugetlb_stats(cg));
  *data = d;
  return 0;
}
