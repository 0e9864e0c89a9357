"""ps (issue 3): the container's processes as host pids (json) or as ps(1)
rows (table)."""

import json

import helpers
from test_resources import refused


def test_ps_json(cinch, bundle, cid):
    b = bundle(args=["forkbomb", "--max", "3", "--hold"])
    b.save()
    cinch.run("run", "-d", "--bundle", b.path, cid)
    pid = cinch.state(cid)["pid"]
    pids = helpers.wait_for(
        lambda: (lambda v: v if len(v) == 4 else None)(
            json.loads(cinch.run("ps", "--format", "json", cid).stdout)),
        timeout=10, what="4 processes")
    assert pid in pids
    assert all(helpers.pid_alive(p) for p in pids)


def test_ps_table(cinch, bundle, cid):
    cinch.run("run", "-d", "--bundle", bundle().path, cid)
    pid = cinch.state(cid)["pid"]
    out = cinch.run("ps", cid).stdout.splitlines()
    assert out[0].split()[:2] == ["UID", "PID"]
    assert len(out) == 2 and out[1].split()[1] == str(pid)


def test_ps_custom_args(cinch, bundle, cid):
    cinch.run("run", "-d", "--bundle", bundle().path, cid)
    pid = cinch.state(cid)["pid"]
    out = cinch.run("ps", cid, "-o", "pid,comm").stdout.splitlines()
    assert out[0].split() == ["PID", "COMMAND"]
    assert out[1].split()[0] == str(pid)


def test_ps_bad_format(cinch, bundle, cid):
    cinch.run("run", "-d", "--bundle", bundle().path, cid)
    refused(cinch.run("ps", "--format", "yaml", cid, check=False), "yaml")
