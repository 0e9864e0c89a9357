/* Internals of the docker-style front end, shared by its files only. */
#ifndef CINCH_FRONTEND_FE_H
#define CINCH_FRONTEND_FE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cli/cli.h"
#include "util/cleanup.h"
#include "util/error.h"

struct json_object;
void json_object_putp(struct json_object **j);

/* --userns=remap: root inside is this uid/gid outside, 65536 ids. */
#define FE_REMAP_BASE 100000

/* ---- units.c ---- */
int fe_parse_bytes(const char *s, int64_t *out, cn_error_t *err);
int fe_parse_nanocpus(const char *s, int64_t *out, cn_error_t *err);
char *fe_format_bytes(double size);   /* "1.5MiB" */
char *fe_format_decimal(double size); /* "1.5MB" */
char *fe_format_duration(int64_t secs);

/* ---- flags.c: docker run/create/update/limit flags ---- */
struct fe_resources {
  int64_t nano_cpus, cpu_period, cpu_quota, cpu_shares, cpu_rt_period, cpu_rt_runtime;
  char *cpuset_cpus, *cpuset_mems;
  int64_t memory, memory_swap, memory_reservation, memory_swappiness, kernel_memory;
  bool has_memory_swap, oom_kill_disable;
  bool has_pids;
  int64_t pids_limit;
  int64_t blkio_weight;
  char **weight_devices;                                   /* "maj:min weight" */
  char **read_bps, **write_bps, **read_iops, **write_iops; /* "maj:min rate" */
};

struct fe_run {
  struct fe_resources res;
  int64_t oom_score_adj;
  char **ulimits; /* "RLIMIT_X soft hard" */
  int64_t shm_size;
  char **cap_add, **cap_drop;
  bool privileged, no_new_privs, read_only, systempaths_unconfined;
  char *seccomp; /* NULL: default; "unconfined"; else a file path */
  char *user;
  char **group_add;
  char *userns, *pid_mode, *ipc_mode, *uts_mode, *network, *cgroupns, *hostname;
  char **tmpfs, **volumes, **mounts, **env, **env_files, **devices, **labels, **sysctls;
  char *workdir, *entrypoint;
  bool has_entrypoint, init;
  char *name;
  bool rm, detach, interactive, tty, dry_run;
  char *image;
  char **args; /* the command after the image */
};

void fe_run_clear(struct fe_run *r);
/* Parses `run`/`create` flags from argv[optind..]; leaves image and args. */
int fe_run_parse(struct cli_globals *g, int argc, char **argv, struct fe_run *r, cn_error_t *err);
/* Parses only resource flags (limit, update); stops at "--" or the first
   non-option.  *next gets the index of the rest. */
int fe_resources_parse(struct cli_globals *g, int argc, char **argv, struct fe_resources *res,
                       int *next, cn_error_t *err);
/* Docker's daemon-side checks, with its messages. */
int fe_resources_validate(struct fe_resources *res, bool update, cn_error_t *err);
/* linux.resources as JSON. */
struct json_object *fe_resources_json(const struct fe_resources *res);
void fe_resources_clear(struct fe_resources *res);

/* ---- config.c: the whole OCI config ---- */
struct fe_image;
int fe_build_config(const struct fe_run *r, const struct fe_image *img, const char *rootfs,
                    const char *id, const char *init_path, struct json_object **out,
                    cn_error_t *err);

/* ---- defaults.c ---- */
extern const char *const fe_default_caps[]; /* NULL-terminated, Docker's 14 */
/* Final capability set (names) from --cap-add/--cap-drop/--privileged. */
int fe_caps_resolve(const struct fe_run *r, char ***out, cn_error_t *err);
struct json_object *fe_default_mounts(const struct fe_run *r);
char **fe_default_masked_paths(void);
char **fe_default_readonly_paths(void);
/* Docker-like default seccomp profile, conditions resolved against caps. */
struct json_object *fe_default_seccomp(char *const *caps);

/* ---- images.c ---- */
struct fe_image {
  char *name;   /* as given */
  char *path;   /* the image directory */
  bool builtin; /* a store image: each container gets a private copy */
};
int fe_image_find(const char *root, const char *name, struct fe_image *img, cn_error_t *err);
void fe_image_clear(struct fe_image *img);
/* A private copy of an image; shift is added to every uid and gid (--userns). */
int fe_copy_tree(const char *src, const char *dst, uid_t shift, cn_error_t *err);
/* Mounts an overlay of image (read-only, shared) on rec/rootfs with its
   writable layer in rec/upper; detach drops the host's mount of it. */
