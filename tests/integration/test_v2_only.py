"""What only a pure cgroup v2 host has: CLONE_INTO_CGROUP placement, the eBPF
device filter, cgroup.kill, cgroup.freeze, memory.events, io.max on buffered
writes, memory.swap.max, pids.events.

Skipped elsewhere; `make check-v2` runs these in a qemu guest with Debian's
kernel (tests/vm), where $CINCH_TEST_BLOCKDEV / $CINCH_TEST_DISKDIR name a real
virtio disk and its mounted ext4 file system, and swap is on."""

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import helpers
from conftest import is_runc

LAYOUT = helpers.layout()
pytestmark = pytest.mark.skipif(LAYOUT != "v2", reason=f"needs pure cgroup v2; this host is {LAYOUT}")

MiB = 1 << 20
CG = helpers.CGROUP_ROOT


def start(cinch, b, cid):
    cinch.run("create", "--bundle", b.path, cid)
    cinch.run("start", cid)
    return cinch.state(cid)["pid"]


def cgdir(cid):
    return helpers.cgroup_dir("memory", cid)


def keyed(path):
    """A flat-keyed cgroup file ("key value" lines) as a dict of ints."""
    return {k: int(v) for k, v in (l.split() for l in Path(path).read_text().splitlines())}


def status(cinch, cid):
    return cinch.state(cid)["status"]


