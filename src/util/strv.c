#include "util/strv.h"

#include <stdlib.h>

#include "util/error.h"

size_t cn_strv_len(char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

char **cn_strv_dup(char *const *v)
{
  size_t n = cn_strv_len(v);
  char **r = xcalloc(n + 1, sizeof *r);
  for (size_t i = 0; i < n; i++)
    r[i] = xstrdup(v[i]);
  return r;
}

void cn_strv_push(char ***v, const char *s)
{
  size_t n = cn_strv_len(*v);
  *v = xrealloc(*v, (n + 2) * sizeof **v);
  (*v)[n] = xstrdup(s);
  (*v)[n + 1] = NULL;
}

void cn_strv_free(char **v)
{
  for (size_t i = 0; v && v[i]; i++)
    free(v[i]);
  free(v);
}
