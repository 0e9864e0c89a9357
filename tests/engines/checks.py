"""Assertions shared by the engine tests."""

import json
import os
import subprocess

from enginelib import layout, wait_for

MiB = 1024 * 1024


def cgroup_file_in_container(name):
    """Where a container sees its own cgroup file with the engines' ro cgroup mount."""
    if layout() == "v2":
        return f"/sys/fs/cgroup/{name}"
    return f"/sys/fs/cgroup/{name.split('.')[0]}/{name}"


def bomb_script(seconds=6):
    """A shell fork bomb, then pid 1 waits (a builtin read with a timeout on a FIFO made
    beforehand: forking is impossible by then, and a spin loop would race the host's
    checks), then reports pids.max and pids.events read from inside with builtins."""
    mx = cgroup_file_in_container("pids.max")
    ev = cgroup_file_in_container("pids.events")
    # The bomb runs in a subshell: ash forks each pipeline member from the shell itself,
    # and a failed fork ends a non-interactive shell (exit 2), which must not be pid 1.
    # read -t returns early when SIGCHLD from the dying bomb interrupts it: loop on
    # /proc/uptime (read with a builtin too) until the time is really up.
    return ("mkfifo /dev/shm/wait; read m < %s; echo pids.max=$m; (f(){ f|f& };f) & "
            "read up x < /proc/uptime; end=$(( ${up%%.*} + %d )); "
            "while [ ${up%%.*} -lt $end ]; do read -t 1 x <> /dev/shm/wait; read up x < /proc/uptime; done; "
            "read e < %s; echo pids.events=$e; echo survived" % (mx, seconds, ev))


def assert_gone(dirs, what="container", timeout=10):
    """The runtime removed the container's cgroup directories."""
    wait_for(lambda: not [d for d in dirs.values() if os.path.isdir(d)], timeout)
    left = [d for d in dirs.values() if os.path.isdir(d)]
    assert not left, f"{what}: cgroup dirs still present after removal: {left}"


def assert_pid_gone(pid, timeout=15):
    def gone():
        try:
            with open(f"/proc/{pid}/status") as f:
                return "State:\tZ" in f.read()
        except OSError:
            return True
    assert wait_for(gone, timeout), f"process {pid} still alive"


def features_json(runtime):
    p = subprocess.run([runtime, "features"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, f"{runtime} features: exit {p.returncode}: {p.stderr.strip()}"
    return json.loads(p.stdout)


# mount flags a runtime turns into MS_* bits (runtime-spec features.md: mountOptions
# lists the recognized ones; data options such as mode=755 go to the kernel as they are)
FLAG_OPTIONS = {
    "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "iversion", "lazytime", "loud",
    "mand", "noatime", "nodev", "nodiratime", "noexec", "noiversion", "nolazytime", "nomand", "norelatime",
    "nostrictatime", "nosuid", "nosymfollow", "private", "rbind", "relatime", "remount", "ro", "rprivate",
    "rshared", "rslave", "runbindable", "rw", "shared", "silent", "slave", "strictatime", "suid", "symfollow",
    "sync", "unbindable", "recursive", "norecursive",
}


def features_cover_config(feat, config):
    """Everything the engine's config.json asks for that features.md lets a runtime declare
    is declared; returns a list of what is missing."""
    missing = []
    lin = feat.get("linux", {})
    ns = set(lin.get("namespaces", []))
    for n in config.get("linux", {}).get("namespaces", []):
        if n["type"] not in ns:
            missing.append(f"namespace {n['type']}")
    caps = set(lin.get("capabilities", []))
    for kind, lst in config.get("process", {}).get("capabilities", {}).items():
        for c in lst:
            if c not in caps:
                missing.append(f"capability {c} ({kind})")
    mopts = set(feat.get("mountOptions", []))
    for m in config.get("mounts", []):
        for o in m.get("options", []):
            if o in FLAG_OPTIONS and o not in mopts:
                missing.append(f"mount option {o} ({m['destination']})")
    sc = config.get("linux", {}).get("seccomp")
    if sc:
        fs = lin.get("seccomp", {})
        if not fs.get("enabled"):
            missing.append("seccomp (features says disabled)")
        acts, ops, archs = set(fs.get("actions", [])), set(fs.get("operators", [])), set(fs.get("archs", []))
        if sc.get("defaultAction") not in acts:
            missing.append(f"seccomp action {sc.get('defaultAction')}")
        for a in sc.get("architectures", []):
            if a not in archs:
                missing.append(f"seccomp arch {a}")
        for r in sc.get("syscalls", []):
            if r["action"] not in acts:
                missing.append(f"seccomp action {r['action']}")
            for arg in r.get("args", []):
                if arg["op"] not in ops:
                    missing.append(f"seccomp operator {arg['op']}")
    cg = lin.get("cgroup", {})
    if layout() in ("v1", "hybrid") and not cg.get("v1"):
        missing.append("cgroup.v1 (this host has v1 controllers)")
    if layout() == "v2" and not cg.get("v2"):
        missing.append("cgroup.v2")
    for h in ("prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"):
        if config.get("hooks", {}).get(h) and h not in feat.get("hooks", []):
            missing.append(f"hook {h}")
    return sorted(set(missing))


def features_well_formed(feat):
    """features.md shape: version bounds, lists of strings, booleans where booleans go."""
    errs = []
    for k in ("ociVersionMin", "ociVersionMax"):
        if not isinstance(feat.get(k), str):
            errs.append(f"{k} missing")
    for k in ("hooks", "mountOptions"):
        if k in feat and not all(isinstance(x, str) for x in feat[k]):
            errs.append(f"{k} not a list of strings")
    lin = feat.get("linux", {})
    for k in ("namespaces", "capabilities"):
        if k in lin and not all(isinstance(x, str) for x in lin[k]):
            errs.append(f"linux.{k} not a list of strings")
    for k, v in lin.get("cgroup", {}).items():
        if not isinstance(v, bool):
            errs.append(f"linux.cgroup.{k} not a boolean")
    return errs
