"""linux.resources (issue 3): every key read back from the cgroup files after
create, on whichever layout this host has (v1, hybrid, v2), including the
converted values; keys a version cannot honour and bad values are refused
with an error naming the key, leaving nothing behind (the fixtures check)."""

import json
import math
import glob
import os

import pytest

import helpers
from conftest import is_runc

LAYOUT = helpers.layout()
V2 = LAYOUT == "v2"
MiB = 1 << 20


def cg(cid, controller, name):
    """A cgroup file of the container, v1 or v2, as text (stripped)."""
    return helpers.read_cgroup(controller, cid, name)


def cg_exists(cid, controller, name):
    return (helpers.cgroup_dir(controller, cid) / name).exists()


def shares_to_weight(s):
    """runc >= 1.3.2 / crun: the log-based mapping (1024 -> 100)."""
    if s <= 2:
        return 1
    if s >= 262144:
        return 10000
    l = math.log2(s)
    return math.ceil(10 ** ((l * l + 125 * l) / 612.0 - 7.0 / 34.0))


def blkio_to_io_weight(w):
    return 1 + (w - 10) * 9999 // 990


def create(cinch, b, cid, check=True):
    b.save()
    return cinch.run("create", "--bundle", b.path, cid, check=check)


def refused(p, *words):
    assert p.returncode != 0, f"succeeded: {p.stdout}"
    for w in [] if is_runc() else words:
        assert w in p.stderr, f"{w!r} not in {p.stderr!r}"


def test_shares_to_weight_table():
    # The documented points of the conversion the tests below rely on.
    assert [shares_to_weight(s) for s in (2, 100, 512, 1024, 2048, 4096, 262144)] == \
        [1, 17, 59, 100, 174, 303, 10000]


# ---- read back after create ----------------------------------------------------

def test_cpu_keys(cinch, bundle, cid):
    b = bundle()
    b.linux["resources"]["cpu"] = {"shares": 512, "quota": 50000, "period": 100000,
                                   "burst": 10000, "idle": 0, "cpus": "0", "mems": "0"}
    create(cinch, b, cid)
    if V2:
        assert cg(cid, "cpu", "cpu.weight") == str(shares_to_weight(512)) == "59"
        assert cg(cid, "cpu", "cpu.max") == "50000 100000"
        assert cg(cid, "cpu", "cpu.max.burst") == "10000"
        assert cg(cid, "cpu", "cpu.idle") == "0"
    else:
        assert cg(cid, "cpu", "cpu.shares") == "512"
        assert cg(cid, "cpu", "cpu.cfs_quota_us") == "50000"
        assert cg(cid, "cpu", "cpu.cfs_period_us") == "100000"
        assert cg(cid, "cpu", "cpu.cfs_burst_us") == "10000"
        assert cg(cid, "cpu", "cpu.idle") == "0"
    assert cg(cid, "cpuset", "cpuset.cpus") == "0"
    assert cg(cid, "cpuset", "cpuset.mems") == "0"


def test_cpu_idle_and_unlimited_quota(cinch, bundle, cid):
    b = bundle()
    b.linux["resources"]["cpu"] = {"idle": 1, "quota": -1, "period": 50000}
    create(cinch, b, cid)
    if V2:
        assert cg(cid, "cpu", "cpu.max") == "max 50000"
    else:
        assert cg(cid, "cpu", "cpu.cfs_quota_us") == "-1"
        assert cg(cid, "cpu", "cpu.cfs_period_us") == "50000"
    assert cg(cid, "cpu", "cpu.idle") == "1"


@pytest.mark.skipif(V2, reason="real-time limits are cgroup v1 only (refused on v2, tested below)")
def test_cpu_realtime_v1(cinch, bundle, cid):
    b = bundle()
    b.linux["resources"]["cpu"] = {"realtimePeriod": 100000, "realtimeRuntime": 1000}
    create(cinch, b, cid)
    assert cg(cid, "cpu", "cpu.rt_period_us") == "100000"
    assert cg(cid, "cpu", "cpu.rt_runtime_us") == "1000"


