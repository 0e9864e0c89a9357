/* `cinch attach`: join a detached container's terminal (or output) through
   its monitor, and leave again with Ctrl-P Ctrl-Q, as with Docker.  The
   monitor listens on an abstract unix socket named after the id: nothing
   to clean up, and the path-length limit of --root does not matter. */
#include <errno.h>
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
#include <termios.h>
#include <unistd.h>

#include "frontend/fe.h"

unsigned fe_attach_addr(const char *id, struct sockaddr_un *sa)
{
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  /* sun_path[0] = '\0': the abstract namespace. */
  int n = snprintf(sa->sun_path + 1, sizeof sa->sun_path - 1, "cinch-attach/%s", id);
  return (unsigned)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

static void send_winsize(int sock)
{
  struct winsize ws;
  if (ioctl(0, TIOCGWINSZ, &ws) < 0)
    return;
  char msg[5] = { 'w' };
  uint16_t rc[2] = { ws.ws_row, ws.ws_col };
  memcpy(msg + 1, rc, sizeof rc);
  send(sock, msg, sizeof msg, MSG_NOSIGNAL);
}

static const char attach_usage[]
    = "Usage: cinch attach [--detach-keys KEYS] [--no-stdin] CONTAINER\n\n"
      "Attach the terminal to a detached container (`cinch run -dit ...`): its\n"
      "output comes here and, with -i, the keyboard goes there.  Ctrl-P Ctrl-Q\n"
      "detaches and leaves it running; when it exits, its status is ours.\n"
      "      --detach-keys ctrl-p,ctrl-q   the detach sequence (ctrl-<x> and letters)\n"
      "      --no-stdin                    only watch\n";

/* "ctrl-p,ctrl-q" -> "\x10\x11". */
static int parse_keys(const char *s, char *out, size_t cap, cn_error_t *err)
{
  size_t n = 0;
  _cleanup_free_ char *copy = xstrdup(s);
  char *p = copy;
  for (char *t; (t = strsep(&p, ","));) {
    char c;
    if (strncmp(t, "ctrl-", 5) == 0 && strlen(t) == 6)
      c = (char)((t[5] >= 'a' && t[5] <= 'z' ? t[5] - 'a' + 'A' : t[5]) & 0x1f);
    else if (strlen(t) == 1)
      c = t[0];
    else
      return cn_error_set(err, EINVAL, "invalid detach keys: %s", s);
    if (n + 1 >= cap)
      return cn_error_set(err, EINVAL, "invalid detach keys: %s", s);
    out[n++] = c;
  }
  out[n] = '\0';
  return 0;
}

int fe_cmd_attach(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  static const struct option opts[] = { { "detach-keys", required_argument, 0, 'k' },
                                        { "no-stdin", no_argument, 0, 'n' },
                                        { "sig-proxy", required_argument, 0, 's' },
                                        { "help", no_argument, 0, 'h' },
                                        { 0, 0, 0, 0 } };
  char keys[16] = "\x10\x11";
  bool no_stdin = false;
  for (int c; (c = cli_getopt(g, argc, argv, "+h", opts, err)) != -1;) {
    if (c == '?')
      return -1;
    if (c == 'h') {
      fputs(attach_usage, stdout);
      return 0;
    }
    if (c == 'k' && parse_keys(optarg, keys, sizeof keys, err) < 0)
      return -1;
    if (c == 'n')
      no_stdin = true;
  }
  if (optind + 1 != argc)
    return cn_error_set(err, EINVAL, "\"attach\" requires exactly 1 argument.");
  _cleanup_free_ char *id = NULL;
  if (fe_resolve(g->root, argv[optind], &id, err) < 0)
    return -1;
  _cleanup_(json_object_putp) struct json_object *meta = NULL;
  if (fe_meta_load(g->root, id, &meta, err) < 0)
    return -1;
  _cleanup_free_ char *st = fe_status(g->root, id, meta, NULL);
  if (strcmp(st, "running") != 0 && strcmp(st, "paused") != 0)
    return cn_error_set(err, EINVAL, "You cannot attach to a stopped container, start it first");
  struct json_object *cfg, *tty;
  bool is_tty = json_object_object_get_ex(meta, "Config", &cfg)
                && json_object_object_get_ex(cfg, "Tty", &tty) && json_object_get_boolean(tty);

  return fe_attach_session(g, id, is_tty, !no_stdin, keys, err);
}

int fe_attach_session(struct cli_globals *g, const char *id, bool is_tty, bool with_stdin,
                      const char *keys, cn_error_t *err)
{
  _cleanup_close_ int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa;
  unsigned len = fe_attach_addr(id, &sa);
  if (sock < 0 || connect(sock, (struct sockaddr *)&sa, len) < 0)
    return cn_error_errno(err, errno,
                          "attach %.12s: its monitor does not answer (only containers started "
                          "with -d can be attached)",
                          id);
  /* The first packet says whether the container runs. */
  char hello[4096];
  ssize_t hn = recv(sock, hello, sizeof hello - 1, 0);
  if (hn <= 0)
    return cn_error_set(err, EIO, "attach %.12s: the container's monitor went away", id);
  hello[hn] = '\0';
  if (hello[0] == 'E') {
    char *msg = NULL;
    int code = (int)strtol(hello + 1, &msg, 10);
    if (msg && *msg == ' ')
      msg++;
    if (code == 125 || code == 0)
      return cn_error_set(err, EINVAL, "%s", msg ? msg : "");
    fprintf(stderr, "cinch: %s\n", msg ? msg : "");
    return code;
  }
  struct termios saved;
  bool raw = is_tty && isatty(0) && tcgetattr(0, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    cfmakeraw(&t);
    tcsetattr(0, TCSANOW, &t);
  }
  if (is_tty && isatty(0))
    send_winsize(sock);
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGWINCH);
  sigprocmask(SIG_BLOCK, &set, &old);
  _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  bool in_open = with_stdin, detached = false;
  int code = -1;
  size_t matched = 0, nkeys = strlen(keys);
  for (;;) {
    struct pollfd p[3] = { { .fd = sock, .events = POLLIN },
                           { .fd = in_open ? 0 : -1, .events = POLLIN },
                           { .fd = sfd, .events = POLLIN } };
    if (poll(p, 3, -1) < 0 && errno != EINTR)
      break;
    if (p[2].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) == sizeof si)
        send_winsize(sock);
    }
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[4097];
      ssize_t n = read(0, buf + 1, sizeof buf - 1);
      if (n <= 0) {
        in_open = false;
      } else {
        /* The detach sequence is watched across reads and not forwarded. */
        for (ssize_t i = 0; i < n && nkeys; i++) {
          matched = buf[1 + i] == keys[matched] ? matched + 1 : (buf[1 + i] == keys[0]);
          if (matched == nkeys) {
            detached = true;
            break;
          }
        }
        if (detached)
          break;
        buf[0] = 'i';
        send(sock, buf, (size_t)n + 1, MSG_NOSIGNAL);
      }
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[8192];
      ssize_t n = recv(sock, buf, sizeof buf - 1, 0);
      if (n <= 0)
        break;
      if (buf[0] == 'X') {
        buf[n] = '\0';
        code = atoi(buf + 1);
        continue;
      }
      if (buf[0] != 'o')
        continue;
      for (ssize_t off = 1; off < n;) {
        ssize_t w = write(1, buf + off, (size_t)(n - off));
        if (w <= 0)
          break;
        off += w;
      }
    }
  }
  if (raw)
    tcsetattr(0, TCSANOW, &saved);
  sigprocmask(SIG_SETMASK, &old, NULL);
  if (detached) {
    fprintf(stderr, "\r\nread escape sequence\r\n");
    return 0;
  }
  if (code >= 0)
    return code;
  if (fe_wait_exit(g->root, id, 10000, &code, err) < 0)
    return -1;
  return code;
}
