/* `resume` thaws a paused container; it returns once the kernel reports the
   cgroup thawed. */
#include "cgroup/cgroup.h"
#include "cli/common.h"
#include "container/container.h"

#include <errno.h>

static const char usage[] = "Usage: cinch resume CONTAINER_ID\n\n"
                            "Resume every process of a paused container.\n";

int cli_resume(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
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
  if (cli_args_between(argc, argv, optind, 1, 1, "resume", err) < 0)
    return -1;
  _cleanup_container_ struct container *ct = NULL;
  if (container_load(g->root, argv[optind], &ct, err) < 0)
    return -1;
  enum container_status st = container_status(ct);
  if (st != CONTAINER_PAUSED)
    return cn_error_set(err, EINVAL, "cannot resume container %s: it is %s, not paused", ct->id,
                        container_status_name(st));
  return cgroup_freeze(ct->cgroup, false, err) < 0 ? cn_error_wrap(err, "resume %s", ct->id) : 0;
}
