/* The OCI runtime configuration as C structs.

   Every producer of a container (config.json via spec_parse_*, or the docker
   front end's flags) fills these; everything below container/ consumes them.
   Optional scalars carry a has_ flag, so "absent" and "zero" stay distinct,
   which the cgroup drivers need (shares 0 is invalid, absent is "leave alone").
   Arrays are pointer + count.  Strings are owned, NUL-terminated, NULL when
   absent.  spec_free() releases everything. */
#ifndef CINCH_SPEC_H
#define CINCH_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

struct json_object;

struct spec_kv {
  char *key;
  char *value;
};

struct spec_id_map {
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
};

/* ---- process ---- */

struct spec_rlimit {
  int type; /* RLIMIT_* */
  uint64_t soft;
  uint64_t hard;
};

struct spec_user {
  uint32_t uid;
  uint32_t gid;
  bool has_umask;
  mode_t umask;
  uint32_t *additional_gids;
  size_t n_additional_gids;
  char *username; /* informational only */
};

/* Capability sets as bitmasks of CAP_* numbers.  Names are validated when
   parsed: an unknown name is an error naming the JSON path. */
struct spec_caps {
  uint64_t bounding;
  uint64_t effective;
  uint64_t inheritable;
  uint64_t permitted;
  uint64_t ambient;
};

struct spec_process {
  bool terminal;
  bool has_console_size;
  unsigned console_height;
  unsigned console_width;
  struct spec_user user;
  char **args; /* NULL-terminated */
  char **env;  /* NULL-terminated, "K=V" */
  char *cwd;
  bool has_caps;
  struct spec_caps caps;
  struct spec_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  char *apparmor_profile; /* refused when set: no AppArmor here */
  char *selinux_label;    /* refused when set */
  bool has_oom_score_adj;
  int oom_score_adj;
};

/* ---- mounts ---- */

struct spec_mount {
  char *destination;
  char *source;
  char *type;
  char **options; /* NULL-terminated, as written; sandbox/ interprets them */
  struct spec_id_map *uid_mappings;
  size_t n_uid_mappings;
  struct spec_id_map *gid_mappings;
  size_t n_gid_mappings;
};

/* ---- hooks ---- */

enum spec_hook_kind {
  SPEC_HOOK_PRESTART,
  SPEC_HOOK_CREATE_RUNTIME,
  SPEC_HOOK_CREATE_CONTAINER,
  SPEC_HOOK_START_CONTAINER,
  SPEC_HOOK_POSTSTART,
  SPEC_HOOK_POSTSTOP,
  SPEC_HOOK__MAX
};

struct spec_hook {
  char *path;
  char **args; /* NULL-terminated, may be NULL */
  char **env;  /* NULL-terminated, may be NULL */
  int timeout; /* seconds; 0 = none */
};

struct spec_hook_list {
  struct spec_hook *v;
  size_t n;
};

/* ---- linux ---- */

enum spec_ns_type {
  SPEC_NS_PID,
  SPEC_NS_NETWORK,
  SPEC_NS_MOUNT,
  SPEC_NS_IPC,
  SPEC_NS_UTS,
  SPEC_NS_USER,
  SPEC_NS_CGROUP,
  SPEC_NS_TIME,
  SPEC_NS__MAX
};

struct spec_namespace {
  enum spec_ns_type type;
  char *path; /* join this namespace; NULL = create a new one */
};

struct spec_time_offset {
  bool set;
  int64_t secs;
  uint32_t nanosecs;
};

struct spec_device {
  char *path;
  char type; /* 'c', 'b', 'u', 'p' */
  int64_t major;
  int64_t minor;
  bool has_file_mode;
  mode_t file_mode;
  bool has_uid;
  uint32_t uid;
  bool has_gid;
  uint32_t gid;
};

/* linux.resources.devices[]: major/minor -1 means wildcard. */
struct spec_device_rule {
  bool allow;
  char type; /* 'a', 'c', 'b' */
  int64_t major;
  int64_t minor;
  char access[4]; /* subset of "rwm" */
};

