/* linux.resources: in config.json, and alone for `update -r`.

   runc treats a zero in several of these fields as "not set" (Docker always
   sends cpu.shares 0 and blockIO.weight 0), so those zeros are stored as
   absent here and the cgroup drivers never see them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spec/internal.h"
#include "util/cleanup.h"

/* Drops a value that runc reads as unset. */
#define ZERO_IS_UNSET(has, v)                                                                      \
  do {                                                                                             \
    if ((has) && (v) == 0)                                                                         \
      (has) = false;                                                                               \
  } while (0)

/* -1 or absent is a wildcard; any other negative number is a mistake. */
static int parse_dev_number(json_object *o, const char *ep, const char *key, int64_t *out,
                            cn_error_t *err)
{
  char kp[JP_MAX];
  bool has;
  *out = -1;
  if (jm_int64(o, ep, key, out, &has, err) < 0)
    return -1;
  if (*out < -1)
    return cn_error_set(err, ERANGE, "%s: expected a device number or -1, got %lld",
                        jp_key(kp, ep, key), (long long)*out);
  return 0;
}

static int parse_device_rule(json_object *o, const char *ep, struct spec_device_rule *d,
                             cn_error_t *err)
{
  char kp[JP_MAX];
  _cleanup_free_ char *type = NULL, *access = NULL;
  if (jr_object(o, ep, err) < 0 || jm_require(o, ep, "allow", err) < 0
      || jm_bool(o, ep, "allow", &d->allow, NULL, err) < 0
      || jm_string(o, ep, "type", &type, NULL, err) < 0
      || jm_string(o, ep, "access", &access, NULL, err) < 0
      || parse_dev_number(o, ep, "major", &d->major, err) < 0
      || parse_dev_number(o, ep, "minor", &d->minor, err) < 0)
    return -1;
  d->type = 'a';
  if (type && type[0]) {
    if (strlen(type) != 1 || strchr("acb", type[0]) == NULL) {
      _cleanup_free_ char *q = jr_quote(type);
      return cn_error_set(err, EINVAL, "%s: unknown device type %s (a, c or b)",
                          jp_key(kp, ep, "type"), q);
    }
    d->type = type[0];
  }
  /* Absent access means all of it, as in runc's specconv. */
  if (access == NULL || access[0] == '\0') {
    strcpy(d->access, "rwm");
    return 0;
  }
  size_t n = strlen(access);
  for (size_t i = 0; i < n; i++)
    if (n > 3 || strchr("rwm", access[i]) == NULL || strchr(access + i + 1, access[i])) {
      _cleanup_free_ char *q = jr_quote(access);
      return cn_error_set(err, EINVAL, "%s: invalid access %s (a subset of \"rwm\")",
                          jp_key(kp, ep, "access"), q);
    }
  strcpy(d->access, access);
  return 0;
}

static int parse_device_item(json_object *o, const char *ep, void *out, cn_error_t *err)
{
  return parse_device_rule(o, ep, out, err);
}

