/* Every key is checked before a directory is made, so a bad value fails
   create (or update) with an error that names it and leaves nothing behind.
   A key that no hierarchy on this host can honour is an error too: silently
   dropping a limit would hand the container more than it was promised. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

#define KEY "linux.resources."

enum cg_where cg_where(const struct cgroup *cg, enum cg_ctrl c)
{
  if (cg->v1[c])
    return CG_IN_V1;
  const char *v2 = cg_ctrl_v2_name(c);
  if (cg->unified && v2)
    for (char **p = cg->v2_ctrls; p && *p; p++)
      if (strcmp(*p, v2) == 0)
        return CG_IN_V2;
  return CG_NOWHERE;
}

static int need(const struct cgroup *cg, enum cg_ctrl c, const char *key, cn_error_t *err)
{
  if (cg_where(cg, c) != CG_NOWHERE)
    return 0;
  return cn_error_set(err, EOPNOTSUPP,
                      KEY "%s: the %s controller is not available on this host (neither a "
                          "cgroup v1 mount nor enabled in the cgroup v2 hierarchy)",
                      key, cg_ctrl_name(c));
}

static int check_cpuset(const char *key, const char *val, const char *avail_file, const char *what,
                        cn_error_t *err)
{
  uint64_t want[16], have[16];
  if (cg_parse_cpuset(val, want) < 0)
    return cn_error_set(err, EINVAL, KEY "%s: invalid value \"%s\" (expected a list like 0-3,7)",
                        key, val);
  _cleanup_free_ char *avail = NULL;
  _cleanup_error_ cn_error_t e2 = NULL;
  if (cn_read_file(avail_file, &avail, NULL, &e2) < 0) {
    free(avail);
    avail = xstrdup("0"); /* no NUMA information: node 0 only */
  }
  if (cg_parse_cpuset(avail, have) < 0)
    return 0;
  for (int i = 0; i < 16; i++)
    if (want[i] & ~have[i]) {
      avail[strcspn(avail, "\n")] = '\0';
      return cn_error_set(err, EINVAL,
                          KEY "%s: requested %s are not available - requested %s, available: %s",
                          key, what, val, avail);
    }
  return 0;
}

static int check_blockdev(const char *key, size_t i, int64_t major, int64_t minor, cn_error_t *err)
{
  _cleanup_free_ char *p
      = xasprintf("/sys/dev/block/%lld:%lld", (long long)major, (long long)minor);
  if (major < 0 || minor < 0 || access(p, F_OK) < 0)
    return cn_error_set(err, ENODEV, KEY "blockIO.%s[%zu]: block device %lld:%lld does not exist",
                        key, i, (long long)major, (long long)minor);
  return 0;
}

static int check_throttle(const struct cgroup *cg, const char *key,
                          const struct spec_throttle_list *l, cn_error_t *err)
{
  for (size_t i = 0; i < l->n; i++)
    if (check_blockdev(key, i, l->v[i].major, l->v[i].minor, err) < 0)
      return -1;
  if (l->n)
    return need(cg, CG_BLKIO, "blockIO", err);
  return 0;
}

