/* The per-container monitor: the parent of the container's init for its
   whole life.  It creates and starts the container through container/,
   copies the output into the container's log (and to the terminal in the
   foreground), watches for OOM kills and pids-limit hits, reaps the init,
   records the exit status, and releases the OCI container.  With -d it is a
   small detached process, so the logs and exit status survive the front
   end; in the foreground it is the `cinch run` process itself. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "container/attach.h"
#include "container/container.h"
#include "frontend/fe.h"
#include "util/timefmt.h"
#include "util/fs.h"
#include "util/log.h"

struct mon {
  struct cli_globals *g;
  const struct fe_launch *l;
  struct container *c;
  bool fg;
  int log_fd;
  int out_r, err_r, master;
  uint64_t oom_seen, pids_seen;
  int pidfd, sigfd, oom_fd; /* init exit, forwarded signals, OOM events */
  bool out_open, err_open, m_open, in_open;
  int listen_fd;              /* attach socket (detached containers), -1 */
  int clients[FE_MAX_ATTACH]; /* attached `cinch attach` sessions, -1 */
};

static void log_append(int fd, const char *stream, const char *buf, size_t n)
{
  if (fd < 0 || n == 0)
    return;
  struct json_object *o = json_object_new_object();
  json_object_object_add(o, "log", json_object_new_string_len(buf, (int)n));
  json_object_object_add(o, "stream", json_object_new_string(stream));
  _cleanup_free_ char *now = cn_now_rfc3339();
  json_object_object_add(o, "time", json_object_new_string(now));
  _cleanup_free_ char *line
      = xasprintf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
  json_object_put(o);
  if (write(fd, line, strlen(line)) < 0)
    cn_debug("log write: %s", strerror(errno));
}

static void broadcast(struct mon *m, const char *buf, size_t n)
{
  for (int i = 0; i < FE_MAX_ATTACH; i++) {
    if (m->clients[i] < 0)
      continue;
    /* A client too slow to keep up is dropped rather than stalling the
       container's output. */
    for (size_t off = 0; off < n;) {
      char pkt[4097] = { 'o' };
      size_t len = n - off > 4096 ? 4096 : n - off;
      memcpy(pkt + 1, buf + off, len);
      if (send(m->clients[i], pkt, len + 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
        close(m->clients[i]);
        m->clients[i] = -1;
        break;
      }
      off += len;
    }
  }
}

static void write_all(int fd, const char *buf, size_t n)
{
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return;
    buf += w;
    n -= (size_t)w;
  }
}

/* Copies one read's worth from fd; false at EOF. */
static bool pump(struct mon *m, int fd, int to, const char *stream)
{
  char buf[16384];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n < 0)
    return errno == EINTR || errno == EAGAIN;
  if (n == 0)
    return false;
  if (m->fg && to >= 0)
    write_all(to, buf, (size_t)n);
  broadcast(m, buf, (size_t)n);
  log_append(m->log_fd, stream, buf, (size_t)n);
  return true;
}

static void set_state(struct mon *m, const char *status, int pid, int exit_code, bool oom,
                      bool finished)
{
  _cleanup_(json_object_putp) struct json_object *meta = NULL;
  _cleanup_error_ cn_error_t e = NULL;
  if (fe_meta_load(m->g->root, m->l->id, &meta, &e) < 0)
    return;
  struct json_object *st;
  if (!json_object_object_get_ex(meta, "State", &st))
    return;
  json_object_object_add(st, "Status", json_object_new_string(status));
  json_object_object_add(st, "Running", json_object_new_boolean(strcmp(status, "running") == 0));
  json_object_object_add(st, "Pid", json_object_new_int(pid));
  _cleanup_free_ char *now = cn_now_rfc3339();
  if (finished) {
    json_object_object_add(st, "ExitCode", json_object_new_int(exit_code));
    json_object_object_add(st, "OOMKilled", json_object_new_boolean(oom));
    json_object_object_add(st, "FinishedAt", json_object_new_string(now));
  } else {
    json_object_object_add(st, "StartedAt", json_object_new_string(now));
    json_object_object_add(meta, "MonitorPid", json_object_new_int(getpid()));
  }
  if (fe_meta_save(m->g->root, m->l->id, meta, &e) < 0)
    cn_debug("save record: %s", e->msg);
}

