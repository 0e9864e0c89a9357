/* Which invocations are docker's, and the front end's command table.

   cinch answers to both runc's and docker's command lines.  Engines always
   send runc's forms (create/start/state/kill/delete/exec/ps/events/update
   with a container id), so a shared name is docker's only when its shape
   cannot be runc's:
     run     OCI when -b/--bundle (or another runc-only flag) is given, or
             when it is `run [flags] ID` with ./config.json present and ID is
             not an image; otherwise docker's `run IMAGE [CMD]`.
     ps      docker's when there is no positional argument (runc needs an id)
             or with -a/-q.
     events  docker's when there is no positional argument.
     kill    docker's with -s/--signal, or when the target is a front-end
             container name/ID prefix that is not an OCI container id.
     exec, pause, update: docker's when the target is a front-end name or
             ID prefix that is not an OCI container id (the work is then done
             by the OCI command on the full id); `update --cpus` always.
   Docker-only commands: stop, rm, logs, wait, inspect, stats, unpause,
   limit, images, attach, and `container CMD` (Docker's management form).
   --help-docker after any command name asks for the docker face's usage. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend/fe.h"
#include "frontend/frontend.h"
#include "util/strv.h"

static bool is(const char *a, const char *b)
{
  return strcmp(a, b) == 0;
}

/* The --root given on the command line (main has not parsed the
   sub-command's copy yet), for name lookups. */
static const char *root_of(int argc, char **argv)
{
  /* frontend_wants() sees only the sub-command's argv; a --root before the
     command is in our own command line. */
  static char cmdline[8192];
  const char *root = NULL;
  FILE *f = fopen("/proc/self/cmdline", "re");
  if (f) {
    size_t n = fread(cmdline, 1, sizeof cmdline - 1, f);
    fclose(f);
    cmdline[n] = '\0';
    for (size_t i = 0; i < n;) {
      const char *a = cmdline + i;
      size_t len = strlen(a);
      if (argc > 0 && strcmp(a, argv[0]) == 0)
        break;
      if (strcmp(a, "--root") == 0 && i + len + 1 < n)
        root = a + len + 1;
      else if (strncmp(a, "--root=", 7) == 0)
        root = a + 7;
      i += len + 1;
    }
  }
  for (int i = 0; i < argc; i++) {
    if (is(argv[i], "--root") && i + 1 < argc)
      root = argv[i + 1];
    else if (strncmp(argv[i], "--root=", 7) == 0)
      root = argv[i] + 7;
  }
  return root;
}

/* Positional arguments, skipping options; takes_arg lists options with a
   separate value. */
static int positionals(int argc, char **argv, const char *const *takes_arg, char ***out)
{
  char **v = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (is(a, "--")) {
      for (i++; i < argc; i++)
        cn_strv_push(&v, argv[i]);
      break;
    }
    if (a[0] == '-' && a[1]) {
      if (strchr(a, '='))
        continue;
      for (size_t k = 0; takes_arg[k]; k++)
        if (is(a, takes_arg[k])) {
          i++;
          break;
        }
      continue;
    }
    cn_strv_push(&v, a);
  }
  *out = v;
  return (int)cn_strv_len(v);
}

static bool has_flag(int argc, char **argv, const char *const *flags)
{
  for (int i = 1; i < argc; i++) {
    if (is(argv[i], "--"))
      return false;
    for (size_t k = 0; flags[k]; k++) {
      size_t n = strlen(flags[k]);
      if (strncmp(argv[i], flags[k], n) == 0 && (argv[i][n] == '\0' || argv[i][n] == '='))
        return true;
    }
  }
  return false;
}

static const char *const global_args[]
    = { "--root", "--log", "--log-format", "--cgroup-manager", NULL };

/* A front-end container that is not also an OCI id as written. */
static bool frontend_target(int argc, char **argv, const char *const *takes_arg)
{
  _cleanup_strv_ char **pos = NULL;
  if (positionals(argc, argv, takes_arg, &pos) < 1)
    return false;
  const char *root = root_of(argc, argv);
  if (root == NULL)
    root = "/run/cinch";
  _cleanup_free_ char *oci = xasprintf("%s/%s/state.json", root, pos[0]);
  if (access(oci, F_OK) == 0)
    return false;
  return fe_is_frontend(root, pos[0]);
}

static bool run_is_docker(int argc, char **argv)
{
  static const char *const runc_only[]
      = { "-b",         "--bundle",         "--console-socket", "--pid-file",     "--no-subreaper",
          "--no-pivot", "--no-new-keyring", "--keep",           "--preserve-fds", NULL };
  static const char *const docker_hint[]
      = { "--rm",      "-i", "-t",       "-it",    "-ti",           "--name",
          "--dry-run", "-m", "--memory", "--cpus", "--help-docker", NULL };
  if (has_flag(argc, argv, runc_only))
    return false;
  if (has_flag(argc, argv, docker_hint))
    return true;
  static const char *const args[] = { "--root",
                                      "--log",
                                      "--log-format",
                                      "--cgroup-manager",
                                      "-b",
                                      "--bundle",
                                      "--console-socket",
                                      "--pid-file",
                                      "--preserve-fds",
                                      NULL };
  _cleanup_strv_ char **pos = NULL;
  int n = positionals(argc, argv, args, &pos);
  if (n == 0)
    return false;
  if (n == 1 && access("config.json", F_OK) == 0) {
    /* `run ID` in a bundle directory, unless ID names an image. */
    struct fe_image img = { 0 };
    _cleanup_error_ cn_error_t e = NULL;
    const char *root = root_of(argc, argv);
    bool image = fe_image_find(root ? root : "/run/cinch", pos[0], &img, &e) == 0;
    fe_image_clear(&img);
    return image;
  }
  return true;
}