static int parse_memory(json_object *ro, const char *path, struct spec_resources *r,
                        cn_error_t *err)
{
  char mp[JP_MAX];
  struct spec_memory *m = &r->memory;
  json_object *o = jr_get(ro, "memory");
  if (o == NULL)
    return 0;
  jp_key(mp, path, "memory");
  if (jr_object(o, mp, err) < 0 || jm_int64(o, mp, "limit", &m->limit, &m->has_limit, err) < 0
      || jm_int64(o, mp, "reservation", &m->reservation, &m->has_reservation, err) < 0
      || jm_int64(o, mp, "swap", &m->swap, &m->has_swap, err) < 0
      || jm_int64(o, mp, "kernel", &m->kernel, &m->has_kernel, err) < 0
      || jm_int64(o, mp, "kernelTCP", &m->kernel_tcp, &m->has_kernel_tcp, err) < 0
      || jm_uint64(o, mp, "swappiness", &m->swappiness, &m->has_swappiness, err) < 0
      || jm_bool(o, mp, "disableOOMKiller", &m->disable_oom_killer, &m->has_disable_oom_killer, err)
             < 0
      || jm_bool(o, mp, "useHierarchy", &m->use_hierarchy, &m->has_use_hierarchy, err) < 0
      || jm_bool(o, mp, "checkBeforeUpdate", &m->check_before_update, NULL, err) < 0)
    return -1;
  if (m->has_swappiness && m->swappiness > 100) {
    char kp[JP_MAX];
    return cn_error_set(err, ERANGE, "%s: value %llu out of range (0 to 100)",
                        jp_key(kp, mp, "swappiness"), (unsigned long long)m->swappiness);
  }
  ZERO_IS_UNSET(m->has_limit, m->limit);
  ZERO_IS_UNSET(m->has_reservation, m->reservation);
  ZERO_IS_UNSET(m->has_swap, m->swap);
  ZERO_IS_UNSET(m->has_kernel, m->kernel);
  ZERO_IS_UNSET(m->has_kernel_tcp, m->kernel_tcp);
  r->has_memory = true;
  return 0;
}

static int parse_cpu(json_object *ro, const char *path, struct spec_resources *r, cn_error_t *err)
{
  char cp[JP_MAX];
  struct spec_cpu *c = &r->cpu;
  json_object *o = jr_get(ro, "cpu");
  if (o == NULL)
    return 0;
  jp_key(cp, path, "cpu");
  if (jr_object(o, cp, err) < 0 || jm_uint64(o, cp, "shares", &c->shares, &c->has_shares, err) < 0
      || jm_int64(o, cp, "quota", &c->quota, &c->has_quota, err) < 0
      || jm_uint64(o, cp, "burst", &c->burst, &c->has_burst, err) < 0
      || jm_uint64(o, cp, "period", &c->period, &c->has_period, err) < 0
      || jm_int64(o, cp, "realtimeRuntime", &c->realtime_runtime, &c->has_realtime_runtime, err) < 0
      || jm_uint64(o, cp, "realtimePeriod", &c->realtime_period, &c->has_realtime_period, err) < 0
      || jm_string(o, cp, "cpus", &c->cpus, NULL, err) < 0
      || jm_string(o, cp, "mems", &c->mems, NULL, err) < 0
      || jm_int64(o, cp, "idle", &c->idle, &c->has_idle, err) < 0)
    return -1;
  ZERO_IS_UNSET(c->has_shares, c->shares);
  ZERO_IS_UNSET(c->has_quota, c->quota);
  ZERO_IS_UNSET(c->has_period, c->period);
  ZERO_IS_UNSET(c->has_realtime_runtime, c->realtime_runtime);
  ZERO_IS_UNSET(c->has_realtime_period, c->realtime_period);
  /* Go engines write "" for an unset cpuset. */
  if (c->cpus && c->cpus[0] == '\0')
    free(steal_pointer(&c->cpus));
  if (c->mems && c->mems[0] == '\0')
    free(steal_pointer(&c->mems));
  r->has_cpu = true;
  return 0;
}

static int parse_pids(json_object *ro, const char *path, struct spec_resources *r, cn_error_t *err)
{
  char pp[JP_MAX];
  json_object *o = jr_get(ro, "pids");
  if (o == NULL)
    return 0;
  jp_key(pp, path, "pids");
  if (jr_object(o, pp, err) < 0 || jm_int64(o, pp, "limit", &r->pids_limit, &r->has_pids, err) < 0)
    return -1;
  return 0;
}

static int parse_device_major_minor(json_object *o, const char *ep, int64_t *major, int64_t *minor,
                                    cn_error_t *err)
{
  if (jr_object(o, ep, err) < 0 || jm_require(o, ep, "major", err) < 0
      || jm_require(o, ep, "minor", err) < 0 || jm_int64(o, ep, "major", major, NULL, err) < 0
      || jm_int64(o, ep, "minor", minor, NULL, err) < 0)
    return -1;
  if (*major < 0 || *minor < 0)
    return cn_error_set(err, ERANGE, "%s: device numbers must not be negative (%lld:%lld)", ep,
                        (long long)*major, (long long)*minor);
  return 0;
}

