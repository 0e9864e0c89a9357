/* TEMPORARY: weak placeholders so the tree links while the layers are being
   written in parallel.  Each real definition overrides its stub; this file is
   deleted once every symbol has one (a test greps the binary for the marker). */
#include <errno.h>

#include "cgroup/cgroup.h"
#include "cli/cli.h"
#include "container/container.h"
#include "frontend/frontend.h"
#include "sandbox/sandbox.h"
#include "spec/spec.h"

#define W __attribute__((weak))
#define NI(what) cn_error_set(err, ENOSYS, "CINCH_UNIMPLEMENTED %s", what)

#define CMD(name)                                                                                  \
  W int cli_##name(struct cli_globals *g, int argc, char **argv, cn_error_t *err)                  \
  {                                                                                                \
    (void)g;                                                                                       \
    (void)argc;                                                                                    \
    (void)argv;                                                                                    \
    return NI(#name);                                                                              \
  }
CMD(create)
CMD(start)
CMD(state)
CMD(kill)
CMD(delete)
CMD(run)
CMD(exec)
CMD(ps)
CMD(pause)
CMD(resume)
CMD(update)
CMD(events)
CMD(list)
CMD(spec)
CMD(features)

W bool frontend_wants(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  return false;
}

W int frontend_main(struct cli_globals *g, int argc, char **argv, cn_error_t *err)
{
  (void)g;
  (void)argc;
  (void)argv;
  return NI("frontend");
}
