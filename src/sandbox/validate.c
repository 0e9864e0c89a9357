/* Checks that need this host (its kernel, its filesystems, the bundle on
   disk), made in the runtime before anything is created. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "sandbox/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

static int check_caps(const struct spec_process *p, cn_error_t *err)
{
  if (!p->has_caps)
    return 0;
  int last = caps_last_cap();
  const struct {
    const char *name;
    uint64_t set;
  } sets[] = { { "bounding", p->caps.bounding },
               { "effective", p->caps.effective },
               { "inheritable", p->caps.inheritable },
               { "permitted", p->caps.permitted },
               { "ambient", p->caps.ambient } };
  for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
    for (int cap = last + 1; cap < 64; cap++)
      if (sets[i].set & (1ULL << cap)) {
        const char *name = spec_cap_name(cap);
        return cn_error_set(err, EINVAL,
                            "process.capabilities.%s: %s is not known to this kernel "
                            "(cap_last_cap %d)",
                            sets[i].name, name ? name : "?", last);
      }
  uint64_t missing = (p->caps.bounding | p->caps.effective | p->caps.permitted |
                      p->caps.inheritable | p->caps.ambient) &
                     ~caps_runtime_bounding();
  for (int cap = 0; cap <= last; cap++)
    if (missing & (1ULL << cap))
      cn_warn("process.capabilities: %s is not in the runtime's own bounding set and is left out",
              spec_cap_name(cap));
  return 0;
}

static bool fs_known(const char *type)
{
  _cleanup_free_ char *list = NULL;
  cn_error_t e = NULL;
  if (cn_read_file("/proc/filesystems", &list, NULL, &e) < 0) {
    cn_error_release(&e);
    return true; /* cannot tell: let mount(2) decide */
  }
  size_t n = strlen(type);
  for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
    char *tab = strrchr(line, '\t');
    const char *name = tab ? tab + 1 : line;
    if (strlen(name) == n && strcmp(name, type) == 0)
      return true;
  }
  return false;
}

static int check_mounts(const struct spec *spec, cn_error_t *err)
{
  for (size_t i = 0; i < spec->n_mounts; i++) {
    const struct spec_mount *m = &spec->mounts[i];
    if (!m->destination || m->destination[0] != '/')
      return cn_error_set(err, EINVAL, "mounts[%zu].destination: \"%s\" is not absolute", i,
                          m->destination ? m->destination : "");
    if (m->n_uid_mappings || m->n_gid_mappings)
      return cn_error_set(err, ENOTSUP,
                          "mounts[%zu].uidMappings: idmapped mounts are not supported", i);
    struct mount_opts o;
    if (mount_opts_parse(m->options, m->type, &o, err) < 0)
      return cn_error_wrap(err, "mounts[%zu].options", i);
    mount_opts_clear(&o);
    if (o.bind)
      continue;
    if (!m->type)
      return cn_error_set(err, EINVAL, "mounts[%zu].type: missing", i);
    if (strcmp(m->type, "cgroup") != 0 && !fs_known(m->type))
      return cn_error_set(err, EINVAL, "mounts[%zu].type: unknown filesystem \"%s\"", i, m->type);
  }
  return 0;
}

