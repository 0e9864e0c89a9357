#include <signal.h>

#include "cli/common.h"
#include "container/container.h"

static const char usage[] = "Usage: cinch kill [--all] CONTAINER_ID [SIGNAL]\n\n"
                            "Send SIGNAL (name or number, default TERM) to the container's init.\n\n"
                            "  -a, --all   send it to every process in the container\n";

int cli_kill(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  static const struct option opts[] = {
      {"all", no_argument, 0, 'a'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  bool all = false;
  int c;
  while ((c = cli_getopt(g, argc, argv, "ah", opts, err)) != -1) {
    if (c == '?')
      return -1;
    if (c == 'h') {
      cli_usage(usage);
      return 0;
    }
    if (c == 'a')
      all = true;
  }
  if (cli_args_between(argc, argv, optind, 1, 2, "kill", err) < 0)
    return -1;
  int sig = SIGTERM;
  if (optind + 1 < argc && cli_parse_signal(argv[optind + 1], &sig, err) < 0)
    return -1;
  _cleanup_container_ struct container *ct = NULL;
  if (container_load(g->root, argv[optind], &ct, err) < 0)
    return -1;
  return container_kill(ct, sig, all, err) < 0 ? -1 : 0;
}
