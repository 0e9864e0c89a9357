/* kill, delete and waiting for the init. */
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "container/container.h"
#include "container/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

int container_kill(struct container *c, int sig, bool all, cn_error_t *err)
{
  enum container_status s = container_status(c);
  if (s == CONTAINER_STOPPED)
    return cn_error_set(err, ESRCH, "cannot kill container \"%s\": it is not running", c->id);
  if (all && c->cgroup)
    return cgroup_kill_all(c->cgroup, sig, err);
  if (kill(c->pid, sig) < 0)
    return cn_error_errno(err, errno, "kill container \"%s\"", c->id);
  return 0;
}

static void sleep_ms(long ms)
{
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Kills everything and waits (up to ~10 s) until the init is gone.  When we
   are its parent, reap it; otherwise its parent or a subreaper will. */
static int kill_and_wait(struct container *c, cn_error_t *err)
{
  cn_error_t e = NULL;
  if (c->cgroup) {
    if (cgroup_kill_all(c->cgroup, SIGKILL, &e) < 0) {
      cn_debug("kill all: %s", e->msg);
      cn_error_release(&e);
    }
    bool frozen = false;
    if (cgroup_is_frozen(c->cgroup, &frozen, &e) == 0 && frozen)
      cgroup_freeze(c->cgroup, false, &e);
    cn_error_release(&e);
  }
  /* A pidfd taken while the pid is still the init's (start time checked
     after opening it) says when it exits, instead of 10 ms polls. */
  _cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
  if (pidfd >= 0 && container_init_alive(c)) {
    kill(c->pid, SIGKILL);
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    while (poll(&p, 1, 10000) < 0 && errno == EINTR)
      ;
  } else if (container_init_alive(c))
    kill(c->pid, SIGKILL);
  for (int i = 0; i < 1000 && container_init_alive(c); i++) {
    waitpid(c->pid, NULL, WNOHANG);
    sleep_ms(10);
  }
  if (container_init_alive(c))
    return cn_error_set(err, EBUSY, "container \"%s\": init %d did not die", c->id, (int)c->pid);
  return 0;
}

int container_delete(struct container *c, bool force, cn_error_t *err)
{
  enum container_status s = container_status(c);
  /* The runtime spec's rule, stricter than runc (which deletes a created
     container): only a stopped one goes without --force. */
  if (s != CONTAINER_STOPPED && !force)
    return cn_error_set(err, EBUSY, "cannot delete container \"%s\" that is not stopped: %s", c->id,
                        container_status_name(s));
  if (s != CONTAINER_STOPPED && kill_and_wait(c, err) < 0)
    return -1;
  waitpid(c->pid, NULL, WNOHANG);

  cn_error_t e = NULL;
  if (container_run_hooks(c, SPEC_HOOK_POSTSTOP, &e) < 0) {
    cn_warn("%s", e->msg);
    cn_error_release(&e);
  }
  if (c->cgroup && cgroup_destroy(c->cgroup, err) < 0)
    return cn_error_wrap(err, "delete container \"%s\"", c->id);
  return cn_rm_rf(c->dir, err);
}

int container_wait(struct container *c, cn_error_t *err)
{
  int status;
  while (waitpid(c->pid, &status, 0) < 0)
    if (errno != EINTR)
      return cn_error_errno(err, errno, "wait for container \"%s\"", c->id);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}
