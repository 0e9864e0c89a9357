/* What a docker-style container gets when the user says nothing: Docker's
   14 capabilities, its default mounts, masked and read-only paths, and a
   seccomp allow-list with the same semantics as Docker's default profile
   (unknown syscalls fail with EPERM; capability- and arch-conditional
   groups).  The syscall lists are cinch's own, written from the kernel's
   syscall tables. */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "frontend/fe.h"
#include "spec/spec.h"
#include "util/strv.h"

const char *const fe_default_caps[] = { "CAP_CHOWN",
                                        "CAP_DAC_OVERRIDE",
                                        "CAP_FSETID",
                                        "CAP_FOWNER",
                                        "CAP_MKNOD",
                                        "CAP_NET_RAW",
                                        "CAP_SETGID",
                                        "CAP_SETUID",
                                        "CAP_SETFCAP",
                                        "CAP_SETPCAP",
                                        "CAP_NET_BIND_SERVICE",
                                        "CAP_SYS_CHROOT",
                                        "CAP_KILL",
                                        "CAP_AUDIT_WRITE",
                                        NULL };

static int last_cap(void)
{
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  int n = 40;
  if (f) {
    if (fscanf(f, "%d", &n) != 1)
      n = 40;
    fclose(f);
  }
  return n;
}

/* The capabilities we hold in our bounding set: a container cannot get more
   (this host, for one, lacks CAP_SYS_RESOURCE). */
static uint64_t our_bounding(void)
{
  FILE *f = fopen("/proc/self/status", "re");
  char line[256];
  unsigned long long v = ~0ULL;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "CapBnd: %llx", &v) == 1)
      break;
  if (f)
    fclose(f);
  return v;
}

/* "net_admin", "CAP_NET_ADMIN", "Net_Admin" -> "CAP_NET_ADMIN"; "ALL" stays. */
static int normalize_cap(const char *in, char **out, cn_error_t *err)
{
  char *s = xasprintf("%s%s", strncasecmp(in, "CAP_", 4) == 0 ? "" : "CAP_", in);
  for (char *p = s; *p; p++)
    *p = (char)toupper((unsigned char)*p);
  if (strcmp(s, "CAP_ALL") == 0) {
    free(s);
    *out = xstrdup("ALL");
    return 0;
  }
  int n = spec_cap_from_name(s);
  if (n < 0) {
    cn_error_set(err, EINVAL, "unknown capability: \"%s\"", s);
    free(s);
    return -1;
  }
  if (n > last_cap() || !(our_bounding() & (1ULL << n))) {
    cn_error_set(err, EINVAL,
                 "capability not supported by your kernel or not available in the current "
                 "environment: \"%s\"",
                 s);
    free(s);
    return -1;
  }
  *out = s;
  return 0;
}

static bool strv_has(char *const *v, const char *s)
{
  for (; v && *v; v++)
    if (strcmp(*v, s) == 0)
      return true;
  return false;
}

int fe_caps_resolve(const struct fe_run *r, char ***out, cn_error_t *err)
{
  _cleanup_strv_ char **add = NULL, **drop = NULL, **res = NULL;
  for (char **p = r->cap_add; p && *p; p++) {
    char *n = NULL;
    if (normalize_cap(*p, &n, err) < 0)
      return -1;
    cn_strv_push(&add, n);
    free(n);
  }
  for (char **p = r->cap_drop; p && *p; p++) {
    char *n = NULL;
    if (normalize_cap(*p, &n, err) < 0)
      return -1;
    cn_strv_push(&drop, n);
    free(n);
  }
  int last = last_cap();
  if (r->privileged || strv_has(add, "ALL")) {
    for (int i = 0; i <= last; i++) {
      const char *name = spec_cap_name(i);
      if (name && (our_bounding() & (1ULL << i)) && (r->privileged || !strv_has(drop, name)))
        cn_strv_push(&res, name);
    }
  } else if (strv_has(drop, "ALL")) {
    for (char **p = add; p && *p; p++)
      if (!strv_has(res, *p))
        cn_strv_push(&res, *p);
  } else {
    for (size_t i = 0; fe_default_caps[i]; i++)
      if (!strv_has(drop, fe_default_caps[i]))
        cn_strv_push(&res, fe_default_caps[i]);
    for (char **p = add; p && *p; p++)
      if (!strv_has(res, *p))
        cn_strv_push(&res, *p);
  }
  if (res == NULL)
    res = xcalloc(1, sizeof *res);
  *out = steal_pointer(&res);
  return 0;
}

