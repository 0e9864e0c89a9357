/* cgroup v2 has no devices controller: access is decided by a
   BPF_PROG_TYPE_CGROUP_DEVICE program attached to the directory.  cinch
   assembles it itself (no libbpf): the rules are tested from the LAST to the
   first and the first match decides, which is what applying them in order
   means; nothing matching is a denial. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"

#define INSN(c, d, s, o, i)                                                                        \
  ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define MOV_X(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV_K(d, k) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, k)
#define AND_K(d, k) INSN(BPF_ALU64 | BPF_AND | BPF_K, d, 0, 0, k)
#define RSH_K(d, k) INSN(BPF_ALU64 | BPF_RSH | BPF_K, d, 0, 0, k)
#define JNE_K(d, k, o) INSN(BPF_JMP | BPF_JNE | BPF_K, d, 0, o, k)
#define JEQ_K(d, k, o) INSN(BPF_JMP | BPF_JEQ | BPF_K, d, 0, o, k)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int access_bits(const char *a)
{
  int b = 0;
  if (strchr(a, 'm'))
    b |= BPF_DEVCG_ACC_MKNOD;
  if (strchr(a, 'r'))
    b |= BPF_DEVCG_ACC_READ;
  if (strchr(a, 'w'))
    b |= BPF_DEVCG_ACC_WRITE;
  return b;
}

/* Registers: r3 device type, r4 requested access, r5 major, r6 minor. */
size_t cg_devices_bpf_build(const struct spec_device_rule *rules, size_t n, void **out)
{
  struct bpf_insn *p = xcalloc(9 + n * 10, sizeof *p);
  size_t k = 0;
  p[k++] = LDX_W(BPF_REG_2, BPF_REG_1, 0);
  p[k++] = MOV_X(BPF_REG_3, BPF_REG_2);
  p[k++] = AND_K(BPF_REG_3, 0xffff);
  p[k++] = MOV_X(BPF_REG_4, BPF_REG_2);
  p[k++] = RSH_K(BPF_REG_4, 16);
  p[k++] = LDX_W(BPF_REG_5, BPF_REG_1, 4);
  p[k++] = LDX_W(BPF_REG_6, BPF_REG_1, 8);
  for (size_t i = n; i-- > 0;) {
    const struct spec_device_rule *r = &rules[i];
    int acc = access_bits(r->access);
    if (acc == 0)
      continue;
    size_t start = k, jumps[4], nj = 0;
    if (r->type != 'a') {
      jumps[nj++] = k;
      p[k++] = JNE_K(BPF_REG_3, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
    }
    if (r->type != 'a' && r->major >= 0) {
      jumps[nj++] = k;
      p[k++] = JNE_K(BPF_REG_5, (int32_t)r->major, 0);
    }
    if (r->type != 'a' && r->minor >= 0) {
      jumps[nj++] = k;
      p[k++] = JNE_K(BPF_REG_6, (int32_t)r->minor, 0);
    }
    int all = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
    if (acc != all) {
      /* allow: every requested bit must be granted; deny: any bit denied. */
      p[k++] = MOV_X(BPF_REG_7, BPF_REG_4);
      p[k++] = AND_K(BPF_REG_7, r->allow ? (all & ~acc) : acc);
      jumps[nj++] = k;
      p[k++] = r->allow ? JNE_K(BPF_REG_7, 0, 0) : JEQ_K(BPF_REG_7, 0, 0);
    }
    p[k++] = MOV_K(BPF_REG_0, r->allow ? 1 : 0);
    p[k++] = EXIT();
    for (size_t j = 0; j < nj; j++)
      p[jumps[j]].off = (int16_t)(k - jumps[j] - 1);
    (void)start;
    /* A rule that matches everything ends the program: the verifier
       refuses unreachable code after it. */
    if (nj == 0) {
      *out = p;
      return k;
    }
  }
  p[k++] = MOV_K(BPF_REG_0, 0);
  p[k++] = EXIT();
  *out = p;
  return k;
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
  return syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

int cg_devices_bpf_apply(int dirfd, const struct spec_resources *r, cn_error_t *err)
{
  size_t n;
  _cleanup_free_ struct spec_device_rule *rules = cg_device_rules(r, &n);
  _cleanup_free_ struct bpf_insn *insns = NULL;
  size_t cnt = cg_devices_bpf_build(rules, n, (void **)&insns);
  _cleanup_free_ char *log = xcalloc(1, 65536);
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)insns;
  attr.insn_cnt = (uint32_t)cnt;
  attr.license = (uint64_t)(uintptr_t) "Apache";
  attr.log_buf = (uint64_t)(uintptr_t)log;
  attr.log_size = 65536;
  attr.log_level = 1;
  _cleanup_close_ int prog = (int)sys_bpf(BPF_PROG_LOAD, &attr);
  if (prog < 0) {
    int e = errno;
    log[200] = '\0';
    return cn_error_errno(err, e, "linux.resources.devices: load the BPF device filter%s%s",
                          *log ? ": " : "", log);
  }
  memset(&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t)dirfd;
  attr.attach_bpf_fd = (uint32_t)prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
    return cn_error_errno(err, errno, "linux.resources.devices: attach the BPF device filter");
  return 0;
}
