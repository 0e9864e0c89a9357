/* linux.seccomp.  Names are checked against the OCI vocabulary here;
   whether a syscall name exists on this architecture is the sandbox's
   business (unknown ones are skipped with a warning there). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spec/internal.h"
#include "util/cleanup.h"

static int check_name(const struct spec_name_value *table, const char *what, const char *name,
                      const char *path, cn_error_t *err)
{
  if (spec_name_lookup(table, name))
    return 0;
  _cleanup_free_ char *q = jr_quote(name);
  return cn_error_set(err, EINVAL, "%s: unknown %s %s", path, what, q);
}

static int check_names(const struct spec_name_value *table, const char *what, char **names,
                       const char *path, cn_error_t *err)
{
  char ep[JP_MAX];
  for (size_t i = 0; names && names[i]; i++)
    if (check_name(table, what, names[i], jp_idx(ep, path, i), err) < 0)
      return -1;
  return 0;
}

static int parse_arg(json_object *o, const char *ep, struct spec_seccomp_arg *a, cn_error_t *err)
{
  char kp[JP_MAX];
  int index = 0;
  if (jr_object(o, ep, err) < 0 || jm_require(o, ep, "index", err) < 0
      || jm_require(o, ep, "value", err) < 0 || jm_require(o, ep, "op", err) < 0
      || jm_int(o, ep, "index", 0, 5, &index, NULL, err) < 0
      || jm_uint64(o, ep, "value", &a->value, NULL, err) < 0
      || jm_uint64(o, ep, "valueTwo", &a->value_two, NULL, err) < 0
      || jm_string(o, ep, "op", &a->op, NULL, err) < 0)
    return -1;
  a->index = (unsigned)index;
  return check_name(spec_seccomp_operators, "operator", a->op, jp_key(kp, ep, "op"), err);
}

static int parse_syscall(json_object *o, const char *ep, struct spec_seccomp_syscall *sc,
                         cn_error_t *err)
{
  char kp[JP_MAX], ap[JP_MAX], aep[JP_MAX];
  size_t n = 0;
  if (jr_object(o, ep, err) < 0 || jm_require(o, ep, "names", err) < 0
      || jm_strv(o, ep, "names", &sc->names, err) < 0)
    return -1;
  if (sc->names[0] == NULL)
    return cn_error_set(err, EINVAL, "%s: must have at least one entry", jp_key(kp, ep, "names"));
  if (jm_require(o, ep, "action", err) < 0 || jm_string(o, ep, "action", &sc->action, NULL, err) < 0
      || check_name(spec_seccomp_actions, "action", sc->action, jp_key(kp, ep, "action"), err) < 0
      || jm_uint32(o, ep, "errnoRet", &sc->errno_ret, &sc->has_errno_ret, err) < 0)
    return -1;
  json_object *v = jr_get(o, "args");
  if (v == NULL)
    return 0;
  jp_key(ap, ep, "args");
  if (jr_array(v, ap, &n, err) < 0)
    return -1;
  sc->args = xcalloc(n, sizeof *sc->args);
  for (size_t i = 0; i < n; i++) {
    sc->n_args = i + 1;
    if (parse_arg(json_object_array_get_idx(v, i), jp_idx(aep, ap, i), &sc->args[i], err) < 0)
      return -1;
  }
  return 0;
}

static bool uses_notify(const struct spec_seccomp *s)
{
  if (strcmp(s->default_action, "SCMP_ACT_NOTIFY") == 0)
    return true;
  for (size_t i = 0; i < s->n_syscalls; i++)
    if (strcmp(s->syscalls[i].action, "SCMP_ACT_NOTIFY") == 0)
      return true;
  return false;
}

int spec_parse_seccomp_obj(json_object *o, const char *path, struct spec_seccomp *s,
                           cn_error_t *err)
{
  char kp[JP_MAX], sp[JP_MAX], ep[JP_MAX];
  size_t n = 0;
  if (jr_object(o, path, err) < 0 || jm_require(o, path, "defaultAction", err) < 0
      || jm_string(o, path, "defaultAction", &s->default_action, NULL, err) < 0
      || check_name(spec_seccomp_actions, "action", s->default_action,
                    jp_key(kp, path, "defaultAction"), err)
             < 0
      || jm_uint32(o, path, "defaultErrnoRet", &s->default_errno_ret, &s->has_default_errno_ret,
                   err)
             < 0
      || jm_strv(o, path, "architectures", &s->architectures, err) < 0
      || check_names(spec_seccomp_archs, "architecture", s->architectures,
                     jp_key(kp, path, "architectures"), err)
             < 0
      || jm_strv(o, path, "flags", &s->flags, err) < 0
      || check_names(spec_seccomp_flags, "flag", s->flags, jp_key(kp, path, "flags"), err) < 0
      || jm_string(o, path, "listenerPath", &s->listener_path, NULL, err) < 0
      || jm_string(o, path, "listenerMetadata", &s->listener_metadata, NULL, err) < 0)
    return -1;
  json_object *v = jr_get(o, "syscalls");
  if (v) {
    jp_key(sp, path, "syscalls");
    if (jr_array(v, sp, &n, err) < 0)
      return -1;
    s->syscalls = xcalloc(n, sizeof *s->syscalls);
    for (size_t i = 0; i < n; i++) {
      s->n_syscalls = i + 1;
      if (parse_syscall(json_object_array_get_idx(v, i), jp_idx(ep, sp, i), &s->syscalls[i], err)
          < 0)
        return -1;
    }
  }
  if (s->listener_path && s->listener_path[0] == '\0')
    free(steal_pointer(&s->listener_path));
  if (uses_notify(s) && s->listener_path == NULL)
    return cn_error_set(err, EINVAL, "%s: required when SCMP_ACT_NOTIFY is used",
                        jp_key(kp, path, "listenerPath"));
  if (s->listener_path)
    return spec_check_absolute(s->listener_path, jp_key(kp, path, "listenerPath"), err);
  return 0;
}
