/* The container's filesystem: the rootfs bound onto itself, every mount of
   the spec placed safely inside it, pivot_root (or MS_MOVE + chroot), and
   the read-only root. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/internal.h"
#include "util/cleanup.h"

/* pivot_root refuses a shared parent mount; find the mount that holds the
   rootfs directory and make it private (only in our mount namespace). */
static int parent_mount_private(const char *rootfs, cn_error_t *err)
{
  _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f)
    return cn_error_errno(err, errno, "open /proc/self/mountinfo");
  _cleanup_free_ char *parent = xstrdup(rootfs);
  char *slash = strrchr(parent, '/');
  if (slash && slash != parent)
    *slash = '\0';
  else
    strcpy(parent, "/");
  char best[PATH_MAX] = "/";
  bool shared = false;
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    char mp[PATH_MAX];
    if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
      continue;
    size_t n = strlen(mp);
    bool prefix = strcmp(mp, "/") == 0
                  || (strncmp(parent, mp, n) == 0 && (parent[n] == '/' || parent[n] == '\0'));
    if (prefix && n >= strlen(best)) {
      strcpy(best, mp);
      char *opt = strstr(line, " - ");
      char *sh = strstr(line, "shared:");
      shared = sh && (!opt || sh < opt);
    }
  }
  if (shared && mount(NULL, best, NULL, MS_PRIVATE, NULL) < 0)
    return cn_error_errno(err, errno, "make %s private", best);
  return 0;
}

int rootfs_prepare(struct rootfs_ctx *r, cn_error_t *err)
{
  const char *prop = r->spec->has_linux ? r->spec->linux_.rootfs_propagation : NULL;
  unsigned long flag = MS_SLAVE | MS_REC;
  if (prop) {
    flag = mount_propagation_flag(prop);
    if (!flag)
      return cn_error_set(err, EINVAL, "linux.rootfsPropagation: unknown value \"%s\"", prop);
    flag |= MS_REC;
    /* An unbindable tree cannot be bound onto itself: it becomes unbindable
       after pivot_root (rootfs_pivot), cut off from the host until then. */
    if (flag & MS_UNBINDABLE)
      flag = MS_SLAVE | MS_REC;
  }
  if (mount(NULL, "/", NULL, flag, NULL) < 0)
    return cn_error_errno(err, errno, "linux.rootfsPropagation: set / to %s",
                          prop ? prop : "rslave");
  if (parent_mount_private(r->rootfs, err) < 0)
    return -1;
  if (mount(r->rootfs, r->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return cn_error_errno(err, errno, "bind mount rootfs %s", r->rootfs);
  r->rootfd = open(r->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (r->rootfd < 0)
    return cn_error_errno(err, errno, "open rootfs %s", r->rootfs);
  return 0;
}

static int set_attrs(int fd, uint64_t set, uint64_t clr, bool recursive, const char *dest,
                     cn_error_t *err)
{
  if (!set && !clr)
    return 0;
  struct mount_attr attr = { .attr_set = set, .attr_clr = clr };
  if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0)
    return cn_error_errno(err, errno, "set attributes of mount %s", dest);
  return 0;
}

/* MS_* flags that mount_setattr can carry, as MOUNT_ATTR_*. */
static void flags_to_attr(unsigned long set, unsigned long clear, uint64_t *aset, uint64_t *aclr)
{
  static const struct {
    unsigned long ms;
    uint64_t attr;
  } map[] = { { MS_RDONLY, MOUNT_ATTR_RDONLY },
              { MS_NOSUID, MOUNT_ATTR_NOSUID },
              { MS_NODEV, MOUNT_ATTR_NODEV },
              { MS_NOEXEC, MOUNT_ATTR_NOEXEC },
              { MS_NODIRATIME, MOUNT_ATTR_NODIRATIME } };
  for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
    if (set & map[i].ms)
      *aset |= map[i].attr;
    if (clear & map[i].ms)
      *aclr |= map[i].attr;
  }
  if (set & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME)) {
    *aclr |= MOUNT_ATTR__ATIME;
    *aset |= set & MS_NOATIME       ? MOUNT_ATTR_NOATIME
             : set & MS_STRICTATIME ? MOUNT_ATTR_STRICTATIME
                                    : MOUNT_ATTR_RELATIME;
  }
}

