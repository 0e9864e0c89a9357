/* `pause` freezes every process of a running container; it returns once the
   kernel reports the cgroup frozen. */
#include "cgroup/cgroup.h"
#include "cli/common.h"
#include "container/container.h"

#include <errno.h>

static const char usage[] = "Usage: cinch pause CONTAINER_ID\n\n"
                            "Suspend every process in the container (cgroup freezer).\n";

int cli_pause(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  static const struct option opts[] = { { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
  int c;
  while ((c = cli_getopt(g, argc, argv, "h", opts, err)) != -1) {
    if (c == '?')
      return -1;
    if (c == 'h') {
      cli_usage(usage);
      return 0;
    }
  }
  if (cli_args_between(argc, argv, optind, 1, 1, "pause", err) < 0)
    return -1;
  _cleanup_container_ struct container *ct = NULL;
  if (container_load(g->root, argv[optind], &ct, err) < 0)
    return -1;
  enum container_status st = container_status(ct);
  if (st != CONTAINER_RUNNING)
    return cn_error_set(err, EINVAL, "cannot pause container %s: it is %s, not running", ct->id,
                        container_status_name(st));
  if (!ct->cgroup)
    return cn_error_set(err, EINVAL, "cannot pause container %s: it has no cgroup", ct->id);
  return cgroup_freeze(ct->cgroup, true, err) < 0 ? cn_error_wrap(err, "pause %s", ct->id) : 0;
}