int fe_rootfs_attach(const char *image, const char *rec, cn_error_t *err);
void fe_rootfs_detach(const char *rec);
/* Resolves -u against rootfs/etc/passwd and /etc/group. */
int fe_resolve_user(const char *rootfs, const char *user, char *const *group_add, uint32_t *uid,
                    uint32_t *gid, uint32_t **gids, size_t *n_gids, char **home, cn_error_t *err);

/* ---- names.c: records of front-end containers ---- */
char *fe_new_id(void);
char *fe_new_name(void);
char *fe_store_dir(const char *root); /* root/.frontend */
char *fe_rec_dir(const char *root, const char *id);
char *fe_remap_dir(const char *id);
/* Removes the record and any private image copy. */
int fe_rec_remove(const char *root, const char *id, cn_error_t *err);
int fe_meta_load(const char *root, const char *id, struct json_object **out, cn_error_t *err);
int fe_meta_save(const char *root, const char *id, struct json_object *meta, cn_error_t *err);
/* Name, full id or unique id prefix -> full id. */
int fe_resolve(const char *root, const char *ref, char **id, cn_error_t *err);
bool fe_is_frontend(const char *root, const char *ref);
int fe_list_ids(const char *root, char ***ids, cn_error_t *err);
int64_t fe_parse_rfc3339(const char *s);

/* ---- monitor.c ---- */
#define FE_MAX_ATTACH 8
struct sockaddr_un;
/* The abstract unix socket a detached container's monitor listens on. */
unsigned fe_attach_addr(const char *id, struct sockaddr_un *sa);
struct fe_launch {
  struct cli_globals *g;
  const struct fe_run *run;
  char *id;
  char *name;
  char *bundle;
  char *rec;
  bool attach_first; /* the launcher attaches before the start (run -it) */
  const char *image; /* a store image to overlay on rec/rootfs, or NULL */
};
int fe_launch(struct fe_launch *l, cn_error_t *err);
/* Status of a record: "created", "running", "paused", "exited", "dead". */
char *fe_status(const char *root, const char *id, struct json_object *meta, pid_t *pid);
int fe_remove(struct cli_globals *g, const char *id, bool force, cn_error_t *err);
int fe_wait_exit(const char *root, const char *id, int timeout_ms, int *code, cn_error_t *err);

/* ---- events.c: root/.frontend/events.log, one JSON line per event ---- */
void fe_event_emit(const char *root, const char *id, const char *name, const char *image,
                   const char *action, int exit_code);

/* ---- commands ---- */
int fe_cmd_run(struct cli_globals *g, int argc, char **argv, cn_error_t *err);
int fe_cmd_ps(struct cli_globals *g, int argc, char **argv, cn_error_t *err);
int fe_cmd_stop(struct cli_globals *g, int argc, char **argv, cn_error_t *err);
int fe_cmd_rm(struct cli_globals *g, int argc, char **argv, cn_error_t *err);
int fe_cmd_logs(struct cli_globals *g, int argc, char **argv, cn_error_t *err);
int fe_cmd_wait(struct cli_globals *g, int argc, char **argv, cn_error_t *err);
int fe_cmd_inspect(struct cli_globals *g, int argc, char **argv, cn_error_t *err);
int fe_cmd_kill(struct cli_globals *g, int argc, char **argv, cn_error_t *err);
int fe_cmd_stats(struct cli_globals *g, int argc, char **argv, cn_error_t *err);
int fe_cmd_events(struct cli_globals *g, int argc, char **argv, cn_error_t *err);
int fe_cmd_limit(struct cli_globals *g, int argc, char **argv, cn_error_t *err);
int fe_cmd_images(struct cli_globals *g, int argc, char **argv, cn_error_t *err);
int fe_cmd_exec(struct cli_globals *g, int argc, char **argv, cn_error_t *err);
int fe_cmd_update(struct cli_globals *g, int argc, char **argv, cn_error_t *err);
/* pause/unpause on a name: the OCI command with the id. */
int fe_cmd_forward(struct cli_globals *g, int argc, char **argv, cn_error_t *err);
int fe_cmd_attach(struct cli_globals *g, int argc, char **argv, cn_error_t *err);
/* An attached terminal session; returns the container's status, or 0 when
   detached with keys. */
int fe_attach_session(struct cli_globals *g, const char *id, bool tty, bool with_stdin,
                      const char *keys, cn_error_t *err);
int fe_cmd_init(int argc, char **argv);

#endif