static int check_memory(const struct cgroup *cg, const struct spec_memory *m, bool update,
                        cn_error_t *err)
{
  bool v2 = cg_where(cg, CG_MEMORY) == CG_IN_V2;
  if (m->has_limit && m->limit < -1)
    return cn_error_set(err, EINVAL, KEY "memory.limit: invalid value %lld", (long long)m->limit);
  if (m->has_reservation && m->reservation < -1)
    return cn_error_set(err, EINVAL, KEY "memory.reservation: invalid value %lld",
                        (long long)m->reservation);
  if (m->has_swap && m->swap < -1)
    return cn_error_set(err, EINVAL, KEY "memory.swap: invalid value %lld", (long long)m->swap);
  if (m->has_swap && m->swap > 0 && m->has_limit && m->limit > 0 && m->swap < m->limit)
    return cn_error_set(err, EINVAL,
                        KEY "memory.swap: memory+swap limit (%lld) should be >= memory limit "
                            "(%lld)",
                        (long long)m->swap, (long long)m->limit);
  if (m->has_swap && m->swap > 0 && !update && !(m->has_limit && m->limit != 0))
    return cn_error_set(err, EINVAL,
                        KEY "memory.swap: unable to set swap limit without memory limit");
  if (m->has_swappiness && m->swappiness > 100 && m->swappiness != UINT64_MAX)
    return cn_error_set(err, EINVAL, KEY "memory.swappiness: %llu out of range 0-100",
                        (unsigned long long)m->swappiness);
  if (m->has_disable_oom_killer && m->disable_oom_killer && v2)
    return cn_error_set(err, EOPNOTSUPP,
                        KEY "memory.disableOOMKiller: not supported on cgroup v2 (it has no "
                            "OOM-killer switch)");
  if ((m->has_limit || m->has_reservation || m->has_swap || m->has_swappiness
       || (m->has_disable_oom_killer && m->disable_oom_killer))
      && need(cg, CG_MEMORY, "memory", err) < 0)
    return -1;
  if (m->has_swap && m->swap != 0 && m->swap != -1 && cg_where(cg, CG_MEMORY) == CG_IN_V1) {
    /* The directory may not exist yet: its parent shows swap accounting too. */
    if (!cg_file_exists(cg->v1[CG_MEMORY], "memory.memsw.limit_in_bytes")
        && !cg_file_exists("/sys/fs/cgroup/memory", "memory.memsw.limit_in_bytes"))
      return cn_error_set(err, EOPNOTSUPP,
                          KEY "memory.swap: swap accounting is not enabled on this host "
                              "(no memory.memsw.limit_in_bytes)");
  }
  if (m->has_kernel)
    cn_warn(KEY "memory.kernel is deprecated and not supported by the kernel; ignored");
  if (m->has_kernel_tcp)
    cn_warn(KEY "memory.kernelTCP is not supported; ignored");
  if (m->has_swappiness && v2 && m->swappiness != UINT64_MAX)
    cn_warn(KEY "memory.swappiness has no cgroup v2 equivalent; ignored");
  return 0;
}

static int check_cpu(const struct cgroup *cg, const struct spec_cpu *c, cn_error_t *err)
{
  bool v2 = cg_where(cg, CG_CPU) == CG_IN_V2;
  if (c->has_shares && c->shares != 0 && (c->shares < 2 || c->shares > 262144))
    return cn_error_set(err, EINVAL, KEY "cpu.shares: %llu out of range 2-262144",
                        (unsigned long long)c->shares);
  if (c->has_period && c->period != 0 && (c->period < 1000 || c->period > 1000000))
    return cn_error_set(err, EINVAL,
                        KEY "cpu.period: %llu out of range (1000-1000000 microseconds)",
                        (unsigned long long)c->period);
  if (c->has_quota && c->quota > 0 && c->quota < 1000)
    return cn_error_set(err, EINVAL, KEY "cpu.quota: %lld is below the minimum of 1000",
                        (long long)c->quota);
  if (c->has_quota && c->quota < -1)
    return cn_error_set(err, EINVAL, KEY "cpu.quota: invalid value %lld", (long long)c->quota);
  if (c->has_idle && c->idle != 0 && c->idle != 1)
    return cn_error_set(err, EINVAL, KEY "cpu.idle: %lld is not 0 or 1", (long long)c->idle);
  if ((c->has_realtime_period || c->has_realtime_runtime) && v2)
    return cn_error_set(err, EOPNOTSUPP,
                        KEY "cpu.%s: real-time scheduling limits are not supported on cgroup v2",
                        c->has_realtime_runtime ? "realtimeRuntime" : "realtimePeriod");
  if (c->has_realtime_runtime && c->has_realtime_period && c->realtime_runtime > 0
      && (uint64_t)c->realtime_runtime > c->realtime_period)
    return cn_error_set(err, EINVAL,
                        KEY "cpu.realtimeRuntime: %lld cannot be higher than realtimePeriod %llu",
                        (long long)c->realtime_runtime, (unsigned long long)c->realtime_period);
  if (c->has_realtime_runtime && c->realtime_runtime < -1)
    return cn_error_set(err, EINVAL, KEY "cpu.realtimeRuntime: invalid value %lld",
                        (long long)c->realtime_runtime);
  if ((c->has_shares || c->has_quota || c->has_period || c->has_burst || c->has_idle
       || c->has_realtime_period || c->has_realtime_runtime)
      && need(cg, CG_CPU, "cpu", err) < 0)
    return -1;
  if (c->cpus && *c->cpus) {
    if (need(cg, CG_CPUSET, "cpu.cpus", err) < 0
        || check_cpuset("cpu.cpus", c->cpus, "/sys/devices/system/cpu/online", "CPUs", err) < 0)
      return -1;
  }
  if (c->mems && *c->mems) {
    if (need(cg, CG_CPUSET, "cpu.mems", err) < 0
        || check_cpuset("cpu.mems", c->mems, "/sys/devices/system/node/online", "memory nodes", err)
               < 0)
      return -1;
  }
  return 0;
}

