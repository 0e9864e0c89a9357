/* Namespaces: which ones clone3 makes, which ones are joined by path, and
   the two that must be arranged by the runtime itself before clone3 (a pid
   namespace to join and a time namespace with offsets both only apply to
   children). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const int ns_clone_flag[SPEC_NS__MAX] = {
  [SPEC_NS_PID] = CLONE_NEWPID,       [SPEC_NS_NETWORK] = CLONE_NEWNET,
  [SPEC_NS_MOUNT] = CLONE_NEWNS,      [SPEC_NS_IPC] = CLONE_NEWIPC,
  [SPEC_NS_UTS] = CLONE_NEWUTS,       [SPEC_NS_USER] = CLONE_NEWUSER,
  [SPEC_NS_CGROUP] = CLONE_NEWCGROUP, [SPEC_NS_TIME] = CLONE_NEWTIME,
};

static const struct spec_namespace *ns_find(const struct spec *spec, enum spec_ns_type t)
{
  for (size_t i = 0; spec->has_linux && i < spec->linux_.n_namespaces; i++)
    if (spec->linux_.namespaces[i].type == t)
      return &spec->linux_.namespaces[i];
  return NULL;
}

bool ns_has(const struct spec *spec, enum spec_ns_type t)
{
  return ns_find(spec, t) != NULL;
}

bool ns_is_new(const struct spec *spec, enum spec_ns_type t)
{
  const struct spec_namespace *n = ns_find(spec, t);
  return n && !n->path;
}

unsigned long sandbox_clone_flags(const struct spec *spec)
{
  unsigned long flags = 0;
  for (int t = 0; t < SPEC_NS__MAX; t++) {
    /* cgroup: unshared by init once it sits in its cgroups (on v1 a clone-time
       namespace would be rooted at the runtime's cgroup).  time: made by
       sandbox_prepare_parent so its offsets can be written first. */
    if (t == SPEC_NS_CGROUP || t == SPEC_NS_TIME)
      continue;
    if (ns_is_new(spec, t))
      flags |= ns_clone_flag[t];
  }
  /* Joining a user namespace: the new namespaces must belong to it, so init
     makes them with unshare once it has joined (ns_join_paths). */
  const struct spec_namespace *user = ns_find(spec, SPEC_NS_USER);
  if (user && user->path)
    flags &= CLONE_NEWPID;
  return flags;
}

static int join_path(const char *path, int nstype, const char *what, cn_error_t *err)
{
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return cn_error_errno(err, errno, "open %s namespace %s", what, path);
  if (setns(fd, nstype) < 0)
    return cn_error_errno(err, errno, "join %s namespace %s", what, path);
  return 0;
}

static int write_time_offsets(const struct spec *spec, cn_error_t *err)
{
  const struct spec_time_offset *mono = &spec->linux_.time_monotonic;
  const struct spec_time_offset *boot = &spec->linux_.time_boottime;
  char buf[128] = "";
  size_t n = 0;
  if (mono->set)
    n += (size_t)snprintf(buf + n, sizeof buf - n, "monotonic %" PRId64 " %" PRIu32 "\n",
                          mono->secs, mono->nanosecs);
  if (boot->set)
    n += (size_t)snprintf(buf + n, sizeof buf - n, "boottime %" PRId64 " %" PRIu32 "\n", boot->secs,
                          boot->nanosecs);
  if (n == 0)
    return 0;
  /* One line per write: the kernel parses a single offset per call on older
     versions; each line is complete on its own. */
  for (char *line = buf, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
    *nl = '\0';
    if (cn_write_file("/proc/self/timens_offsets", line, err) < 0)
      return cn_error_wrap(err, "linux.timeOffsets");
  }
  return 0;
}

int sandbox_prepare_parent(const struct spec *spec, cn_error_t *err)
{
  const struct spec_namespace *pid = ns_find(spec, SPEC_NS_PID);
  if (pid && pid->path && join_path(pid->path, CLONE_NEWPID, "pid", err) < 0)
    return -1;
  const struct spec_namespace *time = ns_find(spec, SPEC_NS_TIME);
  if (time && time->path)
    return join_path(time->path, CLONE_NEWTIME, "time", err);
  if (time) {
    if (unshare(CLONE_NEWTIME) < 0)
      return cn_error_errno(err, errno, "unshare time namespace");
    return write_time_offsets(spec, err);
  }
  return 0;
}

static int write_map(pid_t pid, const char *file, const struct spec_id_map *m, size_t n,
                     cn_error_t *err)
{
  if (n == 0)
    return 0;
  size_t cap = n * 40 + 1, len = 0;
  _cleanup_free_ char *buf = xmalloc(cap);
  buf[0] = '\0';
  for (size_t i = 0; i < n; i++)
    len += (size_t)snprintf(buf + len, cap - len, "%u %u %u\n", m[i].container_id, m[i].host_id,
                            m[i].size);
  _cleanup_free_ char *path = xasprintf("/proc/%d/%s", (int)pid, file);
  return cn_write_file(path, buf, err);
}

int sandbox_write_id_maps(pid_t pid, const struct spec *spec, cn_error_t *err)
{
  if (!ns_is_new(spec, SPEC_NS_USER))
    return 0;
  const struct spec_linux *l = &spec->linux_;
  if (write_map(pid, "uid_map", l->uid_mappings, l->n_uid_mappings, err) < 0)
    return cn_error_wrap(err, "linux.uidMappings");
  if (write_map(pid, "gid_map", l->gid_mappings, l->n_gid_mappings, err) < 0)
    return cn_error_wrap(err, "linux.gidMappings");
  return 0;
}

/* After joining a user namespace: become its root and make the new
   namespaces clone3 left out, so they belong to it. */
static int after_user_join(const struct spec *spec, cn_error_t *err)
{
  if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
    return cn_error_errno(err, errno, "joined user namespace: become root");
  int flags = 0;
  static const enum spec_ns_type later[]
      = { SPEC_NS_IPC, SPEC_NS_UTS, SPEC_NS_NETWORK, SPEC_NS_MOUNT };
  for (size_t i = 0; i < sizeof later / sizeof *later; i++)
    if (ns_is_new(spec, later[i]))
      flags |= ns_clone_flag[later[i]];
  if (flags && unshare(flags) < 0)
    return cn_error_errno(err, errno, "unshare namespaces in the joined user namespace");
  return 0;
}

int ns_join_paths(const struct spec *spec, cn_error_t *err)
{
  /* The user namespace last: a namespace given by path may belong to our
     own user namespace (an engine's network namespace), and joining the
     container's would leave us no rights here.  Those that belong to the
     joined user namespace can be joined from its parent as well. */
  static const enum spec_ns_type order[]
      = { SPEC_NS_IPC, SPEC_NS_UTS, SPEC_NS_NETWORK, SPEC_NS_CGROUP, SPEC_NS_MOUNT, SPEC_NS_USER };
  for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
    const struct spec_namespace *n = ns_find(spec, order[i]);
    if (n && n->path
        && join_path(n->path, ns_clone_flag[order[i]], spec_ns_name(order[i]), err) < 0)
      return -1;
    if (n && n->path && order[i] == SPEC_NS_USER && after_user_join(spec, err) < 0)
      return -1;
  }
  return 0;
}

int ns_unshare_late(const struct spec *spec, cn_error_t *err)
{
  if (ns_is_new(spec, SPEC_NS_CGROUP) && unshare(CLONE_NEWCGROUP) < 0)
    return cn_error_errno(err, errno, "unshare cgroup namespace");
  return 0;
}