static void event(struct mon *m, const char *action, int exit_code)
{
  fe_event_emit(m->g->root, m->l->id, m->l->name, m->l->run->image, action, exit_code);
}

static void check_oom(struct mon *m)
{
  uint64_t n = 0;
  _cleanup_error_ cn_error_t e = NULL;
  if (m->c->cgroup && cgroup_oom_kills(m->c->cgroup, &n, &e) == 0 && n > m->oom_seen) {
    m->oom_seen = n;
    event(m, "oom", 0);
  }
}

/* Forks refused by pids.max: the "max" line of pids.events (v1 and v2
   alike), read alone rather than through the ~35 files of cgroup_stats. */
static uint64_t pids_failcnt(struct container *c)
{
  if (c->cgroup == NULL)
    return 0;
  _cleanup_(json_object_putp) struct json_object *j = cgroup_to_json(c->cgroup);
  struct json_object *dirs, *d;
  if (!json_object_object_get_ex(j, "dirs", &dirs)
      || !(json_object_object_get_ex(dirs, "pids", &d)
           || json_object_object_get_ex(dirs, "unified", &d)))
    return 0;
  _cleanup_free_ char *path = xasprintf("%s/pids.events", json_object_get_string(d));
  _cleanup_free_ char *text = NULL;
  _cleanup_error_ cn_error_t e = NULL;
  if (cn_read_file(path, &text, NULL, &e) < 0)
    return 0;
  const char *max = strstr(text, "max ");
  return max && (max == text || max[-1] == '\n') ? strtoull(max + 4, NULL, 10) : 0;
}

static void check_pids(struct mon *m)
{
  uint64_t n = pids_failcnt(m->c);
  if (n > m->pids_seen) {
    m->pids_seen = n;
    event(m, "pids-limit", 0);
  }
}

static int open_null(void)
{
  return open("/dev/null", O_RDWR | O_CLOEXEC);
}

/* The init inherits fds 0-2 from us at clone time: put the container's
   stdio there for the duration of container_create. */
static int create_with_stdio(struct mon *m, struct container_create_opts *o, int in, int out,
                             int errfd, cn_error_t *err)
{
  int saved[3];
  for (int i = 0; i < 3; i++)
    saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 10);
  dup2(in, 0);
  dup2(out, 1);
  dup2(errfd, 2);
  int r = container_create(o, &m->c, err);
  for (int i = 0; i < 3; i++) {
    if (saved[i] >= 0) {
      dup2(saved[i], i);
      close(saved[i]);
    } else {
      close(i);
    }
  }
  return r;
}

/* The container's root from a store image: an overlay where the kernel
   allows one (an upper layer cannot sit on overlayfs, for one), else a
   private copy. */
static int prepare_rootfs(const struct fe_launch *l, cn_error_t *err)
{
  _cleanup_error_ cn_error_t e = NULL;
  if (fe_rootfs_attach(l->image, l->rec, &e) == 0)
    return 0;
  _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", l->rec);
  return fe_copy_tree(l->image, rootfs, 0, err);
}

static void remove_record(struct mon *m)
{
  _cleanup_error_ cn_error_t e = NULL;
  fe_rec_remove(m->g->root, m->l->id, &e);
}

/* Docker's statuses for failures to exec: 127 not found, 126 cannot run. */
static int exec_code(cn_error_t err)
{
  if (err && err->msg && strstr(err->msg, "not found"))
    return 127;
  if (err && (err->status == EACCES || err->status == ENOEXEC) && err->msg
      && strstr(err->msg, "exec"))
    return 126;
  return 125;
}