static struct json_object *mount_obj(const char *dst, const char *type, const char *src,
                                     const char *const *opts, const char *extra)
{
  struct json_object *m = json_object_new_object();
  json_object_object_add(m, "destination", json_object_new_string(dst));
  json_object_object_add(m, "type", json_object_new_string(type));
  json_object_object_add(m, "source", json_object_new_string(src));
  struct json_object *o = json_object_new_array();
  for (; *opts; opts++)
    json_object_array_add(o, json_object_new_string(*opts));
  if (extra)
    json_object_array_add(o, json_object_new_string(extra));
  json_object_object_add(m, "options", o);
  return m;
}

struct json_object *fe_default_mounts(const struct fe_run *r)
{
  struct json_object *a = json_object_new_array();
  bool ro = r->read_only;
  json_object_array_add(a, mount_obj("/proc", "proc", "proc",
                                     (const char *[]){ "nosuid", "noexec", "nodev", NULL }, NULL));
  json_object_array_add(
      a, mount_obj("/dev", "tmpfs", "tmpfs",
                   (const char *[]){ "nosuid", "strictatime", "mode=755", "size=65536k", NULL },
                   NULL));
  json_object_array_add(a,
                        mount_obj("/dev/pts", "devpts", "devpts",
                                  (const char *[]){ "nosuid", "noexec", "newinstance",
                                                    "ptmxmode=0666", "mode=0620", "gid=5", NULL },
                                  NULL));
  json_object_array_add(a, mount_obj("/sys", "sysfs", "sysfs",
                                     (const char *[]){ "nosuid", "noexec", "nodev", NULL },
                                     r->privileged && !ro ? NULL : "ro"));
  json_object_array_add(a,
                        mount_obj("/sys/fs/cgroup", "cgroup", "cgroup",
                                  (const char *[]){ "nosuid", "noexec", "nodev", "relatime", NULL },
                                  (r->privileged && !ro) ? "rw" : "ro"));
  json_object_array_add(a, mount_obj("/dev/mqueue", "mqueue", "mqueue",
                                     (const char *[]){ "nosuid", "noexec", "nodev", NULL }, NULL));
  if (!(r->ipc_mode && (strcmp(r->ipc_mode, "none") == 0 || strcmp(r->ipc_mode, "host") == 0))) {
    char size[64];
    snprintf(size, sizeof size, "size=%lld",
             (long long)(r->shm_size > 0 ? r->shm_size : 64LL * 1024 * 1024));
    json_object_array_add(
        a, mount_obj("/dev/shm", "tmpfs", "shm",
                     (const char *[]){ "nosuid", "noexec", "nodev", "mode=1777", NULL }, size));
  } else if (strcmp(r->ipc_mode, "host") == 0) {
    json_object_array_add(
        a, mount_obj("/dev/shm", "bind", "/dev/shm",
                     (const char *[]){ "rbind", "nosuid", "noexec", "nodev", NULL }, NULL));
  }
  return a;
}

