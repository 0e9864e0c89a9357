/* startContainer hooks: run by the container's init after `start`, inside
   the container, with the OCI state on stdin and their own timeout. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/internal.h"
#include "util/cleanup.h"

static char *state_json(const struct sandbox_init *ctx)
{
  struct json_object *o = json_object_new_object();
  json_object_object_add(
      o, "ociVersion",
      json_object_new_string(ctx->spec->oci_version ? ctx->spec->oci_version : "1.0.2"));
  json_object_object_add(o, "id", json_object_new_string(ctx->id ? ctx->id : ""));
  json_object_object_add(o, "status", json_object_new_string("created"));
  json_object_object_add(o, "pid", json_object_new_int(getpid()));
  json_object_object_add(o, "bundle", json_object_new_string(ctx->bundle ? ctx->bundle : ""));
  struct json_object *ann = json_object_new_object();
  for (size_t i = 0; i < ctx->spec->n_annotations; i++)
    json_object_object_add(ann, ctx->spec->annotations[i].key,
                           json_object_new_string(ctx->spec->annotations[i].value));
  json_object_object_add(o, "annotations", ann);
  char *s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
  json_object_put(o);
  return s;
}

static int run_hook(const struct spec_hook *h, const char *state, size_t idx, cn_error_t *err)
{
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0)
    return cn_error_errno(err, errno, "hooks.startContainer[%zu]: pipe", idx);
  pid_t pid = fork();
  if (pid < 0)
    return cn_error_errno(err, errno, "hooks.startContainer[%zu]: fork", idx);
  if (pid == 0) {
    dup2(pipefd[0], 0);
    char *argv0[] = { h->path, NULL };
    char *envp0[] = { NULL };
    execve(h->path, h->args ? h->args : argv0, h->env ? h->env : envp0);
    _exit(127);
  }
  close(pipefd[0]);
  size_t len = strlen(state);
  /* A hook that does not read its stdin must not block us. */
  signal(SIGPIPE, SIG_IGN);
  ssize_t w = write(pipefd[1], state, len);
  (void)w;
  close(pipefd[1]);
  signal(SIGPIPE, SIG_DFL);
  _cleanup_close_ int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (h->timeout > 0 && pfd >= 0) {
    struct pollfd p = { .fd = pfd, .events = POLLIN };
    int r;
    do
      r = poll(&p, 1, h->timeout * 1000);
    while (r < 0 && errno == EINTR);
    if (r == 0) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      return cn_error_set(err, ETIMEDOUT, "hooks.startContainer[%zu] %s: timed out after %ds", idx,
                          h->path, h->timeout);
    }
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return cn_error_errno(err, errno, "hooks.startContainer[%zu]: wait", idx);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return cn_error_set(err, 0, "hooks.startContainer[%zu] %s: failed with status %d", idx, h->path,
                        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  return 0;
}

int hooks_start_container(const struct sandbox_init *ctx, const char *given, cn_error_t *err)
{
  const struct spec_hook_list *l = &ctx->spec->hooks[SPEC_HOOK_START_CONTAINER];
  if (l->n == 0)
    return 0;
  _cleanup_free_ char *state = given && *given ? xstrdup(given) : state_json(ctx);
  for (size_t i = 0; i < l->n; i++)
    if (run_hook(&l->v[i], state, i, err) < 0)
      return -1;
  return 0;
}