static int set_propagation(int fd, unsigned long prop, const char *dest, cn_error_t *err)
{
  if (!prop)
    return 0;
  char buf[32];
  if (mount(NULL, fd_path(buf, fd), NULL, prop, NULL) < 0)
    return cn_error_errno(err, errno, "set propagation of mount %s", dest);
  return 0;
}

/* A bind mount: the source tree is cloned detached, given its attributes
   there, then moved onto the target fd, so no path is looked up twice. */
static int mount_bind(struct rootfs_ctx *r, const struct spec_mount *m, const struct mount_opts *o,
                      cn_error_t *err)
{
  _cleanup_free_ char *src = m->source && m->source[0] != '/'
                                 ? xasprintf("%s/%s", r->bundle, m->source)
                                 : xstrdup(m->source ? m->source : "");
  struct stat st;
  if (stat(src, &st) < 0)
    return cn_error_errno(err, errno, "bind source %s", src);
  _cleanup_close_ int target = inroot_mkpath(r->rootfd, m->destination, S_ISDIR(st.st_mode), err);
  if (target < 0)
    return -1;
  _cleanup_close_ int tree = (int)open_tree(
      AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (o->recursive ? AT_RECURSIVE : 0));
  if (tree < 0)
    return cn_error_errno(err, errno, "clone mount tree of %s", src);
  uint64_t set = 0, clr = 0;
  flags_to_attr(o->flags, o->clear, &set, &clr);
  if (set_attrs(tree, set, clr, false, m->destination, err) < 0)
    return -1;
  if (set_attrs(tree, o->rec_set, o->rec_clr, true, m->destination, err) < 0)
    return -1;
  if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return cn_error_errno(err, errno, "move mount onto %s", m->destination);
  _cleanup_close_ int top = inroot_open(r->rootfd, m->destination, O_PATH);
  if (top < 0)
    return cn_error_errno(err, errno, "reopen %s", m->destination);
  return set_propagation(top, o->propagation, m->destination, err);
}

static int mount_fs_at(int target, const char *source, const char *type, unsigned long flags,
                       const char *data, const char *dest, cn_error_t *err)
{
  char buf[32];
  if (mount(source, fd_path(buf, target), type, flags, data) < 0)
    return cn_error_errno(err, errno, "mount %s on %s%s%s", type, dest, data ? " with " : "",
                          data ? data : "");
  return 0;
}

/* Our own cgroup in the hierarchy mounted with super options SUPER ("rw,cpu",
   "rw,name=systemd"; NULL for cgroup2), relative to the mount's ROOT, as an
   absolute source path under MP.  The hierarchy root when we are not in it. */
static char *own_cgroup_source(const char *mp, const char *root, const char *super)
{
  _cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  while (f && getline(&line, &cap, f) > 0) {
    line[strcspn(line, "\n")] = '\0';
    char *ctrls = strchr(line, ':');
    char *path = ctrls ? strchr(ctrls + 1, ':') : NULL;
    if (!path)
      continue;
    *ctrls++ = '\0';
    *path++ = '\0';
    bool match = super ? *ctrls != '\0' : *ctrls == '\0';
    for (char *save = NULL, *c = strtok_r(ctrls, ",", &save); super && match && c;
         c = strtok_r(NULL, ",", &save)) {
      size_t n = strlen(c);
      const char *hit = strstr(super, c);
      match = false;
      for (; hit && !match; hit = strstr(hit + 1, c))
        match = (hit == super || hit[-1] == ',') && (hit[n] == ',' || hit[n] == '\0');
    }
    if (!match)
      continue;
    size_t rn = strcmp(root, "/") == 0 ? 0 : strlen(root);
    if (strncmp(path, root, rn) != 0 || (path[rn] != '/' && path[rn] != '\0'))
      break; /* outside what this mount shows: fall back to its root */
    return xasprintf("%s%s", mp, path[rn] == '/' && path[rn + 1] == '\0' ? "" : path + rn);
  }
  return xstrdup(mp);
}

/* The directory the runtime moves us into in the hierarchy mounted at MP. */
static const char *joined_dir(const char *const *dirs, const char *mp)
{
  size_t n = strlen(mp);
  for (; dirs && *dirs; dirs++)
    if (strncmp(*dirs, mp, n) == 0 && ((*dirs)[n] == '/' || (*dirs)[n] == '\0'))
      return *dirs;
  return NULL;
}

