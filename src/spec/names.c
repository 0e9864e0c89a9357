/* The name tables of the OCI config: capabilities, rlimits, namespaces and
   the seccomp vocabulary.  The parser validates against them, `features`
   lists them, and the sandbox maps them to kernel and libseccomp values. */
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/resource.h>

#include "spec/spec.h"

static const char *const cap_names[SPEC_CAP_LAST + 1] = {
  [CAP_CHOWN] = "CAP_CHOWN",
  [CAP_DAC_OVERRIDE] = "CAP_DAC_OVERRIDE",
  [CAP_DAC_READ_SEARCH] = "CAP_DAC_READ_SEARCH",
  [CAP_FOWNER] = "CAP_FOWNER",
  [CAP_FSETID] = "CAP_FSETID",
  [CAP_KILL] = "CAP_KILL",
  [CAP_SETGID] = "CAP_SETGID",
  [CAP_SETUID] = "CAP_SETUID",
  [CAP_SETPCAP] = "CAP_SETPCAP",
  [CAP_LINUX_IMMUTABLE] = "CAP_LINUX_IMMUTABLE",
  [CAP_NET_BIND_SERVICE] = "CAP_NET_BIND_SERVICE",
  [CAP_NET_BROADCAST] = "CAP_NET_BROADCAST",
  [CAP_NET_ADMIN] = "CAP_NET_ADMIN",
  [CAP_NET_RAW] = "CAP_NET_RAW",
  [CAP_IPC_LOCK] = "CAP_IPC_LOCK",
  [CAP_IPC_OWNER] = "CAP_IPC_OWNER",
  [CAP_SYS_MODULE] = "CAP_SYS_MODULE",
  [CAP_SYS_RAWIO] = "CAP_SYS_RAWIO",
  [CAP_SYS_CHROOT] = "CAP_SYS_CHROOT",
  [CAP_SYS_PTRACE] = "CAP_SYS_PTRACE",
  [CAP_SYS_PACCT] = "CAP_SYS_PACCT",
  [CAP_SYS_ADMIN] = "CAP_SYS_ADMIN",
  [CAP_SYS_BOOT] = "CAP_SYS_BOOT",
  [CAP_SYS_NICE] = "CAP_SYS_NICE",
  [CAP_SYS_RESOURCE] = "CAP_SYS_RESOURCE",
  [CAP_SYS_TIME] = "CAP_SYS_TIME",
  [CAP_SYS_TTY_CONFIG] = "CAP_SYS_TTY_CONFIG",
  [CAP_MKNOD] = "CAP_MKNOD",
  [CAP_LEASE] = "CAP_LEASE",
  [CAP_AUDIT_WRITE] = "CAP_AUDIT_WRITE",
  [CAP_AUDIT_CONTROL] = "CAP_AUDIT_CONTROL",
  [CAP_SETFCAP] = "CAP_SETFCAP",
  [CAP_MAC_OVERRIDE] = "CAP_MAC_OVERRIDE",
  [CAP_MAC_ADMIN] = "CAP_MAC_ADMIN",
  [CAP_SYSLOG] = "CAP_SYSLOG",
  [CAP_WAKE_ALARM] = "CAP_WAKE_ALARM",
  [CAP_BLOCK_SUSPEND] = "CAP_BLOCK_SUSPEND",
  [CAP_AUDIT_READ] = "CAP_AUDIT_READ",
  [38] = "CAP_PERFMON",
  [39] = "CAP_BPF",
  [40] = "CAP_CHECKPOINT_RESTORE",
};

int spec_cap_from_name(const char *name)
{
  for (int i = 0; i <= SPEC_CAP_LAST; i++)
    if (strcmp(cap_names[i], name) == 0)
      return i;
  return -1;
}

const char *spec_cap_name(int cap)
{
  if (cap < 0 || cap > SPEC_CAP_LAST)
    return NULL;
  return cap_names[cap];
}