bool frontend_wants(int argc, char **argv)
{
  if (argc < 1)
    return false;
  const char *cmd = argv[0];
  /* Docker's management form: `container run`, `container ls`, ... */
  if (is(cmd, "container"))
    return true;
  if (has_flag(argc, argv, (const char *const[]){ "--help-docker", NULL }))
    return true;
  static const char *const docker_only[]
      = { "stop",    "rm",    "logs",   "wait",       "inspect", "stats",
          "unpause", "limit", "images", "cinch-init", "attach",  NULL };
  for (size_t i = 0; docker_only[i]; i++)
    if (is(cmd, docker_only[i]))
      return true;
  if (is(cmd, "run"))
    return run_is_docker(argc, argv);
  if (is(cmd, "ps")) {
    _cleanup_strv_ char **pos = NULL;
    static const char *const a[]
        = { "--root", "--log", "--log-format", "--cgroup-manager", "-f", "--format", NULL };
    return positionals(argc, argv, a, &pos) == 0
           || has_flag(argc, argv, (const char *const[]){ "-a", "--all", "-q", "--quiet", NULL });
  }
  if (is(cmd, "events")) {
    _cleanup_strv_ char **pos = NULL;
    static const char *const a[]
        = { "--root", "--log", "--log-format", "--cgroup-manager", "--interval", "--format", NULL };
    return positionals(argc, argv, a, &pos) == 0;
  }
  if (is(cmd, "kill")) {
    if (has_flag(argc, argv, (const char *const[]){ "-s", "--signal", NULL }))
      return true;
    return frontend_target(argc, argv, global_args);
  }
  if (is(cmd, "exec") || is(cmd, "pause") || is(cmd, "update")) {
    static const char *const a[] = { "--root",
                                     "--log",
                                     "--log-format",
                                     "--cgroup-manager",
                                     "-e",
                                     "--env",
                                     "-u",
                                     "--user",
                                     "-w",
                                     "--workdir",
                                     "--cwd",
                                     "-r",
                                     "--resources",
                                     "--console-socket",
                                     "--pid-file",
                                     "-p",
                                     "--process",
                                     "-m",
                                     "--memory",
                                     "--cpus",
                                     "-c",
                                     "--cpu-shares",
                                     "--pids-limit",
                                     "--memory-swap",
                                     "--cpu-quota",
                                     "--cpu-period",
                                     "--cpuset-cpus",
                                     "--cpuset-mems",
                                     "--blkio-weight",
                                     "--memory-reservation",
                                     NULL };
    return frontend_target(argc, argv, a)
           || (is(cmd, "update") && has_flag(argc, argv, (const char *const[]){ "--cpus", NULL }));
  }
  return false;
}

static const struct {
  const char *name;
  int (*fn)(struct cli_globals *, int, char **, cn_error_t *);
} commands[] = {
  { "run", fe_cmd_run },         { "ps", fe_cmd_ps },         { "stop", fe_cmd_stop },
  { "rm", fe_cmd_rm },           { "logs", fe_cmd_logs },     { "wait", fe_cmd_wait },
  { "inspect", fe_cmd_inspect }, { "kill", fe_cmd_kill },     { "stats", fe_cmd_stats },
  { "events", fe_cmd_events },   { "limit", fe_cmd_limit },   { "unpause", fe_cmd_forward },
  { "pause", fe_cmd_forward },   { "exec", fe_cmd_exec },     { "update", fe_cmd_update },
  { "images", fe_cmd_images },   { "attach", fe_cmd_attach },
};

int frontend_main(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  if (is(argv[0], "cinch-init"))
    return fe_cmd_init(argc, argv);
  if (is(argv[0], "container")) {
    if (argc < 2)
      return cn_error_set(err, EINVAL,
                          "Usage: cinch container COMMAND (run, ls, ps, stop, rm, "
                          "logs, wait, inspect, kill, exec, pause, unpause, update, "
                          "stats, attach)");
    argc--;
    argv++;
    if (is(argv[0], "ls") || is(argv[0], "list"))
      argv[0] = (char *)"ps";
    optind = 1;
  }
  for (int i = 1; i < argc; i++)
    if (is(argv[i], "--help-docker"))
      argv[i] = (char *)"--help";
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    if (is(commands[i].name, argv[0]))
      return commands[i].fn(g, argc, argv, err);
  return cn_error_set(err, EINVAL, "unknown command \"%s\"", argv[0]);
}
