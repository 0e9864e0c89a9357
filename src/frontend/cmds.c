/* The docker commands around a container's life: ps, stop, rm, logs, wait,
   inspect, kill, and the rewrites of pause/unpause/exec/update onto the OCI
   commands. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "cli/common.h"
#include "container/container.h"
#include "frontend/fe.h"
#include "util/timefmt.h"
#include "util/fs.h"
#include "util/strv.h"

static const char *jstr(struct json_object *o, const char *k)
{
  struct json_object *v;
  return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static int64_t jint(struct json_object *o, const char *k)
{
  struct json_object *v;
  return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static struct json_object *jobj(struct json_object *o, const char *k)
{
  struct json_object *v;
  return json_object_object_get_ex(o, k, &v) ? v : NULL;
}

static void sleep_ms(long ms)
{
  struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
  nanosleep(&ts, NULL);
}

static bool monitor_alive(struct json_object *meta)
{
  int64_t pid = jint(meta, "MonitorPid");
  return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

char *fe_status(const char *root, const char *id, struct json_object *meta, pid_t *pid)
{
  struct json_object *st = jobj(meta, "State");
  const char *s = jstr(st, "Status");
  if (pid)
    *pid = 0;
  if (strcmp(s, "running") != 0)
    return xstrdup(*s ? s : "created");
  _cleanup_container_ struct container *c = NULL;
  _cleanup_error_ cn_error_t e = NULL;
  if (container_load(root, id, &c, &e) < 0)
    return xstrdup(monitor_alive(meta) ? "running" : "dead");
  enum container_status cs = container_status(c);
  if (pid)
    *pid = c->pid;
  if (cs == CONTAINER_PAUSED)
    return xstrdup("paused");
  if (cs == CONTAINER_STOPPED)
    return xstrdup(monitor_alive(meta) ? "running" : "dead");
  return xstrdup("running");
}

static int load(const char *root, const char *ref, char **id, struct json_object **meta,
                cn_error_t *err)
{
  if (fe_resolve(root, ref, id, err) < 0)
    return -1;
  return fe_meta_load(root, *id, meta, err);
}

int fe_wait_exit(const char *root, const char *id, int timeout_ms, int *code, cn_error_t *err)
{
  for (int waited = 0;; waited += 50) {
    _cleanup_(json_object_putp) struct json_object *meta = NULL;
    _cleanup_error_ cn_error_t e = NULL;
    if (fe_meta_load(root, id, &meta, &e) < 0) {
      /* --rm removed the record: the container is gone. */
      *code = 0;
      return 1;
    }
    _cleanup_free_ char *s = fe_status(root, id, meta, NULL);
    if (strcmp(s, "exited") == 0 || strcmp(s, "dead") == 0 || strcmp(s, "created") == 0) {
      *code = (int)jint(jobj(meta, "State"), "ExitCode");
      return 0;
    }
    if (timeout_ms >= 0 && waited >= timeout_ms)
      return cn_error_set(err, ETIMEDOUT, "timed out waiting for %s", id);
    sleep_ms(50);
  }
}

/* Signal the container's processes (all of them for SIGKILL). */
static int signal_container(const char *root, const char *id, int sig, cn_error_t *err)
{
  _cleanup_container_ struct container *c = NULL;
  if (container_load(root, id, &c, err) < 0)
    return -1;
  return container_kill(c, sig, sig == SIGKILL, err);
}

/* Marks a record whose monitor is gone (killed, machine crash) as exited and
   releases its OCI container. */
static void reap_orphan(const char *root, const char *id)
{
  _cleanup_container_ struct container *c = NULL;
  _cleanup_error_ cn_error_t e = NULL;
  if (container_load(root, id, &c, &e) == 0)
    container_delete(c, true, &e);
  _cleanup_(json_object_putp) struct json_object *meta = NULL;
  if (fe_meta_load(root, id, &meta, &e) < 0)
    return;
  struct json_object *st = jobj(meta, "State");
  if (st && strcmp(jstr(st, "Status"), "running") == 0) {
    json_object_object_add(st, "Status", json_object_new_string("exited"));
    json_object_object_add(st, "Running", json_object_new_boolean(false));
    json_object_object_add(st, "ExitCode", json_object_new_int(137));
    _cleanup_free_ char *now = cn_now_rfc3339();
    json_object_object_add(st, "FinishedAt", json_object_new_string(now));
    fe_meta_save(root, id, meta, &e);
  }
}

