/* What the cgroup drivers share behind cgroup.h.  A container's cgroup is a
   set of directories: one per mounted v1 controller (co-mounted controllers
   share one) and one in the cgroup2 hierarchy (pure v2, or the unified mount
   of a hybrid host).  Each resource key is routed to the hierarchy that holds
   its controller; a key no hierarchy can honour is an error naming it. */
#ifndef CINCH_CGROUP_INTERNAL_H
#define CINCH_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup/cgroup.h"

enum cg_ctrl {
  CG_CPU,
  CG_CPUACCT,
  CG_CPUSET,
  CG_MEMORY,
  CG_DEVICES,
  CG_FREEZER,
  CG_BLKIO,
  CG_PIDS,
  CG_HUGETLB,
  CG_NET_CLS,
  CG_NET_PRIO,
  CG_RDMA,
  CG_PERF_EVENT,
  CG__N
};

/* v1 controller name ("cpu") and the v2 name of the same resource ("io" for
   blkio), NULL when v2 has no such controller. */
const char *cg_ctrl_name(enum cg_ctrl c);
const char *cg_ctrl_v2_name(enum cg_ctrl c);

/* Where the hierarchies are mounted on this host. */
struct cg_mounts {
  enum cgroup_layout layout;
  char *v1_mount[CG__N]; /* mount point per v1 controller, NULL when not mounted */
  char *v1_root[CG__N];  /* the mount's root inside the hierarchy ("/" normally) */
  char *unified_mount;   /* NULL on pure v1 */
  char *unified_root;
  char **v2_controllers; /* cgroup.controllers of the unified mount root */
};

int cg_mounts_read(struct cg_mounts *m, cn_error_t *err);
void cg_mounts_clear(struct cg_mounts *m);
bool cg_v2_has(const struct cg_mounts *m, const char *ctrl);

struct cgroup {
  enum cgroup_layout layout;
  char *path;      /* the path inside each hierarchy as asked ("/cinch/x" or "x") */
  char *v1[CG__N]; /* absolute directory per mounted v1 controller */
  char *unified;   /* absolute directory in the cgroup2 hierarchy, NULL on pure v1 */
  char **v2_ctrls; /* controllers the unified directory can use (hybrid: hugetlb) */
  char **made;     /* directories this container created, parents first */
  int unified_fd;  /* O_PATH, opened lazily */
};

/* Per-hierarchy directories for a cgroupsPath (path.c).  Relative paths are
   taken from the runtime's own cgroup in each hierarchy, as runc does. */
int cg_resolve_paths(struct cgroup *cg, const struct cg_mounts *m, const char *id,
                     const char *cgroups_path, cn_error_t *err);
char *cg_own_cgroup(const char *hierarchy_key); /* "cpu" or "" for v2; NULL when unknown */

/* Which hierarchy honours a v1-controller-equivalent resource. */
enum cg_where { CG_NOWHERE, CG_IN_V1, CG_IN_V2 };
enum cg_where cg_where(const struct cgroup *cg, enum cg_ctrl c);

/* Checks every key without touching the host; errors name the key. */
int cg_validate(const struct cgroup *cg, const struct spec_resources *r, bool update,
                cn_error_t *err);

/* Value writers, one per controller and version; cg_apply (apply.c) routes
   each key to the hierarchy that holds its controller.  `update` is true for
   a live container (the update command). */
int cg_apply(struct cgroup *cg, const struct spec_resources *r, bool update, cn_error_t *err);
int cg_v1_memory(const char *dir, const struct spec_memory *m, bool update, cn_error_t *err);
int cg_v1_cpu(const char *dir, const struct spec_cpu *c, cn_error_t *err);
int cg_v1_cpuset(const char *dir, const struct spec_cpu *c, cn_error_t *err);
int cg_v1_pids(const char *dir, int64_t limit, cn_error_t *err);
int cg_v1_blkio(const char *dir, const struct spec_block_io *b, cn_error_t *err);
int cg_v1_hugetlb(const char *dir, const struct spec_resources *r, cn_error_t *err);
int cg_v1_network(const struct cgroup *cg, const struct spec_resources *r, cn_error_t *err);
int cg_rdma(const char *dir, const struct spec_resources *r, cn_error_t *err);
int cg_v2_memory(const char *dir, const struct spec_memory *m, bool update, cn_error_t *err);
int cg_v2_cpu(const char *dir, const struct spec_cpu *c, cn_error_t *err);
int cg_v2_cpuset(const char *dir, const struct spec_cpu *c, cn_error_t *err);
int cg_v2_pids(const char *dir, int64_t limit, cn_error_t *err);
int cg_v2_io(const char *dir, const struct spec_block_io *b, cn_error_t *err);
int cg_v2_hugetlb(const char *dir, const struct spec_resources *r, cn_error_t *err);
int cg_v2_unified(const char *dir, const struct spec_resources *r, cn_error_t *err);
/* "max" for -1 (any negative), "1" for 0, as runc (systemd cannot say 0). */
const char *cg_pids_value(int64_t limit, char buf[32]);
int cg_devices_v1_apply(const char *dir, const struct spec_resources *r, cn_error_t *err);
int cg_devices_bpf_apply(int dirfd, const struct spec_resources *r, cn_error_t *err);

/* The rule list cinch enforces: the config's rules, then runc's defaults. */
struct spec_device_rule *cg_device_rules(const struct spec_resources *r, size_t *n);
/* The BPF program for a rule list (exposed for unit tests); returns the
   instruction count, *insns malloc'd. */
size_t cg_devices_bpf_build(const struct spec_device_rule *rules, size_t n, void **insns);

/* Conversions (convert.c). */
uint64_t cg_shares_to_weight(uint64_t shares);
uint64_t cg_blkio_weight_to_io_weight(uint64_t w);
/* v2 memory.swap.max from OCI memory (limit) and swap (limit+swap); -1 is
   "max", sets *skip when nothing is to be written. */
int cg_swap_to_v2(int64_t limit, int64_t swap, int64_t *out, cn_error_t *err);
/* Parses a cpuset list "0-3,7" into a bitmask of up to 1024 entries. */
int cg_parse_cpuset(const char *s, uint64_t mask[16]);
/* "2MB" -> 2097152; 0 when not a size. */
uint64_t cg_hugepage_bytes(const char *page_size);

/* Removes the directories this container made, deepest first (rollback and
   destroy). */
void cg_rmdir_made(struct cgroup *cg);

/* Small helpers. */
void cg_sleep_ms(long ms);
int cg_write(const char *dir, const char *file, const char *val, cn_error_t *err);
int cg_read(const char *dir, const char *file, char **out, cn_error_t *err);
int cg_read_u64(const char *dir, const char *file, uint64_t *v, cn_error_t *err);
bool cg_file_exists(const char *dir, const char *file);
/* "key value" lines (memory.stat, cpu.stat, memory.events); 0 when absent. */
uint64_t cg_keyed(const char *text, const char *key);
/* Every distinct directory of cg (v1 ones and the unified one). */
size_t cg_dirs(const struct cgroup *cg, const char **out, size_t max);

#endif
