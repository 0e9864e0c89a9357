/* The process object: of config.json, and alone for `exec --process`. */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "spec/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"

int spec_check_absolute(const char *s, const char *path, cn_error_t *err)
{
  if (s[0] != '/') {
    _cleanup_free_ char *q = jr_quote(s);
    return cn_error_set(err, EINVAL, "%s: must be an absolute path, got %s", path, q);
  }
  return 0;
}

static int parse_console_size(json_object *proc, const char *path, struct spec_process *p,
                              cn_error_t *err)
{
  char cp[JP_MAX];
  json_object *o = jr_get(proc, "consoleSize");
  if (o == NULL)
    return 0;
  jp_key(cp, path, "consoleSize");
  if (jr_object(o, cp, err) < 0 || jm_require(o, cp, "height", err) < 0
      || jm_require(o, cp, "width", err) < 0)
    return -1;
  uint32_t h = 0, w = 0;
  if (jm_uint32(o, cp, "height", &h, NULL, err) < 0 || jm_uint32(o, cp, "width", &w, NULL, err) < 0)
    return -1;
  p->has_console_size = true;
  p->console_height = h;
  p->console_width = w;
  return 0;
}

static int parse_user(json_object *proc, const char *path, struct spec_user *u, cn_error_t *err)
{
  char up[JP_MAX], p[JP_MAX], ep[JP_MAX];
  json_object *o = jr_get(proc, "user");
  /* runc runs as root when user is left out; engines always send it. */
  if (o == NULL)
    return 0;
  jp_key(up, path, "user");
  if (jr_object(o, up, err) < 0 || jm_require(o, up, "uid", err) < 0
      || jm_require(o, up, "gid", err) < 0 || jm_uint32(o, up, "uid", &u->uid, NULL, err) < 0
      || jm_uint32(o, up, "gid", &u->gid, NULL, err) < 0
      || jm_string(o, up, "username", &u->username, NULL, err) < 0)
    return -1;
  json_object *v = jr_get(o, "umask");
  if (v) {
    int64_t m;
    if (jr_int_range(v, jp_key(p, up, "umask"), 0, 0777, &m, err) < 0)
      return -1;
    u->has_umask = true;
    u->umask = (mode_t)m;
  }
  v = jr_get(o, "additionalGids");
  if (v) {
    size_t n = 0;
    jp_key(p, up, "additionalGids");
    if (jr_array(v, p, &n, err) < 0)
      return -1;
    u->additional_gids = xcalloc(n, sizeof *u->additional_gids);
    for (size_t i = 0; i < n; i++) {
      int64_t g;
      if (jr_int_range(json_object_array_get_idx(v, i), jp_idx(ep, p, i), 0, UINT32_MAX, &g, err)
          < 0)
        return -1;
      u->additional_gids[i] = (uint32_t)g;
      u->n_additional_gids = i + 1;
    }
  }
  return 0;
}

static int parse_args_env_cwd(json_object *proc, const char *path, struct spec_process *p,
                              cn_error_t *err)
{
  char kp[JP_MAX], ep[JP_MAX];
  if (jm_require(proc, path, "args", err) < 0 || jm_strv(proc, path, "args", &p->args, err) < 0)
    return -1;
  if (p->args[0] == NULL)
    return cn_error_set(err, EINVAL, "%s: must have at least one entry", jp_key(kp, path, "args"));
  if (p->args[0][0] == '\0')
    return cn_error_set(err, EINVAL, "%s: the program to run is an empty string",
                        jp_idx(ep, jp_key(kp, path, "args"), 0));

  if (jm_strv(proc, path, "env", &p->env, err) < 0)
    return -1;
  for (size_t i = 0; p->env && p->env[i]; i++) {
    const char *eq = strchr(p->env[i], '=');
    if (eq == NULL || eq == p->env[i]) {
      _cleanup_free_ char *q = jr_quote(p->env[i]);
      return cn_error_set(err, EINVAL, "%s: expected \"NAME=value\", got %s",
                          jp_idx(ep, jp_key(kp, path, "env"), i), q);
    }
  }

  if (jm_require(proc, path, "cwd", err) < 0
      || jm_string(proc, path, "cwd", &p->cwd, NULL, err) < 0)
    return -1;
  return spec_check_absolute(p->cwd, jp_key(kp, path, "cwd"), err);
}