static int stop_one(const char *root, const char *id, int timeout_s, cn_error_t *err)
{
  _cleanup_(json_object_putp) struct json_object *meta = NULL;
  if (fe_meta_load(root, id, &meta, err) < 0)
    return -1;
  _cleanup_free_ char *s = fe_status(root, id, meta, NULL);
  if (strcmp(s, "dead") == 0) {
    reap_orphan(root, id);
    return 0;
  }
  if (strcmp(s, "running") != 0 && strcmp(s, "paused") != 0)
    return 0;
  _cleanup_error_ cn_error_t e = NULL;
  if (strcmp(s, "paused") != 0 && signal_container(root, id, SIGTERM, &e) < 0)
    cn_error_release(&e);
  int code;
  if (timeout_s != 0 && strcmp(s, "paused") != 0
      && fe_wait_exit(root, id, timeout_s * 1000, &code, &e) >= 0)
    return 0;
  cn_error_release(&e);
  if (signal_container(root, id, SIGKILL, &e) < 0)
    cn_error_release(&e);
  if (fe_wait_exit(root, id, 10000, &code, err) < 0) {
    reap_orphan(root, id);
    cn_error_release(err);
  }
  return 0;
}

static const char stop_usage[]
    = "Usage: cinch stop [-t SECONDS] CONTAINER...\n\n"
      "Send SIGTERM, then SIGKILL after the grace period (default 10s).\n"
      "  -t, --time N   seconds to wait before killing\n";

int fe_cmd_stop(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  int timeout = 10;
  static const struct option opts[] = { { "time", required_argument, 0, 't' },
                                        { "timeout", required_argument, 0, 't' },
                                        { "help", no_argument, 0, 'h' },
                                        { 0, 0, 0, 0 } };
  for (int c; (c = cli_getopt(g, argc, argv, "+t:h", opts, err)) != -1;) {
    if (c == '?')
      return -1;
    if (c == 'h') {
      fputs(stop_usage, stdout);
      return 0;
    }
    if (c == 't')
      timeout = atoi(optarg);
  }
  if (optind >= argc)
    return cn_error_set(err, EINVAL, "\"stop\" requires at least 1 argument.");
  int rc = 0;
  for (int i = optind; i < argc; i++) {
    _cleanup_free_ char *id = NULL;
    _cleanup_error_ cn_error_t e = NULL;
    if (fe_resolve(g->root, argv[i], &id, &e) < 0 || stop_one(g->root, id, timeout, &e) < 0) {
      fprintf(stderr, "Error response from daemon: %s\n", e->msg);
      rc = 1;
      continue;
    }
    printf("%s\n", argv[i]);
  }
  return rc;
}

int fe_remove(struct cli_globals *g, const char *id, bool force, cn_error_t *err)
{
  _cleanup_(json_object_putp) struct json_object *meta = NULL;
  if (fe_meta_load(g->root, id, &meta, err) < 0)
    return -1;
  _cleanup_free_ char *s = fe_status(g->root, id, meta, NULL);
  if ((strcmp(s, "running") == 0 || strcmp(s, "paused") == 0)) {
    if (!force)
      return cn_error_set(err, EBUSY,
                          "cannot remove container \"/%s\": container is %s: stop the container "
                          "before removing or force remove",
                          jstr(meta, "Name"), s);
    if (stop_one(g->root, id, 0, err) < 0)
      return -1;
  } else if (strcmp(s, "dead") == 0) {
    reap_orphan(g->root, id);
  }
  _cleanup_free_ char *rec = fe_rec_dir(g->root, id);
  _cleanup_error_ cn_error_t e = NULL;
  /* A container that never started may still hold its OCI state. */
  _cleanup_container_ struct container *c = NULL;
  if (container_load(g->root, id, &c, &e) == 0)
    container_delete(c, true, &e);
  cn_error_release(&e);
  if (fe_rec_remove(g->root, id, err) < 0)
    return -1;
  fe_event_emit(g->root, id, jstr(meta, "Name"), jstr(meta, "Image"), "destroy", 0);
  return 0;
}

