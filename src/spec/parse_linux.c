/* The linux object, except resources and seccomp (their own files). */
#include <errno.h>
#include <string.h>

#include "spec/internal.h"
#include "util/cleanup.h"

static int parse_namespace(json_object *o, const char *ep, struct spec_linux *l, cn_error_t *err)
{
  char kp[JP_MAX];
  _cleanup_free_ char *type = NULL;
  struct spec_namespace *ns = &l->namespaces[l->n_namespaces];
  if (jr_object(o, ep, err) < 0 || jm_require(o, ep, "type", err) < 0
      || jm_string(o, ep, "type", &type, NULL, err) < 0)
    return -1;
  int t = spec_ns_from_name(type);
  _cleanup_free_ char *q = jr_quote(type);
  if (t < 0)
    return cn_error_set(err, EINVAL, "%s: unknown namespace %s", jp_key(kp, ep, "type"), q);
  for (size_t i = 0; i < l->n_namespaces; i++)
    if ((int)l->namespaces[i].type == t)
      return cn_error_set(err, EINVAL, "%s: duplicate namespace %s (also at index %zu)",
                          jp_key(kp, ep, "type"), q, i);
  ns->type = (enum spec_ns_type)t;
  l->n_namespaces++;
  if (jm_string(o, ep, "path", &ns->path, NULL, err) < 0)
    return -1;
  if (ns->path && spec_check_absolute(ns->path, jp_key(kp, ep, "path"), err) < 0)
    return -1;
  return 0;
}

static int parse_namespaces(json_object *lo, const char *path, struct spec_linux *l,
                            cn_error_t *err)
{
  char np[JP_MAX], ep[JP_MAX];
  json_object *v = jr_get(lo, "namespaces");
  size_t n = 0;
  if (v == NULL)
    return 0;
  jp_key(np, path, "namespaces");
  if (jr_array(v, np, &n, err) < 0)
    return -1;
  l->namespaces = xcalloc(n, sizeof *l->namespaces);
  for (size_t i = 0; i < n; i++)
    if (parse_namespace(json_object_array_get_idx(v, i), jp_idx(ep, np, i), l, err) < 0)
      return -1;
  return 0;
}

static int parse_time_offset(json_object *o, const char *cp, struct spec_time_offset *t,
                             cn_error_t *err)
{
  if (jr_object(o, cp, err) < 0 || jm_int64(o, cp, "secs", &t->secs, NULL, err) < 0
      || jm_uint32(o, cp, "nanosecs", &t->nanosecs, NULL, err) < 0)
    return -1;
  if (t->nanosecs >= 1000000000) {
    char kp[JP_MAX];
    return cn_error_set(err, ERANGE, "%s: value %u out of range (0 to 999999999)",
                        jp_key(kp, cp, "nanosecs"), t->nanosecs);
  }
  t->set = true;
  return 0;
}

static int parse_time_offsets(json_object *lo, const char *path, struct spec_linux *l,
                              cn_error_t *err)
{
  char tp[JP_MAX], cp[JP_MAX];
  json_object *o = jr_get(lo, "timeOffsets");
  if (o == NULL)
    return 0;
  jp_key(tp, path, "timeOffsets");
  if (jr_object(o, tp, err) < 0)
    return -1;
  json_object_object_foreach(o, clock, v)
  {
    jp_key(cp, tp, clock);
    struct spec_time_offset *t;
    if (strcmp(clock, "monotonic") == 0)
      t = &l->time_monotonic;
    else if (strcmp(clock, "boottime") == 0)
      t = &l->time_boottime;
    else {
      _cleanup_free_ char *q = jr_quote(clock);
      return cn_error_set(err, EINVAL, "%s: unknown clock %s (monotonic or boottime)", cp, q);
    }
    if (v && parse_time_offset(v, cp, t, err) < 0)
      return -1;
  }
  return 0;
}