def test_memory_keys(cinch, bundle, cid):
    b = bundle()
    mem = {"limit": 64 * MiB, "reservation": 32 * MiB, "swap": 128 * MiB}
    if not V2:
        mem["swappiness"] = 10
    b.linux["resources"]["memory"] = mem
    create(cinch, b, cid)
    if V2:
        assert cg(cid, "memory", "memory.max") == str(64 * MiB)
        assert cg(cid, "memory", "memory.low") == str(32 * MiB)
        if cg_exists(cid, "memory", "memory.swap.max"):
            # OCI swap is memory+swap; v2's file is swap alone.
            assert cg(cid, "memory", "memory.swap.max") == str(64 * MiB)
    else:
        assert cg(cid, "memory", "memory.limit_in_bytes") == str(64 * MiB)
        assert cg(cid, "memory", "memory.soft_limit_in_bytes") == str(32 * MiB)
        assert cg(cid, "memory", "memory.memsw.limit_in_bytes") == str(128 * MiB)
        assert cg(cid, "memory", "memory.swappiness") == "10"


def test_memory_swap_equal_to_limit_means_no_swap(cinch, bundle, cid):
    b = bundle()
    b.linux["resources"]["memory"] = {"limit": 64 * MiB, "swap": 64 * MiB}
    create(cinch, b, cid)
    if V2:
        if cg_exists(cid, "memory", "memory.swap.max"):
            assert cg(cid, "memory", "memory.swap.max") == "0"
    else:
        assert cg(cid, "memory", "memory.memsw.limit_in_bytes") == str(64 * MiB)


def test_memory_unlimited_swap(cinch, bundle, cid):
    b = bundle()
    b.linux["resources"]["memory"] = {"limit": 64 * MiB, "swap": -1}
    create(cinch, b, cid)
    if V2:
        assert cg(cid, "memory", "memory.max") == str(64 * MiB)
        if cg_exists(cid, "memory", "memory.swap.max"):
            assert cg(cid, "memory", "memory.swap.max") == "max"
    else:
        assert cg(cid, "memory", "memory.limit_in_bytes") == str(64 * MiB)
        assert int(cg(cid, "memory", "memory.memsw.limit_in_bytes")) > 1 << 60


@pytest.mark.skipif(V2, reason="v2 has no OOM-killer switch (refused, tested below)")
def test_disable_oom_killer_v1(cinch, bundle, cid):
    b = bundle()
    b.linux["resources"]["memory"] = {"limit": 64 * MiB, "disableOOMKiller": True}
    create(cinch, b, cid)
    assert "oom_kill_disable 1" in cg(cid, "memory", "memory.oom_control")


def test_kernel_memory_is_ignored_with_a_warning(cinch, bundle, cid):
    b = bundle()
    b.linux["resources"]["memory"] = {"limit": 64 * MiB, "kernel": 32 * MiB, "kernelTCP": 16 * MiB}
    p = create(cinch, b, cid)
    if not is_runc():
        assert "kernel" in p.stderr
    if not V2:
        assert int(cg(cid, "memory", "memory.kmem.limit_in_bytes")) > 1 << 60


@pytest.mark.parametrize("limit,want", [(50, "50"), (-1, "max"), (0, "1")])
def test_pids_limit(cinch, bundle, cid, limit, want):
    b = bundle()
    b.linux["resources"]["pids"] = {"limit": limit}
    create(cinch, b, cid)
    assert cg(cid, "pids", "pids.max") == want


def test_blkio_weight(cinch, bundle, cid):
    b = bundle()
    b.linux["resources"]["blockIO"] = {"weight": 300}
    create(cinch, b, cid)
    if V2:
        if cg_exists(cid, "blkio", "io.bfq.weight"):
            assert cg(cid, "blkio", "io.bfq.weight").split()[-1] == "300"
        else:
            assert cg(cid, "blkio", "io.weight").split()[-1] == str(blkio_to_io_weight(300))
    else:
        name = "blkio.weight" if cg_exists(cid, "blkio", "blkio.weight") else "blkio.bfq.weight"
        assert cg(cid, "blkio", name).split()[-1] == "300"


