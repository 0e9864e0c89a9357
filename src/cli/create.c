#include <stdlib.h>
#include <string.h>

#include "cli/common.h"
#include "container/container.h"

static const char usage[] =
    "Usage: cinch create [OPTIONS] CONTAINER_ID\n\n"
    "Create a container from a bundle; its process waits until `cinch start`.\n\n"
    "  -b, --bundle DIR         bundle directory (default: current directory)\n"
    "      --pid-file FILE      write the container's host pid to FILE\n"
    "      --console-socket S   send the pty master to the unix socket S\n"
    "      --no-pivot           do not use pivot_root (for ramdisk roots)\n"
    "      --no-new-keyring     keep the session keyring of the caller\n"
    "      --preserve-fds N     pass N extra fds (from 3) into the container\n";

enum { OPT_PID_FILE = 0x100, OPT_CONSOLE, OPT_NO_PIVOT, OPT_NO_KEYRING, OPT_PRESERVE };

const struct option cli_create_options[] = {
    {"bundle", required_argument, 0, 'b'},
    {"pid-file", required_argument, 0, OPT_PID_FILE},
    {"console-socket", required_argument, 0, OPT_CONSOLE},
    {"no-pivot", no_argument, 0, OPT_NO_PIVOT},
    {"no-new-keyring", no_argument, 0, OPT_NO_KEYRING},
    {"preserve-fds", required_argument, 0, OPT_PRESERVE},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

/* Parses the options create and run share; returns 1 when it took c. */
int cli_create_option(int c, struct container_create_opts *o, cn_error_t *err)
{
  switch (c) {
  case 'b':
    o->bundle = optarg;
    return 1;
  case OPT_PID_FILE:
    o->pid_file = optarg;
    return 1;
  case OPT_CONSOLE:
    o->console_socket = optarg;
    return 1;
  case OPT_NO_PIVOT:
    o->no_pivot = true;
    return 1;
  case OPT_NO_KEYRING:
    o->no_new_keyring = true;
    return 1;
  case OPT_PRESERVE: {
    char *end;
    long n = strtol(optarg, &end, 10);
    if (*end || n < 0 || n > 4096)
      return cn_error_set(err, 0, "--preserve-fds: invalid value \"%s\"", optarg);
    o->preserve_fds = (int)n;
    return 1;
  }
  }
  return 0;
}

void cli_create_globals(const struct cli_globals *g, struct container_create_opts *o)
{
  o->root = g->root;
  o->systemd_cgroup = g->systemd_cgroup && strcmp(g->cgroup_manager, "disabled") != 0;
  o->no_cgroup = strcmp(g->cgroup_manager, "disabled") == 0;
}

int cli_create(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  struct container_create_opts o = {0};
  int c;
  while ((c = cli_getopt(g, argc, argv, "b:h", cli_create_options, err)) != -1) {
    if (c == '?')
      return -1;
    if (c == 'h') {
      cli_usage(usage);
      return 0;
    }
    if (cli_create_option(c, &o, err) < 0)
      return -1;
  }
  if (cli_args_between(argc, argv, optind, 1, 1, "create", err) < 0)
    return -1;
  cli_create_globals(g, &o);
  o.id = argv[optind];
  _cleanup_container_ struct container *ct = NULL;
  return container_create(&o, &ct, err) < 0 ? -1 : 0;
}
