"""OCI lifecycle and status rules (issue 2): create/start/state/kill/delete/run/list.

Every violation of a status rule must be a clear error with a non-zero exit that
changes nothing; the fixtures' teardown checks that nothing is left behind."""

import datetime
import json
import os
import re
import signal
import subprocess
import time

import pytest

import helpers
from conftest import is_runc
from helpers import wait_for


def status(cinch, cid):
    return cinch.state(cid)["status"]


def status_or_none(cinch, cid):
    """None while the container is not (yet) there, e.g. a state entry half written."""
    p = cinch.run("state", cid, check=False)
    try:
        return json.loads(p.stdout)["status"] if p.returncode == 0 else None
    except ValueError:
        return None


def wait_status(cinch, cid, want, timeout=10):
    return wait_for(lambda: status_or_none(cinch, cid) == want, timeout,
                    what=f"{cid} to be {want}")


def assert_error(p, *words):
    """A refused command: non-zero exit and a message saying why, naming the
    value at fault (the id, the format...). Deliberate difference: runc's messages
    often do not name it ("container does not exist"), so with runc only the exit
    status and a non-empty message are checked."""
    assert p.returncode != 0, f"{p.args} succeeded: {p.stdout}"
    assert p.stderr.strip(), f"{p.args} failed silently"
    if not is_runc():  # runc adds logrus noise; cinch says it in one line
        assert len(p.stderr.strip().splitlines()) == 1, p.stderr
    for w in [] if is_runc() else words:
        assert w.lower() in p.stderr.lower(), f"{w!r} not in {p.stderr!r}"


def start_running(cinch, bundle, cid, args=None):
    b = bundle(args or ["sleep-forever"])
    cinch.run("run", "-d", "--bundle", b.path, cid)
    return b


# ---- create / start ----------------------------------------------------------

def test_create_waits_until_start(cinch, bundle, cid):
    b = bundle(["sh", "-c", "touch /started; exec sleep-forever"], copy_rootfs=True)
    cinch.run("create", "--bundle", b.path, cid)
    st = cinch.state(cid)
    assert st["status"] == "created"
    assert st["pid"] > 0 and helpers.pid_alive(st["pid"])
    # The init exists but the user's program has not run yet.
    time.sleep(0.3)
    assert not (b.rootfs / "started").exists()
    assert cinch.state(cid)["status"] == "created"

    cinch.run("start", cid)
    wait_for(lambda: (b.rootfs / "started").exists(), 10, what="the process to run")
    st2 = cinch.state(cid)
    assert st2["status"] == "running"
    # The OCI pid is the container's init all along, before and after start.
    assert st2["pid"] == st["pid"]


def test_state_fields(cinch, bundle, cid):
    b = bundle()
    b.config["annotations"] = {"org.cinch.test": "yes", "com.example/x": "1"}
    b.save()
    before = datetime.datetime.now(datetime.timezone.utc)
    cinch.run("create", "--bundle", b.path, cid)
    st = cinch.state(cid)
    assert isinstance(st["ociVersion"], str) and st["ociVersion"].startswith("1.")
    assert st["id"] == cid
    assert st["status"] == "created"
    assert isinstance(st["pid"], int) and st["pid"] > 0
    assert os.path.realpath(st["bundle"]) == os.path.realpath(b.path)
    assert st["annotations"] == {"org.cinch.test": "yes", "com.example/x": "1"}
    # RFC 3339 with nanoseconds as runc writes it; must be "now".
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", st["created"])
    assert m, st["created"]
    created = datetime.datetime.fromisoformat(m.group(1)).replace(tzinfo=datetime.timezone.utc)
    if m.group(3) != "Z":
        created -= datetime.timedelta(hours=int(m.group(3)[:3]), minutes=int(m.group(3)[4:]))
    assert before - datetime.timedelta(seconds=2) <= created <= before + datetime.timedelta(seconds=30)


def test_state_of_unknown_container_fails(cinch, cid):
    assert_error(cinch.run("state", cid, check=False), cid)


def test_start_only_from_created(cinch, bundle, cid):
    b = bundle(["sh", "-c", "exit 0"])
    cinch.run("create", "--bundle", b.path, cid)
    cinch.run("start", cid)
    # Running or already stopped: a second start is refused either way.
    assert_error(cinch.run("start", cid, check=False))
    wait_status(cinch, cid, "stopped")
    assert_error(cinch.run("start", cid, check=False), cid, "stopped")
    assert status(cinch, cid) == "stopped"


