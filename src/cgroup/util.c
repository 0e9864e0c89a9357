/* File access inside cgroup directories, with errors naming the file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

int cg_write(const char *dir, const char *file, const char *val, cn_error_t *err)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
  return cn_write_file(p, val, err);
}

int cg_read(const char *dir, const char *file, char **out, cn_error_t *err)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
  return cn_read_file(p, out, NULL, err);
}

int cg_read_u64(const char *dir, const char *file, uint64_t *v, cn_error_t *err)
{
  _cleanup_free_ char *s = NULL;
  if (cg_read(dir, file, &s, err) < 0)
    return -1;
  if (strncmp(s, "max", 3) == 0) {
    *v = UINT64_MAX;
    return 0;
  }
  char *end;
  errno = 0;
  long long x = strtoll(s, &end, 10);
  if (end == s || errno)
    return cn_error_set(err, EINVAL, "%s/%s: not a number: \"%s\"", dir, file, s);
  *v = x < 0 ? UINT64_MAX : (uint64_t)x;
  return 0;
}

bool cg_file_exists(const char *dir, const char *file)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
  return access(p, F_OK) == 0;
}

uint64_t cg_keyed(const char *text, const char *key)
{
  size_t kl = strlen(key);
  for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
    if (strncmp(l, key, kl) == 0 && l[kl] == ' ')
      return strtoull(l + kl + 1, NULL, 10);
  return 0;
}

size_t cg_dirs(const struct cgroup *cg, const char **out, size_t max)
{
  size_t n = 0;
  for (int c = 0; c < CG__N; c++) {
    if (!cg->v1[c])
      continue;
    bool dup = false;
    for (size_t i = 0; i < n; i++)
      dup |= strcmp(out[i], cg->v1[c]) == 0;
    if (!dup && n < max)
      out[n++] = cg->v1[c];
  }
  if (cg->unified && n < max)
    out[n++] = cg->unified;
  return n;
}

void cg_sleep_ms(long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep(&ts, NULL);
}
