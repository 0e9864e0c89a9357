/* Capabilities, straight through capset(2) and prctl(2): the bounding set
   is cut while we still hold CAP_SETPCAP, the other four sets are applied
   after the uid change (which PR_SET_KEEPCAPS survives). */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/internal.h"
#include "util/fs.h"

int caps_last_cap(void)
{
  static int last = -1;
  if (last >= 0)
    return last;
  char *s = NULL;
  cn_error_t e = NULL;
  if (cn_read_file("/proc/sys/kernel/cap_last_cap", &s, NULL, &e) < 0) {
    cn_error_release(&e);
    return last = CAP_LAST_CAP;
  }
  last = atoi(s);
  free(s);
  return last;
}

uint64_t caps_runtime_bounding(void)
{
  uint64_t have = 0;
  int last = caps_last_cap();
  for (int cap = 0; cap <= last; cap++)
    if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
      have |= 1ULL << cap;
  return have;
}

int caps_drop_bounding(const struct spec_caps *c, cn_error_t *err)
{
  int last = caps_last_cap();
  for (int cap = 0; cap <= last; cap++) {
    if (c->bounding & (1ULL << cap))
      continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      return cn_error_errno(err, errno, "process.capabilities.bounding: drop %s",
                            spec_cap_name(cap));
  }
  return 0;
}

int caps_apply(const struct spec_caps *c, cn_error_t *err)
{
  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2];
  /* A cap outside the runtime's own bounding set can never be granted (this
     host lacks CAP_SYS_RESOURCE, say): leave it out, as sandbox_validate
     warned, so that "all caps" (--privileged) still starts. */
  uint64_t avail = caps_runtime_bounding();
  for (int i = 0; i < 2; i++) {
    data[i].effective = (uint32_t)((c->effective & avail) >> (32 * i));
    data[i].permitted = (uint32_t)((c->permitted & avail) >> (32 * i));
    data[i].inheritable = (uint32_t)((c->inheritable & avail) >> (32 * i));
  }
  if (syscall(SYS_capset, &hdr, data) < 0)
    return cn_error_errno(err, errno, "process.capabilities: capset");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return cn_error_errno(err, errno, "process.capabilities.ambient: clear");
  int last = caps_last_cap();
  /* The kernel admits an ambient cap only when it is also permitted and
     inheritable; like runc, a cap that fails that rule is left out rather
     than failing the container (runc's default spec lists ambient caps
     without inheritable ones). */
  for (int cap = 0; cap <= last; cap++)
    if ((c->ambient & (1ULL << cap)) && (c->inheritable & (1ULL << cap))
        && (c->permitted & (1ULL << cap))
        && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      return cn_error_errno(err, errno, "process.capabilities.ambient: raise %s",
                            spec_cap_name(cap));
  return 0;
}
