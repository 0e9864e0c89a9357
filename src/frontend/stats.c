/* `cinch stats`: Docker's columns computed with Docker's formulas
   (stats_helpers.go) from cgroup_stats():
     CPU %     = Δcontainer_ns / Δsystem_ns × online CPUs × 100, where the
                 system time is the first 7 fields of /proc/stat's cpu line
                 in clock ticks × 1e9/100;
     MEM USAGE = usage − inactive_file (when smaller), LIMIT capped at RAM;
     BLOCK I/O = Σ io_service_bytes Read / Write;  PIDS = pids.current.
   Each figure comes from two samples one second apart. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "container/container.h"
#include "frontend/fe.h"
#include "util/strv.h"

struct sample {
  char *id, *name;
  bool ok;
  uint64_t cpu_ns, sys_ns;
  uint64_t mem, limit;
  uint64_t blk_r, blk_w, pids, net_rx, net_tx;
  int ncpu;
};

static uint64_t system_ns(void)
{
  FILE *f = fopen("/proc/stat", "re");
  if (f == NULL)
    return 0;
  unsigned long long v[7] = { 0 };
  int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                 &v[5], &v[6]);
  fclose(f);
  uint64_t sum = 0;
  for (int i = 0; i < n && i < 7; i++)
    sum += v[i];
  return sum * (1000000000ULL / 100);
}

static int online_cpus(void)
{
  FILE *f = fopen("/proc/stat", "re");
  int n = 0;
  char line[512];
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "cpu", 3) == 0 && line[3] >= '0' && line[3] <= '9')
      n++;
  if (f)
    fclose(f);
  return n > 0 ? n : (int)sysconf(_SC_NPROCESSORS_ONLN);
}

static uint64_t jget(struct json_object *o, const char *path)
{
  _cleanup_free_ char *p = xstrdup(path);
  char *save = NULL;
  for (char *k = strtok_r(p, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
    if (!json_object_object_get_ex(o, k, &o))
      return 0;
  return o ? (uint64_t)json_object_get_uint64(o) : 0;
}

static void net_of(pid_t pid, uint64_t *rx, uint64_t *tx)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/net/dev", (int)pid);
  FILE *f = fopen(path, "re");
  char line[512];
  while (f && fgets(line, sizeof line, f)) {
    char *colon = strchr(line, ':');
    if (colon == NULL)
      continue;
    *colon = '\0';
    char *ifn = line;
    while (*ifn == ' ')
      ifn++;
    if (strcmp(ifn, "lo") == 0)
      continue;
    unsigned long long r = 0, t = 0, skip;
    if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &r, &skip, &skip, &skip,
               &skip, &skip, &skip, &skip, &t)
        == 9) {
      *rx += r;
      *tx += t;
    }
  }
  if (f)
    fclose(f);
}

static void take(const char *root, struct sample *s)
{
  s->ok = false;
  _cleanup_container_ struct container *c = NULL;
  _cleanup_error_ cn_error_t e = NULL;
  if (container_load(root, s->id, &c, &e) < 0 || c->cgroup == NULL)
    return;
  _cleanup_(json_object_putp) struct json_object *d = NULL;
  if (cgroup_stats(c->cgroup, &d, &e) < 0)
    return;
  s->sys_ns = system_ns();
  s->cpu_ns = jget(d, "cpu.usage.total");
  s->ncpu = online_cpus();
  uint64_t usage = jget(d, "memory.usage.usage");
  uint64_t inactive = jget(d, "memory.raw.total_inactive_file");
  if (inactive == 0)
    inactive = jget(d, "memory.raw.inactive_file");
  s->mem = inactive < usage ? usage - inactive : usage;
  s->limit = jget(d, "memory.usage.limit");
  struct sysinfo si;
  if (sysinfo(&si) == 0) {
    uint64_t ram = (uint64_t)si.totalram * si.mem_unit;
    if (s->limit == 0 || s->limit > ram)
      s->limit = ram;
  }
  s->pids = jget(d, "pids.current");
  s->blk_r = s->blk_w = 0;
  struct json_object *b = NULL, *arr = NULL;
  if (json_object_object_get_ex(d, "blkio", &b)
      && json_object_object_get_ex(b, "ioServiceBytesRecursive", &arr))
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
      struct json_object *x = json_object_array_get_idx(arr, i), *op;
      if (!json_object_object_get_ex(x, "op", &op))
        continue;
      char c0 = json_object_get_string(op)[0];
      if (c0 == 'r' || c0 == 'R')
        s->blk_r += jget(x, "value");
      else if (c0 == 'w' || c0 == 'W')
        s->blk_w += jget(x, "value");
    }
  s->net_rx = s->net_tx = 0;
  net_of(c->pid, &s->net_rx, &s->net_tx);
  s->ok = true;
}

static double cpu_percent(const struct sample *a, const struct sample *b)
{
  if (!a->ok || !b->ok || b->cpu_ns <= a->cpu_ns || b->sys_ns <= a->sys_ns)
    return 0.0;
  return (double)(b->cpu_ns - a->cpu_ns) / (double)(b->sys_ns - a->sys_ns) * b->ncpu * 100.0;
}

static const char stats_usage[]
    = "Usage: cinch stats [--no-stream] [--format json] [CONTAINER...]\n\n"
      "Live resource usage of running front-end containers, with Docker's columns\n"
      "and formulas: CPU %, MEM USAGE / LIMIT, MEM %, NET I/O, BLOCK I/O, PIDS.\n"
      "The table refreshes every second until interrupted.\n"
      "  -a, --all          include stopped containers\n"
      "      --no-stream    print one sample (taken over one second) and exit\n"
      "      --format json  one JSON object per container and sample\n";

static void print_row(const struct sample *prev, const struct sample *cur, bool json)
{
  double cpu = cpu_percent(prev, cur);
  double memp = cur->ok && cur->limit ? (double)cur->mem / (double)cur->limit * 100.0 : 0.0;
  _cleanup_free_ char *mu = fe_format_bytes((double)cur->mem);
  _cleanup_free_ char *ml = fe_format_bytes((double)cur->limit);
  _cleanup_free_ char *br = fe_format_decimal((double)cur->blk_r);
  _cleanup_free_ char *bw = fe_format_decimal((double)cur->blk_w);
  _cleanup_free_ char *nr = fe_format_decimal((double)cur->net_rx);
  _cleanup_free_ char *nt = fe_format_decimal((double)cur->net_tx);
  _cleanup_free_ char *shortid = strndup(cur->id, 12);
  if (!cur->ok) {
    if (json)
      printf("{\"BlockIO\":\"--\",\"CPUPerc\":\"--\",\"Container\":\"%s\",\"ID\":\"%s\","
             "\"MemPerc\":\"--\",\"MemUsage\":\"-- / --\",\"Name\":\"%s\",\"NetIO\":\"--\","
             "\"PIDs\":\"--\"}\n",
             shortid, cur->id, cur->name);
    else
      printf("%-12s   %-20s %-7s %-21s %-7s %-15s %-15s %s\n", shortid, cur->name, "--", "-- / --",
             "--", "--", "--", "--");
    return;
  }
  if (json) {
    struct json_object *o = json_object_new_object();
    char buf[64];
    _cleanup_free_ char *bio = xasprintf("%s / %s", br, bw);
    _cleanup_free_ char *mem = xasprintf("%s / %s", mu, ml);
    _cleanup_free_ char *net = xasprintf("%s / %s", nr, nt);
    json_object_object_add(o, "BlockIO", json_object_new_string(bio));
    snprintf(buf, sizeof buf, "%.2f%%", cpu);
    json_object_object_add(o, "CPUPerc", json_object_new_string(buf));
    json_object_object_add(o, "Container", json_object_new_string(shortid));
    json_object_object_add(o, "ID", json_object_new_string(cur->id));
    snprintf(buf, sizeof buf, "%.2f%%", memp);
    json_object_object_add(o, "MemPerc", json_object_new_string(buf));
    json_object_object_add(o, "MemUsage", json_object_new_string(mem));
    json_object_object_add(o, "Name", json_object_new_string(cur->name));
    json_object_object_add(o, "NetIO", json_object_new_string(net));
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)cur->pids);
    json_object_object_add(o, "PIDs", json_object_new_string(buf));
    printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN
                                                         | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return;
  }
  char cpus[32], mems[32], pids[32];
  snprintf(cpus, sizeof cpus, "%.2f%%", cpu);
  snprintf(mems, sizeof mems, "%.2f%%", memp);
  snprintf(pids, sizeof pids, "%llu", (unsigned long long)cur->pids);
  _cleanup_free_ char *mem = xasprintf("%s / %s", mu, ml);
  _cleanup_free_ char *net = xasprintf("%s / %s", nr, nt);
  _cleanup_free_ char *bio = xasprintf("%s / %s", br, bw);
  printf("%-12s   %-20s %-7s %-21s %-7s %-15s %-15s %s\n", shortid, cur->name, cpus, mem, mems, net,
         bio, pids);
}

static void sample_set(const char *root, char **ids, char **names, struct sample **out, size_t *n)
{
  *n = cn_strv_len(ids);
  *out = xcalloc(*n + 1, sizeof **out);
  for (size_t i = 0; i < *n; i++) {
    (*out)[i].id = ids[i];
    (*out)[i].name = names[i];
    take(root, &(*out)[i]);
  }
}

static int select_ids(struct cli_globals *g, char **refs, bool all, char ***ids, char ***names,
                      cn_error_t *err)
{
  _cleanup_strv_ char **cand = NULL;
  if (refs && *refs) {
    for (char **r = refs; *r; r++) {
      _cleanup_free_ char *id = NULL;
      if (fe_resolve(g->root, *r, &id, err) < 0)
        return -1;
      cn_strv_push(&cand, id);
    }
  } else if (fe_list_ids(g->root, &cand, err) < 0) {
    return -1;
  }
  char **iv = xcalloc(1, sizeof *iv), **nv = xcalloc(1, sizeof *nv);
  for (char **i = cand; i && *i; i++) {
    _cleanup_(json_object_putp) struct json_object *meta = NULL;
    _cleanup_error_ cn_error_t e = NULL;
    if (fe_meta_load(g->root, *i, &meta, &e) < 0)
      continue;
    _cleanup_free_ char *s = fe_status(g->root, *i, meta, NULL);
    if (!all && !(refs && *refs) && strcmp(s, "running") != 0 && strcmp(s, "paused") != 0)
      continue;
    struct json_object *nm;
    cn_strv_push(&iv, *i);
    cn_strv_push(&nv,
                 json_object_object_get_ex(meta, "Name", &nm) ? json_object_get_string(nm) : "");
  }
  *ids = iv;
  *names = nv;
  return 0;
}

int fe_cmd_stats(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  bool no_stream = false, json = false, all = false;
  static const struct option opts[]
      = { { "no-stream", no_argument, 0, 'n' }, { "format", required_argument, 0, 'f' },
          { "all", no_argument, 0, 'a' },       { "no-trunc", no_argument, 0, 't' },
          { "help", no_argument, 0, 'h' },      { 0, 0, 0, 0 } };
  for (int c; (c = cli_getopt(g, argc, argv, "+af:h", opts, err)) != -1;) {
    switch (c) {
    case '?':
      return -1;
    case 'h':
      fputs(stats_usage, stdout);
      return 0;
    case 'n':
      no_stream = true;
      break;
    case 'a':
      all = true;
      break;
    case 'f':
      if (strcmp(optarg, "json") != 0 && strcmp(optarg, "{{json .}}") != 0
          && strcmp(optarg, "table") != 0)
        return cn_error_set(err, EINVAL, "--format: only \"json\" and \"table\" are supported");
      json = strcmp(optarg, "table") != 0;
      break;
    }
  }
  char **refs = argv + optind;
  bool tty = isatty(1);
  struct sample *prev = NULL;
  size_t nprev = 0;
  _cleanup_strv_ char **ids = NULL, **names = NULL;
  for (int round = 0;; round++) {
    cn_strv_free(ids);
    cn_strv_free(names);
    ids = names = NULL;
    if (select_ids(g, refs, all, &ids, &names, err) < 0) {
      free(prev);
      return -1;
    }
    struct sample *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    if (prev == NULL) {
      sample_set(g->root, ids, names, &a, &na);
      sleep(1);
    }
    sample_set(g->root, ids, names, &b, &nb);
    if (!json && tty && !no_stream)
      printf("\033[2J\033[H");
    if (!json)
      printf("%-12s   %-20s %-7s %-21s %-7s %-15s %-15s %s\n", "CONTAINER ID", "NAME", "CPU %",
             "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS");
    for (size_t i = 0; i < nb; i++) {
      const struct sample *p = NULL;
      for (size_t k = 0; a && k < na; k++)
        if (strcmp(a[k].id, b[i].id) == 0)
          p = &a[k];
      for (size_t k = 0; !p && prev && k < nprev; k++)
        if (strcmp(prev[k].id, b[i].id) == 0)
          p = &prev[k];
      struct sample none = { 0 };
      print_row(p ? p : &none, &b[i], json);
    }
    fflush(stdout);
    /* The previous round's samples point into the old id vectors: copy the
       numbers we keep. */
    free(a);
    for (size_t i = 0; i < nprev; i++)
      free(prev[i].id);
    free(prev);
    prev = b;
    nprev = nb;
    for (size_t i = 0; i < nprev; i++) {
      prev[i].id = xstrdup(prev[i].id);
      prev[i].name = NULL;
    }
    if (no_stream)
      break;
    sleep(1);
  }
  for (size_t i = 0; i < nprev; i++)
    free(prev[i].id);
  free(prev);
  return 0;
}
