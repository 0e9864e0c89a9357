"""Namespaces: each one is really private (or really shared when joined by
path), seen from inside the container and checked against the host."""

import os
import re
import subprocess
import time

import pytest

import helpers


def run(cinch, bundle, cid, args, check=True, **spec):
    b = bundle(args=args, **spec.pop("bundle_kw", {}))
    for k, v in spec.items():
        if k == "linux":
            b.config["linux"].update(v)
        elif k == "process":
            b.config["process"].update(v)
        else:
            b.config[k] = v
    b.save()
    return cinch.run("run", "--bundle", b.path, cid, check=check)


def ns_inode(pid, ns):
    return os.stat(f"/proc/{pid}/ns/{ns}").st_ino


def test_pid_namespace_makes_the_process_pid_1(cinch, bundle, cid):
    out = run(cinch, bundle, cid, ["pid1"]).stdout
    assert out.strip() == "pid=1 ppid=0"


def test_pid_namespace_hides_host_processes(cinch, bundle, cid):
    out = run(cinch, bundle, cid, ["sh", "-c", "ls /proc | grep -c '^[0-9]'"]).stdout
    # sh and ls (and the grep) only; the host has hundreds
    assert int(out.strip()) <= 4


def test_hostname_and_domainname_in_uts_namespace(cinch, bundle, cid):
    out = run(cinch, bundle, cid, ["sh", "-c", "hostname; cat /proc/sys/kernel/domainname"],
              hostname="inner-host", domainname="inner.example").stdout.split()
    assert out == ["inner-host", "inner.example"]
    assert os.uname().nodename != "inner-host"


def test_hostname_without_uts_namespace_is_refused(cinch, bundle, cid):
    b = bundle(args=["true"])
    b.config["linux"]["namespaces"] = [n for n in b.config["linux"]["namespaces"]
                                       if n["type"] != "uts"]
    b.save()
    p = cinch.run("run", "--bundle", b.path, cid, check=False)
    assert p.returncode != 0
    assert "hostname" in p.stderr and "UTS" in p.stderr


def test_network_namespace_has_only_loopback(cinch, bundle, cid):
    out = run(cinch, bundle, cid, ["sh", "-c", "ls /sys/class/net"]).stdout.split()
    assert out == ["lo"]


def test_ipc_namespace_is_private(cinch, bundle, cid):
    # A SysV segment made on the host is invisible inside.
    mk = subprocess.run(["ipcmk", "-M", "4096", "-p", "0600"], capture_output=True, text=True,
                        check=True)
    shmid = re.search(r"(\d+)\s*$", mk.stdout).group(1)
    try:
        host = open("/proc/sysvipc/shm").read().splitlines()[1:]
        assert any(l.split()[1] == shmid for l in host)
        out = run(cinch, bundle, cid, ["cat", "/proc/sysvipc/shm"]).stdout
        assert [l for l in out.splitlines()[1:] if l.strip()] == []
    finally:
        subprocess.run(["ipcrm", "-m", shmid], capture_output=True)


def test_mount_namespace_is_private(cinch, bundle, cid):
    out = run(cinch, bundle, cid, ["cat", "/proc/self/mountinfo"]).stdout
    inside = {l.split()[4] for l in out.splitlines()}
    with open("/proc/self/mountinfo") as f:
        host = {l.split()[4] for l in f}
    # the rootfs is "/", the old root is gone, host mounts are not there
    assert "/" in inside and "/proc" in inside and "/dev/pts" in inside
    assert not (host - {"/", "/proc", "/sys", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue",
                        "/sys/firmware", "/proc/sys", "/proc/bus", "/proc/fs", "/proc/irq",
                        "/proc/acpi", "/proc/keys", "/proc/timer_list"}) & inside


def test_cgroup_namespace_root_is_the_container_cgroup(cinch, bundle, cid):
    b = bundle(args=["cat", "/proc/self/cgroup"])
    b.config["linux"]["namespaces"].append({"type": "cgroup"})
    b.save()
    out = cinch.run("run", "--bundle", b.path, cid).stdout
    paths = [l.split(":", 2)[2] for l in out.splitlines() if l.count(":") >= 2]
    assert paths and all(p == "/" for p in paths), out


