/* A container's life: create -> start -> kill -> delete, and the state
   record under --root.  Both faces of cinch (the OCI commands and the docker
   front end) make containers through container_create(). */
#ifndef CINCH_CONTAINER_H
#define CINCH_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "spec/spec.h"
#include "util/error.h"

enum container_status {
  CONTAINER_CREATING,
  CONTAINER_CREATED,
  CONTAINER_RUNNING,
  CONTAINER_PAUSED,
  CONTAINER_STOPPED,
};

struct container {
  char *id;
  char *root;   /* the --root directory */
  char *dir;    /* root/id */
  char *bundle; /* absolute */
  char *rootfs; /* absolute */
  pid_t pid;    /* the container's init, as seen from the host */
  unsigned long long start_time; /* /proc/pid/stat starttime: a recycled pid cannot pass */
  char *created;                 /* RFC 3339 */
  char *owner;
  bool oom_killed;
  struct spec *spec;     /* the config as it was at create (a copy is kept in dir) */
  struct cgroup *cgroup; /* NULL when there is none */
};

struct container_create_opts {
  const char *root;
  const char *id;
  const char *bundle;
  /* The config as JSON text (the front end's); NULL: read bundle/config.json.
     Either way it is parsed here, so every container passes the same checks. */
  const char *spec_json;
  const char *pid_file;       /* NULL: none */
  const char *console_socket; /* a path, as runc's --console-socket */
  bool has_console_fd;        /* or an already connected socket (foreground run with a tty) */
  int console_fd;
  bool no_cgroup;             /* --cgroup-manager disabled */
  int preserve_fds;
  bool no_pivot;
  bool no_new_keyring;
  bool systemd_cgroup;
};

/* create: on any failure everything made so far is undone. */
int container_create(const struct container_create_opts *o, struct container **out,
                     cn_error_t *err);
int container_start(struct container *c, cn_error_t *err);
/* Loads the state of id; "container X does not exist" when there is none. */
int container_load(const char *root, const char *id, struct container **out, cn_error_t *err);
/* Persists the mutable parts (oom_killed, ...) after a change. */
int container_save(struct container *c, cn_error_t *err);
enum container_status container_status(struct container *c);
const char *container_status_name(enum container_status s);
/* OCI state JSON (ociVersion, id, status, pid, bundle, annotations, created, owner). */
struct json_object *container_state_json(struct container *c);
int container_kill(struct container *c, int sig, bool all, cn_error_t *err);
/* Removes everything create made; force kills first. */
int container_delete(struct container *c, bool force, cn_error_t *err);
/* Waits for the init process (only possible for its parent or a subreaper);
   returns the shell-style exit status: code, or 128+signal. */
int container_wait(struct container *c, cn_error_t *err);
/* Runs the hooks of one kind with the state on stdin. */
int container_run_hooks(struct container *c, enum spec_hook_kind kind, cn_error_t *err);
/* Lists ids under root (sorted). */
int container_list(const char *root, char ***ids, cn_error_t *err);
void container_free(struct container *c);

static inline void container_freep(struct container **c)
{
  if (*c)
    container_free(*c);
}
#define _cleanup_container_ __attribute__((cleanup(container_freep)))

#endif
