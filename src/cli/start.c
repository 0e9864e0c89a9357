#include "cli/common.h"
#include "container/container.h"

static const char usage[] = "Usage: cinch start CONTAINER_ID\n\n"
                            "Run the user process of a created container.\n";

int cli_start(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  static const struct option opts[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  int c;
  while ((c = cli_getopt(g, argc, argv, "h", opts, err)) != -1) {
    if (c == '?')
      return -1;
    if (c == 'h') {
      cli_usage(usage);
      return 0;
    }
  }
  if (cli_args_between(argc, argv, optind, 1, 1, "start", err) < 0)
    return -1;
  _cleanup_container_ struct container *ct = NULL;
  if (container_load(g->root, argv[optind], &ct, err) < 0)
    return -1;
  return container_start(ct, err) < 0 ? -1 : 0;
}
