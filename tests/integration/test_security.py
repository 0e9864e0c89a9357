"""What the process may do: capabilities, seccomp, no_new_privs, rlimits, the
user, oom score, sysctls, the environment and the fds it starts with.  Each
test makes the kernel itself refuse (or allow) something."""

import os
import re
import subprocess

import pytest

from conftest import is_runc

CAP_CHOWN, CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE = 0, 5, 10, 29
DEFAULT_CAPS = (1 << CAP_KILL) | (1 << CAP_NET_BIND_SERVICE) | (1 << CAP_AUDIT_WRITE)


def go(cinch, b, cid, check=True):
    b.save()
    return cinch.run("run", "--bundle", b.path, cid, check=check)


def caps_of(out):
    """showcaps output -> {"CapEff": int, ..., "NoNewPrivs": int, "Seccomp": int}."""
    res = {}
    for line in out.splitlines():
        k, v = line.split(":", 1)
        res[k] = int(v.strip(), 16) if k.startswith("Cap") else int(v.strip())
    return res


def set_caps(b, names, sets=("bounding", "effective", "permitted", "inheritable", "ambient")):
    b.process["capabilities"] = {s: list(names) if s in sets else [] for s in
                                 ("bounding", "effective", "permitted", "inheritable", "ambient")}


# ---- capabilities ----

def test_default_capabilities_are_the_specs(cinch, bundle, cid):
    caps = caps_of(go(cinch, bundle(args=["showcaps"]), cid).stdout)
    assert caps["CapEff"] == caps["CapPrm"] == caps["CapBnd"] == DEFAULT_CAPS
    # runc's spec lists ambient caps without inheritable ones: the kernel's rule wins
    assert caps["CapInh"] == 0 and caps["CapAmb"] == 0


def test_dropped_cap_chown_makes_the_kernel_refuse(cinch, bundle, cid):
    out = go(cinch, bundle(args=["trysyscall", "chown"]), cid).stdout
    assert out.strip() == "chown: errno 1 (EPERM)"


def test_granted_cap_chown_lets_chown_through(cinch, bundle, cid):
    b = bundle(args=["trysyscall", "chown", "sethostname"])
    set_caps(b, ["CAP_CHOWN"])
    out = go(cinch, b, cid).stdout.splitlines()
    assert out == ["chown: ok", "sethostname: errno 1 (EPERM)"]


def test_all_five_sets_apply_for_a_non_root_user(cinch, bundle, cid):
    b = bundle(args=["showcaps"])
    b.process["user"] = {"uid": 1000, "gid": 1000}
    b.process["capabilities"] = {
        "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_SETUID"],
        "permitted": ["CAP_CHOWN", "CAP_KILL"],
        "effective": ["CAP_CHOWN"],
        "inheritable": ["CAP_KILL"],
        "ambient": ["CAP_KILL"],
    }
    caps = caps_of(go(cinch, b, cid).stdout)
    assert caps["CapBnd"] == (1 << 0) | (1 << 5) | (1 << 7)
    assert caps["CapInh"] == 1 << 5
    assert caps["CapAmb"] == 1 << 5
    # after execve a non-root process keeps what is ambient (permitted and effective)
    assert caps["CapPrm"] == 1 << 5 and caps["CapEff"] == 1 << 5


# ---- no_new_privs ----

def _our_bounding_set():
    for line in open("/proc/self/status"):
        if line.startswith("CapBnd:"):
            return int(line.split()[1], 16)
    return 0


def test_cap_outside_the_runtimes_bounding_set_is_left_out_with_a_warning(cinch, bundle, cid):
    # This host's bounding set lacks CAP_SYS_RESOURCE: "all caps" (docker
    # --privileged) must still start, without the cap the kernel won't grant.
    missing = [c for c in range(41) if not _our_bounding_set() & (1 << c)]
    if not missing:
        pytest.skip("the runtime's bounding set has every capability here")
    names = {24: "CAP_SYS_RESOURCE"}
    cap = missing[0]
    name = names.get(cap)
    if name is None:
        pytest.skip(f"cap {cap} is missing; this test only names CAP_SYS_RESOURCE")
    b = bundle(["showcaps"])
    set_caps(b, ["CAP_CHOWN", name], sets=("bounding", "effective", "permitted"))
    p = go(cinch, b, cid)
    caps = caps_of(p.stdout)
    assert caps["CapEff"] == caps["CapBnd"] == 1 << CAP_CHOWN
    if not is_runc():
        assert name in p.stderr and "left out" in p.stderr, p.stderr