static int parse_cap_set(json_object *caps, const char *path, const char *key, uint64_t *mask,
                         cn_error_t *err)
{
  char sp[JP_MAX], ep[JP_MAX];
  json_object *v = jr_get(caps, key);
  size_t n = 0;
  if (v == NULL)
    return 0;
  jp_key(sp, path, key);
  if (jr_array(v, sp, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    _cleanup_free_ char *name = NULL;
    jp_idx(ep, sp, i);
    if (jr_string(json_object_array_get_idx(v, i), ep, &name, err) < 0)
      return -1;
    int cap = spec_cap_from_name(name);
    if (cap < 0) {
      _cleanup_free_ char *q = jr_quote(name);
      return cn_error_set(err, EINVAL, "%s: unknown capability %s", ep, q);
    }
    *mask |= 1ULL << cap;
  }
  return 0;
}

static int parse_capabilities(json_object *proc, const char *path, struct spec_process *p,
                              cn_error_t *err)
{
  char cp[JP_MAX];
  json_object *o = jr_get(proc, "capabilities");
  if (o == NULL)
    return 0;
  jp_key(cp, path, "capabilities");
  if (jr_object(o, cp, err) < 0)
    return -1;
  p->has_caps = true;
  return parse_cap_set(o, cp, "bounding", &p->caps.bounding, err) < 0
                 || parse_cap_set(o, cp, "effective", &p->caps.effective, err) < 0
                 || parse_cap_set(o, cp, "inheritable", &p->caps.inheritable, err) < 0
                 || parse_cap_set(o, cp, "permitted", &p->caps.permitted, err) < 0
                 || parse_cap_set(o, cp, "ambient", &p->caps.ambient, err) < 0
             ? -1
             : 0;
}

static int parse_rlimit(json_object *o, const char *ep, struct spec_process *p, cn_error_t *err)
{
  char kp[JP_MAX];
  _cleanup_free_ char *type = NULL;
  struct spec_rlimit rl = { 0 };
  if (jr_object(o, ep, err) < 0 || jm_require(o, ep, "type", err) < 0
      || jm_string(o, ep, "type", &type, NULL, err) < 0)
    return -1;
  rl.type = spec_rlimit_from_name(type);
  if (rl.type < 0) {
    _cleanup_free_ char *q = jr_quote(type);
    return cn_error_set(err, EINVAL, "%s: unknown rlimit %s", jp_key(kp, ep, "type"), q);
  }
  for (size_t j = 0; j < p->n_rlimits; j++)
    if (p->rlimits[j].type == rl.type) {
      _cleanup_free_ char *q = jr_quote(type);
      return cn_error_set(err, EINVAL, "%s: duplicate rlimit %s", jp_key(kp, ep, "type"), q);
    }
  if (jm_require(o, ep, "soft", err) < 0 || jm_require(o, ep, "hard", err) < 0
      || jm_uint64(o, ep, "soft", &rl.soft, NULL, err) < 0
      || jm_uint64(o, ep, "hard", &rl.hard, NULL, err) < 0)
    return -1;
  if (rl.soft > rl.hard)
    return cn_error_set(err, EINVAL, "%s: soft limit %llu is above hard limit %llu", ep,
                        (unsigned long long)rl.soft, (unsigned long long)rl.hard);
  p->rlimits[p->n_rlimits++] = rl;
  return 0;
}

static int parse_rlimits(json_object *proc, const char *path, struct spec_process *p,
                         cn_error_t *err)
{
  char rp[JP_MAX], ep[JP_MAX];
  json_object *v = jr_get(proc, "rlimits");
  size_t n = 0;
  if (v == NULL)
    return 0;
  jp_key(rp, path, "rlimits");
  if (jr_array(v, rp, &n, err) < 0)
    return -1;
  p->rlimits = xcalloc(n, sizeof *p->rlimits);
  for (size_t i = 0; i < n; i++)
    if (parse_rlimit(json_object_array_get_idx(v, i), jp_idx(ep, rp, i), p, err) < 0)
      return -1;
  return 0;
}

int spec_parse_process_obj(json_object *o, const char *path, struct spec_process *p,
                           cn_error_t *err)
{
  if (jr_object(o, path, err) < 0 || jm_bool(o, path, "terminal", &p->terminal, NULL, err) < 0
      || parse_console_size(o, path, p, err) < 0 || parse_user(o, path, &p->user, err) < 0
      || parse_args_env_cwd(o, path, p, err) < 0 || parse_capabilities(o, path, p, err) < 0
      || parse_rlimits(o, path, p, err) < 0
      || jm_bool(o, path, "noNewPrivileges", &p->no_new_privileges, NULL, err) < 0
      || jm_int(o, path, "oomScoreAdj", -1000, 1000, &p->oom_score_adj, &p->has_oom_score_adj, err)
             < 0
      || jm_string(o, path, "apparmorProfile", &p->apparmor_profile, NULL, err) < 0
      || jm_string(o, path, "selinuxLabel", &p->selinux_label, NULL, err) < 0)
    return -1;
  return spec_refuse_process(o, path, p, err);
}

int spec_parse_process_file(const char *file, struct spec_process *out, cn_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  json_object *doc = NULL;
  if (cn_read_file(file, &text, &len, err) < 0 || jr_parse(text, len, file, &doc, err) < 0)
    return -1;
  struct spec_process p = { 0 };
  int r = spec_parse_process_obj(doc, "", &p, err);
  json_object_put(doc);
  if (r < 0) {
    spec_process_clear(&p);
    return cn_error_wrap(err, "%s", file);
  }
  *out = p;
  return 0;
}
