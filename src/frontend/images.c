/* The local image store.  An image is a root filesystem directory: either
   a path the user gives (used in place, like a bundle's rootfs), or a name
   found in the store directories (each container writes to an overlay of
   it, or with --userns=remap to a uid-shifted copy, so the image itself
   never changes).  `busybox` is built into every
   installation from Debian's busybox-static. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "frontend/fe.h"
#include "util/fs.h"
#include "util/strv.h"

/* Store directories, most specific first. */
static char **store_dirs(const char *root)
{
  char **v = NULL;
  const char *env = getenv("CINCH_IMAGES");
  if (env && *env)
    cn_strv_push(&v, env);
  _cleanup_free_ char *r = xasprintf("%s/images", root);
  cn_strv_push(&v, r);
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) {
      *slash = '\0';
      _cleanup_free_ char *a = xasprintf("%s/images", exe);
      _cleanup_free_ char *b = xasprintf("%s/../share/cinch/images", exe);
      _cleanup_free_ char *c = xasprintf("%s/../build/images", exe);
      cn_strv_push(&v, a);
      cn_strv_push(&v, b);
      cn_strv_push(&v, c);
    }
  }
  cn_strv_push(&v, "/usr/local/share/cinch/images");
  cn_strv_push(&v, "/usr/share/cinch/images");
  return v;
}

static bool is_dir(const char *p)
{
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int fe_image_find(const char *root, const char *name, struct fe_image *img, cn_error_t *err)
{
  if (strchr(name, '/') || strcmp(name, ".") == 0) {
    char *abs = realpath(name, NULL);
    if (abs == NULL || !is_dir(abs)) {
      free(abs);
      return cn_error_set(err, ENOENT, "Unable to find image '%s': not a directory", name);
    }
    img->name = xstrdup(name);
    img->path = abs;
    img->builtin = false;
    return 0;
  }
  /* "busybox:latest" and "busybox" are the same image. */
  _cleanup_free_ char *base = xstrdup(name);
  char *colon = strchr(base, ':');
  if (colon && strcmp(colon, ":latest") == 0)
    *colon = '\0';
  if (base[0] == '\0' || base[0] == '.')
    return cn_error_set(err, EINVAL, "invalid reference format: \"%s\"", name);
  _cleanup_strv_ char **dirs = store_dirs(root);
  for (char **d = dirs; *d; d++) {
    _cleanup_free_ char *p = xasprintf("%s/%s", *d, base);
    if (is_dir(p)) {
      _cleanup_free_ char *bin = xasprintf("%s/bin", p);
      if (!is_dir(bin))
        continue;
      img->name = xstrdup(name);
      img->path = realpath(p, NULL);
      img->builtin = true;
      return img->path ? 0 : cn_error_errno(err, errno, "image %s", p);
    }
  }
  return cn_error_set(err, ENOENT,
                      "Unable to find image '%s' locally (cinch pulls nothing: give a rootfs "
                      "directory or an image under %s/images)",
                      name, root);
}

int fe_cmd_images(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  (void)err;
  if (argc > 1 && strcmp(argv[1], "--help") == 0) {
    fputs("Usage: cinch images\n\nList the local image store (a name is a root filesystem "
          "directory\nwith a bin/ in one of the store directories; the first one found wins).\n",
          stdout);
    return 0;
  }
  printf("%-20s %-10s %s\n", "REPOSITORY", "TAG", "PATH");
  _cleanup_strv_ char **dirs = store_dirs(g->root);
  _cleanup_strv_ char **seen = NULL;
  for (char **d = dirs; *d; d++) {
    _cleanup_dir_ DIR *dir = opendir(*d);
    struct dirent *e;
    while (dir && (e = readdir(dir))) {
      if (e->d_name[0] == '.')
        continue;
      _cleanup_free_ char *p = xasprintf("%s/%s", *d, e->d_name);
      _cleanup_free_ char *bin = xasprintf("%s/bin", p);
      bool dup = false;
      for (char **x = seen; x && *x; x++)
        dup |= strcmp(*x, e->d_name) == 0;
      if (dup || !is_dir(bin))
        continue;
      cn_strv_push(&seen, e->d_name);
      _cleanup_free_ char *abs = realpath(p, NULL);
      printf("%-20s %-10s %s\n", e->d_name, "latest", abs ? abs : p);
    }
  }
  return 0;
}

void fe_image_clear(struct fe_image *img)
{
  free(img->name);
  free(img->path);
  memset(img, 0, sizeof *img);
}

static int copy_file(int sfd, int dfd, const char *name, const struct stat *st, uid_t shift,
                     cn_error_t *err)
{
  _cleanup_close_ int in = openat(sfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (in < 0)
    return cn_error_errno(err, errno, "open %s", name);
  _cleanup_close_ int out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                                   st->st_mode & 07777);
  if (out < 0)
    return cn_error_errno(err, errno, "create %s", name);
  char buf[65536];
  for (;;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n < 0)
      return cn_error_errno(err, errno, "read %s", name);
    if (n == 0)
      break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, buf + off, (size_t)(n - off));
      if (w < 0)
        return cn_error_errno(err, errno, "write %s", name);
      off += w;
    }
  }
  if (fchown(out, st->st_uid + shift, st->st_gid + shift) < 0
      || fchmod(out, st->st_mode & 07777) < 0)
    return cn_error_errno(err, errno, "chown %s", name);
  return 0;
}

