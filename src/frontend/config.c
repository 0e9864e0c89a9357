/* fe_run -> the OCI config.json that `create` would read.  This is the only
   thing the front end makes; the container is then built by the same
   container_create() an engine's `create` reaches. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "frontend/fe.h"
#include "util/fs.h"
#include "util/strv.h"

#define JS json_object_new_string
#define JI json_object_new_int64
#define JADD json_object_object_add

static struct json_object *strv_json(char *const *v)
{
  struct json_object *a = json_object_new_array();
  for (; v && *v; v++)
    json_object_array_add(a, JS(*v));
  return a;
}

static bool is_set(const char *s, const char *v)
{
  return s && strcmp(s, v) == 0;
}

/* env: PATH, HOSTNAME, TERM, HOME, then --env-file, then -e; later wins. */
static void env_set(char ***env, const char *kv)
{
  size_t klen = strcspn(kv, "=");
  for (char **e = *env; e && *e; e++)
    if (strncmp(*e, kv, klen) == 0 && (*e)[klen] == '=') {
      free(*e);
      *e = xstrdup(kv);
      return;
    }
  cn_strv_push(env, kv);
}

static void env_add_user(char ***env, const char *item)
{
  if (strchr(item, '=')) {
    env_set(env, item);
    return;
  }
  /* "-e NAME" passes the caller's value, or nothing when it has none. */
  const char *v = getenv(item);
  if (v) {
    _cleanup_free_ char *kv = xasprintf("%s=%s", item, v);
    env_set(env, kv);
  }
}

static int env_file(char ***env, const char *path, cn_error_t *err)
{
  _cleanup_fclose_ FILE *f = fopen(path, "re");
  if (f == NULL)
    return cn_error_errno(err, errno, "open %s", path);
  char *line = NULL;
  size_t cap = 0;
  int lineno = 0;
  while (getline(&line, &cap, f) > 0) {
    lineno++;
    line[strcspn(line, "\r\n")] = '\0';
    char *p = line;
    while (isspace((unsigned char)*p))
      p++;
    if (*p == '\0' || *p == '#')
      continue;
    if (*p == '=') {
      free(line);
      return cn_error_set(err, EINVAL, "invalid environment variable: %s", p);
    }
    env_add_user(env, p);
  }
  free(line);
  return 0;
}

static struct json_object *mount_json(const char *dst, const char *type, const char *src,
                                      char **opts)
{
  struct json_object *m = json_object_new_object();
  JADD(m, "destination", JS(dst));
  JADD(m, "type", JS(type));
  JADD(m, "source", JS(src));
  JADD(m, "options", strv_json(opts));
  return m;
}

static int add_volume(struct json_object *mounts, const char *spec, cn_error_t *err)
{
  _cleanup_strv_ char **parts = NULL;
  _cleanup_free_ char *copy = xstrdup(spec);
  char *p = copy;
  for (char *t; (t = strsep(&p, ":"));)
    cn_strv_push(&parts, t);
  size_t n = cn_strv_len(parts);
  if (n < 2 || n > 3 || *parts[0] == '\0' || *parts[1] == '\0')
    return cn_error_set(err, EINVAL, "invalid volume specification: '%s'", spec);
  if (parts[0][0] != '/')
    return cn_error_set(err, EINVAL,
                        "invalid volume specification: '%s': cinch has no named volumes, the "
                        "source must be an absolute host path",
                        spec);
  if (parts[1][0] != '/')
    return cn_error_set(err, EINVAL,
                        "invalid volume specification: '%s': invalid mount config for type "
                        "\"bind\": invalid mount path: '%s' mount path must be absolute",
                        spec, parts[1]);
  _cleanup_strv_ char **opts = NULL;
  cn_strv_push(&opts, "rbind");
  bool ro = false;
  const char *prop = "rprivate";
  static const char *const props[]
      = { "private", "rprivate", "shared", "rshared", "slave", "rslave", NULL };
  _cleanup_free_ char *o = xstrdup(n == 3 ? parts[2] : "");
  char *q = o;
  for (char *t; n == 3 && (t = strsep(&q, ","));) {
    bool is_prop = false;
    for (size_t i = 0; props[i]; i++)
      is_prop |= strcmp(props[i], t) == 0;
    if (strcmp(t, "ro") == 0)
      ro = true;
    else if (strcmp(t, "rw") == 0)
      ro = false;
    else if (is_prop)
      prop = t;
    else if (strcmp(t, "z") != 0 && strcmp(t, "Z") != 0 && strcmp(t, "nocopy") != 0)
      return cn_error_set(err, EINVAL, "invalid mode: %s", t);
  }
  cn_strv_push(&opts, ro ? "ro" : "rw");
  cn_strv_push(&opts, prop);
  /* Docker creates a missing host directory for -v. */
  struct stat st;
  if (stat(parts[0], &st) < 0 && cn_mkdir_p(parts[0], 0755, err) < 0)
    return -1;
  json_object_array_add(mounts, mount_json(parts[1], "bind", parts[0], opts));
  return 0;
}