@pytest.mark.parametrize("nnp", [True, False])
def test_no_new_privileges(cinch, bundle, cid, nnp):
    b = bundle(args=["showcaps"])
    b.process["noNewPrivileges"] = nnp
    assert caps_of(go(cinch, b, cid).stdout)["NoNewPrivs"] == int(nnp)


# ---- seccomp ----

def seccomp(b, syscalls, default="SCMP_ACT_ALLOW", **kw):
    b.linux["seccomp"] = {"defaultAction": default, "architectures": ["SCMP_ARCH_X86_64",
                                                                       "SCMP_ARCH_X86",
                                                                       "SCMP_ARCH_X32"],
                          "syscalls": syscalls, **kw}


@pytest.mark.parametrize("nnp", [True, False])
def test_seccomp_errno_blocks_a_syscall(cinch, bundle, cid, nnp):
    b = bundle(args=["sh", "-c", "(mkdir /dev/shm/d) 2>&1; ls /dev/shm | wc -l; grep Seccomp: /proc/self/status"])
    b.process["noNewPrivileges"] = nnp
    seccomp(b, [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}])
    out = go(cinch, b, cid).stdout
    assert "Operation not permitted" in out
    assert "0\n" in out and re.search(r"Seccomp:\s+2", out)


def test_seccomp_custom_errno_ret(cinch, bundle, cid):
    b = bundle(args=["sh", "-c", "(mkdir /dev/shm/d) 2>&1; true"])
    seccomp(b, [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 28}])
    assert "No space left on device" in go(cinch, b, cid).stdout


def test_seccomp_default_errno_ret(cinch, bundle, cid):
    # Everything is refused with ENOTTY except what the shell needs to run echo.
    b = bundle(args=["sh", "-c", "(mkdir /dev/shm/d) 2>&1; true"])
    needed = ["execve", "brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq",
              "prlimit64", "mprotect", "getuid", "geteuid", "getgid", "getegid", "getpid",
              "getppid", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "write", "writev",
              "read", "exit_group", "exit", "fork", "vfork", "clone", "clone3", "wait4",
              "dup2", "dup3", "fcntl", "close", "mmap", "munmap", "uname", "getcwd", "stat",
              "newfstatat", "fstat", "lstat", "ioctl", "openat", "open", "access", "readlink",
              "getrandom", "sigaltstack", "gettid", "statx", "futex", "prctl", "capget",
              "capset", "setgroups", "setresuid", "setresgid", "setuid", "setgid", "umask",
              "chdir", "poll", "ppoll", "pipe", "pipe2", "lseek", "sched_getaffinity",
              "setpgid", "getpgid", "getpgrp", "getdents64", "faccessat", "faccessat2"]
    seccomp(b, [{"names": needed, "action": "SCMP_ACT_ALLOW"}], default="SCMP_ACT_ERRNO",
            defaultErrnoRet=25)
    assert "Inappropriate ioctl for device" in go(cinch, b, cid).stdout


