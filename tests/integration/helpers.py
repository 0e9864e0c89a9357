"""Helpers for cinch's integration tests: cgroup layout and files, waiting,
loop devices, and the leftover checks the fixtures run after every test.

Nothing here writes into the repository: the suite also runs on a read-only
copy of the tree (the cgroup v2 guest), so scratch files go to tempfile."""

import contextlib
import ctypes
import os
import re
import secrets
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CGROUP_ROOT = Path("/sys/fs/cgroup")
ID_PREFIX = "cinch-t-"


def new_cid():
    """A container id no other test (or other agent on the machine) uses."""
    return ID_PREFIX + secrets.token_hex(5)


# ---- cgroups ---------------------------------------------------------------

def _cgroup_mounts():
    """[(mount point, fstype, super options)] of every cgroup mount we can see."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            fstype, _source, sopts = right.split()[:3]
            if fstype in ("cgroup", "cgroup2"):
                out.append((_unescape(left.split()[4]), fstype, sopts.split(",")))
    return out


def layout():
    """"v2" (one unified hierarchy), "hybrid" (v1 controllers plus a cgroup2 mount,
    as on the dev host) or "v1"."""
    mounts = _cgroup_mounts()
    if any(mp == str(CGROUP_ROOT) and t == "cgroup2" for mp, t, _ in mounts):
        return "v2"
    if any(t == "cgroup2" for _, t, _ in mounts):
        return "hybrid"
    return "v1"


def _v1_mount(controller):
    for mp, fstype, sopts in _cgroup_mounts():
        if fstype == "cgroup" and (controller in sopts or f"name={controller}" in sopts):
            return Path(mp)
    return None


def _v2_mount():
    for mp, fstype, _ in _cgroup_mounts():
        if fstype == "cgroup2":
            return Path(mp)
    return None


def hierarchy(controller):
    """The mount point holding `controller`: its v1 hierarchy, or the cgroup2 mount
    (v2 hosts; controllers that hybrid hosts only have on v2, e.g. hugetlb here)."""
    if layout() != "v2":
        mp = _v1_mount(controller)
        if mp is not None:
            return mp
    mp = _v2_mount()
    if mp is None:
        raise AssertionError(f"no cgroup hierarchy has controller {controller!r}")
    return mp


def all_hierarchies():
    return [Path(mp) for mp, _, _ in _cgroup_mounts()]


def find_cgroup_dirs(needle):
    """Every cgroup directory, in every hierarchy, whose name contains `needle`."""
    found = []
    for top in all_hierarchies():
        for dirpath, dirnames, _ in os.walk(top):
            for d in dirnames:
                if needle in d:
                    found.append(Path(dirpath) / d)
    return sorted(set(found))


def cgroup_dir(controller, cid_or_path):
    """The cgroup directory of a container for `controller`.

    With a path ("/cinch/abc", "abc/def") it is taken relative to the hierarchy's
    root. With a bare container id, the directory the runtime made for it is
    searched for (a directory named after, or containing, the id), so tests do
    not depend on where a runtime puts its cgroups."""
    top = hierarchy(controller)
    if "/" in cid_or_path:
        return top / cid_or_path.strip("/")
    matches = [p for p in find_cgroup_dirs(cid_or_path) if top in p.parents]
    if not matches:
        raise AssertionError(f"no {controller} cgroup directory for {cid_or_path} under {top}")
    # Runtimes may nest (e.g. an init sub-cgroup); the outermost is the container's.
    return min(matches, key=lambda p: len(p.parts))


def read_cgroup(controller, cgpath, file):
    """Contents (stripped) of a cgroup file. cgpath as in cgroup_dir(); on v1 that
    is /sys/fs/cgroup/<ctrl>/<path>/<file>, on v2 /sys/fs/cgroup/<path>/<file>."""
    return (cgroup_dir(controller, cgpath) / file).read_text().strip()


def cgroup_of_pid(pid, controller):
    """The cgroup path (relative to its hierarchy) of a live process."""
    v2 = layout() == "v2" or _v1_mount(controller) is None
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        hid, ctrls, path = line.split(":", 2)
        if v2 and hid == "0":
            return path
        if not v2 and (controller in ctrls.split(",") or ctrls == f"name={controller}"):
            return path
    raise AssertionError(f"pid {pid} has no {controller} cgroup")


# ---- processes -----------------------------------------------------------

def proc_stat(pid):
    """(state letter, start time in clock ticks) or None when pid does not exist."""
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = data[data.rindex(")") + 2:].split()
    return fields[0], int(fields[19])


def pid_alive(pid, starttime=None):
    """True while `pid` is a running (not zombie) process, and the same one if
    starttime is given."""
    st = proc_stat(pid)
    if st is None or st[0] in "ZX":
        return False
    return starttime is None or st[1] == starttime


def pids_in_cgroups_named(needle):
    """Live processes whose cgroup path, in any hierarchy, mentions needle."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/cgroup").read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if needle in text and pid_alive(int(entry)):
            pids.append(int(entry))
    return pids


def mounts_mentioning(*needles):
    """Lines of our mountinfo that mention any of the needles."""
    needles = [str(n) for n in needles if n]
    with open("/proc/self/mountinfo") as f:
        return [l.rstrip("\n") for l in f if any(n in _unescape(l) for n in needles)]


def _unescape(s):
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)


_PR_SET_CHILD_SUBREAPER = 36


def become_subreaper():
    """Orphaned container inits get reparented to us rather than to a pid 1 that
    may never reap them (it does not on the dev host), so we can reap them."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def reap_container_zombies():
    """Reap our zombie children that lived in another pid namespace (container
    processes reparented to us); our own subprocess children are left alone."""
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        fields = dict(l.split(":\t", 1) for l in status.splitlines() if ":\t" in l)
        if fields.get("PPid", "").strip() != str(me) or not fields.get("State", "").startswith("Z"):
            continue
        if len(fields.get("NSpid", "").split()) < 2:
            continue
        with contextlib.suppress(ChildProcessError):
            os.waitpid(int(entry), os.WNOHANG)


# ---- waiting ---------------------------------------------------------------

def wait_for(pred, timeout=10, interval=0.05, what=None):
    """Polls pred() until it returns something truthy and returns that; raises
    AssertionError after `timeout` seconds so a forgotten `assert` still fails."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or pred}"
                                 f" (last value {value!r})")
        time.sleep(interval)


# ---- block devices -----------------------------------------------------------

@contextlib.contextmanager
def loop_device(size_mb, fs=None):
    """A loop device over a sparse file in tmp, optionally formatted (fs="ext4").
    Yields (device path, "major:minor"); always detached afterwards."""
    with tempfile.TemporaryDirectory(prefix="cinch-loop-") as tmp:
        backing = Path(tmp) / "disk.img"
        with open(backing, "wb") as f:
            f.truncate(size_mb << 20)
        dev = subprocess.run(["losetup", "--find", "--show", str(backing)], check=True,
                             capture_output=True, text=True).stdout.strip()
        try:
            if fs:
                subprocess.run([f"mkfs.{fs}", "-q", "-F", dev], check=True, capture_output=True)
            st = os.stat(dev)
            yield dev, f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
        finally:
            subprocess.run(["losetup", "-d", dev], check=False, capture_output=True)
