"""The harness checks itself: the leftover detection every test relies on must
see (and clean) a planted cgroup, process, mount and state entry, and the
helpers must read this host's layout right."""

import os
import subprocess

import conftest
import helpers


def test_leftovers_are_detected_and_cleaned(tmp_path):
    cid = helpers.new_cid()
    tracker = conftest.Tracker()
    tracker.ids.add(cid)
    tracker.paths.add(str(tmp_path))

    cg = helpers.hierarchy("pids") / cid
    cg.mkdir()
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        (cg / "cgroup.procs").write_text(str(sleeper.pid))
        mnt = tmp_path / "mnt"
        mnt.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "leak", str(mnt)], check=True)

        problems = conftest._leftovers(tracker)
        text = "\n".join(problems)
        assert f"process {sleeper.pid}" in text
        assert f"cgroup {cg}" in text
        assert "mount" in text and str(mnt) in text
        # ... and cleaned, so one broken test does not break the next.
        assert sleeper.wait(timeout=5) == -9
        assert not cg.exists()
        assert not helpers.mounts_mentioning(mnt)
        assert conftest._leftovers(tracker) == []
    finally:
        sleeper.kill()
        sleeper.wait()
        if cg.exists():
            cg.rmdir()
        subprocess.run(["umount", "-l", str(tmp_path / "mnt")], capture_output=True)


def test_state_entry_left_is_reported(tmp_path):
    cid = helpers.new_cid()
    tracker = conftest.Tracker()
    rt = conftest.Runtime("/bin/false", str(tmp_path), tracker)
    (tmp_path / cid).mkdir()
    problems = conftest._teardown_runtime(rt, tracker)
    assert any("delete --force" in p and cid in p for p in problems)
    assert any("state entries left" in p and cid in p for p in problems)
    assert cid in tracker.ids


def test_layout_matches_mounts():
    kinds = {line.split(" - ")[1].split()[0] for line in open("/proc/self/mountinfo")
             if " - cgroup" in line}
    want = {"v2": {"cgroup2"}, "hybrid": {"cgroup", "cgroup2"}, "v1": {"cgroup"}}
    assert kinds == want[helpers.layout()]


def test_cgroup_of_own_process_is_readable():
    for ctrl in ("pids", "memory"):
        path = helpers.cgroup_of_pid(os.getpid(), ctrl)
        procs = helpers.read_cgroup(ctrl, path, "cgroup.procs")  # a path: has a "/"
        assert str(os.getpid()) in procs.split()


def test_wait_for_raises_on_timeout():
    try:
        helpers.wait_for(lambda: 0, 0.1)
    except AssertionError:
        return
    raise AssertionError("wait_for returned on a timeout")


def test_loop_device_is_detached(tmp_path):
    with helpers.loop_device(8, fs="ext4") as (dev, majmin):
        st = os.stat(dev)
        assert majmin == f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
        blkid = subprocess.run(["blkid", "-o", "value", "-s", "TYPE", dev],
                               capture_output=True, text=True).stdout.strip()
        assert blkid == "ext4"
    listed = subprocess.run(["losetup", "-l", "-n", "-O", "NAME,BACK-FILE"], capture_output=True,
                            text=True).stdout
    assert not any(l.split()[0] == dev and "cinch-loop-" in l for l in listed.splitlines()
                   if l.split())
