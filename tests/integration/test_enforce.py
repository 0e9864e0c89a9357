"""Enforcement measured, not assumed (issue 3): a CPU quota caps a busy loop,
a pids limit contains a fork bomb, a write-bps limit paces direct I/O. The
OOM killer is in test_oom.py, the freezer in test_pause.py."""

import json
import re
import subprocess
import time

import pytest

import helpers
from conftest import is_runc
from test_resources import V2, MiB, cg


def cpu_usage_ns(cid):
    """The container's CPU time so far: cpuacct.usage (v1) or cpu.stat (v2)."""
    if V2:
        stat = cg(cid, "cpu", "cpu.stat")
        return int(re.search(r"usage_usec (\d+)", stat).group(1)) * 1000
    return int(cg(cid, "cpuacct", "cpuacct.usage"))


# The machine is shared (other builds, a qemu guest): the container gets the
# highest weight so that the quota, not the neighbours, is what limits it.
BUSY_CPU = {"shares": 262144}


def cpu_share(cid, seconds):
    u0, t0 = cpu_usage_ns(cid), time.monotonic()
    time.sleep(seconds)
    u1, t1 = cpu_usage_ns(cid), time.monotonic()
    return (u1 - u0) / 1e9 / (t1 - t0)


def test_cpu_quota_caps_a_busy_loop(cinch, bundle, cid):
    b = bundle(args=["cpuburn", "--threads", "2"])
    b.linux["resources"]["cpu"] = {"quota": 50000, "period": 100000, **BUSY_CPU}
    b.save()
    cinch.run("run", "-d", "--bundle", b.path, cid)
    time.sleep(0.3)  # past the first period
    share = cpu_share(cid, 3)
    assert 0.45 <= share <= 0.55, f"busy loop used {share:.3f} of a CPU under a 50% quota"
    if V2:
        assert re.search(r"nr_throttled [1-9]", cg(cid, "cpu", "cpu.stat"))
    else:
        assert re.search(r"nr_throttled [1-9]", cg(cid, "cpu", "cpu.stat"))


def test_cpu_quota_raised_by_update(cinch, bundle, cid):
    b = bundle(args=["cpuburn", "--threads", "2"])
    b.linux["resources"]["cpu"] = {"quota": 20000, "period": 100000, **BUSY_CPU}
    b.save()
    cinch.run("run", "-d", "--bundle", b.path, cid)
    time.sleep(0.3)
    low = cpu_share(cid, 2)
    assert 0.15 <= low <= 0.25, low
    cinch.run("update", "--cpu-quota", "60000", cid)
    time.sleep(0.3)
    high = cpu_share(cid, 2)
    # The host is shared: the ceiling is what is checked, and that it moved.
    assert high > low + 0.2 and high <= 0.66, (low, high)


def test_pids_limit_contains_a_fork_bomb(cinch, bundle, cid):
    b = bundle(args=["forkbomb", "--hold"])
    b.linux["resources"]["pids"] = {"limit": 50}
    b.save()
    p = cinch.popen("run", "--bundle", b.path, cid)
    line = helpers.wait_for(lambda: p.stdout.readline(), timeout=30, what="forkbomb output")
    m = re.search(r"forked (\d+), fork failed: errno \d+ \((\w+)\)", line)
    assert m, line
    assert m.group(2) == "EAGAIN"
    assert int(m.group(1)) == 49  # the bomb itself is the 50th task
    assert cg(cid, "pids", "pids.current") == "50"
    # The host still forks.
    assert subprocess.run(["true"]).returncode == 0
    # The refused forks are counted (pids.events "max", on v1 too) and reported by events.
    assert re.search(r"max [1-9]", cg(cid, "pids", "pids.events"))
    if not is_runc():
        ev = json.loads(cinch.run("events", "--stats", cid).stdout)
        assert ev["data"]["pids"]["current"] == 50
        assert ev["data"]["pids"]["limit"] == 50
        assert ev["data"]["pids"]["failcnt"] >= 1
    cinch.run("kill", cid, "KILL")
    p.wait(timeout=20)


def test_write_bps_paces_direct_io(cinch, bundle, cid):
    rate = 10 * MiB
    with helpers.loop_device(64) as (dev, mm):
        ma, mi = (int(x) for x in mm.split(":"))
        b = bundle(args=["iowrite", "/dev/cinchblk", "30", "--direct"])
        b.linux["devices"] = [{"path": "/dev/cinchblk", "type": "b", "major": ma, "minor": mi,
                               "fileMode": 0o660}]
        b.linux["resources"]["devices"] += [
            {"allow": True, "type": "b", "major": ma, "minor": mi, "access": "rw"}]
        b.linux["resources"]["blockIO"] = {
            "throttleWriteBpsDevice": [{"major": ma, "minor": mi, "rate": rate}]}
        b.save()
        p = cinch.run("run", "--bundle", b.path, cid, timeout=120)
        m = re.search(r"iowrite: (\d+) bytes in ([\d.]+) s: ([\d.]+) MB/s", p.stdout)
        assert m, p.stdout + p.stderr
        assert int(m.group(1)) == 30 * MiB
        mbps = float(m.group(3))
        assert 9.0 <= mbps <= 11.0, f"{mbps} MB/s under a 10 MB/s limit"
