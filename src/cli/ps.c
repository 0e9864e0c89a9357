/* `ps`: the container's processes.  json prints the host pids; table runs
   ps(1) (default `-ef`) and keeps the header and the container's rows, found
   through the PID column of the header, as runc does. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cli/common.h"
#include "container/container.h"
#include "util/cleanup.h"

static const char usage[] = "Usage: cinch ps [--format table|json] CONTAINER_ID [ps options]\n\n"
                            "List the processes running in a container.\n\n"
                            "  -f, --format F   table (ps output, default) or json (host pids)\n";

static int run_ps(char **args, char **out, cn_error_t *err)
{
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0)
    return cn_error_errno(err, errno, "pipe");
  pid_t pid = fork();
  if (pid < 0)
    return cn_error_errno(err, errno, "fork");
  if (pid == 0) {
    dup2(fds[1], 1);
    execvp("ps", args);
    fprintf(stderr, "cinch: exec ps: %s\n", strerror(errno));
    _exit(127);
  }
  close(fds[1]);
  size_t cap = 65536, n = 0;
  char *buf = xmalloc(cap);
  ssize_t r;
  while ((r = read(fds[0], buf + n, cap - n - 1)) != 0) {
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      break;
    n += (size_t)r;
    if (n + 1 >= cap)
      buf = xrealloc(buf, cap *= 2);
  }
  buf[n] = '\0';
  close(fds[0]);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    free(buf);
    return cn_error_set(err, EIO, "ps %s failed", args[1] ? args[1] : "");
  }
  *out = buf;
  return 0;
}

static bool has_pid(const pid_t *v, size_t n, long pid)
{
  for (size_t i = 0; i < n; i++)
    if (v[i] == pid)
      return true;
  return false;
}

int cli_ps(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  static const struct option opts[] = { { "format", required_argument, 0, 'f' },
                                        { "help", no_argument, 0, 'h' },
                                        { 0, 0, 0, 0 } };
  const char *format = "table";
  int c;
  while ((c = cli_getopt(g, argc, argv, "+f:h", opts, err)) != -1) {
    if (c == '?')
      return -1;
    if (c == 'h') {
      cli_usage(usage);
      return 0;
    }
    if (c == 'f')
      format = optarg;
  }
  if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
    return cn_error_set(err, EINVAL, "--format: invalid format \"%s\" (table or json)", format);
  if (cli_need_args(argc, optind, 1, "ps", err) < 0)
    return -1;
  _cleanup_container_ struct container *ct = NULL;
  if (container_load(g->root, argv[optind], &ct, err) < 0)
    return -1;
  if (!ct->cgroup)
    return cn_error_set(err, EINVAL, "container %s has no cgroup", ct->id);
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (cgroup_pids(ct->cgroup, &pids, &n, err) < 0)
    return -1;

  if (strcmp(format, "json") == 0) {
    if (argc - optind > 1)
      return cn_error_set(err, EINVAL, "ps options cannot be used with --format json");
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
      json_object_array_add(a, json_object_new_int(pids[i]));
    printf("%s\n", json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
    json_object_put(a);
    return 0;
  }

  int extra = argc - optind - 1;
  char *args[extra + 3];
  args[0] = "ps";
  if (extra == 0) {
    args[1] = "-ef";
    args[2] = NULL;
  } else {
    for (int i = 0; i < extra; i++)
      args[1 + i] = argv[optind + 1 + i];
    args[1 + extra] = NULL;
  }
  _cleanup_free_ char *out = NULL;
  if (run_ps(args, &out, err) < 0)
    return -1;
  char *save = NULL, *header = strtok_r(out, "\n", &save);
  if (!header)
    return cn_error_set(err, EIO, "ps printed nothing");
  /* The PID column's index in the header. */
  int col = -1, k = 0;
  _cleanup_free_ char *h = xstrdup(header);
  char *hs = NULL;
  for (char *t = strtok_r(h, " \t", &hs); t; t = strtok_r(NULL, " \t", &hs), k++)
    if (strcmp(t, "PID") == 0)
      col = k;
  if (col < 0)
    return cn_error_set(err, EINVAL, "ps output has no PID column (pass -o pid,...)");
  printf("%s\n", header);
  for (char *l = strtok_r(NULL, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    _cleanup_free_ char *dup = xstrdup(l);
    char *ls = NULL, *t = strtok_r(dup, " \t", &ls);
    for (int i = 0; t && i < col; i++)
      t = strtok_r(NULL, " \t", &ls);
    if (t && has_pid(pids, n, strtol(t, NULL, 10)))
      printf("%s\n", l);
  }
  return 0;
}
