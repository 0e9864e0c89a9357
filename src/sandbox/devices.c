/* /dev inside the container: the default nodes every runtime provides, the
   spec's linux.devices, and the conventional links.  Inside a user namespace
   mknod is refused, so nodes are bound from the host's /dev instead. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "sandbox/internal.h"
#include "util/cleanup.h"

static const struct spec_device default_devices[] = {
  { .path = "/dev/null", .type = 'c', .major = 1, .minor = 3 },
  { .path = "/dev/zero", .type = 'c', .major = 1, .minor = 5 },
  { .path = "/dev/full", .type = 'c', .major = 1, .minor = 7 },
  { .path = "/dev/random", .type = 'c', .major = 1, .minor = 8 },
  { .path = "/dev/urandom", .type = 'c', .major = 1, .minor = 9 },
  { .path = "/dev/tty", .type = 'c', .major = 5, .minor = 0 },
};

static bool dev_is_bind(const struct spec *spec)
{
  for (size_t i = 0; i < spec->n_mounts; i++)
    if (strcmp(spec->mounts[i].destination, "/dev") == 0 && mount_is_bind(&spec->mounts[i]))
      return true;
  return false;
}

static int split_parent(int rootfd, const char *path, char **name, cn_error_t *err)
{
  _cleanup_free_ char *dir = xstrdup(path);
  char *slash = strrchr(dir, '/');
  if (!slash || !slash[1])
    return cn_error_set(err, EINVAL, "bad device path \"%s\"", path);
  *name = xstrdup(slash + 1);
  *slash = '\0';
  return inroot_mkpath(rootfd, dir[0] ? dir : "/", true, err);
}

static int bind_device(struct rootfs_ctx *r, const struct spec_device *d, cn_error_t *err)
{
  _cleanup_close_ int target = inroot_mkpath(r->rootfd, d->path, false, err);
  if (target < 0)
    return -1;
  _cleanup_close_ int tree = (int)open_tree(AT_FDCWD, d->path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0)
    return cn_error_errno(err, errno, "bind %s from the host", d->path);
  if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return cn_error_errno(err, errno, "bind %s from the host", d->path);
  return 0;
}

static int make_device(struct rootfs_ctx *r, const struct spec_device *d, cn_error_t *err)
{
  if (r->userns)
    return bind_device(r, d, err);
  _cleanup_free_ char *name = NULL;
  _cleanup_close_ int dir = split_parent(r->rootfd, d->path, &name, err);
  if (dir < 0)
    return -1;
  /* O_PATH dirs cannot be used with mknodat; reopen through /proc. */
  char buf[32];
  _cleanup_close_ int dirfd = open(fd_path(buf, dir), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dirfd < 0)
    return cn_error_errno(err, errno, "open parent of %s", d->path);
  mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
  mode_t perm = d->has_file_mode ? d->file_mode & 07777 : 0666;
  if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
    return cn_error_errno(err, errno, "replace %s", d->path);
  dev_t dev = type == S_IFIFO ? 0 : makedev((unsigned)d->major, (unsigned)d->minor);
  if (mknodat(dirfd, name, type | perm, dev) < 0)
    return cn_error_errno(err, errno, "mknod %s", d->path);
  /* mknod honours the umask; the spec's mode is exact. */
  if (fchmodat(dirfd, name, perm, 0) < 0)
    return cn_error_errno(err, errno, "chmod %s", d->path);
  uid_t uid = d->has_uid ? d->uid : 0;
  gid_t gid = d->has_gid ? d->gid : 0;
  if (fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return cn_error_errno(err, errno, "chown %s", d->path);
  return 0;
}

static int make_link(int rootfd, const char *target, const char *path, cn_error_t *err)
{
  _cleanup_free_ char *name = NULL;
  _cleanup_close_ int dir = split_parent(rootfd, path, &name, err);
  if (dir < 0)
    return -1;
  char buf[32];
  _cleanup_close_ int dirfd = open(fd_path(buf, dir), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dirfd < 0)
    return cn_error_errno(err, errno, "open parent of %s", path);
  if (symlinkat(target, dirfd, name) < 0 && errno != EEXIST)
    return cn_error_errno(err, errno, "symlink %s -> %s", path, target);
  return 0;
}

int devices_setup(struct rootfs_ctx *r, bool terminal, cn_error_t *err)
{
  const struct spec *spec = r->spec;
  if (!dev_is_bind(spec)) {
    for (size_t i = 0; i < sizeof default_devices / sizeof *default_devices; i++)
      if (make_device(r, &default_devices[i], err) < 0)
        return cn_error_wrap(err, "default device %s", default_devices[i].path);
    static const char *const links[][2] = { { "/proc/self/fd", "/dev/fd" },
                                            { "/proc/self/fd/0", "/dev/stdin" },
                                            { "/proc/self/fd/1", "/dev/stdout" },
                                            { "/proc/self/fd/2", "/dev/stderr" } };
    for (size_t i = 0; i < sizeof links / sizeof *links; i++)
      if (make_link(r->rootfd, links[i][0], links[i][1], err) < 0)
        return -1;
    /* With a private devpts, /dev/ptmx must lead to its multiplexer. */
    _cleanup_close_ int pts = inroot_open(r->rootfd, "/dev/pts/ptmx", O_PATH);
    if (pts >= 0) {
      _cleanup_close_ int dev = inroot_open(r->rootfd, "/dev", O_PATH | O_DIRECTORY);
      char buf[32];
      _cleanup_close_ int dirfd
          = dev < 0 ? -1 : open(fd_path(buf, dev), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
      if (dirfd >= 0) {
        unlinkat(dirfd, "ptmx", 0);
        if (symlinkat("pts/ptmx", dirfd, "ptmx") < 0)
          return cn_error_errno(err, errno, "symlink /dev/ptmx");
      }
    }
    if (terminal) {
      /* The mount point for the pty slave, bound after pivot_root. */
      _cleanup_close_ int c = inroot_mkpath(r->rootfd, "/dev/console", false, err);
      if (c < 0)
        return -1;
    }
  }
  for (size_t i = 0; spec->has_linux && i < spec->linux_.n_devices; i++)
    if (make_device(r, &spec->linux_.devices[i], err) < 0)
      return cn_error_wrap(err, "linux.devices[%zu]", i);
  return 0;
}
