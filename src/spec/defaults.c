/* The config.json that `cinch spec` writes: runc's defaults (sh on a
   terminal, a read-only rootfs, the usual /proc /dev /sys mounts, masked and
   read-only /proc paths), so bundles made for one runtime run on the other. */
#include <json-c/json.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <sys/vfs.h>
#include <stdarg.h>
#include <unistd.h>

#include "spec/spec.h"

static json_object *strings(const char *first, ...)
{
  json_object *a = json_object_new_array();
  va_list ap;
  va_start(ap, first);
  for (const char *s = first; s; s = va_arg(ap, const char *))
    json_object_array_add(a, json_object_new_string(s));
  va_end(ap);
  return a;
}

static void add(json_object *o, const char *key, json_object *v)
{
  json_object_object_add(o, key, v);
}

static json_object *mount(const char *dest, const char *type, const char *src, json_object *opts)
{
  json_object *m = json_object_new_object();
  add(m, "destination", json_object_new_string(dest));
  add(m, "type", json_object_new_string(type));
  add(m, "source", json_object_new_string(src));
  if (opts)
    add(m, "options", opts);
  return m;
}

static json_object *process(void)
{
  json_object *p = json_object_new_object(), *user = json_object_new_object();
  json_object *caps = json_object_new_object(), *rl = json_object_new_object();
  add(p, "terminal", json_object_new_boolean(true));
  add(user, "uid", json_object_new_int(0));
  add(user, "gid", json_object_new_int(0));
  add(p, "user", user);
  add(p, "args", strings("sh", NULL));
  add(p, "env",
      strings("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
              NULL));
  add(p, "cwd", json_object_new_string("/"));
  static const char *const sets[] = { "bounding", "effective", "permitted", "ambient" };
  for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
    add(caps, sets[i], strings("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL));
  add(p, "capabilities", caps);
  add(rl, "type", json_object_new_string("RLIMIT_NOFILE"));
  add(rl, "hard", json_object_new_int(1024));
  add(rl, "soft", json_object_new_int(1024));
  json_object *rlimits = json_object_new_array();
  json_object_array_add(rlimits, rl);
  add(p, "rlimits", rlimits);
  add(p, "noNewPrivileges", json_object_new_boolean(true));
  return p;
}

static json_object *mounts(bool rootless)
{
  json_object *a = json_object_new_array();
  json_object_array_add(a, mount("/proc", "proc", "proc", NULL));
  json_object_array_add(a,
                        mount("/dev", "tmpfs", "tmpfs",
                              strings("nosuid", "strictatime", "mode=755", "size=65536k", NULL)));
  /* Without a user namespace mapping gid 5, devpts cannot use it. */
  json_object_array_add(a, mount("/dev/pts", "devpts", "devpts",
                                 rootless ? strings("nosuid", "noexec", "newinstance",
                                                    "ptmxmode=0666", "mode=0620", NULL)
                                          : strings("nosuid", "noexec", "newinstance",
                                                    "ptmxmode=0666", "mode=0620", "gid=5", NULL)));
  json_object_array_add(
      a, mount("/dev/shm", "tmpfs", "shm",
               strings("nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL)));
  json_object_array_add(
      a, mount("/dev/mqueue", "mqueue", "mqueue", strings("nosuid", "noexec", "nodev", NULL)));
  /* An unprivileged user cannot mount a fresh sysfs without its own network
     namespace, so rootless binds the host's. */
  json_object_array_add(
      a,
      rootless
          ? mount("/sys", "none", "/sys", strings("rbind", "nosuid", "noexec", "nodev", "ro", NULL))
          : mount("/sys", "sysfs", "sysfs", strings("nosuid", "noexec", "nodev", "ro", NULL)));
  json_object_array_add(a, mount("/sys/fs/cgroup", "cgroup", "cgroup",
                                 strings("nosuid", "noexec", "nodev", "relatime", "ro", NULL)));
  return a;
}

static json_object *id_map(unsigned host_id)
{
  json_object *a = json_object_new_array(), *m = json_object_new_object();
  add(m, "containerID", json_object_new_int(0));
  add(m, "hostID", json_object_new_int64(host_id));
  add(m, "size", json_object_new_int(1));
  json_object_array_add(a, m);
  return a;
}

static json_object *linux_(bool rootless)
{
  json_object *l = json_object_new_object(), *ns = json_object_new_array();
  if (rootless) {
    add(l, "uidMappings", id_map(geteuid()));
    add(l, "gidMappings", id_map(getegid()));
  } else {
    json_object *res = json_object_new_object(), *devs = json_object_new_array();
    json_object *deny = json_object_new_object();
    add(deny, "allow", json_object_new_boolean(false));
    add(deny, "access", json_object_new_string("rwm"));
    json_object_array_add(devs, deny);
    add(res, "devices", devs);
    add(l, "resources", res);
  }
  /* runc adds a cgroup namespace on pure cgroup v2 hosts (before the user
     namespace that rootless appends). */
  struct statfs sfs;
  bool v2 = statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
  const char *types[] = { "pid",   rootless ? NULL : "network", "ipc", "uts", "mount",
                          v2 ? "cgroup" : NULL, rootless ? "user" : NULL };
  for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
    if (types[i] == NULL)
      continue;
    json_object *n = json_object_new_object();
    add(n, "type", json_object_new_string(types[i]));
    json_object_array_add(ns, n);
  }
  add(l, "namespaces", ns);
  add(l, "maskedPaths",
      strings("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
              "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
              "/proc/scsi", NULL));
  add(l, "readonlyPaths",
      strings("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL));
  return l;
}

char *spec_default_json(bool rootless)
{
  json_object *doc = json_object_new_object(), *root = json_object_new_object();
  add(doc, "ociVersion", json_object_new_string("1.2.0"));
  add(doc, "process", process());
  add(root, "path", json_object_new_string("rootfs"));
  add(root, "readonly", json_object_new_boolean(true));
  add(doc, "root", root);
  add(doc, "hostname", json_object_new_string("cinch"));
  add(doc, "mounts", mounts(rootless));
  add(doc, "linux", linux_(rootless));
  char *text = xasprintf("%s\n", json_object_to_json_string_ext(
                                     doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_PRETTY_TAB
                                              | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(doc);
  return text;
}