static void report(int ready_fd, int code, const char *msg)
{
  if (ready_fd < 0)
    return;
  _cleanup_free_ char *s = xasprintf("%d %s", code, msg ? msg : "");
  write_all(ready_fd, s, strlen(s));
  close(ready_fd);
}

/* Packets to a client: 'S' started, 'E' + "code message" failed to start,
   'o' + output, 'X' + exit status (last). */
static void send_str(int fd, char type, const char *s)
{
  _cleanup_free_ char *pkt = xasprintf("%c%s", type, s);
  send(fd, pkt, strlen(pkt), MSG_NOSIGNAL);
}

static int accept_client(struct mon *m, bool hello)
{
  int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0)
    return -1;
  struct ucred cr;
  socklen_t len = sizeof cr;
  /* Only the container's owner (root here) may attach. */
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0
      || (cr.uid != 0 && cr.uid != getuid())) {
    close(fd);
    return -1;
  }
  for (int i = 0; i < FE_MAX_ATTACH; i++)
    if (m->clients[i] < 0) {
      m->clients[i] = fd;
      if (hello)
        send_str(fd, 'S', "");
      return i;
    }
  close(fd);
  return -1;
}

/* `run -it`: the launcher attaches before the container starts, so the
   first prompt is not lost. */
static int wait_first_client(struct mon *m)
{
  struct pollfd p = { .fd = m->listen_fd, .events = POLLIN };
  if (m->listen_fd < 0 || poll(&p, 1, 30000) <= 0)
    return -1;
  return accept_client(m, false);
}

/* One message from a client: 'i' + bytes for the terminal, or 'w' + rows and
   columns (two uint16) for a window size change. */
static void client_input(struct mon *m, int i)
{
  char buf[4097];
  ssize_t n = recv(m->clients[i], buf, sizeof buf, 0);
  if (n <= 0) {
    close(m->clients[i]);
    m->clients[i] = -1;
    return;
  }
  if (m->master < 0)
    return;
  if (buf[0] == 'i' && m->l->run->interactive)
    write_all(m->master, buf + 1, (size_t)(n - 1));
  else if (buf[0] == 'w' && n == 5) {
    uint16_t rc[2];
    memcpy(rc, buf + 1, sizeof rc);
    struct winsize ws = { .ws_row = rc[0], .ws_col = rc[1] };
    ioctl(m->master, TIOCSWINSZ, &ws);
  }
}

