/* cgroup v2 value writers: everything in the one unified directory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"

#define KEY "linux.resources."

static const char *num_or_max(long long v, char buf[32])
{
  if (v < 0)
    return strcpy(buf, "max");
  snprintf(buf, 32, "%lld", v);
  return buf;
}

int cg_v2_memory(const char *dir, const struct spec_memory *m, bool update, cn_error_t *err)
{
  char buf[32];
  if (m->has_limit && m->limit != 0) {
    if (update && m->check_before_update && m->limit > 0) {
      uint64_t cur = 0;
      if (cg_read_u64(dir, "memory.current", &cur, err) < 0)
        return -1;
      if ((uint64_t)m->limit < cur)
        return cn_error_set(err, EBUSY,
                            KEY "memory.limit: rejecting memory limit %lld below the current "
                                "usage %llu (checkBeforeUpdate)",
                            (long long)m->limit, (unsigned long long)cur);
    }
  }
  if (m->has_swap && m->swap != 0) {
    int64_t limit = m->has_limit ? m->limit : 0;
    if (!m->has_limit || m->limit == 0) {
      uint64_t cur = 0;
      if (cg_read_u64(dir, "memory.max", &cur, err) < 0)
        return -1;
      limit = cur == UINT64_MAX ? -1 : (int64_t)cur;
    }
    int64_t v;
    if (cg_swap_to_v2(limit, m->swap, &v, err) < 0)
      return -1;
    /* 0 is "leave alone", except when swap equals the limit: that is the
       OCI way to say "no swap", so swap.max gets 0 (as runc does). */
    if (v != 0 || m->swap > 0) {
      num_or_max(v, buf);
      if (!cg_file_exists(dir, "memory.swap.max")) {
        if (v != -1 && v != 0)
          return cn_error_set(err, EOPNOTSUPP,
                              KEY "memory.swap: swap accounting is not enabled on this host "
                                  "(no memory.swap.max)");
      } else if (cg_write(dir, "memory.swap.max", buf, err) < 0) {
        return cn_error_wrap(err, KEY "memory.swap");
      }
    }
  }
  if (m->has_limit && m->limit != 0
      && cg_write(dir, "memory.max", num_or_max(m->limit, buf), err) < 0)
    return cn_error_wrap(err, KEY "memory.limit");
  if (m->has_reservation && m->reservation != 0
      && cg_write(dir, "memory.low", num_or_max(m->reservation, buf), err) < 0)
    return cn_error_wrap(err, KEY "memory.reservation");
  return 0;
}

int cg_v2_cpu(const char *dir, const struct spec_cpu *c, cn_error_t *err)
{
  char buf[64];
  if (c->has_shares && c->shares != 0) {
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)cg_shares_to_weight(c->shares));
    if (cg_write(dir, "cpu.weight", buf, err) < 0)
      return cn_error_wrap(err, KEY "cpu.shares (as cpu.weight)");
  }
  bool quota = c->has_quota && c->quota != 0;
  bool period = c->has_period && c->period != 0;
  if (quota || period) {
    /* One write sets both; a period alone keeps the quota "max", as runc. */
    int n = c->has_quota && c->quota > 0 ? snprintf(buf, sizeof buf, "%lld", (long long)c->quota)
                                         : snprintf(buf, sizeof buf, "max");
    if (period)
      snprintf(buf + n, sizeof buf - n, " %llu", (unsigned long long)c->period);
    if (cg_write(dir, "cpu.max", buf, err) < 0)
      return cn_error_wrap(err, KEY "cpu.quota/period (as cpu.max)");
  }
  if (c->has_burst) {
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)c->burst);
    if (cg_write(dir, "cpu.max.burst", buf, err) < 0)
      return cn_error_wrap(err, KEY "cpu.burst");
  }
  if (c->has_idle) {
    snprintf(buf, sizeof buf, "%lld", (long long)c->idle);
    if (cg_write(dir, "cpu.idle", buf, err) < 0)
      return cn_error_wrap(err, KEY "cpu.idle");
  }
  return 0;
}

