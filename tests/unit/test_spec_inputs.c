/* The other inputs of the spec layer: real engine documents, `exec
   --process` files, `update -r` resources, the default config and the name
   tables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "spec/spec.h"
#include "unit.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define DATA "tests/unit/spec-data/"

static void test_engine_configs(void)
{
  static const char *const engines[] = { "docker", "podman", "containerd" };
  for (size_t i = 0; i < 3; i++) {
    _cleanup_free_ char *cfg = xasprintf(DATA "%s/create.config.json", engines[i]);
    _cleanup_free_ char *proc = xasprintf(DATA "%s/exec.process.json", engines[i]);
    _cleanup_error_ cn_error_t err = NULL;
    _cleanup_spec_ struct spec *s = NULL;
    int r = spec_parse_file(cfg, &s, &err);
    if (r < 0)
      fprintf(stderr, "%s: %s\n", cfg, err->msg);
    CHECK(r == 0);
    CHECK(s && s->has_process && s->process.args && s->process.args[0]);
    CHECK(s && s->has_linux && s->linux_.n_namespaces >= 4);

    struct spec_process p = { 0 };
    r = spec_parse_process_file(proc, &p, &err);
    if (r < 0)
      fprintf(stderr, "%s: %s\n", proc, err->msg);
    CHECK(r == 0);
    CHECK(p.args && p.args[0] && p.cwd);
    spec_process_clear(&p);
  }

  /* Docker's details: a rule without type is "all", zeros are unset. */
  _cleanup_error_ cn_error_t err = NULL;
  _cleanup_spec_ struct spec *d = NULL;
  CHECK(spec_parse_file(DATA "docker/create.config.json", &d, &err) == 0);
  if (d) {
    struct spec_resources *r = &d->linux_.resources;
    CHECK(r->n_devices == 8);
    CHECK(r->devices[0].type == 'a' && !r->devices[0].allow && r->devices[0].major == -1
          && r->devices[0].minor == -1);
    CHECK_STR(r->devices[0].access, "rwm");
    CHECK(r->devices[7].type == 'c' && r->devices[7].major == 10 && r->devices[7].minor == 229);
    CHECK(r->has_cpu && !r->cpu.has_shares);
    CHECK(r->has_block_io && !r->block_io.has_weight);
    CHECK(r->memory.has_disable_oom_killer && !r->memory.disable_oom_killer);
    CHECK(d->process.caps.bounding == d->process.caps.effective);
    CHECK(d->process.has_oom_score_adj && d->process.oom_score_adj == 0);
    CHECK(d->hooks[SPEC_HOOK_PRESTART].n == 1);
    CHECK(d->linux_.has_seccomp && d->linux_.seccomp.n_syscalls > 2);
  }
  _cleanup_spec_ struct spec *p = NULL;
  CHECK(spec_parse_file(DATA "podman/create.config.json", &p, &err) == 0);
  if (p) {
    CHECK(p->process.user.has_umask && p->process.user.umask == 022);
    CHECK(p->process.n_rlimits == 2 && p->process.rlimits[1].type == RLIMIT_NPROC);
    CHECK(p->linux_.resources.has_pids && p->linux_.resources.pids_limit == 2048);
  }
}