static int listen_attach(const char *id)
{
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -1;
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  socklen_t len = fe_attach_addr(id, &sa);
  if (bind(fd, (struct sockaddr *)&sa, len) < 0 || listen(fd, 4) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Until the init exits: copy output, forward signals and terminal input,
   serve attached clients, and watch for OOM kills and refused forks. */
static void supervise(struct mon *m)
{
  time_t last_pids = time(NULL);
  enum { P_EXIT, P_SIG, P_OUT, P_ERR, P_TTY, P_IN, P_OOM, P_LISTEN, P_CLIENTS };
  for (;;) {
    struct pollfd p[P_CLIENTS + FE_MAX_ATTACH] = {
      [P_EXIT] = { .fd = m->pidfd, .events = POLLIN },
      [P_SIG] = { .fd = m->sigfd, .events = POLLIN },
      [P_OUT] = { .fd = m->out_open ? m->out_r : -1, .events = POLLIN },
      [P_ERR] = { .fd = m->err_open ? m->err_r : -1, .events = POLLIN },
      [P_TTY] = { .fd = m->m_open ? m->master : -1, .events = POLLIN },
      [P_IN] = { .fd = m->in_open ? 0 : -1, .events = POLLIN },
      [P_OOM] = { .fd = m->oom_fd, .events = POLLIN },
      [P_LISTEN] = { .fd = m->listen_fd, .events = POLLIN },
    };
    for (int i = 0; i < FE_MAX_ATTACH; i++)
      p[P_CLIENTS + i] = (struct pollfd){ .fd = m->clients[i], .events = POLLIN };
    if (poll(p, P_CLIENTS + FE_MAX_ATTACH, 1000) < 0 && errno != EINTR)
      return;
    if (p[P_LISTEN].revents & POLLIN)
      accept_client(m, true);
    for (int i = 0; i < FE_MAX_ATTACH; i++)
      if (p[P_CLIENTS + i].fd >= 0 && p[P_CLIENTS + i].fd == m->clients[i]
          && p[P_CLIENTS + i].revents)
        client_input(m, i);
    if (p[P_SIG].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(m->sigfd, &si, sizeof si) == sizeof si) {
        if ((int)si.ssi_signo == SIGWINCH && m->master >= 0) {
          struct winsize ws;
          if (ioctl(0, TIOCGWINSZ, &ws) == 0)
            ioctl(m->master, TIOCSWINSZ, &ws);
        } else {
          kill(m->c->pid, (int)si.ssi_signo);
        }
      }
    }
    short ready = POLLIN | POLLHUP | POLLERR;
    if (p[P_OUT].revents & ready)
      m->out_open = pump(m, m->out_r, 1, "stdout");
    if (p[P_ERR].revents & ready)
      m->err_open = pump(m, m->err_r, 2, "stderr");
    if (p[P_TTY].revents & ready)
      m->m_open = pump(m, m->master, 1, "stdout");
    if (p[P_IN].revents & ready) {
      char buf[4096];
      ssize_t k = read(0, buf, sizeof buf);
      if (k > 0)
        write_all(m->master, buf, (size_t)k);
      else
        m->in_open = false;
    }
    if (p[P_OOM].revents & POLLIN) {
      char buf[4096];
      if (read(m->oom_fd, buf, sizeof buf) < 0)
        cn_debug("oom watch: %s", strerror(errno));
      check_oom(m);
    }
    if (time(NULL) != last_pids) {
      last_pids = time(NULL);
      check_pids(m);
    }
    if (p[P_EXIT].revents & POLLIN)
      return;
  }
}

/* What the container wrote last, after its init exited. */
static void drain(struct mon *m)
{
  for (int rounds = 0; rounds < 100 && (m->out_open || m->err_open || m->m_open); rounds++) {
    struct pollfd q[3] = { { .fd = m->out_open ? m->out_r : -1, .events = POLLIN },
                           { .fd = m->err_open ? m->err_r : -1, .events = POLLIN },
                           { .fd = m->m_open ? m->master : -1, .events = POLLIN } };
    if (poll(q, 3, 50) <= 0)
      return;
    if (q[0].revents)
      m->out_open = pump(m, m->out_r, 1, "stdout");
    if (q[1].revents)
      m->err_open = pump(m, m->err_r, 2, "stderr");
    if (q[2].revents)
      m->m_open = pump(m, m->master, 1, "stdout");
  }
}

static int monitor(struct fe_launch *l, int ready_fd, bool fg, cn_error_t *err)
{
  /* A reader of our stdout that goes away must not take the monitor (and
     with it the container's supervision) down. */
  signal(SIGPIPE, SIG_IGN);
  struct mon m
      = { .g = l->g, .l = l, .fg = fg, .out_r = -1, .err_r = -1, .master = -1, .listen_fd = -1 };
  for (int i = 0; i < FE_MAX_ATTACH; i++)
    m.clients[i] = -1;
  const struct fe_run *r = l->run;
  _cleanup_free_ char *logpath = xasprintf("%s/container.log", l->rec);
  _cleanup_close_ int log_fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  m.log_fd = log_fd;

  struct container_create_opts o = {
    .root = l->g->root,
    .id = l->id,
    .bundle = l->bundle,
    .systemd_cgroup = l->g->systemd_cgroup,
    .no_cgroup = l->g->cgroup_manager && strcmp(l->g->cgroup_manager, "disabled") == 0,
  };
  _cleanup_close_ int tty_ours = -1, tty_theirs = -1, out_w = -1, err_w = -1, null_fd = open_null();
  _cleanup_close_ int out_r = -1, err_r = -1;
  if (r->tty) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
      return cn_error_errno(err, errno, "socketpair");
    tty_ours = sv[0];
    tty_theirs = sv[1];
    o.has_console_fd = true;
    o.console_fd = tty_theirs;
  } else {
    int p1[2], p2[2];
    if (pipe2(p1, O_CLOEXEC) < 0 || pipe2(p2, O_CLOEXEC) < 0)
      return cn_error_errno(err, errno, "pipe");
    out_r = p1[0];
    out_w = p1[1];
    err_r = p2[0];
    err_w = p2[1];
  }
  int in = (fg && r->interactive && !r->tty) ? 0 : null_fd;
  int r_create = l->image ? prepare_rootfs(l, err) : 0;
  if (r_create == 0)
    r_create
        = create_with_stdio(&m, &o, in, r->tty ? null_fd : out_w, r->tty ? null_fd : err_w, err);
  /* The container's mount namespace holds the overlay now (or never will). */
  if (l->image)
    fe_rootfs_detach(l->rec);
  cn_closep(&out_w);
  out_w = -1;
  cn_closep(&err_w);
  err_w = -1;
  cn_closep(&tty_theirs);
  tty_theirs = -1;
  if (r_create < 0) {
    int code = exec_code(*err);
    report(ready_fd, code, (*err)->msg);
    remove_record(&m);
    if (code != 125 && fg) {
      fprintf(stderr, "cinch: %s\n", (*err)->msg);
      return code;
    }
    return fg ? -1 : code;
  }
  _cleanup_container_ struct container *c = m.c;
  _cleanup_close_ int master = -1;
  if (r->tty && console_recv_master(tty_ours, &master, err) < 0) {
    _cleanup_error_ cn_error_t e = NULL;
    container_delete(c, true, &e);
    report(ready_fd, 125, (*err)->msg);
    remove_record(&m);
    return fg ? -1 : 125;
  }
  m.master = master;
  m.out_r = out_r;
  m.err_r = err_r;
  {
    _cleanup_error_ cn_error_t e = NULL;
    if (c->cgroup)
      cgroup_oom_kills(c->cgroup, &m.oom_seen, &e);
  }
  uint64_t oom_initial = m.oom_seen;
  m.pids_seen = pids_failcnt(c);
  _cleanup_close_ int oom_fd = -1;
  {
    _cleanup_error_ cn_error_t e = NULL;
    if (c->cgroup && cgroup_oom_watch(c->cgroup, &oom_fd, &e) < 0)
      oom_fd = -1;
  }

  static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
  sigset_t set, old;
  sigemptyset(&set);
  for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
    sigaddset(&set, forwarded[i]);
  sigprocmask(SIG_BLOCK, &set, &old);
  _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);

  if (!fg)
    m.listen_fd = listen_attach(l->id);
  int first = -1;
  if (l->attach_first) {
    report(ready_fd, 0, "");
    ready_fd = -1;
    first = wait_first_client(&m);
  }
  if (container_start(c, err) < 0) {
    _cleanup_error_ cn_error_t e = NULL;
    container_delete(c, true, &e);
    sigprocmask(SIG_SETMASK, &old, NULL);
    int code = exec_code(*err);
    report(ready_fd, code, (*err)->msg);
    if (first >= 0) {
      _cleanup_free_ char *msg = xasprintf("%d %s", code, (*err)->msg);
      send_str(m.clients[first], 'E', msg);
      close(m.clients[first]);
    }
    if (m.listen_fd >= 0)
      close(m.listen_fd);
    remove_record(&m);
    return fg ? (code == 125 ? -1 : code) : code;
  }
  set_state(&m, "running", c->pid, 0, false, false);
  event(&m, "start", 0);
  report(ready_fd, 0, "");
  if (first >= 0)
    send_str(m.clients[first], 'S', "");
  _cleanup_close_ int pfd = (int)syscall(SYS_pidfd_open, c->pid, 0);

  struct termios saved;
  bool raw = fg && master >= 0 && isatty(0) && tcgetattr(0, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    cfmakeraw(&t);
    tcsetattr(0, TCSANOW, &t);
  }
  if (fg && master >= 0 && isatty(0)) {
    struct winsize ws;
    if (ioctl(0, TIOCGWINSZ, &ws) == 0)
      ioctl(master, TIOCSWINSZ, &ws);
  }
  m.pidfd = pfd;
  m.sigfd = fg ? sfd : -1;
  m.oom_fd = oom_fd;
  m.out_open = out_r >= 0;
  m.err_open = err_r >= 0;
  m.m_open = master >= 0;
  m.in_open = fg && master >= 0 && r->interactive;
  supervise(&m);
  drain(&m);
  if (raw)
    tcsetattr(0, TCSANOW, &saved);
  if (m.listen_fd >= 0)
    close(m.listen_fd);
  int status = container_wait(c, err);
  sigprocmask(SIG_SETMASK, &old, NULL);
  if (status < 0)
    status = 255;
  check_pids(&m);
  check_oom(&m);
  bool oom = m.oom_seen > oom_initial;
  /* The operator sees at once why it died; `inspect` keeps OOMKilled. */
  if (oom && fg)
    fprintf(stderr, "cinch: container %.12s was killed by the OOM killer: it reached its memory "
                    "limit\n", c->id);
  _cleanup_error_ cn_error_t e = NULL;
  if (container_delete(c, true, &e) < 0)
    cn_warn("%s", e->msg);
  set_state(&m, "exited", 0, status, oom, true);
  event(&m, "die", status);
  if (r->rm) {
    remove_record(&m);
    event(&m, "destroy", 0);
  }
  /* Attached clients get the status last, once a --rm container is gone. */
  char code_text[16];
  snprintf(code_text, sizeof code_text, "%d", status);
  for (int i = 0; i < FE_MAX_ATTACH; i++)
    if (m.clients[i] >= 0) {
      send_str(m.clients[i], 'X', code_text);
      close(m.clients[i]);
    }
  return status;
}

