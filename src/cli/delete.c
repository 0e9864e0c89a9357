#include <errno.h>

#include "cli/common.h"
#include "container/container.h"

static const char usage[] = "Usage: cinch delete [--force] CONTAINER_ID\n\n"
                            "Remove a stopped container and everything create made.\n\n"
                            "  -f, --force   kill it first if it still runs; a container that is\n"
                            "                already gone is not an error\n";

int cli_delete(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  static const struct option opts[] = {
      {"force", no_argument, 0, 'f'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  bool force = false;
  int c;
  while ((c = cli_getopt(g, argc, argv, "fh", opts, err)) != -1) {
    if (c == '?')
      return -1;
    if (c == 'h') {
      cli_usage(usage);
      return 0;
    }
    if (c == 'f')
      force = true;
  }
  if (cli_args_between(argc, argv, optind, 1, 1, "delete", err) < 0)
    return -1;
  _cleanup_container_ struct container *ct = NULL;
  if (container_load(g->root, argv[optind], &ct, err) < 0) {
    /* Engines delete --force after the container is gone and expect 0. */
    if (force && *err && (*err)->status == ENOENT) {
      cn_error_release(err);
      return 0;
    }
    return -1;
  }
  return container_delete(ct, force, err) < 0 ? -1 : 0;
}
