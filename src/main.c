#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "frontend/frontend.h"
#include "util/log.h"

#ifndef CINCH_VERSION
#define CINCH_VERSION "0.1.0"
#endif

struct command {
  const char *name;
  cli_command_fn *fn;
  const char *summary;
};

static const struct command commands[] = {
    {"create", cli_create, "create a container from a bundle"},
    {"start", cli_start, "start a created container"},
    {"state", cli_state, "print the state of a container"},
    {"kill", cli_kill, "send a signal to a container"},
    {"delete", cli_delete, "delete a container"},
    {"run", cli_run, "create and start a container"},
    {"exec", cli_exec, "run a process in a container"},
    {"ps", cli_ps, "list the processes of a container"},
    {"pause", cli_pause, "freeze every process of a container"},
    {"resume", cli_resume, "thaw a paused container"},
    {"update", cli_update, "change the resources of a container"},
    {"events", cli_events, "print stats and OOM events of a container"},
    {"list", cli_list, "list containers"},
    {"spec", cli_spec, "write a default config.json"},
    {"features", cli_features, "print what this runtime supports"},
};

static void usage(FILE *f)
{
  fprintf(f, "Usage: cinch [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n\n"
             "A container runtime that keeps every container on a short leash.\n\n"
             "Commands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\nDocker-style commands (same code path; `cinch COMMAND --help-docker`):\n"
             "  run [OPTIONS] IMAGE [CMD...]   e.g. run --rm --cpus 0.5 -m 256M busybox sh\n"
             "  ps [-a] [-q]   stop   rm [-f]   logs [-f]   wait   inspect   attach\n"
             "  exec NAME CMD   kill [-s SIG] NAME   pause/unpause NAME   update [flags] NAME\n"
             "  stats [--no-stream]   events   images   limit [flags] -- CMD (cgexec)\n"
             "A shared name (run, ps, kill, events, exec, pause, update) takes runc's\n"
             "form when given one (an id, --bundle), docker's otherwise.\n");
  fprintf(f, "\nGlobal options (before or after the command):\n"
             "  --root DIR             state directory (default /run/cinch)\n"
             "  --log FILE             write diagnostics to FILE\n"
             "  --log-format text|json format of --log (default text)\n"
             "  --debug                verbose diagnostics\n"
             "  --systemd-cgroup       use systemd for cgroups (not supported yet)\n"
             "  --cgroup-manager M     cgroupfs (default), systemd, disabled\n"
             "  --version, --help\n");
}

int main(int argc, char **argv)
{
  struct cli_globals g = {.root = "/run/cinch", .log_format = "text", .cgroup_manager = "cgroupfs"};
  _cleanup_error_ cn_error_t err = NULL;

  /* Global options before the command. */
  optind = 1;
  int c = cli_getopt(&g, argc, argv, "+hv", (const struct option[]){{"help", no_argument, 0, 'h'},
                                                                  {"version", no_argument, 0, 'v'},
                                                                  {0, 0, 0, 0}},
                     &err);
  for (; c != -1; c = cli_getopt(&g, argc, argv, "+hv",
                                 (const struct option[]){{"help", no_argument, 0, 'h'},
                                                         {"version", no_argument, 0, 'v'},
                                                         {0, 0, 0, 0}},
                                 &err)) {
    if (c == 'h') {
      usage(stdout);
      return 0;
    }
    if (c == 'v') {
      printf("cinch version %s\nspec: 1.2.0\n", CINCH_VERSION);
      return 0;
    }
    if (c == '?') {
      fprintf(stderr, "cinch: %s\n", err ? err->msg : "bad option");
      return 1;
    }
  }
  if (optind >= argc) {
    usage(stderr);
    return 1;
  }
  const char *name = argv[optind];
  int sub_argc = argc - optind;
  char **sub_argv = argv + optind;

  if (frontend_wants(sub_argc, sub_argv)) {
    optind = 0;
    int r = frontend_main(&g, sub_argc, sub_argv, &err);
    if (r < 0) {
      cn_log_init(g.log, g.log_format && strcmp(g.log_format, "json") == 0, g.debug);
      cn_log(CN_LOG_ERROR, "%s", err ? err->msg : "unknown error");
      return 125;
    }
    return r;
  }
  const struct command *cmd = NULL;
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    if (strcmp(commands[i].name, name) == 0)
      cmd = &commands[i];
  if (cmd == NULL) {
    fprintf(stderr, "cinch: unknown command \"%s\" (see cinch --help)\n", name);
    return 1;
  }

  /* The command parses from its own name on; optind 0 makes glibc forget the
     '+' (stop at the first non-option) of the parse above. */
  optind = 0;
  int r = cmd->fn(&g, sub_argc, sub_argv, &err);
  if (r < 0) {
    cn_log_init(g.log, g.log_format && strcmp(g.log_format, "json") == 0, g.debug);
    cn_log(CN_LOG_ERROR, "%s", err ? err->msg : "unknown error");
    return 1;
  }
  return r;
}
