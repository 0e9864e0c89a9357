/* OCI mount options: the names runc understands, split into mount(2) flags,
   propagation, recursive attributes (mount_setattr) and filesystem data. */
#include <string.h>
#include <sys/mount.h>

#include "sandbox/internal.h"
#include "util/cleanup.h"

enum opt_kind {
  OPT_FLAG,
  OPT_CLEAR,
  OPT_PROPAGATION,
  OPT_REC_SET,
  OPT_REC_CLR,
  OPT_REC_ATIME,
  OPT_BIND
};

struct opt {
  const char *name;
  enum opt_kind kind;
  unsigned long value; /* MS_* or MOUNT_ATTR_* */
};

static const struct opt opts[] = {
  { "defaults", OPT_FLAG, 0 },
  { "ro", OPT_FLAG, MS_RDONLY },
  { "rw", OPT_CLEAR, MS_RDONLY },
  { "nosuid", OPT_FLAG, MS_NOSUID },
  { "suid", OPT_CLEAR, MS_NOSUID },
  { "nodev", OPT_FLAG, MS_NODEV },
  { "dev", OPT_CLEAR, MS_NODEV },
  { "noexec", OPT_FLAG, MS_NOEXEC },
  { "exec", OPT_CLEAR, MS_NOEXEC },
  { "sync", OPT_FLAG, MS_SYNCHRONOUS },
  { "async", OPT_CLEAR, MS_SYNCHRONOUS },
  { "dirsync", OPT_FLAG, MS_DIRSYNC },
  { "remount", OPT_FLAG, MS_REMOUNT },
  { "mand", OPT_FLAG, MS_MANDLOCK },
  { "nomand", OPT_CLEAR, MS_MANDLOCK },
  { "noatime", OPT_FLAG, MS_NOATIME },
  { "atime", OPT_CLEAR, MS_NOATIME },
  { "nodiratime", OPT_FLAG, MS_NODIRATIME },
  { "diratime", OPT_CLEAR, MS_NODIRATIME },
  { "relatime", OPT_FLAG, MS_RELATIME },
  { "norelatime", OPT_CLEAR, MS_RELATIME },
  { "strictatime", OPT_FLAG, MS_STRICTATIME },
  { "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
  { "lazytime", OPT_FLAG, MS_LAZYTIME },
  { "nolazytime", OPT_CLEAR, MS_LAZYTIME },
  { "silent", OPT_FLAG, MS_SILENT },
  { "loud", OPT_CLEAR, MS_SILENT },
  { "bind", OPT_BIND, MS_BIND },
  { "rbind", OPT_BIND, MS_BIND | MS_REC },
  { "private", OPT_PROPAGATION, MS_PRIVATE },
  { "rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC },
  { "shared", OPT_PROPAGATION, MS_SHARED },
  { "rshared", OPT_PROPAGATION, MS_SHARED | MS_REC },
  { "slave", OPT_PROPAGATION, MS_SLAVE },
  { "rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC },
  { "unbindable", OPT_PROPAGATION, MS_UNBINDABLE },
  { "runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC },
  { "rro", OPT_REC_SET, MOUNT_ATTR_RDONLY },
  { "rrw", OPT_REC_CLR, MOUNT_ATTR_RDONLY },
  { "rnosuid", OPT_REC_SET, MOUNT_ATTR_NOSUID },
  { "rsuid", OPT_REC_CLR, MOUNT_ATTR_NOSUID },
  { "rnodev", OPT_REC_SET, MOUNT_ATTR_NODEV },
  { "rdev", OPT_REC_CLR, MOUNT_ATTR_NODEV },
  { "rnoexec", OPT_REC_SET, MOUNT_ATTR_NOEXEC },
  { "rexec", OPT_REC_CLR, MOUNT_ATTR_NOEXEC },
  { "rnodiratime", OPT_REC_SET, MOUNT_ATTR_NODIRATIME },
  { "rdiratime", OPT_REC_CLR, MOUNT_ATTR_NODIRATIME },
  { "rnoatime", OPT_REC_ATIME, MOUNT_ATTR_NOATIME },
  { "rrelatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
  { "rstrictatime", OPT_REC_ATIME, MOUNT_ATTR_STRICTATIME },
};

#define N_OPTS (sizeof opts / sizeof *opts)

const char *const *sandbox_mount_option_names(void)
{
  static const char *names[N_OPTS + 1];
  if (!names[0])
    for (size_t i = 0; i < N_OPTS; i++)
      names[i] = opts[i].name;
  return names;
}

static const struct opt *find_opt(const char *name)
{
  for (size_t i = 0; i < N_OPTS; i++)
    if (strcmp(opts[i].name, name) == 0)
      return &opts[i];
  return NULL;
}

unsigned long mount_propagation_flag(const char *name)
{
  const struct opt *o = name ? find_opt(name) : NULL;
  return o && o->kind == OPT_PROPAGATION ? o->value : 0;
}

bool mount_is_bind(const struct spec_mount *m)
{
  if (m->type && strcmp(m->type, "bind") == 0)
    return true;
  for (char *const *o = m->options; o && *o; o++)
    if (strcmp(*o, "bind") == 0 || strcmp(*o, "rbind") == 0)
      return true;
  return false;
}

static void data_append(char **data, const char *s)
{
  char *old = *data;
  *data = old ? xasprintf("%s,%s", old, s) : xstrdup(s);
  free(old);
}

int mount_opts_parse(char *const *options, const char *type, struct mount_opts *out,
                     cn_error_t *err)
{
  *out = (struct mount_opts){ 0 };
  bool bind = type && strcmp(type, "bind") == 0;
  for (char *const *p = options; p && *p; p++)
    if (strcmp(*p, "bind") == 0 || strcmp(*p, "rbind") == 0)
      bind = true;
  out->bind = bind;
  for (char *const *p = options; p && *p; p++) {
    const struct opt *o = find_opt(*p);
    if (!o) {
      if (bind) {
        mount_opts_clear(out);
        return cn_error_set(err, EINVAL, "unknown mount option \"%s\"", *p);
      }
      data_append(&out->data, *p);
      continue;
    }
    switch (o->kind) {
    case OPT_FLAG:
      out->flags |= o->value;
      out->clear &= ~o->value;
      break;
    case OPT_CLEAR:
      out->flags &= ~o->value;
      out->clear |= o->value;
      break;
    case OPT_PROPAGATION:
      out->propagation = o->value;
      break;
    case OPT_REC_SET:
      out->rec_set |= o->value;
      out->rec_clr &= ~o->value;
      break;
    case OPT_REC_CLR:
      out->rec_clr |= o->value;
      out->rec_set &= ~o->value;
      break;
    case OPT_REC_ATIME:
      /* The atime modes are one field: clearing it selects the new mode. */
      out->rec_set = (out->rec_set & ~(uint64_t)MOUNT_ATTR__ATIME) | o->value;
      out->rec_clr |= MOUNT_ATTR__ATIME;
      break;
    case OPT_BIND:
      if (o->value & MS_REC)
        out->recursive = true;
      break;
    }
  }
  return 0;
}

void mount_opts_clear(struct mount_opts *o)
{
  free(o->data);
  o->data = NULL;
}
