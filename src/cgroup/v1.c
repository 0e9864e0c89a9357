/* cgroup v1 value writers: one directory per controller. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/log.h"

#define KEY "linux.resources."

static int wnum(const char *dir, const char *file, long long v, cn_error_t *err)
{
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", v);
  return cg_write(dir, file, buf, err);
}

const char *cg_pids_value(int64_t limit, char buf[32])
{
  if (limit > 0)
    snprintf(buf, 32, "%lld", (long long)limit);
  else if (limit == 0)
    strcpy(buf, "1");
  else
    strcpy(buf, "max");
  return buf;
}

static int set_limit(const char *dir, int64_t limit, cn_error_t *err)
{
  if (wnum(dir, "memory.limit_in_bytes", limit, err) == 0)
    return 0;
  if ((*err)->status != EBUSY)
    return cn_error_wrap(err, KEY "memory.limit");
  cn_error_release(err);
  uint64_t usage = 0, peak = 0;
  _cleanup_error_ cn_error_t e2 = NULL;
  cg_read_u64(dir, "memory.usage_in_bytes", &usage, &e2);
  cg_read_u64(dir, "memory.max_usage_in_bytes", &peak, &e2);
  return cn_error_set(err, EBUSY,
                      KEY "memory.limit: unable to set memory limit to %lld (current usage: %llu, "
                          "peak usage: %llu)",
                      (long long)limit, (unsigned long long)usage, (unsigned long long)peak);
}

/* memory.memsw.limit_in_bytes (memory+swap) must never fall below
   memory.limit_in_bytes, so the order of the two writes depends on whether
   the pair grows or shrinks. */
int cg_v1_memory(const char *dir, const struct spec_memory *m, bool update, cn_error_t *err)
{
  (void)update;
  bool limit = m->has_limit && m->limit != 0;
  bool swap = m->has_swap && m->swap != 0;
  if (swap) {
    /* The new memsw may only go first when it is not below the current
       memory limit (a fresh cgroup's limit is "unlimited"). */
    uint64_t cur = UINT64_MAX;
    _cleanup_error_ cn_error_t e2 = NULL;
    cg_read_u64(dir, "memory.limit_in_bytes", &cur, &e2);
    bool memsw_first = m->swap == -1 || cur < (uint64_t)m->swap;
    if (memsw_first) {
      if (wnum(dir, "memory.memsw.limit_in_bytes", m->swap, err) < 0)
        return cn_error_wrap(err, KEY "memory.swap");
      if (limit && set_limit(dir, m->limit, err) < 0)
        return -1;
    } else {
      if (limit && set_limit(dir, m->limit, err) < 0)
        return -1;
      if (wnum(dir, "memory.memsw.limit_in_bytes", m->swap, err) < 0)
        return cn_error_wrap(err, KEY "memory.swap");
    }
  } else if (limit && set_limit(dir, m->limit, err) < 0) {
    return -1;
  }
  if (m->has_reservation && m->reservation != 0
      && wnum(dir, "memory.soft_limit_in_bytes", m->reservation, err) < 0)
    return cn_error_wrap(err, KEY "memory.reservation");
  if (m->has_swappiness && m->swappiness <= 100
      && wnum(dir, "memory.swappiness", (long long)m->swappiness, err) < 0)
    return cn_error_wrap(err, KEY "memory.swappiness");
  if (m->has_disable_oom_killer && m->disable_oom_killer
      && cg_write(dir, "memory.oom_control", "1", err) < 0)
    return cn_error_wrap(err, KEY "memory.disableOOMKiller");
  if (m->has_use_hierarchy && !m->use_hierarchy)
    cn_warn(KEY "memory.useHierarchy false is not supported by the kernel; ignored");
  return 0;
}