int cg_v2_cpuset(const char *dir, const struct spec_cpu *c, cn_error_t *err)
{
  if (c->cpus && *c->cpus && cg_write(dir, "cpuset.cpus", c->cpus, err) < 0)
    return cn_error_wrap(err, KEY "cpu.cpus");
  if (c->mems && *c->mems && cg_write(dir, "cpuset.mems", c->mems, err) < 0)
    return cn_error_wrap(err, KEY "cpu.mems");
  return 0;
}

int cg_v2_pids(const char *dir, int64_t limit, cn_error_t *err)
{
  char buf[32];
  if (cg_write(dir, "pids.max", cg_pids_value(limit, buf), err) < 0)
    return cn_error_wrap(err, KEY "pids.limit");
  return 0;
}

static int io_max(const char *dir, const char *key, const char *what,
                  const struct spec_throttle_list *l, cn_error_t *err)
{
  for (size_t i = 0; i < l->n; i++) {
    char buf[96];
    snprintf(buf, sizeof buf, "%lld:%lld %s=%llu", (long long)l->v[i].major,
             (long long)l->v[i].minor, what, (unsigned long long)l->v[i].rate);
    if (cg_write(dir, "io.max", buf, err) < 0)
      return cn_error_wrap(err, KEY "blockIO.%s[%zu]", key, i);
  }
  return 0;
}

/* BFQ takes the v1 weight as is; iocost's io.weight has another range. */
int cg_v2_io(const char *dir, const struct spec_block_io *b, cn_error_t *err)
{
  bool bfq = cg_file_exists(dir, "io.bfq.weight");
  char buf[96];
  if (b->has_weight && b->weight != 0) {
    snprintf(buf, sizeof buf, "%llu",
             (unsigned long long)(bfq ? b->weight : cg_blkio_weight_to_io_weight(b->weight)));
    if (cg_write(dir, bfq ? "io.bfq.weight" : "io.weight", buf, err) < 0)
      return cn_error_wrap(err, KEY "blockIO.weight");
  }
  for (size_t i = 0; i < b->n_weight_device; i++) {
    const struct spec_weight_device *d = &b->weight_device[i];
    if (!d->has_weight)
      continue;
    snprintf(buf, sizeof buf, "%lld:%lld %llu", (long long)d->major, (long long)d->minor,
             (unsigned long long)(bfq ? d->weight : cg_blkio_weight_to_io_weight(d->weight)));
    if (cg_write(dir, bfq ? "io.bfq.weight" : "io.weight", buf, err) < 0)
      return cn_error_wrap(err, KEY "blockIO.weightDevice[%zu]", i);
  }
  if (io_max(dir, "throttleReadBpsDevice", "rbps", &b->throttle_read_bps, err) < 0
      || io_max(dir, "throttleWriteBpsDevice", "wbps", &b->throttle_write_bps, err) < 0
      || io_max(dir, "throttleReadIOPSDevice", "riops", &b->throttle_read_iops, err) < 0
      || io_max(dir, "throttleWriteIOPSDevice", "wiops", &b->throttle_write_iops, err) < 0)
    return -1;
  return 0;
}

int cg_v2_hugetlb(const char *dir, const struct spec_resources *r, cn_error_t *err)
{
  for (size_t i = 0; i < r->n_hugepage_limits; i++) {
    _cleanup_free_ char *f = xasprintf("hugetlb.%s.max", r->hugepage_limits[i].page_size);
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)r->hugepage_limits[i].limit);
    if (cg_write(dir, f, buf, err) < 0)
      return cn_error_wrap(err, KEY "hugepageLimits[%zu]", i);
  }
  return 0;
}

/* Written last so that it wins over the typed keys. */
int cg_v2_unified(const char *dir, const struct spec_resources *r, cn_error_t *err)
{
  for (size_t i = 0; i < r->n_unified; i++) {
    const char *k = r->unified[i].key, *v = r->unified[i].value ? r->unified[i].value : "";
    if (!cg_file_exists(dir, k))
      return cn_error_set(
          err, ENOENT, KEY "unified[\"%s\"]: no such cgroup file (is its controller enabled?)", k);
    if (cg_write(dir, k, v, err) < 0)
      return cn_error_wrap(err, KEY "unified[\"%s\"]", k);
  }
  return 0;
}