static int add_mount_flag(struct json_object *mounts, const char *spec, cn_error_t *err)
{
  _cleanup_free_ char *copy = xstrdup(spec);
  char *p = copy;
  const char *type = "volume", *src = NULL, *dst = NULL, *prop = "rprivate";
  bool ro = false;
  _cleanup_free_ char *size = NULL, *mode = NULL;
  for (char *t; (t = strsep(&p, ","));) {
    char *eq = strchr(t, '=');
    const char *v = eq ? eq + 1 : NULL;
    if (eq)
      *eq = '\0';
    if (strcmp(t, "readonly") == 0 || strcmp(t, "ro") == 0) {
      ro = v == NULL || strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
      continue;
    }
    if (v == NULL)
      return cn_error_set(err, EINVAL, "invalid field '%s' must be a key=value pair", t);
    if (strcmp(t, "type") == 0)
      type = v;
    else if (strcmp(t, "source") == 0 || strcmp(t, "src") == 0)
      src = v;
    else if (strcmp(t, "target") == 0 || strcmp(t, "destination") == 0 || strcmp(t, "dst") == 0)
      dst = v;
    else if (strcmp(t, "bind-propagation") == 0)
      prop = v;
    else if (strcmp(t, "tmpfs-size") == 0) {
      int64_t b = 0;
      if (fe_parse_bytes(v, &b, err) < 0)
        return cn_error_wrap(err, "--mount tmpfs-size");
      size = xasprintf("size=%" PRId64, b);
    } else if (strcmp(t, "tmpfs-mode") == 0)
      mode = xasprintf("mode=%s", v);
    else
      return cn_error_set(err, EINVAL, "unexpected key '%s' in '%s'", t, spec);
  }
  if (dst == NULL)
    return cn_error_set(err, EINVAL, "target is required");
  _cleanup_strv_ char **opts = NULL;
  if (strcmp(type, "bind") == 0) {
    if (src == NULL)
      return cn_error_set(err, EINVAL,
                          "invalid mount config for type \"bind\": field Source "
                          "must not be empty");
    struct stat st;
    if (stat(src, &st) < 0)
      return cn_error_set(err, ENOENT,
                          "invalid mount config for type \"bind\": bind source path does not "
                          "exist: %s",
                          src);
    cn_strv_push(&opts, "rbind");
    cn_strv_push(&opts, ro ? "ro" : "rw");
    cn_strv_push(&opts, prop);
    json_object_array_add(mounts, mount_json(dst, "bind", src, opts));
  } else if (strcmp(type, "tmpfs") == 0) {
    cn_strv_push(&opts, "nosuid");
    cn_strv_push(&opts, "nodev");
    cn_strv_push(&opts, "noexec");
    if (ro)
      cn_strv_push(&opts, "ro");
    if (size)
      cn_strv_push(&opts, size);
    if (mode)
      cn_strv_push(&opts, mode);
    json_object_array_add(mounts, mount_json(dst, "tmpfs", "tmpfs", opts));
  } else {
    return cn_error_set(err, EINVAL, "--mount type=%s is not supported by cinch (bind or tmpfs)",
                        type);
  }
  return 0;
}

