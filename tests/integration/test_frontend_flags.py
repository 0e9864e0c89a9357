"""Docker flags -> OCI config field -> cgroup file, and Docker's validation errors.

Each row of FLAGS is checked twice: in the config `cinch run --dry-run` prints
(the spec field), and, for rows with a cgroup file, in a real detached container
(the file the kernel holds, v1 or v2 according to helpers.layout())."""

import json
import os
from pathlib import Path

import pytest

import helpers

V2 = helpers.layout() == "v2"
ROOTFS = str(Path(os.environ.get("CINCH_TEST_ROOTFS", helpers.REPO / "build" / "test-rootfs")))


def dry_run(cinch, *flags, image=ROOTFS, cmd=("true",)):
    p = cinch.run("run", "--dry-run", *flags, image, *cmd)
    return json.loads(p.stdout)


def get(cfg, path):
    """'linux.resources.cpu.quota' -> value; a missing key gives None."""
    cur = cfg
    for part in path.split("."):
        if isinstance(cur, list):
            cur = cur[int(part)]
        elif isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            return None
    return cur


# (flags, spec path, expected value, controller, v1 file, v1 value, v2 file, v2 value)
FLAGS = [
    (["--cpus", "0.5"], "linux.resources.cpu.quota", 50000,
     "cpu", "cpu.cfs_quota_us", "50000", "cpu.max", "50000 100000"),
    (["--cpus", "1.5"], "linux.resources.cpu.period", 100000,
     "cpu", "cpu.cfs_period_us", "100000", "cpu.max", "150000 100000"),
    (["--cpu-period", "50000", "--cpu-quota", "25000"], "linux.resources.cpu.quota", 25000,
     "cpu", "cpu.cfs_quota_us", "25000", "cpu.max", "25000 50000"),
    (["-c", "512"], "linux.resources.cpu.shares", 512,
     "cpu", "cpu.shares", "512", "cpu.weight", "59"),
    (["--cpuset-cpus", "0"], "linux.resources.cpu.cpus", "0",
     "cpuset", "cpuset.cpus", "0", "cpuset.cpus", "0"),
    (["-m", "256M"], "linux.resources.memory.limit", 268435456,
     "memory", "memory.limit_in_bytes", "268435456", "memory.max", "268435456"),
    (["-m", "256M"], "linux.resources.memory.swap", 536870912,
     "memory", "memory.memsw.limit_in_bytes", "536870912", "memory.swap.max", "268435456"),
    (["-m", "64m", "--memory-swap", "96m"], "linux.resources.memory.swap", 100663296,
     "memory", "memory.memsw.limit_in_bytes", "100663296", "memory.swap.max", "33554432"),
    (["--memory-reservation", "128m"], "linux.resources.memory.reservation", 134217728,
     "memory", "memory.soft_limit_in_bytes", "134217728", "memory.low", "134217728"),
    (["--pids-limit", "100"], "linux.resources.pids.limit", 100,
     "pids", "pids.max", "100", "pids.max", "100"),
    (["--oom-score-adj", "500"], "process.oomScoreAdj", 500, None, None, None, None, None),
    (["--read-only"], "root.readonly", True, None, None, None, None, None),
    (["-h", "box"], "hostname", "box", None, None, None, None, None),
    (["-w", "/tmp"], "process.cwd", "/tmp", None, None, None, None, None),
    (["--security-opt", "no-new-privileges"], "process.noNewPrivileges", True,
     None, None, None, None, None),
    (["-t"], "process.terminal", True, None, None, None, None, None),
    # `docker service create` spellings (the seed's), and compose's reservation.
    (["--limit-cpu", "0.5"], "linux.resources.cpu.quota", 50000,
     "cpu", "cpu.cfs_quota_us", "50000", "cpu.max", "50000 100000"),
    (["--limit-memory", "256M"], "linux.resources.memory.limit", 268435456,
     None, None, None, None, None),
    (["--reserve-memory", "128M"], "linux.resources.memory.reservation", 134217728,
     None, None, None, None, None),
    (["--entrypoint", "echo"], "process.args", ["echo", "true"], None, None, None, None, None),
]
if not V2:
    FLAGS += [
        (["--memory-swappiness", "10"], "linux.resources.memory.swappiness", 10,
         "memory", "memory.swappiness", "10", None, None),
        (["-m", "64m", "--oom-kill-disable"], "linux.resources.memory.disableOOMKiller", True,
         "memory", "memory.oom_control", "oom_kill_disable 1", None, None),
    ]


