/* TEMPORARY: weak placeholders so the tree links while the layers are being
   written in parallel.  Each real definition overrides its stub; this file is
   deleted once every symbol has one (a test greps the binary for the marker). */
#include <errno.h>
#include <unistd.h>

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

/* Layer APIs, until each layer defines them. */
W int spec_parse_file(const char *path, struct spec **out, cn_error_t *err)
{
  (void)path;
  (void)out;
  return NI("spec_parse_file");
}
W int spec_parse_string(const char *json, struct spec **out, cn_error_t *err)
{
  (void)json;
  (void)out;
  return NI("spec_parse_string");
}
W void spec_free(struct spec *s) { (void)s; }
W int sandbox_validate(const struct spec *spec, const char *rootfs, cn_error_t *err)
{
  (void)spec;
  (void)rootfs;
  (void)err;
  return 0;
}
W unsigned long sandbox_clone_flags(const struct spec *spec)
{
  (void)spec;
  return 0;
}
W int sandbox_write_id_maps(pid_t pid, const struct spec *spec, cn_error_t *err)
{
  (void)pid;
  (void)spec;
  (void)err;
  return 0;
}
W _Noreturn void sandbox_init_main(const struct sandbox_init *ctx)
{
  (void)ctx;
  _exit(1);
}
W int cgroup_create(const struct cgroup_create_opts *o, struct cgroup **out, cn_error_t *err)
{
  (void)o;
  (void)out;
  return NI("cgroup_create");
}
W int cgroup_clone_fd(struct cgroup *cg)
{
  (void)cg;
  return -1;
}
W int cgroup_enter(struct cgroup *cg, pid_t pid, cn_error_t *err)
{
  (void)cg;
  (void)pid;
  return NI("cgroup_enter");
}
W int cgroup_freeze(struct cgroup *cg, bool freeze, cn_error_t *err)
{
  (void)cg;
  (void)freeze;
  return NI("cgroup_freeze");
}
W int cgroup_is_frozen(struct cgroup *cg, bool *frozen, cn_error_t *err)
{
  (void)cg;
  (void)frozen;
  return NI("cgroup_is_frozen");
}
W int cgroup_kill_all(struct cgroup *cg, int sig, cn_error_t *err)
{
  (void)cg;
  (void)sig;
  return NI("cgroup_kill_all");
}
W int cgroup_oom_kills(struct cgroup *cg, uint64_t *count, cn_error_t *err)
{
  (void)cg;
  (void)count;
  return NI("cgroup_oom_kills");
}
W int cgroup_destroy(struct cgroup *cg, cn_error_t *err)
{
  (void)cg;
  return NI("cgroup_destroy");
}
W struct json_object *cgroup_to_json(const struct cgroup *cg)
{
  (void)cg;
  return NULL;
}
W int cgroup_from_json(struct json_object *j, struct cgroup **out, cn_error_t *err)
{
  (void)j;
  (void)out;
  return NI("cgroup_from_json");
}
W void cgroup_free(struct cgroup *cg) { (void)cg; }
