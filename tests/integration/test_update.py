"""`update` (issue 3): runc's flags and -r FILE|- change the cgroup files
(read back on this host's layout, converted on v2) and stay in the
container's state; bad values are refused naming the key and change nothing."""

import json
import os

import pytest

import helpers
from conftest import is_runc
from test_resources import V2, MiB, blkio_to_io_weight, cg, cg_exists, refused, shares_to_weight


@pytest.fixture
def running(cinch, bundle, cid):
    b = bundle()
    b.linux["resources"]["memory"] = {"limit": 64 * MiB}
    b.save()
    cinch.run("run", "-d", "--bundle", b.path, cid)
    return cid


def test_update_flags(cinch, running):
    cid = running
    cpus = "1" if os.cpu_count() > 1 else "0"
    cinch.run("update", "--memory", "100m", "--memory-swap", "200m", "--memory-reservation", "50m",
              "--cpu-period", "50000", "--cpu-quota", "25000", "--cpu-share", "2048",
              "--cpu-burst", "5000", "--cpuset-cpus", cpus,
              "--cpuset-mems", "0", "--blkio-weight", "700", "--pids-limit", "33", cid)
    if V2:
        assert cg(cid, "memory", "memory.max") == str(100 * MiB)
        assert cg(cid, "memory", "memory.low") == str(50 * MiB)
        if cg_exists(cid, "memory", "memory.swap.max"):
            assert cg(cid, "memory", "memory.swap.max") == str(100 * MiB)
        assert cg(cid, "cpu", "cpu.max") == "25000 50000"
        assert cg(cid, "cpu", "cpu.weight") == str(shares_to_weight(2048)) == "174"
        assert cg(cid, "cpu", "cpu.max.burst") == "5000"
        if cg_exists(cid, "blkio", "io.bfq.weight"):
            assert cg(cid, "blkio", "io.bfq.weight").split()[-1] == "700"
        elif cg_exists(cid, "blkio", "io.weight"):
            assert cg(cid, "blkio", "io.weight").split()[-1] == str(blkio_to_io_weight(700))
    else:
        assert cg(cid, "memory", "memory.limit_in_bytes") == str(100 * MiB)
        assert cg(cid, "memory", "memory.soft_limit_in_bytes") == str(50 * MiB)
        assert cg(cid, "memory", "memory.memsw.limit_in_bytes") == str(200 * MiB)
        assert cg(cid, "cpu", "cpu.cfs_period_us") == "50000"
        assert cg(cid, "cpu", "cpu.cfs_quota_us") == "25000"
        assert cg(cid, "cpu", "cpu.shares") == "2048"
        assert cg(cid, "cpu", "cpu.cfs_burst_us") == "5000"
        name = "blkio.weight" if cg_exists(cid, "blkio", "blkio.weight") else "blkio.bfq.weight"
        assert cg(cid, "blkio", name).split()[-1] == "700"
    assert cg(cid, "cpuset", "cpuset.cpus") == cpus
    assert cg(cid, "cpuset", "cpuset.mems") == "0"
    assert cg(cid, "pids", "pids.max") == "33"


def test_update_cpu_idle(cinch, running):
    # Separate from shares: an idle cgroup's weight is the kernel's minimum.
    cinch.run("update", "--cpu-idle", "1", running)
    assert cg(running, "cpu", "cpu.idle") == "1"
    cinch.run("update", "--cpu-idle", "0", running)
    assert cg(running, "cpu", "cpu.idle") == "0"


@pytest.mark.skipif(V2, reason="real-time limits are cgroup v1 only")
def test_update_realtime_v1(cinch, running):
    cinch.run("update", "--cpu-rt-period", "100000", "--cpu-rt-runtime", "500", running)
    assert cg(running, "cpu", "cpu.rt_period_us") == "100000"
    assert cg(running, "cpu", "cpu.rt_runtime_us") == "500"


@pytest.mark.skipif(not V2, reason="v1 honours real-time limits")
def test_update_realtime_refused_on_v2(cinch, running):
    p = cinch.run("update", "--cpu-rt-runtime", "500", running, check=False)
    refused(p, "realtimeRuntime")


@pytest.mark.parametrize("limit,want", [(-1, "max"), (0, "1"), (12, "12")])
def test_update_pids(cinch, running, limit, want):
    cinch.run("update", "--pids-limit", str(limit), running)
    assert cg(running, "pids", "pids.max") == want


def test_update_resources_from_stdin(cinch, running):
    """What dockerd sends: `runc update --resources - ID` with JSON on stdin."""
    res = {"memory": {"limit": 80 * MiB, "reservation": 40 * MiB, "swap": 160 * MiB},
           "cpu": {"shares": 100, "quota": 30000, "period": 100000, "cpus": "0", "mems": "0"},
           "blockIO": {"weight": 200}, "pids": {"limit": 44}}
    cinch.run("update", "-r", "-", running, input=json.dumps(res))
    cid = running
    if V2:
        assert cg(cid, "memory", "memory.max") == str(80 * MiB)
        assert cg(cid, "cpu", "cpu.weight") == str(shares_to_weight(100)) == "17"
        assert cg(cid, "cpu", "cpu.max") == "30000 100000"
    else:
        assert cg(cid, "memory", "memory.limit_in_bytes") == str(80 * MiB)
        assert cg(cid, "memory", "memory.memsw.limit_in_bytes") == str(160 * MiB)
        assert cg(cid, "cpu", "cpu.shares") == "100"
        assert cg(cid, "cpu", "cpu.cfs_quota_us") == "30000"
    assert cg(cid, "pids", "pids.max") == "44"