static const char *const rlimit_names[RLIMIT_NLIMITS] = {
  [RLIMIT_CPU] = "RLIMIT_CPU",           [RLIMIT_FSIZE] = "RLIMIT_FSIZE",
  [RLIMIT_DATA] = "RLIMIT_DATA",         [RLIMIT_STACK] = "RLIMIT_STACK",
  [RLIMIT_CORE] = "RLIMIT_CORE",         [RLIMIT_RSS] = "RLIMIT_RSS",
  [RLIMIT_NPROC] = "RLIMIT_NPROC",       [RLIMIT_NOFILE] = "RLIMIT_NOFILE",
  [RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK",   [RLIMIT_AS] = "RLIMIT_AS",
  [RLIMIT_LOCKS] = "RLIMIT_LOCKS",       [RLIMIT_SIGPENDING] = "RLIMIT_SIGPENDING",
  [RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE", [RLIMIT_NICE] = "RLIMIT_NICE",
  [RLIMIT_RTPRIO] = "RLIMIT_RTPRIO",     [RLIMIT_RTTIME] = "RLIMIT_RTTIME",
};

int spec_rlimit_from_name(const char *name)
{
  for (int i = 0; i < RLIMIT_NLIMITS; i++)
    if (rlimit_names[i] && strcmp(rlimit_names[i], name) == 0)
      return i;
  return -1;
}

const char *spec_rlimit_name(int type)
{
  if (type < 0 || type >= RLIMIT_NLIMITS)
    return NULL;
  return rlimit_names[type];
}

static const char *const ns_names[SPEC_NS__MAX] = {
  [SPEC_NS_PID] = "pid",       [SPEC_NS_NETWORK] = "network", [SPEC_NS_MOUNT] = "mount",
  [SPEC_NS_IPC] = "ipc",       [SPEC_NS_UTS] = "uts",         [SPEC_NS_USER] = "user",
  [SPEC_NS_CGROUP] = "cgroup", [SPEC_NS_TIME] = "time",
};

const char *spec_ns_name(enum spec_ns_type t)
{
  if ((int)t < 0 || t >= SPEC_NS__MAX)
    return NULL;
  return ns_names[t];
}

int spec_ns_from_name(const char *name)
{
  for (int i = 0; i < SPEC_NS__MAX; i++)
    if (strcmp(ns_names[i], name) == 0)
      return i;
  return -1;
}

/* Values are libseccomp's, with a zero errno/trace datum: the sandbox ORs in
   errnoRet. */
const struct spec_name_value spec_seccomp_actions[] = {
  { "SCMP_ACT_KILL", SCMP_ACT_KILL },
  { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
  { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
  { "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
  { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0) },
  { "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0) },
  { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
  { "SCMP_ACT_LOG", SCMP_ACT_LOG },
  { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY },
  { NULL, 0 },
};

const struct spec_name_value spec_seccomp_operators[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE },
  { "SCMP_CMP_LT", SCMP_CMP_LT },
  { "SCMP_CMP_LE", SCMP_CMP_LE },
  { "SCMP_CMP_EQ", SCMP_CMP_EQ },
  { "SCMP_CMP_GE", SCMP_CMP_GE },
  { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
  { NULL, 0 },
};

const struct spec_name_value spec_seccomp_archs[] = {
  { "SCMP_ARCH_X86", SCMP_ARCH_X86 },
  { "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
  { "SCMP_ARCH_X32", SCMP_ARCH_X32 },
  { "SCMP_ARCH_ARM", SCMP_ARCH_ARM },
  { "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 },
  { "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS },
  { "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64 },
  { "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32 },
  { "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL },
  { "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64 },
  { "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32 },
  { "SCMP_ARCH_PPC", SCMP_ARCH_PPC },
  { "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64 },
  { "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE },
  { "SCMP_ARCH_S390", SCMP_ARCH_S390 },
  { "SCMP_ARCH_S390X", SCMP_ARCH_S390X },
  { "SCMP_ARCH_PARISC", SCMP_ARCH_PARISC },
  { "SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64 },
  { "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64 },
#ifdef SCMP_ARCH_LOONGARCH64
  { "SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64 },
#endif
  { NULL, 0 },
};

/* The kernel's SECCOMP_FILTER_FLAG_* bits; older headers lack the newest. */
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

const struct spec_name_value spec_seccomp_flags[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
  { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
  { NULL, 0 },
};

const struct spec_name_value *spec_name_lookup(const struct spec_name_value *table,
                                               const char *name)
{
  for (; table->name; table++)
    if (strcmp(table->name, name) == 0)
      return table;
  return NULL;
}
