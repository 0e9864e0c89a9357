/* `exec`: run another process in a running container, with runc's flags.
   The runtime steps into the container's pid namespace and clones straight
   into its cgroup; the child (sandbox_exec_main) joins the rest and execs. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/common.h"
#include "container/attach.h"
#include "container/container.h"
#include "sandbox/sandbox.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/sync.h"

static const char usage[]
    = "Usage: cinch exec [OPTIONS] CONTAINER_ID [COMMAND [ARG...]]\n\n"
      "Run a process in a running container (runc's exec).  In the foreground it\n"
      "forwards signals and returns the process's exit status (128+N for signal N).\n\n"
      "  -p, --process FILE       the process as an OCI process JSON object\n"
      "  -t, --tty                allocate a pseudo-terminal\n"
      "      --console-socket S   send the pty master to the unix socket S\n"
      "  -d, --detach             return once the process runs\n"
      "      --pid-file FILE      write the process's host pid to FILE\n"
      "      --cwd DIR            working directory inside the container\n"
      "  -e, --env K=V            set an environment variable (repeatable)\n"
      "  -u, --user UID[:GID]     user (numeric, or a name from the container's /etc/passwd)\n"
      "  -g, --additional-gids G  an additional group (repeatable)\n"
      "  -c, --cap CAP            add a capability (repeatable)\n"
      "      --no-new-privs       set no_new_privs\n"
      "      --preserve-fds N     pass N extra fds (from 3) into the process\n"
      "      --ignore-paused      exec even when the container is paused\n";

enum {
  OPT_CONSOLE_SOCKET = 0x300,
  OPT_PID_FILE,
  OPT_CWD,
  OPT_NO_NEW_PRIVS,
  OPT_PRESERVE_FDS,
  OPT_IGNORE_PAUSED,
};

static const struct option options[] = {
  { "process", required_argument, 0, 'p' },
  { "tty", no_argument, 0, 't' },
  { "console-socket", required_argument, 0, OPT_CONSOLE_SOCKET },
  { "detach", no_argument, 0, 'd' },
  { "pid-file", required_argument, 0, OPT_PID_FILE },
  { "cwd", required_argument, 0, OPT_CWD },
  { "env", required_argument, 0, 'e' },
  { "user", required_argument, 0, 'u' },
  { "additional-gids", required_argument, 0, 'g' },
  { "cap", required_argument, 0, 'c' },
  { "no-new-privs", no_argument, 0, OPT_NO_NEW_PRIVS },
  { "preserve-fds", required_argument, 0, OPT_PRESERVE_FDS },
  { "ignore-paused", no_argument, 0, OPT_IGNORE_PAUSED },
  { "help", no_argument, 0, 'h' },
  { 0, 0, 0, 0 },
};

struct exec_opts {
  const char *process_file;
  const char *console_socket;
  const char *pid_file;
  const char *cwd;
  const char *user;
  char **env;
  char **gids;
  uint64_t caps;
  bool tty, detach, no_new_privs, ignore_paused;
  int preserve_fds;
};

static void exec_opts_free(struct exec_opts *o)
{
  cn_strv_free(o->env);
  cn_strv_free(o->gids);
}

static int parse_u32(const char *s, uint32_t *out)
{
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || end == s || *end || v > UINT32_MAX)
    return -1;
  *out = (uint32_t)v;
  return 0;
}

static int parse_opts(struct cli_globals *g, int argc, char **argv, struct exec_opts *o,
                      cn_error_t *err)
{
  int c;
  while ((c = cli_getopt(g, argc, argv, "+p:tde:u:g:c:h", options, err)) != -1) {
    switch (c) {
    case 'p':
      o->process_file = optarg;
      break;
    case 't':
      o->tty = true;
      break;
    case OPT_CONSOLE_SOCKET:
      o->console_socket = optarg;
      break;
    case 'd':
      o->detach = true;
      break;
    case OPT_PID_FILE:
      o->pid_file = optarg;
      break;
    case OPT_CWD:
      o->cwd = optarg;
      break;
    case 'e':
      if (!strchr(optarg, '='))
        return cn_error_set(err, EINVAL, "--env \"%s\": expected KEY=VALUE", optarg);
      cn_strv_push(&o->env, optarg);
      break;
    case 'u':
      o->user = optarg;
      break;
    case 'g':
      cn_strv_push(&o->gids, optarg);
      break;
    case 'c': {
      int cap = spec_cap_from_name(optarg);
      if (cap < 0) {
        _cleanup_free_ char *prefixed = xasprintf("CAP_%s", optarg);
        cap = spec_cap_from_name(prefixed);
      }
      if (cap < 0)
        return cn_error_set(err, EINVAL, "--cap: unknown capability \"%s\"", optarg);
      o->caps |= 1ULL << cap;
      break;
    }
    case OPT_NO_NEW_PRIVS:
      o->no_new_privs = true;
      break;
    case OPT_PRESERVE_FDS: {
      uint32_t n;
      if (parse_u32(optarg, &n) < 0 || n > 4096)
        return cn_error_set(err, EINVAL, "--preserve-fds: bad count \"%s\"", optarg);
      o->preserve_fds = (int)n;
      break;
    }
    case OPT_IGNORE_PAUSED:
      o->ignore_paused = true;
      break;
    case 'h':
      cli_usage(usage);
      return 1;
    default:
      return -1;
    }
  }
  return 0;
}

/* A user name is looked up in the container's own /etc/passwd (never NSS). */
static int lookup_user(pid_t pid, const char *name, uint32_t *uid, uint32_t *gid, cn_error_t *err)
{
  _cleanup_free_ char *path = xasprintf("/proc/%d/root/etc/passwd", (int)pid);
  _cleanup_fclose_ FILE *f = fopen(path, "re");
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  while (f && getline(&line, &cap, f) > 0) {
    char *s = line;
    char *user = strsep(&s, ":");
    strsep(&s, ":");
    char *u = strsep(&s, ":");
    char *gr = strsep(&s, ":");
    if (user && u && gr && strcmp(user, name) == 0 && parse_u32(u, uid) == 0
        && parse_u32(gr, gid) == 0)
      return 0;
  }
  return cn_error_set(err, ENOENT, "--user: no user \"%s\" in the container's /etc/passwd", name);
}

