"""delete removes every cgroup directory on every hierarchy (issue 3), also
when the init crashed and left processes behind, or was OOM-killed."""

import os
import signal
import time

import helpers
from test_resources import MiB


def test_delete_after_init_crash_kills_leftovers(cinch, bundle, cid):
    # No pid namespace: the children outlive a killed init, as after a crash.
    b = bundle(args=["sh", "-c", "sleep-forever & sleep-forever & exec sleep-forever"])
    b.linux["namespaces"] = [n for n in b.linux["namespaces"] if n["type"] != "pid"]
    b.save()
    cinch.run("run", "-d", "--bundle", b.path, cid)
    pid = cinch.state(cid)["pid"]
    helpers.wait_for(lambda: len(helpers.pids_in_cgroups_named(cid)) >= 3, timeout=10)
    kids = [p for p in helpers.pids_in_cgroups_named(cid) if p != pid]
    os.kill(pid, signal.SIGKILL)
    helpers.wait_for(lambda: cinch.state(cid)["status"] == "stopped", timeout=10)
    cinch.run("delete", cid)
    for k in kids:
        helpers.wait_for(lambda: not helpers.pid_alive(k), timeout=10)
    assert helpers.find_cgroup_dirs(cid) == []


def test_delete_after_oom_kill(cinch, bundle, cid):
    b = bundle(args=["memhog", "200"])
    b.linux["resources"]["memory"] = {"limit": 32 * MiB, "swap": 32 * MiB}
    b.save()
    cinch.run("run", "-d", "--bundle", b.path, cid)
    helpers.wait_for(lambda: cinch.state(cid)["status"] == "stopped", timeout=30)
    cinch.run("delete", cid)
    assert helpers.find_cgroup_dirs(cid) == []


def test_delete_removes_made_parents(cinch, bundle, cid):
    parent = f"cinch-test-parent-{cid[-6:]}"
    b = bundle()
    b.linux["cgroupsPath"] = f"/{parent}/{cid}"
    b.save()
    cinch.run("create", "--bundle", b.path, cid)
    assert helpers.find_cgroup_dirs(parent)
    cinch.run("delete", "--force", cid)
    assert helpers.find_cgroup_dirs(parent) == []