/* The v1 hierarchies the host mounts, as runc lays them out: a tmpfs at the
   destination and one directory per hierarchy, mounted afresh inside a cgroup
   namespace or bound from our own cgroup otherwise. */
static int mount_cgroup_v1(struct rootfs_ctx *r, const struct spec_mount *m,
                           const struct mount_opts *o, int target, cn_error_t *err)
{
  unsigned long flags = o->flags & ~MS_RDONLY;
  if (mount_fs_at(target, "tmpfs", "tmpfs", flags, "mode=755", m->destination, err) < 0)
    return -1;
  _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f)
    return cn_error_errno(err, errno, "open /proc/self/mountinfo");
  bool cgns = ns_has(r->spec, SPEC_NS_CGROUP);
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    char root[PATH_MAX], mp[PATH_MAX], fstype[64], super[512];
    char *sep = strstr(line, " - ");
    if (!sep || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mp) != 2
        || sscanf(sep + 3, "%63s %*s %511s", fstype, super) != 2)
      continue;
    if (strncmp(mp, "/sys/fs/cgroup/", 15) != 0 || strchr(mp + 15, '/'))
      continue;
    bool v2 = strcmp(fstype, "cgroup2") == 0;
    if (!v2 && strcmp(fstype, "cgroup") != 0)
      continue;
    const char *name = mp + 15;
    _cleanup_free_ char *dest = xasprintf("%s/%s", m->destination, name);
    _cleanup_close_ int sub = inroot_mkpath(r->rootfd, dest, true, err);
    if (sub < 0)
      return -1;
    if (cgns) {
      /* super options carry rw plus the subsystems ("rw,cpu" or
         "rw,name=systemd"); only the latter are mount data. */
      const char *data = NULL;
      if (!v2) {
        char *comma = strchr(super, ',');
        data = comma ? comma + 1 : NULL;
      }
      if (mount_fs_at(sub, "cgroup", v2 ? "cgroup2" : "cgroup", flags, data, dest, err) < 0)
        return -1;
    } else {
      /* Where the runtime moves us, or where we are and stay. */
      const char *joined = joined_dir(r->cgroup_dirs, mp);
      _cleanup_free_ char *src
          = joined ? xstrdup(joined) : own_cgroup_source(mp, root, v2 ? NULL : super);
      if (mount(src, fd_path((char[32]){ 0 }, sub), NULL, MS_BIND | MS_REC, NULL) < 0)
        return cn_error_errno(err, errno, "bind %s onto %s", src, dest);
    }
    if (o->flags & MS_RDONLY) {
      _cleanup_close_ int top = inroot_open(r->rootfd, dest, O_PATH);
      if (top < 0
          || set_attrs(top,
                       MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                       0, true, dest, err)
                 < 0)
        return top < 0 ? cn_error_errno(err, errno, "reopen %s", dest) : -1;
    }
  }
  if (o->flags & MS_RDONLY) {
    _cleanup_close_ int top = inroot_open(r->rootfd, m->destination, O_PATH);
    if (top < 0 || set_attrs(top, MOUNT_ATTR_RDONLY, 0, false, m->destination, err) < 0)
      return top < 0 ? cn_error_errno(err, errno, "reopen %s", m->destination) : -1;
  }
  return 0;
}

static bool host_has_v1(void)
{
  struct stat st;
  return stat("/sys/fs/cgroup/cgroup.controllers", &st) < 0;
}