static int parse_weight_device(json_object *o, const char *ep, void *out, cn_error_t *err)
{
  struct spec_weight_device *w = out;
  return parse_device_major_minor(o, ep, &w->major, &w->minor, err) < 0
                 || jm_uint16(o, ep, "weight", &w->weight, &w->has_weight, err) < 0
                 || jm_uint16(o, ep, "leafWeight", &w->leaf_weight, &w->has_leaf_weight, err) < 0
             ? -1
             : 0;
}

static int parse_throttle_device(json_object *o, const char *ep, void *out, cn_error_t *err)
{
  struct spec_throttle_device *t = out;
  return parse_device_major_minor(o, ep, &t->major, &t->minor, err) < 0
                 || jm_require(o, ep, "rate", err) < 0
                 || jm_uint64(o, ep, "rate", &t->rate, NULL, err) < 0
             ? -1
             : 0;
}

static int parse_throttle(json_object *bo, const char *bp, const char *key,
                          struct spec_throttle_list *l, cn_error_t *err)
{
  return jm_array(bo, bp, key, sizeof *l->v, (void **)&l->v, &l->n, parse_throttle_device, err);
}

static int parse_block_io(json_object *ro, const char *path, struct spec_resources *r,
                          cn_error_t *err)
{
  char bp[JP_MAX];
  struct spec_block_io *b = &r->block_io;
  json_object *o = jr_get(ro, "blockIO");
  if (o == NULL)
    return 0;
  jp_key(bp, path, "blockIO");
  if (jr_object(o, bp, err) < 0 || jm_uint16(o, bp, "weight", &b->weight, &b->has_weight, err) < 0
      || jm_uint16(o, bp, "leafWeight", &b->leaf_weight, &b->has_leaf_weight, err) < 0
      || jm_array(o, bp, "weightDevice", sizeof *b->weight_device, (void **)&b->weight_device,
                  &b->n_weight_device, parse_weight_device, err)
             < 0
      || parse_throttle(o, bp, "throttleReadBpsDevice", &b->throttle_read_bps, err) < 0
      || parse_throttle(o, bp, "throttleWriteBpsDevice", &b->throttle_write_bps, err) < 0
      || parse_throttle(o, bp, "throttleReadIOPSDevice", &b->throttle_read_iops, err) < 0
      || parse_throttle(o, bp, "throttleWriteIOPSDevice", &b->throttle_write_iops, err) < 0)
    return -1;
  ZERO_IS_UNSET(b->has_weight, b->weight);
  ZERO_IS_UNSET(b->has_leaf_weight, b->leaf_weight);
  r->has_block_io = true;
  return 0;
}

/* "2MB", "1GB", "64KB": the kernel's hugetlb.<size> file suffixes. */
static bool valid_page_size(const char *s)
{
  size_t digits = strspn(s, "0123456789");
  if (digits == 0 || s[0] == '0')
    return false;
  return strcmp(s + digits, "KB") == 0 || strcmp(s + digits, "MB") == 0
         || strcmp(s + digits, "GB") == 0;
}

static int parse_hugepage_limit(json_object *o, const char *ep, void *out, cn_error_t *err)
{
  char kp[JP_MAX];
  struct spec_hugepage_limit *h = out;
  if (jr_object(o, ep, err) < 0 || jm_require(o, ep, "pageSize", err) < 0
      || jm_require(o, ep, "limit", err) < 0
      || jm_string(o, ep, "pageSize", &h->page_size, NULL, err) < 0
      || jm_uint64(o, ep, "limit", &h->limit, NULL, err) < 0)
    return -1;
  if (!valid_page_size(h->page_size)) {
    _cleanup_free_ char *q = jr_quote(h->page_size);
    return cn_error_set(err, EINVAL, "%s: invalid page size %s (like \"2MB\" or \"1GB\")",
                        jp_key(kp, ep, "pageSize"), q);
  }
  return 0;
}