static int apply_user(pid_t pid, const char *spec_user, struct spec_user *u, cn_error_t *err)
{
  _cleanup_free_ char *copy = xstrdup(spec_user);
  char *colon = strchr(copy, ':');
  if (colon)
    *colon++ = '\0';
  uint32_t uid, gid = 0;
  if (parse_u32(copy, &uid) < 0) {
    if (lookup_user(pid, copy, &uid, &gid, err) < 0)
      return -1;
  }
  if (colon && parse_u32(colon, &gid) < 0)
    return cn_error_set(err, EINVAL, "--user \"%s\": the group must be numeric", spec_user);
  u->uid = uid;
  u->gid = gid;
  return 0;
}

/* Replaces or appends K=V in env (a strv we own). */
static void env_set(char ***env, const char *kv)
{
  size_t klen = (size_t)(strchr(kv, '=') - kv);
  for (char **e = *env; e && *e; e++)
    if (strncmp(*e, kv, klen) == 0 && (*e)[klen] == '=') {
      free(*e);
      *e = xstrdup(kv);
      return;
    }
  cn_strv_push(env, kv);
}

/* The process to run: --process FILE, or the container's process with the
   command line's changes (runc's rules).  Strings are shared with the
   container's spec or owned by `owned`. */
struct built_process {
  struct spec_process p;
  bool from_file;
  char **env;
  uint32_t *gids;
};

static void built_process_free(struct built_process *b)
{
  if (b->from_file)
    spec_process_clear(&b->p);
  cn_strv_free(b->env);
  free(b->gids);
}

static int build_process(struct container *c, const struct exec_opts *o, char **cmd,
                         struct built_process *b, cn_error_t *err)
{
  if (o->process_file) {
    if (spec_parse_process_file(o->process_file, &b->p, err) < 0)
      return cn_error_wrap(err, "--process %s", o->process_file);
    b->from_file = true;
  } else {
    if (!cmd || !cmd[0])
      return cn_error_set(err, EINVAL, "exec: a command is required (or --process FILE)");
    b->p = c->spec->process;
    b->p.args = cmd;
    b->p.terminal = o->tty;
    b->p.has_console_size = false;
    b->env = cn_strv_dup(c->spec->process.env);
    for (char **e = o->env; e && *e; e++)
      env_set(&b->env, *e);
    b->p.env = b->env;
    if (o->cwd)
      b->p.cwd = (char *)o->cwd;
    if (o->user) {
      b->p.user.additional_gids = NULL;
      b->p.user.n_additional_gids = 0;
      if (apply_user(c->pid, o->user, &b->p.user, err) < 0)
        return -1;
    }
    size_t ng = cn_strv_len(o->gids);
    if (ng) {
      b->gids = xcalloc(ng, sizeof *b->gids);
      for (size_t i = 0; i < ng; i++)
        if (parse_u32(o->gids[i], &b->gids[i]) < 0)
          return cn_error_set(err, EINVAL, "--additional-gids: bad gid \"%s\"", o->gids[i]);
      b->p.user.additional_gids = b->gids;
      b->p.user.n_additional_gids = ng;
    }
    if (o->caps) {
      b->p.has_caps = true;
      b->p.caps.bounding |= o->caps;
      b->p.caps.effective |= o->caps;
      b->p.caps.permitted |= o->caps;
      b->p.caps.inheritable |= o->caps;
      b->p.caps.ambient |= o->caps;
    }
    if (o->no_new_privs)
      b->p.no_new_privileges = true;
  }
  return 0;
}