static int mount_one(struct rootfs_ctx *r, size_t i, cn_error_t *err)
{
  const struct spec_mount *m = &r->spec->mounts[i];
  _cleanup_(mount_opts_clear) struct mount_opts o;
  if (mount_opts_parse(m->options, m->type, &o, err) < 0)
    return -1;
  if (o.bind)
    return mount_bind(r, m, &o, err);

  const char *type = m->type ? m->type : "none";
  /* Only a bind of known directories (v1, no cgroup namespace) can be made
     before we are in our cgroups. */
  bool cgroup = strcmp(type, "cgroup") == 0;
  if (cgroup && (!r->cgroup_dirs || ns_has(r->spec, SPEC_NS_CGROUP) || !host_has_v1())
      && rootfs_join_cgroups(r, err) < 0)
    return -1;
  _cleanup_close_ int target = inroot_mkpath(r->rootfd, m->destination, true, err);
  if (target < 0)
    return -1;
  if (cgroup && host_has_v1())
    return mount_cgroup_v1(r, m, &o, target, err);
  if (cgroup && !ns_has(r->spec, SPEC_NS_CGROUP)) {
    /* Without a cgroup namespace a fresh cgroup2 mount would show the host's
       whole tree: bind our own cgroup instead, as on v1. */
    _cleanup_free_ char *src = own_cgroup_source("/sys/fs/cgroup", "/", NULL);
    if (mount(src, fd_path((char[32]){ 0 }, target), NULL, MS_BIND | MS_REC, NULL) < 0)
      return cn_error_errno(err, errno, "bind %s onto %s", src, m->destination);
    _cleanup_close_ int top = inroot_open(r->rootfd, m->destination, O_PATH);
    uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC
                     | (o.flags & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0);
    if (top < 0 || set_attrs(top, attrs, 0, true, m->destination, err) < 0)
      return top < 0 ? cn_error_errno(err, errno, "reopen %s", m->destination) : -1;
    return 0;
  }
  if (strcmp(type, "cgroup") == 0)
    type = "cgroup2";
  if (mount_fs_at(target, m->source ? m->source : type, type, o.flags, o.data, m->destination, err)
      < 0)
    return -1;
  if (o.propagation || o.rec_set || o.rec_clr) {
    _cleanup_close_ int top = inroot_open(r->rootfd, m->destination, O_PATH);
    if (top < 0)
      return cn_error_errno(err, errno, "reopen %s", m->destination);
    if (set_attrs(top, o.rec_set, o.rec_clr, true, m->destination, err) < 0
        || set_propagation(top, o.propagation, m->destination, err) < 0)
      return -1;
  }
  return 0;
}

int rootfs_mounts(struct rootfs_ctx *r, cn_error_t *err)
{
  for (size_t i = 0; i < r->spec->n_mounts; i++)
    if (mount_one(r, i, err) < 0)
      return cn_error_wrap(err, "mounts[%zu] (%s)", i, r->spec->mounts[i].destination);
  return 0;
}

static int pivot(const char *rootfs, cn_error_t *err)
{
  _cleanup_close_ int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0)
    return cn_error_errno(err, errno, "open /");
  if (chdir(rootfs) < 0)
    return cn_error_errno(err, errno, "chdir %s", rootfs);
  /* pivot_root(".", "."): the old root ends up stacked under the new one,
     where it is detached without needing a directory for it. */
  if (syscall(SYS_pivot_root, ".", ".") < 0)
    return cn_error_errno(err, errno, "pivot_root %s", rootfs);
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return cn_error_errno(err, errno, "make old root rslave");
  if (umount2(".", MNT_DETACH) < 0)
    return cn_error_errno(err, errno, "detach old root");
  if (chdir("/") < 0)
    return cn_error_errno(err, errno, "chdir /");
  return 0;
}

static int move_chroot(const char *rootfs, cn_error_t *err)
{
  if (chdir(rootfs) < 0)
    return cn_error_errno(err, errno, "chdir %s", rootfs);
  if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
    return cn_error_errno(err, errno, "move %s to /", rootfs);
  if (chroot(".") < 0)
    return cn_error_errno(err, errno, "chroot %s", rootfs);
  if (chdir("/") < 0)
    return cn_error_errno(err, errno, "chdir /");
  return 0;
}

int rootfs_pivot(struct rootfs_ctx *r, bool no_pivot, cn_error_t *err)
{
  if (r->rootfd >= 0) {
    close(r->rootfd);
    r->rootfd = -1;
  }
  return no_pivot ? move_chroot(r->rootfs, err) : pivot(r->rootfs, err);
}

int rootfs_finish(const struct spec *spec, cn_error_t *err)
{
  /* Last, once every bind inside is made (an unbindable tree refuses them). */
  const char *prop = spec->has_linux ? spec->linux_.rootfs_propagation : NULL;
  unsigned long flag = mount_propagation_flag(prop);
  if (flag && mount(NULL, "/", NULL, flag | MS_REC, NULL) < 0)
    return cn_error_errno(err, errno, "linux.rootfsPropagation: set / to %s", prop);
  if (!spec->root_readonly)
    return 0;
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
  if (mount_setattr(AT_FDCWD, "/", 0, &attr, sizeof attr) < 0)
    return cn_error_errno(err, errno, "root.readonly: remount / read-only");
  return 0;
}
