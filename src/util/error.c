#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *vformat(const char *fmt, va_list ap)
{
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0)
    abort();
  return s;
}

int cn_error_set(cn_error_t *err, int status, const char *fmt, ...)
{
  if (err == NULL || *err != NULL)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  struct cn_error *e = xmalloc(sizeof *e);
  e->status = status;
  e->msg = vformat(fmt, ap);
  va_end(ap);
  *err = e;
  return -1;
}

int cn_error_errno(cn_error_t *err, int status, const char *fmt, ...)
{
  if (err == NULL || *err != NULL)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  char *head = vformat(fmt, ap);
  va_end(ap);
  cn_error_set(err, status, "%s: %s", head, strerror(status));
  free(head);
  return -1;
}

int cn_error_wrap(cn_error_t *err, const char *fmt, ...)
{
  if (err == NULL || *err == NULL)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  char *head = vformat(fmt, ap);
  va_end(ap);
  char *msg = xasprintf("%s: %s", head, (*err)->msg);
  free(head);
  free((*err)->msg);
  (*err)->msg = msg;
  return -1;
}

void cn_error_release(cn_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free((*err)->msg);
  free(*err);
  *err = NULL;
}

void *xmalloc(size_t n)
{
  void *p = malloc(n ? n : 1);
  if (p == NULL)
    abort();
  return p;
}

void *xcalloc(size_t n, size_t size)
{
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (p == NULL)
    abort();
  return p;
}

void *xrealloc(void *p, size_t n)
{
  p = realloc(p, n ? n : 1);
  if (p == NULL)
    abort();
  return p;
}

char *xstrdup(const char *s)
{
  if (s == NULL)
    return NULL;
  char *r = strdup(s);
  if (r == NULL)
    abort();
  return r;
}

char *xasprintf(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *s = vformat(fmt, ap);
  va_end(ap);
  return s;
}
