/* `events`: runc's JSON lines.  With --stats one stats object; otherwise a
   stats object every interval and an {"type":"oom"} line for each OOM kill
   (woken by the cgroup's OOM watch fd), until the container is gone. */
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cli/common.h"
#include "container/container.h"
#include "util/cleanup.h"
#include "util/fs.h"

static const char usage[]
    = "Usage: cinch events [--stats] [--interval DURATION] CONTAINER_ID\n\n"
      "Print the container's events as JSON lines: resource stats every interval\n"
      "and OOM kills as they happen, until the container is gone.\n\n"
      "  --stats            print the stats once and exit\n"
      "  --interval D       stats interval, e.g. 500ms, 5s, 1m (default 5s)\n";

/* Go's time.ParseDuration for the units people use: "1m30s", "250ms". */
static int parse_duration(const char *s, long long *ms, cn_error_t *err)
{
  double total = 0;
  const char *p = s;
  if (!*p)
    return cn_error_set(err, EINVAL, "--interval: empty duration");
  while (*p) {
    char *end;
    double v = strtod(p, &end);
    if (end == p || v < 0)
      return cn_error_set(err, EINVAL, "--interval: invalid duration \"%s\"", s);
    p = end;
    static const struct {
      const char *u;
      double ms;
    } units[] = { { "ns", 1e-6 }, { "us", 1e-3 }, { "µs", 1e-3 }, { "ms", 1 },
                  { "s", 1e3 },   { "m", 6e4 },   { "h", 3.6e6 } };
    size_t i;
    for (i = 0; i < sizeof units / sizeof *units; i++)
      if (strncmp(p, units[i].u, strlen(units[i].u)) == 0
          && !(units[i].u[0] == 'm' && units[i].u[1] == '\0' && p[1] == 's'))
        break;
    if (i == sizeof units / sizeof *units)
      return cn_error_set(err, EINVAL, "--interval: invalid duration \"%s\" (missing unit)", s);
    total += v * units[i].ms;
    p += strlen(units[i].u);
  }
  if (total < 1)
    return cn_error_set(err, EINVAL, "--interval: duration \"%s\" must be at least 1ms", s);
  *ms = (long long)total;
  return 0;
}

static void emit(const char *type, const char *id, json_object *data)
{
  json_object *j = json_object_new_object();
  json_object_object_add(j, "type", json_object_new_string(type));
  json_object_object_add(j, "id", json_object_new_string(id));
  if (data)
    json_object_object_add(j, "data", data);
  printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
  fflush(stdout);
  json_object_put(j);
}

static int emit_stats(struct container *ct, cn_error_t *err)
{
  json_object *data = NULL;
  if (cgroup_stats(ct->cgroup, &data, err) < 0)
    return -1;
  emit("stats", ct->id, data);
  return 0;
}

static bool gone(struct container *ct)
{
  _cleanup_free_ char *state = xasprintf("%s/state.json", ct->dir);
  return !cn_path_exists(state) || container_status(ct) == CONTAINER_STOPPED;
}

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Reports kills the counter shows beyond what was reported already (an
   eventfd wake on v1 or a memory.events change on v2 is only a hint). */
static void report_ooms(struct container *ct, uint64_t *seen)
{
  uint64_t n = 0;
  cn_error_t e = NULL;
  if (cgroup_oom_kills(ct->cgroup, &n, &e) < 0) {
    cn_error_release(&e);
    return;
  }
  for (; *seen < n; (*seen)++)
    emit("oom", ct->id, NULL);
}

int cli_events(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  static const struct option opts[] = { { "stats", no_argument, 0, 's' },
                                        { "interval", required_argument, 0, 'i' },
                                        { "help", no_argument, 0, 'h' },
                                        { 0, 0, 0, 0 } };
  bool once = false;
  long long interval = 5000;
  int c;
  while ((c = cli_getopt(g, argc, argv, "h", opts, err)) != -1) {
    if (c == '?')
      return -1;
    if (c == 'h') {
      cli_usage(usage);
      return 0;
    }
    if (c == 's')
      once = true;
    if (c == 'i' && parse_duration(optarg, &interval, err) < 0)
      return -1;
  }
  if (cli_args_between(argc, argv, optind, 1, 1, "events", err) < 0)
    return -1;
  _cleanup_container_ struct container *ct = NULL;
  if (container_load(g->root, argv[optind], &ct, err) < 0)
    return -1;
  if (!ct->cgroup)
    return cn_error_set(err, EINVAL, "container %s has no cgroup", ct->id);
  if (once)
    return emit_stats(ct, err) < 0 ? -1 : 0;
  if (container_status(ct) == CONTAINER_STOPPED)
    return cn_error_set(err, EINVAL, "container %s is not running", ct->id);

  _cleanup_close_ int oomfd = -1;
  cn_error_t e = NULL;
  if (cgroup_oom_watch(ct->cgroup, &oomfd, &e) < 0)
    cn_error_release(&e); /* no memory controller: stats only */
  /* runc reports kills that happened before events started too. */
  uint64_t seen = 0;
  report_ooms(ct, &seen);
  long long next = now_ms() + interval;
  if (emit_stats(ct, err) < 0)
    return -1;
  for (;;) {
    long long wait = next - now_ms();
    /* Poll at least every 200 ms to notice the container going away. */
    struct pollfd p = { .fd = oomfd, .events = POLLIN };
    int r = poll(&p, oomfd >= 0 ? 1 : 0, (int)(wait < 0 ? 0 : wait > 200 ? 200 : wait));
    if (r < 0 && errno != EINTR)
      return cn_error_errno(err, errno, "poll");
    if (r > 0) {
      char buf[4096];
      while (read(oomfd, buf, sizeof buf) > 0)
        ;
    }
    /* The v1 eventfd fires when the OOM starts, before the kill is counted:
       the counter is checked on every turn, not only on a wake. */
    report_ooms(ct, &seen);
    if (gone(ct)) {
      report_ooms(ct, &seen);
      return 0;
    }
    if (now_ms() >= next) {
      next += interval;
      cn_error_t se = NULL;
      if (emit_stats(ct, &se) < 0) {
        /* The cgroup went away between the checks: the container is gone. */
        cn_error_release(&se);
        return 0;
      }
    }
  }
}