def cpu_ticks(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def strace_run(cinch, out, trace, *args):
    """Runs the runtime under strace (its own process only: the container init
    would keep a -f strace alive) and returns (CompletedProcess, trace text)."""
    if not shutil.which("strace"):
        pytest.skip("strace is not installed")
    argv = ["strace", "-qq", "-s", "128", "-e", f"trace={trace}", "-o", str(out)]
    argv += cinch.cmd(*args)
    # Files, not pipes: a created container inherits them and holds them open.
    with tempfile.TemporaryFile() as so, tempfile.TemporaryFile() as se:
        p = subprocess.run(argv, stdout=so, stderr=se, stdin=subprocess.DEVNULL, timeout=60)
        se.seek(0)
        err = se.read().decode(errors="replace")
    assert p.returncode == 0, err
    return p, out.read_text()


def test_init_is_cloned_into_a_nested_cgroup(cinch, bundle, cid, tmp_path):
    """clone3(CLONE_INTO_CGROUP) puts the init into its cgroup at birth; on v2
    the runtime must also enable the controllers down a nested path."""
    parent = CG / f"{cid}-parent"
    b = bundle(["sleep-forever"])
    b.linux["cgroupsPath"] = f"/{parent.name}/ctr"
    b.linux["resources"]["memory"] = {"limit": 64 * MiB}
    b.linux["resources"]["pids"] = {"limit": 50}
    b.save()
    try:
        if is_runc():
            cinch.run("create", "--bundle", b.path, cid)
        else:
            _, trace = strace_run(cinch, tmp_path / "trace", "clone3", "create", "--bundle",
                                  b.path, cid)
            into = [l for l in trace.splitlines()
                    if l.startswith("clone3(") and "CLONE_INTO_CGROUP" in l]
            born = [int(m.group(1)) for m in map(re.compile(r"= (\d+)$").search, into) if m]
        pid = cinch.state(cid)["pid"]
        if not is_runc():
            assert born == [pid], f"the init {pid} was not made by clone3(CLONE_INTO_CGROUP):\n{trace}"
        leaf = parent / "ctr"
        # Placed before start: the init waits for `start` inside its cgroup.
        assert Path(f"/proc/{pid}/cgroup").read_text().strip() == f"0::/{parent.name}/ctr"
        assert str(pid) in (leaf / "cgroup.procs").read_text().split()
        for wanted in ("memory", "pids"):
            assert wanted in (parent / "cgroup.subtree_control").read_text().split()
            assert wanted in (leaf / "cgroup.controllers").read_text().split()
        assert (leaf / "memory.max").read_text().strip() == str(64 * MiB)
        assert (leaf / "pids.max").read_text().strip() == "50"
        cinch.run("start", cid)
        assert status(cinch, cid) == "running"
        cinch.run("delete", "--force", cid)
        helpers.wait_for(lambda: not leaf.exists(), timeout=10, what=f"{leaf} removed")
    finally:
        # The runtime owns the leaf; the parent it made along the way may stay
        # (runc leaves it), so the test removes it. A leftover leaf is reported
        # by the fixture's teardown, which also removes it.
        cinch.run("delete", "--force", cid, check=False)
        if parent.exists() and not (parent / "ctr").exists():
            parent.rmdir()


def device_probe(cinch, bundle, cid, extra_rules):
    """Makes /dev/cinch-probe (c 1:11, /dev/kmsg: opening it for writing needs no
    capability, so only the device filter can refuse it) and opens it."""
    script = ("mknod /dev/cinch-probe c 1 11 || exit 7; "
              "mknod /dev/cinch-null c 1 3 || exit 8; "
              "echo ok > /dev/cinch-null || exit 9; "
              ": > /dev/cinch-probe && echo opened")
    b = bundle(["sh", "-c", script])
    caps = b.process["capabilities"]
    for k in ("bounding", "effective", "permitted"):
        caps[k] = caps[k] + ["CAP_MKNOD"]
    b.linux["resources"]["devices"] += extra_rules
    b.save()
    return cinch.run("run", "--bundle", b.path, cid, check=False)


def test_ebpf_device_filter_refuses_a_denied_device(cinch, bundle, cid):
    p = device_probe(cinch, bundle, cid, [])
    # mknod is allowed for every device (runc's default rules); opening is not.
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    assert "opened" not in p.stdout
    assert "Operation not permitted" in p.stderr


def test_ebpf_device_filter_allows_a_listed_device(cinch, bundle, cid):
    rule = {"allow": True, "type": "c", "major": 1, "minor": 11, "access": "w"}
    p = device_probe(cinch, bundle, cid, [rule])
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
    assert p.stdout.strip() == "opened"


def no_pidns_bundle(bundle, args):
    """Without a pid namespace, killing the init does not take its children
    along: only a kill of the whole cgroup does."""
    b = bundle(args)
    b.linux["namespaces"] = [n for n in b.linux["namespaces"] if n["type"] != "pid"]
    b.linux["resources"]["pids"] = {"limit": 200}
    return b.save()


def test_kill_all_empties_the_cgroup(cinch, bundle, cid, tmp_path):
    b = no_pidns_bundle(bundle, ["forkbomb", "--max", "20", "--hold"])
    start(cinch, b, cid)
    d = cgdir(cid)
    helpers.wait_for(lambda: int((d / "pids.current").read_text()) >= 21, timeout=20,
                     what="20 children")
    if is_runc():
        cinch.run("kill", "--all", cid, "KILL")
    else:
        _, trace = strace_run(cinch, tmp_path / "trace", "openat,write", "kill", "--all", cid,
                              "KILL")
        assert "cgroup.kill" in trace, trace
    helpers.wait_for(lambda: "populated 0" in (d / "cgroup.events").read_text(), timeout=10,
                     what="cgroup empty")
    assert (d / "cgroup.procs").read_text() == ""
    helpers.wait_for(lambda: status(cinch, cid) == "stopped", timeout=10)


def test_kill_all_of_a_paused_container(cinch, bundle, cid):
    """cgroup.kill reaches frozen tasks; the container must not stay frozen."""
    b = no_pidns_bundle(bundle, ["forkbomb", "--max", "5", "--hold"])
    start(cinch, b, cid)
    d = cgdir(cid)
    helpers.wait_for(lambda: int((d / "pids.current").read_text()) >= 6, timeout=20)
    cinch.run("pause", cid)
    helpers.wait_for(lambda: "frozen 1" in (d / "cgroup.events").read_text(), timeout=10)
    cinch.run("kill", "--all", cid, "KILL")
    helpers.wait_for(lambda: "populated 0" in (d / "cgroup.events").read_text(), timeout=10,
                     what="cgroup empty")
    cinch.run("delete", cid)
    assert not d.exists()


def test_pause_freezes_and_resume_thaws(cinch, bundle, cid):
    b = bundle(["cpuburn"])
    pid = start(cinch, b, cid)
    d = cgdir(cid)
    cinch.run("pause", cid)
    assert (d / "cgroup.freeze").read_text().strip() == "1"
    assert "frozen 1" in (d / "cgroup.events").read_text()
    assert status(cinch, cid) == "paused"
    t0 = cpu_ticks(pid)
    time.sleep(1)
    assert cpu_ticks(pid) == t0, "a frozen process got CPU time"
    cinch.run("resume", cid)
    assert (d / "cgroup.freeze").read_text().strip() == "0"
    assert "frozen 0" in (d / "cgroup.events").read_text()
    assert status(cinch, cid) == "running"
    t0 = cpu_ticks(pid)
    helpers.wait_for(lambda: cpu_ticks(pid) > t0, timeout=10, what="CPU time after resume")


def test_oom_kill_shows_in_memory_events(cinch, bundle, cid):
    b = bundle(["memhog", "256"])
    # memory.swap (memory + swap) equal to the limit: no swap, so the hog dies.
    b.linux["resources"]["memory"] = {"limit": 32 * MiB, "swap": 32 * MiB}
    b.save()
    start(cinch, b, cid)
    d = cgdir(cid)
    assert (d / "memory.max").read_text().strip() == str(32 * MiB)
    assert (d / "memory.swap.max").read_text().strip() == "0"
    helpers.wait_for(lambda: status(cinch, cid) == "stopped", timeout=60, what="OOM kill")
    ev = keyed(d / "memory.events")
    assert ev["oom_kill"] >= 1, ev
    assert ev["max"] >= 1, ev
    if (d / "memory.peak").exists():
        assert int((d / "memory.peak").read_text()) <= 32 * MiB


def test_memory_swap_max_lets_a_hog_swap(cinch, bundle, cid):
    """OCI memory.swap is memory+swap; v2's memory.swap.max is swap alone."""
    b = bundle(["memhog", "64", "--hold"])
    b.linux["resources"]["memory"] = {"limit": 32 * MiB, "swap": 160 * MiB}
    b.save()
    pid = start(cinch, b, cid)
    d = cgdir(cid)
    assert (d / "memory.max").read_text().strip() == str(32 * MiB)
    assert (d / "memory.swap.max").read_text().strip() == str(128 * MiB)
    if len(Path("/proc/swaps").read_text().splitlines()) < 2:
        pytest.skip("no swap on this host: only the file values were checked")
    helpers.wait_for(lambda: int((d / "memory.swap.current").read_text()) >= 24 * MiB,
                     timeout=90, what="the hog swapping")
    assert helpers.pid_alive(pid)
    assert keyed(d / "memory.events")["oom_kill"] == 0
    assert int((d / "memory.current").read_text()) <= 32 * MiB


def test_pids_events_counts_refused_forks(cinch, bundle, cid):
    b = bundle(["forkbomb", "--hold"])
    b.linux["resources"]["pids"] = {"limit": 16}
    b.save()
    start(cinch, b, cid)
    d = cgdir(cid)
    assert (d / "pids.max").read_text().strip() == "16"
    helpers.wait_for(lambda: keyed(d / "pids.events")["max"] >= 1, timeout=30,
                     what="a refused fork")
    assert int((d / "pids.current").read_text()) == 16


# ---- io.max on buffered writes ------------------------------------------------

@pytest.fixture
def disk():
    """(major:minor, a writable directory on a file system on that device). The
    v2 guest has a real virtio disk; elsewhere an ext4 loop device."""
    dev, top = os.environ.get("CINCH_TEST_BLOCKDEV"), os.environ.get("CINCH_TEST_DISKDIR")
    if dev and top:
        st = os.stat(dev)
        d = tempfile.mkdtemp(prefix="cinch-io-", dir=top)
        try:
            yield f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}", d
        finally:
            shutil.rmtree(d, ignore_errors=True)
        return
    with helpers.loop_device(256, fs="ext4") as (path, majmin):
        d = tempfile.mkdtemp(prefix="cinch-io-")
        subprocess.run(["mount", path, d], check=True)
        try:
            yield majmin, d
        finally:
            subprocess.run(["umount", d], check=False)
            os.rmdir(d)


