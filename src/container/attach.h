/* Being the foreground of a container: used by `run` and the front end. */
#ifndef CINCH_ATTACH_H
#define CINCH_ATTACH_H

#include <sys/types.h>

#include "util/error.h"

/* Connects to runc's --console-socket path; returns the fd. */
int console_socket_connect(const char *path, cn_error_t *err);
/* Receives the pty master the init sends over a console socket. */
int console_recv_master(int sock, int *master, cn_error_t *err);
/* Blocks the signals attach forwards, so that one sent between start and
   attach is queued for the container instead of killing the runtime.  Call
   it after the init is cloned (it must not inherit the mask). */
void container_attach_hold_signals(void);
/* Forwards signals to pid (our child) and, when master >= 0, proxies the
   terminal; returns the exit status (code, or 128+signal). */
int container_attach(pid_t pid, int master, cn_error_t *err);

#endif
