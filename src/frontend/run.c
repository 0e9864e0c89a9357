/* `cinch run [OPTIONS] IMAGE|ROOTFS [COMMAND [ARG...]]`: flags -> config.json
   in the container's record directory -> container_create/start (through
   the monitor, monitor.c). */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "frontend/fe.h"
#include "util/timefmt.h"
#include "util/fs.h"
#include "util/strv.h"

static const char run_usage[]
    = "Usage: cinch run [OPTIONS] IMAGE|ROOTFS [COMMAND [ARG...]]\n"
      "\n"
      "Create and run a container from an image (a name in the local store, e.g. the\n"
      "built-in `busybox`) or a root filesystem directory, Docker-style.  The flags\n"
      "become an OCI config.json; the container is made by the same code path as\n"
      "`cinch create`.  `cinch run -b BUNDLE ID` keeps runc's meaning.\n"
      "Networking: the default is --network none (a private network namespace with\n"
      "only loopback); --network host shares the host's.  There is no bridge.\n"
      "Exit status: 125 cinch's own error, 126 command cannot be invoked, 127 command\n"
      "not found, otherwise the container's status.\n"
      "\n"
      "Resources:\n"
      "      --cpus DECIMAL              number of CPUs (CFS quota over a 100ms period)\n"
      "      --cpu-period US             CFS period\n"
      "      --cpu-quota US              CFS quota (-1: unlimited)\n"
      "  -c, --cpu-shares N              relative CPU weight\n"
      "      --cpuset-cpus LIST          CPUs allowed (0-3, 0,1)\n"
      "      --cpuset-mems LIST          memory nodes allowed\n"
      "      --cpu-rt-period US          real-time period (cgroup v1 only)\n"
      "      --cpu-rt-runtime US         real-time runtime (cgroup v1 only)\n"
      "  -m, --memory BYTES              memory limit (units b k m g; min 6MB)\n"
      "      --memory-swap BYTES         memory+swap limit (-1 unlimited; default 2x --memory)\n"
      "      --memory-reservation BYTES  soft limit\n"
      "      --memory-swappiness 0-100   swappiness (cgroup v1 only)\n"
      "      --kernel-memory BYTES       accepted and ignored, with a warning\n"
      "      --oom-kill-disable          disable the OOM killer (cgroup v1 only)\n"
      "      --oom-score-adj N           -1000..1000 (default 0)\n"
      "      --pids-limit N              maximum number of tasks (-1 unlimited)\n"
      "      --blkio-weight N            10..1000\n"
      "      --blkio-weight-device D:W   per-device weight\n"
      "      --device-read-bps D:RATE    read rate limit (units kb mb gb)\n"
      "      --device-write-bps D:RATE   write rate limit\n"
      "      --device-read-iops D:N      read IO/s limit\n"
      "      --device-write-iops D:N     write IO/s limit\n"
      "      --ulimit NAME=SOFT[:HARD]   rlimit (nofile, nproc, core, ...)\n"
      "      --shm-size BYTES            size of /dev/shm (default 64MB)\n"
      "      --limit-cpu, --limit-memory, --reserve-memory, --reserve-cpu\n"
      "                                  `docker service` spellings of --cpus, -m,\n"
      "                                  --memory-reservation (--reserve-cpu: ignored)\n"
      "Security:\n"
      "      --cap-add CAP, --cap-drop CAP   change the 14 default capabilities (ALL ok)\n"
      "      --privileged                all capabilities and devices, no seccomp/masks\n"
      "      --security-opt OPT          no-new-privileges, seccomp=unconfined|FILE,\n"
      "                                  systempaths=unconfined\n"
      "      --read-only                 read-only root filesystem\n"
      "  -u, --user USER[:GROUP]         name or id, resolved in the image's /etc files\n"
      "      --group-add GROUP           additional group\n"
      "      --userns host|remap         remap: root inside is uid 100000 outside\n"
      "      --pid host, --ipc host|none|private, --uts host   share host namespaces\n"
      "      --network none|host         default none\n"
      "      --cgroupns host|private     default: private on cgroup v2, host on v1\n"
      "      --device HOST[:CONT][:rwm]  add a host device\n"
      "      --sysctl K=V                namespaced sysctl\n"
      "Filesystem and process:\n"
      "  -v, --volume SRC:DST[:ro]       bind mount a host path\n"
      "      --mount type=bind|tmpfs,... bind or tmpfs mount\n"
      "      --tmpfs PATH[:OPTS]         tmpfs mount\n"
      "  -e, --env K=V, --env-file FILE  environment\n"
      "  -w, --workdir DIR               working directory\n"
      "      --entrypoint CMD            replace the command's first word\n"
      "      --init                      run a small reaper as PID 1\n"
      "  -h, --hostname NAME             hostname (default: the short id)\n"
      "  -l, --label K=V                 accepted\n"
      "Running:\n"
      "      --name NAME                 name (default: generated)\n"
      "      --rm                        remove the container when it exits\n"
      "  -d, --detach                    run in the background, print the id\n"
      "  -i, --interactive               keep stdin open\n"
      "  -t, --tty                       allocate a pseudo-terminal; with -i, Ctrl-P Ctrl-Q\n"
      "                                  detaches (the container keeps running; `attach`)\n"
      "      --help                      this text\n";