def test_io_max_throttles_buffered_writeback(cinch, bundle, cid, disk):
    """v1 blkio cannot throttle page-cache writeback; v2 charges the writeback
    to the writer's cgroup, so a buffered write plus fsync is held to io.max."""
    majmin, where = disk
    major, minor = (int(x) for x in majmin.split(":"))
    rate, size_mb = 2 * MiB, 12
    b = bundle(["sh", "-c", f"iowrite /tmp/f {size_mb} > /tmp/out"])
    b.config["mounts"].append({"destination": "/tmp", "type": "bind", "source": where,
                               "options": ["rbind", "rw"]})
    b.linux["resources"]["blockIO"] = {
        "throttleWriteBpsDevice": [{"major": major, "minor": minor, "rate": rate}]}
    b.save()
    start(cinch, b, cid)
    d = cgdir(cid)
    assert f"{majmin} rbps=max wbps={rate} riops=max wiops=max" in (d / "io.max").read_text()
    helpers.wait_for(lambda: status(cinch, cid) == "stopped", timeout=60, what="iowrite done")
    stat = {l.split()[0]: dict(kv.split("=") for kv in l.split()[1:])
            for l in (d / "io.stat").read_text().splitlines()}
    # The writeback was charged to the container's cgroup ...
    assert int(stat[majmin]["wbytes"]) >= size_mb * MiB, stat
    # ... and held to the rate: 12 MiB at 2 MiB/s is 6 s; allow a first slice's
    # burst. iowrite's time includes the fsync that waits for the writeback.
    out = Path(where, "out").read_text()
    secs = float(out.split(" in ")[1].split()[0])
    assert secs >= 0.75 * size_mb * MiB / rate, out
    assert os.stat(os.path.join(where, "f")).st_size == size_mb * MiB