char **fe_default_masked_paths(void)
{
  static const char *const fixed[] = { "/proc/acpi",
                                       "/proc/asound",
                                       "/proc/interrupts",
                                       "/proc/kcore",
                                       "/proc/keys",
                                       "/proc/latency_stats",
                                       "/proc/sched_debug",
                                       "/proc/scsi",
                                       "/proc/timer_list",
                                       "/proc/timer_stats",
                                       "/sys/devices/virtual/powercap",
                                       "/sys/firmware",
                                       NULL };
  char **v = cn_strv_dup((char *const *)fixed);
  for (int i = 0; i < 4096; i++) {
    char p[96];
    snprintf(p, sizeof p, "/sys/devices/system/cpu/cpu%d", i);
    if (access(p, F_OK) < 0)
      break;
    strcat(p, "/thermal_throttle");
    if (access(p, F_OK) == 0)
      cn_strv_push(&v, p);
  }
  return v;
}

char **fe_default_readonly_paths(void)
{
  static const char *const fixed[]
      = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL };
  return cn_strv_dup((char *const *)fixed);
}

/* ---- seccomp ---- */

/* Allowed for everyone, on every arch that has them.  Grouped by what they
   are for; none of them reaches host-wide state that a namespace does not
   cover. */
static const char *const sc_base[] = {
  /* files and descriptors */
  "access", "faccessat", "faccessat2", "open", "openat", "openat2", "creat", "close", "close_range",
  "read", "readv", "pread64", "preadv", "preadv2", "write", "writev", "pwrite64", "pwritev",
  "pwritev2", "lseek", "_llseek", "dup", "dup2", "dup3", "pipe", "pipe2", "fcntl", "fcntl64",
  "flock", "fsync", "fdatasync", "sync", "syncfs", "sync_file_range", "truncate", "truncate64",
  "ftruncate", "ftruncate64", "fallocate", "fadvise64", "fadvise64_64", "readahead", "sendfile",
  "sendfile64", "splice", "tee", "vmsplice", "copy_file_range", "ioctl", "stat", "stat64", "lstat",
  "lstat64", "fstat", "fstat64", "newfstatat", "fstatat64", "statx", "statfs", "statfs64",
  "fstatfs", "fstatfs64", "getdents", "getdents64", "readlink", "readlinkat", "mkdir", "mkdirat",
  "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2", "link", "linkat", "symlink",
  "symlinkat", "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "chown32", "fchown", "fchown32",
  "fchownat", "lchown", "lchown32", "utime", "utimes", "futimesat", "utimensat", "utimensat_time64",
  "mknod", "mknodat", "chdir", "fchdir", "getcwd", "umask", "select", "_newselect", "pselect6",
  "pselect6_time64", "poll", "ppoll", "ppoll_time64", "epoll_create", "epoll_create1", "epoll_ctl",
  "epoll_ctl_old", "epoll_wait", "epoll_wait_old", "epoll_pwait", "epoll_pwait2", "eventfd",
  "eventfd2", "inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
  "fanotify_mark", "signalfd", "signalfd4", "timerfd_create", "timerfd_settime",
  "timerfd_settime64", "timerfd_gettime", "timerfd_gettime64", "memfd_create", "memfd_secret",
  "name_to_handle_at", "getxattr", "lgetxattr", "fgetxattr", "setxattr", "lsetxattr", "fsetxattr",
  "listxattr", "llistxattr", "flistxattr", "removexattr", "lremovexattr", "fremovexattr",
  "getxattrat", "setxattrat", "listxattrat", "removexattrat", "io_setup", "io_destroy", "io_submit",
  "io_cancel", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "landlock_create_ruleset",
  "landlock_add_rule", "landlock_restrict_self", "cachestat", "futex_waitv", "futex_wake",
  "futex_wait", "futex_requeue", "map_shadow_stack", "statmount", "listmount", "mseal",
  /* memory */
  "brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "pkey_mprotect", "pkey_alloc",
  "pkey_free", "madvise", "mincore", "mlock", "mlock2", "mlockall", "munlock", "munlockall",
  "msync", "remap_file_pages", "membarrier", "rseq", "get_robust_list", "set_robust_list", "futex",
  "futex_time64", "set_thread_area", "get_thread_area", "set_tid_address",
  /* processes, threads, signals */
  "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid", "waitpid", "kill",
  "tkill", "tgkill", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending",
  "rt_sigsuspend", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "rt_sigtimedwait",
  "rt_sigtimedwait_time64", "sigaction", "sigprocmask", "sigreturn", "sigpending", "sigsuspend",
  "sigaltstack", "signal", "pause", "alarm", "pidfd_open", "pidfd_send_signal", "getpid", "getppid",
  "gettid", "getpgid", "setpgid", "getpgrp", "getsid", "setsid", "getpriority", "setpriority",
  "sched_yield", "sched_getparam", "sched_setparam", "sched_getscheduler", "sched_setscheduler",
  "sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval",
  "sched_rr_get_interval_time64", "sched_getaffinity", "sched_setaffinity", "sched_getattr",
  "sched_setattr", "getrlimit", "ugetrlimit", "setrlimit", "prlimit64", "getrusage", "times",
  "prctl", "capget", "capset", "ioprio_get", "ioprio_set", "seccomp", "restart_syscall",

  /* credentials */
  "getuid", "getuid32", "geteuid", "geteuid32", "getgid", "getgid32", "getegid", "getegid32",
  "setuid", "setuid32", "setgid", "setgid32", "setreuid", "setreuid32", "setregid", "setregid32",
  "setresuid", "setresuid32", "setresgid", "setresgid32", "getresuid", "getresuid32", "getresgid",
  "getresgid32", "getgroups", "getgroups32", "setgroups", "setgroups32", "setfsuid", "setfsuid32",
  "setfsgid", "setfsgid32",
  /* time */
  "clock_gettime", "clock_gettime64", "clock_getres", "clock_getres_time64", "clock_nanosleep",
  "clock_nanosleep_time64", "clock_adjtime", "clock_adjtime64", "gettimeofday", "time", "nanosleep",
  "getitimer", "setitimer", "timer_create", "timer_delete", "timer_settime", "timer_settime64",
  "timer_gettime", "timer_gettime64", "timer_getoverrun", "adjtimex",
  /* sockets (socket itself is conditional) */
  "socketpair", "bind", "listen", "accept", "accept4", "connect", "getsockname", "getpeername",
  "getsockopt", "setsockopt", "send", "sendto", "sendmsg", "sendmmsg", "recv", "recvfrom",
  "recvmsg", "recvmmsg", "recvmmsg_time64", "shutdown", "socketcall",
  /* System V and POSIX IPC (namespaced) */
  "ipc", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semtimedop",
  "semtimedop_time64", "semctl", "shmget", "shmat", "shmdt", "shmctl", "mq_open", "mq_unlink",
  "mq_timedsend", "mq_timedsend_time64", "mq_timedreceive", "mq_timedreceive_time64", "mq_notify",
  "mq_getsetattr",
  /* information */
  "uname", "olduname", "oldolduname", "sysinfo", "getcpu", "getrandom", NULL
};