int fe_launch(struct fe_launch *l, cn_error_t *err)
{
  /* `run -it` is a detached container plus an attached terminal, as with
     Docker: Ctrl-P Ctrl-Q leaves it running. */
  l->attach_first = !l->run->detach && l->run->tty && l->run->interactive;
  if (!l->run->detach && !l->attach_first)
    return monitor(l, -1, true, err);
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return cn_error_errno(err, errno, "pipe");
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0)
    return cn_error_errno(err, errno, "fork");
  if (pid == 0) {
    close(p[0]);
    setsid();
    /* Pin no directory of the caller's (the root path is absolute). */
    if (chdir("/") < 0)
      _exit(125);
    int null_fd = open("/dev/null", O_RDWR);
    for (int i = 0; i < 3; i++)
      dup2(null_fd, i);
    if (null_fd > 2)
      close(null_fd);
    cn_error_t e = NULL;
    int status = monitor(l, p[1], false, &e);
    _exit(status < 0 ? 125 : 0);
  }
  close(p[1]);
  char buf[4096];
  size_t len = 0;
  ssize_t n;
  while (len < sizeof buf - 1 && (n = read(p[0], buf + len, sizeof buf - 1 - len)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      break;
    len += (size_t)n;
  }
  close(p[0]);
  buf[len] = '\0';
  int code = 125;
  char *msg = buf;
  if (len == 0)
    return cn_error_set(err, EIO, "the container monitor exited before starting the container");
  code = (int)strtol(buf, &msg, 10);
  if (*msg == ' ')
    msg++;
  if (code == 0 && l->attach_first)
    return fe_attach_session(l->g, l->id, true, true, "\x10\x11", err);
  if (code == 0) {
    printf("%s\n", l->id);
    return 0;
  }
  if (code == 125)
    return cn_error_set(err, EINVAL, "%s", msg);
  fprintf(stderr, "cinch: %s\n", msg);
  return code;
}
