/* The cgroup's record in the container's state directory: the directories
   themselves, so that later commands never recompute paths that depend on
   the cgroup the runtime happened to run in. */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/strv.h"

static const char *layout_name(enum cgroup_layout l)
{
  return l == CGROUP_LAYOUT_V1 ? "v1" : l == CGROUP_LAYOUT_HYBRID ? "hybrid" : "v2";
}

struct json_object *cgroup_to_json(const struct cgroup *cg)
{
  struct json_object *j = json_object_new_object(), *dirs = json_object_new_object();
  json_object_object_add(j, "layout", json_object_new_string(layout_name(cg->layout)));
  json_object_object_add(j, "path", json_object_new_string(cg->path ? cg->path : ""));
  for (int c = 0; c < CG__N; c++)
    if (cg->v1[c])
      json_object_object_add(dirs, cg_ctrl_name(c), json_object_new_string(cg->v1[c]));
  if (cg->unified)
    json_object_object_add(dirs, "unified", json_object_new_string(cg->unified));
  json_object_object_add(j, "dirs", dirs);
  struct json_object *a = json_object_new_array();
  for (char **p = cg->v2_ctrls; p && *p; p++)
    json_object_array_add(a, json_object_new_string(*p));
  json_object_object_add(j, "v2_controllers", a);
  a = json_object_new_array();
  for (char **p = cg->made; p && *p; p++)
    json_object_array_add(a, json_object_new_string(*p));
  json_object_object_add(j, "made", a);
  return j;
}

static char **strv_from_json(struct json_object *a)
{
  char **v = NULL;
  if (!a || !json_object_is_type(a, json_type_array))
    return NULL;
  for (size_t i = 0; i < json_object_array_length(a); i++)
    cn_strv_push(&v, json_object_get_string(json_object_array_get_idx(a, i)));
  return v;
}

int cgroup_from_json(struct json_object *j, struct cgroup **out, cn_error_t *err)
{
  struct json_object *x, *dirs;
  if (!j || !json_object_object_get_ex(j, "layout", &x)
      || !json_object_object_get_ex(j, "dirs", &dirs))
    return cn_error_set(err, EINVAL, "cgroup state: missing layout or dirs");
  struct cgroup *cg = xcalloc(1, sizeof *cg);
  cg->unified_fd = -1;
  const char *l = json_object_get_string(x);
  cg->layout = strcmp(l, "v1") == 0       ? CGROUP_LAYOUT_V1
               : strcmp(l, "hybrid") == 0 ? CGROUP_LAYOUT_HYBRID
                                          : CGROUP_LAYOUT_V2;
  if (json_object_object_get_ex(j, "path", &x))
    cg->path = xstrdup(json_object_get_string(x));
  for (int c = 0; c < CG__N; c++)
    if (json_object_object_get_ex(dirs, cg_ctrl_name(c), &x))
      cg->v1[c] = xstrdup(json_object_get_string(x));
  if (json_object_object_get_ex(dirs, "unified", &x))
    cg->unified = xstrdup(json_object_get_string(x));
  if (json_object_object_get_ex(j, "v2_controllers", &x))
    cg->v2_ctrls = strv_from_json(x);
  if (json_object_object_get_ex(j, "made", &x))
    cg->made = strv_from_json(x);
  *out = cg;
  return 0;
}

void cgroup_free(struct cgroup *cg)
{
  if (!cg)
    return;
  for (int c = 0; c < CG__N; c++)
    free(cg->v1[c]);
  free(cg->path);
  free(cg->unified);
  cn_strv_free(cg->v2_ctrls);
  cn_strv_free(cg->made);
  if (cg->unified_fd >= 0)
    close(cg->unified_fd);
  free(cg);
}