/* Our fds must sit above the ones --preserve-fds hands on. */
static int move_above(int *fd, int floor, cn_error_t *err)
{
  if (*fd < 0 || *fd >= floor)
    return 0;
  int n = fcntl(*fd, F_DUPFD_CLOEXEC, floor);
  if (n < 0)
    return cn_error_errno(err, errno, "fcntl F_DUPFD");
  close(*fd);
  *fd = n;
  return 0;
}

/* pid_for_children must be the container's: only then is our child born
   inside its pid namespace. */
static int enter_pid_ns(pid_t pid, cn_error_t *err)
{
  _cleanup_free_ char *path = xasprintf("/proc/%d/ns/pid", (int)pid);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return cn_error_errno(err, errno, "open %s", path);
  struct stat a, b;
  if (fstat(fd, &a) == 0 && stat("/proc/self/ns/pid_for_children", &b) == 0 && a.st_ino == b.st_ino
      && a.st_dev == b.st_dev)
    return 0;
  if (setns(fd, CLONE_NEWPID) < 0)
    return cn_error_errno(err, errno, "join the container's pid namespace");
  return 0;
}

static pid_t clone_into(int cgroup_fd)
{
  struct clone_args args = { .exit_signal = SIGCHLD };
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = (uint64_t)cgroup_fd;
  }
  return (pid_t)syscall(SYS_clone3, &args, sizeof args);
}

