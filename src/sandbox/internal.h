/* Shared between the files of sandbox/ only.  Everything here runs in the
   container's processes (after clone3), except where a comment says the
   runtime calls it. */
#ifndef CINCH_SANDBOX_INTERNAL_H
#define CINCH_SANDBOX_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sandbox/sandbox.h"

/* ---- mount options (mountopts.c) ---- */

struct mount_opts {
  unsigned long flags;       /* MS_* for mount(2) */
  unsigned long clear;       /* MS_* explicitly cleared ("rw", "suid"...) */
  unsigned long propagation; /* MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE (| MS_REC) */
  uint64_t rec_set;          /* MOUNT_ATTR_* applied recursively ("rro"...) */
  uint64_t rec_clr;
  bool bind;
  bool recursive; /* rbind */
  char *data;     /* the filesystem-specific options, comma-joined; NULL when none */
};

/* Splits options into flags and data.  Unknown names become data, except for
   bind mounts, where an unknown name is an error (the kernel ignores data
   there, so it would be silently dropped). */
int mount_opts_parse(char *const *options, const char *type, struct mount_opts *out,
                     cn_error_t *err);
void mount_opts_clear(struct mount_opts *o);
bool mount_is_bind(const struct spec_mount *m);
/* "private", "rslave"... -> MS_* (| MS_REC); 0 when unknown. */
unsigned long mount_propagation_flag(const char *name);

/* ---- paths inside the rootfs (inroot.c) ---- */

/* Opens path (absolute, as seen in the container) below rootfd with every
   symlink resolved inside the root: O_PATH fd or -1 with errno. */
int inroot_open(int rootfd, const char *path, int flags);
/* Like inroot_open, creating the missing components as directories, and the
   last one as a directory (dir) or an empty file (!dir). */
int inroot_mkpath(int rootfd, const char *path, bool dir, cn_error_t *err);
/* "/proc/self/fd/N" in buf. */
const char *fd_path(char buf[static 32], int fd);

/* ---- namespaces.c ---- */
/* Joins the namespaces spec gives by path (user first); new ones except the
   cgroup namespace were made by clone3. */
int ns_join_paths(const struct spec *spec, cn_error_t *err);
/* The cgroup namespace is made after the runtime moved us into our cgroups,
   so the container's cgroup is its root. */
int ns_unshare_late(const struct spec *spec, cn_error_t *err);
bool ns_is_new(const struct spec *spec, enum spec_ns_type t);
bool ns_has(const struct spec *spec, enum spec_ns_type t);

/* ---- rootfs.c ---- */
struct rootfs_ctx {
  const struct spec *spec;
  const char *bundle;
  const char *rootfs;
  int rootfd; /* O_PATH of the rootfs once bind-mounted onto itself */
  bool userns;
  int sync_fd;     /* the runtime's second SYNC_CONTINUE says we are in our cgroups */
  bool in_cgroups; /* that message came and the cgroup namespace is made */
  const char *const *cgroup_dirs; /* sandbox_init's */
};
/* Waits (once) until the runtime has moved us into our cgroups, then makes
   the cgroup namespace.  The runtime's v1 attach waits out an RCU grace
   period, so the mounts that do not need it run meanwhile; a cgroup mount
   and the device nodes (the devices cgroup rules mknod) come after. */
int rootfs_join_cgroups(struct rootfs_ctx *r, cn_error_t *err);
int rootfs_prepare(struct rootfs_ctx *r, cn_error_t *err);
int rootfs_mounts(struct rootfs_ctx *r, cn_error_t *err);
int rootfs_pivot(struct rootfs_ctx *r, bool no_pivot, cn_error_t *err);
int rootfs_finish(const struct spec *spec, cn_error_t *err);
/* paths.c: hostname, domainname, sysctl, readonly and masked paths. */
int rootfs_environment(const struct spec *spec, cn_error_t *err);

/* ---- devices.c ---- */
int devices_setup(struct rootfs_ctx *r, bool terminal, cn_error_t *err);

/* ---- console.c ---- */
/* Makes a pty in the container's devpts, sends the master to
   console_socket_fd, makes the slave our stdio and controlling tty; with
   bind_console also mounts it onto /dev/console. */
int console_setup(const struct spec_process *p, int console_socket_fd, bool bind_console,
                  cn_error_t *err);

/* ---- caps.c ---- */
/* The caps this runtime may hand on at all (its own bounding set). */
uint64_t caps_runtime_bounding(void);
int caps_drop_bounding(const struct spec_caps *c, cn_error_t *err);
int caps_apply(const struct spec_caps *c, cn_error_t *err);
int caps_last_cap(void);

/* ---- seccomp.c ---- */
/* Built before the filter is loaded so that building can allocate freely. */
int seccomp_build(const struct spec_seccomp *s, void **ctx, cn_error_t *err);
int seccomp_load_ctx(void *ctx, cn_error_t *err);
void seccomp_release(void *ctx);
/* In the runtime: checks names, warns about syscalls this arch lacks. */
int seccomp_validate(const struct spec_seccomp *s, cn_error_t *err);

/* ---- process.c ---- */
struct process_ctx {
  const struct spec *spec; /* for the hostname/env defaults; may be NULL */
  const struct spec_process *p;
  int sync_fd;
  int preserve_fds;
  int keep_fd; /* one more fd to keep open while closing (console socket), -1 */
  char *exe;   /* resolved args[0] */
  char **env;  /* final environment */
  void *filter; /* the compiled seccomp filter, loaded by process_exec */
};
/* Before SYNC_READY: resolves the executable in the container, the cwd, env,
   and compiles the seccomp filter, so none of that waits in `start`. */
int process_prepare(struct process_ctx *pc, cn_error_t *err);
/* rlimits, oom score, keyring: needs the runtime's privileges. */
int process_limits(const struct spec_process *p, cn_error_t *err);
/* user, umask, caps, no_new_privs, seccomp, exec: does not return on success. */
int process_exec(struct process_ctx *pc, cn_error_t *err);
/* Empty signal mask, no ignored signals: what a fresh process starts with. */
void reset_signals(void);
/* Closes every fd above 2 except sync, preserved ones and keep. */
int close_other_fds(int preserve_fds, int keep1, int keep2, cn_error_t *err);

/* ---- hooks.c ---- */
/* state: the JSON the runtime sent; NULL or "" to build one here. */
int hooks_start_container(const struct sandbox_init *ctx, const char *state, cn_error_t *err);

/* ---- errors ---- */
_Noreturn void sandbox_fail(int sync_fd, cn_error_t *err);

#endif
