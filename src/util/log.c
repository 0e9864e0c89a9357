#include "util/log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/error.h"

static struct {
  int fd;
  bool json;
  bool debug;
} sink = {.fd = 2};

int cn_log_init(const char *path, bool json, bool debug)
{
  sink.json = json;
  sink.debug = debug;
  if (path == NULL)
    return 0;
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    return -1;
  sink.fd = fd;
  return 0;
}

static void json_escape(FILE *f, const char *s)
{
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
}

void cn_log(enum cn_log_level level, const char *fmt, ...)
{
  static const char *const names[] = {"error", "warning", "info", "debug"};
  if (level == CN_LOG_DEBUG && !sink.debug)
    return;
  va_list ap;
  va_start(ap, fmt);
  char *msg = NULL;
  if (vasprintf(&msg, fmt, ap) < 0)
    abort();
  va_end(ap);

  char *line = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&line, &len);
  if (sink.json) {
    char ts[64];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(f, "{\"level\":\"%s\",\"msg\":\"", names[level]);
    json_escape(f, msg);
    fprintf(f, "\",\"time\":\"%s.%09ldZ\"}\n", ts, now.tv_nsec);
  } else if (sink.fd != 2) {
    /* A log file in text form reads like runc's (logrus) lines. */
    char ts[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(f, "time=\"%s\" level=%s msg=\"", ts, names[level]);
    json_escape(f, msg);
    fputs("\"\n", f);
  } else {
    fprintf(f, "cinch: %s%s%s\n", level == CN_LOG_ERROR ? "" : names[level],
            level == CN_LOG_ERROR ? "" : ": ", msg);
  }
  fclose(f);
  ssize_t r = write(sink.fd, line, len);
  (void)r;
  /* An error for a caller reading --log goes to stderr as well, so a human
     running by hand sees it and an engine's stderr capture gets it too. */
  if (level == CN_LOG_ERROR && sink.fd != 2) {
    char *plain = xasprintf("cinch: %s\n", msg);
    r = write(2, plain, strlen(plain));
    free(plain);
  }
  free(line);
  free(msg);
}
