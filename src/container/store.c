/* The state record of a container under --root: <root>/<id>/state.json plus
   a copy of the config as it was at create, and exec.fifo while the
   container waits for `start`.  Status is derived from the live process, so
   it is never stale: a pid is only trusted together with its start time. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/container.h"
#include "container/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"

bool container_id_valid(const char *id)
{
  if (id == NULL || *id == '\0' || strcmp(id, ".") == 0 || strcmp(id, "..") == 0 ||
      strlen(id) > 1024)
    return false;
  for (const char *s = id; *s; s++)
    if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') || ('0' <= *s && *s <= '9') ||
          strchr("_+-.", *s)))
      return false;
  return true;
}

int proc_start_time(pid_t pid, unsigned long long *start, char *state)
{
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  /* comm may hold spaces and parentheses: fields start after the last ')'. */
  char *p = strrchr(buf, ')');
  if (p == NULL)
    return -1;
  char st;
  unsigned long long t;
  if (sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
             &st, &t) != 2)
    return -1;
  if (start)
    *start = t;
  if (state)
    *state = st;
  return 0;
}

static const char *jstr(json_object *o, const char *key)
{
  json_object *v;
  return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static int64_t jint(json_object *o, const char *key)
{
  json_object *v;
  return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

int container_load(const char *root, const char *id, struct container **out, cn_error_t *err)
{
  if (!container_id_valid(id))
    return cn_error_set(err, EINVAL, "invalid container id \"%s\"", id ? id : "");
  _cleanup_free_ char *dir = xasprintf("%s/%s", root, id);
  _cleanup_free_ char *path = xasprintf("%s/state.json", dir);
  _cleanup_free_ char *text = NULL;
  cn_error_t e = NULL;
  if (cn_read_file(path, &text, NULL, &e) < 0) {
    int st = e->status;
    cn_error_release(&e);
    if (st == ENOENT)
      return cn_error_set(err, ENOENT, "container \"%s\" does not exist", id);
    return cn_error_errno(err, st, "read state of \"%s\"", id);
  }
  json_object *j = json_tokener_parse(text);
  if (j == NULL)
    return cn_error_set(err, EINVAL, "state of \"%s\" is corrupt (%s)", id, path);

  struct container *c = xcalloc(1, sizeof *c);
  c->id = xstrdup(id);
  c->root = xstrdup(root);
  c->dir = steal_pointer(&dir);
  c->bundle = xstrdup(jstr(j, "bundle"));
  c->rootfs = xstrdup(jstr(j, "rootfs"));
  c->created = xstrdup(jstr(j, "created"));
  c->owner = xstrdup(jstr(j, "owner") ? jstr(j, "owner") : "");
  c->pid = (pid_t)jint(j, "pid");
  c->start_time = (unsigned long long)jint(j, "start_time");
  c->oom_killed = jint(j, "oom_killed") != 0;
  json_object *cg;
  int r = 0;
  if (json_object_object_get_ex(j, "cgroup", &cg) && !json_object_is_type(cg, json_type_null))
    r = cgroup_from_json(cg, &c->cgroup, err);
  json_object_put(j);
  if (r < 0) {
    container_free(c);
    return cn_error_wrap(err, "load state of \"%s\"", id);
  }
  _cleanup_free_ char *cfg = xasprintf("%s/config.json", c->dir);
  if (spec_parse_file(cfg, &c->spec, err) < 0) {
    container_free(c);
    return cn_error_wrap(err, "load config of \"%s\"", id);
  }
  *out = c;
  return 0;
}

int container_save(struct container *c, cn_error_t *err)
{
  json_object *j = json_object_new_object();
  json_object_object_add(j, "id", json_object_new_string(c->id));
  json_object_object_add(j, "bundle", json_object_new_string(c->bundle));
  json_object_object_add(j, "rootfs", json_object_new_string(c->rootfs));
  json_object_object_add(j, "pid", json_object_new_int64(c->pid));
  json_object_object_add(j, "start_time", json_object_new_int64((int64_t)c->start_time));
  json_object_object_add(j, "created", json_object_new_string(c->created));
  json_object_object_add(j, "owner", json_object_new_string(c->owner ? c->owner : ""));
  json_object_object_add(j, "oom_killed", json_object_new_boolean(c->oom_killed));
  json_object_object_add(j, "cgroup", c->cgroup ? cgroup_to_json(c->cgroup) : NULL);
  const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
  _cleanup_free_ char *path = xasprintf("%s/state.json", c->dir);
  int r = cn_write_file_atomic(path, text, strlen(text), 0600, err);
  json_object_put(j);
  return r;
}

bool container_init_alive(struct container *c)
{
  unsigned long long t;
  char st;
  if (c->pid <= 0 || proc_start_time(c->pid, &t, &st) < 0)
    return false;
  return t == c->start_time && st != 'Z' && st != 'X';
}

enum container_status container_status(struct container *c)
{
  if (!container_init_alive(c))
    return CONTAINER_STOPPED;
  bool frozen = false;
  if (c->cgroup) {
    cn_error_t e = NULL;
    if (cgroup_is_frozen(c->cgroup, &frozen, &e) < 0)
      cn_error_release(&e);
  }
  if (frozen)
    return CONTAINER_PAUSED;
  _cleanup_free_ char *fifo = xasprintf("%s/exec.fifo", c->dir);
  return cn_path_exists(fifo) ? CONTAINER_CREATED : CONTAINER_RUNNING;
}

const char *container_status_name(enum container_status s)
{
  static const char *const names[] = {"creating", "created", "running", "paused", "stopped"};
  return names[s];
}

json_object *container_state_json_status(struct container *c, const char *status)
{
  json_object *j = json_object_new_object();
  json_object_object_add(j, "ociVersion", json_object_new_string("1.2.0"));
  json_object_object_add(j, "id", json_object_new_string(c->id));
  json_object_object_add(j, "pid", json_object_new_int(strcmp(status, "stopped") ? c->pid : 0));
  json_object_object_add(j, "status", json_object_new_string(status));
  json_object_object_add(j, "bundle", json_object_new_string(c->bundle));
  json_object_object_add(j, "rootfs", json_object_new_string(c->rootfs));
  json_object_object_add(j, "created", json_object_new_string(c->created ? c->created : ""));
  json_object_object_add(j, "owner", json_object_new_string(c->owner ? c->owner : ""));
  if (c->spec && c->spec->n_annotations) {
    json_object *a = json_object_new_object();
    for (size_t i = 0; i < c->spec->n_annotations; i++)
      json_object_object_add(a, c->spec->annotations[i].key,
                             json_object_new_string(c->spec->annotations[i].value));
    json_object_object_add(j, "annotations", a);
  }
  return j;
}

json_object *container_state_json(struct container *c)
{
  return container_state_json_status(c, container_status_name(container_status(c)));
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int container_list(const char *root, char ***ids, cn_error_t *err)
{
  char **v = xcalloc(1, sizeof *v);
  _cleanup_dir_ DIR *d = opendir(root);
  if (d == NULL) {
    if (errno == ENOENT) {
      *ids = v;
      return 0;
    }
    free(v);
    return cn_error_errno(err, errno, "open %s", root);
  }
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.' || !container_id_valid(de->d_name))
      continue;
    _cleanup_free_ char *st = xasprintf("%s/%s/state.json", root, de->d_name);
    if (cn_path_exists(st))
      cn_strv_push(&v, de->d_name);
  }
  qsort(v, cn_strv_len(v), sizeof *v, cmp_str);
  *ids = v;
  return 0;
}

void container_free(struct container *c)
{
  if (c == NULL)
    return;
  free(c->id);
  free(c->root);
  free(c->dir);
  free(c->bundle);
  free(c->rootfs);
  free(c->created);
  free(c->owner);
  if (c->spec)
    spec_free(c->spec);
  if (c->cgroup)
    cgroup_free(c->cgroup);
  free(c);
}
