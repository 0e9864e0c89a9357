#include "util/hook.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"

extern char **environ;

static int pidfd_open_(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

int cn_hook_run(const struct spec_hook *hook, const char *state_json,
                int (*before_exec)(void *data), void *data, cn_error_t *err)
{
  int in[2];
  if (pipe2(in, O_CLOEXEC) < 0)
    return cn_error_errno(err, errno, "hook %s: pipe", hook->path);
  /* Resolved in the runtime's mount namespace even when it runs in the
     container's: open it before the child moves. */
  _cleanup_close_ int exe = open(hook->path, O_PATH);
  if (exe < 0) {
    int e = errno;
    close(in[0]);
    close(in[1]);
    return cn_error_errno(err, e, "hook %s", hook->path);
  }
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(in[0]);
    close(in[1]);
    return cn_error_errno(err, e, "hook %s: fork", hook->path);
  }
  if (pid == 0) {
    dup2(in[0], 0);
    if (before_exec && before_exec(data) < 0)
      _exit(127);
    char *default_argv[] = {hook->path, NULL};
    char *empty_env[] = {NULL};
    char **argv = hook->args ? hook->args : default_argv;
    char **envp = hook->env ? hook->env : empty_env;
    /* By path first: a #! script run from an fd gets "/dev/fd/N" as its
       name, which hosts without /dev/fd cannot open.  Before pivot_root the
       container's mount namespace still resolves host paths the same; the fd
       is the fallback when it does not. */
    execve(hook->path, argv, envp);
    syscall(SYS_execveat, exe, "", argv, envp, AT_EMPTY_PATH);
    _exit(127);
  }
  close(in[0]);
  size_t len = strlen(state_json), off = 0;
  signal(SIGPIPE, SIG_IGN);
  while (off < len) {
    ssize_t w = write(in[1], state_json + off, len - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      break; /* a hook may ignore its stdin */
    off += (size_t)w;
  }
  close(in[1]);

  _cleanup_close_ int pfd = pidfd_open_(pid);
  if (hook->timeout > 0 && pfd >= 0) {
    struct pollfd p = {.fd = pfd, .events = POLLIN};
    int r;
    do
      r = poll(&p, 1, hook->timeout * 1000);
    while (r < 0 && errno == EINTR);
    if (r == 0) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      return cn_error_set(err, ETIMEDOUT, "hook %s: timed out after %d s", hook->path,
                          hook->timeout);
    }
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return cn_error_errno(err, errno, "hook %s: wait", hook->path);
  if (WIFSIGNALED(status))
    return cn_error_set(err, 0, "hook %s: killed by signal %d", hook->path, WTERMSIG(status));
  if (WEXITSTATUS(status) != 0)
    return cn_error_set(err, 0, "hook %s: exit status %d", hook->path, WEXITSTATUS(status));
  return 0;
}
