#include "util/sync.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "util/cleanup.h"

#define SYNC_MAX 4096

int sync_send(int fd, enum sync_msg type, const char *payload, cn_error_t *err)
{
  char buf[SYNC_MAX];
  size_t len = payload ? strnlen(payload, SYNC_MAX - 2) : 0;
  buf[0] = (char)type;
  if (len)
    memcpy(buf + 1, payload, len);
  ssize_t r;
  do
    r = send(fd, buf, len + 1, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return cn_error_errno(err, errno, "sync send");
  return 0;
}

int sync_recv(int fd, enum sync_msg *type, char **payload, cn_error_t *err)
{
  char buf[SYNC_MAX];
  ssize_t r;
  do
    r = recv(fd, buf, sizeof buf - 1, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return cn_error_errno(err, errno, "sync receive");
  if (r == 0)
    return cn_error_set(err, EPIPE, "container init exited without reporting");
  buf[r] = '\0';
  *type = (enum sync_msg)(unsigned char)buf[0];
  if (payload)
    *payload = xstrdup(buf + 1);
  return 0;
}

int sync_expect(int fd, enum sync_msg want, cn_error_t *err)
{
  enum sync_msg type;
  _cleanup_free_ char *payload = NULL;
  if (sync_recv(fd, &type, &payload, err) < 0)
    return -1;
  if (type == SYNC_ERROR)
    return cn_error_set(err, 0, "%s", payload);
  if (type != want)
    return cn_error_set(err, EPROTO, "sync: expected message %d, got %d", want, type);
  return 0;
}
