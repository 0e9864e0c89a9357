/* Docker's run flags: syntax checks as the docker CLI does them (with its
   "invalid argument" messages) and the daemon's range checks (with its
   messages), so people see the errors they already know. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "frontend/fe.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strv.h"

enum {
  O_CPUS = 0x100,
  O_CPU_PERIOD,
  O_CPU_QUOTA,
  O_CPU_RT_PERIOD,
  O_CPU_RT_RUNTIME,
  O_CPUSET_CPUS,
  O_CPUSET_MEMS,
  O_MEMORY_SWAP,
  O_MEMORY_RESERVATION,
  O_MEMORY_SWAPPINESS,
  O_KERNEL_MEMORY,
  O_OOM_KILL_DISABLE,
  O_OOM_SCORE_ADJ,
  O_PIDS_LIMIT,
  O_BLKIO_WEIGHT,
  O_BLKIO_WEIGHT_DEVICE,
  O_READ_BPS,
  O_WRITE_BPS,
  O_READ_IOPS,
  O_WRITE_IOPS,
  O_RESERVE_CPU,
  O_ULIMIT,
  O_SHM_SIZE,
  O_CAP_ADD,
  O_CAP_DROP,
  O_PRIVILEGED,
  O_SECURITY_OPT,
  O_READ_ONLY,
  O_GROUP_ADD,
  O_USERNS,
  O_PID,
  O_IPC,
  O_UTS,
  O_NETWORK,
  O_CGROUPNS,
  O_TMPFS,
  O_MOUNT,
  O_ENV_FILE,
  O_ENTRYPOINT,
  O_INIT,
  O_DEVICE,
  O_NAME,
  O_RM,
  O_DRY_RUN,
  O_SYSCTL,
  O_HELP,
  O_DETACH,
  O_INTERACTIVE,
  O_TTY,
};

#define RES_OPTS                                                                                   \
  { "cpus", required_argument, 0, O_CPUS }, { "cpu-period", required_argument, 0, O_CPU_PERIOD },  \
      { "cpu-quota", required_argument, 0, O_CPU_QUOTA },                                          \
      { "cpu-rt-period", required_argument, 0, O_CPU_RT_PERIOD },                                  \
      { "cpu-rt-runtime", required_argument, 0, O_CPU_RT_RUNTIME },                                \
      { "cpu-shares", required_argument, 0, 'c' },                                                 \
      { "cpuset-cpus", required_argument, 0, O_CPUSET_CPUS },                                      \
      { "cpuset-mems", required_argument, 0, O_CPUSET_MEMS },                                      \
      { "memory", required_argument, 0, 'm' },                                                     \
      { "memory-swap", required_argument, 0, O_MEMORY_SWAP },                                      \
      { "memory-reservation", required_argument, 0, O_MEMORY_RESERVATION },                        \
      { "memory-swappiness", required_argument, 0, O_MEMORY_SWAPPINESS },                          \
      { "kernel-memory", required_argument, 0, O_KERNEL_MEMORY },                                  \
      { "oom-kill-disable", optional_argument, 0, O_OOM_KILL_DISABLE },                            \
      { "pids-limit", required_argument, 0, O_PIDS_LIMIT },                                        \
      { "blkio-weight", required_argument, 0, O_BLKIO_WEIGHT },                                    \
      { "blkio-weight-device", required_argument, 0, O_BLKIO_WEIGHT_DEVICE },                      \
      { "device-read-bps", required_argument, 0, O_READ_BPS },                                     \
      { "device-write-bps", required_argument, 0, O_WRITE_BPS },                                   \
      { "device-read-iops", required_argument, 0, O_READ_IOPS },                                   \
      { "limit-cpu", required_argument, 0, O_CPUS },                                               \
      { "limit-memory", required_argument, 0, 'm' },                                               \
      { "reserve-memory", required_argument, 0, O_MEMORY_RESERVATION },                            \
      { "reserve-cpu", required_argument, 0, O_RESERVE_CPU },                                      \
  {                                                                                                \
    "device-write-iops", required_argument, 0, O_WRITE_IOPS                                        \
  }

static const struct option run_opts[] = {
  RES_OPTS,
  { "oom-score-adj", required_argument, 0, O_OOM_SCORE_ADJ },
  { "ulimit", required_argument, 0, O_ULIMIT },
  { "shm-size", required_argument, 0, O_SHM_SIZE },
  { "cap-add", required_argument, 0, O_CAP_ADD },
  { "cap-drop", required_argument, 0, O_CAP_DROP },
  { "privileged", optional_argument, 0, O_PRIVILEGED },
  { "security-opt", required_argument, 0, O_SECURITY_OPT },
  { "read-only", optional_argument, 0, O_READ_ONLY },
  { "user", required_argument, 0, 'u' },
  { "group-add", required_argument, 0, O_GROUP_ADD },
  { "userns", required_argument, 0, O_USERNS },
  { "pid", required_argument, 0, O_PID },
  { "ipc", required_argument, 0, O_IPC },
  { "uts", required_argument, 0, O_UTS },
  { "network", required_argument, 0, O_NETWORK },
  { "net", required_argument, 0, O_NETWORK },
  { "cgroupns", required_argument, 0, O_CGROUPNS },
  { "hostname", required_argument, 0, 'h' },
  { "tmpfs", required_argument, 0, O_TMPFS },
  { "volume", required_argument, 0, 'v' },
  { "mount", required_argument, 0, O_MOUNT },
  { "env", required_argument, 0, 'e' },
  { "env-file", required_argument, 0, O_ENV_FILE },
  { "workdir", required_argument, 0, 'w' },
  { "entrypoint", required_argument, 0, O_ENTRYPOINT },
  { "init", optional_argument, 0, O_INIT },
  { "device", required_argument, 0, O_DEVICE },
  { "name", required_argument, 0, O_NAME },
  { "rm", optional_argument, 0, O_RM },
  { "detach", optional_argument, 0, O_DETACH },
  { "interactive", optional_argument, 0, O_INTERACTIVE },
  { "tty", optional_argument, 0, O_TTY },
  { "label", required_argument, 0, 'l' },
  { "sysctl", required_argument, 0, O_SYSCTL },
  { "dry-run", no_argument, 0, O_DRY_RUN },
  { "help", no_argument, 0, O_HELP },
  { 0, 0, 0, 0 },
};

static const struct option res_opts[] = {
  RES_OPTS,
  { "help", no_argument, 0, O_HELP },
  { 0, 0, 0, 0 },
};

/* The flag as docker's usage names it, for "invalid argument" messages. */
static const char *flag_name(const struct option *opts, int c)
{
  static char buf[64];
  for (const struct option *o = opts; o->name; o++)
    if (o->val == c) {
      if (c < 0x100 && isalpha(c))
        snprintf(buf, sizeof buf, "-%c, --%s", c, o->name);
      else
        snprintf(buf, sizeof buf, "--%s", o->name);
      return buf;
    }
  return "?";
}

