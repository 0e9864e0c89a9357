/* `cinch features`: the runtime-spec features document, listing only what
   this binary can do on this host (probed, not assumed), because engines
   decide what to send from it. */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cli/common.h"
#include "sandbox/sandbox.h"
#include "spec/spec.h"
#include "util/cleanup.h"
#include "util/fs.h"

static const char usage[] = "Usage: cinch features\n\n"
                            "Print what this runtime supports on this host, as JSON "
                            "(runtime-spec features.md).\n";

static json_object *string_array(const char *const *v)
{
  json_object *a = json_object_new_array();
  for (; v && *v; v++)
    json_object_array_add(a, json_object_new_string(*v));
  return a;
}

static void add_string(json_object *a, const char *s)
{
  json_object_array_add(a, json_object_new_string(s));
}

static json_object *namespaces(void)
{
  /* /proc/self/ns file names differ from the OCI names for two of them. */
  static const char *const files[SPEC_NS__MAX] = {
    [SPEC_NS_PID] = "pid",       [SPEC_NS_NETWORK] = "net", [SPEC_NS_MOUNT] = "mnt",
    [SPEC_NS_IPC] = "ipc",       [SPEC_NS_UTS] = "uts",     [SPEC_NS_USER] = "user",
    [SPEC_NS_CGROUP] = "cgroup", [SPEC_NS_TIME] = "time",
  };
  json_object *a = json_object_new_array();
  for (int t = 0; t < SPEC_NS__MAX; t++) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/ns/%s", files[t]);
    if (access(path, F_OK) == 0)
      add_string(a, spec_ns_name((enum spec_ns_type)t));
  }
  return a;
}

static int cap_last_cap(void)
{
  _cleanup_error_ cn_error_t e = NULL;
  _cleanup_free_ char *s = NULL;
  if (cn_read_file("/proc/sys/kernel/cap_last_cap", &s, NULL, &e) < 0)
    return SPEC_CAP_LAST;
  return atoi(s);
}

static json_object *capabilities(void)
{
  json_object *a = json_object_new_array();
  int last = cap_last_cap();
  for (int c = 0; c <= last && c <= SPEC_CAP_LAST; c++)
    add_string(a, spec_cap_name(c));
  return a;
}