static int check_namespaces(const struct spec *spec, cn_error_t *err)
{
  if (!ns_has(spec, SPEC_NS_MOUNT))
    return cn_error_set(err, EINVAL, "linux.namespaces: a mount namespace is required");
  if ((spec->hostname || spec->domainname) && !ns_has(spec, SPEC_NS_UTS))
    return cn_error_set(err, EINVAL, "%s: needs a private UTS namespace",
                        spec->hostname ? "hostname" : "domainname");
  const struct spec_linux *l = &spec->linux_;
  bool new_user = ns_is_new(spec, SPEC_NS_USER);
  if (new_user && (!l->n_uid_mappings || !l->n_gid_mappings))
    return cn_error_set(err, EINVAL,
                        "linux.uidMappings: a new user namespace needs uid and gid "
                        "mappings");
  if (!new_user && (l->n_uid_mappings || l->n_gid_mappings))
    return cn_error_set(err, EINVAL, "linux.uidMappings: given without a new user namespace");
  if ((l->time_monotonic.set || l->time_boottime.set) && !ns_is_new(spec, SPEC_NS_TIME))
    return cn_error_set(err, EINVAL, "linux.timeOffsets: needs a new time namespace");
  if (ns_has(spec, SPEC_NS_USER) && !new_user && ns_is_new(spec, SPEC_NS_PID))
    return cn_error_set(err, ENOTSUP,
                        "linux.namespaces: joining a user namespace together "
                        "with a new pid namespace is not supported");
  for (size_t i = 0; i < l->n_namespaces; i++) {
    const char *path = l->namespaces[i].path;
    if (path && !cn_path_exists(path))
      return cn_error_set(err, ENOENT, "linux.namespaces[%zu].path: %s: no such file", i, path);
  }
  struct stat st;
  if (ns_has(spec, SPEC_NS_TIME) && stat("/proc/self/ns/time", &st) < 0)
    return cn_error_set(err, ENOTSUP, "linux.namespaces: this kernel has no time namespaces");
  return 0;
}

/* A sysctl written from the container lands in the kernel: only the ones
   that belong to a namespace the container has of its own are allowed
   (runc's rule), the rest would change the host. */
static int check_sysctls(const struct spec *spec, cn_error_t *err)
{
  static const char *const ipc[]
      = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",          "kernel.sem", "kernel.shmall",
          "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced", NULL };
  for (size_t i = 0; i < spec->linux_.n_sysctl; i++) {
    const char *k = spec->linux_.sysctl[i].key;
    enum spec_ns_type need = SPEC_NS__MAX;
    bool known = false;
    for (const char *const *n = ipc; *n && !known; n++)
      known = strcmp(k, *n) == 0;
    if (known || strncmp(k, "fs.mqueue.", 10) == 0)
      need = SPEC_NS_IPC;
    else if (strncmp(k, "net.", 4) == 0)
      need = SPEC_NS_NETWORK;
    else if (strcmp(k, "kernel.hostname") == 0 || strcmp(k, "kernel.domainname") == 0)
      need = SPEC_NS_UTS;
    if (need == SPEC_NS__MAX)
      return cn_error_set(err, EINVAL,
                          "linux.sysctl[\"%s\"]: not namespaced: it would change the host", k);
    if (!ns_has(spec, need))
      return cn_error_set(err, EINVAL, "linux.sysctl[\"%s\"]: needs a private %s namespace", k,
                          spec_ns_name(need));
  }
  return 0;
}

static int check_devices(const struct spec *spec, cn_error_t *err)
{
  for (size_t i = 0; i < spec->linux_.n_devices; i++) {
    const struct spec_device *d = &spec->linux_.devices[i];
    if (!d->path || d->path[0] != '/')
      return cn_error_set(err, EINVAL, "linux.devices[%zu].path: not absolute", i);
    if (!strchr("cbup", d->type))
      return cn_error_set(err, EINVAL, "linux.devices[%zu].type: unknown \"%c\"", i, d->type);
  }
  return 0;
}

int sandbox_validate(const struct spec *spec, const char *rootfs, cn_error_t *err)
{
  struct stat st;
  if (!rootfs || stat(rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
    return cn_error_set(err, ENOENT, "root.path: %s: no such directory", rootfs ? rootfs : "");
  if (spec->has_process && (!spec->process.args || !spec->process.args[0]))
    return cn_error_set(err, EINVAL, "process.args: empty");
  if (spec->has_process && check_caps(&spec->process, err) < 0)
    return -1;
  if (check_mounts(spec, err) < 0 || check_namespaces(spec, err) < 0)
    return -1;
  if (!spec->has_linux)
    return 0;
  if (spec->linux_.rootfs_propagation && !mount_propagation_flag(spec->linux_.rootfs_propagation))
    return cn_error_set(err, EINVAL, "linux.rootfsPropagation: unknown value \"%s\"",
                        spec->linux_.rootfs_propagation);
  if (check_devices(spec, err) < 0 || check_sysctls(spec, err) < 0)
    return -1;
  if (spec->linux_.has_seccomp && seccomp_validate(&spec->linux_.seccomp, err) < 0)
    return -1;
  return 0;
}
