/* create and start.

   create: validate -> state dir -> cgroup -> exec fifo -> clone3 straight
   into the cgroup with every namespace flag -> id maps, v1 cgroups ->
   handshake with the init (util/sync.h) around the create hooks -> state
   record and pid file.  Any failure unwinds everything made so far, so a
   failed create leaves no state entry, cgroup, mount or process. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "container/attach.h"
#include "container/container.h"
#include "container/internal.h"
#include "sandbox/sandbox.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/hook.h"
#include "util/log.h"
#include "util/sync.h"
#include "util/timefmt.h"

static char *absolute(const char *base, const char *path)
{
  _cleanup_free_ char *joined = path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", base, path);
  char *r = realpath(joined, NULL);
  return r ? r : steal_pointer(&joined);
}

/* Moves fd above the range the container may inherit (0-2 and the
   preserved fds), so that closing everything else inside cannot hit it. */
static int fd_above(int fd, int floor, cn_error_t *err)
{
  if (fd >= floor)
    return fd;
  int n = fcntl(fd, F_DUPFD_CLOEXEC, floor);
  if (n < 0)
    return cn_error_errno(err, errno, "dup fd");
  close(fd);
  return n;
}

/* Joining a pid or time namespace by path, or making a time namespace with
   offsets, only affects the runtime's children (sandbox_prepare_parent), so
   it is done here just before clone3; the saved fds restore the runtime's
   own for-children namespaces afterwards, for the hooks it forks later. */
struct parent_ns {
  int saved_pid;
  int saved_time;
};

static int parent_ns_enter(const struct spec *s, struct parent_ns *p, cn_error_t *err)
{
  p->saved_pid = p->saved_time = -1;
  bool pid_path = false, time_ns = false;
  for (size_t i = 0; s->has_linux && i < s->linux_.n_namespaces; i++) {
    pid_path |= s->linux_.namespaces[i].type == SPEC_NS_PID && s->linux_.namespaces[i].path;
    time_ns |= s->linux_.namespaces[i].type == SPEC_NS_TIME;
  }
  if (pid_path && (p->saved_pid = open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC)) < 0)
    return cn_error_errno(err, errno, "open /proc/self/ns/pid_for_children");
  if (time_ns &&
      (p->saved_time = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC)) < 0)
    return cn_error_errno(err, errno, "open /proc/self/ns/time_for_children");
  return pid_path || time_ns ? sandbox_prepare_parent(s, err) : 0;
}

static void parent_ns_leave(struct parent_ns *p)
{
  if (p->saved_pid >= 0 && setns(p->saved_pid, CLONE_NEWPID) < 0)
    cn_warn("restore pid namespace: %m");
  if (p->saved_time >= 0 && setns(p->saved_time, CLONE_NEWTIME) < 0)
    cn_warn("restore time namespace: %m");
  cn_closep(&p->saved_pid);
  cn_closep(&p->saved_time);
  p->saved_pid = p->saved_time = -1;
}

static pid_t clone3_into(unsigned long flags, int cgroup_fd)
{
  struct clone_args args = {.flags = flags, .exit_signal = SIGCHLD};
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = (uint64_t)cgroup_fd;
  }
  return (pid_t)syscall(SYS_clone3, &args, sizeof args);
}

/* Joins the namespaces of the container init so createContainer hooks run
   inside them (their path was resolved by the runtime already). */
static int enter_container_ns(void *data)
{
  pid_t pid = *(pid_t *)data;
  static const char *const order[] = {"user", "ipc", "uts", "net", "cgroup", "mnt"};
  for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
    char path[64], self[64];
    snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, order[i]);
    snprintf(self, sizeof self, "/proc/self/ns/%s", order[i]);
    struct stat a, b;
    if (stat(path, &a) < 0 || stat(self, &b) < 0)
      continue;
    if (a.st_ino == b.st_ino && a.st_dev == b.st_dev)
      continue;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, 0) < 0)
      return -1;
    close(fd);
  }
  return 0;
}

