/* `exec`: a new process in a running container.  The runtime already put us
   in the container's pid namespace and cgroup; we join the rest from the
   init's /proc entries and become the requested process. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/internal.h"
#include "util/cleanup.h"
#include "util/sync.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
  const char *name;
  int type;
} exec_ns[] = {
  /* user last: the others may belong to our own user namespace (a time
     namespace the runtime made, a network namespace an engine gave by
     path), and once in the container's we have no rights left here.  Those
     that belong to the container's are ours to join too, from its parent. */
  { "time", CLONE_NEWTIME }, { "ipc", CLONE_NEWIPC },       { "uts", CLONE_NEWUTS },
  { "net", CLONE_NEWNET },   { "cgroup", CLONE_NEWCGROUP }, { "mnt", CLONE_NEWNS },
  { "user", CLONE_NEWUSER },
};
#define N_EXEC_NS (sizeof exec_ns / sizeof *exec_ns)

static bool same_ns(int fd, const char *name)
{
  struct stat a, b;
  _cleanup_free_ char *self = xasprintf("/proc/self/ns/%s", name);
  return fstat(fd, &a) == 0 && stat(self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static int join_container(pid_t pid, cn_error_t *err)
{
  int fds[N_EXEC_NS];
  /* Every fd is opened before the first join: after joining the mount
     namespace /proc would be the container's. */
  for (size_t i = 0; i < N_EXEC_NS; i++) {
    _cleanup_free_ char *path = xasprintf("/proc/%d/ns/%s", (int)pid, exec_ns[i].name);
    fds[i] = open(path, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0 && errno != ENOENT) {
      int e = errno;
      for (size_t j = 0; j < i; j++)
        if (fds[j] >= 0)
          close(fds[j]);
      return cn_error_errno(err, e, "open %s", path);
    }
  }
  _cleanup_free_ char *rootp = xasprintf("/proc/%d/root", (int)pid);
  _cleanup_close_ int root = open(rootp, O_PATH | O_DIRECTORY | O_CLOEXEC);
  int r = 0;
  if (root < 0)
    r = cn_error_errno(err, errno, "open %s", rootp);
  for (size_t i = 0; i < N_EXEC_NS && r == 0; i++) {
    if (fds[i] < 0 || same_ns(fds[i], exec_ns[i].name))
      continue;
    if (setns(fds[i], exec_ns[i].type) < 0)
      r = cn_error_errno(err, errno, "join the container's %s namespace", exec_ns[i].name);
  }
  for (size_t i = 0; i < N_EXEC_NS; i++)
    if (fds[i] >= 0)
      close(fds[i]);
  if (r < 0)
    return r;
  /* The init's root, also when it was made with chroot (--no-pivot). */
  if (fchdir(root) < 0 || chroot(".") < 0 || chdir("/") < 0)
    return cn_error_errno(err, errno, "enter the container's root");
  return 0;
}

_Noreturn void sandbox_exec_main(const struct sandbox_exec *ctx)
{
  cn_error_t err = NULL;
  int fd = ctx->sync_fd;
  const struct spec_process *p = ctx->process;
  /* Keep the runtime binary out of the container's reach until execve
     (CVE-2019-5736): a non-dumpable process's /proc entries are closed to
     the container's processes. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  reset_signals();
  if (sync_expect(fd, SYNC_CONTINUE, &err) < 0)
    _exit(1);
  if (join_container(ctx->init_pid, &err) < 0 || process_limits(p, &err) < 0)
    sandbox_fail(fd, &err);
  if (p->terminal) {
    if (ctx->console_socket_fd < 0) {
      cn_error_set(&err, EINVAL, "process.terminal: needs a console socket");
      sandbox_fail(fd, &err);
    }
    if (console_setup(p, ctx->console_socket_fd, false, &err) < 0)
      sandbox_fail(fd, &err);
  }
  if (close_other_fds(ctx->preserve_fds, fd, -1, &err) < 0)
    sandbox_fail(fd, &err);
  struct process_ctx pc = {
    .spec = ctx->spec, .p = p, .sync_fd = fd, .preserve_fds = ctx->preserve_fds, .keep_fd = -1
  };
  if (process_prepare(&pc, &err) < 0)
    sandbox_fail(fd, &err);
  /* A runtime that did not wait (exec --ignore-paused into a frozen
     container) is gone by now: that is no reason not to run. */
  if (sync_send(fd, SYNC_READY, NULL, &err) < 0)
    cn_error_release(&err);
  process_exec(&pc, &err);
  sandbox_fail(fd, &err);
}