int cg_v1_cpu(const char *dir, const struct spec_cpu *c, cn_error_t *err)
{
  if (c->has_shares && c->shares != 0) {
    if (wnum(dir, "cpu.shares", (long long)c->shares, err) < 0)
      return cn_error_wrap(err, KEY "cpu.shares");
    uint64_t got = 0;
    if (cg_read_u64(dir, "cpu.shares", &got, err) < 0)
      return -1;
    /* An idle cgroup reads back the kernel's idle weight, whatever was written. */
    bool idle = c->has_idle && c->idle == 1;
    if (got != c->shares && !idle)
      return cn_error_set(err, EINVAL, KEY "cpu.shares: the %s allowed cpu-shares is %llu",
                          c->shares > got ? "maximum" : "minimum", (unsigned long long)got);
  }
  bool quota_done = false;
  if (c->has_period && c->period != 0) {
    if (wnum(dir, "cpu.cfs_period_us", (long long)c->period, err) < 0) {
      /* A shorter period can make the current quota invalid: quota first. */
      if ((*err)->status != EINVAL || !c->has_quota || c->quota == 0)
        return cn_error_wrap(err, KEY "cpu.period");
      cn_error_release(err);
      if (wnum(dir, "cpu.cfs_quota_us", c->quota, err) < 0)
        return cn_error_wrap(err, KEY "cpu.quota");
      quota_done = true;
      if (wnum(dir, "cpu.cfs_period_us", (long long)c->period, err) < 0)
        return cn_error_wrap(err, KEY "cpu.period");
    }
  }
  if (c->has_quota && c->quota != 0 && !quota_done
      && wnum(dir, "cpu.cfs_quota_us", c->quota, err) < 0)
    return cn_error_wrap(err, KEY "cpu.quota");
  if (c->has_burst && wnum(dir, "cpu.cfs_burst_us", (long long)c->burst, err) < 0)
    return cn_error_wrap(err, KEY "cpu.burst");
  if (c->has_realtime_period && c->realtime_period != 0
      && wnum(dir, "cpu.rt_period_us", (long long)c->realtime_period, err) < 0)
    return cn_error_wrap(err, KEY "cpu.realtimePeriod");
  if (c->has_realtime_runtime && c->realtime_runtime != 0
      && wnum(dir, "cpu.rt_runtime_us", c->realtime_runtime, err) < 0)
    return cn_error_wrap(err, KEY "cpu.realtimeRuntime (the parent cgroup needs an rt budget)");
  if (c->has_idle && wnum(dir, "cpu.idle", c->idle, err) < 0)
    return cn_error_wrap(err, KEY "cpu.idle");
  return 0;
}

int cg_v1_cpuset(const char *dir, const struct spec_cpu *c, cn_error_t *err)
{
  if (c->cpus && *c->cpus && cg_write(dir, "cpuset.cpus", c->cpus, err) < 0)
    return cn_error_wrap(err, KEY "cpu.cpus");
  if (c->mems && *c->mems && cg_write(dir, "cpuset.mems", c->mems, err) < 0)
    return cn_error_wrap(err, KEY "cpu.mems");
  return 0;
}

int cg_v1_pids(const char *dir, int64_t limit, cn_error_t *err)
{
  char buf[32];
  if (cg_write(dir, "pids.max", cg_pids_value(limit, buf), err) < 0)
    return cn_error_wrap(err, KEY "pids.limit");
  return 0;
}

static int throttle(const char *dir, const char *file, const char *key,
                    const struct spec_throttle_list *l, cn_error_t *err)
{
  for (size_t i = 0; i < l->n; i++) {
    char buf[96];
    snprintf(buf, sizeof buf, "%lld:%lld %llu", (long long)l->v[i].major, (long long)l->v[i].minor,
             (unsigned long long)l->v[i].rate);
    if (cg_write(dir, file, buf, err) < 0)
      return cn_error_wrap(err, KEY "blockIO.%s[%zu]", key, i);
  }
  return 0;
}

/* CFQ is gone from current kernels; BFQ exposes the same knobs with a bfq.
   prefix, so use whichever file the kernel has. */
static const char *pick(const char *dir, const char *plain, const char *bfq)
{
  return cg_file_exists(dir, plain) ? plain : bfq;
}