def test_start_running_container_refused(cinch, bundle, cid):
    start_running(cinch, bundle, cid)
    pid = cinch.state(cid)["pid"]
    assert_error(cinch.run("start", cid, check=False), cid, "running")
    st = cinch.state(cid)
    assert st["status"] == "running" and st["pid"] == pid


def test_start_unknown_container_fails(cinch, cid):
    assert_error(cinch.run("start", cid, check=False), cid)


def test_duplicate_id_refused(cinch, bundle, cid):
    b = bundle()
    cinch.run("create", "--bundle", b.path, cid)
    pid = cinch.state(cid)["pid"]
    p = cinch.run("create", "--bundle", bundle().path, cid, check=False)
    assert_error(p, cid)
    # The first container is untouched.
    st = cinch.state(cid)
    assert st["status"] == "created" and st["pid"] == pid and helpers.pid_alive(pid)
    assert_error(cinch.run("run", "-d", "--bundle", bundle().path, cid, check=False), cid)
    assert cinch.state(cid)["pid"] == pid


def test_id_reuse_after_delete(cinch, bundle, cid):
    b = bundle()
    cinch.run("create", "--bundle", b.path, cid)
    first = cinch.state(cid)["pid"]
    cinch.run("delete", "--force", cid)
    wait_for(lambda: not helpers.pid_alive(first), 5, what="the first init to die")
    cinch.run("create", "--bundle", b.path, cid)
    st = cinch.state(cid)
    assert st["status"] == "created" and st["pid"] != first


@pytest.mark.parametrize("bad_id", ["", "../escape", "a/b", ".", ".."])
def test_invalid_id_refused(cinch, bundle, bad_id):
    p = cinch.run("create", "--bundle", bundle().path, bad_id, check=False)
    assert p.returncode != 0
    assert cinch.ids() == []
    assert not os.path.exists(os.path.join(os.path.dirname(cinch.root), "escape"))


# ---- kill ------------------------------------------------------------------------

@pytest.mark.parametrize("sig,expect", [(None, "TERM"), ("USR1", "USR1"), ("SIGUSR2", "USR2"),
                                        ("10", "USR1"), ("HUP", "HUP"), ("1", "HUP")])
def test_kill_signal_by_name_or_number(cinch, bundle, cid, sig, expect):
    b = bundle(["sh", "-c", "exec sigcatch > /tmp/out"], copy_rootfs=True)
    cinch.run("run", "-d", "--bundle", b.path, cid)
    out = b.rootfs / "tmp" / "out"
    wait_for(lambda: out.exists() and "ready" in out.read_text(), 10, what="sigcatch ready")
    cinch.run("kill", cid, *([sig] if sig else []))
    wait_for(lambda: f"got SIG{expect}" in out.read_text(), 10, what=f"SIG{expect} to arrive")
    wait_status(cinch, cid, "stopped")


def test_kill_created_container(cinch, bundle, cid):
    cinch.run("create", "--bundle", bundle().path, cid)
    pid = cinch.state(cid)["pid"]
    cinch.run("kill", cid, "KILL")
    wait_status(cinch, cid, "stopped")
    assert not helpers.pid_alive(pid)


def test_kill_stopped_container_refused(cinch, bundle, cid):
    cinch.run("run", "-d", "--bundle", bundle(["true"]).path, cid)
    wait_status(cinch, cid, "stopped")
    assert_error(cinch.run("kill", cid, "KILL", check=False), cid)
    assert status(cinch, cid) == "stopped"


def test_kill_bad_signal_refused(cinch, bundle, cid):
    start_running(cinch, bundle, cid)
    for bad in ("SIGNOPE", "NOPE", "0x9", "-3", "999"):
        p = cinch.run("kill", cid, bad, check=False)
        assert_error(p, bad)
    assert status(cinch, cid) == "running"


def test_kill_unknown_container_fails(cinch, cid):
    assert_error(cinch.run("kill", cid, "KILL", check=False), cid)


# ---- delete ----------------------------------------------------------------------

def test_delete_stopped(cinch, bundle, cid):
    cinch.run("run", "-d", "--bundle", bundle(["true"]).path, cid)
    wait_status(cinch, cid, "stopped")
    cinch.run("delete", cid)
    assert cid not in cinch.ids()
    assert_error(cinch.run("state", cid, check=False))
    assert helpers.find_cgroup_dirs(cid) == []


