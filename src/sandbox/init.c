/* The container's init, from clone3 to execve, in the order the OCI runtime
   spec and the sync protocol (util/sync.h) give. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/internal.h"
#include "util/cleanup.h"
#include "util/sync.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1

static int become_root_in_userns(const struct spec *spec, cn_error_t *err)
{
  if (!ns_is_new(spec, SPEC_NS_USER))
    return 0;
  /* The maps are written: become the namespace's root, so files we make and
     mounts we own belong to it. */
  if (setresgid(0, 0, 0) < 0)
    return cn_error_errno(err, errno, "user namespace: setgid 0");
  if (setresuid(0, 0, 0) < 0)
    return cn_error_errno(err, errno, "user namespace: setuid 0");
  return 0;
}

/* A new anonymous session keyring.  A named one would be shared: the
   kernel joins an existing keyring of that name when it can (every
   container would meet in "_ses.<name>", and a reused id in a stale one). */
static int join_keyring(cn_error_t *err)
{
  if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL, 0, 0, 0) < 0 && errno != ENOSYS)
    return cn_error_errno(err, errno, "join a new session keyring");
  return 0;
}

/* A missing cwd is created, as runc does (engines rely on it for -w), while
   the root is still writable.  It is resolved inside the new root with no
   magic links, so "/proc/self/fd/N/x" cannot make a directory on the host
   through a leaked fd (CVE-2024-21626). */
static int make_cwd(const struct spec_process *p, cn_error_t *err)
{
  if (!p->cwd || !*p->cwd)
    return 0;
  _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return cn_error_errno(err, errno, "open /");
  int dir = inroot_mkpath(root, p->cwd, true, err);
  if (dir < 0)
    return cn_error_wrap(err, "process.cwd %s", p->cwd);
  close(dir);
  return 0;
}

static void wait_continue(int sync_fd, cn_error_t *err)
{
  if (sync_expect(sync_fd, SYNC_CONTINUE, err) < 0)
    _exit(1); /* the runtime is gone or failed: it reports for itself */
}

static void wait_start(int start_fd, int sync_fd, cn_error_t *err)
{
  char c;
  ssize_t r;
  do
    r = read(start_fd, &c, 1);
  while (r < 0 && errno == EINTR);
  if (r != 1) {
    cn_error_errno(err, r < 0 ? errno : EPIPE, "wait for start");
    sandbox_fail(sync_fd, err);
  }
  close(start_fd);
}

int rootfs_join_cgroups(struct rootfs_ctx *r, cn_error_t *err)
{
  if (r->in_cgroups)
    return 0;
  wait_continue(r->sync_fd, err);
  r->in_cgroups = true;
  return ns_unshare_late(r->spec, err);
}

_Noreturn void sandbox_init_main(const struct sandbox_init *ctx)
{
  cn_error_t err = NULL;
  const struct spec *spec = ctx->spec;
  const struct spec_process *p = &spec->process;
  int fd = ctx->sync_fd;

  /* Until execve, /proc/<us>/exe is the runtime binary: keep it out of
     reach of anything in the container (CVE-2019-5736). */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  reset_signals();
  wait_continue(fd, &err);

  if (become_root_in_userns(spec, &err) < 0 || ns_join_paths(spec, &err) < 0)
    sandbox_fail(fd, &err);
  if (!ctx->no_new_keyring && join_keyring(&err) < 0)
    sandbox_fail(fd, &err);

  struct rootfs_ctx r = { .spec = spec,
                          .bundle = ctx->bundle,
                          .rootfs = ctx->rootfs,
                          .rootfd = -1,
                          .userns = ns_has(spec, SPEC_NS_USER),
                          .sync_fd = fd,
                          .cgroup_dirs = ctx->cgroup_dirs };
  if (rootfs_prepare(&r, &err) < 0 || rootfs_mounts(&r, &err) < 0
      || rootfs_join_cgroups(&r, &err) < 0 || devices_setup(&r, p->terminal, &err) < 0)
    sandbox_fail(fd, &err);

  if (sync_send(fd, SYNC_CREATE_HOOKS, NULL, &err) < 0)
    _exit(1);
  /* This CONTINUE carries the state JSON for the startContainer hooks. */
  enum sync_msg type;
  _cleanup_free_ char *state = NULL;
  if (sync_recv(fd, &type, &state, &err) < 0 || type != SYNC_CONTINUE)
    _exit(1);

  if (rootfs_pivot(&r, ctx->no_pivot, &err) < 0 || rootfs_environment(spec, &err) < 0
      || make_cwd(p, &err) < 0)
    sandbox_fail(fd, &err);
  if (p->terminal) {
    if (ctx->console_socket_fd < 0) {
      cn_error_set(&err, EINVAL, "process.terminal: needs --console-socket");
      sandbox_fail(fd, &err);
    }
    if (console_setup(p, ctx->console_socket_fd, true, &err) < 0)
      sandbox_fail(fd, &err);
  }
  if (rootfs_finish(spec, &err) < 0 || process_limits(p, &err) < 0)
    sandbox_fail(fd, &err);
  /* Only the sync socket and the start fifo survive; the cwd check that
     follows then cannot land on a leaked fd (CVE-2024-21626). */
  if (close_other_fds(ctx->preserve_fds, fd, ctx->start_fd, &err) < 0)
    sandbox_fail(fd, &err);
  struct process_ctx pc
      = { .spec = spec, .p = p, .sync_fd = fd, .preserve_fds = ctx->preserve_fds, .keep_fd = -1 };
  if (process_prepare(&pc, &err) < 0)
    sandbox_fail(fd, &err);

  if (sync_send(fd, SYNC_READY, NULL, &err) < 0)
    _exit(1);
  wait_start(ctx->start_fd, fd, &err);
  if (hooks_start_container(ctx, state, &err) < 0)
    sandbox_fail(fd, &err);
  process_exec(&pc, &err);
  sandbox_fail(fd, &err);
}
