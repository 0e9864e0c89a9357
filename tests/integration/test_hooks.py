"""OCI hooks (runtime-spec config.md, runtime.md): each kind runs at its point
of the lifecycle, in its namespace, with the state on stdin; a failure stops
the lifecycle (poststop only warns); a timeout kills the hook."""

import json
import os
import time

import pytest

from conftest import is_runc

HOST_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _hook_script(tmp_path, log):
    """A host script that appends one JSON line: its name, the state it read on
    stdin, and the mount and uts namespaces it ran in."""
    script = tmp_path / "hook.sh"
    script.write_text(
        "#!/bin/sh\n"
        "state=$(cat)\n"
        f'printf \'{{"hook":"%s","state":%s,"mntns":"%s","utsns":"%s"}}\\n\' '
        f'"$1" "$state" "$(readlink /proc/self/ns/mnt)" "$(readlink /proc/self/ns/uts)" >> {log}\n'
        'exit "${2:-0}"\n')
    script.chmod(0o755)
    return script


def _hooks(script, kinds, extra=None):
    hooks = {k: [{"path": str(script), "args": [str(script), k], "env": [HOST_PATH]}]
             for k in kinds}
    for k, v in (extra or {}).items():
        hooks[k] = [dict(hooks.get(k, [{}])[0], path=str(v["path"]), **{
            x: y for x, y in v.items() if x != "path"})]
    return hooks


def _read(log):
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


ALL = ["prestart", "createRuntime", "createContainer", "poststart", "poststop"]


def test_hooks_run_in_order_with_state(cinch, bundle, cid, tmp_path):
    log = tmp_path / "hooks.log"
    b = bundle(["sleep", "1000"])
    b.config["hooks"] = _hooks(_hook_script(tmp_path, log), ALL)
    b.save()

    cinch.run("create", "--bundle", b.path, cid)
    after_create = [h["hook"] for h in _read(log)]
    assert after_create == ["prestart", "createRuntime", "createContainer"]
    pid = cinch.state(cid)["pid"]
    for h in _read(log):
        assert h["state"]["id"] == cid and h["state"]["pid"] == pid
        assert h["state"]["bundle"] == str(b.path)
        assert h["state"]["status"] == "creating"

    cinch.run("start", cid)
    assert [h["hook"] for h in _read(log)][3:] == ["poststart"]
    assert _read(log)[3]["state"]["status"] == "running"

    cinch.run("kill", cid, "KILL")
    deadline = time.time() + 10
    while cinch.state(cid)["status"] != "stopped" and time.time() < deadline:
        time.sleep(0.05)
    cinch.run("delete", cid)
    last = _read(log)[-1]
    assert last["hook"] == "poststop" and last["state"]["status"] == "stopped"


def test_create_container_hook_runs_in_the_container_namespaces(cinch, bundle, cid, tmp_path):
    log = tmp_path / "hooks.log"
    b = bundle(["sleep", "1000"])
    b.config["hooks"] = _hooks(_hook_script(tmp_path, log), ["createRuntime", "createContainer"])
    b.save()
    cinch.run("create", "--bundle", b.path, cid)
    runtime, container = _read(log)
    pid = cinch.state(cid)["pid"]
    for ns in ("mnt", "uts"):
        ours, init = os.readlink(f"/proc/self/ns/{ns}"), os.readlink(f"/proc/{pid}/ns/{ns}")
        assert runtime[ns + "ns"] == ours
        assert container[ns + "ns"] == init != ours


@pytest.mark.parametrize("kind", ["prestart", "createRuntime", "createContainer"])
def test_failing_create_hook_fails_create_and_leaves_nothing(cinch, bundle, cid, tmp_path, kind):
    log = tmp_path / "hooks.log"
    script = _hook_script(tmp_path, log)
    b = bundle(["sleep", "1000"])
    b.config["hooks"] = {kind: [{"path": str(script), "args": [str(script), kind, "3"],
                                 "env": [HOST_PATH]}]}
    b.save()
    p = cinch.run("create", "--bundle", b.path, cid, check=False)
    assert p.returncode != 0
    if not is_runc():
        assert kind in p.stderr and "exit status 3" in p.stderr, p.stderr
    assert cid not in cinch.ids()  # teardown checks cgroups, mounts, processes


def test_hook_timeout_kills_it(cinch, bundle, cid, tmp_path):
    slow = tmp_path / "slow.sh"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    b = bundle(["true"])
    b.config["hooks"] = {"createRuntime": [{"path": str(slow), "timeout": 1}]}
    b.save()
    t0 = time.monotonic()
    p = cinch.run("create", "--bundle", b.path, cid, check=False)
    assert p.returncode != 0 and time.monotonic() - t0 < 10
    if not is_runc():
        assert "timed out" in p.stderr, p.stderr


def test_failing_poststop_only_warns(cinch, bundle, cid, tmp_path):
    log = tmp_path / "hooks.log"
    script = _hook_script(tmp_path, log)
    b = bundle(["true"])
    b.config["hooks"] = {"poststop": [{"path": str(script), "args": [str(script), "poststop", "1"],
                                       "env": [HOST_PATH]}]}
    b.save()
    cinch.run("run", "--bundle", b.path, cid)  # deletes at exit: poststop runs then
    assert [h["hook"] for h in _read(log)] == ["poststop"]
    assert cid not in cinch.ids()


@pytest.mark.skipif(is_runc(), reason="runc 1.1 only warns on a failing poststart")
def test_failing_poststart_fails_start_and_stops_the_container(cinch, bundle, cid, tmp_path):
    log = tmp_path / "hooks.log"
    script = _hook_script(tmp_path, log)
    b = bundle(["sleep", "1000"])
    b.config["hooks"] = {"poststart": [{"path": str(script), "args": [str(script), "poststart", "1"],
                                        "env": [HOST_PATH]}]}
    b.save()
    cinch.run("create", "--bundle", b.path, cid)
    p = cinch.run("start", cid, check=False)
    assert p.returncode != 0 and "poststart" in p.stderr
    deadline = time.time() + 10
    while cinch.state(cid)["status"] != "stopped" and time.time() < deadline:
        time.sleep(0.05)
    assert cinch.state(cid)["status"] == "stopped"