static int bad_arg(cn_error_t *err, const struct option *opts, int c, const char *val)
{
  return cn_error_wrap(err, "invalid argument \"%s\" for \"%s\" flag", val, flag_name(opts, c));
}

static int parse_int(const char *s, int64_t *out, cn_error_t *err)
{
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (*s == '\0' || *end != '\0' || isspace((unsigned char)*s))
    return cn_error_set(err, EINVAL, "strconv.ParseInt: parsing \"%s\": invalid syntax", s);
  if (errno == ERANGE)
    return cn_error_set(err, ERANGE, "strconv.ParseInt: parsing \"%s\": value out of range", s);
  *out = v;
  return 0;
}

static int parse_bool(const char *s, bool *out, cn_error_t *err)
{
  if (s == NULL || strcmp(s, "1") == 0 || strcasecmp(s, "true") == 0 || strcmp(s, "t") == 0) {
    *out = true;
    return 0;
  }
  if (strcmp(s, "0") == 0 || strcasecmp(s, "false") == 0 || strcmp(s, "f") == 0) {
    *out = false;
    return 0;
  }
  return cn_error_set(err, EINVAL, "strconv.ParseBool: parsing \"%s\": invalid syntax", s);
}

/* "/dev/sda:VALUE" -> "maj:min VALUE" after stat(2), as the daemon does. */
static int device_pair(const char *arg, const char *path, uint64_t value, char ***list,
                       cn_error_t *err)
{
  (void)arg;
  struct stat st;
  if (stat(path, &st) < 0)
    return cn_error_errno(err, errno, "stat %s", path);
  if (!S_ISBLK(st.st_mode) && !S_ISCHR(st.st_mode))
    return cn_error_set(err, EINVAL, "%s is not a device", path);
  _cleanup_free_ char *s = xasprintf("%u:%u %" PRIu64, major(st.st_rdev), minor(st.st_rdev), value);
  cn_strv_push(list, s);
  return 0;
}

static int split_device(const char *val, char **path, const char **rest, cn_error_t *err)
{
  const char *colon = strchr(val, ':');
  if (colon == NULL)
    return cn_error_set(err, EINVAL, "bad format: %s", val);
  *path = strndup(val, (size_t)(colon - val));
  if (strncmp(*path, "/dev/", 5) != 0) {
    free(*path);
    *path = NULL;
    return cn_error_set(err, EINVAL, "bad format for device path: %s", val);
  }
  *rest = colon + 1;
  return 0;
}

static int parse_weight_device(const char *val, char ***list, cn_error_t *err)
{
  _cleanup_free_ char *path = NULL;
  const char *w = NULL;
  if (split_device(val, &path, &w, err) < 0)
    return -1;
  char *end = NULL;
  errno = 0;
  unsigned long v = strtoul(w, &end, 10);
  if (!isdigit((unsigned char)*w) || *end || errno || v > 65535 || (v > 0 && (v < 10 || v > 1000)))
    return cn_error_set(err, EINVAL, "invalid weight for device: %s", val);
  return device_pair(val, path, v, list, err);
}

