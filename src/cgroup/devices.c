/* The device rules cinch enforces, and their v1 writer.  runc appends a
   default allow-list to the config's rules (mknod of anything, and the
   handful of character devices every container gets), so a config that only
   says "deny all" still has a usable /dev/null; cinch does the same. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"

static const struct spec_device_rule defaults[] = {
  { true, 'c', -1, -1, "m" },    { true, 'b', -1, -1, "m" }, { true, 'c', 1, 3, "rwm" }, /* null */
  { true, 'c', 1, 8, "rwm" },    /* random */
  { true, 'c', 1, 7, "rwm" },    /* full */
  { true, 'c', 5, 0, "rwm" },    /* tty */
  { true, 'c', 1, 5, "rwm" },    /* zero */
  { true, 'c', 1, 9, "rwm" },    /* urandom */
  { true, 'c', 5, 1, "rwm" },    /* console */
  { true, 'c', 136, -1, "rwm" }, /* pts */
  { true, 'c', 5, 2, "rwm" },    /* ptmx */
};

struct spec_device_rule *cg_device_rules(const struct spec_resources *r, size_t *n)
{
  size_t nd = sizeof defaults / sizeof *defaults, nr = r ? r->n_devices : 0;
  struct spec_device_rule *v = xcalloc(nr + nd, sizeof *v);
  for (size_t i = 0; i < nr; i++) {
    v[i] = r->devices[i];
    if (v[i].access[0] == '\0')
      strcpy(v[i].access, "rwm");
  }
  memcpy(v + nr, defaults, sizeof defaults);
  *n = nr + nd;
  return v;
}

static void num(char *buf, size_t len, int64_t v)
{
  if (v < 0)
    snprintf(buf, len, "*");
  else
    snprintf(buf, len, "%lld", (long long)v);
}

/* v1 applies rules in order: "a" on devices.deny empties the list, later
   allows punch holes into it, exactly as the config reads. */
int cg_devices_v1_apply(const char *dir, const struct spec_resources *r, cn_error_t *err)
{
  size_t n;
  _cleanup_free_ struct spec_device_rule *rules = cg_device_rules(r, &n);
  for (size_t i = 0; i < n; i++) {
    const struct spec_device_rule *d = &rules[i];
    char line[64], ma[24], mi[24];
    if (d->type == 'a') {
      snprintf(line, sizeof line, "a");
    } else {
      num(ma, sizeof ma, d->major);
      num(mi, sizeof mi, d->minor);
      snprintf(line, sizeof line, "%c %s:%s %s", d->type, ma, mi, d->access);
    }
    if (cg_write(dir, d->allow ? "devices.allow" : "devices.deny", line, err) < 0) {
      if (r && i < r->n_devices)
        return cn_error_wrap(err, "linux.resources.devices[%zu]", i);
      return cn_error_wrap(err, "default device rule \"%s\"", line);
    }
  }
  return 0;
}