int container_run_hooks(struct container *c, enum spec_hook_kind kind, cn_error_t *err)
{
  static const char *const names[] = {"prestart",  "createRuntime", "createContainer",
                                      "startContainer", "poststart", "poststop"};
  const struct spec_hook_list *l = &c->spec->hooks[kind];
  if (l->n == 0)
    return 0;
  const char *status = kind == SPEC_HOOK_POSTSTOP    ? "stopped"
                       : kind == SPEC_HOOK_POSTSTART ? "running"
                       : kind <= SPEC_HOOK_CREATE_CONTAINER ? "creating"
                                                            : "created";
  json_object *st = container_state_json_status(c, status);
  const char *text = json_object_to_json_string_ext(st, JSON_C_TO_STRING_PLAIN);
  int r = 0;
  for (size_t i = 0; i < l->n && r == 0; i++) {
    r = cn_hook_run(&l->v[i], text, kind == SPEC_HOOK_CREATE_CONTAINER ? enter_container_ns : NULL,
                    &c->pid, err);
    if (r < 0)
      cn_error_wrap(err, "%s hook %zu", names[kind], i);
  }
  json_object_put(st);
  return r;
}

/* Undo of a failed create: the init (and with it its pid namespace), the
   cgroup, the state directory. */
static void create_rollback(struct container *c)
{
  cn_error_t e = NULL;
  if (c->pid > 0) {
    kill(c->pid, SIGKILL);
    waitpid(c->pid, NULL, 0);
  }
  if (c->cgroup) {
    if (cgroup_destroy(c->cgroup, &e) < 0) {
      cn_warn("cleanup after failed create: %s", e->msg);
      cn_error_release(&e);
    }
  }
  if (c->dir && cn_rm_rf(c->dir, &e) < 0) {
    cn_warn("cleanup after failed create: %s", e->msg);
    cn_error_release(&e);
  }
}

/* A step failed while the init runs on its own: when the init failed first
   (its error is queued on the socket), its message is the one to report. */
static int init_failed(int fd, cn_error_t *err)
{
  struct pollfd p = {.fd = fd, .events = POLLIN};
  if (poll(&p, 1, 0) != 1)
    return -1;
  cn_error_t e = NULL;
  if (sync_expect(fd, SYNC_CREATE_HOOKS, &e) == 0)
    return -1;
  cn_error_release(err);
  *err = e;
  return -1;
}

