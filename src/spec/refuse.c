/* Keys the OCI config defines but cinch cannot honour on this host.  Silently
   dropping one would run a container with less isolation (or different
   behaviour) than its author asked for, so each is an error naming the key. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "spec/internal.h"
#include "util/cleanup.h"

bool spec_host_has_apparmor(void)
{
  char buf[4] = "";
  FILE *f = fopen("/sys/module/apparmor/parameters/enabled", "re");
  if (f) {
    if (fgets(buf, sizeof buf, f) == NULL)
      buf[0] = '\0';
    fclose(f);
  }
  return buf[0] == 'Y' && access("/sys/kernel/security/apparmor", F_OK) == 0;
}

bool spec_host_has_selinux(void)
{
  return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

static int refuse_key(json_object *o, const char *path, const char *key, const char *why,
                      cn_error_t *err)
{
  char kp[JP_MAX];
  if (jr_get(o, key) == NULL)
    return 0;
  return cn_error_set(err, ENOTSUP, "%s: not supported by cinch (%s)", jp_key(kp, path, key), why);
}

static int refuse_lsm(const char *value, const char *path, const char *key, const char *lsm,
                      bool on_host, cn_error_t *err)
{
  char kp[JP_MAX];
  if (value == NULL || value[0] == '\0')
    return 0;
  _cleanup_free_ char *q = jr_quote(value);
  if (!on_host)
    return cn_error_set(err, ENOTSUP, "%s: cannot apply %s: %s is not enabled on this host",
                        jp_key(kp, path, key), q, lsm);
  return cn_error_set(err, ENOTSUP, "%s: cannot apply %s: cinch does not support %s yet",
                      jp_key(kp, path, key), q, lsm);
}

int spec_refuse_process(json_object *o, const char *path, const struct spec_process *p,
                        cn_error_t *err)
{
  if (refuse_lsm(p->apparmor_profile, path, "apparmorProfile", "AppArmor", spec_host_has_apparmor(),
                 err)
          < 0
      || refuse_lsm(p->selinux_label, path, "selinuxLabel", "SELinux", spec_host_has_selinux(), err)
             < 0
      || refuse_key(o, path, "scheduler", "no sched_setattr support", err) < 0
      || refuse_key(o, path, "ioPriority", "no ioprio_set support", err) < 0
      || refuse_key(o, path, "execCPUAffinity", "no CPU affinity support", err) < 0)
    return -1;
  return 0;
}

/* linux.personality {"domain": "LINUX"} without flags asks for what every
   process already has, so it is accepted; anything else is refused. */
static int check_personality(json_object *lo, cn_error_t *err)
{
  json_object *o = jr_get(lo, "personality");
  _cleanup_free_ char *domain = NULL;
  _cleanup_strv_ char **flags = NULL;
  if (o == NULL)
    return 0;
  if (jr_object(o, "linux.personality", err) < 0
      || jm_string(o, "linux.personality", "domain", &domain, NULL, err) < 0
      || jm_strv(o, "linux.personality", "flags", &flags, err) < 0)
    return -1;
  if (domain && strcmp(domain, "LINUX") == 0 && (flags == NULL || flags[0] == NULL))
    return 0;
  return cn_error_set(err, ENOTSUP,
                      "linux.personality: not supported by cinch (only domain \"LINUX\" "
                      "without flags)");
}

int spec_refuse_config(json_object *doc, const struct spec *s, cn_error_t *err)
{
  char ep[JP_MAX];
  for (size_t i = 0; i < s->n_mounts; i++)
    if (s->mounts[i].n_uid_mappings || s->mounts[i].n_gid_mappings)
      return cn_error_set(err, ENOTSUP, "%s.%s: not supported by cinch (no idmapped mounts)",
                          jp_idx(ep, "mounts", i),
                          s->mounts[i].n_uid_mappings ? "uidMappings" : "gidMappings");
  if (refuse_key(doc, "", "vm", "not a VM-based runtime", err) < 0)
    return -1;
  json_object *lo = jr_get(doc, "linux");
  if (lo == NULL)
    return 0;
  if (refuse_lsm(s->linux_.mount_label, "linux", "mountLabel", "SELinux", spec_host_has_selinux(),
                 err)
          < 0
      || refuse_key(lo, "linux", "intelRdt", "no resctrl support", err) < 0
      || refuse_key(lo, "linux", "memoryPolicy", "no set_mempolicy support", err) < 0
      || refuse_key(lo, "linux", "netDevices", "no network device moves", err) < 0
      || check_personality(lo, err) < 0)
    return -1;
  return 0;
}
