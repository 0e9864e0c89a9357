"""Fixtures for cinch's integration tests.

The runtime under test is $CINCH (default <repo>/build/cinch), so the same suite
can judge runc: CINCH=/usr/sbin/runc python3 -m pytest tests/integration.

  cinch    Runtime: .bin, .root (a private --root), .run(), .popen(), .state()
  bundle   factory: bundle(args=[...], terminal=False, copy_rootfs=False) -> Bundle
  cid      a unique container id ("cinch-t-...")

After each test every container under the test's root is force-deleted, and the
test fails if a cgroup directory, mount, state entry or process of it is left."""

import copy
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import helpers  # noqa: E402

TEST_ROOTFS = Path(os.environ.get("CINCH_TEST_ROOTFS", helpers.REPO / "build" / "test-rootfs"))


def _world_traversable(path):
    return all(os.stat(p).st_mode & 0o001 for p in [path, *path.parents])


# A container in a user namespace mounts its rootfs as the mapped root, which
# must be able to walk the path: a checkout under /root (0700) cannot serve.
# Then the session uses a copy in /tmp (the env var carries it to the test
# modules that read it).
if TEST_ROOTFS.exists() and not _world_traversable(TEST_ROOTFS.resolve()):
    import atexit
    _copy_dir = Path(tempfile.mkdtemp(prefix="cinch-test-rootfs-", dir="/tmp"))
    _copy_dir.chmod(0o755)
    subprocess.run(["cp", "-a", str(TEST_ROOTFS), str(_copy_dir / "rootfs")], check=True)
    TEST_ROOTFS = _copy_dir / "rootfs"
    os.environ["CINCH_TEST_ROOTFS"] = str(TEST_ROOTFS)
    atexit.register(shutil.rmtree, str(_copy_dir), True)

# runc's `runc spec` (1.1.5), minus the terminal and the cgroup mount: the
# baseline every test starts from and edits.
DEFAULT_SPEC = {
    "ociVersion": "1.0.2-dev",
    "process": {
        "terminal": False,
        "user": {"uid": 0, "gid": 0},
        "args": ["sh"],
        "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "TERM=xterm"],
        "cwd": "/",
        "capabilities": {
            k: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
            for k in ("bounding", "effective", "permitted", "ambient")
        },
        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
        "noNewPrivileges": True,
    },
    "root": {"path": "rootfs", "readonly": True},
    "hostname": "cinch",
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
         "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
         "options": ["nosuid", "noexec", "nodev", "ro"]},
    ],
    "linux": {
        "resources": {"devices": [{"allow": False, "access": "rwm"}]},
        "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
        "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                        "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
        "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                          "/proc/sysrq-trigger"],
    },
}


def runtime_bin():
    return os.environ.get("CINCH", str(helpers.REPO / "build" / "cinch"))


def is_runc():
    """Some tests document a deliberate difference from runc."""
    return os.path.basename(runtime_bin()).startswith("runc")


class RuntimeFailed(AssertionError):
    pass


class Runtime:
    """Drives the binary under test with a private --root."""

    def __init__(self, binary, root, tracker):
        self.bin = binary
        self.root = root
        self._tracker = tracker
        self._popens = []

    def cmd(self, *args, root=True):
        """The argv for a call; --root goes before the subcommand, as engines send it."""
        args = [str(a) for a in args]
        for a in args:
            if a.startswith(helpers.ID_PREFIX):
                self._tracker.ids.add(a)
        return [self.bin] + (["--root", self.root] if root else []) + args

    def run(self, *args, check=True, timeout=60, input=None, root=True, env=None, cwd=None):
        """Runs to completion; stdout/stderr captured as text. With check=True a
        non-zero exit raises with both outputs in the message."""
        argv = self.cmd(*args, root=root)
        # Files, not pipes: a created or detached container inherits our stdout and
        # stderr and would hold a pipe open long after the runtime exited.
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=cwd,
                                    stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL)
            try:
                if input is not None:
                    proc.stdin.write(input.encode())
                    proc.stdin.close()
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise RuntimeFailed(f"{' '.join(argv)} timed out after {timeout}s")
            out.seek(0)
            err.seek(0)
            p = subprocess.CompletedProcess(argv, proc.returncode,
                                            out.read().decode(errors="replace"),
                                            err.read().decode(errors="replace"))
        if check and p.returncode != 0:
            raise RuntimeFailed(f"{' '.join(argv)} exited {p.returncode}\n"
                                f"stdout: {p.stdout}\nstderr: {p.stderr}")
        return p

    def popen(self, *args, root=True, **kw):
        """Starts without waiting (text mode, stdin /dev/null, stdout/stderr piped
        unless given). Still running at teardown means killed."""
        kw.setdefault("stdin", subprocess.DEVNULL)
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        kw.setdefault("text", True)
        p = subprocess.Popen(self.cmd(*args, root=root), **kw)
        self._popens.append(p)
        return p

    def state(self, cid):
        return json.loads(self.run("state", cid).stdout)

    def ids(self):
        """Container ids with a state entry under our root."""
        try:
            return sorted(e for e in os.listdir(self.root) if not e.startswith("."))
        except FileNotFoundError:
            return []

    def _stop_popens(self):
        for p in self._popens:
            if p.poll() is None:
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            for f in (p.stdout, p.stderr):
                if f:
                    f.close()