static int parse_net_priority(json_object *e, const char *ep, void *out, cn_error_t *err)
{
  struct spec_net_priority *p = out;
  return jr_object(e, ep, err) < 0 || jm_require(e, ep, "name", err) < 0
                 || jm_require(e, ep, "priority", err) < 0
                 || jm_string(e, ep, "name", &p->name, NULL, err) < 0
                 || jm_uint32(e, ep, "priority", &p->priority, NULL, err) < 0
             ? -1
             : 0;
}

static int parse_network(json_object *ro, const char *path, struct spec_resources *r,
                         cn_error_t *err)
{
  char np[JP_MAX];
  json_object *o = jr_get(ro, "network");
  if (o == NULL)
    return 0;
  jp_key(np, path, "network");
  if (jr_object(o, np, err) < 0
      || jm_uint32(o, np, "classID", &r->class_id, &r->has_class_id, err) < 0)
    return -1;
  r->has_network = true;
  return jm_array(o, np, "priorities", sizeof *r->net_priorities, (void **)&r->net_priorities,
                  &r->n_net_priorities, parse_net_priority, err);
}

static int parse_rdma(json_object *ro, const char *path, struct spec_resources *r, cn_error_t *err)
{
  char rp[JP_MAX], ep[JP_MAX];
  json_object *o = jr_get(ro, "rdma");
  if (o == NULL)
    return 0;
  jp_key(rp, path, "rdma");
  if (jr_object(o, rp, err) < 0)
    return -1;
  r->rdma = xcalloc(json_object_object_length(o), sizeof *r->rdma);
  json_object_object_foreach(o, dev, v)
  {
    struct spec_rdma *d = &r->rdma[r->n_rdma++];
    d->device = xstrdup(dev);
    jp_key(ep, rp, dev);
    if (v == NULL)
      return jr_type_error(err, ep, "object", v);
    if (jr_object(v, ep, err) < 0
        || jm_uint32(v, ep, "hcaHandles", &d->hca_handles, &d->has_hca_handles, err) < 0
        || jm_uint32(v, ep, "hcaObjects", &d->hca_objects, &d->has_hca_objects, err) < 0)
      return -1;
  }
  return 0;
}

int spec_parse_resources_obj(json_object *ro, const char *path, struct spec_resources *r,
                             cn_error_t *err)
{
  if (jr_object(ro, path, err) < 0
      || jm_array(ro, path, "devices", sizeof *r->devices, (void **)&r->devices, &r->n_devices,
                  parse_device_item, err)
             < 0
      || parse_memory(ro, path, r, err) < 0 || parse_cpu(ro, path, r, err) < 0
      || parse_pids(ro, path, r, err) < 0 || parse_block_io(ro, path, r, err) < 0
      || jm_array(ro, path, "hugepageLimits", sizeof *r->hugepage_limits,
                  (void **)&r->hugepage_limits, &r->n_hugepage_limits, parse_hugepage_limit, err)
             < 0
      || parse_network(ro, path, r, err) < 0 || parse_rdma(ro, path, r, err) < 0
      || jm_kv(ro, path, "unified", &r->unified, &r->n_unified, err) < 0)
    return -1;
  return 0;
}

int spec_parse_resources_string(const char *json, struct spec_resources *out, cn_error_t *err)
{
  json_object *doc = NULL;
  if (jr_parse(json, strlen(json), "resources", &doc, err) < 0)
    return -1;
  struct spec_resources r = { 0 };
  int ret = spec_parse_resources_obj(doc, "", &r, err);
  json_object_put(doc);
  if (ret < 0) {
    spec_resources_clear(&r);
    return -1;
  }
  *out = r;
  return 0;
}