static bool valid_name(const char *n)
{
  if (!((n[0] >= 'a' && n[0] <= 'z') || (n[0] >= 'A' && n[0] <= 'Z')
        || (n[0] >= '0' && n[0] <= '9'))
      || n[1] == '\0')
    return false;
  for (const char *p = n; *p; p++)
    if (!(strchr("_.-", *p) || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
          || (*p >= '0' && *p <= '9')))
      return false;
  return true;
}

/* Docker's 126/127 come from the runtime failing to exec; cinch checks the
   command in the rootfs first, so the status is exact and nothing is made. */
static int check_command(const char *rootfs, const char *arg0, const char *path_env, int *code,
                         cn_error_t *err)
{
  _cleanup_close_ int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return 0;
  struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
  if (strchr(arg0, '/')) {
    int fd = (int)syscall(SYS_openat2, root, arg0, &how, sizeof how);
    if (fd < 0) {
      *code = 127;
      return cn_error_set(err, ENOENT, "exec: \"%s\": stat %s: no such file or directory", arg0,
                          arg0);
    }
    struct stat st;
    int r = fstat(fd, &st);
    close(fd);
    if (r == 0 && (S_ISDIR(st.st_mode) || !(st.st_mode & 0111))) {
      *code = 126;
      return cn_error_set(err, EACCES, "exec: \"%s\": permission denied", arg0);
    }
    return 0;
  }
  _cleanup_free_ char *copy = xstrdup(path_env);
  char *p = copy;
  for (char *dir; (dir = strsep(&p, ":"));) {
    _cleanup_free_ char *cand = xasprintf("%s/%s", *dir ? dir : ".", arg0);
    int fd = (int)syscall(SYS_openat2, root, cand, &how, sizeof how);
    if (fd < 0)
      continue;
    struct stat st;
    int r = fstat(fd, &st);
    close(fd);
    if (r == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
      return 0;
  }
  *code = 127;
  return cn_error_set(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", arg0);
}

static struct json_object *host_config(const struct fe_run *r)
{
  const struct fe_resources *s = &r->res;
  struct json_object *h = json_object_new_object();
  json_object_object_add(h, "NanoCpus", json_object_new_int64(s->nano_cpus));
  json_object_object_add(h, "CpuPeriod", json_object_new_int64(s->cpu_period));
  json_object_object_add(h, "CpuQuota", json_object_new_int64(s->cpu_quota));
  json_object_object_add(h, "CpuShares", json_object_new_int64(s->cpu_shares));
  json_object_object_add(h, "CpusetCpus",
                         json_object_new_string(s->cpuset_cpus ? s->cpuset_cpus : ""));
  json_object_object_add(h, "CpusetMems",
                         json_object_new_string(s->cpuset_mems ? s->cpuset_mems : ""));
  json_object_object_add(h, "Memory", json_object_new_int64(s->memory));
  json_object_object_add(h, "MemorySwap", json_object_new_int64(s->memory_swap));
  json_object_object_add(h, "MemoryReservation", json_object_new_int64(s->memory_reservation));
  json_object_object_add(h, "OomKillDisable", json_object_new_boolean(s->oom_kill_disable));
  json_object_object_add(h, "PidsLimit", s->has_pids ? json_object_new_int64(s->pids_limit) : NULL);
  json_object_object_add(h, "BlkioWeight", json_object_new_int64(s->blkio_weight));
  json_object_object_add(h, "OomScoreAdj", json_object_new_int64(r->oom_score_adj));
  json_object_object_add(h, "Privileged", json_object_new_boolean(r->privileged));
  json_object_object_add(h, "ReadonlyRootfs", json_object_new_boolean(r->read_only));
  json_object_object_add(h, "AutoRemove", json_object_new_boolean(r->rm));
  json_object_object_add(h, "NetworkMode",
                         json_object_new_string(r->network ? r->network : "none"));
  json_object_object_add(h, "Init", json_object_new_boolean(r->init));
  return h;
}

static struct json_object *new_meta(const struct fe_run *r, const char *id, const char *name,
                                    struct json_object *config, const char *rec)
{
  struct json_object *m = json_object_new_object();
  json_object_object_add(m, "Id", json_object_new_string(id));
  json_object_object_add(m, "Name", json_object_new_string(name));
  json_object_object_add(m, "Image", json_object_new_string(r->image));
  _cleanup_free_ char *now = cn_now_rfc3339();
  json_object_object_add(m, "Created", json_object_new_string(now));
  struct json_object *proc, *args;
  json_object_object_get_ex(config, "process", &proc);
  json_object_object_get_ex(proc, "args", &args);
  json_object_object_add(m, "Args", json_object_get(args));
  struct json_object *st = json_object_new_object();
  json_object_object_add(st, "Status", json_object_new_string("created"));
  json_object_object_add(st, "Running", json_object_new_boolean(false));
  json_object_object_add(st, "Paused", json_object_new_boolean(false));
  json_object_object_add(st, "OOMKilled", json_object_new_boolean(false));
  json_object_object_add(st, "Pid", json_object_new_int(0));
  json_object_object_add(st, "ExitCode", json_object_new_int(0));
  json_object_object_add(st, "Error", json_object_new_string(""));
  json_object_object_add(st, "StartedAt", json_object_new_string("0001-01-01T00:00:00Z"));
  json_object_object_add(st, "FinishedAt", json_object_new_string("0001-01-01T00:00:00Z"));
  json_object_object_add(m, "State", st);
  _cleanup_free_ char *log = xasprintf("%s/container.log", rec);
  json_object_object_add(m, "LogPath", json_object_new_string(log));
  json_object_object_add(m, "HostConfig", host_config(r));
  struct json_object *cfg = json_object_new_object();
  json_object_object_add(cfg, "Tty", json_object_new_boolean(r->tty));
  json_object_object_add(cfg, "OpenStdin", json_object_new_boolean(r->interactive));
  json_object_object_add(m, "Config", cfg);
  return m;
}

static int copy_self(const char *dst, cn_error_t *err)
{
  _cleanup_close_ int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return cn_error_errno(err, errno, "open /proc/self/exe");
  _cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0555);
  if (out < 0)
    return cn_error_errno(err, errno, "create %s", dst);
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0)
    if (write(out, buf, (size_t)n) != n)
      return cn_error_errno(err, errno, "write %s", dst);
  return n < 0 ? cn_error_errno(err, errno, "read /proc/self/exe") : 0;
}

