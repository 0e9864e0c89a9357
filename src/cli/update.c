/* `update`: change a live container's resources.  The flags (or -r FILE|-,
   the linux.resources JSON that dockerd sends) are merged into the stored
   config's linux.resources, the merged object is parsed and applied, and the
   stored config is rewritten so `state`, later updates and delete see it. */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cli/common.h"
#include "container/container.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

static const char usage[]
    = "Usage: cinch update [OPTIONS] CONTAINER_ID\n\n"
      "Update the resource limits of a container.\n\n"
      "  -r, --resources FILE      linux.resources JSON from FILE, or - for stdin; other flags\n"
      "                            are then ignored\n"
      "  --memory BYTES            memory limit (k, m, g suffixes; -1 unlimited)\n"
      "  --memory-reservation B    memory soft limit\n"
      "  --memory-swap BYTES       memory+swap limit (-1 unlimited)\n"
      "  --cpu-period US           CFS period\n"
      "  --cpu-quota US            CFS quota (-1 unlimited)\n"
      "  --cpu-share N             CPU shares (relative weight)\n"
      "  --cpu-burst US            CFS burst\n"
      "  --cpu-idle 0|1            SCHED_IDLE for the cgroup\n"
      "  --cpu-rt-period US        real-time period (cgroup v1)\n"
      "  --cpu-rt-runtime US       real-time runtime (cgroup v1)\n"
      "  --cpuset-cpus LIST        CPUs allowed (0-3,7)\n"
      "  --cpuset-mems LIST        memory nodes allowed\n"
      "  --blkio-weight N          block I/O weight (10-1000)\n"
      "  --pids-limit N            maximum number of pids (-1 unlimited)\n";

enum {
  O_MEMORY = 0x100,
  O_MEMRES,
  O_MEMSWAP,
  O_PERIOD,
  O_QUOTA,
  O_SHARE,
  O_BURST,
  O_IDLE,
  O_RTPERIOD,
  O_RTRUNTIME,
  O_CPUS,
  O_MEMS,
  O_BLKIO,
  O_PIDS,
  O_KMEM,
  O_KMEMTCP,
  O_L3,
  O_MEMBW,
};

/* go-units RAMInBytes: a decimal number, an optional space and a binary
   suffix (b k m g t p, optionally followed by b or ib). */
static int parse_bytes(const char *flag, const char *s, int64_t *out, cn_error_t *err)
{
  if (strcmp(s, "-1") == 0) {
    *out = -1;
    return 0;
  }
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || errno || v < 0 || !isfinite(v) || *s == '-' || *s == '+')
    return cn_error_set(err, EINVAL, "invalid value for --%s \"%s\": invalid size", flag, s);
  if (*end == ' ')
    end++;
  double mul = 1;
  if (*end) {
    const char *units = "bkmgtp";
    const char *u = strchr(units, (char)tolower((unsigned char)*end));
    if (!u)
      return cn_error_set(err, EINVAL, "invalid value for --%s \"%s\": invalid suffix '%s'", flag,
                          s, end);
    mul = ldexp(1, 10 * (int)(u - units));
    end++;
    if (strcasecmp(end, "ib") == 0 || strcasecmp(end, "b") == 0)
      end += strlen(end);
    if (*end)
      return cn_error_set(err, EINVAL, "invalid value for --%s \"%s\": invalid suffix '%s'", flag,
                          s, end);
  }
  double b = v * mul;
  if (b > 9.2e18)
    return cn_error_set(err, EINVAL, "invalid value for --%s: '%s' is too large", flag, s);
  *out = (int64_t)b;
  return 0;
}

static int parse_int(const char *flag, const char *s, int64_t lo, int64_t *out, cn_error_t *err)
{
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (end == s || *end || errno || v < lo)
    return cn_error_set(err, EINVAL, "invalid value for --%s: \"%s\"%s", flag, s,
                        lo >= 0 ? " (must be a non-negative integer)" : "");
  *out = v;
  return 0;
}

static json_object *section(json_object *res, const char *name)
{
  json_object *o;
  if (!json_object_object_get_ex(res, name, &o)) {
    o = json_object_new_object();
    json_object_object_add(res, name, o);
  }
  return o;
}