static int parse_throttle(const char *val, bool bps, char ***list, cn_error_t *err)
{
  _cleanup_free_ char *path = NULL;
  const char *r = NULL;
  if (split_device(val, &path, &r, err) < 0)
    return -1;
  int64_t rate = 0;
  _cleanup_error_ cn_error_t ignored = NULL;
  bool ok;
  if (bps) {
    ok = fe_parse_bytes(r, &rate, &ignored) == 0 && rate >= 0;
  } else {
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(r, &end, 10);
    ok = isdigit((unsigned char)*r) && *end == '\0' && errno == 0;
    rate = (int64_t)v;
  }
  if (!ok)
    return cn_error_set(err, EINVAL,
                        "invalid rate for device: %s. The correct format is "
                        "<device-path>:<number>%s. Number must be a positive integer%s",
                        val, bps ? "[<unit>]" : "",
                        bps ? ". Unit is optional and can be kb, mb, or gb" : "");
  return device_pair(val, path, (uint64_t)rate, list, err);
}

static const char *const ulimit_names[]
    = { "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
        "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack",    NULL };

static int parse_ulimit(const char *val, char ***list, cn_error_t *err)
{
  const char *eq = strchr(val, '=');
  if (eq == NULL)
    return cn_error_set(err, EINVAL, "invalid ulimit argument: %s", val);
  _cleanup_free_ char *name = strndup(val, (size_t)(eq - val));
  bool known = false;
  for (size_t i = 0; ulimit_names[i]; i++)
    known |= strcmp(ulimit_names[i], name) == 0;
  if (!known)
    return cn_error_set(err, EINVAL, "invalid ulimit type: %s", name);
  const char *vals = eq + 1;
  const char *c1 = strchr(vals, ':');
  if (c1 && strchr(c1 + 1, ':'))
    return cn_error_set(err, EINVAL,
                        "too many limit value arguments - %s, can only have up to two, "
                        "`soft[:hard]`",
                        vals);
  _cleanup_free_ char *soft_s = c1 ? strndup(vals, (size_t)(c1 - vals)) : xstrdup(vals);
  int64_t soft = 0, hard = 0;
  if (parse_int(soft_s, &soft, err) < 0)
    return -1;
  hard = soft;
  if (c1 && parse_int(c1 + 1, &hard, err) < 0)
    return -1;
  if (soft > hard && hard != -1)
    return cn_error_set(err, EINVAL,
                        "ulimit soft limit must be less than or equal to hard limit: %" PRId64
                        " > %" PRId64,
                        soft, hard);
  for (char *p = name; *p; p++)
    *p = (char)toupper((unsigned char)*p);
  _cleanup_free_ char *s
      = xasprintf("RLIMIT_%s %" PRIu64 " %" PRIu64, name, soft < 0 ? UINT64_MAX : (uint64_t)soft,
                  hard < 0 ? UINT64_MAX : (uint64_t)hard);
  for (char **u = *list; u && *u; u++)
    if (strncmp(*u, s, strlen(name) + 8) == 0 && (*u)[strlen(name) + 7] == ' ') {
      free(*u);
      *u = xstrdup(s);
      return 0;
    }
  cn_strv_push(list, s);
  return 0;
}

