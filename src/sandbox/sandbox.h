/* Everything that happens inside the container's own processes: namespaces,
   user mappings, rootfs and mounts, devices, masked/readonly paths,
   capabilities, rlimits, no_new_privs, seccomp, the final exec.  Nothing here
   knows about the CLI or the state store. */
#ifndef CINCH_SANDBOX_H
#define CINCH_SANDBOX_H

#include <stdbool.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

/* Checks, in the runtime before anything is made, what can only be checked
   against this host: capability names the kernel lacks, seccomp syscall and
   arch names, mount options, a missing rootfs.  Errors name the field. */
int sandbox_validate(const struct spec *spec, const char *rootfs, cn_error_t *err);

/* The mount options sandbox/ understands (for `features`), NULL-terminated. */
const char *const *sandbox_mount_option_names(void);

/* The CLONE_NEW* flags clone3 must carry for spec's new namespaces. */
unsigned long sandbox_clone_flags(const struct spec *spec);

/* Runtime side, just before clone3: joins a pid namespace given by path and
   makes (with linux.timeOffsets) or joins the time namespace.  Both only
   affect children of the caller, hence the runtime does it. */
int sandbox_prepare_parent(const struct spec *spec, cn_error_t *err);

/* Runtime side, after clone3: writes uid_map/gid_map (and setgroups) of pid. */
int sandbox_write_id_maps(pid_t pid, const struct spec *spec, cn_error_t *err);

struct sandbox_init {
  const struct spec *spec;
  const char *bundle;    /* absolute */
  const char *rootfs;    /* absolute */
  int sync_fd;           /* util/sync.h protocol with the runtime */
  int start_fd;          /* exec fifo opened O_RDWR: init blocks reading it until `start` */
  int console_socket_fd; /* -1: none; else the pty master is sent here (SCM_RIGHTS) */
  int preserve_fds;      /* fds 3 .. 3+N-1 stay open */
  bool no_pivot;
  bool no_new_keyring;
  /* The cgroup directories the runtime moves the init into while it mounts
     (NULL-terminated; empty without cgroups).  A v1 cgroup mount without a
     cgroup namespace binds these and need not wait for the move.  NULL:
     unknown, so such a mount waits and reads /proc/self/cgroup. */
  const char *const *cgroup_dirs;
};

/* The container's init, right after clone3.  Protocol: wait SYNC_CONTINUE
   (maps and cgroup done); join namespaces by path; build the rootfs; send
   SYNC_CREATE_HOOKS and wait SYNC_CONTINUE; pivot_root and finish the
   environment; send SYNC_READY; block on start_fd; run startContainer hooks;
   apply the process (user, caps, rlimits, seccomp...) and exec args.
   Any failure is sent as SYNC_ERROR and the process exits 1. */
_Noreturn void sandbox_init_main(const struct sandbox_init *ctx);

struct sandbox_exec {
  const struct spec *spec;          /* the container's config */
  const struct spec_process *process;
  pid_t init_pid;                   /* namespaces are taken from here */
  int sync_fd;
  int console_socket_fd;
  int preserve_fds;
};

/* `exec`: a child made by the runtime (already in the pid namespace and the
   cgroup) joins the container's other namespaces, applies the process and
   execs.  Same failure reporting as sandbox_init_main. */
_Noreturn void sandbox_exec_main(const struct sandbox_exec *ctx);

#endif