static int parse_device(json_object *o, const char *ep, struct spec_device *d, cn_error_t *err)
{
  char kp[JP_MAX];
  _cleanup_free_ char *type = NULL;
  uint32_t mode = 0;
  if (jr_object(o, ep, err) < 0 || jm_require(o, ep, "path", err) < 0
      || jm_string(o, ep, "path", &d->path, NULL, err) < 0
      || spec_check_absolute(d->path, jp_key(kp, ep, "path"), err) < 0
      || jm_require(o, ep, "type", err) < 0 || jm_string(o, ep, "type", &type, NULL, err) < 0)
    return -1;
  if (strlen(type) != 1 || strchr("cbup", type[0]) == NULL) {
    _cleanup_free_ char *q = jr_quote(type);
    return cn_error_set(err, EINVAL, "%s: unknown device type %s (c, b, u or p)",
                        jp_key(kp, ep, "type"), q);
  }
  d->type = type[0];
  /* A FIFO has no numbers; every other node needs both. */
  if (d->type != 'p'
      && (jm_require(o, ep, "major", err) < 0 || jm_require(o, ep, "minor", err) < 0))
    return -1;
  if (jm_int64(o, ep, "major", &d->major, NULL, err) < 0
      || jm_int64(o, ep, "minor", &d->minor, NULL, err) < 0
      || jm_uint32(o, ep, "fileMode", &mode, &d->has_file_mode, err) < 0
      || jm_uint32(o, ep, "uid", &d->uid, &d->has_uid, err) < 0
      || jm_uint32(o, ep, "gid", &d->gid, &d->has_gid, err) < 0)
    return -1;
  if (d->major < 0 || d->minor < 0)
    return cn_error_set(err, ERANGE, "%s: device numbers must not be negative (%lld:%lld)", ep,
                        (long long)d->major, (long long)d->minor);
  if (mode > 07777)
    return cn_error_set(err, ERANGE, "%s: value %#o out of range (0 to 07777)",
                        jp_key(kp, ep, "fileMode"), mode);
  d->file_mode = mode;
  return 0;
}

static int parse_device_item(json_object *o, const char *ep, void *out, cn_error_t *err)
{
  return parse_device(o, ep, out, err);
}

static int parse_devices(json_object *lo, const char *path, struct spec_linux *l, cn_error_t *err)
{
  return jm_array(lo, path, "devices", sizeof *l->devices, (void **)&l->devices, &l->n_devices,
                  parse_device_item, err);
}

static int parse_propagation(json_object *lo, const char *path, struct spec_linux *l,
                             cn_error_t *err)
{
  static const char *const modes[] = { "shared",  "rshared",  "slave",      "rslave",
                                       "private", "rprivate", "unbindable", "runbindable" };
  char kp[JP_MAX];
  if (jm_string(lo, path, "rootfsPropagation", &l->rootfs_propagation, NULL, err) < 0)
    return -1;
  /* Go engines write "" for unset. */
  if (l->rootfs_propagation == NULL || l->rootfs_propagation[0] == '\0')
    return 0;
  for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
    if (strcmp(modes[i], l->rootfs_propagation) == 0)
      return 0;
  _cleanup_free_ char *q = jr_quote(l->rootfs_propagation);
  return cn_error_set(err, EINVAL, "%s: unknown propagation %s",
                      jp_key(kp, path, "rootfsPropagation"), q);
}

static int parse_paths(json_object *lo, const char *path, const char *key, char ***out,
                       cn_error_t *err)
{
  char kp[JP_MAX], ep[JP_MAX];
  if (jm_strv(lo, path, key, out, err) < 0)
    return -1;
  for (size_t i = 0; *out && (*out)[i]; i++)
    if (spec_check_absolute((*out)[i], jp_idx(ep, jp_key(kp, path, key), i), err) < 0)
      return -1;
  return 0;
}

int spec_parse_linux_obj(json_object *lo, const char *path, struct spec_linux *l, cn_error_t *err)
{
  char kp[JP_MAX];
  if (jr_object(lo, path, err) < 0 || parse_namespaces(lo, path, l, err) < 0
      || spec_parse_id_maps(lo, path, "uidMappings", &l->uid_mappings, &l->n_uid_mappings, err) < 0
      || spec_parse_id_maps(lo, path, "gidMappings", &l->gid_mappings, &l->n_gid_mappings, err) < 0
      || parse_time_offsets(lo, path, l, err) < 0 || parse_devices(lo, path, l, err) < 0
      || jm_string(lo, path, "cgroupsPath", &l->cgroups_path, NULL, err) < 0
      || parse_propagation(lo, path, l, err) < 0
      || parse_paths(lo, path, "maskedPaths", &l->masked_paths, err) < 0
      || parse_paths(lo, path, "readonlyPaths", &l->readonly_paths, err) < 0
      || jm_string(lo, path, "mountLabel", &l->mount_label, NULL, err) < 0
      || jm_kv(lo, path, "sysctl", &l->sysctl, &l->n_sysctl, err) < 0)
    return -1;
  json_object *v = jr_get(lo, "resources");
  if (v) {
    l->has_resources = true;
    if (spec_parse_resources_obj(v, jp_key(kp, path, "resources"), &l->resources, err) < 0)
      return -1;
  }
  v = jr_get(lo, "seccomp");
  if (v) {
    l->has_seccomp = true;
    if (spec_parse_seccomp_obj(v, jp_key(kp, path, "seccomp"), &l->seccomp, err) < 0)
      return -1;
  }
  return 0;
}