/* One resource flag; returns 1 when c is not a resource flag. */
static int res_flag(struct fe_resources *res, const struct option *opts, int c, const char *val,
                    cn_error_t *err)
{
  int r = 0;
  switch (c) {
  case O_CPUS:
    r = fe_parse_nanocpus(val, &res->nano_cpus, err);
    break;
  case O_CPU_PERIOD:
    r = parse_int(val, &res->cpu_period, err);
    break;
  case O_CPU_QUOTA:
    r = parse_int(val, &res->cpu_quota, err);
    break;
  case O_CPU_RT_PERIOD:
    r = parse_int(val, &res->cpu_rt_period, err);
    break;
  case O_CPU_RT_RUNTIME:
    r = parse_int(val, &res->cpu_rt_runtime, err);
    break;
  case 'c':
    r = parse_int(val, &res->cpu_shares, err);
    break;
  case O_CPUSET_CPUS:
    free(res->cpuset_cpus);
    res->cpuset_cpus = xstrdup(val);
    break;
  case O_CPUSET_MEMS:
    free(res->cpuset_mems);
    res->cpuset_mems = xstrdup(val);
    break;
  case 'm':
    r = fe_parse_bytes(val, &res->memory, err);
    break;
  case O_MEMORY_SWAP:
    res->has_memory_swap = true;
    if (strcmp(val, "-1") == 0)
      res->memory_swap = -1;
    else
      r = fe_parse_bytes(val, &res->memory_swap, err);
    break;
  case O_MEMORY_RESERVATION:
    r = fe_parse_bytes(val, &res->memory_reservation, err);
    break;
  case O_MEMORY_SWAPPINESS:
    r = parse_int(val, &res->memory_swappiness, err);
    if (r == 0 && res->memory_swappiness != -1
        && (res->memory_swappiness < 0 || res->memory_swappiness > 100))
      return cn_error_set(err, EINVAL,
                          "invalid value: %" PRId64 ". Valid memory swappiness range is 0-100",
                          res->memory_swappiness);
    break;
  case O_KERNEL_MEMORY:
    r = fe_parse_bytes(val, &res->kernel_memory, err);
    break;
  case O_OOM_KILL_DISABLE:
    r = parse_bool(val, &res->oom_kill_disable, err);
    break;
  case O_PIDS_LIMIT:
    res->has_pids = true;
    r = parse_int(val, &res->pids_limit, err);
    break;
  case O_BLKIO_WEIGHT:
    r = parse_int(val, &res->blkio_weight, err);
    if (r == 0 && (res->blkio_weight < 0 || res->blkio_weight > 65535))
      r = cn_error_set(err, ERANGE, "strconv.ParseUint: parsing \"%s\": value out of range", val);
    break;
  case O_BLKIO_WEIGHT_DEVICE:
    r = parse_weight_device(val, &res->weight_devices, err);
    break;
  case O_READ_BPS:
    r = parse_throttle(val, true, &res->read_bps, err);
    break;
  case O_WRITE_BPS:
    r = parse_throttle(val, true, &res->write_bps, err);
    break;
  case O_READ_IOPS:
    r = parse_throttle(val, false, &res->read_iops, err);
    break;
  case O_WRITE_IOPS:
    r = parse_throttle(val, false, &res->write_iops, err);
    break;
  case O_RESERVE_CPU: {
    /* `docker service create --reserve-cpu` only guides swarm's scheduler;
       compose's reservations.cpus is ignored the same way. */
    int64_t ignored = 0;
    r = fe_parse_nanocpus(val, &ignored, err);
    if (r == 0)
      cn_warn("--reserve-cpu only guides a scheduler; it sets no cgroup limit and is ignored");
    break;
  }
  default:
    return 1;
  }
  if (r < 0)
    return bad_arg(err, opts, c, val);
  return 0;
}

static int security_opt(struct fe_run *r, const char *val, cn_error_t *err)
{
  const char *sep = strchr(val, '=');
  if (sep == NULL && strchr(val, ':') && strcmp(val, "no-new-privileges") != 0) {
    cn_warn("security-opt: using \":\" as a separator is deprecated; use \"=\"");
    sep = strchr(val, ':');
  }
  size_t klen = sep ? (size_t)(sep - val) : strlen(val);
  const char *v = sep ? sep + 1 : NULL;
  if (strncmp(val, "no-new-privileges", klen) == 0 && klen == 17) {
    if (parse_bool(v, &r->no_new_privs, err) < 0)
      return cn_error_set(err, EINVAL, "invalid --security-opt 2: \"%s\"", val);
    return 0;
  }
  if (klen == 7 && strncmp(val, "seccomp", 7) == 0 && v && *v) {
    free(r->seccomp);
    r->seccomp = strcmp(v, "builtin") == 0 ? NULL : xstrdup(v);
    return 0;
  }
  if (klen == 11 && strncmp(val, "systempaths", 11) == 0 && v && strcmp(v, "unconfined") == 0) {
    r->systempaths_unconfined = true;
    return 0;
  }
  /* No AppArmor or SELinux here: only the values that mean "none" pass. */
  if (klen == 8 && strncmp(val, "apparmor", 8) == 0 && v && strcmp(v, "unconfined") == 0)
    return 0;
  if (klen == 5 && strncmp(val, "label", 5) == 0 && v
      && (strcmp(v, "disable") == 0 || strcmp(v, "disabled") == 0))
    return 0;
  if (klen == 16 && strncmp(val, "writable-cgroups", 16) == 0)
    return 0;
  return cn_error_set(err, EINVAL, "invalid --security-opt: \"%s\"", val);
}

static int ns_mode(char **dst, const char *flag, const char *val, const char *const *ok,
                   cn_error_t *err)
{
  for (size_t i = 0; ok[i]; i++)
    if (strcmp(ok[i], val) == 0) {
      free(*dst);
      *dst = xstrdup(val);
      return 0;
    }
  return cn_error_set(err, EINVAL, "--%s: invalid %s mode \"%s\" (cinch supports: %s%s%s)", flag,
                      strcmp(flag, "network") == 0 ? "network" : "namespace", val, ok[0],
                      ok[1] ? ", " : "", ok[1] ? ok[1] : "");
}

