"""pause/resume (issue 3): the freezer stops a busy loop (its CPU time stops
growing) and resume restarts it; both return only once the kernel reports the
new state; only a running container pauses, only a paused one resumes."""

import time

import pytest

import helpers
from conftest import is_runc
from test_enforce import BUSY_CPU, cpu_usage_ns
from test_resources import V2, cg, refused


def frozen(cid):
    if V2 or helpers._v1_mount("freezer") is None:
        return "frozen 1" in cg(cid, "freezer", "cgroup.events")
    return cg(cid, "freezer", "freezer.state") == "FROZEN"


def test_pause_freezes_a_busy_loop(cinch, bundle, cid):
    b = bundle(args=["cpuburn"])
    b.linux["resources"]["cpu"] = dict(BUSY_CPU)
    b.save()
    cinch.run("run", "-d", "--bundle", b.path, cid)
    time.sleep(0.3)
    cinch.run("pause", cid)
    # Returned only once frozen: no polling needed.
    assert frozen(cid)
    assert cinch.state(cid)["status"] == "paused"
    u0 = cpu_usage_ns(cid)
    time.sleep(1)
    assert cpu_usage_ns(cid) - u0 < 5_000_000, "a frozen busy loop kept running"
    cinch.run("resume", cid)
    assert not frozen(cid)
    assert cinch.state(cid)["status"] == "running"
    u1 = cpu_usage_ns(cid)
    time.sleep(1)
    assert cpu_usage_ns(cid) - u1 > 200_000_000, "the busy loop did not restart"


def test_pause_many_processes(cinch, bundle, cid):
    b = bundle(args=["forkbomb", "--max", "40", "--hold"])
    b.save()
    cinch.run("run", "-d", "--bundle", b.path, cid)
    helpers.wait_for(lambda: int(cg(cid, "pids", "pids.current")) >= 41, timeout=10)
    cinch.run("pause", cid)
    assert frozen(cid)
    cinch.run("resume", cid)
    assert not frozen(cid)


def test_pause_requires_running(cinch, bundle, cid):
    cinch.run("create", "--bundle", bundle().path, cid)
    refused(cinch.run("pause", cid, check=False), "created", "not running")
    refused(cinch.run("resume", cid, check=False), "not paused")


def test_pause_twice_and_resume_twice(cinch, bundle, cid):
    cinch.run("run", "-d", "--bundle", bundle().path, cid)
    refused(cinch.run("resume", cid, check=False), "not paused")
    cinch.run("pause", cid)
    refused(cinch.run("pause", cid, check=False), "paused")
    cinch.run("resume", cid)
    assert cinch.state(cid)["status"] == "running"


def test_kill_and_delete_a_paused_container(cinch, bundle, cid):
    cinch.run("run", "-d", "--bundle", bundle().path, cid)
    pid = cinch.state(cid)["pid"]
    cinch.run("pause", cid)
    cinch.run("delete", "--force", cid)
    helpers.wait_for(lambda: not helpers.pid_alive(pid), timeout=10)
    assert helpers.find_cgroup_dirs(cid) == []


def test_pause_unknown_container(cinch):
    refused(cinch.run("pause", "cinch-t-nosuch", check=False), "cinch-t-nosuch")