struct spec_weight_device {
  int64_t major;
  int64_t minor;
  bool has_weight;
  uint16_t weight;
  bool has_leaf_weight;
  uint16_t leaf_weight;
};

struct spec_throttle_device {
  int64_t major;
  int64_t minor;
  uint64_t rate;
};

struct spec_throttle_list {
  struct spec_throttle_device *v;
  size_t n;
};

struct spec_hugepage_limit {
  char *page_size; /* "2MB", "1GB" */
  uint64_t limit;
};

struct spec_net_priority {
  char *name;
  uint32_t priority;
};

struct spec_rdma {
  char *device;
  bool has_hca_handles;
  uint32_t hca_handles;
  bool has_hca_objects;
  uint32_t hca_objects;
};

struct spec_memory {
  bool has_limit;
  int64_t limit;
  bool has_reservation;
  int64_t reservation;
  bool has_swap;
  int64_t swap;
  bool has_kernel;
  int64_t kernel;
  bool has_kernel_tcp;
  int64_t kernel_tcp;
  bool has_swappiness;
  uint64_t swappiness;
  bool has_disable_oom_killer;
  bool disable_oom_killer;
  bool has_use_hierarchy;
  bool use_hierarchy;
  bool check_before_update;
};

struct spec_cpu {
  bool has_shares;
  uint64_t shares;
  bool has_quota;
  int64_t quota;
  bool has_burst;
  uint64_t burst;
  bool has_period;
  uint64_t period;
  bool has_realtime_runtime;
  int64_t realtime_runtime;
  bool has_realtime_period;
  uint64_t realtime_period;
  char *cpus;
  char *mems;
  bool has_idle;
  int64_t idle;
};

struct spec_block_io {
  bool has_weight;
  uint16_t weight;
  bool has_leaf_weight;
  uint16_t leaf_weight;
  struct spec_weight_device *weight_device;
  size_t n_weight_device;
  struct spec_throttle_list throttle_read_bps;
  struct spec_throttle_list throttle_write_bps;
  struct spec_throttle_list throttle_read_iops;
  struct spec_throttle_list throttle_write_iops;
};

/* The parser stores as absent the zeros runc reads as "not set" (cpu shares,
   quota, period, realtime runtime/period; memory limit, reservation, swap,
   kernel, kernelTCP; blockIO weight, leafWeight): Docker always sends shares 0
   and weight 0.  Empty cpus/mems strings are absent too.  pids.limit 0 is kept. */
struct spec_resources {
  struct spec_device_rule *devices;
  size_t n_devices;
  bool has_memory;
  struct spec_memory memory;
  bool has_cpu;
  struct spec_cpu cpu;
  bool has_pids;
  int64_t pids_limit;
  bool has_block_io;
  struct spec_block_io block_io;
  struct spec_hugepage_limit *hugepage_limits;
  size_t n_hugepage_limits;
  bool has_network;
  bool has_class_id;
  uint32_t class_id;
  struct spec_net_priority *net_priorities;
  size_t n_net_priorities;
  struct spec_rdma *rdma;
  size_t n_rdma;
  struct spec_kv *unified;
  size_t n_unified;
};

struct spec_seccomp_arg {
  unsigned index;
  uint64_t value;
  uint64_t value_two;
  char *op; /* "SCMP_CMP_EQ", ... validated by the parser */
};

struct spec_seccomp_syscall {
  char **names; /* NULL-terminated */
  char *action; /* "SCMP_ACT_ERRNO", ... validated by the parser */
  bool has_errno_ret;
  uint32_t errno_ret;
  struct spec_seccomp_arg *args;
  size_t n_args;
};

struct spec_seccomp {
  char *default_action;
  bool has_default_errno_ret;
  uint32_t default_errno_ret;
  char **architectures; /* NULL-terminated, "SCMP_ARCH_X86_64" */
  char **flags;         /* NULL-terminated, "SECCOMP_FILTER_FLAG_LOG" */
  char *listener_path;
  char *listener_metadata;
  struct spec_seccomp_syscall *syscalls;
  size_t n_syscalls;
};

