/* startContainer hooks: run by the container's init after `start`, inside
   the container, with the OCI state on stdin (the runtime sends it with the
   last SYNC_CONTINUE of create) and their own timeout. */
#include "sandbox/internal.h"
#include "util/hook.h"

int hooks_start_container(const struct sandbox_init *ctx, const char *state, cn_error_t *err)
{
  const struct spec_hook_list *l = &ctx->spec->hooks[SPEC_HOOK_START_CONTAINER];
  for (size_t i = 0; i < l->n; i++)
    if (cn_hook_run(&l->v[i], state ? state : "{}", NULL, NULL, err) < 0)
      return cn_error_wrap(err, "hooks.startContainer[%zu]", i);
  return 0;
}
