/* sandbox/: mount option parsing, clone flags, and the host checks of
   sandbox_validate (error messages name the field). */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "sandbox/internal.h"
#include "sandbox/sandbox.h"
#include "spec/spec.h"
#include "unit.h"

static struct mount_opts parse(const char *type, const char *const *opts, int *r)
{
  struct mount_opts o;
  cn_error_t err = NULL;
  *r = mount_opts_parse((char *const *)opts, type, &o, &err);
  cn_error_release(&err);
  return o;
}

static void test_mount_options(void)
{
  int r;
  const char *tmpfs[] = { "nosuid", "nodev", "noexec", "mode=755", "size=65536k", "ro", NULL };
  struct mount_opts o = parse("tmpfs", tmpfs, &r);
  CHECK(r == 0);
  CHECK(o.flags == (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY));
  CHECK_STR(o.data, "mode=755,size=65536k");
  CHECK(!o.bind);
  mount_opts_clear(&o);

  const char *rw_after_ro[] = { "ro", "rw", NULL };
  o = parse("tmpfs", rw_after_ro, &r);
  CHECK(r == 0 && !(o.flags & MS_RDONLY) && (o.clear & MS_RDONLY));
  CHECK(o.data == NULL);
  mount_opts_clear(&o);

  const char *rbind[] = { "rbind", "rro", "rslave", "rnoatime", NULL };
  o = parse("none", rbind, &r);
  CHECK(r == 0 && o.bind && o.recursive);
  CHECK(o.rec_set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOATIME));
  CHECK(o.rec_clr == MOUNT_ATTR__ATIME);
  CHECK(o.propagation == (MS_SLAVE | MS_REC));
  mount_opts_clear(&o);

  const char *bind_type[] = { "ro", NULL };
  o = parse("bind", bind_type, &r);
  CHECK(r == 0 && o.bind && !o.recursive && (o.flags & MS_RDONLY));
  mount_opts_clear(&o);

  /* The kernel ignores data on a bind mount: an unknown name is an error. */
  const char *bad[] = { "bind", "sizee=1", NULL };
  struct mount_opts b;
  cn_error_t err = NULL;
  CHECK(mount_opts_parse((char *const *)bad, "bind", &b, &err) < 0);
  CHECK(err && strstr(err->msg, "\"sizee=1\""));
  cn_error_release(&err);

  CHECK(mount_propagation_flag("rprivate") == (MS_PRIVATE | MS_REC));
  CHECK(mount_propagation_flag("shared") == MS_SHARED);
  CHECK(mount_propagation_flag("bogus") == 0);
  CHECK(mount_propagation_flag(NULL) == 0);

  bool has_rro = false, has_nosuid = false;
  for (const char *const *n = sandbox_mount_option_names(); *n; n++) {
    has_rro |= strcmp(*n, "rro") == 0;
    has_nosuid |= strcmp(*n, "nosuid") == 0;
  }
  CHECK(has_rro && has_nosuid);
}

static const char base_json[]
    = "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"/\"},"
      "\"process\":{\"args\":[\"true\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0}},"
      "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"network\"},"
      "{\"type\":\"cgroup\"},{\"type\":\"time\"},{\"type\":\"uts\",\"path\":\"/proc/self/ns/"
      "uts\"}]}}";

static void test_clone_flags(void)
{
  struct spec *s = NULL;
  cn_error_t err = NULL;
  CHECK(spec_parse_string(base_json, &s, &err) == 0);
  if (!s) {
    cn_error_release(&err);
    return;
  }
  unsigned long f = sandbox_clone_flags(s);
  /* cgroup and time are not made by clone3 (see namespaces.c); uts is joined */
  CHECK(f == (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET));
  spec_free(s);
}

static char *validate_msg(const char *json, const char *rootfs, void (*edit)(struct spec *))
{
  struct spec *s = NULL;
  cn_error_t err = NULL;
  if (spec_parse_string(json, &s, &err) < 0) {
    char *m = strdup(err->msg);
    cn_error_release(&err);
    return m;
  }
  size_t n_ns = s->linux_.n_namespaces; /* edits may hide some; all are freed */
  if (edit)
    edit(s);
  int r = sandbox_validate(s, rootfs, &err);
  s->linux_.n_namespaces = n_ns;
  char *m = r < 0 ? strdup(err->msg) : NULL;
  cn_error_release(&err);
  spec_free(s);
  return m;
}

