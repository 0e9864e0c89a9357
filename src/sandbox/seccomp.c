/* linux.seccomp through libseccomp: the whole OCI format (default action and
   errno, architectures, flags, per-syscall action/errnoRet/args). */
#include <errno.h>
#include <ctype.h>
#include <seccomp.h>
#include <string.h>

#include "sandbox/internal.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/strv.h"

static int parse_action(const char *name, bool has_errno, uint32_t errno_ret, uint32_t *out)
{
  uint32_t e = has_errno ? errno_ret : EPERM;
  if (!name)
    return -1;
  if (strcmp(name, "SCMP_ACT_ALLOW") == 0)
    *out = SCMP_ACT_ALLOW;
  else if (strcmp(name, "SCMP_ACT_ERRNO") == 0)
    *out = SCMP_ACT_ERRNO(e);
  else if (strcmp(name, "SCMP_ACT_KILL") == 0 || strcmp(name, "SCMP_ACT_KILL_THREAD") == 0)
    *out = SCMP_ACT_KILL_THREAD;
  else if (strcmp(name, "SCMP_ACT_KILL_PROCESS") == 0)
    *out = SCMP_ACT_KILL_PROCESS;
  else if (strcmp(name, "SCMP_ACT_TRAP") == 0)
    *out = SCMP_ACT_TRAP;
  else if (strcmp(name, "SCMP_ACT_TRACE") == 0)
    *out = SCMP_ACT_TRACE(e);
  else if (strcmp(name, "SCMP_ACT_LOG") == 0)
    *out = SCMP_ACT_LOG;
  else
    return -1;
  return 0;
}

static int parse_op(const char *name, enum scmp_compare *out)
{
  static const struct {
    const char *name;
    enum scmp_compare op;
  } ops[] = { { "SCMP_CMP_NE", SCMP_CMP_NE },
              { "SCMP_CMP_LT", SCMP_CMP_LT },
              { "SCMP_CMP_LE", SCMP_CMP_LE },
              { "SCMP_CMP_EQ", SCMP_CMP_EQ },
              { "SCMP_CMP_GE", SCMP_CMP_GE },
              { "SCMP_CMP_GT", SCMP_CMP_GT },
              { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ } };
  for (size_t i = 0; name && i < sizeof ops / sizeof *ops; i++)
    if (strcmp(name, ops[i].name) == 0) {
      *out = ops[i].op;
      return 0;
    }
  return -1;
}

/* "SCMP_ARCH_X86_64" -> libseccomp's token for "x86_64". */
static uint32_t parse_arch(const char *name)
{
  if (!name || strncmp(name, "SCMP_ARCH_", 10) != 0)
    return 0;
  char lower[32];
  size_t i = 0;
  for (const char *s = name + 10; *s && i < sizeof lower - 1; s++)
    lower[i++] = (char)tolower((unsigned char)*s);
  lower[i] = '\0';
  return seccomp_arch_resolve_name(lower);
}

