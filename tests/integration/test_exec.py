"""`exec`: a new process in a running container, in all its namespaces and
its cgroup, with runc's flags; terminals through --console-socket."""

import array
import json
import os
import select
import signal
import socket
import time

import pytest

import helpers


@pytest.fixture
def running(cinch, bundle, cid):
    """A running container (sleep-forever); returns (cid, bundle)."""
    def make(**process):
        b = bundle(args=["sleep-forever"])
        b.config["hostname"] = "exec-target"
        b.process.update(process)
        b.save()
        cinch.run("run", "-d", "--bundle", b.path, cid)
        # `start` returns once the init may go on; wait for its execve
        pid = cinch.state(cid)["pid"]
        payload = os.stat(b.rootfs / "bin" / "payload")
        helpers.wait_for(lambda: os.stat(f"/proc/{pid}/exe").st_ino == payload.st_ino,
                         timeout=5, what="the init's execve")
        return cid
    return make


def kill_and_reap(pid):
    """A detached exec'd process is re-parented to the test (a subreaper); the
    container's init cannot finish dying while it stays an unreaped zombie."""
    os.kill(pid, signal.SIGKILL)
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def ns(pid, name):
    return os.stat(f"/proc/{pid}/ns/{name}").st_ino


def test_exec_joins_every_namespace(cinch, running, tmp_path):
    c = running()
    init = cinch.state(c)["pid"]
    out = cinch.run("exec", c, "sh", "-c", "hostname; cat /proc/1/cmdline | tr '\\0' ' '; echo; "
                    "ls /sys/class/net").stdout.splitlines()
    assert out == ["exec-target", "sleep-forever ", "lo"]
    pidfile = tmp_path / "exec.pid"
    cinch.run("exec", "-d", "--pid-file", pidfile, c, "sleep-forever")
    pid = int(pidfile.read_text())
    try:
        for name in ("pid", "net", "ipc", "uts", "mnt", "cgroup", "user"):
            assert ns(pid, name) == ns(init, name), name
    finally:
        kill_and_reap(pid)


def test_exec_lands_in_the_containers_cgroups(cinch, running, tmp_path):
    c = running()
    init = cinch.state(c)["pid"]
    pidfile = tmp_path / "exec.pid"
    cinch.run("exec", "-d", "--pid-file", pidfile, c, "sleep-forever")
    pid = int(pidfile.read_text())
    try:
        mine = open(f"/proc/{pid}/cgroup").read().splitlines()
        theirs = open(f"/proc/{init}/cgroup").read().splitlines()
        assert sorted(mine) == sorted(theirs)
        assert any(c in line for line in mine)
    finally:
        kill_and_reap(pid)


def test_exec_exit_status_and_signal_death(cinch, running):
    c = running()
    assert cinch.run("exec", c, "exitwith", "7", check=False).returncode == 7
    assert cinch.run("exec", c, "killself", "9", check=False).returncode == 128 + 9
    assert cinch.run("exec", c, "killself", "15", check=False).returncode == 128 + 15


def test_exec_forwards_signals(cinch, running):
    c = running()
    p = cinch.popen("exec", c, "sigcatch")
    assert p.stdout.readline() == "ready\n"
    p.send_signal(signal.SIGUSR1)
    out, _ = p.communicate(timeout=30)
    assert out == "got SIGUSR1\n" and p.returncode == 0


def test_exec_flags_env_cwd_user_groups(cinch, running):
    c = running()
    out = cinch.run("exec", "-e", "FOO=bar", "-e", "TERM=dumb", "--cwd", "/usr", "-u", "1000:1001",
                    "-g", "100", "-g", "7", c, "sh", "-c", "echo $FOO $TERM; pwd; ids").stdout
    assert out.splitlines() == ["bar dumb", "/usr",
                                "uid=1000 euid=1000 gid=1001 egid=1001 groups=7,100 umask=0022"]