static int copy_dir(int sfd, int dfd, uid_t shift, cn_error_t *err)
{
  int dup_fd = dup(sfd);
  if (dup_fd < 0)
    return cn_error_errno(err, errno, "dup");
  _cleanup_dir_ DIR *d = fdopendir(dup_fd);
  if (d == NULL) {
    close(dup_fd);
    return cn_error_errno(err, errno, "opendir");
  }
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    struct stat st;
    if (fstatat(sfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      return cn_error_errno(err, errno, "stat %s", e->d_name);
    if (S_ISDIR(st.st_mode)) {
      if (mkdirat(dfd, e->d_name, st.st_mode & 07777) < 0)
        return cn_error_errno(err, errno, "mkdir %s", e->d_name);
      _cleanup_close_ int s2 = openat(sfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      _cleanup_close_ int d2 = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (s2 < 0 || d2 < 0)
        return cn_error_errno(err, errno, "open %s", e->d_name);
      if (copy_dir(s2, d2, shift, err) < 0)
        return cn_error_wrap(err, "%s", e->d_name);
      if (fchown(d2, st.st_uid + shift, st.st_gid + shift) < 0
          || fchmod(d2, st.st_mode & 07777) < 0)
        return cn_error_errno(err, errno, "chown %s", e->d_name);
    } else if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = readlinkat(sfd, e->d_name, target, sizeof target - 1);
      if (n < 0)
        return cn_error_errno(err, errno, "readlink %s", e->d_name);
      target[n] = '\0';
      if (symlinkat(target, dfd, e->d_name) < 0)
        return cn_error_errno(err, errno, "symlink %s", e->d_name);
      if (fchownat(dfd, e->d_name, st.st_uid + shift, st.st_gid + shift, AT_SYMLINK_NOFOLLOW) < 0)
        return cn_error_errno(err, errno, "chown %s", e->d_name);
    } else if (S_ISREG(st.st_mode)) {
      if (copy_file(sfd, dfd, e->d_name, &st, shift, err) < 0)
        return -1;
    } else {
      /* Device nodes and fifos: /dev is a tmpfs in the container anyway. */
      if (mknodat(dfd, e->d_name, st.st_mode, st.st_rdev) < 0 && errno != EPERM)
        return cn_error_errno(err, errno, "mknod %s", e->d_name);
    }
  }
  return 0;
}

int fe_copy_tree(const char *src, const char *dst, uid_t shift, cn_error_t *err)
{
  if (cn_mkdir_p(dst, 0755, err) < 0)
    return -1;
  _cleanup_close_ int s = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  _cleanup_close_ int d = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s < 0 || d < 0)
    return cn_error_errno(err, errno, "copy image %s", src);
  if (copy_dir(s, d, shift, err) < 0)
    return cn_error_wrap(err, "copy image %s", src);
  struct stat st;
  if (fstat(s, &st) < 0 || fchown(d, st.st_uid + shift, st.st_gid + shift) < 0)
    return cn_error_errno(err, errno, "chown %s", dst);
  return 0;
}

/* ---- a store image as a container's root: an overlay, as Docker's overlay2 ---- */

/* The image is the read-only lower layer shared by every container; the
   container's writes land in rec/upper.  The overlay is mounted (private, so
   nothing propagates) only while container_create builds the container's
   mount namespace, which keeps its own reference: fe_rootfs_detach then
   drops ours at once, so no crash of the monitor and no `delete --force`
   that bypasses the front end can leave it mounted on the host. */
int fe_rootfs_attach(const char *image, const char *rec, cn_error_t *err)
{
  if (strpbrk(image, ",:\\") || strpbrk(rec, ",:\\"))
    return cn_error_set(err, EINVAL, "overlay: path needs escaping: %s", image);
  _cleanup_free_ char *upper = xasprintf("%s/upper", rec);
  _cleanup_free_ char *work = xasprintf("%s/work", rec);
  _cleanup_free_ char *merged = xasprintf("%s/rootfs", rec);
  const char *dirs[] = { upper, work, merged };
  for (size_t i = 0; i < 3; i++)
    if (mkdir(dirs[i], 0755) < 0 && errno != EEXIST)
      return cn_error_errno(err, errno, "mkdir %s", dirs[i]);
  _cleanup_free_ char *opts = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", image, upper, work);
  if (mount("overlay", merged, "overlay", MS_NODEV, opts) < 0)
    return cn_error_errno(err, errno, "mount overlay on %s", merged);
  if (mount(NULL, merged, NULL, MS_PRIVATE, NULL) < 0) {
    int e = errno;
    umount2(merged, MNT_DETACH);
    return cn_error_errno(err, e, "make %s private", merged);
  }
  return 0;
}