static void test_resources_string(void)
{
  _cleanup_free_ char *text = NULL;
  _cleanup_error_ cn_error_t err = NULL;
  struct spec_resources r = { 0 };
  CHECK(cn_read_file(DATA "podman/update.resources.json", &text, NULL, &err) == 0);
  CHECK(text && spec_parse_resources_string(text, &r, &err) == 0);
  CHECK(r.has_memory && r.memory.has_limit && r.memory.limit == 134217728);
  CHECK(r.memory.has_swap && r.memory.swap == 268435456);
  CHECK(!r.has_cpu && !r.has_pids);
  spec_resources_clear(&r);

  CHECK(spec_parse_resources_string("{\"cpu\":{\"shares\":512,\"cpus\":\"0\"},\"pids\":{\"limit\":"
                                    "-1},\"unified\":{\"memory.high\":\"max\"}}",
                                    &r, &err)
        == 0);
  CHECK(r.has_cpu && r.cpu.has_shares && r.cpu.shares == 512);
  CHECK_STR(r.cpu.cpus, "0");
  CHECK(r.has_pids && r.pids_limit == -1);
  CHECK(r.n_unified == 1);
  CHECK_STR(r.unified[0].value, "max");
  spec_resources_clear(&r);

  /* Paths of a resources document start at its own keys. */
  CHECK(spec_parse_resources_string("{\"memory\":{\"limit\":\"1g\"}}", &r, &err) < 0);
  CHECK_STR(err ? err->msg : NULL, "memory.limit: expected integer, got string \"1g\"");
  cn_error_release(&err);
  CHECK(spec_parse_resources_string("{\"memory\":", &r, &err) < 0);
  CHECK_STR(err ? err->msg : NULL,
            "resources: invalid JSON at line 1, column 11: unexpected end of input");
  cn_error_release(&err);
  CHECK(spec_parse_resources_string("{\"cpu\":{\"cpus\":\"0\",\"shares\":\"x\"}}", &r, &err) < 0);
  CHECK_STR(err ? err->msg : NULL, "cpu.shares: expected non-negative integer, got string \"x\"");
  CHECK(r.cpu.cpus == NULL); /* cleared on failure */
}