def test_without_cgroup_namespace_the_host_path_shows(cinch, bundle, cid):
    out = run(cinch, bundle, cid, ["cat", "/proc/self/cgroup"]).stdout
    assert cid in out


def test_user_namespace_maps_root_to_an_unprivileged_host_uid(cinch, bundle, cid):
    b = bundle(args=["sleep-forever"])
    b.config["linux"]["namespaces"].append({"type": "user"})
    b.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.save()
    cinch.run("run", "-d", "--bundle", b.path, cid)
    pid = cinch.state(cid)["pid"]
    status = open(f"/proc/{pid}/status").read()
    assert re.search(r"^Uid:\s+100000\s+100000", status, re.M), status
    assert re.search(r"^Gid:\s+100000\s+100000", status, re.M), status
    assert open(f"/proc/{pid}/uid_map").read().split() == ["0", "100000", "65536"]
    assert ns_inode(pid, "user") != ns_inode(os.getpid(), "user")
    out = cinch.run("exec", cid, "ids").stdout
    assert out.startswith("uid=0 euid=0 gid=0 egid=0")


def test_user_namespace_without_mappings_is_refused(cinch, bundle, cid):
    b = bundle(args=["true"])
    b.config["linux"]["namespaces"].append({"type": "user"})
    b.save()
    p = cinch.run("run", "--bundle", b.path, cid, check=False)
    assert p.returncode != 0 and "uidMappings" in p.stderr


def test_time_namespace_offsets_show_in_uptime(cinch, bundle, cid):
    b = bundle(args=["cat", "/proc/uptime"])
    b.config["linux"]["namespaces"].append({"type": "time"})
    b.config["linux"]["timeOffsets"] = {"boottime": {"secs": 86400 * 365, "nanosecs": 0},
                                        "monotonic": {"secs": 86400, "nanosecs": 0}}
    b.save()
    out = cinch.run("run", "--bundle", b.path, cid).stdout
    inner = float(out.split()[0])
    host = float(open("/proc/uptime").read().split()[0])
    assert abs(inner - host - 86400 * 365) < 60, (inner, host)


def test_exec_sees_the_time_namespace_also_with_a_user_namespace(cinch, bundle, cid):
    b = bundle(args=["sleep-forever"])
    b.config["linux"]["namespaces"] += [{"type": "time"}, {"type": "user"}]
    b.config["linux"]["timeOffsets"] = {"boottime": {"secs": 86400 * 365, "nanosecs": 0}}
    b.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.save()
    cinch.run("run", "-d", "--bundle", b.path, cid)
    inner = float(cinch.run("exec", cid, "cat", "/proc/uptime").stdout.split()[0])
    host = float(open("/proc/uptime").read().split()[0])
    assert abs(inner - host - 86400 * 365) < 60, (inner, host)


def test_joining_namespaces_by_path(cinch, bundle, cid):
    first = bundle(args=["sleep-forever"])
    first.config["hostname"] = "shared-uts"
    first.save()
    cinch.run("run", "-d", "--bundle", first.path, cid)
    pid = cinch.state(cid)["pid"]

    second_id = cid + "-2"
    b = bundle(args=["sh", "-c", "hostname; ls /proc | grep -c '^[0-9]'"])
    del b.config["hostname"]
    b.config["linux"]["namespaces"] = [
        {"type": "mount"},
        {"type": "pid", "path": f"/proc/{pid}/ns/pid"},
        {"type": "uts", "path": f"/proc/{pid}/ns/uts"},
        {"type": "network", "path": f"/proc/{pid}/ns/net"},
        {"type": "ipc", "path": f"/proc/{pid}/ns/ipc"},
    ]
    b.save()
    out = cinch.run("run", "--bundle", b.path, second_id).stdout.split()
    assert out[0] == "shared-uts"
    # the first container's init is visible: the pid namespace is shared
    assert int(out[1]) >= 3


