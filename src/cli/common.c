/* Helpers shared by the OCI commands. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/common.h"

int cli_parse_signal(const char *s, int *sig, cn_error_t *err)
{
  char *end;
  long n = strtol(s, &end, 10);
  if (*s && *end == '\0') {
    if (n <= 0 || n >= NSIG)
      return cn_error_set(err, EINVAL, "invalid signal \"%s\"", s);
    *sig = (int)n;
    return 0;
  }
  const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
  for (int i = 1; i < SIGRTMIN; i++) {
    const char *abbrev = sigabbrev_np(i);
    if (abbrev && strcasecmp(abbrev, name) == 0) {
      *sig = i;
      return 0;
    }
  }
  if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
    bool max = strncasecmp(name, "RTMAX", 5) == 0;
    long off = name[5] ? strtol(name + 5, &end, 10) : 0;
    int v = max ? SIGRTMAX + (int)off : SIGRTMIN + (int)off;
    if ((name[5] == '\0' || *end == '\0') && v >= SIGRTMIN && v <= SIGRTMAX) {
      *sig = v;
      return 0;
    }
  }
  return cn_error_set(err, EINVAL, "invalid signal \"%s\"", s);
}

int cli_args_between(int argc, char **argv, int optind_, int min, int max, const char *usage,
                     cn_error_t *err)
{
  int n = argc - optind_;
  if (n < min)
    return cn_error_set(err, EINVAL, "\"%s\" requires %s%d argument%s", usage,
                        min == max ? "exactly " : "at least ", min, min == 1 ? "" : "s");
  if (n > max)
    return cn_error_set(err, EINVAL, "\"%s\" takes at most %d argument%s, got %d (\"%s\"...)",
                        usage, max, max == 1 ? "" : "s", n, argv[optind_ + max]);
  return 0;
}

int cli_need_args(int argc, int optind_, int want, const char *usage, cn_error_t *err)
{
  if (argc - optind_ < want)
    return cn_error_set(err, EINVAL, "\"%s\" requires at least %d argument%s", usage, want,
                        want == 1 ? "" : "s");
  return 0;
}

int cli_load_one(struct cli_globals *g, int argc, char **argv, const char *usage,
                 struct container **out, cn_error_t *err)
{
  static const struct option opts[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  int c;
  *out = NULL;
  while ((c = cli_getopt(g, argc, argv, "h", opts, err)) != -1) {
    if (c == '?')
      return -1;
    if (c == 'h') {
      cli_usage(usage);
      return 1;
    }
  }
  if (cli_args_between(argc, argv, optind, 1, 1, argv[0], err) < 0)
    return -1;
  return container_load(g->root, argv[optind], out, err);
}