static void test_process_file(void)
{
  char path[] = "/tmp/cinch-test-process-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  static const char bad[] = "{\"args\":[\"ls\"],\"cwd\":\"/\",\"capabilities\":{\"bounding\":"
                            "[\"CAP_KILL\",\"CAP_NOPE\"]}}";
  CHECK(write(fd, bad, sizeof bad - 1) == (ssize_t)(sizeof bad - 1));
  close(fd);
  struct spec_process p = { 0 };
  _cleanup_error_ cn_error_t err = NULL;
  CHECK(spec_parse_process_file(path, &p, &err) < 0);
  _cleanup_free_ char *want
      = xasprintf("%s: capabilities.bounding[1]: unknown capability \"CAP_NOPE\"", path);
  CHECK_STR(err ? err->msg : NULL, want);
  cn_error_release(&err);
  unlink(path);

  CHECK(spec_parse_process_file("/nonexistent/process.json", &p, &err) < 0);
  CHECK_STR(err ? err->msg : NULL, "open /nonexistent/process.json: No such file or directory");
}

static void test_missing_file(void)
{
  _cleanup_error_ cn_error_t err = NULL;
  struct spec *s = NULL;
  CHECK(spec_parse_file("/nonexistent/config.json", &s, &err) < 0);
  CHECK(s == NULL);
  CHECK_STR(err ? err->msg : NULL, "open /nonexistent/config.json: No such file or directory");
}

static void test_names(void)
{
  CHECK(spec_cap_from_name("CAP_CHOWN") == 0);
  CHECK(spec_cap_from_name("CAP_KILL") == 5);
  CHECK(spec_cap_from_name("CAP_SYS_ADMIN") == 21);
  CHECK(spec_cap_from_name("CAP_AUDIT_READ") == 37);
  CHECK(spec_cap_from_name("CAP_PERFMON") == 38);
  CHECK(spec_cap_from_name("CAP_CHECKPOINT_RESTORE") == 40);
  CHECK(spec_cap_from_name("CAP_FOO") == -1);
  CHECK(spec_cap_from_name("cap_kill") == -1);
  for (int c = 0; c <= SPEC_CAP_LAST; c++)
    CHECK(spec_cap_name(c) && spec_cap_from_name(spec_cap_name(c)) == c);
  CHECK(spec_cap_name(41) == NULL && spec_cap_name(-1) == NULL);

  CHECK(spec_rlimit_from_name("RLIMIT_NOFILE") == RLIMIT_NOFILE);
  CHECK(spec_rlimit_from_name("RLIMIT_RTTIME") == RLIMIT_RTTIME);
  CHECK(spec_rlimit_from_name("RLIMIT_CPU") == RLIMIT_CPU);
  CHECK(spec_rlimit_from_name("NOFILE") == -1);
  CHECK_STR(spec_rlimit_name(RLIMIT_AS), "RLIMIT_AS");
  for (int r = 0; r < RLIMIT_NLIMITS; r++)
    CHECK(spec_rlimit_from_name(spec_rlimit_name(r)) == r);

  CHECK_STR(spec_ns_name(SPEC_NS_NETWORK), "network");
  CHECK_STR(spec_ns_name(SPEC_NS_TIME), "time");
  CHECK(spec_ns_from_name("cgroup") == SPEC_NS_CGROUP);
  CHECK(spec_ns_from_name("net") == -1);
  CHECK(spec_ns_name(SPEC_NS__MAX) == NULL);

  CHECK(spec_name_lookup(spec_seccomp_actions, "SCMP_ACT_ERRNO") != NULL);
  CHECK(spec_name_lookup(spec_seccomp_actions, "SCMP_ACT_ALLOW")->value == 0x7fff0000);
  CHECK(spec_name_lookup(spec_seccomp_operators, "SCMP_CMP_MASKED_EQ") != NULL);
  CHECK(spec_name_lookup(spec_seccomp_archs, "SCMP_ARCH_X86_64") != NULL);
  CHECK(spec_name_lookup(spec_seccomp_flags, "SECCOMP_FILTER_FLAG_SPEC_ALLOW")->value == 4);
  CHECK(spec_name_lookup(spec_seccomp_archs, "x86_64") == NULL);
}

static void test_default(bool rootless)
{
  _cleanup_free_ char *text = spec_default_json(rootless);
  _cleanup_error_ cn_error_t err = NULL;
  _cleanup_spec_ struct spec *s = NULL;
  CHECK(spec_parse_string(text, &s, &err) == 0);
  if (s == NULL)
    return;
  CHECK_STR(s->process.args[0], "sh");
  CHECK(s->process.args[1] == NULL);
  CHECK(s->process.terminal);
  CHECK_STR(s->process.cwd, "/");
  CHECK_STR(s->root_path, "rootfs");
  CHECK(s->root_readonly);
  CHECK(s->process.no_new_privileges);
  uint64_t caps = (1ULL << 29) | (1ULL << 5) | (1ULL << 10); /* AUDIT_WRITE KILL NET_BIND */
  CHECK(s->process.caps.bounding == caps && s->process.caps.ambient == caps);
  CHECK(s->process.n_rlimits == 1 && s->process.rlimits[0].soft == 1024);
  CHECK(s->n_mounts == 7);
  CHECK_STR(s->mounts[0].destination, "/proc");
  CHECK_STR(s->mounts[6].destination, "/sys/fs/cgroup");
  CHECK_STR(s->linux_.masked_paths[0], "/proc/acpi");
  CHECK_STR(s->linux_.readonly_paths[4], "/proc/sysrq-trigger");
  bool user = false, net = false;
  for (size_t i = 0; i < s->linux_.n_namespaces; i++) {
    user |= s->linux_.namespaces[i].type == SPEC_NS_USER;
    net |= s->linux_.namespaces[i].type == SPEC_NS_NETWORK;
  }
  CHECK(user == rootless && net == !rootless);
  if (rootless) {
    CHECK(s->linux_.n_uid_mappings == 1 && s->linux_.uid_mappings[0].host_id == geteuid());
    CHECK(s->linux_.n_gid_mappings == 1 && s->linux_.gid_mappings[0].size == 1);
    CHECK_STR(s->mounts[5].type, "none");
  } else {
    CHECK(s->linux_.has_resources && s->linux_.resources.n_devices == 1);
    CHECK(!s->linux_.resources.devices[0].allow && s->linux_.resources.devices[0].type == 'a');
    CHECK_STR(s->mounts[5].type, "sysfs");
  }
}

int main(void)
{
  test_engine_configs();
  test_resources_string();
  test_process_file();
  test_missing_file();
  test_names();
  test_default(false);
  test_default(true);
  UNIT_DONE();
}