def test_exec_user_by_name_from_the_containers_passwd(cinch, running):
    c = running()
    out = cinch.run("exec", "-u", "app", c, "ids").stdout
    assert out.startswith("uid=1000 euid=1000 gid=1000 egid=1000")


def test_exec_cap_adds_a_capability(cinch, running):
    c = running()
    assert cinch.run("exec", c, "trysyscall", "chown").stdout == "chown: errno 1 (EPERM)\n"
    assert cinch.run("exec", "--cap", "CAP_CHOWN", c, "trysyscall", "chown").stdout == "chown: ok\n"


def test_exec_no_new_privs(cinch, running):
    c = running(noNewPrivileges=False)
    assert "NoNewPrivs:\t0" in cinch.run("exec", c, "showcaps").stdout
    assert "NoNewPrivs:\t1" in cinch.run("exec", "--no-new-privs", c, "showcaps").stdout


def test_exec_process_file(cinch, running, tmp_path):
    c = running()
    proc = {"args": ["sh", "-c", "echo $X; pwd; ids"], "env": ["X=from-file", "PATH=/bin:/usr/bin"],
            "cwd": "/tmp", "user": {"uid": 1000, "gid": 1000, "umask": 0o077}}
    f = tmp_path / "process.json"
    f.write_text(json.dumps(proc))
    out = cinch.run("exec", "--process", f, c).stdout.splitlines()
    assert out == ["from-file", "/tmp", "uid=1000 euid=1000 gid=1000 egid=1000 groups= umask=0077"]


def test_exec_only_stdio_reaches_the_process(cinch, running):
    c = running()
    out = cinch.run("exec", c, "fdlist").stdout
    assert sorted(int(l.split(" -> ")[0]) for l in out.splitlines()) == [0, 1, 2]


def test_exec_missing_command_is_an_error_and_leaves_nothing(cinch, running):
    c = running()
    before = helpers.pids_in_cgroups_named(c)
    p = cinch.run("exec", c, "no-such-cmd", check=False)
    assert p.returncode != 0 and "no-such-cmd" in p.stderr
    assert helpers.pids_in_cgroups_named(c) == before


def test_exec_refuses_a_container_that_is_not_running(cinch, bundle, cid):
    b = bundle(args=["sleep-forever"])
    cinch.run("create", "--bundle", b.path, cid)
    p = cinch.run("exec", cid, "true", check=False)
    assert p.returncode != 0 and "created" in p.stderr
    cinch.run("kill", cid, "KILL")
    helpers.wait_for(lambda: cinch.state(cid)["status"] == "stopped", what="stopped")
    p = cinch.run("exec", cid, "true", check=False)
    assert p.returncode != 0 and "stopped" in p.stderr


def test_exec_unknown_container(cinch):
    p = cinch.run("exec", "cinch-t-nosuch", "true", check=False)
    assert p.returncode != 0 and "cinch-t-nosuch" in p.stderr


# ---- terminals ----

class ConsoleSocket:
    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.sock.settimeout(30)

    def master(self):
        conn, _ = self.sock.accept()
        with conn:
            _, fds, _, _ = socket.recv_fds(conn, 1024, 1)
        return fds[0]

    def close(self):
        self.sock.close()


def read_until(fd, needle, timeout=10):
    buf = b""
    end = time.monotonic() + timeout
    while needle.encode() not in buf and time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
    return buf.decode(errors="replace")


def test_exec_tty_sends_the_master_over_the_console_socket(cinch, running, tmp_path):
    c = running()
    cs = ConsoleSocket(tmp_path / "c.sock")
    try:
        pidfile = tmp_path / "exec.pid"
        p = cinch.popen("exec", "-t", "-d", "--console-socket", cs.path, "--pid-file", pidfile, c,
                        "sh", "-c", "tty; [ -t 0 ] && [ -t 1 ] && echo stdio-is-tty; sleep 1")
        m = cs.master()
        out = read_until(m, "stdio-is-tty")
        os.close(m)
        p.wait(timeout=30)
        kill_and_reap(int(pidfile.read_text()))
    finally:
        cs.close()
    assert "/dev/pts/" in out and "stdio-is-tty" in out