static bool controller_present(const char *name)
{
  static const char *const lists[]
      = { "/sys/fs/cgroup/cgroup.controllers", "/sys/fs/cgroup/unified/cgroup.controllers" };
  char v1[64];
  snprintf(v1, sizeof v1, "/sys/fs/cgroup/%s", name);
  if (access(v1, F_OK) == 0)
    return true;
  for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
    _cleanup_error_ cn_error_t e = NULL;
    _cleanup_free_ char *s = NULL;
    if (cn_read_file(lists[i], &s, NULL, &e) < 0)
      continue;
    for (char *save = NULL, *w = strtok_r(s, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
      if (strcmp(w, name) == 0)
        return true;
  }
  return false;
}

static json_object *cgroup(void)
{
  json_object *o = json_object_new_object();
  enum cgroup_layout layout = CGROUP_LAYOUT_V1;
  _cleanup_error_ cn_error_t e = NULL;
  bool ok = cgroup_detect(&layout, &e) == 0;
  json_object_object_add(o, "v1", json_object_new_boolean(ok && layout != CGROUP_LAYOUT_V2));
  json_object_object_add(o, "v2", json_object_new_boolean(ok && layout != CGROUP_LAYOUT_V1));
  /* --systemd-cgroup is refused until a systemd driver exists. */
  json_object_object_add(o, "systemd", json_object_new_boolean(false));
  json_object_object_add(o, "systemdUser", json_object_new_boolean(false));
  json_object_object_add(o, "rdma", json_object_new_boolean(controller_present("rdma")));
  return o;
}

static bool seccomp_enabled(void)
{
  return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 || errno != EINVAL;
}

static bool kernel_has_action(uint32_t action)
{
  return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

/* With a NULL program the kernel checks the flags first: EFAULT means it
   knows the flag, EINVAL that it does not. */
static bool kernel_has_flag(unsigned long flag)
{
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL) < 0 && errno == EFAULT;
}

/* What the sandbox's seccomp code applies, and the libseccomp API level each
   needs.  SCMP_ACT_NOTIFY is left out: the sandbox refuses listenerPath, and
   WAIT_KILLABLE_RECV needs libseccomp 2.6. */
static bool sandbox_has_flag(const char *name, unsigned api)
{
  if (strcmp(name, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
    return api >= 2;
  if (strcmp(name, "SECCOMP_FILTER_FLAG_LOG") == 0)
    return api >= 3;
  if (strcmp(name, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
    return api >= 4;
  return false;
}

static bool libseccomp_has_arch(const char *name)
{
  char lower[32];
  size_t i = 0;
  for (const char *s = name + strlen("SCMP_ARCH_"); *s && i < sizeof lower - 1; s++)
    lower[i++] = (char)tolower((unsigned char)*s);
  lower[i] = '\0';
  return seccomp_arch_resolve_name(lower) != 0;
}

static json_object *seccomp(void)
{
  json_object *o = json_object_new_object();
  json_object *actions = json_object_new_array(), *ops = json_object_new_array();
  json_object *archs = json_object_new_array(), *known = json_object_new_array();
  json_object *supported = json_object_new_array();
  bool enabled = seccomp_enabled();
  unsigned api = seccomp_api_get();
  json_object_object_add(o, "enabled", json_object_new_boolean(enabled));
  for (const struct spec_name_value *a = spec_seccomp_actions; a->name; a++)
    if (strcmp(a->name, "SCMP_ACT_NOTIFY") != 0
        && (!enabled || kernel_has_action((uint32_t)a->value)))
      add_string(actions, a->name);
  for (const struct spec_name_value *a = spec_seccomp_operators; a->name; a++)
    add_string(ops, a->name);
  for (const struct spec_name_value *a = spec_seccomp_archs; a->name; a++)
    if (libseccomp_has_arch(a->name))
      add_string(archs, a->name);
  for (const struct spec_name_value *a = spec_seccomp_flags; a->name; a++) {
    add_string(known, a->name);
    if (enabled && sandbox_has_flag(a->name, api) && kernel_has_flag(a->value))
      add_string(supported, a->name);
  }
  json_object_object_add(o, "actions", actions);
  json_object_object_add(o, "operators", ops);
  json_object_object_add(o, "archs", archs);
  json_object_object_add(o, "knownFlags", known);
  json_object_object_add(o, "supportedFlags", supported);
  return o;
}

static json_object *enabled(bool on)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "enabled", json_object_new_boolean(on));
  return o;
}

static json_object *features(void)
{
  static const char *const hooks[]
      = { "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
          NULL };
  json_object *doc = json_object_new_object(), *lx = json_object_new_object();
  json_object *ann = json_object_new_object(), *mext = json_object_new_object();
  json_object_object_add(doc, "ociVersionMin", json_object_new_string("1.0.0"));
  json_object_object_add(doc, "ociVersionMax", json_object_new_string("1.2.0"));
  json_object_object_add(doc, "hooks", string_array(hooks));
  json_object_object_add(doc, "mountOptions", string_array(sandbox_mount_option_names()));

  json_object_object_add(lx, "namespaces", namespaces());
  json_object_object_add(lx, "capabilities", capabilities());
  json_object_object_add(lx, "cgroup", cgroup());
  json_object_object_add(lx, "seccomp", seccomp());
  /* The parser refuses profiles and labels: cinch applies neither yet. */
  json_object_object_add(lx, "apparmor", enabled(false));
  json_object_object_add(lx, "selinux", enabled(false));
  json_object_object_add(lx, "intelRdt", enabled(false));
  json_object_object_add(mext, "idmap", enabled(false));
  json_object_object_add(lx, "mountExtensions", mext);
  json_object_object_add(doc, "linux", lx);

  const struct scmp_version *v = seccomp_version();
  char version[48];
  snprintf(version, sizeof version, "%u.%u.%u", v->major, v->minor, v->micro);
  json_object_object_add(ann, "io.github.seccomp.libseccomp.version",
                         json_object_new_string(version));
  json_object_object_add(doc, "annotations", ann);
  return doc;
}

int cli_features(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  static const struct option opts[] = { { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
  int c;
  while ((c = cli_getopt(g, argc, argv, "h", opts, err)) != -1) {
    if (c == 'h') {
      cli_usage(usage);
      return 0;
    }
    return -1;
  }
  if (optind < argc)
    return cn_error_set(err, EINVAL, "features: unexpected argument \"%s\"", argv[optind]);
  json_object *doc = features();
  puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
                                               | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(doc);
  return 0;
}