int cg_v1_blkio(const char *dir, const struct spec_block_io *b, cn_error_t *err)
{
  if (b->has_weight && b->weight != 0
      && wnum(dir, pick(dir, "blkio.weight", "blkio.bfq.weight"), b->weight, err) < 0)
    return cn_error_wrap(err, KEY "blockIO.weight");
  if (b->has_leaf_weight && b->leaf_weight != 0
      && wnum(dir, "blkio.leaf_weight", b->leaf_weight, err) < 0)
    return cn_error_wrap(err, KEY "blockIO.leafWeight");
  for (size_t i = 0; i < b->n_weight_device; i++) {
    const struct spec_weight_device *d = &b->weight_device[i];
    char buf[96];
    if (d->has_weight) {
      snprintf(buf, sizeof buf, "%lld:%lld %u", (long long)d->major, (long long)d->minor,
               d->weight);
      if (cg_write(dir, pick(dir, "blkio.weight_device", "blkio.bfq.weight_device"), buf, err) < 0)
        return cn_error_wrap(err, KEY "blockIO.weightDevice[%zu]", i);
    }
    if (d->has_leaf_weight) {
      snprintf(buf, sizeof buf, "%lld:%lld %u", (long long)d->major, (long long)d->minor,
               d->leaf_weight);
      if (cg_write(dir, "blkio.leaf_weight_device", buf, err) < 0)
        return cn_error_wrap(err, KEY "blockIO.weightDevice[%zu].leafWeight", i);
    }
  }
  if (throttle(dir, "blkio.throttle.read_bps_device", "throttleReadBpsDevice",
               &b->throttle_read_bps, err)
          < 0
      || throttle(dir, "blkio.throttle.write_bps_device", "throttleWriteBpsDevice",
                  &b->throttle_write_bps, err)
             < 0
      || throttle(dir, "blkio.throttle.read_iops_device", "throttleReadIOPSDevice",
                  &b->throttle_read_iops, err)
             < 0
      || throttle(dir, "blkio.throttle.write_iops_device", "throttleWriteIOPSDevice",
                  &b->throttle_write_iops, err)
             < 0)
    return -1;
  return 0;
}

int cg_v1_hugetlb(const char *dir, const struct spec_resources *r, cn_error_t *err)
{
  for (size_t i = 0; i < r->n_hugepage_limits; i++) {
    _cleanup_free_ char *f
        = xasprintf("hugetlb.%s.limit_in_bytes", r->hugepage_limits[i].page_size);
    if (wnum(dir, f, (long long)r->hugepage_limits[i].limit, err) < 0)
      return cn_error_wrap(err, KEY "hugepageLimits[%zu]", i);
  }
  return 0;
}

int cg_v1_network(const struct cgroup *cg, const struct spec_resources *r, cn_error_t *err)
{
  if (r->has_class_id && wnum(cg->v1[CG_NET_CLS], "net_cls.classid", r->class_id, err) < 0)
    return cn_error_wrap(err, KEY "network.classID");
  for (size_t i = 0; i < r->n_net_priorities; i++) {
    char buf[128];
    snprintf(buf, sizeof buf, "%s %u", r->net_priorities[i].name, r->net_priorities[i].priority);
    if (cg_write(cg->v1[CG_NET_PRIO], "net_prio.ifpriomap", buf, err) < 0)
      return cn_error_wrap(err, KEY "network.priorities[%zu]", i);
  }
  return 0;
}

/* rdma.max has the same format on both versions. */
int cg_rdma(const char *dir, const struct spec_resources *r, cn_error_t *err)
{
  for (size_t i = 0; i < r->n_rdma; i++) {
    const struct spec_rdma *d = &r->rdma[i];
    char h[32] = "max", o[32] = "max";
    if (d->has_hca_handles)
      snprintf(h, sizeof h, "%u", d->hca_handles);
    if (d->has_hca_objects)
      snprintf(o, sizeof o, "%u", d->hca_objects);
    _cleanup_free_ char *v = xasprintf("%s hca_handle=%s hca_object=%s", d->device, h, o);
    if (cg_write(dir, "rdma.max", v, err) < 0)
      return cn_error_wrap(err, KEY "rdma[\"%s\"]", d->device);
  }
  return 0;
}
