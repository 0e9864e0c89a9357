/* The runtime <-> container-init handshake over a SOCK_SEQPACKET pair.
   Each message is one packet: a type byte and an optional text payload
   (an error message, a pid).  Used by container/ (parent side) and sandbox/
   (child side); neither knows the other's code. */
#ifndef CINCH_SYNC_H
#define CINCH_SYNC_H

#include <stddef.h>

#include "util/error.h"

enum sync_msg {
  SYNC_CONTINUE = 1,     /* parent -> child: go on to the next stage */
  SYNC_CREATE_HOOKS = 2, /* child -> parent: rootfs mounted, run prestart/createRuntime/createContainer */
  SYNC_READY = 3,        /* child -> parent: set up, waiting for start */
  SYNC_ERROR = 4,        /* child -> parent: payload is the message; the child exits */
  SYNC_PID = 5,          /* child -> parent: payload is a pid (exec's grandchild) */
};

int sync_send(int fd, enum sync_msg type, const char *payload, cn_error_t *err);
/* Receives one message; *payload (may be NULL) gets a malloc'd copy.  A peer
   that exits without a message is reported as an error. */
int sync_recv(int fd, enum sync_msg *type, char **payload, cn_error_t *err);
/* Waits for `want`; a SYNC_ERROR becomes *err with the child's message. */
int sync_expect(int fd, enum sync_msg want, cn_error_t *err);

#endif