struct sc_group {
  const char *cap; /* NULL: no capability needed */
  const char *const *names;
};

static const char *const sc_sys_admin[] = { "bpf",
                                            "clone",
                                            "clone3",
                                            "fanotify_init",
                                            "fsconfig",
                                            "fsmount",
                                            "fsopen",
                                            "fspick",
                                            "lookup_dcookie",
                                            "mount",
                                            "mount_setattr",
                                            "move_mount",
                                            "open_tree",
                                            "perf_event_open",
                                            "quotactl",
                                            "quotactl_fd",
                                            "setdomainname",
                                            "sethostname",
                                            "setns",
                                            "syslog",
                                            "umount",
                                            "umount2",
                                            "unshare",
                                            "lsm_get_self_attr",
                                            "lsm_set_self_attr",
                                            "lsm_list_modules",
                                            NULL };

static const struct sc_group sc_cap_groups[] = {
  { "CAP_DAC_READ_SEARCH", (const char *const[]){ "open_by_handle_at", NULL } },
  { "CAP_SYS_BOOT", (const char *const[]){ "reboot", NULL } },
  { "CAP_SYS_CHROOT", (const char *const[]){ "chroot", NULL } },
  { "CAP_SYS_MODULE",
    (const char *const[]){ "init_module", "finit_module", "delete_module", NULL } },
  { "CAP_SYS_PACCT", (const char *const[]){ "acct", NULL } },
  { "CAP_SYS_PTRACE",
    (const char *const[]){ "kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv",
                           "process_vm_writev", "ptrace", NULL } },
  { "CAP_SYS_RAWIO", (const char *const[]){ "iopl", "ioperm", NULL } },
  { "CAP_SYS_TIME",
    (const char *const[]){ "settimeofday", "stime", "clock_settime", "clock_settime64", NULL } },
  { "CAP_SYS_TTY_CONFIG", (const char *const[]){ "vhangup", NULL } },
  { "CAP_SYS_NICE", (const char *const[]){ "get_mempolicy", "set_mempolicy", "mbind",
                                           "set_mempolicy_home_node", NULL } },
  { "CAP_SYSLOG", (const char *const[]){ "syslog", NULL } },
  { "CAP_BPF", (const char *const[]){ "bpf", NULL } },
  { "CAP_PERFMON", (const char *const[]){ "perf_event_open", NULL } },
};

