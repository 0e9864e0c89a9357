/* Paths inside the rootfs, resolved the way the container will see them:
   every symlink and ".." stays below the root (openat2 RESOLVE_IN_ROOT), so
   an image cannot point a mount target or a device node at the host. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/internal.h"
#include "util/cleanup.h"

const char *fd_path(char buf[static 32], int fd)
{
  snprintf(buf, 32, "/proc/self/fd/%d", fd);
  return buf;
}

int inroot_open(int rootfd, const char *path, int flags)
{
  struct open_how how = {
    .flags = (uint64_t)(flags | O_CLOEXEC),
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  while (*path == '/')
    path++;
  if (*path == '\0')
    path = ".";
  int fd;
  do
    fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
  while (fd < 0 && (errno == EAGAIN || errno == EINTR));
  return fd;
}

/* Creates the last component: a directory or an empty file.  O_NOFOLLOW
   and mkdirat never follow a symlink, so a dangling link is an error, not a
   way out. */
static int make_last(int parent, const char *name, bool dir)
{
  if (dir)
    return mkdirat(parent, name, 0755) < 0 && errno != EEXIST ? -1 : 0;
  int fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    return errno == EEXIST ? 0 : -1;
  close(fd);
  return 0;
}

int inroot_mkpath(int rootfd, const char *path, bool dir, cn_error_t *err)
{
  int fd = inroot_open(rootfd, path, O_PATH);
  if (fd >= 0)
    return fd;
  if (errno != ENOENT)
    return cn_error_errno(err, errno, "open %s in the rootfs", path);

  _cleanup_free_ char *copy = xstrdup(path);
  _cleanup_close_ int cur = inroot_open(rootfd, "/", O_PATH | O_DIRECTORY);
  if (cur < 0)
    return cn_error_errno(err, errno, "open the rootfs");
  char *save = NULL;
  char *comp = strtok_r(copy, "/", &save);
  _cleanup_free_ char *walked = xstrdup("");
  while (comp) {
    char *next = strtok_r(NULL, "/", &save);
    char *w = xasprintf("%s/%s", walked, comp);
    free(walked);
    walked = w;
    bool last = next == NULL;
    int child = inroot_open(rootfd, walked, O_PATH);
    if (child < 0 && errno == ENOENT) {
      if (strcmp(comp, "..") == 0 || strcmp(comp, ".") == 0)
        return cn_error_errno(err, ENOENT, "open %s in the rootfs", walked);
      if (make_last(cur, comp, last ? dir : true) < 0)
        return cn_error_errno(err, errno, "create %s in the rootfs", walked);
      child = inroot_open(rootfd, walked, O_PATH);
    }
    if (child < 0)
      return cn_error_errno(err, errno, "open %s in the rootfs", walked);
    close(cur);
    cur = child;
    comp = next;
  }
  return steal_fd(&cur);
}
