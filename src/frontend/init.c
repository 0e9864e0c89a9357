/* --init: a small reaper as the container's PID 1 (Docker's docker-init).
   A program as PID 1 gets no default signal actions and inherits every
   orphan; this one forwards signals to the command, reaps zombies, and
   exits with the command's status.

   The binary is a private copy of cinch made at `run` (bind-mounted
   read-only at /dev/init), never the host's own file: a process in the
   container can reach its PID 1's executable through /proc/1/exe, and must
   not be able to reach the runtime that other containers use. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frontend/fe.h"

int fe_cmd_init(int argc, char **argv)
{
  int first = 1;
  if (first < argc && strcmp(argv[first], "--") == 0)
    first++;
  if (first >= argc) {
    fprintf(stderr, "cinch-init: no command\n");
    return 125;
  }
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  /* Also when not PID 1 (--pid host): orphans come to us. */
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  pid_t child = fork();
  if (child < 0) {
    perror("cinch-init: fork");
    return 125;
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    /* Its own process group, so a terminal's job control signals reach it. */
    setpgid(0, 0);
    if (isatty(0))
      tcsetpgrp(0, getpgrp());
    execvp(argv[first], argv + first);
    int e = errno;
    fprintf(stderr, "cinch-init: exec %s: %s\n", argv[first], strerror(e));
    _exit(e == ENOENT ? 127 : 126);
  }
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0)
      continue;
    if (sig != SIGCHLD) {
      /* SIGTTIN/SIGTTOU/SIGTSTP from the terminal concern the child's group. */
      kill(child, sig);
      continue;
    }
    for (;;) {
      int status;
      pid_t p = waitpid(-1, &status, WNOHANG);
      if (p <= 0)
        break;
      if (p == child)
        return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
    }
  }
}
