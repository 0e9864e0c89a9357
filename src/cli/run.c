#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/common.h"
#include "container/attach.h"
#include "container/container.h"
#include "util/cleanup.h"
#include "util/log.h"

static const char usage[] =
    "Usage: cinch run [OPTIONS] CONTAINER_ID\n\n"
    "Create and start a container from a bundle (runc's run).  In the foreground\n"
    "it forwards signals, returns the container's exit status (128+N for signal N),\n"
    "and deletes the container afterwards unless --keep.  For the docker-style\n"
    "`cinch run IMAGE CMD`, see `cinch run --help-docker`.\n\n"
    "  -b, --bundle DIR         bundle directory (default: current directory)\n"
    "  -d, --detach             return once the container is started\n"
    "      --keep               do not delete the container when it exits\n"
    "      --pid-file FILE      write the container's host pid to FILE\n"
    "      --console-socket S   send the pty master to the unix socket S\n"
    "      --no-pivot           do not use pivot_root\n"
    "      --no-new-keyring     keep the session keyring of the caller\n"
    "      --preserve-fds N     pass N extra fds (from 3) into the container\n"
    "      --no-subreaper       accepted for runc compatibility\n";

enum { OPT_KEEP = 0x200, OPT_NO_SUBREAPER };

/* The OOM killer's work is told apart from a plain SIGKILL by the memory
   cgroup's kill counter, read before start and after the exit. */
static uint64_t oom_kills(struct container *ct)
{
  uint64_t n = 0;
  cn_error_t e = NULL;
  if (ct->cgroup && cgroup_oom_kills(ct->cgroup, &n, &e) < 0)
    cn_error_release(&e);
  return n;
}

int cli_run(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  size_t n = 0;
  while (cli_create_options[n].name)
    n++;
  struct option opts[n + 4];
  memcpy(opts, cli_create_options, n * sizeof *opts);
  opts[n] = (struct option){"detach", no_argument, 0, 'd'};
  opts[n + 1] = (struct option){"keep", no_argument, 0, OPT_KEEP};
  opts[n + 2] = (struct option){"no-subreaper", no_argument, 0, OPT_NO_SUBREAPER};
  opts[n + 3] = (struct option){0, 0, 0, 0};

  struct container_create_opts o = {0};
  bool detach = false, keep = false;
  int c;
  while ((c = cli_getopt(g, argc, argv, "b:dh", opts, err)) != -1) {
    if (c == '?')
      return -1;
    if (c == 'h') {
      cli_usage(usage);
      return 0;
    }
    if (c == 'd')
      detach = true;
    else if (c == OPT_KEEP)
      keep = true;
    else if (c != OPT_NO_SUBREAPER && cli_create_option(c, &o, err) < 0)
      return -1;
  }
  if (cli_args_between(argc, argv, optind, 1, 1, "run", err) < 0)
    return -1;
  cli_create_globals(g, &o);
  o.id = argv[optind];

  /* A foreground container with a terminal gets its pty through a socket
     pair we hold, and we proxy it, as runc does. */
  _cleanup_close_ int tty_ours = -1;
  _cleanup_close_ int tty_theirs = -1;
  if (!detach && !o.console_socket) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
      return cn_error_errno(err, errno, "socketpair");
    tty_ours = sv[0];
    tty_theirs = sv[1];
    o.has_console_fd = true;
    o.console_fd = tty_theirs;
  }
  _cleanup_container_ struct container *ct = NULL;
  if (container_create(&o, &ct, err) < 0)
    return -1;
  cn_closep(&tty_theirs);
  tty_theirs = -1;
  _cleanup_close_ int master = -1;
  if (ct->spec->process.terminal && tty_ours >= 0 &&
      console_recv_master(tty_ours, &master, err) < 0)
    goto fail;
  uint64_t oom_before = oom_kills(ct);
  if (!detach)
    container_attach_hold_signals();
  if (container_start(ct, err) < 0)
    goto fail;
  if (detach)
    return 0;

  int status = container_attach(ct->pid, master, err);
  if (status < 0)
    goto fail;
  if (oom_kills(ct) > oom_before) {
    ct->oom_killed = true;
    cn_error_t e = NULL;
    if (container_save(ct, &e) < 0)
      cn_error_release(&e);
    fprintf(stderr, "cinch: container %s was killed by the OOM killer: it reached its memory limit\n",
            ct->id);
    if (status == 128 + SIGKILL || status == 0)
      status = 137;
  }
  if (!keep && container_delete(ct, true, err) < 0)
    return -1;
  return status;

fail:;
  cn_error_t e = NULL;
  if (container_delete(ct, true, &e) < 0)
    cn_error_release(&e);
  return -1;
}
