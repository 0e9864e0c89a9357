/* config.json: the top level (ociVersion, root, mounts, hooks, annotations,
   hostname) and the entry points; process and linux have their own files. */
#include <errno.h>
#include <string.h>

#include "spec/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

static int parse_version(json_object *doc, struct spec *s, cn_error_t *err)
{
  if (jm_require(doc, "", "ociVersion", err) < 0
      || jm_string(doc, "", "ociVersion", &s->oci_version, NULL, err) < 0)
    return -1;
  /* Every 1.x config is read; a 2.x one would mean fields we cannot know. */
  if (strncmp(s->oci_version, "1.", 2) != 0) {
    _cleanup_free_ char *q = jr_quote(s->oci_version);
    return cn_error_set(err, EINVAL, "ociVersion: unsupported version %s (cinch reads 1.x)", q);
  }
  return 0;
}

static int parse_root(json_object *doc, struct spec *s, cn_error_t *err)
{
  json_object *o = jr_get(doc, "root");
  if (o == NULL)
    return jr_missing(err, "root");
  if (jr_object(o, "root", err) < 0 || jm_require(o, "root", "path", err) < 0
      || jm_string(o, "root", "path", &s->root_path, NULL, err) < 0
      || jm_bool(o, "root", "readonly", &s->root_readonly, NULL, err) < 0)
    return -1;
  if (s->root_path[0] == '\0')
    return cn_error_set(err, EINVAL, "root.path: must not be empty");
  return 0;
}

int spec_parse_id_maps(json_object *obj, const char *path, const char *key,
                       struct spec_id_map **out, size_t *n, cn_error_t *err)
{
  char mp[JP_MAX], ep[JP_MAX];
  json_object *v = jr_get(obj, key);
  size_t len = 0;
  if (v == NULL)
    return 0;
  jp_key(mp, path, key);
  if (jr_array(v, mp, &len, err) < 0)
    return -1;
  *out = xcalloc(len, sizeof **out);
  for (size_t i = 0; i < len; i++) {
    json_object *m = json_object_array_get_idx(v, i);
    struct spec_id_map *e = &(*out)[i];
    jp_idx(ep, mp, i);
    if (jr_object(m, ep, err) < 0 || jm_require(m, ep, "containerID", err) < 0
        || jm_require(m, ep, "hostID", err) < 0 || jm_require(m, ep, "size", err) < 0
        || jm_uint32(m, ep, "containerID", &e->container_id, NULL, err) < 0
        || jm_uint32(m, ep, "hostID", &e->host_id, NULL, err) < 0
        || jm_uint32(m, ep, "size", &e->size, NULL, err) < 0)
      return -1;
    if (e->size == 0) {
      char kp[JP_MAX];
      return cn_error_set(err, EINVAL, "%s: must be greater than zero", jp_key(kp, ep, "size"));
    }
    *n = i + 1;
  }
  return 0;
}

static int parse_mount(json_object *o, const char *ep, struct spec_mount *m, cn_error_t *err)
{
  char kp[JP_MAX];
  if (jr_object(o, ep, err) < 0 || jm_require(o, ep, "destination", err) < 0
      || jm_string(o, ep, "destination", &m->destination, NULL, err) < 0
      || jm_string(o, ep, "source", &m->source, NULL, err) < 0
      || jm_string(o, ep, "type", &m->type, NULL, err) < 0
      || jm_strv(o, ep, "options", &m->options, err) < 0
      || spec_parse_id_maps(o, ep, "uidMappings", &m->uid_mappings, &m->n_uid_mappings, err) < 0
      || spec_parse_id_maps(o, ep, "gidMappings", &m->gid_mappings, &m->n_gid_mappings, err) < 0)
    return -1;
  return spec_check_absolute(m->destination, jp_key(kp, ep, "destination"), err);
}

static int parse_mounts(json_object *doc, struct spec *s, cn_error_t *err)
{
  char ep[JP_MAX];
  json_object *v = jr_get(doc, "mounts");
  size_t n = 0;
  if (v == NULL)
    return 0;
  if (jr_array(v, "mounts", &n, err) < 0)
    return -1;
  s->mounts = xcalloc(n, sizeof *s->mounts);
  for (size_t i = 0; i < n; i++) {
    s->n_mounts = i + 1;
    if (parse_mount(json_object_array_get_idx(v, i), jp_idx(ep, "mounts", i), &s->mounts[i], err)
        < 0)
      return -1;
  }
  return 0;
}