static int check_blkio(const struct cgroup *cg, const struct spec_block_io *b, cn_error_t *err)
{
  bool v2 = cg_where(cg, CG_BLKIO) == CG_IN_V2;
  if (b->has_weight && b->weight != 0 && (b->weight < 10 || b->weight > 1000))
    return cn_error_set(err, EINVAL, KEY "blockIO.weight: %u out of range 10-1000", b->weight);
  if (b->has_leaf_weight && b->leaf_weight != 0 && (b->leaf_weight < 10 || b->leaf_weight > 1000))
    return cn_error_set(err, EINVAL, KEY "blockIO.leafWeight: %u out of range 10-1000",
                        b->leaf_weight);
  if (b->has_leaf_weight && b->leaf_weight != 0 && v2)
    return cn_error_set(err, EOPNOTSUPP, KEY "blockIO.leafWeight: not supported on cgroup v2");
  for (size_t i = 0; i < b->n_weight_device; i++) {
    const struct spec_weight_device *d = &b->weight_device[i];
    if (check_blockdev("weightDevice", i, d->major, d->minor, err) < 0)
      return -1;
    if (d->has_weight && (d->weight < 10 || d->weight > 1000))
      return cn_error_set(err, EINVAL,
                          KEY "blockIO.weightDevice[%zu].weight: %u out of range "
                              "10-1000",
                          i, d->weight);
    if (d->has_leaf_weight && v2)
      return cn_error_set(err, EOPNOTSUPP,
                          KEY "blockIO.weightDevice[%zu].leafWeight: not supported on cgroup v2",
                          i);
  }
  if ((b->has_weight || b->has_leaf_weight || b->n_weight_device)
      && need(cg, CG_BLKIO, "blockIO", err) < 0)
    return -1;
  if (check_throttle(cg, "throttleReadBpsDevice", &b->throttle_read_bps, err) < 0
      || check_throttle(cg, "throttleWriteBpsDevice", &b->throttle_write_bps, err) < 0
      || check_throttle(cg, "throttleReadIOPSDevice", &b->throttle_read_iops, err) < 0
      || check_throttle(cg, "throttleWriteIOPSDevice", &b->throttle_write_iops, err) < 0)
    return -1;
  return 0;
}

static int check_hugetlb(const struct cgroup *cg, const struct spec_resources *r, cn_error_t *err)
{
  for (size_t i = 0; i < r->n_hugepage_limits; i++) {
    const char *ps = r->hugepage_limits[i].page_size;
    uint64_t bytes = ps ? cg_hugepage_bytes(ps) : 0;
    _cleanup_free_ char *sys
        = xasprintf("/sys/kernel/mm/hugepages/hugepages-%llukB", (unsigned long long)(bytes >> 10));
    if (!bytes || access(sys, F_OK) < 0)
      return cn_error_set(err, EINVAL,
                          KEY "hugepageLimits[%zu].pageSize: \"%s\" is not a huge page size of "
                              "this host",
                          i, ps ? ps : "");
    if (need(cg, CG_HUGETLB, "hugepageLimits", err) < 0)
      return -1;
  }
  return 0;
}