def test_delete_running_refused_without_force(cinch, bundle, cid):
    start_running(cinch, bundle, cid)
    pid = cinch.state(cid)["pid"]
    assert_error(cinch.run("delete", cid, check=False), cid, "running")
    st = cinch.state(cid)
    assert st["status"] == "running" and st["pid"] == pid and helpers.pid_alive(pid)


@pytest.mark.skipif(is_runc(), reason="runc deletes a created container without --force; "
                    "cinch follows the OCI rule (delete only when stopped)")
def test_delete_created_refused_without_force(cinch, bundle, cid):
    cinch.run("create", "--bundle", bundle().path, cid)
    assert_error(cinch.run("delete", cid, check=False), cid, "created")
    assert status(cinch, cid) == "created"


@pytest.mark.parametrize("how", ["create", "run"])
def test_delete_force_kills_and_removes(cinch, bundle, cid, how):
    b = bundle()
    if how == "create":
        cinch.run("create", "--bundle", b.path, cid)
    else:
        cinch.run("run", "-d", "--bundle", b.path, cid)
    pid = cinch.state(cid)["pid"]
    start = helpers.proc_stat(pid)[1]
    assert helpers.find_cgroup_dirs(cid), "the runtime made no cgroup named after the id"
    cinch.run("delete", "--force", cid)
    assert cid not in cinch.ids()
    wait_for(lambda: not helpers.pid_alive(pid, start), 5, what="the init to die")
    wait_for(lambda: not [d for d in helpers.find_cgroup_dirs(cid) if d.exists()], 5,
             what="the cgroups to go")
    assert not helpers.mounts_mentioning(cid, b.path)


def test_delete_force_of_missing_container_succeeds(cinch, cid):
    # Engines rely on this to make cleanup idempotent.
    p = cinch.run("delete", "--force", cid, check=False)
    assert p.returncode == 0, p.stderr


def test_delete_missing_container_fails(cinch, cid):
    assert_error(cinch.run("delete", cid, check=False), cid)


# ---- run -------------------------------------------------------------------------

@pytest.mark.parametrize("code", [0, 1, 7, 255])
def test_run_returns_exit_status(cinch, bundle, cid, code):
    p = cinch.run("run", "--bundle", bundle(["exitwith", str(code)]).path, cid, check=False)
    assert p.returncode == code, p.stderr
    # Without --keep the container is gone once run returns.
    assert cinch.ids() == []


def test_run_passes_stdio(cinch, bundle, cid):
    b = bundle(["sh", "-c", "cat; echo to-err >&2; echo done"])
    p = cinch.run("run", "--bundle", b.path, cid, input="from-stdin\n")
    assert p.stdout == "from-stdin\ndone\n"
    assert "to-err" in p.stderr


def test_run_death_by_signal_is_128_plus_n(cinch, bundle, cid):
    b = bundle()
    p = cinch.popen("run", "--bundle", b.path, cid)
    wait_status(cinch, cid, "running")
    cinch.run("kill", cid, "KILL")
    assert p.wait(timeout=10) == 128 + signal.SIGKILL


def test_run_death_by_signal_without_pid_namespace(cinch, bundle, cid):
    # Not a pid 1 here, so the process can die of its own SIGTERM.
    b = bundle(["killself", "15"])
    b.linux["namespaces"] = [n for n in b.linux["namespaces"] if n["type"] != "pid"]
    b.save()
    p = cinch.run("run", "--bundle", b.path, cid, check=False)
    assert p.returncode == 128 + signal.SIGTERM, p.stderr