int fe_cmd_run(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  _cleanup_(fe_run_clear) struct fe_run r = { 0 };
  for (int i = 1; i < argc && argv[i][0] == '-'; i++)
    if (strcmp(argv[i], "--help-docker") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(run_usage, stdout);
      return 0;
    }
  int pr = fe_run_parse(g, argc, argv, &r, err);
  if (pr < 0)
    return -1;
  if (pr > 0) {
    fputs(run_usage, stdout);
    return 0;
  }
  /* The detached monitor leaves the caller's directory: hold the root absolute. */
  _cleanup_free_ char *abs_root = NULL;
  if (g->root[0] != '/') {
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) == NULL)
      return cn_error_errno(err, errno, "getcwd");
    abs_root = xasprintf("%s/%s", cwd, g->root);
    g->root = abs_root;
  }
  _cleanup_(fe_image_clear) struct fe_image img = { 0 };
  if (fe_image_find(g->root, r.image, &img, err) < 0)
    return -1;
  _cleanup_free_ char *id = fe_new_id();
  _cleanup_free_ char *name = NULL;
  if (r.name) {
    const char *n = r.name[0] == '/' ? r.name + 1 : r.name;
    if (!valid_name(n))
      return cn_error_set(err, EINVAL,
                          "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                          r.name);
    _cleanup_free_ char *other = NULL;
    _cleanup_error_ cn_error_t e2 = NULL;
    if (fe_resolve(g->root, n, &other, &e2) == 0) {
      _cleanup_(json_object_putp) struct json_object *m = NULL;
      if (fe_meta_load(g->root, other, &m, &e2) == 0) {
        struct json_object *nm;
        if (json_object_object_get_ex(m, "Name", &nm) && strcmp(json_object_get_string(nm), n) == 0)
          return cn_error_set(err, EEXIST,
                              "Conflict. The container name \"/%s\" is already in use by container "
                              "\"%s\". You have to remove (or rename) that container to be able to "
                              "reuse that name.",
                              n, other);
      }
    }
    name = xstrdup(n);
  } else {
    name = fe_new_name();
  }
  _cleanup_free_ char *rec = fe_rec_dir(g->root, id);
  _cleanup_free_ char *rootfs = NULL;
  _cleanup_free_ char *init_path = xasprintf("%s/init", rec);

  if (r.dry_run) {
    _cleanup_(json_object_putp) struct json_object *cfg = NULL;
    if (fe_build_config(&r, &img, img.path, id, init_path, &cfg, err) < 0)
      return -1;
    puts(json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
                                                 | JSON_C_TO_STRING_NOSLASHESCAPE));
    return 0;
  }

  /* From here on a failure removes the record again. */
  if (cn_mkdir_p(rec, 0700, err) < 0)
    return cn_error_wrap(err, "container record");
  int code = 125;
  int ret = 0;
  struct json_object *cfg = NULL, *meta = NULL;
  bool remap = r.userns && strcmp(r.userns, "remap") == 0;
  bool overlay = false;
  if (img.builtin && remap) {
    /* The remapped root owns its copy, in a directory it can reach. */
    _cleanup_free_ char *dir = fe_remap_dir(id);
    rootfs = xasprintf("%s/rootfs", dir);
    ret = cn_mkdir_p(dir, 0711, err);
    if (ret == 0 && chmod("/run/cinch-userns", 0711) < 0)
      ret = cn_error_errno(err, errno, "chmod /run/cinch-userns");
    if (ret == 0)
      ret = fe_copy_tree(img.path, rootfs, FE_REMAP_BASE, err);
  } else if (img.builtin) {
    /* The monitor overlays the image there just for container_create. */
    rootfs = xasprintf("%s/rootfs", rec);
    overlay = true;
  } else {
    rootfs = xstrdup(img.path);
  }
  if (ret == 0 && r.init)
    ret = copy_self(init_path, err);
  if (ret == 0)
    ret = fe_build_config(&r, &img, rootfs, id, init_path, &cfg, err);
  if (ret == 0 && !r.init) {
    struct json_object *proc, *args, *env;
    json_object_object_get_ex(cfg, "process", &proc);
    json_object_object_get_ex(proc, "args", &args);
    json_object_object_get_ex(proc, "env", &env);
    const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (size_t i = 0; i < json_object_array_length(env); i++) {
      const char *e = json_object_get_string(json_object_array_get_idx(env, i));
      if (strncmp(e, "PATH=", 5) == 0)
        path = e + 5;
    }
    ret = check_command(img.path, json_object_get_string(json_object_array_get_idx(args, 0)), path,
                        &code, err);
  }
  if (ret == 0) {
    _cleanup_free_ char *cfgpath = xasprintf("%s/config.json", rec);
    const char *text = json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PLAIN);
    ret = cn_write_file_atomic(cfgpath, text, strlen(text), 0600, err);
  }
  if (ret == 0) {
    meta = new_meta(&r, id, name, cfg, rec);
    ret = fe_meta_save(g->root, id, meta, err);
  }
  json_object_put(cfg);
  json_object_put(meta);
  if (ret < 0) {
    _cleanup_error_ cn_error_t e2 = NULL;
    fe_rec_remove(g->root, id, &e2);
    if (code != 125) {
      fprintf(stderr, "cinch: %s\n", (*err)->msg);
      return code;
    }
    return -1;
  }
  struct fe_launch l = { .g = g,
                         .run = &r,
                         .id = id,
                         .name = name,
                         .bundle = rec,
                         .rec = rec,
                         .image = overlay ? img.path : NULL };
  return fe_launch(&l, err);
}