static void add_tmpfs(struct json_object *mounts, const char *spec)
{
  _cleanup_free_ char *dst = xstrdup(spec);
  char *colon = strchr(dst, ':');
  _cleanup_strv_ char **opts = NULL;
  /* Docker's defaults, then the user's options, which win. */
  const char *defaults[] = { "noexec", "nosuid", "nodev", NULL };
  _cleanup_strv_ char **user = NULL;
  if (colon) {
    *colon = '\0';
    char *p = colon + 1;
    for (char *t; (t = strsep(&p, ","));)
      if (*t)
        cn_strv_push(&user, t);
  }
  for (size_t i = 0; defaults[i]; i++) {
    bool overridden = false;
    for (char **u = user; u && *u; u++)
      if (strcmp(*u + (strncmp(*u, "no", 2) == 0 ? 2 : 0), defaults[i] + 2) == 0)
        overridden = true;
    if (!overridden)
      cn_strv_push(&opts, defaults[i]);
  }
  for (char **u = user; u && *u; u++)
    cn_strv_push(&opts, *u);
  json_object_array_add(mounts, mount_json(dst, "tmpfs", "tmpfs", opts));
}

static struct json_object *dev_rule(bool allow, const char *type, int64_t maj, int64_t min,
                                    const char *access)
{
  struct json_object *r = json_object_new_object();
  JADD(r, "allow", json_object_new_boolean(allow));
  if (type)
    JADD(r, "type", JS(type));
  if (maj >= 0)
    JADD(r, "major", JI(maj));
  if (min >= 0)
    JADD(r, "minor", JI(min));
  JADD(r, "access", JS(access));
  return r;
}

static int add_device(struct json_object *devs, struct json_object *rules, const char *spec,
                      cn_error_t *err)
{
  _cleanup_free_ char *copy = xstrdup(spec);
  char *p = copy, *src = strsep(&p, ":"), *dst = p ? strsep(&p, ":") : NULL, *perm = p;
  if (dst && dst[0] != '/' && perm == NULL) {
    perm = dst;
    dst = NULL;
  }
  if (dst == NULL || *dst == '\0')
    dst = src;
  if (perm == NULL || *perm == '\0')
    perm = "rwm";
  if (strspn(perm, "rwm") != strlen(perm) || strlen(perm) > 3)
    return cn_error_set(err, EINVAL, "invalid device mode: %s", perm);
  struct stat st;
  if (stat(src, &st) < 0)
    return cn_error_errno(err, errno,
                          "error gathering device information while adding custom "
                          "device \"%s\"",
                          src);
  if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
    return cn_error_set(err, EINVAL,
                        "error gathering device information while adding custom "
                        "device \"%s\": not a device node",
                        src);
  const char *t = S_ISCHR(st.st_mode) ? "c" : "b";
  struct json_object *d = json_object_new_object();
  JADD(d, "path", JS(dst));
  JADD(d, "type", JS(t));
  JADD(d, "major", JI(major(st.st_rdev)));
  JADD(d, "minor", JI(minor(st.st_rdev)));
  JADD(d, "fileMode", JI(st.st_mode & 0777));
  JADD(d, "uid", JI(0));
  JADD(d, "gid", JI(0));
  json_object_array_add(devs, d);
  json_object_array_add(rules, dev_rule(true, t, major(st.st_rdev), minor(st.st_rdev), perm));
  return 0;
}

/* --privileged: every host device node, as Docker does (its walk skips the
   same places: pts, shm, mqueue, fd and the console). */