def test_blkio_throttles(cinch, bundle, cid):
    with helpers.loop_device(16) as (dev, mm):
        ma, mi = (int(x) for x in mm.split(":"))
        b = bundle()
        b.linux["resources"]["blockIO"] = {
            "throttleReadBpsDevice": [{"major": ma, "minor": mi, "rate": 1048576}],
            "throttleWriteBpsDevice": [{"major": ma, "minor": mi, "rate": 2097152}],
            "throttleReadIOPSDevice": [{"major": ma, "minor": mi, "rate": 100}],
            "throttleWriteIOPSDevice": [{"major": ma, "minor": mi, "rate": 200}],
        }
        create(cinch, b, cid)
        if V2:
            line = [l for l in cg(cid, "blkio", "io.max").splitlines() if l.startswith(mm)]
            assert line and set(line[0].split()[1:]) == {
                "rbps=1048576", "wbps=2097152", "riops=100", "wiops=200"}
        else:
            assert cg(cid, "blkio", "blkio.throttle.read_bps_device") == f"{mm} 1048576"
            assert cg(cid, "blkio", "blkio.throttle.write_bps_device") == f"{mm} 2097152"
            assert cg(cid, "blkio", "blkio.throttle.read_iops_device") == f"{mm} 100"
            assert cg(cid, "blkio", "blkio.throttle.write_iops_device") == f"{mm} 200"
        cinch.run("delete", "--force", cid)


def _hugepage_sizes():
    try:
        return [d for d in os.listdir("/sys/kernel/mm/hugepages")]
    except FileNotFoundError:
        return []


@pytest.mark.skipif("hugepages-2048kB" not in _hugepage_sizes(), reason="no 2MB huge pages")
def test_hugetlb_limit(cinch, bundle, cid):
    b = bundle()
    b.linux["resources"]["hugepageLimits"] = [{"pageSize": "2MB", "limit": 4 * 2 * MiB}]
    p = create(cinch, b, cid, check=False)
    top = helpers.hierarchy("hugetlb")
    if p.returncode != 0:
        if is_runc():
            pytest.xfail("runc 1.1 cannot place hugetlb in the unified hierarchy of a hybrid host")
        # Only acceptable when no hierarchy offers hugetlb, and then it must say so.
        assert "hugepageLimits" in p.stderr and "hugetlb" in p.stderr
        return
    if str(top).endswith("unified") or V2:
        assert cg(cid, "hugetlb", "hugetlb.2MB.max") == str(8 * MiB)
    else:
        assert cg(cid, "hugetlb", "hugetlb.2MB.limit_in_bytes") == str(8 * MiB)


def test_devices_v1_list_in_config_order(cinch, bundle, cid):
    if V2:
        pytest.skip("v2 has no devices.list (the BPF filter is checked by enforcement)")
    b = bundle()
    b.linux["resources"]["devices"] = [
        {"allow": False, "access": "rwm"},
        {"allow": True, "type": "c", "major": 10, "minor": 237, "access": "r"},
    ]
    create(cinch, b, cid)
    lines = cg(cid, "devices", "devices.list").splitlines()
    assert "c 10:237 r" in lines
    # runc's default allow-list is added: /dev/null, pts, mknod of anything.
    for want in ("c 1:3 rwm", "c 136:* rwm", "c *:* m", "b *:* m"):
        assert want in lines
    assert "a *:* rwm" not in lines


@pytest.mark.parametrize("allowed", [True, False])
def test_devices_enforced(cinch, bundle, cid, allowed):
    """The rules decide (v1 devices cgroup, or the v2 BPF program cinch loads)."""
    b = bundle(args=["sh", "-c", "exec 3</dev/loop-control && echo OPEN_OK"])
    b.linux["devices"] = [{"path": "/dev/loop-control", "type": "c", "major": 10,
                           "minor": 237, "fileMode": 0o600}]
    rules = [{"allow": False, "access": "rwm"}]
    if allowed:
        rules.append({"allow": True, "type": "c", "major": 10, "minor": 237, "access": "rw"})
    b.linux["resources"]["devices"] = rules
    b.save()
    p = cinch.run("run", "--bundle", b.path, cid, check=False)
    if allowed:
        assert "OPEN_OK" in p.stdout, p.stderr
    else:
        assert "OPEN_OK" not in p.stdout
        assert "not permitted" in p.stderr.lower() or "can't open" in p.stderr