int fe_run_parse(struct cli_globals *g, int argc, char **argv, struct fe_run *r, cn_error_t *err)
{
  r->res.memory_swappiness = -1;
  static const char *const ns_host[] = { "", "private", "host", NULL };
  static const char *const ipc_modes[] = { "", "private", "host", "none", "shareable", NULL };
  static const char *const net_modes[] = { "none", "host", NULL };
  static const char *const cgns_modes[] = { "private", "host", NULL };
  for (;;) {
    int c = cli_getopt(g, argc, argv, "+c:m:u:h:v:e:w:l:dit", run_opts, err);
    if (c == -1)
      break;
    if (c == '?')
      return -1;
    const char *val = optarg;
    int rr = res_flag(&r->res, run_opts, c, val, err);
    if (rr < 0)
      return -1;
    if (rr == 0)
      continue;
    int x = 0;
    switch (c) {
    case O_HELP:
      return 1;
    case O_OOM_SCORE_ADJ:
      if (parse_int(val, &r->oom_score_adj, err) < 0)
        return bad_arg(err, run_opts, c, val);
      break;
    case O_ULIMIT:
      if (parse_ulimit(val, &r->ulimits, err) < 0)
        return bad_arg(err, run_opts, c, val);
      break;
    case O_SHM_SIZE:
      if (fe_parse_bytes(val, &r->shm_size, err) < 0)
        return bad_arg(err, run_opts, c, val);
      break;
    case O_CAP_ADD:
      cn_strv_push(&r->cap_add, val);
      break;
    case O_CAP_DROP:
      cn_strv_push(&r->cap_drop, val);
      break;
    case O_PRIVILEGED:
      x = parse_bool(val, &r->privileged, err);
      break;
    case O_SECURITY_OPT:
      if (security_opt(r, val, err) < 0)
        return -1;
      break;
    case O_READ_ONLY:
      x = parse_bool(val, &r->read_only, err);
      break;
    case 'u':
      free(r->user);
      r->user = xstrdup(val);
      break;
    case O_GROUP_ADD:
      cn_strv_push(&r->group_add, val);
      break;
    case O_USERNS:
      if (strcmp(val, "") != 0 && strcmp(val, "host") != 0 && strcmp(val, "remap") != 0)
        return cn_error_set(err, EINVAL, "--userns: invalid USER mode");
      free(r->userns);
      r->userns = xstrdup(val);
      break;
    case O_PID:
      if (ns_mode(&r->pid_mode, "pid", val, ns_host, err) < 0)
        return -1;
      break;
    case O_IPC:
      if (ns_mode(&r->ipc_mode, "ipc", val, ipc_modes, err) < 0)
        return -1;
      break;
    case O_UTS:
      if (ns_mode(&r->uts_mode, "uts", val, ns_host, err) < 0)
        return -1;
      break;
    case O_NETWORK:
      if (ns_mode(&r->network, "network", val, net_modes, err) < 0)
        return -1;
      break;
    case O_CGROUPNS:
      if (ns_mode(&r->cgroupns, "cgroupns", val, cgns_modes, err) < 0)
        return -1;
      break;
    case 'h':
      free(r->hostname);
      r->hostname = xstrdup(val);
      break;
    case O_TMPFS:
      if (val[0] != '/')
        return cn_error_set(err, EINVAL, "invalid mount path: '%s' mount path must be absolute",
                            val);
      cn_strv_push(&r->tmpfs, val);
      break;
    case 'v':
      cn_strv_push(&r->volumes, val);
      break;
    case O_MOUNT:
      cn_strv_push(&r->mounts, val);
      break;
    case 'e':
      cn_strv_push(&r->env, val);
      break;
    case O_ENV_FILE:
      cn_strv_push(&r->env_files, val);
      break;
    case 'w':
      if (val[0] != '/')
        return cn_error_set(
            err, EINVAL, "the working directory '%s' is invalid, it needs to be an absolute path",
            val);
      free(r->workdir);
      r->workdir = xstrdup(val);
      break;
    case O_ENTRYPOINT:
      free(r->entrypoint);
      r->entrypoint = xstrdup(val);
      r->has_entrypoint = true;
      break;
    case O_INIT:
      x = parse_bool(val, &r->init, err);
      break;
    case O_DEVICE:
      cn_strv_push(&r->devices, val);
      break;
    case O_NAME:
      free(r->name);
      r->name = xstrdup(val);
      break;
    case O_RM:
      x = parse_bool(val, &r->rm, err);
      break;
    case 'd':
    case O_DETACH:
      x = parse_bool(c == 'd' ? NULL : val, &r->detach, err);
      break;
    case 'i':
    case O_INTERACTIVE:
      x = parse_bool(c == 'i' ? NULL : val, &r->interactive, err);
      break;
    case 't':
    case O_TTY:
      x = parse_bool(c == 't' ? NULL : val, &r->tty, err);
      break;
    case 'l':
      cn_strv_push(&r->labels, val);
      break;
    case O_SYSCTL:
      if (strchr(val, '=') == NULL)
        return cn_error_set(err, EINVAL,
                            "invalid argument \"%s\" for \"--sysctl\" flag: "
                            "sysctl '%s' is not allowed",
                            val, val);
      cn_strv_push(&r->sysctls, val);
      break;
    case O_DRY_RUN:
      r->dry_run = true;
      break;
    default:
      return cn_error_set(err, EINVAL, "unknown flag");
    }
    if (x < 0)
      return bad_arg(err, run_opts, c, val);
  }
  if (optind >= argc)
    return cn_error_set(err, EINVAL,
                        "\"run\" requires at least 1 argument.\n"
                        "See 'cinch run --help'.");
  r->image = xstrdup(argv[optind++]);
  r->args = cn_strv_dup(argv + optind);
  if (r->uts_mode && strcmp(r->uts_mode, "host") == 0 && r->hostname)
    return cn_error_set(err, EINVAL, "conflicting options: hostname and the UTS mode");
  if (r->userns && strcmp(r->userns, "remap") == 0 && r->privileged)
    return cn_error_set(err, EINVAL,
                        "privileged mode is incompatible with user namespaces.  You must run the "
                        "container in the host namespace when running privileged mode");
  if (r->shm_size < 0)
    return cn_error_set(err, EINVAL, "SHM size can not be less than 0");
  if (r->oom_score_adj < -1000 || r->oom_score_adj > 1000)
    return cn_error_set(err, EINVAL,
                        "Invalid value %" PRId64 ", range for oom score adj is [-1000, 1000]",
                        r->oom_score_adj);
  return fe_resources_validate(&r->res, false, err);
}