def test_update_resources_from_file(cinch, running, tmp_path):
    f = tmp_path / "res.json"
    f.write_text(json.dumps({"pids": {"limit": 21}, "cpu": {"quota": 20000, "period": 100000}}))
    cinch.run("update", "--resources", str(f), running)
    assert cg(running, "pids", "pids.max") == "21"
    if V2:
        assert cg(running, "cpu", "cpu.max") == "20000 100000"
    else:
        assert cg(running, "cpu", "cpu.cfs_quota_us") == "20000"


def test_update_kept_in_state(cinch, running):
    """A later update builds on the earlier one: --memory-swap alone is
    checked against (and on v2 converted with) the stored limit."""
    cid = running
    cinch.run("update", "--memory", "100m", "--memory-swap", "100m", cid)
    cinch.run("update", "--memory-swap", "300m", cid)
    if V2:
        assert cg(cid, "memory", "memory.max") == str(100 * MiB)
        if cg_exists(cid, "memory", "memory.swap.max"):
            assert cg(cid, "memory", "memory.swap.max") == str(200 * MiB)
    else:
        assert cg(cid, "memory", "memory.memsw.limit_in_bytes") == str(300 * MiB)
    p = cinch.run("update", "--memory-swap", "50m", cid, check=False)
    refused(p, "memory.swap")
    if not is_runc():
        stored = json.loads(open(os.path.join(cinch.root, cid, "config.json")).read())
        assert stored["linux"]["resources"]["memory"]["limit"] == 100 * MiB
        assert stored["linux"]["resources"]["memory"]["swap"] == 300 * MiB


def test_update_memsw_ordering(cinch, bundle, cid):
    """Raising both (memsw must go first on v1) and lowering both (memory first)."""
    b = bundle()
    b.linux["resources"]["memory"] = {"limit": 64 * MiB, "swap": 128 * MiB}
    b.save()
    cinch.run("run", "-d", "--bundle", b.path, cid)
    cinch.run("update", "--memory", "256m", "--memory-swap", "512m", cid)
    cinch.run("update", "--memory", "32m", "--memory-swap", "48m", cid)
    if V2:
        assert cg(cid, "memory", "memory.max") == str(32 * MiB)
    else:
        assert cg(cid, "memory", "memory.limit_in_bytes") == str(32 * MiB)
        assert cg(cid, "memory", "memory.memsw.limit_in_bytes") == str(48 * MiB)
    cinch.run("update", "--memory-swap", "-1", "--memory", "64m", cid)
    if not V2:
        assert int(cg(cid, "memory", "memory.memsw.limit_in_bytes")) > 1 << 60


@pytest.mark.parametrize("args,words", [
    (["--cpu-share", "-5"], ["cpu-share"]),
    (["--memory", "100m", "--memory-swap", "10m"], ["memory.swap"]),
    (["--cpuset-cpus", "0-99"], ["cpu.cpus", "not available"]),
    (["--blkio-weight", "5"], ["blockIO.weight"]),
    (["--memory", "12q"], ["--memory", "12q"]),
    (["--cpu-period", "10"], ["cpu.period"]),
])
def test_update_bad_values_change_nothing(cinch, running, args, words):
    before_pids = cg(running, "pids", "pids.max")
    mem = "memory.max" if V2 else "memory.limit_in_bytes"
    before_mem = cg(running, "memory", mem)
    p = cinch.run("update", *args, running, check=False)
    refused(p, *words)
    assert cg(running, "memory", mem) == before_mem
    assert cg(running, "pids", "pids.max") == before_pids


def test_update_below_usage_refused(cinch, bundle, cid):
    """v1 refuses a limit under the current usage (EBUSY); on v2 the OCI
    checkBeforeUpdate flag asks for the same."""
    b = bundle(args=["memhog", "48", "--hold"])
    b.linux["resources"]["memory"] = {"limit": 128 * MiB, "swap": 128 * MiB}
    b.save()
    p = cinch.popen("run", "--bundle", b.path, cid)
    helpers.wait_for(lambda: "done" in (p.stdout.readline() or ""), timeout=20)
    res = {"memory": {"limit": 16 * MiB, "swap": 16 * MiB, "checkBeforeUpdate": True}}
    u = cinch.run("update", "-r", "-", cid, input=json.dumps(res), check=False)
    refused(u, "memory.limit")
    mem = "memory.max" if V2 else "memory.limit_in_bytes"
    assert cg(cid, "memory", mem) == str(128 * MiB)
    cinch.run("kill", cid, "KILL")
    p.wait(timeout=20)


def test_update_stopped_container_refused(cinch, bundle, cid):
    b = bundle(args=["true"])
    b.save()
    cinch.run("run", "-d", "--bundle", b.path, cid)
    helpers.wait_for(lambda: cinch.state(cid)["status"] == "stopped", timeout=10)
    p = cinch.run("update", "--pids-limit", "5", cid, check=False)
    refused(p, "stopped")


def test_update_unknown_container(cinch):
    p = cinch.run("update", "--pids-limit", "5", "cinch-t-nosuch", check=False)
    refused(p, "cinch-t-nosuch")