static int create_in_dir(const struct container_create_opts *o, struct container *c,
                         cn_error_t *err)
{
  const struct spec *s = c->spec;
  if (sandbox_validate(s, c->rootfs, err) < 0)
    return -1;

  /* Keep the config as it is now: later edits of config.json have no effect. */
  const char *cfg_text = NULL;
  _cleanup_free_ char *cfg_buf = NULL;
  if (o->spec_json)
    cfg_text = o->spec_json;
  else {
    _cleanup_free_ char *cfg = xasprintf("%s/config.json", c->bundle);
    if (cn_read_file(cfg, &cfg_buf, NULL, err) < 0)
      return -1;
    cfg_text = cfg_buf;
  }
  _cleanup_free_ char *copy = xasprintf("%s/config.json", c->dir);
  if (cn_write_file_atomic(copy, cfg_text, strlen(cfg_text), 0600, err) < 0)
    return -1;

  if (o->systemd_cgroup)
    return cn_error_set(err, ENOTSUP, "--systemd-cgroup: the systemd cgroup manager is not "
                                      "supported yet (use the default cgroupfs manager)");
  if (!o->no_cgroup) {
    struct cgroup_create_opts co = {
        .id = c->id,
        .cgroups_path = s->has_linux ? s->linux_.cgroups_path : NULL,
        .resources = s->has_linux && s->linux_.has_resources ? &s->linux_.resources : NULL,
    };
    if (cgroup_create(&co, &c->cgroup, err) < 0)
      return -1;
  }

  int floor = 3 + (o->preserve_fds > 0 ? o->preserve_fds : 0);
  _cleanup_free_ char *fifo = xasprintf("%s/exec.fifo", c->dir);
  if (mkfifo(fifo, 0600) < 0)
    return cn_error_errno(err, errno, "mkfifo %s", fifo);
  _cleanup_close_ int start_fd = open(fifo, O_RDWR | O_CLOEXEC);
  if (start_fd < 0)
    return cn_error_errno(err, errno, "open %s", fifo);
  if ((start_fd = fd_above(start_fd, floor, err)) < 0)
    return -1;

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return cn_error_errno(err, errno, "socketpair");
  _cleanup_close_ int parent_fd = sv[0];
  _cleanup_close_ int child_fd = sv[1];
  if ((parent_fd = fd_above(parent_fd, floor, err)) < 0 ||
      (child_fd = fd_above(child_fd, floor, err)) < 0)
    return -1;

  _cleanup_close_ int console_fd = -1;
  if (o->has_console_fd)
    console_fd = fcntl(o->console_fd, F_DUPFD_CLOEXEC, floor);
  else if (o->console_socket && (console_fd = console_socket_connect(o->console_socket, err)) < 0)
    return -1;
  if (console_fd >= 0 && (console_fd = fd_above(console_fd, floor, err)) < 0)
    return -1;
  if (s->process.terminal && console_fd < 0)
    return cn_error_set(err, EINVAL, "process.terminal is true but no --console-socket was given");

  struct parent_ns pns;
  if (parent_ns_enter(s, &pns, err) < 0) {
    parent_ns_leave(&pns);
    return -1;
  }
  unsigned long flags = sandbox_clone_flags(s) & ~(unsigned long)CLONE_NEWTIME;
  int cgfd = c->cgroup ? cgroup_clone_fd(c->cgroup) : -1;
  const char *cgdirs[32] = {NULL};
  if (c->cgroup)
    cgroup_dirs(c->cgroup, cgdirs, sizeof cgdirs / sizeof *cgdirs - 1);
  pid_t pid = clone3_into(flags, cgfd);
  if (pid < 0 && cgfd >= 0 && errno != ENOMEM && errno != EAGAIN)
    pid = clone3_into(flags, -1); /* kernels or setups without CLONE_INTO_CGROUP */
  if (pid == 0) {
    close(parent_fd);
    struct sandbox_init ctx = {
        .spec = s,
        .bundle = c->bundle,
        .rootfs = c->rootfs,
        .sync_fd = child_fd,
        .start_fd = start_fd,
        .console_socket_fd = console_fd,
        .preserve_fds = o->preserve_fds,
        .no_pivot = o->no_pivot,
        .no_new_keyring = o->no_new_keyring,
        .cgroup_dirs = cgdirs,
    };
    sandbox_init_main(&ctx);
  }
  int clone_errno = errno;
  parent_ns_leave(&pns);
  if (pid < 0)
    return cn_error_errno(err, clone_errno, "clone3");
  c->pid = pid;
  cn_closep(&child_fd);
  child_fd = -1;

  if (sandbox_write_id_maps(pid, s, err) < 0)
    return -1;
  /* Two CONTINUEs: the maps are written, then the init is in its cgroups.
     In between the init mounts what does not need its cgroups, while
     joining them here waits out an RCU grace period (v1 cgroup.procs). */
  if (sync_send(parent_fd, SYNC_CONTINUE, NULL, err) < 0)
    return init_failed(parent_fd, err);
  if (c->cgroup && cgroup_enter(c->cgroup, pid, err) < 0)
    return init_failed(parent_fd, err);
  if (proc_start_time(pid, &c->start_time, NULL) < 0)
    return cn_error_set(err, ESRCH, "container init exited during create");
  if (sync_send(parent_fd, SYNC_CONTINUE, NULL, err) < 0)
    return init_failed(parent_fd, err);
  if (sync_expect(parent_fd, SYNC_CREATE_HOOKS, err) < 0)
    return -1;
  if (container_run_hooks(c, SPEC_HOOK_PRESTART, err) < 0 ||
      container_run_hooks(c, SPEC_HOOK_CREATE_RUNTIME, err) < 0 ||
      container_run_hooks(c, SPEC_HOOK_CREATE_CONTAINER, err) < 0)
    return -1;
  /* The init gets the state for its startContainer hooks with this message. */
  json_object *st = container_state_json_status(c, "created");
  int r = sync_send(parent_fd, SYNC_CONTINUE,
                    json_object_to_json_string_ext(st, JSON_C_TO_STRING_PLAIN), err);
  json_object_put(st);
  if (r < 0 || sync_expect(parent_fd, SYNC_READY, err) < 0)
    return -1;

  if (container_save(c, err) < 0)
    return -1;
  if (o->pid_file) {
    _cleanup_free_ char *pid_text = xasprintf("%d", (int)pid);
    _cleanup_free_ char *pf = o->pid_file[0] == '/' ? xstrdup(o->pid_file)
                                                     : absolute(".", o->pid_file);
    if (cn_write_file_atomic(pf, pid_text, strlen(pid_text), 0644, err) < 0)
      return cn_error_wrap(err, "--pid-file");
  }
  return 0;
}

