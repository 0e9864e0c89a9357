/* The docker-style front end.  It only turns docker flags into an OCI
   config and hands it to the same container_create() path that `create`
   takes; it never makes a container any other way. */
#ifndef CINCH_FRONTEND_H
#define CINCH_FRONTEND_H

#include <stdbool.h>

#include "cli/cli.h"

/* True when argv (argv[0] is the command name) is a docker-style invocation
   that the front end handles: commands runc lacks (stop, rm, logs, stats,
   limit, ...) and docker-shaped uses of shared names (`run IMAGE`, `ps -a`,
   `events` without an id, ...). */
bool frontend_wants(int argc, char **argv);
/* Runs it; returns the exit status (Docker's: 125 for cinch's own errors,
   126, 127, else the container's), or <0 with *err (main exits 125). */
int frontend_main(struct cli_globals *g, int argc, char **argv, cn_error_t *err);

#endif
