/* Diagnostics.  The sink is process-wide (set once by main from --log and
   --log-format) because warnings come from deep inside the drivers; options
   themselves are never kept in globals. */
#ifndef CINCH_LOG_H
#define CINCH_LOG_H

#include <stdbool.h>

enum cn_log_level { CN_LOG_ERROR, CN_LOG_WARNING, CN_LOG_INFO, CN_LOG_DEBUG };

/* path NULL: stderr.  json: runc's {"level","msg","time"} lines, which
   containerd and dockerd parse from --log. */
int cn_log_init(const char *path, bool json, bool debug);
void cn_log(enum cn_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define cn_warn(...) cn_log(CN_LOG_WARNING, __VA_ARGS__)
#define cn_debug(...) cn_log(CN_LOG_DEBUG, __VA_ARGS__)

#endif
