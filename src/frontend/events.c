/* `cinch events`: the monitors append one JSON line per event (start, die,
   oom, pids-limit, destroy) to root/.frontend/events.log in Docker's event
   shape; this command follows the file and prints what arrives after it
   started, as `docker events` does. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "frontend/fe.h"
#include "util/fs.h"

void fe_event_emit(const char *root, const char *id, const char *name, const char *image,
                   const char *action, int exit_code)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct json_object *o = json_object_new_object();
  json_object_object_add(o, "status", json_object_new_string(action));
  json_object_object_add(o, "id", json_object_new_string(id));
  json_object_object_add(o, "from", json_object_new_string(image ? image : ""));
  json_object_object_add(o, "Type", json_object_new_string("container"));
  json_object_object_add(o, "Action", json_object_new_string(action));
  struct json_object *actor = json_object_new_object(), *attrs = json_object_new_object();
  json_object_object_add(actor, "ID", json_object_new_string(id));
  json_object_object_add(attrs, "image", json_object_new_string(image ? image : ""));
  json_object_object_add(attrs, "name", json_object_new_string(name ? name : ""));
  if (strcmp(action, "die") == 0) {
    char code[16];
    snprintf(code, sizeof code, "%d", exit_code);
    json_object_object_add(attrs, "exitCode", json_object_new_string(code));
  }
  json_object_object_add(actor, "Attributes", attrs);
  json_object_object_add(o, "Actor", actor);
  json_object_object_add(o, "scope", json_object_new_string("local"));
  json_object_object_add(o, "time", json_object_new_int64(ts.tv_sec));
  json_object_object_add(o, "timeNano",
                         json_object_new_int64((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec));
  _cleanup_free_ char *line
      = xasprintf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
  json_object_put(o);
  _cleanup_free_ char *dir = fe_store_dir(root);
  _cleanup_error_ cn_error_t e = NULL;
  cn_mkdir_p(dir, 0700, &e);
  _cleanup_free_ char *path = xasprintf("%s/events.log", dir);
  _cleanup_close_ int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  /* One write(2) with O_APPEND: lines from several monitors never interleave. */
  if (fd >= 0 && write(fd, line, strlen(line)) < 0)
    return;
}

static const char events_usage[]
    = "Usage: cinch events [--format json]\n"
      "\n"
      "Print events of all front-end containers as they happen: start, die (with the\n"
      "exit code), oom, pids-limit (a fork refused by --pids-limit), destroy.\n"
      "Runs until interrupted.  (`cinch events ID` is runc's stats stream.)\n"
      "\n"
      "      --format json   one JSON object per line, in Docker's event shape\n"
      "      --since 0       also print the events recorded before now\n";

static void print_event(const char *line, bool json)
{
  if (json) {
    printf("%s\n", line);
    fflush(stdout);
    return;
  }
  struct json_object *o = json_tokener_parse(line), *v, *actor, *attrs;
  if (o == NULL)
    return;
  int64_t nano = json_object_object_get_ex(o, "timeNano", &v) ? json_object_get_int64(v) : 0;
  time_t sec = (time_t)(nano / 1000000000);
  struct tm tm;
  gmtime_r(&sec, &tm);
  char ts[64];
  strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  const char *action = json_object_object_get_ex(o, "Action", &v) ? json_object_get_string(v) : "";
  const char *id = json_object_object_get_ex(o, "id", &v) ? json_object_get_string(v) : "";
  printf("%s.%09lldZ container %s %s (", ts, (long long)(nano % 1000000000), action, id);
  if (json_object_object_get_ex(o, "Actor", &actor)
      && json_object_object_get_ex(actor, "Attributes", &attrs)) {
    bool first = true;
    const char *keys[] = { "exitCode", "image", "name" };
    for (size_t i = 0; i < 3; i++)
      if (json_object_object_get_ex(attrs, keys[i], &v)) {
        printf("%s%s=%s", first ? "" : ", ", keys[i], json_object_get_string(v));
        first = false;
      }
  }
  printf(")\n");
  fflush(stdout);
  json_object_put(o);
}

int fe_cmd_events(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  bool json = false, since_start = false;
  static const struct option opts[] = { { "format", required_argument, 0, 'f' },
                                        { "since", required_argument, 0, 's' },
                                        { "help", no_argument, 0, 'h' },
                                        { 0, 0, 0, 0 } };
  for (int c; (c = cli_getopt(g, argc, argv, "+f:h", opts, err)) != -1;) {
    if (c == '?')
      return -1;
    if (c == 'h') {
      fputs(events_usage, stdout);
      return 0;
    }
    if (c == 'f') {
      if (strcmp(optarg, "json") == 0 || strcmp(optarg, "{{json .}}") == 0)
        json = true;
      else
        return cn_error_set(err, EINVAL, "--format: only \"json\" is supported, not \"%s\"",
                            optarg);
    }
    if (c == 's')
      since_start = true;
  }
  _cleanup_free_ char *dir = fe_store_dir(g->root);
  if (cn_mkdir_p(dir, 0700, err) < 0)
    return -1;
  _cleanup_free_ char *path = xasprintf("%s/events.log", dir);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return cn_error_errno(err, errno, "open %s", path);
  if (!since_start)
    lseek(fd, 0, SEEK_END);
  _cleanup_close_ int ino = inotify_init1(IN_CLOEXEC);
  if (ino >= 0)
    inotify_add_watch(ino, path, IN_MODIFY);
  setvbuf(stdout, NULL, _IOLBF, 0);
  char *pending = NULL;
  size_t plen = 0;
  for (;;) {
    char buf[8192];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      pending = xrealloc(pending, plen + (size_t)n + 1);
      memcpy(pending + plen, buf, (size_t)n);
      plen += (size_t)n;
      pending[plen] = '\0';
      char *start = pending, *nl;
      while ((nl = strchr(start, '\n'))) {
        *nl = '\0';
        print_event(start, json);
        start = nl + 1;
      }
      plen -= (size_t)(start - pending);
      memmove(pending, start, plen);
      continue;
    }
    if (n < 0 && errno != EINTR)
      break;
    struct pollfd p = { .fd = ino, .events = POLLIN };
    if (poll(&p, 1, ino >= 0 ? 1000 : 200) > 0) {
      char ev[4096];
      if (read(ino, ev, sizeof ev) < 0)
        continue;
    }
  }
  free(pending);
  return 0;
}