static void host_devices(const char *dir, int depth, struct json_object *devs)
{
  _cleanup_dir_ DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue;
    _cleanup_free_ char *p = xasprintf("%s/%s", dir, e->d_name);
    struct stat st;
    if (lstat(p, &st) < 0)
      continue;
    if (S_ISDIR(st.st_mode)) {
      static const char *const skip[] = { "pts", "shm", "mqueue", "fd", NULL };
      bool skipped = false;
      for (size_t i = 0; skip[i]; i++)
        skipped |= depth == 0 && strcmp(e->d_name, skip[i]) == 0;
      if (!skipped && depth < 3)
        host_devices(p, depth + 1, devs);
      continue;
    }
    if ((!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) || strcmp(p, "/dev/console") == 0)
      continue;
    struct json_object *o = json_object_new_object();
    JADD(o, "path", JS(p));
    JADD(o, "type", JS(S_ISCHR(st.st_mode) ? "c" : "b"));
    JADD(o, "major", JI(major(st.st_rdev)));
    JADD(o, "minor", JI(minor(st.st_rdev)));
    JADD(o, "fileMode", JI(st.st_mode & 07777));
    JADD(o, "uid", JI(st.st_uid));
    JADD(o, "gid", JI(st.st_gid));
    json_object_array_add(devs, o);
  }
}

static struct json_object *device_rules(bool privileged)
{
  struct json_object *a = json_object_new_array();
  if (privileged) {
    json_object_array_add(a, dev_rule(true, NULL, -1, -1, "rwm"));
    return a;
  }
  json_object_array_add(a, dev_rule(false, NULL, -1, -1, "rwm"));
  /* null, zero, full, random, urandom, tty, console, ptmx, pts, tun; mknod of anything. */
  static const int64_t allow[][2] = { { 1, 3 }, { 1, 5 }, { 1, 7 }, { 1, 8 },    { 1, 9 },
                                      { 5, 0 }, { 5, 1 }, { 5, 2 }, { 136, -1 }, { 10, 200 } };
  json_object_array_add(a, dev_rule(true, "c", -1, -1, "m"));
  json_object_array_add(a, dev_rule(true, "b", -1, -1, "m"));
  for (size_t i = 0; i < sizeof allow / sizeof *allow; i++)
    json_object_array_add(a, dev_rule(true, "c", allow[i][0], allow[i][1], "rwm"));
  return a;
}

/* Docker's name for this machine's arch, as profiles' includes/excludes use. */
static const char *docker_arch(void)
{
  static struct utsname u;
  uname(&u);
  static const char *const map[][2]
      = { { "x86_64", "amd64" },   { "aarch64", "arm64" },   { "i686", "386" },
          { "armv7l", "arm" },     { "ppc64le", "ppc64le" }, { "s390x", "s390x" },
          { "riscv64", "riscv64" } };
  for (size_t i = 0; i < sizeof map / sizeof *map; i++)
    if (strcmp(u.machine, map[i][0]) == 0)
      return map[i][1];
  return u.machine;
}

static const char *native_scmp_arch(void)
{
  const char *a = docker_arch();
  return strcmp(a, "amd64") == 0     ? "SCMP_ARCH_X86_64"
         : strcmp(a, "arm64") == 0   ? "SCMP_ARCH_AARCH64"
         : strcmp(a, "s390x") == 0   ? "SCMP_ARCH_S390X"
         : strcmp(a, "ppc64le") == 0 ? "SCMP_ARCH_PPC64LE"
         : strcmp(a, "riscv64") == 0 ? "SCMP_ARCH_RISCV64"
                                     : "";
}

static bool json_has_str(struct json_object *arr, const char *s)
{
  for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
    if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), s) == 0)
      return true;
  return false;
}

/* "5.8" <= running kernel? */
static bool kernel_at_least(const char *want)
{
  struct utsname u;
  uname(&u);
  int a = 0, b = 0, x = 0, y = 0;
  sscanf(want, "%d.%d", &a, &b);
  sscanf(u.release, "%d.%d", &x, &y);
  return x > a || (x == a && y >= b);
}