struct spec_linux {
  struct spec_namespace *namespaces;
  size_t n_namespaces;
  struct spec_id_map *uid_mappings;
  size_t n_uid_mappings;
  struct spec_id_map *gid_mappings;
  size_t n_gid_mappings;
  struct spec_time_offset time_monotonic;
  struct spec_time_offset time_boottime;
  struct spec_device *devices;
  size_t n_devices;
  char *cgroups_path;
  bool has_resources;
  struct spec_resources resources;
  char *rootfs_propagation;
  char **masked_paths;   /* NULL-terminated */
  char **readonly_paths; /* NULL-terminated */
  char *mount_label;
  struct spec_kv *sysctl;
  size_t n_sysctl;
  bool has_seccomp;
  struct spec_seccomp seccomp;
};

struct spec {
  char *oci_version;
  char *root_path; /* as written: relative to the bundle or absolute */
  bool root_readonly;
  char *hostname;
  char *domainname;
  bool has_process;
  struct spec_process process;
  struct spec_mount *mounts;
  size_t n_mounts;
  struct spec_hook_list hooks[SPEC_HOOK__MAX];
  struct spec_kv *annotations;
  size_t n_annotations;
  bool has_linux;
  struct spec_linux linux_;
};

/* Parses config.json.  Errors carry the JSON path of the bad field:
   "linux.namespaces[2].type: unknown namespace \"foo\"".  Unknown keys are
   ignored (runtime-spec says so); known keys cinch cannot honour are refused. */
int spec_parse_file(const char *path, struct spec **out, cn_error_t *err);
int spec_parse_string(const char *json, struct spec **out, cn_error_t *err);
/* `exec --process FILE`: a process object alone. */
int spec_parse_process_file(const char *path, struct spec_process *out, cn_error_t *err);
/* `update --resources FILE|-`: a linux.resources object alone. */
int spec_parse_resources_string(const char *json, struct spec_resources *out, cn_error_t *err);

void spec_free(struct spec *s);
void spec_process_clear(struct spec_process *p);
void spec_resources_clear(struct spec_resources *r);

/* Name tables shared by the parser, the front end and features. */
const char *spec_ns_name(enum spec_ns_type t); /* "pid", "network", ... */
int spec_ns_from_name(const char *name);       /* "pid" -> SPEC_NS_PID, -1 unknown */
#define SPEC_CAP_LAST 40                       /* CAP_CHECKPOINT_RESTORE */
int spec_cap_from_name(const char *name);      /* "CAP_KILL" -> 5, -1 unknown */
const char *spec_cap_name(int cap);
int spec_rlimit_from_name(const char *name); /* "RLIMIT_NOFILE" -> RLIMIT_NOFILE */
const char *spec_rlimit_name(int type);

/* The seccomp vocabulary of the OCI config, NULL-name terminated, in the
   order features lists it.  value: actions are libseccomp's SCMP_ACT_* with a
   zero datum (OR in errnoRet), operators enum scmp_compare, archs
   SCMP_ARCH_*, flags the kernel's SECCOMP_FILTER_FLAG_* bits. */
struct spec_name_value {
  const char *name;
  uint64_t value;
};
extern const struct spec_name_value spec_seccomp_actions[];
extern const struct spec_name_value spec_seccomp_operators[];
extern const struct spec_name_value spec_seccomp_archs[];
extern const struct spec_name_value spec_seccomp_flags[];
/* The entry named `name`, or NULL. */
const struct spec_name_value *spec_name_lookup(const struct spec_name_value *table,
                                               const char *name);

/* Whether this host has the LSM enabled (the parser refuses profiles and
   labels either way; `features` reports these). */
bool spec_host_has_apparmor(void);
bool spec_host_has_selinux(void);

/* The default config.json of `cinch spec` (runc's defaults), as JSON text. */
char *spec_default_json(bool rootless);

static inline void spec_freep(struct spec **s)
{
  if (*s)
    spec_free(*s);
}
#define _cleanup_spec_ __attribute__((cleanup(spec_freep)))

#endif