@pytest.mark.parametrize("sig", [signal.SIGUSR1, signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_run_forwards_signals(cinch, bundle, cid, sig):
    p = cinch.popen("run", "--bundle", bundle(["sigcatch"]).path, cid)
    assert p.stdout.readline() == "ready\n"
    p.send_signal(sig)
    out, err = p.communicate(timeout=10)
    assert out == f"got SIG{signal.Signals(sig).name[3:]}\n", err
    assert p.returncode == 0


def test_run_detached(cinch, bundle, cid):
    t0 = time.monotonic()
    p = cinch.run("run", "-d", "--bundle", bundle().path, cid, timeout=20)
    assert time.monotonic() - t0 < 10
    st = cinch.state(cid)
    assert st["status"] == "running" and helpers.pid_alive(st["pid"])


def test_run_keep_leaves_stopped_container(cinch, bundle, cid):
    p = cinch.run("run", "--keep", "--bundle", bundle(["exitwith", "3"]).path, cid, check=False)
    assert p.returncode == 3, p.stderr
    assert status(cinch, cid) == "stopped"
    cinch.run("delete", cid)
    assert cinch.ids() == []


def test_run_missing_executable_fails_cleanly(cinch, bundle, cid):
    p = cinch.run("run", "--bundle", bundle(["/no/such/program"]).path, cid, check=False)
    assert_error(p, "/no/such/program")
    assert cinch.ids() == []
    assert helpers.find_cgroup_dirs(cid) == []


@pytest.mark.parametrize("cmd", ["create", "run-d"])
def test_pid_file(cinch, bundle, cid, tmp_path, cmd):
    pidfile = tmp_path / "init.pid"
    b = bundle()
    if cmd == "create":
        cinch.run("create", "--pid-file", pidfile, "--bundle", b.path, cid)
    else:
        cinch.run("run", "-d", "--pid-file", pidfile, "--bundle", b.path, cid)
    text = pidfile.read_text()
    assert re.fullmatch(r"\d+", text.strip()), repr(text)
    assert int(text) == cinch.state(cid)["pid"]


# ---- stopped detection -----------------------------------------------------------

def test_exited_init_shows_stopped(cinch, bundle, cid):
    cinch.run("run", "-d", "--bundle", bundle(["sh", "-c", "exit 0"]).path, cid)
    wait_status(cinch, cid, "stopped")


def _respawn_at(pid, tries=200):
    """A host process that gets `pid` again, via ns_last_pid; None if others keep
    winning the race."""
    for _ in range(tries):
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(pid - 1))
        p = subprocess.Popen(["sleep", "60"])
        if p.pid == pid:
            return p
        p.kill()
        p.wait()
    return None


def test_recycled_pid_does_not_fool_status(cinch, bundle, cid):
    cinch.run("run", "-d", "--bundle", bundle().path, cid)
    pid = cinch.state(cid)["pid"]
    cinch.run("kill", cid, "KILL")
    wait_for(lambda: not helpers.pid_alive(pid), 10)
    # The dead init is our zombie (we are a subreaper): reap it to free its pid.
    helpers.reap_container_zombies()
    wait_for(lambda: helpers.proc_stat(pid) is None, 10, what=f"pid {pid} to be free")
    impostor = _respawn_at(pid)
    if impostor is None:
        pytest.skip(f"could not get pid {pid} again")
    try:
        assert status(cinch, cid) == "stopped"
        # Nor can kill reach the stranger that now has the pid.
        cinch.run("kill", cid, "KILL", check=False)
        time.sleep(0.2)
        assert impostor.poll() is None, "kill signalled a recycled pid"
    finally:
        impostor.kill()
        impostor.wait()


# ---- list ------------------------------------------------------------------------

def test_list_formats(cinch, bundle):
    created, running = helpers.new_cid(), helpers.new_cid()
    b = bundle()
    cinch.run("create", "--bundle", b.path, created)
    cinch.run("run", "-d", "--bundle", b.path, running)
    pids = {c: cinch.state(c)["pid"] for c in (created, running)}

    q = cinch.run("list", "-q").stdout.split()
    assert sorted(q) == sorted([created, running])

    rows = json.loads(cinch.run("list", "-f", "json").stdout)
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == {created, running}
    assert by_id[created]["status"] == "created" and by_id[running]["status"] == "running"
    for c in (created, running):
        assert by_id[c]["pid"] == pids[c]
        assert os.path.realpath(by_id[c]["bundle"]) == os.path.realpath(b.path)

    table = cinch.run("list").stdout.splitlines()
    assert table[0].split()[:3] == ["ID", "PID", "STATUS"]
    lines = {l.split()[0]: l.split() for l in table[1:] if l.strip()}
    assert lines[created][1:3] == [str(pids[created]), "created"]
    assert lines[running][1:3] == [str(pids[running]), "running"]
    assert cinch.run("list", "--format", "table").stdout.splitlines() == table


def test_list_empty(cinch):
    assert cinch.run("list", "-q").stdout.strip() == ""
    out = cinch.run("list", "-f", "json").stdout.strip()
    assert json.loads(out) in (None, [])


def test_list_bad_format_refused(cinch):
    assert_error(cinch.run("list", "-f", "yaml", check=False), "yaml")


# ---- errors leave nothing behind ------------------------------------------------

def test_create_missing_bundle_fails_cleanly(cinch, cid, tmp_path):
    p = cinch.run("create", "--bundle", tmp_path / "nope", cid, check=False)
    assert_error(p)
    assert cinch.ids() == []


def test_create_bad_json_fails_cleanly(cinch, bundle, cid):
    b = bundle()
    (b.path / "config.json").write_text("{ not json")
    assert_error(cinch.run("create", "--bundle", b.path, cid, check=False))
    assert cinch.ids() == []
    assert helpers.find_cgroup_dirs(cid) == []


def test_create_missing_rootfs_fails_cleanly(cinch, bundle, cid):
    b = bundle()
    b.config["root"] = {"path": "no-such-rootfs"}
    b.save()
    assert_error(cinch.run("create", "--bundle", b.path, cid, check=False))
    assert cinch.ids() == []
    assert helpers.find_cgroup_dirs(cid) == []
    assert not helpers.pids_in_cgroups_named(cid)


def test_create_bad_mount_fails_cleanly(cinch, bundle, cid):
    # Fails late, after namespaces and cgroups exist: all of it must be undone.
    b = bundle()
    b.config["mounts"].append({"destination": "/proc", "type": "nosuchfs", "source": "x"})
    b.save()
    assert_error(cinch.run("create", "--bundle", b.path, cid, check=False))
    assert cinch.ids() == []
    wait_for(lambda: not helpers.find_cgroup_dirs(cid), 5, what="cgroups to go")
    assert not helpers.pids_in_cgroups_named(cid)


# ---- create/run options ---------------------------------------------------------

def test_kill_all_reaches_every_process(cinch, bundle, cid):
    b = bundle(["sh", "-c", "sleep-forever & sleep-forever & wait"])
    cinch.run("run", "-d", "--bundle", b.path, cid)
    pids = wait_for(lambda: (lambda p: p if len(p) >= 3 else None)(
        helpers.pids_in_cgroups_named(cid)), 10, what="three processes")
    starts = {p: helpers.proc_stat(p)[1] for p in pids}
    cinch.run("kill", "--all", cid, "KILL")
    wait_for(lambda: not any(helpers.pid_alive(p, s) for p, s in starts.items()), 10,
             what="every process to die")
    wait_status(cinch, cid, "stopped")


def _fd_lines(text):
    return {int(l.split(" -> ")[0]): l.split(" -> ")[1] for l in text.splitlines() if " -> " in l}


@pytest.mark.parametrize("preserve", [0, 1])
def test_preserve_fds(cinch, bundle, cid, tmp_path, preserve):
    marker = tmp_path / "passed-in"
    marker.write_text("x")
    argv = cinch.cmd("run", *(["--preserve-fds", str(preserve)] if preserve else []),
                     "--bundle", bundle(["fdlist"]).path, cid)
    # The runtime gets fd 3 open on the marker; only --preserve-fds lets it through.
    p = subprocess.run(["sh", "-c", 'exec 3<"$0"; exec "$@"', str(marker), *argv],
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    fds = _fd_lines(p.stdout)
    assert {0, 1, 2} <= set(fds)
    if preserve:
        assert set(fds) == {0, 1, 2, 3}, fds
        assert fds[3].endswith("passed-in")
    else:
        assert set(fds) == {0, 1, 2}, fds


def test_no_pivot(cinch, bundle, cid):
    b = bundle(["sh", "-c", "cat /etc/hostname; exec payload pid1"])
    p = cinch.run("run", "--no-pivot", "--bundle", b.path, cid)
    assert p.stdout.splitlines() == ["cinch", "pid=1 ppid=0"]


def test_no_new_keyring(cinch, bundle, cid):
    p = cinch.run("run", "--no-new-keyring", "--bundle", bundle(["exitwith", "0"]).path, cid)
    assert p.returncode == 0


def test_bundle_defaults_to_cwd(cinch, bundle, cid):
    b = bundle(["sh", "-c", "echo from-cwd"])
    p = cinch.run("run", cid, cwd=b.path)
    assert p.stdout == "from-cwd\n"


def test_relative_bundle_path(cinch, bundle, cid):
    b = bundle(["sh", "-c", "echo relative"])
    p = cinch.run("run", "--bundle", b.path.name, cid, cwd=b.path.parent)
    assert p.stdout == "relative\n"