def test_cgroups_path_absolute(cinch, bundle, cid):
    b = bundle()
    path = f"/cinch-test-abs/{cid}"
    b.linux["cgroupsPath"] = path
    b.linux["resources"]["pids"] = {"limit": 7}
    try:
        create(cinch, b, cid)
        assert helpers.read_cgroup("pids", path, "pids.max") == "7"
        st = cinch.state(cid)
        assert helpers.cgroup_of_pid(st["pid"], "pids") == path
        cinch.run("delete", "--force", cid)
        assert not helpers.cgroup_dir("pids", path).exists()
    finally:
        # The parent is the caller's, as with runc (delete removes the
        # container's own directory only): the test removes what it asked for.
        cinch.run("delete", "--force", cid, check=False)
        for d in glob.glob("/sys/fs/cgroup/*/cinch-test-abs") + ["/sys/fs/cgroup/cinch-test-abs"]:
            try:
                os.rmdir(d)
            except OSError:
                pass


def test_cgroups_path_relative_to_own_cgroup(cinch, bundle, cid):
    """runc's rule: a relative path (and the default, the id) is under the
    runtime's own cgroup in each v1 hierarchy (its parent on v2)."""
    b = bundle()
    b.linux.pop("cgroupsPath", None)
    create(cinch, b, cid)
    st = cinch.state(cid)
    mine = helpers.cgroup_of_pid(os.getpid(), "memory")
    theirs = helpers.cgroup_of_pid(st["pid"], "memory")
    base = os.path.dirname(mine) if V2 else mine
    assert theirs == os.path.join(base, cid)


def test_every_hierarchy_joined(cinch, bundle, cid):
    b = bundle()
    create(cinch, b, cid)
    pid = cinch.state(cid)["pid"]
    text = open(f"/proc/{pid}/cgroup").read()
    for line in text.splitlines():
        hid, ctrls, path = line.split(":", 2)
        if ctrls == "name=systemd":
            continue
        assert path.endswith("/" + cid), line


# ---- refusals ----------------------------------------------------------------

def bad(cinch, bundle, cid, resources, *words):
    b = bundle()
    b.linux["resources"].update(resources)
    p = create(cinch, b, cid, check=False)
    refused(p, *words)
    assert cid not in cinch.ids()
    assert helpers.find_cgroup_dirs(cid) == []


def test_refuses_negative_shares(cinch, bundle, cid):
    bad(cinch, bundle, cid, {"cpu": {"shares": -5}}, "linux.resources.cpu.shares")


def test_refuses_cpus_beyond_host(cinch, bundle, cid):
    n = os.cpu_count()
    bad(cinch, bundle, cid, {"cpu": {"cpus": f"0-{n + 63}"}}, "linux.resources.cpu.cpus",
        "not available")


def test_refuses_bad_cpuset_syntax(cinch, bundle, cid):
    bad(cinch, bundle, cid, {"cpu": {"cpus": "1-0x"}}, "linux.resources.cpu.cpus")


def test_refuses_missing_device(cinch, bundle, cid):
    bad(cinch, bundle, cid,
        {"blockIO": {"throttleWriteBpsDevice": [{"major": 259, "minor": 999999, "rate": 1}]}},
        "throttleWriteBpsDevice", "259:999999", "does not exist")


def test_refuses_swap_below_limit(cinch, bundle, cid):
    bad(cinch, bundle, cid, {"memory": {"limit": 128 * MiB, "swap": 64 * MiB}},
        "linux.resources.memory.swap")


def test_refuses_small_cpu_period(cinch, bundle, cid):
    bad(cinch, bundle, cid, {"cpu": {"period": 10}}, "linux.resources.cpu.period")


