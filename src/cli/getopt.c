#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/log.h"

enum {
  OPT_ROOT = 0x1000,
  OPT_LOG,
  OPT_LOG_FORMAT,
  OPT_DEBUG,
  OPT_SYSTEMD_CGROUP,
  OPT_CGROUP_MANAGER,
};

static const struct option global_opts[] = {
    {"root", required_argument, 0, OPT_ROOT},
    {"log", required_argument, 0, OPT_LOG},
    {"log-format", required_argument, 0, OPT_LOG_FORMAT},
    {"debug", no_argument, 0, OPT_DEBUG},
    {"systemd-cgroup", no_argument, 0, OPT_SYSTEMD_CGROUP},
    {"cgroup-manager", required_argument, 0, OPT_CGROUP_MANAGER},
};

#define N_GLOBAL (sizeof global_opts / sizeof *global_opts)

int cli_getopt(struct cli_globals *g, int argc, char **argv, const char *shortopts,
               const struct option *longopts, cn_error_t *err)
{
  size_t n = 0;
  while (longopts && longopts[n].name)
    n++;
  struct option all[n + N_GLOBAL + 1];
  memcpy(all, longopts, n * sizeof *all);
  memcpy(all + n, global_opts, sizeof global_opts);
  memset(&all[n + N_GLOBAL], 0, sizeof *all);

  /* A leading ':' makes getopt report a missing value as ':'. */
  char spec[strlen(shortopts) + 2];
  if (shortopts[0] == '+')
    snprintf(spec, sizeof spec, "+:%s", shortopts + 1);
  else
    snprintf(spec, sizeof spec, ":%s", shortopts);

  opterr = 0;
  for (;;) {
    int prev = optind;
    int c = getopt_long(argc, argv, spec, all, NULL);
    switch (c) {
    case OPT_ROOT:
      g->root = optarg;
      break;
    case OPT_LOG:
      g->log = optarg;
      cn_log_init(g->log, g->log_format && strcmp(g->log_format, "json") == 0, g->debug);
      break;
    case OPT_LOG_FORMAT:
      if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0) {
        cn_error_set(err, 0, "--log-format: unknown format \"%s\" (text or json)", optarg);
        return '?';
      }
      g->log_format = optarg;
      cn_log_init(g->log, strcmp(optarg, "json") == 0, g->debug);
      break;
    case OPT_DEBUG:
      g->debug = true;
      cn_log_init(g->log, g->log_format && strcmp(g->log_format, "json") == 0, true);
      break;
    case OPT_SYSTEMD_CGROUP:
      g->systemd_cgroup = true;
      break;
    case OPT_CGROUP_MANAGER:
      if (strcmp(optarg, "cgroupfs") != 0 && strcmp(optarg, "systemd") != 0 &&
          strcmp(optarg, "disabled") != 0) {
        cn_error_set(err, 0, "--cgroup-manager: unknown manager \"%s\"", optarg);
        return '?';
      }
      g->cgroup_manager = optarg;
      if (strcmp(optarg, "systemd") == 0)
        g->systemd_cgroup = true;
      break;
    case '?':
      if (optopt)
        cn_error_set(err, 0, "unknown option -%c", optopt);
      else
        cn_error_set(err, 0, "unknown option %s", argv[optind - 1]);
      return '?';
    case ':':
      cn_error_set(err, 0, "option %s needs a value", argv[optind - 1] ? argv[optind - 1] : argv[prev]);
      return '?';
    default:
      return c;
    }
  }
}

void cli_usage(const char *text) { fputs(text, stdout); }
