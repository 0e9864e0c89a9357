/* Scope-bound ownership, in the style of systemd and crun: a variable declared
   with one of these attributes is released when it goes out of scope, so error
   paths need no goto ladders.  steal_pointer()/steal_fd() hand ownership on. */
#ifndef CINCH_CLEANUP_H
#define CINCH_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void cn_freep(void *p) { free(*(void **)p); }
static inline void cn_closep(int *fd)
{
  if (*fd >= 0) {
    int saved = errno;
    close(*fd);
    errno = saved;
  }
}
static inline void cn_fclosep(FILE **f)
{
  if (*f)
    fclose(*f);
}
static inline void cn_closedirp(DIR **d)
{
  if (*d)
    closedir(*d);
}
void cn_strv_free(char **v);
static inline void cn_strv_freep(char ***v) { cn_strv_free(*v); }

#define _cleanup_free_ _cleanup_(cn_freep)
#define _cleanup_close_ _cleanup_(cn_closep)
#define _cleanup_fclose_ _cleanup_(cn_fclosep)
#define _cleanup_dir_ _cleanup_(cn_closedirp)
#define _cleanup_strv_ _cleanup_(cn_strv_freep)

#define steal_pointer(pp)                                                                          \
  ({                                                                                               \
    __typeof__(*(pp)) _ptr = *(pp);                                                                \
    *(pp) = NULL;                                                                                  \
    _ptr;                                                                                          \
  })

static inline int steal_fd(int *fd)
{
  int r = *fd;
  *fd = -1;
  return r;
}

#endif