/* Objects merge key by key; anything else replaces. */
static void merge(json_object *dst, json_object *src)
{
  json_object_object_foreach(src, k, v)
  {
    json_object *d;
    if (json_object_is_type(v, json_type_object) && json_object_object_get_ex(dst, k, &d)
        && json_object_is_type(d, json_type_object))
      merge(d, v);
    else
      json_object_object_add(dst, k, json_object_get(v));
  }
}

static int read_resources(const char *file, char **text, cn_error_t *err)
{
  if (strcmp(file, "-") != 0)
    return cn_read_file(file, text, NULL, err) < 0 ? cn_error_wrap(err, "--resources") : 0;
  size_t cap = 4096, n = 0;
  char *buf = xmalloc(cap);
  ssize_t r;
  while ((r = read(0, buf + n, cap - n - 1)) != 0) {
    if (r < 0) {
      if (errno == EINTR)
        continue;
      free(buf);
      return cn_error_errno(err, errno, "--resources -: read stdin");
    }
    n += (size_t)r;
    if (n + 1 >= cap)
      buf = xrealloc(buf, cap *= 2);
  }
  buf[n] = '\0';
  *text = buf;
  return 0;
}

static int flag_to_json(int c, const char *arg, json_object *res, cn_error_t *err)
{
  int64_t v = 0;
  json_object *mem = NULL, *cpu = NULL;
  const char *name = NULL;
  switch (c) {
  case O_MEMORY:
  case O_MEMRES:
  case O_MEMSWAP: {
    const char *flag = c == O_MEMORY   ? "memory"
                       : c == O_MEMRES ? "memory-reservation"
                                       : "memory-swap";
    if (parse_bytes(flag, arg, &v, err) < 0)
      return -1;
    mem = section(res, "memory");
    name = c == O_MEMORY ? "limit" : c == O_MEMRES ? "reservation" : "swap";
    json_object_object_add(mem, name, json_object_new_int64(v));
    return 0;
  }
  case O_PERIOD:
  case O_SHARE:
  case O_BURST:
  case O_RTPERIOD: {
    static const char *const flags[] = { "cpu-period", "cpu-share", "cpu-burst", "cpu-rt-period" };
    static const char *const keys[] = { "period", "shares", "burst", "realtimePeriod" };
    int i = c == O_PERIOD ? 0 : c == O_SHARE ? 1 : c == O_BURST ? 2 : 3;
    if (parse_int(flags[i], arg, 0, &v, err) < 0)
      return -1;
    json_object_object_add(section(res, "cpu"), keys[i], json_object_new_int64(v));
    return 0;
  }
  case O_QUOTA:
  case O_RTRUNTIME:
  case O_IDLE: {
    const char *flag = c == O_QUOTA ? "cpu-quota" : c == O_IDLE ? "cpu-idle" : "cpu-rt-runtime";
    if (parse_int(flag, arg, INT64_MIN, &v, err) < 0)
      return -1;
    cpu = section(res, "cpu");
    json_object_object_add(cpu,
                           c == O_QUOTA  ? "quota"
                           : c == O_IDLE ? "idle"
                                         : "realtimeRuntime",
                           json_object_new_int64(v));
    return 0;
  }
  case O_CPUS:
  case O_MEMS:
    json_object_object_add(section(res, "cpu"), c == O_CPUS ? "cpus" : "mems",
                           json_object_new_string(arg));
    return 0;
  case O_BLKIO:
    if (parse_int("blkio-weight", arg, 0, &v, err) < 0)
      return -1;
    if (v > 65535)
      return cn_error_set(err, EINVAL, "invalid value for --blkio-weight: \"%s\"", arg);
    json_object_object_add(section(res, "blockIO"), "weight", json_object_new_int64(v));
    return 0;
  case O_PIDS:
    if (parse_int("pids-limit", arg, INT64_MIN, &v, err) < 0)
      return -1;
    json_object_object_add(section(res, "pids"), "limit", json_object_new_int64(v));
    return 0;
  case O_KMEM:
  case O_KMEMTCP:
    cn_warn("--%s is obsolete and ignored", c == O_KMEM ? "kernel-memory" : "kernel-memory-tcp");
    return 0;
  case O_L3:
  case O_MEMBW:
    return cn_error_set(err, ENOTSUP, "--%s: Intel RDT is not supported by cinch",
                        c == O_L3 ? "l3-cache-schema" : "mem-bw-schema");
  }
  return 0;
}

