/* Shared between the files of container/ only. */
#ifndef CINCH_CONTAINER_INTERNAL_H
#define CINCH_CONTAINER_INTERNAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "container/container.h"

struct json_object;

bool container_id_valid(const char *id);
/* Field 22 of /proc/pid/stat and the state letter; -1 when pid is gone. */
int proc_start_time(pid_t pid, unsigned long long *start, char *state);
bool container_init_alive(struct container *c);
struct json_object *container_state_json_status(struct container *c, const char *status);

#endif
