"""Regression tests for the two classic runtime escapes.

CVE-2019-5736: a container process reached the runtime binary through
/proc/<runtime pid>/exe and overwrote it.  cinch's processes in a container
are non-dumpable until they execve the container's program, so their /proc
entries are closed to the container; the init never shows the runtime binary
once user code runs.

CVE-2024-21626: a runtime fd (a cgroup directory) leaked into the container
and process.cwd "/proc/self/fd/N" put the process in the host's filesystem.
cinch closes every fd but stdio (and --preserve-fds) before the cwd is set,
and refuses a cwd outside the container's root."""

import os
import signal
import time
import subprocess

import pytest

import helpers


def wait_execd(pid, rootfs):
    """`start` returns once the init may go on; its execve follows."""
    payload = os.stat(rootfs / "bin" / "payload")

    def done():
        st = os.stat(f"/proc/{pid}/exe")
        return (st.st_dev, st.st_ino) == (payload.st_dev, payload.st_ino)

    helpers.wait_for(done, timeout=5, what="the init to exec the container's program")


def fds_of(pid):
    d = f"/proc/{pid}/fd"
    return {int(n): os.readlink(f"{d}/{n}") for n in os.listdir(d)}


# ---- CVE-2019-5736 ----

def test_init_exe_is_the_containers_program_not_the_runtime(cinch, bundle, cid):
    b = bundle(args=["sleep-forever"])
    cinch.run("run", "-d", "--bundle", b.path, cid)
    pid = cinch.state(cid)["pid"]
    payload = os.stat(b.rootfs / "bin" / "payload")

    def exe():
        st = os.stat(f"/proc/{pid}/exe")
        return st.st_dev, st.st_ino

    # `start` returns once the init may go on; it execs the program right after
    helpers.wait_for(lambda: exe() == (payload.st_dev, payload.st_ino), timeout=5,
                     what="the init to exec the container's program")
    runtime = os.stat(cinch.bin)
    assert exe() != (runtime.st_dev, runtime.st_ino)


USERNS = {"uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
          "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}
ALL_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_KILL",
            "CAP_SETUID", "CAP_SETGID", "CAP_SYS_PTRACE", "CAP_SYS_ADMIN", "CAP_SYS_CHROOT"]


def test_waiting_init_is_not_reachable_from_another_container(cinch, bundle, cid):
    """Before `start` the init is still the runtime's code (/proc/<pid>/exe is
    the runtime binary).  The attack of CVE-2019-5736 comes from root in a
    user namespace holding CAP_SYS_PTRACE there: a second container joining
    the first one's user and pid namespaces, with every capability, must
    still not be able to resolve or open the init's exe.

    cinch makes its children non-dumpable until execve; with a root runtime
    the kernel's own rules (a uid change makes a process non-dumpable, the
    capability-subset check) hold the same line, so this test checks the
    outcome, whichever rule stops the peer."""
    first = bundle(args=["true"])
    first.linux["namespaces"].append({"type": "user"})
    first.linux.update(USERNS)
    first.save()
    cinch.run("create", "--bundle", first.path, cid)
    init = cinch.state(cid)["pid"]
    # the host sees the runtime binary behind the waiting init
    runtime = os.stat(cinch.bin)
    exe = os.stat(f"/proc/{init}/exe")
    assert (exe.st_dev, exe.st_ino) == (runtime.st_dev, runtime.st_ino)

    b = bundle(args=["sh", "-c", "readlink /proc/1/exe; echo rl=$?; "
                                 "(cat /proc/1/exe > /dev/null) 2>&1; echo cat=$?; "
                                 "readlink /proc/1/cwd; echo cwd=$?; grep CapEff /proc/self/status"])
    b.linux["namespaces"] = [{"type": "mount"}, {"type": "ipc"}, {"type": "network"},
                             {"type": "user", "path": f"/proc/{init}/ns/user"},
                             {"type": "pid", "path": f"/proc/{init}/ns/pid"}]
    b.process["capabilities"] = {k: ALL_CAPS for k in ("bounding", "effective", "permitted")}
    del b.config["hostname"]
    b.save()
    out = cinch.run("run", "--bundle", b.path, cid + "-peer").stdout
    assert "CapEff:\t00000000002c00ef" in out  # the peer really holds CAP_SYS_PTRACE
    assert "rl=1" in out and "cat=1" in out and "cwd=1" in out, out
    assert "Permission denied" in out