static const struct option opts[] = { { "resources", required_argument, 0, 'r' },
                                      { "memory", required_argument, 0, O_MEMORY },
                                      { "memory-reservation", required_argument, 0, O_MEMRES },
                                      { "memory-swap", required_argument, 0, O_MEMSWAP },
                                      { "cpu-period", required_argument, 0, O_PERIOD },
                                      { "cpu-quota", required_argument, 0, O_QUOTA },
                                      { "cpu-share", required_argument, 0, O_SHARE },
                                      { "cpu-burst", required_argument, 0, O_BURST },
                                      { "cpu-idle", required_argument, 0, O_IDLE },
                                      { "cpu-rt-period", required_argument, 0, O_RTPERIOD },
                                      { "cpu-rt-runtime", required_argument, 0, O_RTRUNTIME },
                                      { "cpuset-cpus", required_argument, 0, O_CPUS },
                                      { "cpuset-mems", required_argument, 0, O_MEMS },
                                      { "blkio-weight", required_argument, 0, O_BLKIO },
                                      { "pids-limit", required_argument, 0, O_PIDS },
                                      { "kernel-memory", required_argument, 0, O_KMEM },
                                      { "kernel-memory-tcp", required_argument, 0, O_KMEMTCP },
                                      { "l3-cache-schema", required_argument, 0, O_L3 },
                                      { "mem-bw-schema", required_argument, 0, O_MEMBW },
                                      { "help", no_argument, 0, 'h' },
                                      { 0, 0, 0, 0 } };

static void json_putp(json_object **j)
{
  if (*j)
    json_object_put(*j);
}

int cli_update(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  __attribute__((cleanup(json_putp))) json_object *upd = json_object_new_object();
  const char *res_file = NULL;
  int c;
  while ((c = cli_getopt(g, argc, argv, "r:h", opts, err)) != -1) {
    if (c == '?')
      return -1;
    if (c == 'h') {
      cli_usage(usage);
      return 0;
    }
    if (c == 'r')
      res_file = optarg;
    else if (flag_to_json(c, optarg, upd, err) < 0)
      return -1;
  }
  if (cli_args_between(argc, argv, optind, 1, 1, "update", err) < 0)
    return -1;
  const char *id = argv[optind];

  if (res_file) {
    _cleanup_free_ char *text = NULL;
    if (read_resources(res_file, &text, err) < 0)
      return -1;
    /* Parsed alone first, so errors are about what the caller sent. */
    struct spec_resources probe = { 0 };
    if (spec_parse_resources_string(text, &probe, err) < 0)
      return cn_error_wrap(err, "--resources %s", res_file);
    spec_resources_clear(&probe);
    json_object_put(upd);
    upd = json_tokener_parse(text);
    if (!upd || !json_object_is_type(upd, json_type_object))
      return cn_error_set(err, EINVAL, "--resources %s: not a JSON object", res_file);
  }

  _cleanup_container_ struct container *ct = NULL;
  if (container_load(g->root, id, &ct, err) < 0)
    return -1;
  enum container_status st = container_status(ct);
  if (st == CONTAINER_STOPPED)
    return cn_error_set(err, EINVAL, "cannot update container %s: it is stopped", id);
  if (!ct->cgroup)
    return cn_error_set(err, EINVAL, "cannot update container %s: it has no cgroup", id);

  _cleanup_free_ char *cfg_path = xasprintf("%s/config.json", ct->dir);
  __attribute__((cleanup(json_putp))) json_object *cfg = json_object_from_file(cfg_path);
  if (!cfg)
    return cn_error_set(err, EIO, "read %s: %s", cfg_path, json_util_get_last_err());
  json_object *linux_ = section(cfg, "linux");
  json_object *res = section(linux_, "resources");
  merge(res, upd);

  struct spec_resources merged = { 0 };
  if (spec_parse_resources_string(json_object_to_json_string(res), &merged, err) < 0)
    return -1;
  int r = cgroup_update(ct->cgroup, &merged, err);
  spec_resources_clear(&merged);
  if (r < 0)
    return -1;

  const char *text = json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PLAIN);
  if (cn_write_file_atomic(cfg_path, text, strlen(text), 0600, err) < 0)
    return -1;
  return container_save(ct, err) < 0 ? -1 : 0;
}