/* Docker's filter for one syscalls[] entry: excludes that match or includes
   that fail drop it (caps against the container's bounding set). */
static bool entry_applies(struct json_object *e, char *const *caps)
{
  struct json_object *inc = NULL, *exc = NULL, *x;
  const char *arch = docker_arch();
  if (json_object_object_get_ex(e, "excludes", &exc)) {
    if (json_object_object_get_ex(exc, "arches", &x) && json_has_str(x, arch))
      return false;
    if (json_object_object_get_ex(exc, "caps", &x))
      for (char *const *c = caps; c && *c; c++)
        if (json_has_str(x, *c))
          return false;
    if (json_object_object_get_ex(exc, "minKernel", &x)
        && kernel_at_least(json_object_get_string(x)))
      return false;
  }
  if (json_object_object_get_ex(e, "includes", &inc)) {
    if (json_object_object_get_ex(inc, "arches", &x) && json_object_array_length(x) > 0
        && !json_has_str(x, arch))
      return false;
    if (json_object_object_get_ex(inc, "caps", &x))
      for (size_t i = 0; i < json_object_array_length(x); i++) {
        bool have = false;
        const char *want = json_object_get_string(json_object_array_get_idx(x, i));
        for (char *const *c = caps; c && *c; c++)
          have |= strcmp(*c, want) == 0;
        if (!have)
          return false;
      }
    if (json_object_object_get_ex(inc, "minKernel", &x)
        && !kernel_at_least(json_object_get_string(x)))
      return false;
  }
  return true;
}

/* A Docker-format or OCI seccomp file -> linux.seccomp: Docker's
   includes/excludes are resolved here, and archMap becomes the native arch
   plus its sub-arches, as dockerd does. */
static int seccomp_file(const char *path, char *const *caps, struct json_object **out,
                        cn_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  if (cn_read_file(path, &text, NULL, err) < 0)
    return cn_error_wrap(err, "opening seccomp profile (%s) failed", path);
  struct json_object *j = json_tokener_parse(text);
  if (j == NULL || !json_object_is_type(j, json_type_object)) {
    json_object_put(j);
    return cn_error_set(err, EINVAL, "decoding seccomp profile failed: %s: not a JSON object",
                        path);
  }
  struct json_object *o = json_object_new_object(), *v;
  static const char *const keep[] = { "defaultAction",
                                      "defaultErrnoRet",
                                      "architectures",
                                      "flags",
                                      "listenerPath",
                                      "listenerMetadata",
                                      NULL };
  for (size_t i = 0; keep[i]; i++)
    if (json_object_object_get_ex(j, keep[i], &v))
      JADD(o, keep[i], json_object_get(v));
  struct json_object *map;
  if (json_object_object_get_ex(j, "archMap", &map) && json_object_is_type(map, json_type_array)) {
    if (json_object_object_get_ex(j, "architectures", &v)) {
      json_object_put(o);
      json_object_put(j);
      return cn_error_set(err, EINVAL,
                          "seccomp profile %s: use either 'architectures' or "
                          "'archMap'",
                          path);
    }
    struct json_object *arches = json_object_new_array();
    for (size_t i = 0; i < json_object_array_length(map); i++) {
      struct json_object *m = json_object_array_get_idx(map, i), *a, *subs;
      if (!json_object_object_get_ex(m, "architecture", &a)
          || strcmp(json_object_get_string(a), native_scmp_arch()) != 0)
        continue;
      json_object_array_add(arches, json_object_get(a));
      if (json_object_object_get_ex(m, "subArchitectures", &subs))
        for (size_t k = 0; k < json_object_array_length(subs); k++)
          json_object_array_add(arches, json_object_get(json_object_array_get_idx(subs, k)));
    }
    JADD(o, "architectures", arches);
  }
  if (json_object_object_get_ex(j, "syscalls", &v) && json_object_is_type(v, json_type_array)) {
    struct json_object *rules = json_object_new_array(), *x;
    for (size_t i = 0; i < json_object_array_length(v); i++) {
      struct json_object *e = json_object_array_get_idx(v, i);
      if (!entry_applies(e, caps))
        continue;
      struct json_object *r = json_object_new_object();
      if (json_object_object_get_ex(e, "names", &x))
        JADD(r, "names", json_object_get(x));
      else if (json_object_object_get_ex(e, "name", &x)) {
        struct json_object *n = json_object_new_array();
        json_object_array_add(n, json_object_get(x));
        JADD(r, "names", n);
      }
      static const char *const rk[] = { "action", "errnoRet", "args", NULL };
      for (size_t k = 0; rk[k]; k++)
        if (json_object_object_get_ex(e, rk[k], &x))
          JADD(r, rk[k], json_object_get(x));
      json_object_array_add(rules, r);
    }
    JADD(o, "syscalls", rules);
  }
  json_object_put(j);
  *out = o;
  return 0;
}

