/* After pivot_root, the parts of the environment that are seen through the
   container's own /proc: sysctls, hostname, then masked and read-only paths
   (last, since /proc/sys itself is usually read-only). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

static int write_sysctls(const struct spec *spec, cn_error_t *err)
{
  for (size_t i = 0; i < spec->linux_.n_sysctl; i++) {
    const struct spec_kv *kv = &spec->linux_.sysctl[i];
    _cleanup_free_ char *path = xasprintf("/proc/sys/%s", kv->key);
    for (char *s = path + 10; *s; s++)
      if (*s == '.')
        *s = '/';
    if (cn_write_file(path, kv->value, err) < 0)
      return cn_error_wrap(err, "linux.sysctl[\"%s\"]", kv->key);
  }
  return 0;
}

/* A path is masked by a read-only empty tmpfs (directories) or /dev/null
   (anything else); a path the container lacks needs no mask. */
static int mask_path(const char *path, cn_error_t *err)
{
  struct stat st;
  if (stat(path, &st) < 0) {
    if (errno == ENOENT)
      return 0;
    return cn_error_errno(err, errno, "linux.maskedPaths: %s", path);
  }
  int r = S_ISDIR(st.st_mode) ? mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0,mode=0")
                              : mount("/dev/null", path, NULL, MS_BIND, NULL);
  if (r < 0)
    return cn_error_errno(err, errno, "linux.maskedPaths: mask %s", path);
  return 0;
}

static int readonly_path(const char *path, cn_error_t *err)
{
  _cleanup_close_ int tree
      = (int)open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (tree < 0) {
    if (errno == ENOENT)
      return 0;
    return cn_error_errno(err, errno, "linux.readonlyPaths: %s", path);
  }
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV
                                         | MOUNT_ATTR_NOEXEC };
  if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
    return cn_error_errno(err, errno, "linux.readonlyPaths: make %s read-only", path);
  if (move_mount(tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return cn_error_errno(err, errno, "linux.readonlyPaths: mount %s", path);
  return 0;
}

int rootfs_environment(const struct spec *spec, cn_error_t *err)
{
  if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0)
    return cn_error_errno(err, errno, "hostname \"%s\"", spec->hostname);
  if (spec->domainname && setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
    return cn_error_errno(err, errno, "domainname \"%s\"", spec->domainname);
  if (!spec->has_linux)
    return 0;
  if (write_sysctls(spec, err) < 0)
    return -1;
  for (char **p = spec->linux_.readonly_paths; p && *p; p++)
    if (readonly_path(*p, err) < 0)
      return -1;
  for (char **p = spec->linux_.masked_paths; p && *p; p++)
    if (mask_path(*p, err) < 0)
      return -1;
  return 0;
}
