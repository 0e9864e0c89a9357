"""The docker-style front end end to end: the seed scenarios (a contained fork
bomb, cgexec-style `cinch limit` OOM kill, `cinch stats` of a CPU-capped busy
loop), Docker's exit codes, detached containers, names, and the other commands."""

import json
import os
import pty
import select
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

import helpers

ROOTFS = str(Path(os.environ.get("CINCH_TEST_ROOTFS", helpers.REPO / "build" / "test-rootfs")))


def rm_all(cinch):
    ids = cinch.run("ps", "-a", "-q", "--no-trunc", check=False).stdout.split()
    if ids:
        cinch.run("rm", "-f", *ids, check=False)


@pytest.fixture
def fe(cinch):
    """The cinch fixture, removing every front-end container afterwards."""
    yield cinch
    rm_all(cinch)


class Events:
    """`cinch events --format json` running in the background."""

    def __init__(self, cinch):
        self.p = cinch.popen("events", "--format", "json", text=False)
        self.lines = []
        self.buf = b""
        time.sleep(0.3)

    def wait(self, pred, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for e in self.lines:
                if pred(e):
                    return e
            r, _, _ = select.select([self.p.stdout], [], [], 0.2)
            if r:
                # Raw reads: a buffered readline would hide later lines from select.
                self.buf += os.read(self.p.stdout.fileno(), 65536)
                *done, self.buf = self.buf.split(b"\n")
                self.lines += [json.loads(x) for x in done if x.strip()]
        raise AssertionError(f"no matching event in {self.lines}")

    def stop(self):
        self.p.kill()
        self.p.wait()


# ---- the seed scenarios ------------------------------------------------------

def test_fork_bomb_is_contained_while_the_host_keeps_forking(fe):
    t0 = time.monotonic()
    for _ in range(30):
        subprocess.run(["/bin/true"], check=True)
    baseline = time.monotonic() - t0
    ev = Events(fe)
    try:
        p = fe.popen("run", "--rm", "--name", "forky", "--read-only", "--pids-limit", "100",
                     "-m", "256M", "--cpus", "0.5", ROOTFS, "forkbomb", "--hold")
        # The bomb holds its children: the limit is reached and stays reached.
        e = ev.wait(lambda e: e["Action"] == "pids-limit")
        assert e["Actor"]["Attributes"]["name"] == "forky"
        cid = e["id"]
        assert int(helpers.read_cgroup("pids", cid, "pids.current")) <= 100
        # Meanwhile the host forks freely: about as fast as before the bomb.
        t0 = time.monotonic()
        for _ in range(30):
            subprocess.run(["/bin/true"], check=True)
        during = time.monotonic() - t0
        assert during < 3 * baseline + 2, (baseline, during)
        stats = json.loads(fe.run("stats", "--no-stream", "--format", "json", "forky")
                           .stdout.splitlines()[0])
        assert int(stats["PIDs"]) == 100
        assert stats["MemUsage"].endswith("/ 256MiB")
        fe.run("stop", "-t", "1", "forky")
        p.wait(timeout=30)
        out = p.stdout.read()
        assert "fork failed: errno 11 (EAGAIN)" in out
        n = int(out.split("forked ")[1].split(",")[0])
        assert n == 99  # the bomb itself is the hundredth task
        ev.wait(lambda e: e["Action"] == "die" and e["id"] == cid)
    finally:
        ev.stop()
    # --rm: nothing left.
    assert fe.run("ps", "-a", "-q").stdout.strip() == ""


def shm_is_tmpfs():
    for line in Path("/proc/self/mounts").read_text().splitlines():
        f = line.split()
        if f[1] == "/dev/shm" and f[2] == "tmpfs":
            return True
    return False


def test_limit_oom_kills_dd_on_tmpfs_and_reports_it(cinch):
    if not shm_is_tmpfs():
        pytest.skip("/dev/shm is not a tmpfs here (its pages would not be charged)")
    f = Path(f"/dev/shm/cinch-limit-{uuid.uuid4().hex[:8]}")
    # The seed's command; Docker's default swap (twice -m) would let the pages
    # go to swap where there is some, so then swap is capped too.
    has_swap = any(l.split()[1] != "0" for l in Path("/proc/meminfo").read_text().splitlines()
                   if l.startswith("SwapTotal:"))
    swap = ["--memory-swap", "300M"] if has_swap else []
    try:
        p = cinch.run("limit", "-m", "300M", *swap, "--", "dd", "if=/dev/zero", f"of={f}",
                      "bs=1M", "count=400", check=False, timeout=120)
        assert p.returncode == 137, p.stderr
        assert "oom" in p.stderr and "OOM-killed" in p.stderr
        # The pages written before the kill were charged: about the limit.
        assert 250 << 20 < f.stat().st_size <= 300 << 20
    finally:
        f.unlink(missing_ok=True)
    assert not helpers.find_cgroup_dirs("cinch-limit-")


def test_limit_oom_kills_an_anonymous_memory_hog(cinch):
    p = cinch.run("limit", "-m", "64m", "--", f"{ROOTFS}/bin/payload", "memhog", "200",
                  check=False, timeout=120)
    assert p.returncode == 137, (p.stdout, p.stderr)
    assert "oom" in p.stderr and "OOM-killed" in p.stderr
    assert not helpers.find_cgroup_dirs("cinch-limit-")


def test_limit_passes_status_and_applies_limits(cinch):
    p = cinch.run("limit", "--pids-limit", "7", "--cpus", "0.25", "--", "sh", "-c",
                  "cat /proc/self/cgroup; exit 5", check=False)
    assert p.returncode == 5
    line = [l for l in p.stdout.splitlines() if ":pids:" in l or l.startswith("0::")][0]
    path = line.split(":", 2)[2]
    assert "cinch-limit-" in path
    # The cgroup is gone once the command is.
    assert not helpers.find_cgroup_dirs("cinch-limit-")
    p = cinch.run("limit", "-m", "4m", "--", "true", check=False)
    assert p.returncode == 125 and "Minimum memory limit allowed is 6MB" in p.stderr


def test_limit_reports_pids_limit(cinch):
    p = cinch.run("limit", "--pids-limit", "20", "--", f"{ROOTFS}/bin/payload", "forkbomb",
                  check=False, timeout=60)
    assert p.returncode == 0
    assert "fork failed" in p.stdout
    assert "pids-limit" in p.stderr


def cgroup_cpu_ns(cid):
    if helpers.layout() == "v2":
        stat = helpers.read_cgroup("cpu", cid, "cpu.stat")
        return int(stat.split("usage_usec ")[1].split()[0]) * 1000
    return int(helpers.read_cgroup("cpuacct", cid, "cpuacct.usage"))


def proc_stat_ns():
    """Docker's system time: the first 7 fields of /proc/stat's cpu line, in ns."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:8]
    return sum(int(x) for x in fields) * 10_000_000


def median(xs):
    return sorted(xs)[len(xs) // 2]


def test_stats_shows_half_a_cpu_for_cpus_0_5(fe):
    cid = fe.run("run", "-d", "--name", "burner", "--read-only", "--cpus", "0.5", ROOTFS,
                 "cpuburn", "60").stdout.strip()
    ncpu = len([l for l in Path("/proc/stat").read_text().splitlines()
                if l.startswith("cpu") and l[3].isdigit()])
    samples, wall_share, tick_rate = [], [], []
    for _ in range(6):
        t0, c0, s0 = time.monotonic(), cgroup_cpu_ns(cid), proc_stat_ns()
        line = fe.run("stats", "--no-stream", "--format", "json", "burner").stdout.strip()
        t1, c1, s1 = time.monotonic(), cgroup_cpu_ns(cid), proc_stat_ns()
        wall_share.append((c1 - c0) / ((t1 - t0) * 1e9) * 100)
        tick_rate.append((s1 - s0) / ((t1 - t0) * 1e9 * ncpu))
        s = json.loads(line)
        assert s["Name"] == "burner" and s["ID"] == cid and s["Container"] == cid[:12]
        samples.append(float(s["CPUPerc"].rstrip("%")))
        if len(samples) >= 3 and 45 <= median(samples) <= 55:
            break
    # The kernel holds the cap.
    assert median(wall_share) <= 55, wall_share
    # Docker's formula divides by the CPU time /proc/stat accounts; where that
    # drifts from the wall clock (steal time, an emulated CPU) its percentage
    # drifts with it, and where the host starves the container it reads low.
    if not 0.9 <= median(tick_rate) <= 1.1:
        pytest.skip(f"/proc/stat accounts {median(tick_rate):.2f} of the CPUs' wall time "
                    f"(steal or emulation): stats said {samples}, kernel share {wall_share}")
    if median(wall_share) < 45:
        pytest.skip(f"host starved of CPU: the container got only {wall_share} % of wall time "
                    f"(stats said {samples})")
    assert 45 <= median(samples) <= 55, (samples, wall_share)


# ---- exit codes -------------------------------------------------------------

@pytest.mark.parametrize("args,code", [
    (["busybox", "sh", "-c", "exit 3"], 3),
    (["busybox", "true"], 0),
    (["busybox", "nosuchcommand"], 127),
    (["busybox", "/nonexistent/bin"], 127),
    (["busybox", "/etc/passwd"], 126),
    (["busybox", "/etc"], 126),
    (["--memory", "1k", "busybox", "true"], 125),
    (["--no-such-flag", "busybox"], 125),
    (["no-such-image-xyz"], 125),
    (["--init", "busybox", "sh", "-c", "kill -9 $$"], 137),
])
def test_exit_codes(fe, args, code):
    p = fe.run("run", "--rm", *args, check=False)
    assert p.returncode == code, p.stderr
    assert fe.run("ps", "-a", "-q").stdout.strip() == ""


# ---- detached containers ----------------------------------------------------------

def test_detached_logs_and_status_survive_the_front_end(fe, tmp_path):
    p = fe.run("run", "-d", "--name", "bg", "-v", f"{tmp_path}:/mnt", "busybox", "sh", "-c",
               "echo to-out; echo to-err >&2; while [ ! -e /mnt/go ]; do sleep 0.05; done; exit 7")
    cid = p.stdout.strip()
    assert len(cid) == 64
    # The front end has exited; the OCI layer sees the container running.
    assert fe.state(cid)["status"] == "running"
    assert cid in fe.run("list").stdout
    (tmp_path / "go").touch()
    assert fe.run("wait", "bg").stdout.strip() == "7"
    logs = fe.run("logs", "bg")
    assert logs.stdout == "to-out\n" and logs.stderr == "to-err\n"
    info = json.loads(fe.run("inspect", cid[:10]).stdout)[0]
    assert info["State"]["Status"] == "exited" and info["State"]["ExitCode"] == 7
    assert info["State"]["OOMKilled"] is False and info["Name"] == "/bg"
    assert "Exited (7)" in fe.run("ps", "-a").stdout
    assert fe.run("ps", "-q").stdout.strip() == ""
    # The OCI container was released at exit; the record stays until rm.
    assert fe.ids() == []
    fe.run("rm", "bg")
    assert fe.run("ps", "-a", "-q").stdout.strip() == ""
    assert fe.run("logs", "bg", check=False).returncode == 125


def test_detached_oom_sets_oomkilled_and_emits_oom(fe):
    ev = Events(fe)
    try:
        cid = fe.run("run", "-d", "--name", "hog", "--read-only", "-m", "32m", ROOTFS,
                     "memhog", "200").stdout.strip()
        assert fe.run("wait", "hog", timeout=60).stdout.strip() == "137"
        st = json.loads(fe.run("inspect", "hog").stdout)[0]["State"]
        assert st["OOMKilled"] is True and st["ExitCode"] == 137
        ev.wait(lambda e: e["Action"] == "oom" and e["id"] == cid)
        d = ev.wait(lambda e: e["Action"] == "die" and e["id"] == cid)
        assert d["Actor"]["Attributes"]["exitCode"] == "137"
    finally:
        ev.stop()
    # A plain exit is not an OOM kill.
    fe.run("run", "-d", "--name", "calm", "-m", "32m", "busybox", "true")
    fe.run("wait", "calm")
    assert json.loads(fe.run("inspect", "calm").stdout)[0]["State"]["OOMKilled"] is False


def test_foreground_oom_kill_exits_137_with_a_reason(fe):
    p = fe.run("run", "--rm", "--read-only", "-m", "32m", "--memory-swap", "32m", ROOTFS,
               "memhog", "200", check=False, timeout=60)
    assert p.returncode == 137, p.stderr
    assert "killed by the OOM killer" in p.stderr and "memory limit" in p.stderr, p.stderr
    # A plain SIGKILL-like exit without an OOM kill says nothing of the kind.
    p = fe.run("run", "--rm", "busybox", "sh", "-c", "exit 137", check=False)
    assert p.returncode == 137 and "OOM" not in p.stderr


def test_names_prefixes_stop_rm(fe):
    cid = fe.run("run", "-d", "--name", "web", "busybox", "sleep", "100").stdout.strip()
    p = fe.run("run", "-d", "--name", "web", "busybox", "true", check=False)
    assert p.returncode == 125 and 'The container name "/web" is already in use' in p.stderr
    assert fe.run("ps", "-q").stdout.strip() == cid[:12]
    rows = [json.loads(l) for l in fe.run("ps", "--format", "json").stdout.splitlines()]
    assert rows[0]["Names"] == "web" and rows[0]["State"] == "running"
    p = fe.run("rm", "web", check=False)
    assert p.returncode != 0 and "stop the container before removing" in p.stderr
    t0 = time.monotonic()
    fe.run("stop", "-t", "1", cid[:8])  # sleep as PID 1 ignores SIGTERM: killed after 1s
    assert time.monotonic() - t0 < 8
    st = json.loads(fe.run("inspect", "web").stdout)[0]["State"]
    assert st["Status"] == "exited" and st["ExitCode"] == 137
    fe.run("rm", "web")
    generated = fe.run("run", "-d", "busybox", "true").stdout.strip()
    name = json.loads(fe.run("inspect", generated).stdout)[0]["Name"]
    assert name.startswith("/") and "_" in name


def test_kill_pause_unpause_exec_by_name(fe):
    fe.run("run", "-d", "--name", "kk", "busybox", "sh", "-c",
           "trap 'echo got-usr1' USR1; echo trap-set; while :; do sleep 0.1; done")
    helpers.wait_for(lambda: "trap-set" in fe.run("logs", "kk").stdout, what="the trap")
    fe.run("kill", "-s", "USR1", "kk")
    helpers.wait_for(lambda: "got-usr1" in fe.run("logs", "kk").stdout, what="USR1 trap")
    fe.run("pause", "kk")
    assert json.loads(fe.run("inspect", "kk").stdout)[0]["State"]["Status"] == "paused"
    fe.run("unpause", "kk")
    assert json.loads(fe.run("inspect", "kk").stdout)[0]["State"]["Status"] == "running"
    out = fe.run("exec", "kk", "cat", "/proc/1/cmdline").stdout
    assert out.startswith("sh")
    fe.run("kill", "kk")
    assert fe.run("wait", "kk").stdout.strip() == "137"


def test_rm_f_running_and_rm_flag(fe):
    fe.run("run", "-d", "--rm", "--name", "gone", "busybox", "sleep", "100")
    fe.run("rm", "-f", "gone")
    assert fe.run("ps", "-a", "-q").stdout.strip() == ""
    assert fe.ids() == []


def test_events_start_die_with_exit_code(fe):
    ev = Events(fe)
    try:
        fe.run("run", "--rm", "--name", "evt", "busybox", "sh", "-c", "exit 4", check=False)
        s = ev.wait(lambda e: e["Action"] == "start")
        d = ev.wait(lambda e: e["Action"] == "die")
        assert s["id"] == d["id"]
        assert d["Actor"]["Attributes"]["exitCode"] == "4"
        assert d["Actor"]["Attributes"]["name"] == "evt"
    finally:
        ev.stop()


# ---- terminal, init, stdin ---------------------------------------------------------

def test_tty_is_a_real_pty(fe):
    master, slave = pty.openpty()
    p = subprocess.Popen(fe.cmd("run", "--rm", "-t", "busybox", "sh", "-c", "tty; stty size"),
                         stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.5)
        if r:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        if p.poll() is not None and not r:
            break
    p.wait(timeout=10)
    os.close(master)
    assert p.returncode == 0
    assert b"/dev/pts/0" in out


def test_interactive_stdin(fe):
    p = fe.run("run", "--rm", "-i", "busybox", "sh", "-c", "read x; echo got-$x", input="abc\n")
    assert p.stdout.strip() == "got-abc"
    # Without -i the container's stdin is empty.
    p = fe.run("run", "--rm", "busybox", "sh", "-c", "cat; echo done", input="abc\n")
    assert p.stdout.strip() == "done"


def test_init_reaps_and_forwards_signals(fe):
    out = fe.run("run", "--rm", "--init", "busybox", "sh", "-c",
                 "cat /proc/1/cmdline | tr '\\0' ' '; echo; echo $$").stdout.splitlines()
    assert out[0].startswith("/dev/init cinch-init -- sh")
    assert out[1] != "1"  # the command is not PID 1
    cfg = json.loads(fe.run("run", "--dry-run", "--init", "busybox", "sleep", "1").stdout)
    assert cfg["process"]["args"][:3] == ["/dev/init", "cinch-init", "--"]
    # sleep ignores SIGTERM as PID 1; under the init the TERM reaches it.
    fe.run("run", "-d", "--init", "--name", "ii", "busybox", "sleep", "100")
    time.sleep(0.5)
    t0 = time.monotonic()
    fe.run("stop", "-t", "5", "ii")
    assert time.monotonic() - t0 < 4
    assert json.loads(fe.run("inspect", "ii").stdout)[0]["State"]["ExitCode"] == 143


# ---- which face answers ------------------------------------------------------

def test_oci_run_keeps_runcs_meaning(cinch, bundle, cid):
    b = bundle(args=["sh", "-c", "echo oci; exit 2"])
    p = cinch.run("run", "--bundle", b.path, cid, check=False)
    assert p.returncode == 2 and p.stdout.strip() == "oci"
    # `run ID` inside a bundle directory is runc's too.
    p = cinch.run("run", cid, check=False, cwd=b.path)
    assert p.returncode == 2 and p.stdout.strip() == "oci"


def test_docker_ps_and_events_need_no_id(fe):
    assert fe.run("ps").stdout.startswith("CONTAINER ID")
    assert fe.run("ps", "-a", "--format", "json").stdout == ""


def test_help_for_every_command(cinch):
    for cmd in ["stop", "rm", "logs", "wait", "inspect", "stats", "events", "limit", "ps",
                "kill"]:
        p = cinch.run(cmd, "--help")
        assert p.stdout.startswith(f"Usage: cinch {cmd}"), cmd
    out = cinch.run("run", "--help-docker").stdout
    for flag in ["--cpus", "--memory-swap", "--pids-limit", "--ulimit", "--cap-add",
                 "--security-opt", "--network", "--init", "--tmpfs", "--device", "--rm",
                 "--detach", "--tty"]:
        assert flag in out, flag
    assert "--network none" in out


def test_update_with_docker_flags(fe):
    cid = fe.run("run", "-d", "--name", "upd", "-m", "64m", "busybox", "sleep", "100").stdout.strip()
    fe.run("update", "-m", "128m", "--memory-swap", "256m", "--cpus", "0.5", "--pids-limit", "50",
           "upd")
    if helpers.layout() == "v2":
        assert helpers.read_cgroup("memory", cid, "memory.max") == "134217728"
        assert helpers.read_cgroup("cpu", cid, "cpu.max") == "50000 100000"
    else:
        assert helpers.read_cgroup("memory", cid, "memory.limit_in_bytes") == "134217728"
        assert helpers.read_cgroup("cpu", cid, "cpu.cfs_quota_us") == "50000"
    assert helpers.read_cgroup("pids", cid, "pids.max") == "50"
    p = fe.run("update", "--cpus", "99", "upd", check=False)
    assert p.returncode == 125 and "range of CPUs is from 0.01" in p.stderr
    p = fe.run("update", "-m", "512m", "upd", check=False)
    assert p.returncode == 125 and "smaller than already set memoryswap limit" in p.stderr


def test_exec_docker_style(fe):
    fe.run("run", "-d", "--name", "ex", "busybox", "sleep", "100")
    out = fe.run("exec", "-u", "app", "-w", "/tmp", "-e", "A=b", "ex", "sh", "-c",
                 "id -u; pwd; echo $A").stdout.split()
    assert out == ["1000", "/tmp", "b"]
    p = fe.run("exec", "-i", "ex", "cat", input="piped\n")
    assert p.stdout == "piped\n"
    assert fe.run("exec", "ex", "sh", "-c", "exit 6", check=False).returncode == 6


def test_man_page_lists_every_run_flag(cinch):
    import re
    man = (helpers.REPO / "docs" / "cinch.1").read_text().replace("\\-", "-")
    usage = cinch.run("run", "--help-docker").stdout
    flags = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", usage))
    assert len(flags) > 50
    missing = sorted(f for f in flags if f not in man)
    assert not missing, missing
    for cmd in ["stop", "rm", "logs", "wait", "inspect", "stats", "events", "limit", "ps", "exec",
                "update", "kill", "pause", "unpause", "attach"]:
        usage = cinch.run(cmd, "--help-docker").stdout
        assert usage.startswith("Usage: cinch"), cmd
        for f in set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", usage)):
            assert f in man, (cmd, f)


def test_container_management_form_and_privileged_devices(fe):
    assert fe.run("container", "run", "--rm", "busybox", "echo", "hi").stdout == "hi\n"
    assert fe.run("container", "ls", "-a").stdout.startswith("CONTAINER ID")
    host = sorted(p.name for p in Path("/dev").iterdir()
                  if p.name.startswith("loop") and p.is_block_device())
    out = fe.run("run", "--rm", "--privileged=true", "busybox", "ls", "/dev").stdout.split()
    assert host and set(host) <= set(out)
    assert not any(n.startswith("loop") for n in
                   fe.run("run", "--rm", "busybox", "ls", "/dev").stdout.split())
    p = fe.run("run", "--rm", "--cap-add", "SYS_RESOURCE", "busybox", "true", check=False)
    if "CAP_SYS_RESOURCE" not in Path("/proc/self/status").read_text() and p.returncode:
        assert "not available in the current environment" in p.stderr


def _pty_session(argv, steps, timeout=20):
    """Runs argv on a new pty; steps: list of (bytes to send, bytes to wait for).
    Returns (exit code, everything read)."""
    master, slave = pty.openpty()
    p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    out = b""

    def read_until(needle):
        nonlocal out
        deadline = time.monotonic() + timeout
        while needle not in out and time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    out += os.read(master, 4096)
                except OSError:
                    return
    for send, expect in steps:
        if send:
            os.write(master, send)
        if expect:
            read_until(expect)
            assert expect in out, out
    try:
        p.wait(timeout=timeout)
        while select.select([master], [], [], 0.3)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(master)
    return p.returncode, out


def test_attach_and_detach_keys(fe):
    cid = fe.run("run", "-dit", "--name", "att", "busybox", "sh").stdout.strip()
    # Attach, type, detach with Ctrl-P Ctrl-Q: the container keeps running.
    code, out = _pty_session(fe.cmd("attach", "att"),
                             [(b"echo hel''lo\n", b"hello"), (b"\x10\x11", None)])
    assert code == 0 and b"read escape sequence" in out
    assert json.loads(fe.run("inspect", "att").stdout)[0]["State"]["Status"] == "running"
    # Attach again and end the shell: attach returns its status.
    code, out = _pty_session(fe.cmd("attach", cid[:12]),
                             [(b"echo again''x\n", b"againx"), (b"exit 3\n", None)])
    assert code == 3
    assert fe.run("wait", "att").stdout.strip() == "3"
    assert b"hello" in fe.run("logs", "att").stdout.encode()


def test_device_write_bps_throttles_direct_io(fe):
    # The seed's `docker run --device-write-bps /dev/vda:30M` then dd oflag=direct.
    with helpers.loop_device(16) as (dev, _):
        out = fe.run("run", "--rm", "--read-only", "--device", f"{dev}:/dev/xdisk",
                     "--device-write-bps", f"{dev}:1mb", ROOTFS,
                     "iowrite", "/dev/xdisk", "3", "--direct", timeout=60).stdout
        rate = float(out.split("s: ")[1].split(" MB/s")[0])
        assert rate < 1.3, out  # 1 MiB/s allowed, plus the kernel's first-slice slack


def test_run_it_sees_the_first_prompt_detaches_and_returns_status(fe):
    # The first prompt is not lost: the terminal is attached before the start.
    code, out = _pty_session(fe.cmd("run", "-it", "--rm", "--name", "itrm", "busybox", "sh"),
                             [(None, b"# "), (b"echo in''side\n", b"inside"), (b"exit 5\n", None)])
    assert code == 5, out
    assert fe.run("ps", "-a", "-q").stdout.strip() == ""
    # Ctrl-P Ctrl-Q leaves `run -it` and the container running; attach comes back.
    code, out = _pty_session(fe.cmd("run", "-it", "--name", "itd", "busybox", "sh"),
                             [(None, b"# "), (b"\x10\x11", None)])
    assert code == 0 and b"read escape sequence" in out
    assert json.loads(fe.run("inspect", "itd").stdout)[0]["State"]["Status"] == "running"
    code, _ = _pty_session(fe.cmd("attach", "itd"), [(b"exit 2\n", None)])
    assert code == 2
    # A command that cannot start still gets Docker's status through the terminal path.
    code, out = _pty_session(fe.cmd("run", "-it", "--rm", "busybox", "nosuchcmd"), [])
    assert code == 127 and b"not found" in out


def test_a_killed_foreground_front_end_leaves_a_removable_container(fe):
    p = fe.popen("run", "--name", "orph", "busybox", "sleep", "100")
    helpers.wait_for(lambda: fe.run("ps", "-q").stdout.strip(), what="the container to run")
    p.kill()
    p.wait()
    # The container outlives its monitor and can still be stopped and removed.
    assert "Up " in fe.run("ps").stdout
    fe.run("stop", "-t", "1", "orph", timeout=30)
    assert "Dead" in fe.run("ps", "-a").stdout or "Exited" in fe.run("ps", "-a").stdout
    helpers.reap_container_zombies()
    fe.run("rm", "orph")
    assert fe.run("ps", "-a", "-q").stdout.strip() == ""
    assert fe.ids() == []


def test_logs_follow_until_exit(fe, tmp_path):
    fe.run("run", "-d", "--name", "lf", "-v", f"{tmp_path}:/mnt", "busybox", "sh", "-c",
           "echo first; while [ ! -e /mnt/go ]; do sleep 0.05; done; echo second")
    p = fe.popen("logs", "-f", "lf")
    helpers.wait_for(lambda: "first" in fe.run("logs", "lf").stdout, what="first line")
    time.sleep(0.3)
    assert p.poll() is None  # still following
    (tmp_path / "go").touch()
    out, _ = p.communicate(timeout=20)
    assert out == "first\nsecond\n"
