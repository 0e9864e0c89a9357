"""events (issue 3): runc's JSON lines; --stats once, otherwise stats every
interval until the container is gone."""

import json
import time

import pytest

import helpers
from conftest import is_runc
from test_resources import V2, MiB, refused


def test_stats_once(cinch, bundle, cid):
    b = bundle()
    b.linux["resources"]["memory"] = {"limit": 64 * MiB}
    b.linux["resources"]["pids"] = {"limit": 20}
    b.save()
    cinch.run("run", "-d", "--bundle", b.path, cid)
    out = cinch.run("events", "--stats", cid).stdout
    lines = out.splitlines()
    assert len(lines) == 1
    ev = json.loads(lines[0])
    assert ev["type"] == "stats" and ev["id"] == cid
    d = ev["data"]
    assert d["cpu"]["usage"]["total"] > 0
    assert {"periods", "throttledPeriods", "throttledTime"} <= set(d["cpu"]["throttling"])
    assert d["memory"]["usage"]["limit"] == 64 * MiB
    assert d["memory"]["usage"]["usage"] > 0
    assert isinstance(d["memory"]["raw"], dict) and d["memory"]["raw"]
    assert d["pids"] == {"current": 1, "limit": 20, **({"failcnt": 0} if "failcnt" in d["pids"]
                                                        else {})}
    assert "ioServiceBytesRecursive" in d["blkio"]


def test_blkio_stats_count_direct_writes(cinch, bundle, cid):
    with helpers.loop_device(32) as (dev, mm):
        ma, mi = (int(x) for x in mm.split(":"))
        b = bundle(args=["sh", "-c", "iowrite /dev/cinchblk 4 --direct && sleep 1000"])
        b.linux["devices"] = [{"path": "/dev/cinchblk", "type": "b", "major": ma, "minor": mi}]
        b.linux["resources"]["devices"] += [
            {"allow": True, "type": "b", "major": ma, "minor": mi, "access": "rw"}]
        b.save()
        p = cinch.popen("run", "--bundle", b.path, cid)
        helpers.wait_for(lambda: "iowrite" in (p.stdout.readline() or ""), timeout=30)
        d = json.loads(cinch.run("events", "--stats", cid).stdout)["data"]
        writes = [e for e in d["blkio"]["ioServiceBytesRecursive"]
                  if e["major"] == ma and e["minor"] == mi and e["op"].lower() == "write"]
        assert writes and writes[0]["value"] >= 4 * MiB
        cinch.run("kill", cid, "KILL")
        p.wait(timeout=20)


def test_stream_until_gone(cinch, bundle, cid):
    cinch.run("run", "-d", "--bundle", bundle().path, cid)
    ev = cinch.popen("events", "--interval", "300ms", cid)
    lines = []
    helpers.wait_for(lambda: len(lines) >= 3 or lines.append(ev.stdout.readline()) or False,
                     timeout=10, what="three stats lines")
    assert all(json.loads(l)["type"] == "stats" for l in lines)
    cinch.run("kill", cid, "KILL")
    ev.wait(timeout=10)


def test_bad_interval(cinch, bundle, cid):
    cinch.run("run", "-d", "--bundle", bundle().path, cid)
    refused(cinch.run("events", "--interval", "soon", cid, check=False), "soon")


def test_events_unknown_container(cinch):
    refused(cinch.run("events", "--stats", "cinch-t-nosuch", check=False), "cinch-t-nosuch")