static bool known_syscall(const char *name)
{
  static const uint32_t arches[]
      = { SCMP_ARCH_X86_64, SCMP_ARCH_X86,     SCMP_ARCH_X32,   SCMP_ARCH_AARCH64,
          SCMP_ARCH_ARM,    SCMP_ARCH_PPC64LE, SCMP_ARCH_S390X, SCMP_ARCH_RISCV64 };
  for (size_t i = 0; i < sizeof arches / sizeof *arches; i++)
    if (seccomp_syscall_resolve_name_arch(arches[i], name) != __NR_SCMP_ERROR)
      return true;
  return false;
}

static void add_names(struct json_object *arr, const char *const *names)
{
  for (; *names; names++) {
    if (!known_syscall(*names))
      continue;
    bool dup = false;
    for (size_t i = 0; i < json_object_array_length(arr); i++)
      if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), *names) == 0)
        dup = true;
    if (!dup)
      json_object_array_add(arr, json_object_new_string(*names));
  }
}

static struct json_object *rule(struct json_object *names, const char *action)
{
  struct json_object *r = json_object_new_object();
  json_object_object_add(r, "names", names);
  json_object_object_add(r, "action", json_object_new_string(action));
  return r;
}

static struct json_object *arg(unsigned idx, uint64_t v, uint64_t v2, const char *op)
{
  struct json_object *a = json_object_new_object();
  json_object_object_add(a, "index", json_object_new_int(idx));
  json_object_object_add(a, "value", json_object_new_uint64(v));
  json_object_object_add(a, "valueTwo", json_object_new_uint64(v2));
  json_object_object_add(a, "op", json_object_new_string(op));
  return a;
}

static struct json_object *one_name(const char *n)
{
  struct json_object *a = json_object_new_array();
  json_object_array_add(a, json_object_new_string(n));
  return a;
}

static void add_arg_rule(struct json_object *rules, const char *name, struct json_object *a)
{
  struct json_object *r = rule(one_name(name), "SCMP_ACT_ALLOW");
  struct json_object *args = json_object_new_array();
  json_object_array_add(args, a);
  json_object_object_add(r, "args", args);
  json_object_array_add(rules, r);
}

