/* `cinch spec`: writes runc's default config.json into a bundle. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/common.h"
#include "spec/spec.h"
#include "util/cleanup.h"

static const char usage[] = "Usage: cinch spec [OPTIONS]\n\n"
                            "Write a default config.json (runc's defaults) into the bundle.\n\n"
                            "  -b, --bundle DIR   bundle directory (default: current directory)\n"
                            "      --rootless     a config for an unprivileged user\n";

enum { OPT_ROOTLESS = 0x100 };

int cli_spec(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  static const struct option opts[] = { { "bundle", required_argument, 0, 'b' },
                                        { "rootless", no_argument, 0, OPT_ROOTLESS },
                                        { "help", no_argument, 0, 'h' },
                                        { 0, 0, 0, 0 } };
  const char *bundle = NULL;
  bool rootless = false;
  int c;
  while ((c = cli_getopt(g, argc, argv, "b:h", opts, err)) != -1) {
    switch (c) {
    case 'b':
      bundle = optarg;
      break;
    case OPT_ROOTLESS:
      rootless = true;
      break;
    case 'h':
      cli_usage(usage);
      return 0;
    default:
      return -1;
    }
  }
  if (optind < argc)
    return cn_error_set(err, EINVAL, "spec: unexpected argument \"%s\"", argv[optind]);

  _cleanup_free_ char *path = xasprintf("%s/config.json", bundle ? bundle : ".");
  _cleanup_free_ char *text = spec_default_json(rootless);
  /* O_EXCL: never overwrite a config someone wrote, even in a race. */
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0 && errno == EEXIST)
    return cn_error_set(err, EEXIST, "File %s exists. Remove it first",
                        bundle ? path : "config.json");
  if (fd < 0)
    return cn_error_errno(err, errno, "create %s", path);
  size_t len = strlen(text), off = 0;
  while (off < len) {
    ssize_t w = write(fd, text + off, len - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0) {
      int e = errno;
      unlink(path);
      return cn_error_errno(err, e, "write %s", path);
    }
    off += (size_t)w;
  }
  return 0;
}