def test_init_terminal_with_console_socket(cinch, bundle, cid, tmp_path):
    b = bundle(args=["sh", "-c", "tty; ls -l /dev/console; [ -t 0 ] && echo ctty-ok; sleep 1"],
               terminal=True)
    cs = ConsoleSocket(tmp_path / "c.sock")
    try:
        p = cinch.popen("run", "-d", "--console-socket", cs.path, "--bundle", b.path, cid)
        m = cs.master()
        out = read_until(m, "ctty-ok")
        os.close(m)
        p.wait(timeout=30)
    finally:
        cs.close()
    assert "/dev/pts/0" in out and "/dev/console" in out and "ctty-ok" in out


def test_exec_tty_in_the_foreground_is_proxied(cinch, running):
    """exec -t without --console-socket: cinch itself holds the pty master and
    copies between it and its own terminal."""
    import pty
    c = running()
    master, slave = pty.openpty()
    try:
        p = cinch.popen("exec", "-t", c, "sh", "-c", "tty; [ -t 1 ] && echo out-is-tty",
                        stdin=slave, stdout=slave, stderr=slave)
        os.close(slave)
        slave = -1
        out = read_until(master, "out-is-tty")
        p.wait(timeout=30)
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
    assert "/dev/pts/" in out and "out-is-tty" in out
    assert p.returncode == 0


def test_exec_preserve_fds(cinch, running):
    import subprocess
    c = running()
    r, w = os.pipe()

    def place():
        os.dup2(r, 3)
        os.dup2(w, 4)

    try:
        p = subprocess.run(cinch.cmd("exec", "--preserve-fds", "1", c, "fdlist"), pass_fds=(3, 4),
                           preexec_fn=place, capture_output=True, text=True, timeout=30)
    finally:
        os.close(r)
        os.close(w)
    assert p.returncode == 0, p.stderr
    assert sorted(int(l.split(" -> ")[0]) for l in p.stdout.splitlines()) == [0, 1, 2, 3]


def test_exec_refuses_a_paused_container(cinch, running):
    c = running()
    cinch.run("pause", c)
    try:
        p = cinch.run("exec", c, "true", check=False)
        assert p.returncode != 0 and "paused" in p.stderr
    finally:
        cinch.run("resume", c)


def test_exec_into_a_no_pivot_container_lands_in_its_root(cinch, bundle, cid, tmp_path):
    b = bundle(args=["sleep-forever"], copy_rootfs=True)
    (b.rootfs / "marker-of-this-rootfs").write_text("")
    cinch.run("run", "-d", "--no-pivot", "--bundle", b.path, cid)
    out = cinch.run("exec", cid, "ls", "/").stdout.split()
    assert "marker-of-this-rootfs" in out and "work" not in out


def test_exec_ignore_paused_runs_once_resumed(cinch, running, tmp_path):
    c = running()
    cinch.run("pause", c)
    pidfile = tmp_path / "pid"
    try:
        cinch.run("exec", "-d", "--ignore-paused", "--pid-file", pidfile, c,
                  "sh", "-c", "echo ran > /dev/shm/mark; sleep-forever", timeout=30)
        pid = int(pidfile.read_text())
        time.sleep(0.3)
        # frozen before its execve: still the runtime's code
        exe, rt = os.stat(f"/proc/{pid}/exe"), os.stat(cinch.bin)
        assert (exe.st_dev, exe.st_ino) == (rt.st_dev, rt.st_ino)
    finally:
        cinch.run("resume", c)
    helpers.wait_for(lambda: cinch.run("exec", c, "cat", "/dev/shm/mark",
                                       check=False).stdout == "ran\n", what="exec ran")
    kill_and_reap(pid)
