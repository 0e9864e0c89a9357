/* Running one OCI hook: the state JSON on its stdin, its timeout enforced.
   Shared by the runtime (prestart, createRuntime, poststart, poststop...) and
   the container init (startContainer), which is why it lives in util/. */
#ifndef CINCH_HOOK_H
#define CINCH_HOOK_H

#include "spec/spec.h"
#include "util/error.h"

/* Runs hook with state_json on stdin; fails on a non-zero exit, a signal or
   the timeout (the hook is then killed).  before_exec, when set, runs in the
   forked child just before execve (e.g. to join the container's namespaces);
   it returns <0 to abort. */
int cn_hook_run(const struct spec_hook *hook, const char *state_json,
                int (*before_exec)(void *data), void *data, cn_error_t *err);

#endif
