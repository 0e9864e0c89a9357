#include "util/timefmt.h"

#include <time.h>

#include "util/error.h"

char *cn_now_rfc3339(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return xasprintf("%s.%09ldZ", buf, ts.tv_nsec);
}
