/* Records of front-end containers: a 64-hex id (also the OCI container id,
   so `cinch list` and `cinch state` see them), a name, and the docker-side
   metadata (meta.json: name, image, exit code, times, OOMKilled, log path)
   kept in root/.frontend/<id>/ beside the OCI state root/<id>/.  The record
   outlives the OCI container, as Docker's does: an exited container keeps
   its logs and exit status until `rm`. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "frontend/fe.h"
#include "util/fs.h"
#include "util/strv.h"

void json_object_putp(struct json_object **j)
{
  if (*j)
    json_object_put(*j);
}

char *fe_new_id(void)
{
  unsigned char b[32];
  if (getrandom(b, sizeof b, 0) != sizeof b) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    srandom((unsigned)(ts.tv_nsec ^ getpid()));
    for (size_t i = 0; i < sizeof b; i++)
      b[i] = (unsigned char)random();
  }
  char *s = xmalloc(65);
  for (size_t i = 0; i < sizeof b; i++)
    sprintf(s + 2 * i, "%02x", b[i]);
  return s;
}

char *fe_new_name(void)
{
  static const char *const adj[]
      = { "brave",  "calm",   "clever", "cosy",    "eager",  "fervent", "gentle", "happy",
          "jolly",  "keen",   "lucid",  "merry",   "nifty",  "patient", "quiet",  "sharp",
          "steady", "sturdy", "tender", "thrifty", "upbeat", "vivid",   "witty",  "zealous" };
  static const char *const who[] = { "babbage", "bell",   "curie",    "dijkstra", "euler",
                                     "faraday", "gauss",  "hopper",   "hypatia",  "kepler",
                                     "knuth",   "lamarr", "lovelace", "maxwell",  "meitner",
                                     "noether", "pascal", "ritchie",  "shannon",  "thompson",
                                     "turing",  "volta",  "wilkes",   "wozniak" };
  unsigned r = 0;
  if (getrandom(&r, sizeof r, 0) != sizeof r)
    r = (unsigned)time(NULL) ^ (unsigned)getpid();
  return xasprintf("%s_%s", adj[r % (sizeof adj / sizeof *adj)],
                   who[(r / 97) % (sizeof who / sizeof *who)]);
}

char *fe_store_dir(const char *root)
{
  return xasprintf("%s/.frontend", root);
}

char *fe_rec_dir(const char *root, const char *id)
{
  return xasprintf("%s/.frontend/%s", root, id);
}

/* --userns=remap containers keep their image copy where the remapped root can
   reach it: --root may sit below directories only the host's root can enter. */
char *fe_remap_dir(const char *id)
{
  return xasprintf("/run/cinch-userns/%s", id);
}

int fe_rec_remove(const char *root, const char *id, cn_error_t *err)
{
  _cleanup_free_ char *rec = fe_rec_dir(root, id);
  _cleanup_free_ char *remap = fe_remap_dir(id);
  /* Normally long gone: only a monitor killed inside create leaves it. */
  fe_rootfs_detach(rec);
  if (cn_rm_rf(remap, err) < 0)
    return -1;
  return cn_rm_rf(rec, err);
}

int fe_meta_load(const char *root, const char *id, struct json_object **out, cn_error_t *err)
{
  _cleanup_free_ char *p = xasprintf("%s/.frontend/%s/meta.json", root, id);
  _cleanup_free_ char *text = NULL;
  if (cn_read_file(p, &text, NULL, err) < 0)
    return -1;
  struct json_object *j = json_tokener_parse(text);
  if (j == NULL)
    return cn_error_set(err, EINVAL, "%s: not JSON", p);
  *out = j;
  return 0;
}

int fe_meta_save(const char *root, const char *id, struct json_object *meta, cn_error_t *err)
{
  _cleanup_free_ char *p = xasprintf("%s/.frontend/%s/meta.json", root, id);
  const char *s = json_object_to_json_string_ext(meta, JSON_C_TO_STRING_PLAIN);
  return cn_write_file_atomic(p, s, strlen(s), 0600, err);
}

int fe_list_ids(const char *root, char ***ids, cn_error_t *err)
{
  (void)err;
  _cleanup_free_ char *dir = fe_store_dir(root);
  char **v = xcalloc(1, sizeof *v);
  _cleanup_dir_ DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d)))
    if (strlen(e->d_name) == 64) {
      _cleanup_free_ char *m = xasprintf("%s/%s/meta.json", dir, e->d_name);
      if (access(m, F_OK) == 0)
        cn_strv_push(&v, e->d_name);
    }
  *ids = v;
  return 0;
}

static const char *meta_str(struct json_object *m, const char *key)
{
  struct json_object *v;
  return json_object_object_get_ex(m, key, &v) ? json_object_get_string(v) : NULL;
}

int fe_resolve(const char *root, const char *ref, char **id, cn_error_t *err)
{
  _cleanup_strv_ char **ids = NULL;
  if (fe_list_ids(root, &ids, err) < 0)
    return -1;
  /* Docker's order: full id, then exact name, then a unique id prefix. */
  for (char **i = ids; *i; i++)
    if (strcmp(*i, ref) == 0) {
      *id = xstrdup(*i);
      return 0;
    }
  const char *name = ref[0] == '/' ? ref + 1 : ref;
  for (char **i = ids; *i; i++) {
    _cleanup_(json_object_putp) struct json_object *m = NULL;
    _cleanup_error_ cn_error_t e2 = NULL;
    if (fe_meta_load(root, *i, &m, &e2) == 0 && meta_str(m, "Name")
        && strcmp(meta_str(m, "Name"), name) == 0) {
      *id = xstrdup(*i);
      return 0;
    }
  }
  const char *found = NULL;
  size_t len = strlen(ref);
  for (char **i = ids; *i && len > 0; i++)
    if (strncmp(*i, ref, len) == 0) {
      if (found)
        return cn_error_set(err, EINVAL, "multiple IDs found with provided prefix: %s", ref);
      found = *i;
    }
  if (found == NULL)
    return cn_error_set(err, ENOENT, "No such container: %s", ref);
  *id = xstrdup(found);
  return 0;
}

bool fe_is_frontend(const char *root, const char *ref)
{
  _cleanup_free_ char *id = NULL;
  _cleanup_error_ cn_error_t err = NULL;
  return fe_resolve(root, ref, &id, &err) == 0;
}

int64_t fe_parse_rfc3339(const char *s)
{
  if (s == NULL)
    return 0;
  struct tm tm = { 0 };
  if (strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
    return 0;
  return (int64_t)timegm(&tm);
}