static void cap_beyond_last(struct spec *s)
{
  s->process.has_caps = true;
  s->process.caps.permitted = 1ULL << 62;
}

static void hostname_without_uts(struct spec *s)
{
  s->hostname = strdup("x");
  s->linux_.n_namespaces = 2; /* pid, mount */
}

static void bad_bind_option(struct spec *s)
{
  s->mounts = calloc(1, sizeof *s->mounts);
  s->n_mounts = 1;
  s->mounts[0].destination = strdup("/mnt");
  s->mounts[0].source = strdup("/tmp");
  s->mounts[0].type = strdup("bind");
  s->mounts[0].options = calloc(3, sizeof(char *));
  s->mounts[0].options[0] = strdup("rbind");
  s->mounts[0].options[1] = strdup("nosuch");
}

static void unknown_fs(struct spec *s)
{
  bad_bind_option(s);
  free(s->mounts[0].type);
  s->mounts[0].type = strdup("nosuchfs");
  free(s->mounts[0].options[0]);
  free(s->mounts[0].options[1]);
  s->mounts[0].options[0] = NULL;
}

static void no_mount_ns(struct spec *s)
{
  s->linux_.n_namespaces = 1;
}

static void time_offsets_without_ns(struct spec *s)
{
  s->linux_.n_namespaces = 3;
  s->linux_.time_boottime.set = true;
}

static void test_validate(void)
{
  char *m = validate_msg(base_json, "/nonexistent/rootfs", NULL);
  CHECK_STR(m, "root.path: /nonexistent/rootfs: no such directory");
  free(m);

  m = validate_msg(base_json, "/", NULL);
  CHECK(m == NULL);
  free(m);

  m = validate_msg(base_json, "/", cap_beyond_last);
  CHECK(m && strstr(m, "process.capabilities.permitted") && strstr(m, "not known to this kernel"));
  free(m);

  m = validate_msg(base_json, "/", hostname_without_uts);
  CHECK(m && strstr(m, "hostname") && strstr(m, "UTS"));
  free(m);

  m = validate_msg(base_json, "/", bad_bind_option);
  CHECK(m && strstr(m, "mounts[0].options") && strstr(m, "\"nosuch\""));
  free(m);

  m = validate_msg(base_json, "/", unknown_fs);
  CHECK(m && strstr(m, "mounts[0].type") && strstr(m, "nosuchfs"));
  free(m);

  m = validate_msg(base_json, "/", no_mount_ns);
  CHECK(m && strstr(m, "mount namespace"));
  free(m);

  m = validate_msg(base_json, "/", time_offsets_without_ns);
  CHECK(m && strstr(m, "linux.timeOffsets"));
  free(m);
}

static const char seccomp_json[]
    = "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"/\"},"
      "\"process\":{\"args\":[\"true\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0}},"
      "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"seccomp\":{"
      "\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\"],"
      "\"syscalls\":[{\"names\":[\"mkdir\",\"not_a_syscall\"],\"action\":\"SCMP_ACT_ERRNO\","
      "\"errnoRet\":28,\"args\":[{\"index\":1,\"value\":493,\"op\":\"SCMP_CMP_EQ\"}]}]}}}";

static void test_seccomp(void)
{
  struct spec *s = NULL;
  cn_error_t err = NULL;
  CHECK(spec_parse_string(seccomp_json, &s, &err) == 0);
  if (!s) {
    cn_error_release(&err);
    return;
  }
  /* an unknown name is a warning, not an error */
  CHECK(sandbox_validate(s, "/", &err) == 0);
  cn_error_release(&err);
  void *ctx = NULL;
  CHECK(seccomp_build(&s->linux_.seccomp, &ctx, &err) == 0);
  CHECK(ctx != NULL);
  if (ctx)
    seccomp_release(ctx);
  cn_error_release(&err);
  spec_free(s);
}

int main(void)
{
  test_mount_options();
  test_clone_flags();
  test_validate();
  test_seccomp();
  UNIT_DONE();
}
