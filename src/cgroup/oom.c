/* OOM kills: a counter (v1 memory.oom_control "oom_kill", v2 memory.events
   "oom_kill") and a pollable fd that wakes on each event (v1: an eventfd
   registered through cgroup.event_control; v2: inotify on memory.events, whose
   every change is a modify event). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"

static const char *memory_dir(const struct cgroup *cg, bool *v1, cn_error_t *err)
{
  enum cg_where w = cg_where(cg, CG_MEMORY);
  if (w == CG_NOWHERE) {
    cn_error_set(err, EOPNOTSUPP, "cgroup: no memory controller on this host");
    return NULL;
  }
  *v1 = w == CG_IN_V1;
  return *v1 ? cg->v1[CG_MEMORY] : cg->unified;
}

int cgroup_oom_kills(struct cgroup *cg, uint64_t *count, cn_error_t *err)
{
  bool v1;
  const char *d = memory_dir(cg, &v1, err);
  if (!d)
    return -1;
  _cleanup_free_ char *s = NULL;
  if (cg_read(d, v1 ? "memory.oom_control" : "memory.events", &s, err) < 0)
    return -1;
  *count = cg_keyed(s, "oom_kill");
  return 0;
}

int cgroup_oom_watch(struct cgroup *cg, int *fd, cn_error_t *err)
{
  bool v1;
  const char *d = memory_dir(cg, &v1, err);
  if (!d)
    return -1;
  if (v1) {
    _cleanup_close_ int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (efd < 0)
      return cn_error_errno(err, errno, "eventfd");
    _cleanup_free_ char *p = xasprintf("%s/memory.oom_control", d);
    _cleanup_close_ int ofd = open(p, O_RDONLY | O_CLOEXEC);
    if (ofd < 0)
      return cn_error_errno(err, errno, "open %s", p);
    char buf[64];
    snprintf(buf, sizeof buf, "%d %d", efd, ofd);
    if (cg_write(d, "cgroup.event_control", buf, err) < 0)
      return -1;
    *fd = steal_fd(&efd);
    return 0;
  }
  _cleanup_close_ int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (ifd < 0)
    return cn_error_errno(err, errno, "inotify_init1");
  _cleanup_free_ char *p = xasprintf("%s/memory.events", d);
  if (inotify_add_watch(ifd, p, IN_MODIFY) < 0)
    return cn_error_errno(err, errno, "inotify_add_watch %s", p);
  *fd = steal_fd(&ifd);
  return 0;
}
