/* One entry point per command; main.c dispatches.  A command returns the
   process exit status (>= 0) or a negative value with *err set, which main
   prints and turns into exit 1 (125 for the docker front end). */
#ifndef CINCH_CLI_H
#define CINCH_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "util/error.h"

struct cli_globals {
  const char *root; /* --root, default /run/cinch */
  const char *log;
  const char *log_format; /* "text" or "json" */
  bool debug;
  bool systemd_cgroup;
  const char *cgroup_manager; /* cgroupfs | systemd | disabled */
};

typedef int cli_command_fn(struct cli_globals *g, int argc, char **argv, cn_error_t *err);

/* getopt_long over a command's own options, with the global options accepted
   too (engines put them before the subcommand, people after it, even after
   the id).  A command whose trailing arguments are another program's (exec)
   starts shortopts with '+' so parsing stops at the first non-option.
   Returns the option's val, -1 at the end, '?' on a bad option (with *err). */
int cli_getopt(struct cli_globals *g, int argc, char **argv, const char *shortopts,
               const struct option *longopts, cn_error_t *err);

/* Prints usage for `cmd` when --help is given: each command has its text. */
void cli_usage(const char *text);

cli_command_fn cli_create, cli_start, cli_state, cli_kill, cli_delete, cli_run, cli_exec, cli_ps,
    cli_pause, cli_resume, cli_update, cli_events, cli_list, cli_spec, cli_features;

#endif