def test_seccomp_args_select_the_call(cinch, bundle, cid):
    b = bundle(args=["sh", "-c", "touch /dev/shm/f; (chmod 777 /dev/shm/f) 2>&1; "
                                 "chmod 755 /dev/shm/f && stat -c %a /dev/shm/f"])
    rule = {"value": 0o777, "op": "SCMP_CMP_EQ"}
    seccomp(b, [{"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "args": [dict(index=1, **rule)]},
                {"names": ["fchmodat", "fchmodat2"], "action": "SCMP_ACT_ERRNO",
                 "args": [dict(index=2, **rule)]}])
    out = go(cinch, b, cid).stdout.splitlines()
    assert "Operation not permitted" in out[0]
    assert out[-1] == "755"


def test_seccomp_masked_eq(cinch, bundle, cid):
    # refuse any chmod that sets a group-write bit
    b = bundle(args=["sh", "-c", "touch /dev/shm/f; (chmod 664 /dev/shm/f) 2>&1; "
                                 "chmod 644 /dev/shm/f && stat -c %a /dev/shm/f"])
    rule = {"value": 0o020, "valueTwo": 0o020, "op": "SCMP_CMP_MASKED_EQ"}
    seccomp(b, [{"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "args": [dict(index=1, **rule)]},
                {"names": ["fchmodat", "fchmodat2"], "action": "SCMP_ACT_ERRNO",
                 "args": [dict(index=2, **rule)]}])
    out = go(cinch, b, cid).stdout.splitlines()
    assert "Operation not permitted" in out[0] and out[-1] == "644"


def test_seccomp_kill_process(cinch, bundle, cid):
    b = bundle(args=["sh", "-c", "mkdir /dev/shm/d"])
    seccomp(b, [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}])
    p = go(cinch, b, cid, check=False)
    assert p.returncode == 128 + 31  # SIGSYS


def test_seccomp_unknown_syscall_is_skipped_with_a_warning(cinch, bundle, cid):
    b = bundle(args=["sh", "-c", "(mkdir /dev/shm/d) 2>&1; true"])
    seccomp(b, [{"names": ["mkdir", "mkdirat", "no_such_syscall_xyz"], "action": "SCMP_ACT_ERRNO"}],
            flags=["SECCOMP_FILTER_FLAG_LOG"])
    p = go(cinch, b, cid)
    assert "Operation not permitted" in p.stdout
    assert "no_such_syscall_xyz" in p.stderr


def test_seccomp_bad_action_is_refused(cinch, bundle, cid):
    b = bundle(args=["true"])
    seccomp(b, [{"names": ["mkdir"], "action": "SCMP_ACT_BOGUS"}])
    p = go(cinch, b, cid, check=False)
    assert p.returncode != 0 and "SCMP_ACT_BOGUS" in p.stderr
    assert cinch.ids() == []


# ---- rlimits ----

def test_rlimits_are_applied(cinch, bundle, cid):
    b = bundle(args=["rlimits"])
    b.process["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456},
                            {"type": "RLIMIT_NPROC", "soft": 77, "hard": 88},
                            {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]
    lines = go(cinch, b, cid).stdout.splitlines()
    assert "RLIMIT_NOFILE 123 456" in lines
    assert "RLIMIT_NPROC 77 88" in lines
    assert "RLIMIT_CORE 0 0" in lines


def test_rlimit_above_the_runtimes_hard_limit_is_a_clear_error(cinch, bundle, cid):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or "CAP_SYS_RESOURCE" in open("/proc/self/status").read():
        pytest.skip("needs a finite hard limit")
    caps = int(re.search(r"CapEff:\s+(\w+)", open("/proc/self/status").read()).group(1), 16)
    if caps & (1 << 24):
        pytest.skip("the runtime holds CAP_SYS_RESOURCE")
    b = bundle(args=["true"])
    b.process["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": hard * 4}]
    p = go(cinch, b, cid, check=False)
    assert p.returncode != 0 and "RLIMIT_NOFILE" in p.stderr and "rlimits" in p.stderr
    assert cinch.ids() == []


# ---- user, umask, env, cwd, args ----

def test_user_uid_gid_groups_umask(cinch, bundle, cid):
    b = bundle(args=["ids"])
    b.process["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [100, 5], "umask": 0o027}
    out = go(cinch, b, cid).stdout.strip()
    assert out == "uid=1000 euid=1000 gid=1001 egid=1001 groups=5,100 umask=0027"  # the kernel sorts them


def test_root_user_has_no_supplementary_groups_and_default_umask(cinch, bundle, cid):
    out = go(cinch, bundle(args=["ids"]), cid).stdout.strip()
    assert out == "uid=0 euid=0 gid=0 egid=0 groups= umask=0022"


def test_home_comes_from_the_containers_passwd(cinch, bundle, cid):
    b = bundle(args=["sh", "-c", "echo $HOME; echo $FOO"])
    b.process["user"] = {"uid": 1000, "gid": 1000}
    b.process["env"].append("FOO=bar baz")
    assert go(cinch, b, cid).stdout.splitlines() == ["/home/app", "bar baz"]


def test_cwd(cinch, bundle, cid):
    b = bundle(args=["pwd"])
    b.process["cwd"] = "/usr/bin"
    assert go(cinch, b, cid).stdout == "/usr/bin\n"


def test_missing_cwd_is_created_inside_the_rootfs(cinch, bundle, cid):
    # as runc does: engines pass -w DIR and expect it to exist afterwards
    b = bundle(args=["pwd"], copy_rootfs=True)
    b.process["cwd"] = "/no/such/dir"
    assert go(cinch, b, cid).stdout == "/no/such/dir\n"
    assert (b.rootfs / "no" / "such" / "dir").is_dir()


def test_cwd_that_cannot_be_made_is_a_clear_error(cinch, bundle, cid):
    b = bundle(args=["pwd"])  # read-only root
    b.process["cwd"] = "/proc/no/such/dir"
    p = go(cinch, b, cid, check=False)
    assert p.returncode != 0 and "process.cwd" in p.stderr and "/proc/no/such/dir" in p.stderr
    assert cinch.ids() == []


def test_args_resolve_against_the_containers_path(cinch, bundle, cid):
    b = bundle(args=["pid1"])
    b.process["env"] = ["PATH=/nowhere"]
    p = go(cinch, b, cid, check=False)
    assert p.returncode != 0 and 'executable "pid1" not found' in p.stderr
    assert cinch.ids() == []


# ---- oom score, sysctl ----

def test_oom_score_adj(cinch, bundle, cid):
    b = bundle(args=["cat", "/proc/self/oom_score_adj"])
    b.process["oomScoreAdj"] = 734
    assert go(cinch, b, cid).stdout == "734\n"


def test_sysctl_in_the_containers_namespaces(cinch, bundle, cid):
    host_fwd = open("/proc/sys/net/ipv4/ip_forward").read()
    host_shm = open("/proc/sys/kernel/shm_rmid_forced").read()
    b = bundle(args=["cat", "/proc/sys/net/ipv4/ip_forward", "/proc/sys/kernel/shm_rmid_forced"])
    b.linux["sysctl"] = {"net.ipv4.ip_forward": "1" if host_fwd.strip() == "0" else "0",
                         "kernel.shm_rmid_forced": "1" if host_shm.strip() == "0" else "0"}
    out = go(cinch, b, cid).stdout.split()
    assert out == [b.linux["sysctl"]["net.ipv4.ip_forward"],
                   b.linux["sysctl"]["kernel.shm_rmid_forced"]]
    assert open("/proc/sys/net/ipv4/ip_forward").read() == host_fwd
    assert open("/proc/sys/kernel/shm_rmid_forced").read() == host_shm


# ---- fds ----

def fdlist(out):
    return sorted(int(l.split(" -> ")[0]) for l in out.splitlines() if " -> " in l)


def test_only_stdio_reaches_the_container(cinch, bundle, cid, tmp_path):
    # an inheritable fd of the caller must not leak through either
    leak = os.open(tmp_path, os.O_RDONLY)
    os.set_inheritable(leak, True)
    try:
        b = bundle(args=["fdlist"])
        b.save()
        p = cinch.popen("run", "--bundle", b.path, cid, pass_fds=(leak,))
        out, err = p.communicate(timeout=30)
    finally:
        os.close(leak)
    assert p.returncode == 0, err
    assert fdlist(out) == [0, 1, 2], out


def test_preserve_fds_passes_exactly_n(cinch, bundle, cid):
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()

    def place():
        # in the runtime's process only: fds 3 and 4 are preserved, 5 is not
        for src, dst in ((r1, 3), (r2, 4), (w1, 5)):
            os.dup2(src, dst)

    b = bundle(args=["fdlist"])
    b.save()
    try:
        p = subprocess.run(cinch.cmd("run", "--preserve-fds", "2", "--bundle", b.path, cid),
                           pass_fds=(3, 4, 5), preexec_fn=place, capture_output=True, text=True,
                           timeout=30)
    finally:
        for fd in (r1, w1, r2, w2):
            os.close(fd)
    assert p.returncode == 0, p.stderr
    assert fdlist(p.stdout) == [0, 1, 2, 3, 4], p.stdout


@pytest.mark.parametrize("key,why", [("vm.swappiness", "not namespaced"),
                                     ("kernel.shmmax", "ipc"),
                                     ("net.ipv4.ip_forward", "network")])
def test_sysctl_that_would_reach_the_host_is_refused(cinch, bundle, cid, key, why):
    before = open("/proc/sys/" + key.replace(".", "/")).read()
    b = bundle(args=["true"])
    b.linux["sysctl"] = {key: "1"}
    if why != "not namespaced":
        b.linux["namespaces"] = [n for n in b.linux["namespaces"]
                                 if n["type"] != ("ipc" if why == "ipc" else "network")]
    p = go(cinch, b, cid, check=False)
    assert p.returncode != 0 and key in p.stderr and why in p.stderr
    assert open("/proc/sys/" + key.replace(".", "/")).read() == before
    assert cinch.ids() == []