static const char *const hook_keys[SPEC_HOOK__MAX] = {
  [SPEC_HOOK_PRESTART] = "prestart",
  [SPEC_HOOK_CREATE_RUNTIME] = "createRuntime",
  [SPEC_HOOK_CREATE_CONTAINER] = "createContainer",
  [SPEC_HOOK_START_CONTAINER] = "startContainer",
  [SPEC_HOOK_POSTSTART] = "poststart",
  [SPEC_HOOK_POSTSTOP] = "poststop",
};

static int parse_hook(json_object *o, const char *ep, struct spec_hook *h, cn_error_t *err)
{
  char kp[JP_MAX];
  bool has_timeout = false;
  if (jr_object(o, ep, err) < 0 || jm_require(o, ep, "path", err) < 0
      || jm_string(o, ep, "path", &h->path, NULL, err) < 0
      || spec_check_absolute(h->path, jp_key(kp, ep, "path"), err) < 0
      || jm_strv(o, ep, "args", &h->args, err) < 0 || jm_strv(o, ep, "env", &h->env, err) < 0
      || jm_int(o, ep, "timeout", INT32_MIN, INT32_MAX, &h->timeout, &has_timeout, err) < 0)
    return -1;
  if (has_timeout && h->timeout <= 0)
    return cn_error_set(err, EINVAL, "%s: must be greater than zero, got %d",
                        jp_key(kp, ep, "timeout"), h->timeout);
  return 0;
}

static int parse_hooks(json_object *doc, struct spec *s, cn_error_t *err)
{
  char kp[JP_MAX], ep[JP_MAX];
  json_object *o = jr_get(doc, "hooks");
  if (o == NULL)
    return 0;
  if (jr_object(o, "hooks", err) < 0)
    return -1;
  for (int k = 0; k < SPEC_HOOK__MAX; k++) {
    json_object *v = jr_get(o, hook_keys[k]);
    struct spec_hook_list *l = &s->hooks[k];
    size_t n = 0;
    if (v == NULL)
      continue;
    jp_key(kp, "hooks", hook_keys[k]);
    if (jr_array(v, kp, &n, err) < 0)
      return -1;
    l->v = xcalloc(n, sizeof *l->v);
    for (size_t i = 0; i < n; i++) {
      l->n = i + 1;
      if (parse_hook(json_object_array_get_idx(v, i), jp_idx(ep, kp, i), &l->v[i], err) < 0)
        return -1;
    }
  }
  return 0;
}

static int parse_doc(json_object *doc, struct spec *s, cn_error_t *err)
{
  if (parse_version(doc, s, err) < 0 || parse_root(doc, s, err) < 0
      || jm_string(doc, "", "hostname", &s->hostname, NULL, err) < 0
      || jm_string(doc, "", "domainname", &s->domainname, NULL, err) < 0
      || parse_mounts(doc, s, err) < 0 || parse_hooks(doc, s, err) < 0
      || jm_kv(doc, "", "annotations", &s->annotations, &s->n_annotations, err) < 0)
    return -1;
  json_object *v = jr_get(doc, "process");
  if (v) {
    s->has_process = true;
    if (spec_parse_process_obj(v, "process", &s->process, err) < 0)
      return -1;
  }
  v = jr_get(doc, "linux");
  if (v) {
    s->has_linux = true;
    if (spec_parse_linux_obj(v, "linux", &s->linux_, err) < 0)
      return -1;
  }
  return spec_refuse_config(doc, s, err);
}

static int parse_text(const char *text, size_t len, const char *what, struct spec **out,
                      cn_error_t *err)
{
  json_object *doc = NULL;
  if (jr_parse(text, len, what, &doc, err) < 0)
    return -1;
  _cleanup_spec_ struct spec *s = xcalloc(1, sizeof *s);
  int r = parse_doc(doc, s, err);
  json_object_put(doc);
  if (r < 0)
    return -1;
  *out = steal_pointer(&s);
  return 0;
}

int spec_parse_string(const char *json, struct spec **out, cn_error_t *err)
{
  return parse_text(json, strlen(json), "config.json", out, err);
}

int spec_parse_file(const char *path, struct spec **out, cn_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (cn_read_file(path, &text, &len, err) < 0)
    return -1;
  return parse_text(text, len, path, out, err);
}