def test_runtime_binary_is_not_visible_inside(cinch, bundle, cid):
    """No path inside the container leads to the runtime binary."""
    runtime = os.stat(cinch.bin)
    b = bundle(args=["sh", "-c", "for p in /proc/[0-9]*; do stat -L -c '%d:%i' $p/exe 2>/dev/null; "
                                 "done"])
    out = cinch.run("run", "--bundle", b.path, cid).stdout.split()
    assert out, "no process seen"
    assert f"{runtime.st_dev}:{runtime.st_ino}" not in out


# ---- CVE-2024-21626 ----

@pytest.mark.parametrize("fd", range(3, 10))
def test_cwd_through_a_leaked_fd_is_refused(cinch, bundle, cid, fd):
    b = bundle(args=["sh", "-c", "pwd; ls .."])
    b.process["cwd"] = f"/proc/self/fd/{fd}"
    b.save()
    p = cinch.run("run", "--bundle", b.path, cid, check=False)
    assert p.returncode != 0, p.stdout
    assert "process.cwd" in p.stderr
    assert cinch.ids() == []


@pytest.mark.parametrize("fd", range(3, 10))
def test_cwd_below_a_leaked_fd_creates_nothing_on_the_host(cinch, bundle, cid, fd, tmp_path):
    """A missing cwd is created (as runc does); never through a magic link."""
    b = bundle(args=["pwd"])
    name = f"cinch-cve-probe-{cid}"
    b.process["cwd"] = f"/proc/self/fd/{fd}/{name}"
    b.save()
    p = cinch.run("run", "--bundle", b.path, cid, check=False)
    assert p.returncode != 0, p.stdout
    assert "process.cwd" in p.stderr
    # where a runtime's fds point: its state, the bundle, the cgroups
    hits = subprocess.run(["find", cinch.root, str(tmp_path.parent), "/sys/fs/cgroup",
                           "-maxdepth", "8", "-name", name],
                          capture_output=True, text=True).stdout
    assert hits == ""


@pytest.mark.parametrize("fd", range(3, 8))
def test_exec_cwd_through_a_leaked_fd_is_refused(cinch, bundle, cid, fd):
    cinch.run("run", "-d", "--bundle", bundle().path, cid)
    p = cinch.run("exec", "--cwd", f"/proc/self/fd/{fd}", cid, "pwd", check=False)
    assert p.returncode != 0, p.stdout
    assert "process.cwd" in p.stderr


def test_no_runtime_fd_in_the_running_init(cinch, bundle, cid):
    b = bundle()
    cinch.run("run", "-d", "--bundle", b.path, cid)
    pid = cinch.state(cid)["pid"]
    wait_execd(pid, b.rootfs)
    # The kernel switches /proc/PID/exe a moment before it closes the
    # close-on-exec fds: a leak is what is still open after that moment.
    deadline = time.time() + 2
    fds = fds_of(pid)
    while sorted(fds) != [0, 1, 2] and time.time() < deadline:
        time.sleep(0.05)
        fds = fds_of(pid)
    assert sorted(fds) == [0, 1, 2], fds
    for target in fds.values():
        assert cinch.root not in target and "/sys/fs/cgroup" not in target, fds


def test_no_runtime_fd_in_an_exec_process(cinch, bundle, cid, tmp_path):
    cinch.run("run", "-d", "--bundle", bundle().path, cid)
    pidfile = tmp_path / "pid"
    cinch.run("exec", "-d", "--pid-file", pidfile, cid, "sleep-forever")
    pid = int(pidfile.read_text())
    try:
        fds = fds_of(pid)
        assert sorted(fds) == [0, 1, 2], fds
        for target in fds.values():
            assert cinch.root not in target and "/sys/fs/cgroup" not in target, fds
    finally:
        os.kill(pid, signal.SIGKILL)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


def test_created_init_holds_no_cgroup_or_state_dir_fd(cinch, bundle, cid):
    """Even while waiting for `start` (runtime code still running), the init
    holds no directory fd of the host: only stdio, its sync socket and the
    exec fifo."""
    cinch.run("create", "--bundle", bundle().path, cid)
    fds = fds_of(cinch.state(cid)["pid"])
    for n, target in fds.items():
        if n <= 2:
            continue
        assert target.startswith("socket:") or target.endswith("exec.fifo") or \
            target.startswith("pipe:"), fds