struct json_object *fe_default_seccomp(char *const *caps)
{
  struct json_object *s = json_object_new_object();
  json_object_object_add(s, "defaultAction", json_object_new_string("SCMP_ACT_ERRNO"));
  json_object_object_add(s, "defaultErrnoRet", json_object_new_int(EPERM));
  struct utsname u;
  uname(&u);
  struct json_object *arches = json_object_new_array();
  bool x86 = strcmp(u.machine, "x86_64") == 0;
  bool s390 = strncmp(u.machine, "s390", 4) == 0;
  if (x86) {
    json_object_array_add(arches, json_object_new_string("SCMP_ARCH_X86_64"));
    json_object_array_add(arches, json_object_new_string("SCMP_ARCH_X86"));
    json_object_array_add(arches, json_object_new_string("SCMP_ARCH_X32"));
  } else if (strcmp(u.machine, "aarch64") == 0) {
    json_object_array_add(arches, json_object_new_string("SCMP_ARCH_AARCH64"));
    json_object_array_add(arches, json_object_new_string("SCMP_ARCH_ARM"));
  } else if (strcmp(u.machine, "s390x") == 0) {
    json_object_array_add(arches, json_object_new_string("SCMP_ARCH_S390X"));
    json_object_array_add(arches, json_object_new_string("SCMP_ARCH_S390"));
  }
  json_object_object_add(s, "architectures", arches);

  struct json_object *rules = json_object_new_array();
  struct json_object *allow = json_object_new_array();
  add_names(allow, sc_base);
  /* ptrace of one's own children is namespaced since 4.8 (seccomp is
     re-checked after the tracer's changes); the kernel here is newer. */
  add_names(allow,
            (const char *const[]){ "ptrace", "process_vm_readv", "process_vm_writev", NULL });
  if (x86)
    add_names(allow, (const char *const[]){ "arch_prctl", "modify_ldt", NULL });
  else if (strcmp(u.machine, "aarch64") == 0)
    add_names(allow,
              (const char *const[]){ "arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2",
                                     "breakpoint", "cacheflush", "set_tls", NULL });
  else if (s390)
    add_names(allow, (const char *const[]){ "s390_pci_mmio_read", "s390_pci_mmio_write",
                                            "s390_runtime_instr", NULL });
  else if (strcmp(u.machine, "riscv64") == 0)
    add_names(allow, (const char *const[]){ "riscv_flush_icache", NULL });
  bool sys_admin = strv_has(caps, "CAP_SYS_ADMIN");
  if (sys_admin)
    add_names(allow, sc_sys_admin);
  for (size_t i = 0; i < sizeof sc_cap_groups / sizeof *sc_cap_groups; i++)
    if (strv_has(caps, sc_cap_groups[i].cap))
      add_names(allow, sc_cap_groups[i].names);
  json_object_array_add(rules, rule(allow, "SCMP_ACT_ALLOW"));

  /* socket: every family but AF_ALG (38) and AF_VSOCK (40), whose kernel
     code is reachable from any namespace. */
  add_arg_rule(rules, "socket", arg(0, 38, 0, "SCMP_CMP_LT"));
  add_arg_rule(rules, "socket", arg(0, 39, 0, "SCMP_CMP_EQ"));
  add_arg_rule(rules, "socket", arg(0, 40, 0, "SCMP_CMP_GT"));
  /* personality: only the harmless personas (and the query). */
  static const uint64_t personas[] = { 0, 8, 0x20000, 0x20008, 0xffffffff };
  for (size_t i = 0; i < 5; i++)
    add_arg_rule(rules, "personality", arg(0, personas[i], 0, "SCMP_CMP_EQ"));
  if (!sys_admin) {
    /* clone without any CLONE_NEW* flag; clone3 cannot be filtered by flags
       (they are behind a pointer), so it fails with ENOSYS and libc falls
       back to clone. */
    add_arg_rule(rules, "clone", arg(s390 ? 1 : 0, 0x7E020000, 0, "SCMP_CMP_MASKED_EQ"));
    struct json_object *r = rule(one_name("clone3"), "SCMP_ACT_ERRNO");
    json_object_object_add(r, "errnoRet", json_object_new_int(ENOSYS));
    json_object_array_add(rules, r);
  }
  json_object_object_add(s, "syscalls", rules);
  return s;
}
