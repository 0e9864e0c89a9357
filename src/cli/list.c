#include <json-c/json.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "cli/common.h"
#include "container/container.h"
#include "util/cleanup.h"

static const char usage[] = "Usage: cinch list [-f table|json] [-q]\n\n"
                            "List the containers under --root.\n\n"
                            "  -f, --format F   table (default) or json\n"
                            "  -q, --quiet      print ids only\n";

int cli_list(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  static const struct option opts[] = {{"format", required_argument, 0, 'f'},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *format = "table";
  bool quiet = false;
  int c;
  while ((c = cli_getopt(g, argc, argv, "f:qh", opts, err)) != -1) {
    if (c == '?')
      return -1;
    if (c == 'h') {
      cli_usage(usage);
      return 0;
    }
    if (c == 'f')
      format = optarg;
    if (c == 'q')
      quiet = true;
  }
  if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
    return cn_error_set(err, 0, "--format: invalid format \"%s\" (table or json)", format);
  _cleanup_strv_ char **ids = NULL;
  if (container_list(g->root, &ids, err) < 0)
    return -1;
  json_object *arr = json_object_new_array();
  if (!quiet && strcmp(format, "table") == 0)
    printf("%-24s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
           "OWNER");
  for (size_t i = 0; ids[i]; i++) {
    _cleanup_container_ struct container *ct = NULL;
    cn_error_t e = NULL;
    if (container_load(g->root, ids[i], &ct, &e) < 0) {
      cn_error_release(&e); /* deleted while we were listing */
      continue;
    }
    if (quiet) {
      puts(ct->id);
      continue;
    }
    json_object *st = container_state_json(ct);
    if (strcmp(format, "json") == 0) {
      json_object_array_add(arr, st);
      continue;
    }
    json_object *status, *pid;
    json_object_object_get_ex(st, "status", &status);
    json_object_object_get_ex(st, "pid", &pid);
    printf("%-24s %-8d %-10s %-40s %-32s %s\n", ct->id, json_object_get_int(pid),
           json_object_get_string(status), ct->bundle, ct->created, "root");
    json_object_put(st);
  }
  if (!quiet && strcmp(format, "json") == 0)
    puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(arr);
  return 0;
}