class Bundle:
    """An OCI bundle in tmp: .path, .config (dict), .rootfs, .save()."""

    def __init__(self, path, rootfs, config):
        self.path = path
        self.rootfs = rootfs
        self.config = config

    @property
    def process(self):
        return self.config["process"]

    @property
    def linux(self):
        return self.config["linux"]

    def save(self):
        (self.path / "config.json").write_text(json.dumps(self.config, indent=2))
        return self


class Tracker:
    """What a test made: ids, bundles, roots; checked for leftovers at the end."""

    def __init__(self):
        self.ids = set()
        self.paths = set()
        self.pids = {}  # pid -> start time, learned from `state`


def pytest_report_header(config):
    binary = runtime_bin()
    try:
        version = subprocess.run([binary, "--version"], capture_output=True, text=True,
                                 timeout=10).stdout.splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        version = "not runnable"
    return [f"runtime under test: {binary} ({version})",
            f"cgroup layout: {helpers.layout()}, test rootfs: {TEST_ROOTFS}"]


ROOT_PREFIX = "cinch-root-"


def _sweep_stale_roots():
    """Roots of test sessions that were killed before their teardown (their pid
    is in the name): clean what their containers left, then the roots."""
    tmp = Path(tempfile.gettempdir())
    for root in tmp.glob(f"{ROOT_PREFIX}*-*"):
        owner = root.name[len(ROOT_PREFIX):].split("-")[0]
        if not owner.isdigit() or helpers.pid_alive(int(owner)):
            continue
        tracker = Tracker()
        tracker.ids.update(e.name for e in root.iterdir() if not e.name.startswith("."))
        binary = runtime_bin()
        for cid in tracker.ids:
            if os.access(binary, os.X_OK):
                subprocess.run([binary, "--root", str(root), "delete", "--force", cid],
                               capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
        _leftovers(tracker)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _session_setup():
    helpers.become_subreaper()
    _sweep_stale_roots()
    yield
    helpers.reap_container_zombies()


@pytest.fixture
def _tracker():
    tracker = Tracker()
    yield tracker
    problems = _leftovers(tracker)
    helpers.reap_container_zombies()
    if problems:
        pytest.fail("left behind after the test:\n  " + "\n  ".join(problems), pytrace=False)


def _leftovers(tracker):
    """Reports and then removes whatever the containers left, so one broken test
    does not break the next (the CI machine is this machine)."""
    problems = []
    deadline = time.monotonic() + 10  # generous: the machine is shared and loaded

    def settle(probe):
        # Exit and cgroup removal are asynchronous; give them a moment.
        while True:
            found = probe()
            if not found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    for cid in sorted(tracker.ids):
        for pid in settle(lambda: helpers.pids_in_cgroups_named(cid)):
            problems.append(f"process {pid} of {cid} ({_comm(pid)})")
            _kill(pid)
        for d in settle(lambda: [d for d in helpers.find_cgroup_dirs(cid) if d.exists()]):
            problems.append(f"cgroup {d}")
            _rm_cgroup(d)
    for pid, start in tracker.pids.items():
        if helpers.pid_alive(pid, start):
            problems.append(f"process {pid} ({_comm(pid)})")
            _kill(pid)
    # The shared rootfs too: a mount namespace left shared would propagate the
    # container's mounts under it back to the host.
    needles = list(tracker.ids) + [str(p) for p in tracker.paths] + [str(TEST_ROOTFS)]
    for line in settle(lambda: helpers.mounts_mentioning(*needles)):
        problems.append(f"mount {line}")
    for line in reversed(helpers.mounts_mentioning(*needles)):
        subprocess.run(["umount", "-l", _unescape_mp(line)], capture_output=True)
    return problems


def _comm(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ").strip()
    except OSError:
        return "?"


def _kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _rm_cgroup(d):
    # Processes just killed may not have left yet (EBUSY): retry for a while.
    deadline = time.monotonic() + 3
    while d.exists():
        for sub in sorted((p for p in d.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            try:
                sub.rmdir()
            except OSError:
                pass
        try:
            d.rmdir()
        except OSError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.05)


def _unescape_mp(line):
    return helpers._unescape(line.split(" - ")[0].split()[4])


@pytest.fixture
def cinch(_tracker):
    binary = runtime_bin()
    if not os.access(binary, os.X_OK):
        pytest.fail(f"runtime under test {binary} is missing: run `make` (or set CINCH)",
                    pytrace=False)
    # Short and in /tmp: runtimes put unix sockets under --root (108-byte limit).
    # Our pid in the name lets a later session sweep it if we get killed.
    root = tempfile.mkdtemp(prefix=f"{ROOT_PREFIX}{os.getpid()}-")
    _tracker.paths.add(root)
    rt = Runtime(binary, root, _tracker)
    yield rt
    try:
        problems = _teardown_runtime(rt, _tracker)
    finally:
        _tracker.ids.update(rt.ids())
        shutil.rmtree(root, ignore_errors=True)
    if problems:
        # Raised after _tracker's own checks would hide them; record for it instead.
        _tracker.ids.update(rt.ids())
        pytest.fail("teardown: " + "\n  ".join(problems), pytrace=False)


def _teardown_runtime(rt, tracker):
    problems = []
    tracker.ids.update(rt.ids())
    for cid in rt.ids():
        try:
            _force_delete(rt, tracker, cid, problems)
        except (RuntimeFailed, OSError) as e:  # hung or unrunnable: report, check the rest
            problems.append(f"delete --force {cid}: {e}")
    rt._stop_popens()
    left = rt.ids()
    if left:
        problems.append(f"state entries left in {rt.root}: {left}")
    return problems


def _force_delete(rt, tracker, cid, problems):
    # Remember the init so a runtime that loses track of it is caught.
    st = rt.run("state", cid, check=False, timeout=30)
    if st.returncode == 0:
        try:
            state = json.loads(st.stdout)
        except ValueError:
            state = {}
        # A stopped container's pid may belong to someone else by now.
        pid = state.get("pid") or 0 if state.get("status") != "stopped" else 0
        stat = helpers.proc_stat(pid) if pid > 0 else None
        if stat:
            tracker.pids[pid] = stat[1]
    d = rt.run("delete", "--force", cid, check=False, timeout=30)
    if d.returncode != 0:
        problems.append(f"delete --force {cid} exited {d.returncode}: {d.stderr.strip()}")


@pytest.fixture
def bundle(tmp_path, _tracker):
    """bundle(args=[...], terminal=False, copy_rootfs=False) -> Bundle, saved.

    The rootfs is the shared, prebuilt build/test-rootfs (mounted read-only:
    root.readonly is true); copy_rootfs=True gives a private writable copy, needed
    by any test whose mounts need targets that do not exist in the image."""
    if not (TEST_ROOTFS / "bin" / "payload").exists():
        pytest.fail(f"{TEST_ROOTFS} is missing or has no /bin/payload: run `make` first",
                    pytrace=False)
    count = [0]

    def make(args=None, terminal=False, copy_rootfs=False):
        path = tmp_path / f"bundle{count[0]}"
        count[0] += 1
        path.mkdir()
        _tracker.paths.add(str(path))
        config = copy.deepcopy(DEFAULT_SPEC)
        config["process"]["args"] = list(args or ["sleep-forever"])
        config["process"]["terminal"] = terminal
        if copy_rootfs:
            rootfs = path / "rootfs"
            subprocess.run(["cp", "-a", str(TEST_ROOTFS), str(rootfs)], check=True)
            config["root"] = {"path": "rootfs", "readonly": False}
        else:
            rootfs = TEST_ROOTFS
            config["root"] = {"path": str(TEST_ROOTFS), "readonly": True}
        return Bundle(path, rootfs, config).save()

    return make


@pytest.fixture
def cid(_tracker):
    c = helpers.new_cid()
    _tracker.ids.add(c)
    return c
