/* Docker flags -> fe_run / linux.resources JSON, Docker's checks, and the
   capability and seccomp defaults, without running anything. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdlib.h>

#include "frontend/fe.h"
#include "unit.h"
#include "util/strv.h"

/* Parses `run ARGS... IMAGE`; returns the error message or NULL. */
static const char *parse(struct fe_run *r, const char *const *args)
{
  static char msg[512];
  char *argv[64];
  int argc = 0;
  argv[argc++] = "run";
  for (; *args; args++)
    argv[argc++] = (char *)*args;
  argv[argc++] = "img";
  argv[argc] = NULL;
  struct cli_globals g = { .root = "/nonexistent" };
  cn_error_t err = NULL;
  optind = 1;
  memset(r, 0, sizeof *r);
  if (fe_run_parse(&g, argc, argv, r, &err) < 0) {
    snprintf(msg, sizeof msg, "%s", err->msg);
    cn_error_release(&err);
    return msg;
  }
  return NULL;
}

static int64_t res_int(const struct fe_run *r, const char *a, const char *b)
{
  struct json_object *j = fe_resources_json(&r->res), *x = NULL, *y = NULL;
  int64_t v = -12345;
  if (json_object_object_get_ex(j, a, &x) && json_object_object_get_ex(x, b, &y))
    v = json_object_get_int64(y);
  json_object_put(j);
  return v;
}

static bool has_name(struct json_object *sc, const char *name, bool unconditional)
{
  struct json_object *rules;
  json_object_object_get_ex(sc, "syscalls", &rules);
  for (size_t i = 0; i < json_object_array_length(rules); i++) {
    struct json_object *r = json_object_array_get_idx(rules, i), *names, *act, *args;
    json_object_object_get_ex(r, "names", &names);
    json_object_object_get_ex(r, "action", &act);
    if (strcmp(json_object_get_string(act), "SCMP_ACT_ALLOW") != 0)
      continue;
    if (unconditional && json_object_object_get_ex(r, "args", &args))
      continue;
    for (size_t k = 0; k < json_object_array_length(names); k++)
      if (strcmp(json_object_get_string(json_object_array_get_idx(names, k)), name) == 0)
        return true;
  }
  return false;
}

int main(void)
{
  struct fe_run r;
  CHECK(parse(&r, (const char *[]){ "--cpus", "0.5", "-m", "256M", "--pids-limit", "100", NULL })
        == NULL);
  CHECK(res_int(&r, "cpu", "quota") == 50000);
  CHECK(res_int(&r, "cpu", "period") == 100000);
  CHECK(res_int(&r, "memory", "limit") == 268435456);
  CHECK(res_int(&r, "pids", "limit") == 100);
  CHECK_STR(r.image, "img");
  fe_run_clear(&r);

  /* Default swap is twice the memory (when the host can limit swap). */
  CHECK(parse(&r, (const char *[]){ "-m", "64m", NULL }) == NULL);
  CHECK(r.res.memory_swap == 2 * 67108864 || r.res.memory_swap == -1);
  fe_run_clear(&r);
  CHECK(parse(&r, (const char *[]){ "-m", "64m", "--memory-swap", "-1", NULL }) == NULL);
  CHECK(res_int(&r, "memory", "swap") == -12345);
  fe_run_clear(&r);
  CHECK(parse(&r, (const char *[]){ "--pids-limit", "-1", NULL }) == NULL);
  CHECK(res_int(&r, "pids", "limit") == -12345);
  fe_run_clear(&r);

  /* Docker's messages. */
  CHECK_STR(parse(&r, (const char *[]){ "-m", "4m", NULL }), "Minimum memory limit allowed is 6MB");
  fe_run_clear(&r);
  CHECK_STR(parse(&r, (const char *[]){ "--blkio-weight", "5", NULL }),
            "Range of blkio weight is from 10 to 1000");
  fe_run_clear(&r);
  CHECK_STR(parse(&r, (const char *[]){ "--ulimit", "nofile=10:5", NULL }),
            "invalid argument \"nofile=10:5\" for \"--ulimit\" flag: ulimit soft limit must be "
            "less than or equal to hard limit: 10 > 5");
  fe_run_clear(&r);
  CHECK_STR(parse(&r, (const char *[]){ "--cpu-quota", "999", NULL }),
            "CPU cfs quota can not be less than 1ms (i.e. 1000)");
  fe_run_clear(&r);
  CHECK_STR(parse(&r, (const char *[]){ "--oom-score-adj", "-1001", NULL }),
            "Invalid value -1001, range for oom score adj is [-1000, 1000]");
  fe_run_clear(&r);
  CHECK_STR(parse(&r, (const char *[]){ "--security-opt", "nope", NULL }),
            "invalid --security-opt: \"nope\"");
  fe_run_clear(&r);
  /* --ulimit: a later value for the same name wins; -1 is unlimited. */
  CHECK(parse(&r, (const char *[]){ "--ulimit", "nofile=1:2", "--ulimit", "nofile=-1", NULL })
        == NULL);
  CHECK(cn_strv_len(r.ulimits) == 1);
  CHECK_STR(r.ulimits[0], "RLIMIT_NOFILE 18446744073709551615 18446744073709551615");
  fe_run_clear(&r);
  /* Short flags bundle as in Docker. */
  CHECK(parse(&r, (const char *[]){ "-dit", "--rm=false", "--init", NULL }) == NULL);
  CHECK(r.detach && r.interactive && r.tty && !r.rm && r.init);
  fe_run_clear(&r);

  /* Capabilities. */
  char **caps = NULL;
  cn_error_t err = NULL;
  CHECK(parse(&r, (const char *[]){ NULL }) == NULL);
  CHECK(fe_caps_resolve(&r, &caps, &err) == 0 && cn_strv_len(caps) == 14);
  struct json_object *sc = fe_default_seccomp(caps);
  CHECK(has_name(sc, "read", true));
  CHECK(has_name(sc, "chroot", true)); /* CAP_SYS_CHROOT is a default */
  CHECK(!has_name(sc, "mount", false));
  CHECK(!has_name(sc, "keyctl", false));
  CHECK(!has_name(sc, "clone", true));
  CHECK(has_name(sc, "clone", false)); /* only without namespace flags */
  CHECK(has_name(sc, "socket", false) && !has_name(sc, "socket", true));
  json_object_put(sc);
  cn_strv_free(caps);
  fe_run_clear(&r);

  CHECK(parse(&r, (const char *[]){ "--cap-drop", "ALL", "--cap-add", "sys_admin", NULL }) == NULL);
  CHECK(fe_caps_resolve(&r, &caps, &err) == 0 && cn_strv_len(caps) == 1);
  CHECK_STR(caps[0], "CAP_SYS_ADMIN");
  sc = fe_default_seccomp(caps);
  CHECK(has_name(sc, "mount", true) && has_name(sc, "clone", true) && has_name(sc, "setns", true));
  CHECK(!has_name(sc, "chroot", false)); /* CAP_SYS_CHROOT was dropped */
  json_object_put(sc);
  cn_strv_free(caps);
  fe_run_clear(&r);

  CHECK(parse(&r, (const char *[]){ "--cap-add", "CAP_BOGUS", NULL }) == NULL);
  CHECK(fe_caps_resolve(&r, &caps, &err) < 0);
  CHECK_STR(err ? err->msg : NULL, "unknown capability: \"CAP_BOGUS\"");
  cn_error_release(&err);
  fe_run_clear(&r);
  UNIT_DONE();
}