int fe_resources_parse(struct cli_globals *g, int argc, char **argv, struct fe_resources *res,
                       int *next, cn_error_t *err)
{
  res->memory_swappiness = -1;
  for (;;) {
    int c = cli_getopt(g, argc, argv, "+c:m:", res_opts, err);
    if (c == -1)
      break;
    if (c == '?')
      return -1;
    if (c == O_HELP)
      return 1;
    if (res_flag(res, res_opts, c, optarg, err) < 0)
      return -1;
  }
  *next = optind;
  return 0;
}

/* "0-3,7" -> bitmap; false when malformed. */
static bool parse_cpulist(const char *s, uint64_t *bits)
{
  *bits = 0;
  if (*s == '\0')
    return false;
  while (*s) {
    char *end = NULL;
    if (!isdigit((unsigned char)*s))
      return false;
    unsigned long a = strtoul(s, &end, 10), b = a;
    if (*end == '-') {
      if (!isdigit((unsigned char)end[1]))
        return false;
      b = strtoul(end + 1, &end, 10);
    }
    if (b < a || b >= 64)
      return b < 64 ? false : (*bits = ~0ULL, true);
    for (unsigned long i = a; i <= b; i++)
      *bits |= 1ULL << i;
    if (*end == ',')
      end++;
    else if (*end)
      return false;
    s = end;
  }
  return true;
}

static int check_cpuset(const char *req, const char *what, const char *avail_file,
                        const char *cap_word, cn_error_t *err)
{
  uint64_t want = 0, have = 0;
  if (!parse_cpulist(req, &want))
    return cn_error_set(err, EINVAL, "Invalid value %s for cpuset %s", req, what);
  _cleanup_free_ char *avail = NULL;
  _cleanup_error_ cn_error_t ignored = NULL;
  if (cn_read_file(avail_file, &avail, NULL, &ignored) < 0)
    return 0;
  avail[strcspn(avail, "\n")] = '\0';
  if (parse_cpulist(avail, &have) && (want & ~have))
    return cn_error_set(err, EINVAL, "Requested %s are not available - requested %s, available: %s",
                        cap_word, req, avail);
  return 0;
}

static int online_cpus(void)
{
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    return CPU_COUNT(&set);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

static bool rt_supported(void)
{
  return access("/sys/fs/cgroup/cpu/cpu.rt_runtime_us", F_OK) == 0
         || access("/sys/fs/cgroup/cpu,cpuacct/cpu.rt_runtime_us", F_OK) == 0;
}

static bool v2_controller(const char *name);

/* v1: memsw files exist only with swap accounting.  v2: every non-root
   memory cgroup has memory.swap.max when the kernel has swap at all. */
static bool swap_limit_supported(void)
{
  if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
    return v2_controller("memory") && access("/proc/swaps", F_OK) == 0;
  return access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) == 0;
}