@pytest.mark.parametrize("row", FLAGS, ids=lambda r: " ".join(r[0]) + " -> " + r[1])
def test_flag_sets_spec_field(cinch, row):
    flags, path, want = row[0], row[1], row[2]
    assert get(dry_run(cinch, *flags), path) == want


@pytest.mark.parametrize("row", [r for r in FLAGS if r[3]],
                         ids=lambda r: " ".join(r[0]) + " -> " + (r[6] if V2 else r[4]))
def test_flag_reaches_cgroup_file(cinch, row):
    flags, controller = row[0], row[3]
    fname, want = (row[6], row[7]) if V2 else (row[4], row[5])
    if fname is None:
        pytest.skip("no such cgroup file on this layout")
    cid = cinch.run("run", "-d", "--read-only", *flags, ROOTFS, "sleep-forever").stdout.strip()
    try:
        if not (helpers.cgroup_dir(controller, cid) / fname).exists():
            pytest.skip(f"{fname} is not available on this host")
        got = helpers.read_cgroup(controller, cid, fname)
        assert want in got.splitlines() or got == want, f"{fname}: {got!r}"
    finally:
        cinch.run("rm", "-f", cid)


def test_device_throttle_reaches_blkio_file(cinch):
    with helpers.loop_device(16) as (dev, majmin):
        cfg = dry_run(cinch, "--device-write-bps", f"{dev}:1mb", "--device-read-iops", f"{dev}:50")
        bio = cfg["linux"]["resources"]["blockIO"]
        major, minor = (int(x) for x in majmin.split(":"))
        assert bio["throttleWriteBpsDevice"] == [{"major": major, "minor": minor,
                                                  "rate": 1048576}]
        assert bio["throttleReadIOPSDevice"] == [{"major": major, "minor": minor, "rate": 50}]
        cid = cinch.run("run", "-d", "--read-only", "--device-write-bps", f"{dev}:1mb",
                        ROOTFS, "sleep-forever").stdout.strip()
        try:
            if V2:
                got = helpers.read_cgroup("io", cid, "io.max")
                assert f"{majmin} rbps=max wbps=1048576" in got
            else:
                got = helpers.read_cgroup("blkio", cid, "blkio.throttle.write_bps_device")
                assert got == f"{majmin} 1048576"
        finally:
            cinch.run("rm", "-f", cid)


def test_ulimit_reaches_process(cinch):
    cfg = dry_run(cinch, "--ulimit", "nofile=100:200")
    assert cfg["process"]["rlimits"] == [{"type": "RLIMIT_NOFILE", "hard": 200, "soft": 100}]
    out = cinch.run("run", "--rm", "--read-only", "--ulimit", "nofile=100:200", ROOTFS,
                    "sh", "-c", "ulimit -n; ulimit -Hn").stdout.split()
    assert out == ["100", "200"]


def test_oom_score_adj_reaches_process(cinch):
    out = cinch.run("run", "--rm", "--read-only", "--oom-score-adj", "321", ROOTFS,
                    "cat", "/proc/self/oom_score_adj").stdout.strip()
    assert out == "321"


