/* The one error contract of cinch.

   A function that can fail returns 0 (or a non-negative result) on success and
   a negative value on failure, after filling *err with an errno value and a
   message.  Callers add context on the way up with cn_error_wrap(), so the
   final message reads like a path through the code:
     "create cgroup /sys/fs/cgroup/pids/c1: mkdir: Permission denied"
   Only main() prints.  Callers that want a fallback test (*err)->status and
   release the error with cn_error_release(). */
#ifndef CINCH_ERROR_H
#define CINCH_ERROR_H

#include <stdarg.h>
#include <stddef.h>

struct cn_error {
  int status; /* errno value, or 0 when the failure is not a system error */
  char *msg;
};
typedef struct cn_error *cn_error_t;

/* Sets *err (unless it is already set) and returns -1. */
int cn_error_set(cn_error_t *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Like cn_error_set, and appends ": strerror(status)". */
int cn_error_errno(cn_error_t *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes "context: " to the message already in *err; returns -1. */
int cn_error_wrap(cn_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cn_error_release(cn_error_t *err);
static inline void cn_error_releasep(cn_error_t *err) { cn_error_release(err); }
#define _cleanup_error_ __attribute__((cleanup(cn_error_releasep)))

/* Allocation that cannot fail: running out of memory aborts, as in most
   runtimes; it keeps every caller free of NULL checks. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