static bool v2_controller(const char *name)
{
  _cleanup_free_ char *s = NULL;
  _cleanup_error_ cn_error_t e = NULL;
  if (cn_read_file("/sys/fs/cgroup/cgroup.controllers", &s, NULL, &e) < 0)
    return false;
  for (char *save = NULL, *t = strtok_r(s, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
    if (strcmp(t, name) == 0)
      return true;
  return false;
}

/* Like dockerd, a setting this host's cgroups cannot hold is dropped with a
   warning rather than failing the run. */
static void discard_unsupported(struct fe_resources *res)
{
  bool v2 = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
  if (v2 && res->memory_swappiness != -1) {
    cn_warn("Your kernel does not support memory swappiness capabilities or the cgroup is not "
            "mounted. Memory swappiness discarded.");
    res->memory_swappiness = -1;
  }
  if (v2 && res->oom_kill_disable) {
    cn_warn("Your kernel does not support OomKillDisable. OomKillDisable discarded.");
    res->oom_kill_disable = false;
  }
  bool weight = v2 ? v2_controller("io")
                   : access("/sys/fs/cgroup/blkio/blkio.weight", F_OK) == 0
                         || access("/sys/fs/cgroup/blkio/blkio.bfq.weight", F_OK) == 0;
  if (!weight && res->blkio_weight > 0) {
    cn_warn("Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight "
            "discarded.");
    res->blkio_weight = 0;
  }
  if (!weight && res->weight_devices) {
    cn_warn("Your kernel does not support Block I/O weight_device or the cgroup is not mounted. "
            "Weight-device discarded.");
    cn_strv_free(res->weight_devices);
    res->weight_devices = NULL;
  }
}

int fe_resources_validate(struct fe_resources *res, bool update, cn_error_t *err)
{
  const int64_t min_mem = 6291456;
  if (res->memory != 0 && res->memory < min_mem)
    return cn_error_set(err, EINVAL, "Minimum memory limit allowed is 6MB");
  if (res->memory > 0 && res->memory_swap > 0 && res->memory_swap < res->memory)
    return cn_error_set(err, EINVAL,
                        "Minimum memoryswap limit should be larger than memory limit, see usage");
  if (res->memory == 0 && res->memory_swap > 0 && !update)
    return cn_error_set(err, EINVAL,
                        "You should always set the Memory limit when using Memoryswap limit, see "
                        "usage");
  if (res->memory_swappiness != -1 && (res->memory_swappiness < 0 || res->memory_swappiness > 100))
    return cn_error_set(err, EINVAL,
                        "Invalid value: %" PRId64 ", valid memory swappiness range is 0-100",
                        res->memory_swappiness);
  if (res->memory_reservation > 0 && res->memory_reservation < min_mem)
    return cn_error_set(err, EINVAL, "Minimum memory reservation allowed is 6MB");
  if (res->memory > 0 && res->memory_reservation > 0 && res->memory < res->memory_reservation)
    return cn_error_set(err, EINVAL,
                        "Minimum memory limit can not be less than memory reservation limit, see "
                        "usage");
  if (res->kernel_memory)
    cn_warn("--kernel-memory is deprecated and ignored: the kernel no longer limits kernel "
            "memory separately");
  if (res->oom_kill_disable && res->memory == 0)
    cn_warn("OOM killer is disabled for the container, but no memory limit is set, this can "
            "result in the system running out of resources.");
  int ncpu = online_cpus();
  if (res->nano_cpus && res->cpu_period)
    return cn_error_set(err, EINVAL,
                        "Conflicting options: Nano CPUs and CPU Period cannot both be set");
  if (res->nano_cpus && res->cpu_quota > 0)
    return cn_error_set(err, EINVAL,
                        "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  if (res->nano_cpus < 0 || res->nano_cpus > (int64_t)ncpu * 1000000000)
    return cn_error_set(err, EINVAL,
                        "range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available",
                        ncpu, ncpu);
  if (res->cpu_shares < 0)
    return cn_error_set(err, EINVAL,
                        "invalid CPU shares (%" PRId64 "): value must be a positive "
                        "integer",
                        res->cpu_shares);
  if (res->cpu_period != 0 && (res->cpu_period < 1000 || res->cpu_period > 1000000))
    return cn_error_set(err, EINVAL,
                        "CPU cfs period can not be less than 1ms (i.e. 1000) or larger "
                        "than 1s (i.e. 1000000)");
  if (res->cpu_quota > 0 && res->cpu_quota < 1000)
    return cn_error_set(err, EINVAL, "CPU cfs quota can not be less than 1ms (i.e. 1000)");
  if (res->cpuset_cpus
      && check_cpuset(res->cpuset_cpus, "cpus", "/sys/devices/system/cpu/online", "CPUs", err) < 0)
    return -1;
  if (res->cpuset_mems
      && check_cpuset(res->cpuset_mems, "mems", "/sys/devices/system/node/online", "memory nodes",
                      err)
             < 0)
    return -1;
  if ((res->cpu_rt_period || res->cpu_rt_runtime) && !rt_supported())
    return cn_error_set(err, EINVAL, "kernel does not support CPU real-time scheduler");
  if (res->cpu_rt_period && res->cpu_rt_runtime > res->cpu_rt_period)
    return cn_error_set(err, EINVAL,
                        "cpu real-time runtime cannot be higher than cpu real-time period");
  if (res->blkio_weight > 0 && (res->blkio_weight < 10 || res->blkio_weight > 1000))
    return cn_error_set(err, EINVAL, "Range of blkio weight is from 10 to 1000");
  /* Create-time defaults (docker's adaptContainerSettings). */
  if (!update && res->memory > 0 && (!res->has_memory_swap || res->memory_swap == 0)) {
    res->memory_swap = res->memory * 2;
    res->has_memory_swap = true;
  }
  if (res->memory > 0 && res->has_memory_swap && res->memory_swap != -1
      && !swap_limit_supported()) {
    cn_warn("Your kernel does not support swap limit capabilities or the cgroup is not mounted. "
            "Memory limited without swap.");
    res->memory_swap = -1;
  }
  if (res->has_pids && res->pids_limit <= 0 && !update)
    res->has_pids = false;
  discard_unsupported(res);
  return 0;
}

static void throttle_json(struct json_object *bio, const char *key, char *const *list,
                          const char *valkey)
{
  if (list == NULL || *list == NULL)
    return;
  struct json_object *a = json_object_new_array();
  for (; *list; list++) {
    unsigned maj = 0, min = 0;
    unsigned long long v = 0;
    if (sscanf(*list, "%u:%u %llu", &maj, &min, &v) != 3)
      continue;
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "major", json_object_new_int64(maj));
    json_object_object_add(o, "minor", json_object_new_int64(min));
    json_object_object_add(o, valkey, json_object_new_uint64(v));
    json_object_array_add(a, o);
  }
  json_object_object_add(bio, key, a);
}

struct json_object *fe_resources_json(const struct fe_resources *res)
{
  struct json_object *r = json_object_new_object();
  struct json_object *mem = json_object_new_object();
  if (res->memory > 0)
    json_object_object_add(mem, "limit", json_object_new_int64(res->memory));
  if (res->memory_reservation > 0)
    json_object_object_add(mem, "reservation", json_object_new_int64(res->memory_reservation));
  if (res->has_memory_swap && res->memory_swap > 0)
    json_object_object_add(mem, "swap", json_object_new_int64(res->memory_swap));
  if (res->memory_swappiness >= 0)
    json_object_object_add(mem, "swappiness", json_object_new_int64(res->memory_swappiness));
  if (res->oom_kill_disable)
    json_object_object_add(mem, "disableOOMKiller", json_object_new_boolean(true));
  if (json_object_object_length(mem))
    json_object_object_add(r, "memory", mem);
  else
    json_object_put(mem);

  struct json_object *cpu = json_object_new_object();
  if (res->cpu_shares > 0)
    json_object_object_add(cpu, "shares", json_object_new_int64(res->cpu_shares));
  if (res->nano_cpus > 0) {
    json_object_object_add(cpu, "quota",
                           json_object_new_int64(res->nano_cpus * 100000 / 1000000000));
    json_object_object_add(cpu, "period", json_object_new_int64(100000));
  }
  if (res->cpu_quota != 0)
    json_object_object_add(cpu, "quota", json_object_new_int64(res->cpu_quota));
  if (res->cpu_period != 0)
    json_object_object_add(cpu, "period", json_object_new_int64(res->cpu_period));
  if (res->cpu_rt_period)
    json_object_object_add(cpu, "realtimePeriod", json_object_new_int64(res->cpu_rt_period));
  if (res->cpu_rt_runtime)
    json_object_object_add(cpu, "realtimeRuntime", json_object_new_int64(res->cpu_rt_runtime));
  if (res->cpuset_cpus && *res->cpuset_cpus)
    json_object_object_add(cpu, "cpus", json_object_new_string(res->cpuset_cpus));
  if (res->cpuset_mems && *res->cpuset_mems)
    json_object_object_add(cpu, "mems", json_object_new_string(res->cpuset_mems));
  if (json_object_object_length(cpu))
    json_object_object_add(r, "cpu", cpu);
  else
    json_object_put(cpu);

  if (res->has_pids) {
    struct json_object *p = json_object_new_object();
    json_object_object_add(p, "limit", json_object_new_int64(res->pids_limit));
    json_object_object_add(r, "pids", p);
  }

  struct json_object *bio = json_object_new_object();
  if (res->blkio_weight > 0)
    json_object_object_add(bio, "weight", json_object_new_int64(res->blkio_weight));
  throttle_json(bio, "weightDevice", res->weight_devices, "weight");
  throttle_json(bio, "throttleReadBpsDevice", res->read_bps, "rate");
  throttle_json(bio, "throttleWriteBpsDevice", res->write_bps, "rate");
  throttle_json(bio, "throttleReadIOPSDevice", res->read_iops, "rate");
  throttle_json(bio, "throttleWriteIOPSDevice", res->write_iops, "rate");
  if (json_object_object_length(bio))
    json_object_object_add(r, "blockIO", bio);
  else
    json_object_put(bio);
  return r;
}

void fe_resources_clear(struct fe_resources *res)
{
  free(res->cpuset_cpus);
  free(res->cpuset_mems);
  cn_strv_free(res->weight_devices);
  cn_strv_free(res->read_bps);
  cn_strv_free(res->write_bps);
  cn_strv_free(res->read_iops);
  cn_strv_free(res->write_iops);
  memset(res, 0, sizeof *res);
}

void fe_run_clear(struct fe_run *r)
{
  fe_resources_clear(&r->res);
  char **strvs[]
      = { r->ulimits, r->cap_add,   r->cap_drop, r->group_add, r->tmpfs,   r->volumes, r->mounts,
          r->env,     r->env_files, r->devices,  r->labels,    r->sysctls, r->args };
  for (size_t i = 0; i < sizeof strvs / sizeof *strvs; i++)
    cn_strv_free(strvs[i]);
  char *strs[]
      = { r->seccomp,  r->user,     r->userns,  r->pid_mode,   r->ipc_mode, r->uts_mode, r->network,
          r->cgroupns, r->hostname, r->workdir, r->entrypoint, r->name,     r->image };
  for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
    free(strs[i]);
  memset(r, 0, sizeof *r);
}
