/* The cgroup interface.  container/ talks only to this; the drivers (v1, v2;
   hybrid = v1 controllers plus the unified mount) live behind it.  Every
   resource key a driver cannot honour is an explicit error naming the key,
   never a silent skip. */
#ifndef CINCH_CGROUP_H
#define CINCH_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

struct json_object;

enum cgroup_layout { CGROUP_LAYOUT_V1, CGROUP_LAYOUT_HYBRID, CGROUP_LAYOUT_V2 };

struct cgroup; /* opaque: the layout and the container's directory on each hierarchy */

struct cgroup_create_opts {
  const char *id;           /* container id: the default path is derived from it */
  const char *cgroups_path; /* linux.cgroupsPath, NULL for the default */
  const struct spec_resources *resources; /* NULL: none */
  bool systemd;             /* --systemd-cgroup: refused until supported */
};

int cgroup_detect(enum cgroup_layout *out, cn_error_t *err);

/* Validates the resources, makes the directories on every hierarchy and
   applies the resources.  Atomic: on failure nothing is left behind. */
int cgroup_create(const struct cgroup_create_opts *o, struct cgroup **out, cn_error_t *err);
/* An O_PATH|O_DIRECTORY fd of the unified directory for
   clone3(CLONE_INTO_CGROUP), or -1 when there is none (pure v1).  Owned by cg. */
int cgroup_clone_fd(struct cgroup *cg);
/* The directories cgroup_enter moves a process into, one per hierarchy
   (co-mounted controllers share one); returns how many, at most max. */
size_t cgroup_dirs(const struct cgroup *cg, const char **out, size_t max);
/* Puts pid into every hierarchy where it is not yet (idempotent). */
int cgroup_enter(struct cgroup *cg, pid_t pid, cn_error_t *err);
int cgroup_update(struct cgroup *cg, const struct spec_resources *r, cn_error_t *err);
/* Returns once the cgroup is frozen (or thawed). */
int cgroup_freeze(struct cgroup *cg, bool freeze, cn_error_t *err);
int cgroup_is_frozen(struct cgroup *cg, bool *frozen, cn_error_t *err);
/* Signals every process; SIGKILL uses cgroup.kill where the kernel has it. */
int cgroup_kill_all(struct cgroup *cg, int sig, cn_error_t *err);
int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n, cn_error_t *err);
/* runc's `events` stats "data" object. */
int cgroup_stats(struct cgroup *cg, struct json_object **data, cn_error_t *err);
/* OOM kills seen so far in the container's memory cgroup. */
int cgroup_oom_kills(struct cgroup *cg, uint64_t *count, cn_error_t *err);
/* A pollable fd that becomes readable on each OOM event (v1 eventfd, v2
   inotify on memory.events); the caller closes it. */
int cgroup_oom_watch(struct cgroup *cg, int *fd, cn_error_t *err);
/* Removes the directories on every hierarchy, even when processes crashed or
   were OOM-killed; kills leftovers first. */
int cgroup_destroy(struct cgroup *cg, cn_error_t *err);

/* Persisted in the container's state directory. */
struct json_object *cgroup_to_json(const struct cgroup *cg);
int cgroup_from_json(struct json_object *j, struct cgroup **out, cn_error_t *err);
void cgroup_free(struct cgroup *cg);

#endif