int container_create(const struct container_create_opts *o, struct container **out,
                     cn_error_t *err)
{
  if (!container_id_valid(o->id))
    return cn_error_set(err, EINVAL,
                        "invalid container id \"%s\": use letters, digits and _ + - .", o->id);
  _cleanup_container_ struct container *c = xcalloc(1, sizeof *c);
  c->id = xstrdup(o->id);
  c->root = xstrdup(o->root);
  c->owner = xstrdup("");
  c->created = cn_now_rfc3339();
  char *bundle = realpath(o->bundle ? o->bundle : ".", NULL);
  if (bundle == NULL)
    return cn_error_errno(err, errno, "bundle %s", o->bundle ? o->bundle : ".");
  c->bundle = bundle;

  if (o->spec_json) {
    if (spec_parse_string(o->spec_json, &c->spec, err) < 0)
      return -1;
  } else {
    _cleanup_free_ char *cfg = xasprintf("%s/config.json", c->bundle);
    if (spec_parse_file(cfg, &c->spec, err) < 0)
      return -1;
  }
  if (!c->spec->has_process || c->spec->process.args == NULL || c->spec->process.args[0] == NULL)
    return cn_error_set(err, EINVAL, "process.args: must not be empty");
  if (c->spec->root_path == NULL)
    return cn_error_set(err, EINVAL, "root.path: missing");
  c->rootfs = absolute(c->bundle, c->spec->root_path);
  struct stat st;
  if (stat(c->rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
    return cn_error_set(err, ENOENT, "root.path: %s: no such directory", c->rootfs);

  if (cn_mkdir_p(o->root, 0711, err) < 0)
    return cn_error_wrap(err, "--root");
  /* The state entry is built under a hidden name and renamed into place
     when complete, so `list` and `state` never see half a container. */
  _cleanup_free_ char *final = xasprintf("%s/%s", o->root, o->id);
  if (cn_path_exists(final))
    return cn_error_set(err, EEXIST, "container \"%s\" already exists", o->id);
  c->dir = xasprintf("%s/.creating-%s-%d", o->root, o->id, (int)getpid());
  if (mkdir(c->dir, 0700) < 0) {
    int e = errno;
    free(c->dir);
    c->dir = NULL; /* not ours: never remove it on the way out */
    return cn_error_errno(err, e, "mkdir %s/%s", o->root, o->id);
  }
  if (create_in_dir(o, c, err) < 0) {
    create_rollback(c);
    return -1;
  }
  if (rename(c->dir, final) < 0) {
    int e = errno;
    create_rollback(c);
    if (e == EEXIST || e == ENOTEMPTY)
      return cn_error_set(err, EEXIST, "container \"%s\" already exists", o->id);
    return cn_error_errno(err, e, "rename state of \"%s\"", o->id);
  }
  free(c->dir);
  c->dir = steal_pointer(&final);
  *out = steal_pointer(&c);
  return 0;
}

int container_start(struct container *c, cn_error_t *err)
{
  enum container_status s = container_status(c);
  if (s != CONTAINER_CREATED)
    return cn_error_set(err, EINVAL, "cannot start container \"%s\": it is %s, not created", c->id,
                        container_status_name(s));
  _cleanup_free_ char *fifo = xasprintf("%s/exec.fifo", c->dir);
  /* The init holds the fifo open for reading, so a non-blocking open only
     fails when it is gone. */
  _cleanup_close_ int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return cn_error_errno(err, errno, "cannot start container \"%s\": open exec fifo", c->id);
  if (write(fd, "", 1) != 1)
    return cn_error_errno(err, errno, "cannot start container \"%s\": write exec fifo", c->id);
  unlink(fifo);
  if (container_run_hooks(c, SPEC_HOOK_POSTSTART, err) < 0) {
    container_kill(c, SIGKILL, true, NULL);
    return -1;
  }
  return 0;
}