static const char rm_usage[] = "Usage: cinch rm [-f] CONTAINER...\n\n"
                               "Remove containers and their records (logs, exit status).\n"
                               "  -f, --force   kill a running container first\n";

int fe_cmd_rm(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  bool force = false;
  static const struct option opts[] = { { "force", no_argument, 0, 'f' },
                                        { "volumes", no_argument, 0, 'v' },
                                        { "help", no_argument, 0, 'h' },
                                        { 0, 0, 0, 0 } };
  for (int c; (c = cli_getopt(g, argc, argv, "+fvh", opts, err)) != -1;) {
    if (c == '?')
      return -1;
    if (c == 'h') {
      fputs(rm_usage, stdout);
      return 0;
    }
    if (c == 'f')
      force = true;
  }
  if (optind >= argc)
    return cn_error_set(err, EINVAL, "\"rm\" requires at least 1 argument.");
  int rc = 0;
  for (int i = optind; i < argc; i++) {
    _cleanup_free_ char *id = NULL;
    _cleanup_error_ cn_error_t e = NULL;
    if (fe_resolve(g->root, argv[i], &id, &e) < 0 || fe_remove(g, id, force, &e) < 0) {
      fprintf(stderr, "Error response from daemon: %s\n", e->msg);
      rc = 1;
      continue;
    }
    printf("%s\n", argv[i]);
  }
  return rc;
}

static const char logs_usage[] = "Usage: cinch logs [-f] CONTAINER\n\n"
                                 "Print what the container wrote (stdout to stdout, stderr to "
                                 "stderr).\n"
                                 "  -f, --follow      keep printing until the container exits\n"
                                 "  -t, --timestamps  prefix each chunk with its time\n";

static void print_log_line(const char *line, bool ts)
{
  struct json_object *o = json_tokener_parse(line), *v;
  if (o == NULL)
    return;
  FILE *f = strcmp(jstr(o, "stream"), "stderr") == 0 ? stderr : stdout;
  if (ts)
    fprintf(f, "%s ", jstr(o, "time"));
  if (json_object_object_get_ex(o, "log", &v))
    fwrite(json_object_get_string(v), 1, (size_t)json_object_get_string_len(v), f);
  fflush(f);
  json_object_put(o);
}

int fe_cmd_logs(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  bool follow = false, ts = false;
  static const struct option opts[] = { { "follow", no_argument, 0, 'f' },
                                        { "timestamps", no_argument, 0, 't' },
                                        { "help", no_argument, 0, 'h' },
                                        { 0, 0, 0, 0 } };
  for (int c; (c = cli_getopt(g, argc, argv, "+fth", opts, err)) != -1;) {
    if (c == '?')
      return -1;
    if (c == 'h') {
      fputs(logs_usage, stdout);
      return 0;
    }
    if (c == 'f')
      follow = true;
    if (c == 't')
      ts = true;
  }
  if (optind + 1 != argc)
    return cn_error_set(err, EINVAL, "\"logs\" requires exactly 1 argument.");
  _cleanup_free_ char *id = NULL;
  _cleanup_(json_object_putp) struct json_object *meta = NULL;
  if (load(g->root, argv[optind], &id, &meta, err) < 0)
    return -1;
  _cleanup_free_ char *path = xasprintf("%s/.frontend/%s/container.log", g->root, id);
  _cleanup_fclose_ FILE *f = fopen(path, "re");
  if (f == NULL)
    return 0;
  char *line = NULL;
  size_t cap = 0;
  for (;;) {
    /* Keep reading after EOF only while the container is alive. */
    bool done = false;
    if (follow) {
      _cleanup_(json_object_putp) struct json_object *m2 = NULL;
      _cleanup_error_ cn_error_t e = NULL;
      _cleanup_free_ char *s = fe_meta_load(g->root, id, &m2, &e) == 0
                                   ? fe_status(g->root, id, m2, NULL)
                                   : xstrdup("exited");
      done = strcmp(s, "running") != 0 && strcmp(s, "paused") != 0;
    }
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
      if (line[n - 1] != '\n') {
        fseek(f, -n, SEEK_CUR);
        break;
      }
      print_log_line(line, ts);
    }
    clearerr(f);
    if (!follow || done)
      break;
    sleep_ms(100);
  }
  free(line);
  return 0;
}