static int check_devices(const struct cgroup *cg, const struct spec_resources *r, cn_error_t *err)
{
  for (size_t i = 0; i < r->n_devices; i++) {
    const struct spec_device_rule *d = &r->devices[i];
    if (d->type != 'a' && d->type != 'b' && d->type != 'c')
      return cn_error_set(err, EINVAL, KEY "devices[%zu].type: invalid type '%c'", i, d->type);
    if (d->access[strspn(d->access, "rwm")] != '\0')
      return cn_error_set(err, EINVAL, KEY "devices[%zu].access: invalid access \"%s\"", i,
                          d->access);
  }
  if (cg->layout != CGROUP_LAYOUT_V2 && !cg->v1[CG_DEVICES])
    return cn_error_set(err, EOPNOTSUPP,
                        KEY "devices: the devices controller is not mounted on this host");
  return 0;
}

int cg_validate(const struct cgroup *cg, const struct spec_resources *r, bool update,
                cn_error_t *err)
{
  if (!r)
    return 0;
  if (r->has_memory && check_memory(cg, &r->memory, update, err) < 0)
    return -1;
  if (r->has_cpu && check_cpu(cg, &r->cpu, err) < 0)
    return -1;
  if (r->has_pids && need(cg, CG_PIDS, "pids.limit", err) < 0)
    return -1;
  if (r->has_block_io && check_blkio(cg, &r->block_io, err) < 0)
    return -1;
  if (check_hugetlb(cg, r, err) < 0)
    return -1;
  if (!update && check_devices(cg, r, err) < 0)
    return -1;
  if (r->has_class_id && !cg->v1[CG_NET_CLS])
    return cn_error_set(err, EOPNOTSUPP,
                        KEY "network.classID: the net_cls controller is not mounted on this host%s",
                        cg->layout == CGROUP_LAYOUT_V2 ? " (cgroup v2 has none)" : "");
  if (r->n_net_priorities && !cg->v1[CG_NET_PRIO])
    return cn_error_set(err, EOPNOTSUPP,
                        KEY "network.priorities: the net_prio controller is not mounted on this "
                            "host%s",
                        cg->layout == CGROUP_LAYOUT_V2 ? " (cgroup v2 has none)" : "");
  for (size_t i = 0; i < r->n_net_priorities; i++)
    if (!r->net_priorities[i].name || !*r->net_priorities[i].name
        || strpbrk(r->net_priorities[i].name, " \n/"))
      return cn_error_set(err, EINVAL, KEY "network.priorities[%zu].name: invalid interface name",
                          i);
  for (size_t i = 0; i < r->n_rdma; i++) {
    if (!r->rdma[i].device || !*r->rdma[i].device || strpbrk(r->rdma[i].device, " \n"))
      return cn_error_set(err, EINVAL, KEY "rdma: invalid device name");
    if (need(cg, CG_RDMA, "rdma", err) < 0)
      return -1;
  }
  if (r->n_unified && cg->layout != CGROUP_LAYOUT_V2)
    return cn_error_set(err, EOPNOTSUPP, KEY "unified: needs a pure cgroup v2 host; this one is %s",
                        cg->layout == CGROUP_LAYOUT_V1 ? "cgroup v1" : "hybrid (v1 controllers)");
  for (size_t i = 0; i < r->n_unified; i++) {
    const char *k = r->unified[i].key;
    if (!k || !*k || strchr(k, '/') || !strchr(k, '.') || strncmp(k, "cgroup.", 7) == 0)
      return cn_error_set(err, EINVAL, KEY "unified: invalid key \"%s\"", k ? k : "");
  }
  return 0;
}