static struct json_object *ns(const char *type)
{
  struct json_object *o = json_object_new_object();
  JADD(o, "type", JS(type));
  return o;
}

static bool cgroup_v2_only(void)
{
  return access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
}

int fe_build_config(const struct fe_run *r, const struct fe_image *img, const char *rootfs,
                    const char *id, const char *init_path, struct json_object **out,
                    cn_error_t *err)
{
  _cleanup_(json_object_putp) struct json_object *c = json_object_new_object();
  JADD(c, "ociVersion", JS("1.2.0"));
  struct json_object *root = json_object_new_object();
  JADD(root, "path", JS(rootfs));
  JADD(root, "readonly", json_object_new_boolean(r->read_only));
  JADD(c, "root", root);
  bool host_uts = is_set(r->uts_mode, "host");
  _cleanup_free_ char *hostname = r->hostname ? xstrdup(r->hostname) : strndup(id, 12);
  if (!host_uts)
    JADD(c, "hostname", JS(hostname));

  /* ---- process ---- */
  struct json_object *proc = json_object_new_object();
  JADD(proc, "terminal", json_object_new_boolean(r->tty));
  uint32_t uid = 0, gid = 0, *gids = NULL;
  size_t n_gids = 0;
  _cleanup_free_ char *home = NULL;
  /* The image's files: a store image's overlay is not mounted yet. */
  const char *files = img && img->path ? img->path : rootfs;
  if (fe_resolve_user(files, r->user, r->group_add, &uid, &gid, &gids, &n_gids, &home, err) < 0)
    return -1;
  struct json_object *user = json_object_new_object();
  JADD(user, "uid", JI(uid));
  JADD(user, "gid", JI(gid));
  struct json_object *ag = json_object_new_array();
  for (size_t i = 0; i < n_gids; i++)
    json_object_array_add(ag, JI(gids[i]));
  free(gids);
  JADD(user, "additionalGids", ag);
  JADD(proc, "user", user);

  _cleanup_strv_ char **args = NULL;
  if (r->init) {
    cn_strv_push(&args, "/dev/init");
    cn_strv_push(&args, "cinch-init");
    cn_strv_push(&args, "--");
  }
  if (r->has_entrypoint && *r->entrypoint)
    cn_strv_push(&args, r->entrypoint);
  for (char **a = r->args; a && *a; a++)
    cn_strv_push(&args, *a);
  if (r->args == NULL || r->args[0] == NULL) {
    if (!(r->has_entrypoint && *r->entrypoint))
      cn_strv_push(&args, "sh");
  }
  if (r->init && cn_strv_len(args) == 3)
    return cn_error_set(err, EINVAL, "No command specified");
  JADD(proc, "args", strv_json(args));

  _cleanup_strv_ char **env = NULL;
  env_set(&env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  if (!host_uts) {
    _cleanup_free_ char *h = xasprintf("HOSTNAME=%s", hostname);
    env_set(&env, h);
  }
  if (r->tty)
    env_set(&env, "TERM=xterm");
  _cleanup_free_ char *h = xasprintf("HOME=%s", home);
  env_set(&env, h);
  for (char **f = r->env_files; f && *f; f++)
    if (env_file(&env, *f, err) < 0)
      return -1;
  for (char **e = r->env; e && *e; e++)
    env_add_user(&env, *e);
  JADD(proc, "env", strv_json(env));
  JADD(proc, "cwd", JS(r->workdir ? r->workdir : "/"));

  _cleanup_strv_ char **caps = NULL;
  if (fe_caps_resolve(r, &caps, err) < 0)
    return -1;
  struct json_object *cj = json_object_new_object();
  JADD(cj, "bounding", strv_json(caps));
  JADD(cj, "effective", strv_json(caps));
  JADD(cj, "permitted", strv_json(caps));
  JADD(proc, "capabilities", cj);
  if (r->ulimits) {
    struct json_object *rl = json_object_new_array();
    for (char **u = r->ulimits; *u; u++) {
      char type[64];
      unsigned long long soft = 0, hard = 0;
      if (sscanf(*u, "%63s %llu %llu", type, &soft, &hard) != 3)
        continue;
      struct json_object *o = json_object_new_object();
      JADD(o, "type", JS(type));
      JADD(o, "hard", json_object_new_uint64(hard));
      JADD(o, "soft", json_object_new_uint64(soft));
      json_object_array_add(rl, o);
    }
    JADD(proc, "rlimits", rl);
  }
  JADD(proc, "noNewPrivileges", json_object_new_boolean(r->no_new_privs));
  /* Docker always sets it; inside a user namespace the file cannot be opened
     before the process is dumpable again, so the no-op 0 is left out there. */
  if (r->oom_score_adj != 0 || !is_set(r->userns, "remap"))
    JADD(proc, "oomScoreAdj", JI(r->oom_score_adj));
  JADD(c, "process", proc);

  /* ---- mounts: defaults, then the user's, which replace a default with
     the same destination (and a user /dev replaces everything under it) ---- */
  struct json_object *user_mounts = json_object_new_array();
  for (char **v = r->volumes; v && *v; v++)
    if (add_volume(user_mounts, *v, err) < 0) {
      json_object_put(user_mounts);
      return -1;
    }
  for (char **m = r->mounts; m && *m; m++)
    if (add_mount_flag(user_mounts, *m, err) < 0) {
      json_object_put(user_mounts);
      return -1;
    }
  for (char **t = r->tmpfs; t && *t; t++)
    add_tmpfs(user_mounts, *t);
  if (r->init) {
    _cleanup_strv_ char **o = NULL;
    cn_strv_push(&o, "bind");
    cn_strv_push(&o, "ro");
    cn_strv_push(&o, "nosuid");
    cn_strv_push(&o, "nodev");
    json_object_array_add(user_mounts, mount_json("/dev/init", "bind", init_path, o));
  }
  struct json_object *defaults = fe_default_mounts(r);
  struct json_object *mounts = json_object_new_array();
  bool user_dev = false;
  for (size_t i = 0; i < json_object_array_length(user_mounts); i++) {
    struct json_object *d;
    json_object_object_get_ex(json_object_array_get_idx(user_mounts, i), "destination", &d);
    user_dev |= strcmp(json_object_get_string(d), "/dev") == 0;
  }
  for (size_t i = 0; i < json_object_array_length(defaults); i++) {
    struct json_object *m = json_object_array_get_idx(defaults, i), *d;
    json_object_object_get_ex(m, "destination", &d);
    const char *dst = json_object_get_string(d);
    bool replaced = user_dev && strncmp(dst, "/dev/", 5) == 0;
    for (size_t k = 0; k < json_object_array_length(user_mounts); k++) {
      struct json_object *ud;
      json_object_object_get_ex(json_object_array_get_idx(user_mounts, k), "destination", &ud);
      replaced |= strcmp(json_object_get_string(ud), dst) == 0;
    }
    if (!replaced)
      json_object_array_add(mounts, json_object_get(m));
  }
  for (size_t i = 0; i < json_object_array_length(user_mounts); i++)
    json_object_array_add(mounts, json_object_get(json_object_array_get_idx(user_mounts, i)));
  json_object_put(defaults);
  json_object_put(user_mounts);
  JADD(c, "mounts", mounts);

  /* ---- linux ---- */
  struct json_object *lx = json_object_new_object();
  struct json_object *nss = json_object_new_array();
  if (!is_set(r->pid_mode, "host"))
    json_object_array_add(nss, ns("pid"));
  if (!is_set(r->network, "host"))
    json_object_array_add(nss, ns("network"));
  if (!is_set(r->ipc_mode, "host"))
    json_object_array_add(nss, ns("ipc"));
  if (!host_uts)
    json_object_array_add(nss, ns("uts"));
  json_object_array_add(nss, ns("mount"));
  bool cgns = r->cgroupns ? strcmp(r->cgroupns, "private") == 0 : cgroup_v2_only();
  if (cgns)
    json_object_array_add(nss, ns("cgroup"));
  bool remap = is_set(r->userns, "remap");
  if (remap) {
    json_object_array_add(nss, ns("user"));
    struct json_object *um = json_object_new_array(), *gm = json_object_new_array();
    struct json_object *m1 = json_object_new_object(), *m2 = json_object_new_object();
    JADD(m1, "containerID", JI(0));
    JADD(m1, "hostID", JI(FE_REMAP_BASE));
    JADD(m1, "size", JI(65536));
    JADD(m2, "containerID", JI(0));
    JADD(m2, "hostID", JI(FE_REMAP_BASE));
    JADD(m2, "size", JI(65536));
    json_object_array_add(um, m1);
    json_object_array_add(gm, m2);
    JADD(lx, "uidMappings", um);
    JADD(lx, "gidMappings", gm);
  }
  JADD(lx, "namespaces", nss);

  struct json_object *res = fe_resources_json(&r->res);
  struct json_object *rules = device_rules(r->privileged);
  struct json_object *devs = json_object_new_array();
  if (r->privileged)
    host_devices("/dev", 0, devs);
  for (char **d = r->devices; d && *d; d++)
    if (add_device(devs, rules, *d, err) < 0) {
      json_object_put(res);
      json_object_put(rules);
      json_object_put(devs);
      json_object_put(lx);
      return -1;
    }
  JADD(res, "devices", rules);
  JADD(lx, "resources", res);
  if (json_object_array_length(devs))
    JADD(lx, "devices", devs);
  else
    json_object_put(devs);

  if (!r->privileged && !r->systempaths_unconfined) {
    _cleanup_strv_ char **masked = fe_default_masked_paths();
    _cleanup_strv_ char **ro = fe_default_readonly_paths();
    JADD(lx, "maskedPaths", strv_json(masked));
    JADD(lx, "readonlyPaths", strv_json(ro));
  }
  if (r->seccomp == NULL && !r->privileged) {
    JADD(lx, "seccomp", fe_default_seccomp(caps));
  } else if (r->seccomp && strcmp(r->seccomp, "unconfined") != 0) {
    struct json_object *s = NULL;
    if (seccomp_file(r->seccomp, caps, &s, err) < 0) {
      json_object_put(lx);
      return -1;
    }
    JADD(lx, "seccomp", s);
  }
  if (r->sysctls) {
    struct json_object *sc = json_object_new_object();
    for (char **s = r->sysctls; *s; s++) {
      _cleanup_free_ char *k = xstrdup(*s);
      char *eq = strchr(k, '=');
      *eq = '\0';
      JADD(sc, k, JS(eq + 1));
    }
    JADD(lx, "sysctl", sc);
  }
  JADD(c, "linux", lx);

  struct json_object *ann = json_object_new_object();
  JADD(ann, "org.cinch.image", JS(r->image));
  JADD(c, "annotations", ann);
  *out = steal_pointer(&c);
  return 0;
}
