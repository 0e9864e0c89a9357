#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

int cn_read_file_at(int dirfd, const char *path, char **out, size_t *len, cn_error_t *err)
{
  _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return cn_error_errno(err, errno, "open %s", path);
  size_t cap = 4096, n = 0;
  _cleanup_free_ char *buf = xmalloc(cap);
  for (;;) {
    if (n + 1 >= cap)
      buf = xrealloc(buf, cap *= 2);
    ssize_t r = read(fd, buf + n, cap - n - 1);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return cn_error_errno(err, errno, "read %s", path);
    }
    if (r == 0)
      break;
    n += (size_t)r;
  }
  buf[n] = '\0';
  if (len)
    *len = n;
  *out = steal_pointer(&buf);
  return 0;
}

int cn_read_file(const char *path, char **out, size_t *len, cn_error_t *err)
{
  return cn_read_file_at(AT_FDCWD, path, out, len, err);
}

int cn_write_file_at(int dirfd, const char *name, const char *data, cn_error_t *err)
{
  _cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return cn_error_errno(err, errno, "open %s", name);
  size_t len = strlen(data);
  ssize_t r;
  do
    r = write(fd, data, len);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return cn_error_errno(err, errno, "write %s \"%s\"", name, data);
  if ((size_t)r != len)
    return cn_error_set(err, EIO, "write %s \"%s\": short write", name, data);
  return 0;
}

int cn_write_file(const char *path, const char *data, cn_error_t *err)
{
  return cn_write_file_at(AT_FDCWD, path, data, err);
}

int cn_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode,
                         cn_error_t *err)
{
  _cleanup_free_ char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
  _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return cn_error_errno(err, errno, "create %s", tmp);
  size_t off = 0;
  while (off < len) {
    ssize_t r = write(fd, data + off, len - off);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      int e = errno;
      unlink(tmp);
      return cn_error_errno(err, e, "write %s", tmp);
    }
    off += (size_t)r;
  }
  if (rename(tmp, path) < 0) {
    int e = errno;
    unlink(tmp);
    return cn_error_errno(err, e, "rename %s", path);
  }
  return 0;
}

int cn_mkdir_p(const char *path, mode_t mode, cn_error_t *err)
{
  _cleanup_free_ char *p = xstrdup(path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/')
      continue;
    *s = '\0';
    if (mkdir(p, mode) < 0 && errno != EEXIST)
      return cn_error_errno(err, errno, "mkdir %s", p);
    *s = '/';
  }
  if (mkdir(p, mode) < 0 && errno != EEXIST)
    return cn_error_errno(err, errno, "mkdir %s", p);
  return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st;
  (void)ftw;
  int r = flag == FTW_DP ? rmdir(path) : unlink(path);
  return r < 0 && errno != ENOENT ? -1 : 0;
}

int cn_rm_rf(const char *path, cn_error_t *err)
{
  if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
    return cn_error_errno(err, errno, "remove %s", path);
  return 0;
}

bool cn_path_exists(const char *path)
{
  struct stat st;
  return lstat(path, &st) == 0;
}