int fe_cmd_wait(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  static const struct option opts[] = { { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
  for (int c; (c = cli_getopt(g, argc, argv, "+h", opts, err)) != -1;) {
    if (c == '?')
      return -1;
    fputs("Usage: cinch wait CONTAINER...\n\nBlock until the containers stop, print their exit "
          "codes.\n",
          stdout);
    return 0;
  }
  if (optind >= argc)
    return cn_error_set(err, EINVAL, "\"wait\" requires at least 1 argument.");
  for (int i = optind; i < argc; i++) {
    _cleanup_free_ char *id = NULL;
    if (fe_resolve(g->root, argv[i], &id, err) < 0)
      return -1;
    int code = 0;
    if (fe_wait_exit(g->root, id, -1, &code, err) < 0)
      return -1;
    printf("%d\n", code);
  }
  return 0;
}

static const char inspect_usage[]
    = "Usage: cinch inspect CONTAINER...\n\n"
      "Print a JSON array with each container's record: Id, Name, Image, State\n"
      "(Status, Running, Paused, OOMKilled, Pid, ExitCode, StartedAt, FinishedAt),\n"
      "HostConfig (the resources asked for) and the effective linux.resources.\n";

int fe_cmd_inspect(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  static const struct option opts[] = { { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
  for (int c; (c = cli_getopt(g, argc, argv, "+h", opts, err)) != -1;) {
    if (c == '?')
      return -1;
    fputs(inspect_usage, stdout);
    return 0;
  }
  if (optind >= argc)
    return cn_error_set(err, EINVAL, "\"inspect\" requires at least 1 argument.");
  _cleanup_(json_object_putp) struct json_object *arr = json_object_new_array();
  for (int i = optind; i < argc; i++) {
    _cleanup_free_ char *id = NULL;
    struct json_object *meta = NULL;
    if (load(g->root, argv[i], &id, &meta, err) < 0) {
      printf("[]\n");
      return cn_error_set(err, ENOENT, "No such object: %s", argv[i]);
    }
    pid_t pid = 0;
    _cleanup_free_ char *s = fe_status(g->root, id, meta, &pid);
    struct json_object *st = jobj(meta, "State");
    json_object_object_add(st, "Status", json_object_new_string(s));
    json_object_object_add(
        st, "Running",
        json_object_new_boolean(strcmp(s, "running") == 0 || strcmp(s, "paused") == 0));
    json_object_object_add(st, "Paused", json_object_new_boolean(strcmp(s, "paused") == 0));
    json_object_object_add(st, "Dead", json_object_new_boolean(strcmp(s, "dead") == 0));
    json_object_object_add(st, "Pid", json_object_new_int(pid));
    _cleanup_free_ char *cfgp = xasprintf("%s/.frontend/%s/config.json", g->root, id);
    _cleanup_free_ char *text = NULL;
    _cleanup_error_ cn_error_t e = NULL;
    if (cn_read_file(cfgp, &text, NULL, &e) == 0) {
      struct json_object *cfg = json_tokener_parse(text), *lx, *res;
      if (cfg && json_object_object_get_ex(cfg, "linux", &lx)
          && json_object_object_get_ex(lx, "resources", &res))
        json_object_object_add(meta, "Resources", json_object_get(res));
      json_object_put(cfg);
    }
    _cleanup_free_ char *slashed = xasprintf("/%s", jstr(meta, "Name"));
    json_object_object_add(meta, "Name", json_object_new_string(slashed));
    json_object_array_add(arr, meta);
  }
  puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
                                               | JSON_C_TO_STRING_NOSLASHESCAPE));
  return 0;
}

static const char kill_usage[]
    = "Usage: cinch kill [-s SIGNAL] CONTAINER...\n\n"
      "Docker-style kill of front-end containers (default SIGKILL).  runc's\n"
      "`cinch kill ID [SIGNAL]` is used for OCI container ids.\n"
      "  -s, --signal SIG   signal name or number\n";

int fe_cmd_kill(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  int sig = SIGKILL;
  static const struct option opts[] = { { "signal", required_argument, 0, 's' },
                                        { "help", no_argument, 0, 'h' },
                                        { 0, 0, 0, 0 } };
  for (int c; (c = cli_getopt(g, argc, argv, "+s:h", opts, err)) != -1;) {
    if (c == '?')
      return -1;
    if (c == 'h') {
      fputs(kill_usage, stdout);
      return 0;
    }
    if (c == 's' && cli_parse_signal(optarg, &sig, err) < 0)
      return -1;
  }
  if (optind >= argc)
    return cn_error_set(err, EINVAL, "\"kill\" requires at least 1 argument.");
  for (int i = optind; i < argc; i++) {
    _cleanup_free_ char *id = NULL;
    _cleanup_(json_object_putp) struct json_object *meta = NULL;
    if (load(g->root, argv[i], &id, &meta, err) < 0)
      return -1;
    _cleanup_free_ char *s = fe_status(g->root, id, meta, NULL);
    if (strcmp(s, "running") != 0 && strcmp(s, "paused") != 0)
      return cn_error_set(err, EINVAL, "Cannot kill container: %s: container %s is not running",
                          argv[i], id);
    if (signal_container(g->root, id, sig, err) < 0)
      return -1;
    printf("%s\n", argv[i]);
  }
  return 0;
}

/* pause/unpause NAME: the OCI command with the full id. */
int fe_cmd_forward(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  const char *cmd = strcmp(argv[0], "unpause") == 0 ? "resume" : argv[0];
  static const struct option opts[] = { { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
  for (int c; (c = cli_getopt(g, argc, argv, "+h", opts, err)) != -1;) {
    if (c == '?')
      return -1;
    printf("Usage: cinch %s CONTAINER...\n\n%s every process of the containers.\n", argv[0],
           strcmp(cmd, "pause") == 0 ? "Freeze" : "Thaw");
    return 0;
  }
  if (optind >= argc)
    return cn_error_set(err, EINVAL, "\"%s\" requires at least 1 argument.", argv[0]);
  int first = optind;
  for (int i = first; i < argc; i++) {
    _cleanup_free_ char *id = NULL;
    if (fe_resolve(g->root, argv[i], &id, err) < 0)
      return -1;
    char *nv[] = { (char *)cmd, id, NULL };
    optind = 1;
    int r = strcmp(cmd, "pause") == 0 ? cli_pause(g, 2, nv, err) : cli_resume(g, 2, nv, err);
    if (r != 0)
      return r;
    printf("%s\n", argv[i]);
  }
  return 0;
}

static const char exec_usage[]
    = "Usage: cinch exec [-d] [-i] [-t] [-e K=V] [-u USER] [-w DIR] CONTAINER COMMAND [ARG...]\n\n"
      "Run a command in a running front-end container (Docker's exec; runc's\n"
      "`cinch exec ID ...` is used for OCI container ids).\n"
      "  -d, --detach        run in the background\n"
      "  -i, --interactive   keep stdin open (it always is)\n"
      "  -t, --tty           allocate a pseudo-terminal\n"
      "  -e, --env K=V       set an environment variable\n"
      "  -u, --user U[:G]    name or id, resolved in the container's /etc/passwd\n"
      "  -w, --workdir DIR   working directory\n";

int fe_cmd_exec(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  static const struct option opts[] = { { "detach", no_argument, 0, 'd' },
                                        { "interactive", no_argument, 0, 'i' },
                                        { "tty", no_argument, 0, 't' },
                                        { "env", required_argument, 0, 'e' },
                                        { "user", required_argument, 0, 'u' },
                                        { "workdir", required_argument, 0, 'w' },
                                        { "privileged", no_argument, 0, 'P' },
                                        { "help", no_argument, 0, 'h' },
                                        { 0, 0, 0, 0 } };
  _cleanup_strv_ char **nv = NULL;
  cn_strv_push(&nv, "exec");
  const char *user = NULL;
  for (int c; (c = cli_getopt(g, argc, argv, "+ditre:u:w:h", opts, err)) != -1;) {
    switch (c) {
    case '?':
      return -1;
    case 'h':
      fputs(exec_usage, stdout);
      return 0;
    case 'd':
      cn_strv_push(&nv, "-d");
      break;
    case 't':
      cn_strv_push(&nv, "-t");
      break;
    case 'e':
      cn_strv_push(&nv, "-e");
      cn_strv_push(&nv, optarg);
      break;
    case 'w':
      cn_strv_push(&nv, "--cwd");
      cn_strv_push(&nv, optarg);
      break;
    case 'u':
      user = optarg;
      break;
    case 'P':
      return cn_error_set(err, ENOTSUP, "exec --privileged is not supported by cinch");
    }
  }
  if (argc - optind < 2)
    return cn_error_set(err, EINVAL, "\"exec\" requires at least 2 arguments.");
  _cleanup_free_ char *id = NULL;
  if (fe_resolve(g->root, argv[optind], &id, err) < 0)
    return -1;
  if (user) {
    _cleanup_container_ struct container *c = NULL;
    if (container_load(g->root, id, &c, err) < 0)
      return -1;
    uint32_t uid, gid, *gids = NULL;
    size_t n = 0;
    _cleanup_free_ char *home = NULL;
    /* The container's own view: a store image's overlay is mounted only in
       the container's mount namespace. */
    _cleanup_free_ char *files
        = c->pid > 0 ? xasprintf("/proc/%d/root", (int)c->pid) : xstrdup(c->rootfs);
    if (fe_resolve_user(files, user, NULL, &uid, &gid, &gids, &n, &home, err) < 0)
      return -1;
    free(gids);
    _cleanup_free_ char *ug = xasprintf("%u:%u", uid, gid);
    cn_strv_push(&nv, "-u");
    cn_strv_push(&nv, ug);
  }
  cn_strv_push(&nv, id);
  for (int i = optind + 1; i < argc; i++)
    cn_strv_push(&nv, argv[i]);
  optind = 1;
  return cli_exec(g, (int)cn_strv_len(nv), nv, err);
}

static const char update_usage[]
    = "Usage: cinch update [RESOURCE OPTIONS] CONTAINER...\n\n"
      "Change the resources of running front-end containers with `cinch run`'s flags\n"
      "and units (--cpus, -m, --memory-swap, --pids-limit, -c, --cpuset-cpus, ...).\n"
      "(`cinch update ID` with runc's flags is used for OCI container ids.)\n";

/* dockerd refuses a memory limit above the memory+swap limit already set
   (the kernel would too, with a less helpful EINVAL). */
static bool memory_above_swap(const char *root, const char *id, int64_t memory)
{
  _cleanup_container_ struct container *c = NULL;
  _cleanup_error_ cn_error_t e = NULL;
  _cleanup_(json_object_putp) struct json_object *d = NULL;
  if (container_load(root, id, &c, &e) < 0 || !c->cgroup || cgroup_stats(c->cgroup, &d, &e) < 0)
    return false;
  struct json_object *mem, *swap, *limit;
  if (!json_object_object_get_ex(d, "memory", &mem)
      || !json_object_object_get_ex(mem, "swap", &swap)
      || !json_object_object_get_ex(swap, "limit", &limit))
    return false;
  uint64_t l = json_object_get_uint64(limit);
  return l > 0 && l < (uint64_t)1 << 62 && (uint64_t)memory > l;
}

int fe_cmd_update(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  _cleanup_(fe_resources_clear) struct fe_resources res = { 0 };
  int next = 0;
  int pr = fe_resources_parse(g, argc, argv, &res, &next, err);
  if (pr < 0)
    return -1;
  if (pr > 0) {
    fputs(update_usage, stdout);
    return 0;
  }
  if (next >= argc)
    return cn_error_set(err, EINVAL, "\"update\" requires at least 1 argument.");
  if (fe_resources_validate(&res, true, err) < 0)
    return -1;
  _cleanup_(json_object_putp) struct json_object *rj = fe_resources_json(&res);
  for (int i = next; i < argc; i++) {
    _cleanup_free_ char *id = NULL;
    if (fe_resolve(g->root, argv[i], &id, err) < 0)
      return -1;
    if (res.memory > 0 && !res.has_memory_swap && memory_above_swap(g->root, id, res.memory))
      return cn_error_set(err, EINVAL,
                          "Memory limit should be smaller than already set memoryswap limit, "
                          "update the memoryswap at the same time");
    _cleanup_free_ char *path = xasprintf("%s/.frontend/%s/update.json", g->root, id);
    const char *text = json_object_to_json_string_ext(rj, JSON_C_TO_STRING_PLAIN);
    if (cn_write_file_atomic(path, text, strlen(text), 0600, err) < 0)
      return -1;
    char *nv[] = { "update", "-r", path, id, NULL };
    optind = 1;
    int r = cli_update(g, 4, nv, err);
    unlink(path);
    if (r != 0)
      return r;
    printf("%s\n", argv[i]);
  }
  return 0;
}

/* ---- ps ---- */

static char *command_text(struct json_object *meta)
{
  struct json_object *args = jobj(meta, "Args");
  char *s = xstrdup("");
  for (size_t i = 0; args && i < json_object_array_length(args); i++) {
    char *n = xasprintf("%s%s%s", s, i ? " " : "",
                        json_object_get_string(json_object_array_get_idx(args, i)));
    free(s);
    s = n;
  }
  return s;
}

static char *status_text(const char *s, struct json_object *meta)
{
  struct json_object *st = jobj(meta, "State");
  time_t now = time(NULL);
  if (strcmp(s, "running") == 0 || strcmp(s, "paused") == 0) {
    _cleanup_free_ char *d = fe_format_duration(now - fe_parse_rfc3339(jstr(st, "StartedAt")));
    return xasprintf("Up %s%s", d, strcmp(s, "paused") == 0 ? " (Paused)" : "");
  }
  if (strcmp(s, "dead") == 0)
    return xstrdup("Dead");
  if (strcmp(s, "exited") == 0) {
    _cleanup_free_ char *d = fe_format_duration(now - fe_parse_rfc3339(jstr(st, "FinishedAt")));
    return xasprintf("Exited (%d) %s ago", (int)jint(st, "ExitCode"), d);
  }
  return xstrdup("Created");
}

static const char ps_usage[] = "Usage: cinch ps [-a] [-q] [--format json]\n\n"
                               "List front-end containers (running ones without -a).\n"
                               "(`cinch ps ID` is runc's: the processes of one container.)\n"
                               "  -a, --all        include stopped containers\n"
                               "  -q, --quiet      only ids\n"
                               "      --no-trunc   full ids and commands\n"
                               "      --format json  one JSON object per line\n";

int fe_cmd_ps(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  bool all = false, quiet = false, json = false, notrunc = false;
  static const struct option opts[]
      = { { "all", no_argument, 0, 'a' },          { "quiet", no_argument, 0, 'q' },
          { "format", required_argument, 0, 'f' }, { "no-trunc", no_argument, 0, 'n' },
          { "help", no_argument, 0, 'h' },         { 0, 0, 0, 0 } };
  for (int c; (c = cli_getopt(g, argc, argv, "+aqf:h", opts, err)) != -1;) {
    switch (c) {
    case '?':
      return -1;
    case 'h':
      fputs(ps_usage, stdout);
      return 0;
    case 'a':
      all = true;
      break;
    case 'q':
      quiet = true;
      break;
    case 'n':
      notrunc = true;
      break;
    case 'f':
      if (strcmp(optarg, "json") != 0 && strcmp(optarg, "{{json .}}") != 0
          && strcmp(optarg, "table") != 0)
        return cn_error_set(err, EINVAL, "--format: only \"json\" and \"table\" are supported");
      json = strcmp(optarg, "table") != 0;
      break;
    }
  }
  _cleanup_strv_ char **ids = NULL;
  if (fe_list_ids(g->root, &ids, err) < 0)
    return -1;
  if (!quiet && !json)
    printf("%-12s   %-16s %-22s %-16s %-26s %-6s %s\n", "CONTAINER ID", "IMAGE", "COMMAND",
           "CREATED", "STATUS", "PORTS", "NAMES");
  for (char **i = ids; *i; i++) {
    _cleanup_(json_object_putp) struct json_object *meta = NULL;
    _cleanup_error_ cn_error_t e = NULL;
    if (fe_meta_load(g->root, *i, &meta, &e) < 0)
      continue;
    _cleanup_free_ char *s = fe_status(g->root, *i, meta, NULL);
    bool up = strcmp(s, "running") == 0 || strcmp(s, "paused") == 0;
    if (!all && !up)
      continue;
    _cleanup_free_ char *shortid = notrunc ? xstrdup(*i) : strndup(*i, 12);
    if (quiet) {
      printf("%s\n", shortid);
      continue;
    }
    _cleanup_free_ char *cmd = command_text(meta);
    _cleanup_free_ char *st = status_text(s, meta);
    _cleanup_free_ char *created
        = fe_format_duration(time(NULL) - fe_parse_rfc3339(jstr(meta, "Created")));
    if (json) {
      struct json_object *o = json_object_new_object();
      json_object_object_add(o, "ID", json_object_new_string(shortid));
      json_object_object_add(o, "Image", json_object_new_string(jstr(meta, "Image")));
      _cleanup_free_ char *q = xasprintf("\"%s\"", cmd);
      json_object_object_add(o, "Command", json_object_new_string(q));
      json_object_object_add(o, "CreatedAt", json_object_new_string(jstr(meta, "Created")));
      _cleanup_free_ char *ago = xasprintf("%s ago", created);
      json_object_object_add(o, "RunningFor", json_object_new_string(ago));
      json_object_object_add(o, "State", json_object_new_string(s));
      json_object_object_add(o, "Status", json_object_new_string(st));
      json_object_object_add(o, "Ports", json_object_new_string(""));
      json_object_object_add(o, "Names", json_object_new_string(jstr(meta, "Name")));
      json_object_object_add(o, "Networks", json_object_new_string(""));
      printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN
                                                           | JSON_C_TO_STRING_NOSLASHESCAPE));
      json_object_put(o);
      continue;
    }
    /* Docker's 20 columns, the last one an ellipsis. */
    bool cut = !notrunc && strlen(cmd) > 20;
    _cleanup_free_ char *qcmd
        = xasprintf("\"%.*s%s\"", cut ? 19 : (int)strlen(cmd), cmd, cut ? "…" : "");
    _cleanup_free_ char *ago = xasprintf("%s ago", created);
    printf("%-12s   %-16s %-22s %-16s %-26s %-6s %s\n", shortid, jstr(meta, "Image"), qcmd, ago, st,
           "", jstr(meta, "Name"));
  }
  return 0;
}