static void reap(pid_t pid)
{
  kill(pid, SIGKILL);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

/* The child reports READY just before execve; the sync socket is
   close-on-exec, so end-of-file then means the exec worked. */
static int wait_exec(int fd, cn_error_t *err)
{
  if (sync_expect(fd, SYNC_READY, err) < 0)
    return -1;
  enum sync_msg type;
  _cleanup_free_ char *msg = NULL;
  cn_error_t e = NULL;
  if (sync_recv(fd, &type, &msg, &e) < 0) {
    int status = e ? e->status : 0;
    cn_error_release(&e);
    return status == EPIPE ? 0 : cn_error_set(err, status, "exec: lost the process");
  }
  if (type == SYNC_ERROR)
    return cn_error_set(err, 0, "%s", msg);
  return cn_error_set(err, EPROTO, "exec: unexpected message %d", type);
}

static int spawn(struct container *c, const struct spec_process *p, const struct exec_opts *o,
                 int console_fd, bool frozen, pid_t *out, cn_error_t *err)
{
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return cn_error_errno(err, errno, "socketpair");
  _cleanup_close_ int parent_fd = sv[0];
  _cleanup_close_ int child_fd = sv[1];
  int floor = 3 + o->preserve_fds;
  if (move_above(&parent_fd, floor, err) < 0 || move_above(&child_fd, floor, err) < 0)
    return -1;
  for (int fd = 3; fd < floor; fd++)
    if (fcntl(fd, F_SETFD, 0) < 0)
      return cn_error_errno(err, errno, "--preserve-fds: fd %d", fd);
  if (enter_pid_ns(c->pid, err) < 0)
    return -1;
  int cgfd = c->cgroup ? cgroup_clone_fd(c->cgroup) : -1;
  pid_t pid = clone_into(cgfd);
  if (pid < 0 && cgfd >= 0 && errno != ENOMEM && errno != EAGAIN)
    pid = clone_into(-1);
  if (pid == 0) {
    close(parent_fd);
    struct sandbox_exec ctx = { .spec = c->spec,
                                .process = p,
                                .init_pid = c->pid,
                                .sync_fd = child_fd,
                                .console_socket_fd = console_fd,
                                .preserve_fds = o->preserve_fds };
    sandbox_exec_main(&ctx);
  }
  if (pid < 0)
    return cn_error_errno(err, errno, "clone3");
  cn_closep(&child_fd);
  child_fd = -1;
  /* v1 hierarchies (and v2 when CLONE_INTO_CGROUP was not possible). */
  if ((c->cgroup && cgroup_enter(c->cgroup, pid, err) < 0)
      || sync_send(parent_fd, SYNC_CONTINUE, NULL, err) < 0
      /* In a frozen cgroup the child stops before it can answer: it runs,
         and reports, once the container is resumed. */
      || (!frozen && wait_exec(parent_fd, err) < 0)) {
    reap(pid);
    return -1;
  }
  *out = pid;
  return 0;
}

static int write_pid_file(const char *path, pid_t pid, cn_error_t *err)
{
  _cleanup_free_ char *text = xasprintf("%d", (int)pid);
  if (cn_write_file_atomic(path, text, strlen(text), 0644, err) < 0)
    return cn_error_wrap(err, "--pid-file");
  return 0;
}

/* 0: running; 1: paused and --ignore-paused. */
static int check_status(struct container *c, bool ignore_paused, cn_error_t *err)
{
  enum container_status st = container_status(c);
  if (st == CONTAINER_RUNNING)
    return 0;
  if (st == CONTAINER_PAUSED && ignore_paused)
    return 1;
  if (st == CONTAINER_PAUSED)
    return cn_error_set(err, EINVAL, "container %s is paused: resume it first (or --ignore-paused)",
                        c->id);
  return cn_error_set(err, EINVAL, "cannot exec in container %s: it is %s, not running", c->id,
                      container_status_name(st));
}

int cli_exec(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  _cleanup_(exec_opts_free) struct exec_opts o = { 0 };
  int r = parse_opts(g, argc, argv, &o, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  if (cli_need_args(argc, optind, 1, "exec", err) < 0)
    return -1;
  const char *id = argv[optind];
  char **cmd = argv + optind + 1;

  _cleanup_container_ struct container *c = NULL;
  if (container_load(g->root, id, &c, err) < 0)
    return -1;
  int frozen = check_status(c, o.ignore_paused, err);
  if (frozen < 0)
    return -1;
  _cleanup_(built_process_free) struct built_process b = { 0 };
  if (build_process(c, &o, cmd, &b, err) < 0)
    return -1;
  if (b.p.terminal && frozen)
    return cn_error_set(err, EINVAL, "exec: --tty needs a running container, %s is paused", c->id);
  if (b.p.terminal && o.detach && !o.console_socket)
    return cn_error_set(err, EINVAL, "exec: --tty with --detach needs --console-socket");

  /* The pty master goes to --console-socket, or to us when we are the
     foreground and proxy the terminal ourselves. */
  _cleanup_close_ int console_fd = -1;
  _cleanup_close_ int tty_ours = -1;
  if (b.p.terminal) {
    if (o.console_socket) {
      console_fd = console_socket_connect(o.console_socket, err);
      if (console_fd < 0)
        return -1;
    } else {
      int sv[2];
      if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return cn_error_errno(err, errno, "socketpair");
      tty_ours = sv[0];
      console_fd = sv[1];
    }
    if (move_above(&console_fd, 3 + o.preserve_fds, err) < 0
        || move_above(&tty_ours, 3 + o.preserve_fds, err) < 0)
      return -1;
  }

  /* Signals meant for the process may come as soon as it runs, before
     container_attach forwards them: hold them until then (the child starts
     with an empty mask). */
  static const int held[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
  sigset_t hold;
  sigemptyset(&hold);
  for (size_t i = 0; i < sizeof held / sizeof *held; i++)
    sigaddset(&hold, held[i]);
  if (!o.detach)
    sigprocmask(SIG_BLOCK, &hold, NULL);
  pid_t pid = -1;
  if (spawn(c, &b.p, &o, console_fd, frozen, &pid, err) < 0)
    return -1;
  cn_closep(&console_fd);
  console_fd = -1;
  _cleanup_close_ int master = -1;
  if (tty_ours >= 0 && console_recv_master(tty_ours, &master, err) < 0) {
    reap(pid);
    return -1;
  }
  if (o.pid_file && write_pid_file(o.pid_file, pid, err) < 0) {
    reap(pid);
    return -1;
  }
  if (o.detach)
    return 0;
  return container_attach(pid, master, err);
}
