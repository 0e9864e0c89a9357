#include "cli/common.h"
#include "container/container.h"

static const char usage[] = "Usage: cinch start CONTAINER_ID\n\n"
                            "Run the user process of a created container.\n";

int cli_start(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  _cleanup_container_ struct container *ct = NULL;
  int r = cli_load_one(g, argc, argv, usage, &ct, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  return container_start(ct, err) < 0 ? -1 : 0;
}