void fe_rootfs_detach(const char *rec)
{
  _cleanup_free_ char *merged = xasprintf("%s/rootfs", rec);
  /* EINVAL: not mounted (a copy, or already detached). */
  umount2(merged, MNT_DETACH | UMOUNT_NOFOLLOW);
}

/* ---- users, as Docker resolves them: from the image's own files ---- */

/* Finds a line of an /etc/passwd or /etc/group file whose name or id
   matches; fields split on ':'. */
static int find_entry(const char *rootfs, const char *file, const char *key, char ***fields)
{
  _cleanup_free_ char *path = xasprintf("%s%s", rootfs, file);
  _cleanup_fclose_ FILE *f = fopen(path, "re");
  if (f == NULL)
    return -1;
  char *line = NULL;
  size_t cap = 0;
  int found = -1;
  while (getline(&line, &cap, f) > 0) {
    line[strcspn(line, "\n")] = '\0';
    char **v = NULL;
    char *save = NULL, *p = line;
    /* strsep keeps empty fields, which passwd has. */
    while ((save = strsep(&p, ":")))
      cn_strv_push(&v, save);
    if (cn_strv_len(v) >= 3 && (strcmp(v[0], key) == 0 || strcmp(v[2], key) == 0)) {
      *fields = v;
      found = 0;
      break;
    }
    cn_strv_free(v);
  }
  free(line);
  return found;
}

static bool all_digits(const char *s)
{
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

static void push_gid(uint32_t **v, size_t *n, uint32_t g)
{
  for (size_t i = 0; i < *n; i++)
    if ((*v)[i] == g)
      return;
  *v = xrealloc(*v, (*n + 1) * sizeof **v);
  (*v)[(*n)++] = g;
}

int fe_resolve_user(const char *rootfs, const char *user, char *const *group_add, uint32_t *uid,
                    uint32_t *gid, uint32_t **gids, size_t *n_gids, char **home, cn_error_t *err)
{
  _cleanup_free_ char *u = xstrdup(user && *user ? user : "0");
  char *grp = strchr(u, ':');
  if (grp)
    *grp++ = '\0';
  char **pw = NULL;
  *uid = 0;
  *gid = 0;
  *home = xstrdup("/");
  if (find_entry(rootfs, "/etc/passwd", u, &pw) == 0) {
    *uid = (uint32_t)strtoul(pw[2], NULL, 10);
    *gid = cn_strv_len(pw) > 3 ? (uint32_t)strtoul(pw[3], NULL, 10) : 0;
    if (cn_strv_len(pw) > 5 && *pw[5]) {
      free(*home);
      *home = xstrdup(pw[5]);
    }
  } else if (all_digits(u)) {
    *uid = (uint32_t)strtoul(u, NULL, 10);
  } else {
    return cn_error_set(err, ENOENT, "unable to find user %s: no matching entries in passwd file",
                        u);
  }
  const char *uname = pw ? pw[0] : NULL;
  if (grp) {
    char **gr = NULL;
    if (find_entry(rootfs, "/etc/group", grp, &gr) == 0) {
      *gid = (uint32_t)strtoul(gr[2], NULL, 10);
      cn_strv_free(gr);
    } else if (all_digits(grp)) {
      *gid = (uint32_t)strtoul(grp, NULL, 10);
    } else {
      cn_strv_free(pw);
      return cn_error_set(err, ENOENT, "unable to find group %s: no matching entries in group file",
                          grp);
    }
  }
  *gids = NULL;
  *n_gids = 0;
  push_gid(gids, n_gids, *gid);
  /* Supplementary groups listing the user by name. */
  if (uname && !grp) {
    _cleanup_free_ char *path = xasprintf("%s/etc/group", rootfs);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    char *line = NULL;
    size_t cap = 0;
    while (f && getline(&line, &cap, f) > 0) {
      line[strcspn(line, "\n")] = '\0';
      char *p = line, *f0 = strsep(&p, ":"), *f1 = strsep(&p, ":"), *f2 = strsep(&p, ":");
      (void)f0;
      (void)f1;
      if (f2 == NULL || p == NULL)
        continue;
      for (char *m; (m = strsep(&p, ","));)
        if (strcmp(m, uname) == 0)
          push_gid(gids, n_gids, (uint32_t)strtoul(f2, NULL, 10));
    }
    free(line);
  }
  cn_strv_free(pw);
  for (char *const *g = group_add; g && *g; g++) {
    char **gr = NULL;
    if (find_entry(rootfs, "/etc/group", *g, &gr) == 0) {
      push_gid(gids, n_gids, (uint32_t)strtoul(gr[2], NULL, 10));
      cn_strv_free(gr);
    } else if (all_digits(*g)) {
      push_gid(gids, n_gids, (uint32_t)strtoul(*g, NULL, 10));
    } else {
      return cn_error_set(err, ENOENT, "Unable to find group %s: no matching entries in group file",
                          *g);
    }
  }
  return 0;
}
