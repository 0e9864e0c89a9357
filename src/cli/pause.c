/* `pause` freezes every process of a running container and `resume` thaws a
   paused one; each returns once the kernel reports the cgroup frozen or
   thawed. */
#include <errno.h>

#include "cgroup/cgroup.h"
#include "cli/common.h"
#include "container/container.h"

static int freeze(struct cli_globals *g, int argc, char **argv, const char *usage, bool on,
                  cn_error_t *err)
{
  _cleanup_container_ struct container *ct = NULL;
  int r = cli_load_one(g, argc, argv, usage, &ct, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  enum container_status want = on ? CONTAINER_RUNNING : CONTAINER_PAUSED;
  enum container_status st = container_status(ct);
  if (st != want)
    return cn_error_set(err, EINVAL, "cannot %s container %s: it is %s, not %s", argv[0], ct->id,
                        container_status_name(st), container_status_name(want));
  if (!ct->cgroup)
    return cn_error_set(err, EINVAL, "cannot %s container %s: it has no cgroup", argv[0], ct->id);
  return cgroup_freeze(ct->cgroup, on, err) < 0 ? cn_error_wrap(err, "%s %s", argv[0], ct->id) : 0;
}

int cli_pause(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  return freeze(g, argc, argv,
                "Usage: cinch pause CONTAINER_ID\n\n"
                "Suspend every process in the container (cgroup freezer).\n",
                true, err);
}

int cli_resume(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  return freeze(g, argc, argv,
                "Usage: cinch resume CONTAINER_ID\n\n"
                "Resume every process of a paused container.\n",
                false, err);
}