def test_joining_a_missing_namespace_path_fails_cleanly(cinch, bundle, cid):
    b = bundle(args=["true"])
    b.config["linux"]["namespaces"].append({"type": "cgroup", "path": "/proc/999999999/ns/cgroup"})
    b.config["linux"]["namespaces"] = [n for n in b.config["linux"]["namespaces"]
                                       if n["type"] != "cgroup" or "path" in n]
    b.save()
    p = cinch.run("run", "--bundle", b.path, cid, check=False)
    assert p.returncode != 0
    assert "/proc/999999999/ns/cgroup" in p.stderr
    assert cinch.ids() == []


def test_one_clone_carries_the_namespaces(cinch, bundle, cid):
    cinch.run("run", "-d", "--bundle", bundle().path, cid)
    pid = cinch.state(cid)["pid"]
    me = os.getpid()
    for ns in ("pid", "net", "ipc", "uts", "mnt"):
        assert ns_inode(pid, ns) != ns_inode(me, ns), ns
    for ns in ("user", "cgroup"):
        assert ns_inode(pid, ns) == ns_inode(me, ns), ns


def test_start_container_hook_runs_inside_with_the_state(cinch, bundle, cid):
    """startContainer hooks run in the container (its root, its /dev/shm) after
    `start`, before the program, with the OCI state on stdin."""
    b = bundle(args=["sh", "-c", "cat /dev/shm/state; echo; cat /dev/shm/where"])
    b.config["hooks"] = {"startContainer": [
        {"path": "/bin/sh", "args": ["sh", "-c", "cat > /dev/shm/state; hostname > /dev/shm/where"]}]}
    b.save()
    out = cinch.run("run", "--bundle", b.path, cid).stdout.splitlines()
    import json
    state = json.loads(out[0])
    assert state["id"] == cid and state["bundle"] == str(b.path)
    assert out[1] == "cinch"  # the container's hostname: the hook ran in its namespaces


def test_start_container_hook_failure_stops_the_container(cinch, bundle, cid):
    b = bundle(args=["echo", "must-not-run"])
    b.config["hooks"] = {"startContainer": [{"path": "/bin/false"}]}
    b.save()
    p = cinch.run("run", "--bundle", b.path, cid, check=False)
    assert p.returncode != 0 and "must-not-run" not in p.stdout
    assert "startContainer" in p.stderr


@pytest.fixture
def host_netns(cid):
    """A network namespace made on the host (as CNI does), marked with a TTL."""
    name = "cinch-t-ns-" + cid[-6:]
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "netns", "exec", name, "sh", "-c",
                        "echo 77 > /proc/sys/net/ipv4/ip_default_ttl"], check=True)
        yield f"/run/netns/{name}"
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def test_joined_user_namespace_with_a_host_network_namespace(cinch, bundle, cid, host_netns):
    """An engine's network namespace belongs to the host's user namespace: it
    must be joined before the container's user namespace is."""
    first = bundle(args=["sleep-forever"])
    first.config["linux"]["namespaces"].append({"type": "user"})
    first.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    first.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    first.save()
    cinch.run("run", "-d", "--bundle", first.path, cid)
    pid = cinch.state(cid)["pid"]

    b = bundle(args=["sh", "-c", "cat /proc/sys/net/ipv4/ip_default_ttl; id -u"])
    del b.config["hostname"]
    b.config["mounts"] = [m for m in b.config["mounts"] if m["destination"] != "/sys"]
    b.config["linux"]["namespaces"] = [
        {"type": "mount"}, {"type": "ipc"},
        {"type": "user", "path": f"/proc/{pid}/ns/user"},
        {"type": "pid", "path": f"/proc/{pid}/ns/pid"},
        {"type": "network", "path": host_netns},
    ]
    b.save()
    out = cinch.run("run", "--bundle", b.path, cid + "-2").stdout
    assert out.split() == ["77", "0"]
