/* The foreground of `run`: forward signals to the init, proxy a terminal,
   and collect the exit status. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "container/attach.h"
#include "util/cleanup.h"

int console_socket_connect(const char *path, cn_error_t *err)
{
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path)
    return cn_error_set(err, ENAMETOOLONG, "--console-socket %s: path too long", path);
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return cn_error_errno(err, errno, "--console-socket: socket");
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    int e = errno;
    close(fd);
    return cn_error_errno(err, e, "--console-socket %s: connect", path);
  }
  return fd;
}

int console_recv_master(int sock, int *master, cn_error_t *err)
{
  char data[256];
  struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  ssize_t r;
  do
    r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return cn_error_errno(err, errno, "receive terminal");
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  if (cm == NULL || cm->cmsg_type != SCM_RIGHTS)
    return cn_error_set(err, EPROTO, "receive terminal: no fd in message");
  memcpy(master, CMSG_DATA(cm), sizeof(int));
  return 0;
}

static void copy_winsize(int from, int to)
{
  struct winsize ws;
  if (ioctl(from, TIOCGWINSZ, &ws) == 0)
    ioctl(to, TIOCSWINSZ, &ws);
}

/* Copies what is readable on from to to; false at EOF or error. */
static bool pump(int from, int to)
{
  char buf[8192];
  ssize_t n = read(from, buf, sizeof buf);
  if (n <= 0)
    return n < 0 && (errno == EINTR || errno == EAGAIN);
  for (ssize_t off = 0; off < n;) {
    ssize_t w = write(to, buf + off, (size_t)(n - off));
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return false;
    off += w;
  }
  return true;
}

static void forwarded_set(sigset_t *set)
{
  static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
  sigemptyset(set);
  for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
    sigaddset(set, forwarded[i]);
}

void container_attach_hold_signals(void)
{
  sigset_t set;
  forwarded_set(&set);
  sigprocmask(SIG_BLOCK, &set, NULL);
}

int container_attach(pid_t pid, int master, cn_error_t *err)
{
  sigset_t set, old;
  forwarded_set(&set);
  sigprocmask(SIG_BLOCK, &set, &old);
  _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  _cleanup_close_ int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (sfd < 0 || pfd < 0) {
    int e = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    return cn_error_errno(err, e, "attach to container");
  }

  struct termios saved;
  bool raw = master >= 0 && isatty(0) && tcgetattr(0, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    cfmakeraw(&t);
    tcsetattr(0, TCSANOW, &t);
    copy_winsize(0, master);
  }
  bool in_open = master >= 0, out_open = master >= 0;
  for (;;) {
    struct pollfd p[4] = {{.fd = pfd, .events = POLLIN},
                          {.fd = sfd, .events = POLLIN},
                          {.fd = out_open ? master : -1, .events = POLLIN},
                          {.fd = in_open ? 0 : -1, .events = POLLIN}};
    if (poll(p, 4, -1) < 0 && errno != EINTR)
      break;
    if (p[1].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) == sizeof si) {
        if ((int)si.ssi_signo == SIGWINCH && master >= 0)
          copy_winsize(0, master);
        else
          kill(pid, (int)si.ssi_signo);
      }
    }
    if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
      out_open = pump(master, 1);
    if (p[3].revents & (POLLIN | POLLHUP | POLLERR))
      in_open = pump(0, master);
    if (p[0].revents & POLLIN) {
      /* Drain what the container wrote last before reporting. */
      while (out_open) {
        struct pollfd q = {.fd = master, .events = POLLIN};
        if (poll(&q, 1, 50) <= 0 || !(q.revents & POLLIN))
          break;
        out_open = pump(master, 1);
      }
      break;
    }
  }
  if (raw)
    tcsetattr(0, TCSANOW, &saved);
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) {
      sigprocmask(SIG_SETMASK, &old, NULL);
      return cn_error_errno(err, errno, "wait for container");
    }
  sigprocmask(SIG_SETMASK, &old, NULL);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}
