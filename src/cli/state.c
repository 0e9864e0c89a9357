#include <json-c/json.h>
#include <stdio.h>

#include "cli/common.h"
#include "container/container.h"

static const char usage[] = "Usage: cinch state CONTAINER_ID\n\n"
                            "Print the OCI state of a container as JSON.\n";

int cli_state(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
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
  if (cli_args_between(argc, argv, optind, 1, 1, "state", err) < 0)
    return -1;
  _cleanup_container_ struct container *ct = NULL;
  if (container_load(g->root, argv[optind], &ct, err) < 0)
    return -1;
  json_object *j = container_state_json(ct);
  puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                             JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(j);
  return 0;
}
