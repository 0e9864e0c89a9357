/* Where a container's directories go.  runc's cgroupfs rules, since engines
   and people carry them over: an absolute cgroupsPath is taken from each
   hierarchy's root; a relative one (and the default, which is the container
   id) from the runtime's own cgroup in that hierarchy.  On pure v2 a relative
   path goes under the PARENT of the runtime's cgroup, because the runtime's
   own cgroup holds processes and so cannot enable controllers for children.
   On a hybrid host the unified directory uses the same inner path from the
   unified root, as runc does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/strv.h"

char *cg_own_cgroup(const char *key)
{
  _cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
  if (!f)
    return NULL;
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, f)) > 0) {
    if (line[n - 1] == '\n')
      line[n - 1] = '\0';
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2)
      continue;
    *c2 = '\0';
    char *ctrls = c1 + 1;
    if (*key == '\0') {
      if (*ctrls == '\0' && strncmp(line, "0:", 2) == 0)
        return xstrdup(c2 + 1);
      continue;
    }
    char *s = NULL;
    for (char *t = strtok_r(ctrls, ",", &s); t; t = strtok_r(NULL, ",", &s))
      if (strcmp(t, key) == 0)
        return xstrdup(c2 + 1);
  }
  return NULL;
}

/* own is relative to our cgroup namespace, the mount root relative to the
   hierarchy: strip the mount root when the mount shows only a subtree. */
static char *join_dir(const char *mount, const char *mount_root, const char *base,
                      const char *inner)
{
  const char *b = base ? base : "/";
  size_t rl = mount_root ? strlen(mount_root) : 0;
  if (rl > 1 && strncmp(b, mount_root, rl) == 0 && (b[rl] == '/' || b[rl] == '\0'))
    b += rl;
  _cleanup_free_ char *p = xasprintf("%s/%s/%s", mount, b, inner);
  /* collapse "//" */
  char *w = p;
  for (char *r = p; *r; r++)
    if (!(r[0] == '/' && (r[1] == '/' || r[1] == '\0') && r != p))
      *w++ = *r;
  *w = '\0';
  size_t l = strlen(p);
  while (l > 1 && p[l - 1] == '/')
    p[--l] = '\0';
  return steal_pointer(&p);
}

static int check_path(const char *p, cn_error_t *err)
{
  if (*p == '\0')
    return cn_error_set(err, EINVAL, "linux.cgroupsPath: empty path");
  _cleanup_free_ char *dup = xstrdup(p);
  char *s = NULL;
  for (char *t = strtok_r(dup, "/", &s); t; t = strtok_r(NULL, "/", &s))
    if (strcmp(t, "..") == 0 || strcmp(t, ".") == 0)
      return cn_error_set(err, EINVAL, "linux.cgroupsPath \"%s\": \".\" and \"..\" are not allowed",
                          p);
  if (strcmp(p, "/") == 0)
    return cn_error_set(err, EINVAL, "linux.cgroupsPath \"/\": the root cgroup cannot be used");
  return 0;
}

int cg_resolve_paths(struct cgroup *cg, const struct cg_mounts *m, const char *id,
                     const char *cgroups_path, cn_error_t *err)
{
  const char *inner = cgroups_path ? cgroups_path : id;
  if (!inner || check_path(inner, err) < 0)
    return cgroups_path ? -1 : cn_error_set(err, EINVAL, "cgroup: no container id");
  bool abs = inner[0] == '/';
  cg->layout = m->layout;
  cg->path = xstrdup(inner);
  for (int c = 0; c < CG__N; c++) {
    if (!m->v1_mount[c])
      continue;
    _cleanup_free_ char *own = abs ? NULL : cg_own_cgroup(cg_ctrl_name(c));
    cg->v1[c] = join_dir(m->v1_mount[c], m->v1_root[c], own, inner);
  }
  if (m->unified_mount) {
    _cleanup_free_ char *own = NULL;
    if (!abs && m->layout == CGROUP_LAYOUT_V2) {
      own = cg_own_cgroup("");
      if (own) {
        char *slash = strrchr(own, '/');
        if (slash == own)
          own[1] = '\0';
        else if (slash)
          *slash = '\0';
      }
    }
    cg->unified = join_dir(m->unified_mount, m->unified_root, own, inner);
    cg->v2_ctrls = cn_strv_dup(m->v2_controllers);
  }
  return 0;
}