static int flag_attr(const char *name, enum scmp_filter_attr *attr)
{
  if (strcmp(name, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
    *attr = SCMP_FLTATR_CTL_TSYNC;
  else if (strcmp(name, "SECCOMP_FILTER_FLAG_LOG") == 0)
    *attr = SCMP_FLTATR_CTL_LOG;
  else if (strcmp(name, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
    *attr = SCMP_FLTATR_CTL_SSB;
  else
    return -1;
  return 0;
}

int seccomp_validate(const struct spec_seccomp *s, cn_error_t *err)
{
  _cleanup_strv_ char **unknown = NULL;
  uint32_t act;
  if (parse_action(s->default_action, true, 0, &act) < 0)
    return cn_error_set(err, EINVAL, "linux.seccomp.defaultAction: unsupported action \"%s\"",
                        s->default_action ? s->default_action : "");
  if (s->listener_path)
    return cn_error_set(err, ENOTSUP,
                        "linux.seccomp.listenerPath: seccomp notification is not supported");
  for (size_t i = 0; s->architectures && s->architectures[i]; i++)
    if (!parse_arch(s->architectures[i]))
      return cn_error_set(err, EINVAL, "linux.seccomp.architectures[%zu]: unknown \"%s\"", i,
                          s->architectures[i]);
  for (size_t i = 0; s->flags && s->flags[i]; i++) {
    enum scmp_filter_attr a;
    if (flag_attr(s->flags[i], &a) < 0)
      return cn_error_set(err, EINVAL, "linux.seccomp.flags[%zu]: unsupported \"%s\"", i,
                          s->flags[i]);
  }
  for (size_t i = 0; i < s->n_syscalls; i++) {
    const struct spec_seccomp_syscall *sc = &s->syscalls[i];
    if (parse_action(sc->action, true, 0, &act) < 0)
      return cn_error_set(err, EINVAL, "linux.seccomp.syscalls[%zu].action: unsupported \"%s\"", i,
                          sc->action ? sc->action : "");
    for (size_t a = 0; a < sc->n_args; a++) {
      enum scmp_compare op;
      if (parse_op(sc->args[a].op, &op) < 0)
        return cn_error_set(err, EINVAL, "linux.seccomp.syscalls[%zu].args[%zu].op: unknown \"%s\"",
                            i, a, sc->args[a].op ? sc->args[a].op : "");
      if (sc->args[a].index > 5)
        return cn_error_set(err, EINVAL, "linux.seccomp.syscalls[%zu].args[%zu].index: %u > 5", i,
                            a, sc->args[a].index);
    }
    for (char **n = sc->names; n && *n; n++)
      if (seccomp_syscall_resolve_name(*n) == __NR_SCMP_ERROR)
        cn_strv_push(&unknown, *n);
  }
  /* One line, not one per name: profiles written for many architectures
     (Docker's) name dozens of syscalls this one lacks. */
  if (unknown) {
    size_t n = cn_strv_len(unknown), len = 1;
    for (size_t i = 0; i < n; i++)
      len += strlen(unknown[i]) + 2;
    _cleanup_free_ char *list = xcalloc(1, len);
    for (size_t i = 0; i < n; i++) {
      if (i)
        strcat(list, ", ");
      strcat(list, unknown[i]);
    }
    cn_warn("linux.seccomp: %zu syscall name%s unknown on this architecture, skipped: %s", n,
            n == 1 ? "" : "s", list);
  }
  return 0;
}

static int add_rule(scmp_filter_ctx ctx, uint32_t act, int nr,
                    const struct spec_seccomp_syscall *sc, size_t idx, cn_error_t *err)
{
  struct scmp_arg_cmp cmp[6];
  size_t n = sc->n_args > 6 ? 6 : sc->n_args;
  bool same_index = n > 1;
  for (size_t a = 0; a < n; a++) {
    enum scmp_compare op = SCMP_CMP_EQ;
    parse_op(sc->args[a].op, &op);
    cmp[a] = (struct scmp_arg_cmp){ .arg = sc->args[a].index,
                                    .op = op,
                                    .datum_a = sc->args[a].value,
                                    .datum_b = sc->args[a].value_two };
    if (a > 0 && cmp[a].arg != cmp[0].arg)
      same_index = false;
  }
  int r;
  if (same_index) {
    /* Several conditions on one argument cannot all hold at once: they are
       alternatives, one rule each (what runc does). */
    for (size_t a = 0; a < n; a++)
      if ((r = seccomp_rule_add_array(ctx, act, nr, 1, &cmp[a])) < 0)
        return cn_error_errno(err, -r, "linux.seccomp.syscalls[%zu]: add rule", idx);
    return 0;
  }
  r = seccomp_rule_add_array(ctx, act, nr, (unsigned)n, cmp);
  if (r < 0)
    return cn_error_errno(err, -r, "linux.seccomp.syscalls[%zu]: add rule", idx);
  return 0;
}

int seccomp_build(const struct spec_seccomp *s, void **out, cn_error_t *err)
{
  uint32_t def;
  if (parse_action(s->default_action, s->has_default_errno_ret, s->default_errno_ret, &def) < 0)
    return cn_error_set(err, EINVAL, "linux.seccomp.defaultAction: unsupported \"%s\"",
                        s->default_action ? s->default_action : "");
  scmp_filter_ctx ctx = seccomp_init(def);
  if (!ctx)
    return cn_error_set(err, EINVAL, "linux.seccomp: seccomp_init failed");
  /* libseccomp would set no_new_privs itself; that is process.noNewPrivileges'
     decision, not the filter's. */
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  int r;
  for (size_t i = 0; s->architectures && s->architectures[i]; i++) {
    uint32_t arch = parse_arch(s->architectures[i]);
    if (arch && (r = seccomp_arch_add(ctx, arch)) < 0 && r != -EEXIST) {
      seccomp_release(ctx);
      return cn_error_errno(err, -r, "linux.seccomp.architectures[%zu]", i);
    }
  }
  for (size_t i = 0; s->flags && s->flags[i]; i++) {
    enum scmp_filter_attr a;
    if (flag_attr(s->flags[i], &a) == 0 && (r = seccomp_attr_set(ctx, a, 1)) < 0) {
      seccomp_release(ctx);
      return cn_error_errno(err, -r, "linux.seccomp.flags[%zu]", i);
    }
  }
  for (size_t i = 0; i < s->n_syscalls; i++) {
    const struct spec_seccomp_syscall *sc = &s->syscalls[i];
    uint32_t act;
    if (parse_action(sc->action, sc->has_errno_ret, sc->errno_ret, &act) < 0) {
      seccomp_release(ctx);
      return cn_error_set(err, EINVAL, "linux.seccomp.syscalls[%zu].action", i);
    }
    if (act == def)
      continue; /* libseccomp refuses rules equal to the default */
    for (char **n = sc->names; n && *n; n++) {
      int nr = seccomp_syscall_resolve_name(*n);
      if (nr == __NR_SCMP_ERROR)
        continue; /* warned about in the runtime */
      if (add_rule(ctx, act, nr, sc, i, err) < 0) {
        seccomp_release(ctx);
        return cn_error_wrap(err, "syscall %s", *n);
      }
    }
  }
  *out = ctx;
  return 0;
}

int seccomp_load_ctx(void *ctx, cn_error_t *err)
{
  int r = seccomp_load(ctx);
  if (r < 0)
    return cn_error_errno(err, -r, "linux.seccomp: load the filter");
  return 0;
}
