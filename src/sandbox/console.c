/* terminal: true.  The pty is made inside the container (its devpts), the
   master goes to whoever listens on --console-socket, the slave becomes the
   process's stdio and controlling terminal. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "sandbox/internal.h"
#include "util/cleanup.h"

static int send_fd(int sock, int fd, const char *name, cn_error_t *err)
{
  char cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof cbuf);
  struct iovec iov = { .iov_base = (void *)name, .iov_len = strlen(name) };
  struct msghdr msg
      = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t r;
  do
    r = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return cn_error_errno(err, errno, "send the pty master to the console socket");
  return 0;
}

int console_setup(const struct spec_process *p, int console_socket_fd, bool bind_console,
                  cn_error_t *err)
{
  _cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return cn_error_errno(err, errno, "process.terminal: open /dev/ptmx");
  if (unlockpt(master) < 0)
    return cn_error_errno(err, errno, "process.terminal: unlockpt");
  char name[64];
  if (ptsname_r(master, name, sizeof name) != 0)
    return cn_error_errno(err, errno, "process.terminal: ptsname");
  if (p->has_console_size) {
    struct winsize ws = { .ws_row = (unsigned short)p->console_height,
                          .ws_col = (unsigned short)p->console_width };
    if (ioctl(master, TIOCSWINSZ, &ws) < 0)
      return cn_error_errno(err, errno, "process.consoleSize");
  }
  _cleanup_close_ int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return cn_error_errno(err, errno, "process.terminal: open %s", name);
  if (bind_console && mount(name, "/dev/console", NULL, MS_BIND, NULL) < 0)
    return cn_error_errno(err, errno, "process.terminal: bind %s onto /dev/console", name);
  if (send_fd(console_socket_fd, master, name, err) < 0)
    return -1;
  if (setsid() < 0 && errno != EPERM)
    return cn_error_errno(err, errno, "setsid");
  if (ioctl(slave, TIOCSCTTY, 0) < 0)
    return cn_error_errno(err, errno, "process.terminal: make %s the controlling terminal", name);
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave, fd) < 0)
      return cn_error_errno(err, errno, "dup2 pty to fd %d", fd);
  return 0;
}