def test_shm_size_and_tmpfs_and_volume_mounts(cinch, tmp_path):
    (tmp_path / "hello").write_text("from host\n")
    cfg = dry_run(cinch, "--shm-size", "128m", "--tmpfs", "/run:size=1m",
                  "-v", f"{tmp_path}:/mnt:ro")
    mounts = {m["destination"]: m for m in cfg["mounts"]}
    assert "size=134217728" in mounts["/dev/shm"]["options"]
    assert {"noexec", "nosuid", "nodev", "size=1m"} <= set(mounts["/run"]["options"])
    assert mounts["/mnt"]["source"] == str(tmp_path) and "ro" in mounts["/mnt"]["options"]
    out = cinch.run("run", "--rm", "--shm-size", "128m", "-v", f"{tmp_path}:/mnt:ro", "busybox",
                    "sh", "-c", "cat /mnt/hello; df -k /dev/shm | tail -1; "
                    "touch /mnt/x 2>&1 || echo denied").stdout
    assert "from host" in out
    assert " 131072 " in out
    assert "denied" in out and not (tmp_path / "x").exists()


def test_default_capabilities_are_dockers_14(cinch):
    cfg = dry_run(cinch)
    caps = cfg["process"]["capabilities"]
    want = {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
            "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
            "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}
    for k in ("bounding", "effective", "permitted"):
        assert set(caps[k]) == want
    out = cinch.run("run", "--rm", "--read-only", ROOTFS, "showcaps").stdout
    # Docker's default set as a mask.
    assert "CapEff:\t00000000a80425fb" in out or "CapEff: 00000000a80425fb" in out, out


@pytest.mark.parametrize("flags,bounding", [
    (["--cap-drop", "ALL", "--cap-add", "chown"], ["CAP_CHOWN"]),
    (["--cap-drop", "net_raw", "--cap-drop", "CAP_MKNOD"], None),
    (["--cap-add", "Sys_Admin"], None),
])
def test_cap_add_drop(cinch, flags, bounding):
    caps = dry_run(cinch, *flags)["process"]["capabilities"]["bounding"]
    if bounding is not None:
        assert caps == bounding
    if "net_raw" in flags:
        assert "CAP_NET_RAW" not in caps and "CAP_MKNOD" not in caps and "CAP_CHOWN" in caps
    if "Sys_Admin" in flags:
        assert "CAP_SYS_ADMIN" in caps and len(caps) == 15


def test_privileged_and_unconfined(cinch):
    cfg = dry_run(cinch, "--privileged")
    assert "seccomp" not in cfg["linux"] and "maskedPaths" not in cfg["linux"]
    assert len(cfg["process"]["capabilities"]["bounding"]) > 30
    assert cfg["linux"]["resources"]["devices"] == [{"allow": True, "access": "rwm"}]
    cfg = dry_run(cinch, "--security-opt", "seccomp=unconfined")
    assert "seccomp" not in cfg["linux"] and "/proc/kcore" in cfg["linux"]["maskedPaths"]
    cfg = dry_run(cinch, "--security-opt", "systempaths=unconfined")
    assert "maskedPaths" not in cfg["linux"] and "readonlyPaths" not in cfg["linux"]


def test_default_seccomp_is_an_allow_list_conditioned_on_caps(cinch):
    sc = dry_run(cinch)["linux"]["seccomp"]
    assert sc["defaultAction"] == "SCMP_ACT_ERRNO" and sc["defaultErrnoRet"] == 1
    allowed = set()
    for r in sc["syscalls"]:
        if r["action"] == "SCMP_ACT_ALLOW" and not r.get("args"):
            allowed |= set(r["names"])
    assert {"read", "write", "openat", "execve", "chroot"} <= allowed
    assert not {"mount", "unshare", "setns", "keyctl", "bpf", "kexec_load",
                "open_by_handle_at"} & allowed
    clone3 = [r for r in sc["syscalls"] if r["names"] == ["clone3"]]
    assert clone3 and clone3[0]["action"] == "SCMP_ACT_ERRNO" and clone3[0]["errnoRet"] == 38
    # With CAP_SYS_ADMIN the namespace calls become allowed and clone is unconditional.
    sc = dry_run(cinch, "--cap-add", "SYS_ADMIN")["linux"]["seccomp"]
    allowed = set().union(*(set(r["names"]) for r in sc["syscalls"]
                            if r["action"] == "SCMP_ACT_ALLOW" and not r.get("args")))
    assert {"mount", "unshare", "setns", "clone", "clone3"} <= allowed


def test_default_seccomp_blocks_in_a_real_container(cinch):
    out = cinch.run("run", "--rm", "--read-only", ROOTFS, "trysyscall", "keyctl", "unshare",
                    "chown", "setuid").stdout
    assert "keyctl: errno 1 (EPERM)" in out
    assert "unshare: errno 1 (EPERM)" in out
    assert "chown: ok" in out and "setuid: ok" in out
    out = cinch.run("run", "--rm", "--read-only", "--security-opt", "seccomp=unconfined",
                    ROOTFS, "trysyscall", "keyctl").stdout
    assert "keyctl: ok" in out


def test_user_resolved_from_image_passwd(cinch):
    cfg = dry_run(cinch, "-u", "nobody", image="busybox")
    assert cfg["process"]["user"]["uid"] == 65534 and cfg["process"]["user"]["gid"] == 65534
    out = cinch.run("run", "--rm", "-u", "app", "busybox", "id").stdout
    assert out.startswith("uid=1000(app) gid=1000")
    p = cinch.run("run", "--rm", "-u", "nosuchuser", "busybox", "id", check=False)
    assert p.returncode == 125 and "unable to find user nosuchuser" in p.stderr


def test_env_and_env_file(cinch, tmp_path):
    f = tmp_path / "env"
    f.write_text("# comment\nFROM_FILE=1\nBOTH=file\n")
    out = cinch.run("run", "--rm", "--env-file", str(f), "-e", "BOTH=flag", "-e", "X=y",
                    "busybox", "env").stdout.splitlines()
    assert "FROM_FILE=1" in out and "BOTH=flag" in out and "X=y" in out
    assert any(line.startswith("HOSTNAME=") for line in out)


def test_network_none_by_default_and_host(cinch):
    cfg = dry_run(cinch)
    assert {"type": "network"} in cfg["linux"]["namespaces"]
    out = cinch.run("run", "--rm", "busybox", "cat", "/proc/net/dev").stdout
    ifaces = [line.split(":")[0].strip() for line in out.splitlines()[2:]]
    assert ifaces == ["lo"]
    cfg = dry_run(cinch, "--network", "host", "--pid", "host", "--ipc", "host", "--uts", "host")
    types = {n["type"] for n in cfg["linux"]["namespaces"]}
    assert not {"network", "pid", "ipc", "uts"} & types


# (flags, Docker's message) -- every one exits 125 and leaves nothing behind.
ERRORS = [
    (["-m", "4m"], "Minimum memory limit allowed is 6MB"),
    (["-m", "256m", "--memory-swap", "128m"],
     "Minimum memoryswap limit should be larger than memory limit, see usage"),
    (["--memory-swap", "128m"],
     "You should always set the Memory limit when using Memoryswap limit, see usage"),
    (["--cpus", "99"], "range of CPUs is from 0.01 to {n}.00, as there are only {n} CPUs available"),
    (["--cpus", "-1"], "range of CPUs is from 0.01 to {n}.00"),
    (["--cpus", "0.5", "--cpu-period", "50000"],
     "Conflicting options: Nano CPUs and CPU Period cannot both be set"),
    (["--cpus", "0.5", "--cpu-quota", "50000"],
     "Conflicting options: Nano CPUs and CPU Quota cannot both be set"),
    (["--cpus", "0.0000000001"], "value is too precise"),
    (["--cpus", "lots"], "failed to parse lots as a rational number"),
    (["--cpu-period", "100"],
     "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"),
    (["--cpu-quota", "500"], "CPU cfs quota can not be less than 1ms (i.e. 1000)"),
    (["-c", "-5"], "invalid CPU shares (-5): value must be a positive integer"),
    (["--cpuset-cpus", "abc"], "Invalid value abc for cpuset cpus"),
    (["--cpuset-cpus", "0-63"], "Requested CPUs are not available - requested 0-63, available: "),
    (["--blkio-weight", "5"], "Range of blkio weight is from 10 to 1000"),
    (["--blkio-weight-device", "/dev/null:5"], "invalid weight for device: /dev/null:5"),
    (["--blkio-weight-device", "sda:100"], "bad format for device path: sda:100"),
    (["--device-read-bps", "/dev/null:fast"],
     "invalid rate for device: /dev/null:fast. The correct format is "
     "<device-path>:<number>[<unit>]. Number must be a positive integer. "
     "Unit is optional and can be kb, mb, or gb"),
    (["--device-write-iops", "/dev/null:1k"],
     "invalid rate for device: /dev/null:1k. The correct format is <device-path>:<number>. "
     "Number must be a positive integer"),
    (["--ulimit", "nofile=10:5"],
     "ulimit soft limit must be less than or equal to hard limit: 10 > 5"),
    (["--ulimit", "nofile"], "invalid ulimit argument: nofile"),
    (["--ulimit", "as=10"], "invalid ulimit type: as"),
    (["--ulimit", "nofile=1:2:3"], "too many limit value arguments - 1:2:3"),
    (["-m", "10x"], 'invalid argument "10x" for "-m, --memory" flag: invalid suffix: \'x\''),
    (["-m", "-1"], "invalid size: '-1'"),
    (["--memory-swappiness", "101"], "invalid value: 101. Valid memory swappiness range is 0-100"),
    (["--memory-reservation", "1m"], "Minimum memory reservation allowed is 6MB"),
    (["-m", "64m", "--memory-reservation", "128m"],
     "Minimum memory limit can not be less than memory reservation limit, see usage"),
    (["--oom-score-adj", "1001"], "Invalid value 1001, range for oom score adj is [-1000, 1000]"),
    (["--shm-size", "-1"], "invalid size: '-1'"),
    (["--cap-add", "CAP_NOPE"], 'unknown capability: "CAP_NOPE"'),
    (["--security-opt", "bogus"], 'invalid --security-opt: "bogus"'),
    (["--userns", "bogus"], "--userns: invalid USER mode"),
    (["--uts", "host", "-h", "x"], "conflicting options: hostname and the UTS mode"),
    (["--name", "-bad"], None),
    (["--name", "b@d"], "Invalid container name (b@d), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"),
]


@pytest.mark.parametrize("flags,msg", ERRORS, ids=lambda x: " ".join(x) if isinstance(x, list) else "")
def test_docker_validation_errors(cinch, flags, msg):
    n = len(os.sched_getaffinity(0))
    p = cinch.run("run", *flags, ROOTFS, "true", check=False)
    assert p.returncode == 125, p.stderr
    if msg:
        assert msg.format(n=n) in p.stderr, p.stderr
    # Nothing made: no record, no OCI state.
    assert cinch.run("ps", "-a", "-q").stdout.strip() == ""
    assert cinch.ids() == []


def test_userns_remap_maps_root_to_an_unprivileged_range(cinch):
    cfg = dry_run(cinch, "--userns", "remap", image="busybox")
    assert {"type": "user"} in cfg["linux"]["namespaces"]
    assert cfg["linux"]["uidMappings"] == [{"containerID": 0, "hostID": 100000, "size": 65536}]
    import subprocess
    if subprocess.run(["unshare", "--user", "true"], capture_output=True).returncode != 0:
        # e.g. the v2 test bed runs in a chroot, where CLONE_NEWUSER is EPERM.
        pytest.skip("this environment cannot make user namespaces at all")
    cid = cinch.run("run", "-d", "--userns", "remap", "busybox", "sh", "-c",
                    "touch /mine && sleep 100").stdout.strip()
    try:
        pid = cinch.state(cid)["pid"]
        status = Path(f"/proc/{pid}/status").read_text()
        uids = [l for l in status.splitlines() if l.startswith("Uid:")][0].split()[1:]
        assert uids == ["100000"] * 4
        inside = cinch.run("exec", cid, "cat", "/proc/self/uid_map").stdout.split()
        assert inside == ["0", "100000", "65536"]
    finally:
        cinch.run("rm", "-f", cid)
    assert not Path(f"/run/cinch-userns/{cid}").exists()


def test_device_group_add_and_mount_flags(cinch, tmp_path):
    with helpers.loop_device(8) as (dev, majmin):
        cfg = dry_run(cinch, "--device", f"{dev}:/dev/xdisk:r", "--group-add", "app",
                      "--group-add", "4242", "--mount", f"type=bind,source={tmp_path},target=/data",
                      "--mount", "type=tmpfs,target=/scratch,tmpfs-size=1m", image="busybox")
        major, minor = (int(x) for x in majmin.split(":"))
        assert {"path": "/dev/xdisk", "type": "b", "major": major, "minor": minor}.items() <= \
            cfg["linux"]["devices"][0].items()
        assert {"allow": True, "type": "b", "major": major, "minor": minor, "access": "r"} in \
            cfg["linux"]["resources"]["devices"]
        assert cfg["process"]["user"]["additionalGids"] == [0, 1000, 4242]
        mounts = {m["destination"]: m for m in cfg["mounts"]}
        assert mounts["/data"]["type"] == "bind" and mounts["/data"]["source"] == str(tmp_path)
        assert mounts["/scratch"]["type"] == "tmpfs" and "size=1048576" in \
            mounts["/scratch"]["options"]
        out = cinch.run("run", "--rm", "--device", f"{dev}:/dev/xdisk:r", "busybox", "sh", "-c",
                        "ls -l /dev/xdisk; head -c 512 /dev/xdisk | wc -c; "
                        "echo x > /dev/xdisk 2>/dev/null || echo write-refused").stdout
        assert out.startswith("b") and "512" in out and "write-refused" in out
    p = cinch.run("run", "--rm", "busybox", "ls", "/dev/loop0", check=False)
    assert p.returncode != 0  # host devices are not there without --device


def test_docker_format_seccomp_file_conditions(cinch, tmp_path):
    prof = {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 1,
        "archMap": [{"architecture": "SCMP_ARCH_X86_64",
                     "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
                    {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
        "syscalls": [
            {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["mount"], "action": "SCMP_ACT_ALLOW",
             "includes": {"caps": ["CAP_SYS_ADMIN"]}},
            {"names": ["chroot"], "action": "SCMP_ACT_ALLOW",
             "excludes": {"caps": ["CAP_SYS_CHROOT"]}},
            {"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
            {"names": ["modify_ldt"], "action": "SCMP_ACT_ALLOW",
             "includes": {"arches": ["nosucharch"]}},
        ],
    }
    f = tmp_path / "profile.json"
    f.write_text(json.dumps(prof))

    def names(*flags):
        sc = dry_run(cinch, "--security-opt", f"seccomp={f}", *flags)["linux"]["seccomp"]
        return sc, set().union(*(set(r["names"]) for r in sc["syscalls"]))

    sc, got = names()
    if os.uname().machine == "x86_64":
        assert sc["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    assert got == {"read", "write", "getpid"}
    assert "includes" not in json.dumps(sc) and "archMap" not in sc
    _, got = names("--cap-add", "SYS_ADMIN", "--cap-drop", "SYS_CHROOT")
    assert got == {"read", "write", "getpid", "mount", "chroot"}