def test_refuses_blkio_weight_out_of_range(cinch, bundle, cid):
    bad(cinch, bundle, cid, {"blockIO": {"weight": 5000}}, "linux.resources.blockIO.weight")


def test_refuses_unknown_hugepage_size(cinch, bundle, cid):
    bad(cinch, bundle, cid, {"hugepageLimits": [{"pageSize": "3MB", "limit": 1}]},
        "hugepageLimits", "3MB")


def test_refuses_a_missing_memory_node(cinch, bundle, cid):
    bad(cinch, bundle, cid, {"cpu": {"mems": "7"}}, "linux.resources.cpu.mems")


def test_kernel_refusal_rolls_back(cinch, bundle, cid):
    """A value that passes validation but that the kernel refuses after the
    directories exist (more real-time budget than the parent has on v1; a
    unified file that does not exist on v2) must still leave nothing."""
    if V2:
        bad(cinch, bundle, cid, {"unified": {"memory.nosuchfile": "1"}}, "linux.resources.unified")
    else:
        bad(cinch, bundle, cid, {"cpu": {"realtimePeriod": 1000000, "realtimeRuntime": 999000}},
            "linux.resources.cpu.realtimeRuntime")


@pytest.mark.skipif(V2, reason="v2 host: unified is honoured there")
def test_refuses_unified_on_v1_or_hybrid(cinch, bundle, cid):
    bad(cinch, bundle, cid, {"unified": {"memory.high": "100000000"}},
        "linux.resources.unified")


@pytest.mark.skipif(not V2, reason="v1 controllers honour these")
@pytest.mark.parametrize("res,key", [
    ({"cpu": {"realtimeRuntime": 1000, "realtimePeriod": 100000}}, "cpu.realtime"),
    ({"memory": {"limit": 64 * MiB, "disableOOMKiller": True}}, "memory.disableOOMKiller"),
    ({"network": {"classID": 5}}, "network.classID"),
])
def test_refuses_v1_only_keys_on_v2(cinch, bundle, cid, res, key):
    bad(cinch, bundle, cid, res, "linux.resources." + key)


@pytest.mark.skipif(V2, reason="v1 or hybrid host")
def test_refuses_unmounted_v1_controller(cinch, bundle, cid):
    if helpers._v1_mount("net_cls") is not None:
        pytest.skip("net_cls is mounted here")
    bad(cinch, bundle, cid, {"network": {"classID": 5}}, "linux.resources.network.classID",
        "net_cls")


@pytest.mark.skipif(not V2, reason="unified is cgroup v2 only")
def test_unified_applied_last(cinch, bundle, cid):
    b = bundle()
    b.linux["resources"]["memory"] = {"limit": 64 * MiB}
    b.linux["resources"]["unified"] = {"memory.max": str(32 * MiB), "memory.high": str(16 * MiB)}
    create(cinch, b, cid)
    assert cg(cid, "memory", "memory.max") == str(32 * MiB)
    assert cg(cid, "memory", "memory.high") == str(16 * MiB)


@pytest.mark.skipif(not V2, reason="unified is cgroup v2 only")
def test_unified_unknown_file_refused(cinch, bundle, cid):
    bad(cinch, bundle, cid, {"unified": {"memory.nosuchfile": "1"}}, "linux.resources.unified")


def test_nested_new_ancestors_get_cpuset_and_controllers(cinch, bundle, cid):
    """Ancestors made for a deep cgroupsPath must be usable: v1 cpusets copied
    down (an empty one refuses tasks), v2 controllers enabled top-down."""
    top = f"cinch-test-nest-{cid[-6:]}"
    path = f"/{top}/mid/{cid}"
    b = bundle(args=["sh", "-c", "echo STARTED"])
    b.linux["cgroupsPath"] = path
    b.linux["resources"]["cpu"] = {"cpus": "0", "shares": 512}
    b.linux["resources"]["memory"] = {"limit": 64 * MiB}
    b.linux["resources"]["pids"] = {"limit": 10}
    b.save()
    p = cinch.run("run", "--bundle", b.path, cid)
    assert "STARTED" in p.stdout
    assert helpers.find_cgroup_dirs(top) == []
