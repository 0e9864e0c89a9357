#ifndef CINCH_CLI_COMMON_H
#define CINCH_CLI_COMMON_H

#include "cli/cli.h"
#include "container/container.h"

/* "KILL", "SIGKILL", "9", "RTMIN+1" -> signal number. */
int cli_parse_signal(const char *s, int *sig, cn_error_t *err);
/* Fails unless min <= argc - optind <= max, naming the surplus argument. */
int cli_args_between(int argc, char **argv, int optind_, int min, int max, const char *usage,
                     cn_error_t *err);
/* Fails with "usage requires N arguments" unless argc - optind >= want. */
int cli_need_args(int argc, int optind_, int want, const char *usage, cn_error_t *err);

/* For the commands whose only argument is an id (start, state, pause,
   resume): --help prints usage and returns 1; else loads the container
   into *out and returns 0. */
int cli_load_one(struct cli_globals *g, int argc, char **argv, const char *usage,
                 struct container **out, cn_error_t *err);

/* create and run share these. */
extern const struct option cli_create_options[];
int cli_create_option(int c, struct container_create_opts *o, cn_error_t *err);
void cli_create_globals(const struct cli_globals *g, struct container_create_opts *o);

#endif
