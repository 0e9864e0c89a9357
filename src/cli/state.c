#include <json-c/json.h>
#include <stdio.h>

#include "cli/common.h"
#include "container/container.h"

static const char usage[] = "Usage: cinch state CONTAINER_ID\n\n"
                            "Print the OCI state of a container as JSON.\n";

int cli_state(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  _cleanup_container_ struct container *ct = NULL;
  int r = cli_load_one(g, argc, argv, usage, &ct, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  json_object *j = container_state_json(ct);
  puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                             JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(j);
  return 0;
}
