"""The container's filesystem: the rootfs, every mount type and option, /dev,
masked and read-only paths, and mount targets that try to leave the rootfs."""

import os
import stat
import subprocess

import pytest

import helpers


def go(cinch, b, cid, check=True):
    b.save()
    return cinch.run("run", "--bundle", b.path, cid, check=check)


def add_mount(b, dest, typ, source, options=None):
    m = {"destination": dest, "type": typ, "source": str(source)}
    if options is not None:
        m["options"] = options
    b.config["mounts"].append(m)


@pytest.fixture
def hostdir(tmp_path):
    d = tmp_path / "hostdir"
    d.mkdir()
    (d / "file").write_text("from the host\n")
    return d


def test_root_readonly_refuses_writes(cinch, bundle, cid):
    b = bundle(args=["sh", "-c", "touch /etc/x 2>&1; echo rc=$?"])
    out = go(cinch, b, cid).stdout
    assert "Read-only file system" in out and "rc=1" in out


def test_root_writable_when_not_readonly(cinch, bundle, cid):
    b = bundle(args=["sh", "-c", "echo hi > /etc/x && cat /etc/x"], copy_rootfs=True)
    assert go(cinch, b, cid).stdout == "hi\n"
    assert (b.rootfs / "etc" / "x").read_text() == "hi\n"


def test_relative_root_path_is_bundle_relative(cinch, bundle, cid):
    b = bundle(args=["cat", "/etc/hostname"], copy_rootfs=True)
    (b.rootfs / "etc" / "hostname").write_text("relative-root\n")
    assert b.config["root"]["path"] == "rootfs"
    assert go(cinch, b, cid).stdout == "relative-root\n"


def test_missing_rootfs_is_a_clear_error(cinch, bundle, cid):
    b = bundle(args=["true"])
    b.config["root"] = {"path": "nope"}
    p = go(cinch, b, cid, check=False)
    assert p.returncode != 0
    assert f"root.path: {b.path}/nope: no such directory" in p.stderr
    assert cinch.ids() == []


def test_bind_mount_read_write_reaches_the_host(cinch, bundle, cid, hostdir):
    b = bundle(args=["sh", "-c", "cat /data/file; echo inner > /data/new"])
    add_mount(b, "/tmp", "tmpfs", "tmpfs")
    add_mount(b, "/tmp/data", "bind", hostdir, ["rbind", "rw"])
    b.config["mounts"][-1]["destination"] = "/tmp/data"
    b.config["process"]["args"] = ["sh", "-c", "cat /tmp/data/file; echo inner > /tmp/data/new"]
    assert go(cinch, b, cid).stdout == "from the host\n"
    assert (hostdir / "new").read_text() == "inner\n"


def test_bind_mount_ro_refuses_writes(cinch, bundle, cid, hostdir):
    b = bundle(args=["sh", "-c", "cat /tmp/data/file; touch /tmp/data/x 2>&1; echo rc=$?"])
    add_mount(b, "/tmp", "tmpfs", "tmpfs")
    add_mount(b, "/tmp/data", "bind", hostdir, ["bind", "ro", "nosuid", "nodev"])
    out = go(cinch, b, cid).stdout
    assert "from the host" in out and "Read-only file system" in out and "rc=1" in out
    assert not (hostdir / "x").exists()


def test_bind_mount_noexec(cinch, bundle, cid, tmp_path):
    d = tmp_path / "bins"
    d.mkdir()
    subprocess.run(["cp", str(helpers.REPO / "build" / "payload"), str(d / "payload")], check=True)
    b = bundle(args=["sh", "-c", "/tmp/x/payload pid1; echo rc=$?; /tmp/y/payload pid1"])
    add_mount(b, "/tmp", "tmpfs", "tmpfs")
    add_mount(b, "/tmp/x", "bind", d, ["bind", "noexec"])
    add_mount(b, "/tmp/y", "bind", d, ["bind", "exec"])
    out = go(cinch, b, cid).stdout
    assert "rc=126" in out  # Permission denied from the noexec mount
    assert out.splitlines()[-1].startswith("pid=")  # the same file runs from the exec mount


@pytest.fixture
def nested(tmp_path):
    """A host dir with a tmpfs mounted under it (for rbind / rro)."""
    d = tmp_path / "nested"
    (d / "sub").mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(d / "sub")], check=True)
    yield d
    subprocess.run(["umount", "-l", str(d / "sub")], check=False)


def test_rbind_brings_submounts_and_bind_does_not(cinch, bundle, cid, nested):
    (nested / "sub" / "marker").write_text("sub\n")
    b = bundle(args=["sh", "-c", "ls /tmp/r/sub; echo --; ls /tmp/b/sub"])
    add_mount(b, "/tmp", "tmpfs", "tmpfs")
    add_mount(b, "/tmp/r", "bind", nested, ["rbind"])
    add_mount(b, "/tmp/b", "bind", nested, ["bind"])
    out = go(cinch, b, cid).stdout
    assert out == "marker\n--\n"


def test_rro_makes_submounts_read_only_too(cinch, bundle, cid, nested):
    script = ("touch /tmp/ro/sub/x 2>/dev/null; echo ro=$?; "
              "touch /tmp/rro/sub/y 2>/dev/null; echo rro=$?")
    b = bundle(args=["sh", "-c", script])
    add_mount(b, "/tmp", "tmpfs", "tmpfs")
    add_mount(b, "/tmp/ro", "bind", nested, ["rbind", "ro"])
    add_mount(b, "/tmp/rro", "bind", nested, ["rbind", "rro"])
    out = go(cinch, b, cid).stdout.split()
    # plain ro covers the top mount only (as runc); rro reaches the submount
    assert out == ["ro=0", "rro=1"]


def test_tmpfs_options(cinch, bundle, cid):
    b = bundle(args=["sh", "-c", "grep ' /tmp ' /proc/self/mountinfo; stat -c %a /tmp"])
    add_mount(b, "/tmp", "tmpfs", "tmpfs", ["nosuid", "nodev", "noexec", "size=1m", "mode=1770"])
    out = go(cinch, b, cid).stdout
    line, mode = out.splitlines()
    assert "nosuid" in line and "nodev" in line and "noexec" in line
    assert "size=1024k" in line
    assert mode == "1770"


def test_unknown_bind_option_is_refused(cinch, bundle, cid, hostdir):
    b = bundle(args=["true"])
    add_mount(b, "/tmp", "bind", hostdir, ["bind", "bogus"])
    p = go(cinch, b, cid, check=False)
    assert p.returncode != 0 and "bogus" in p.stderr and "mounts[6]" in p.stderr
    assert cinch.ids() == []


def test_unknown_filesystem_is_refused(cinch, bundle, cid):
    b = bundle(args=["true"])
    add_mount(b, "/tmp", "nosuchfs", "x")
    p = go(cinch, b, cid, check=False)
    assert p.returncode != 0 and "nosuchfs" in p.stderr
    assert cinch.ids() == []


def test_overlay_mount(cinch, bundle, cid, tmp_path):
    lower, upper, work = (tmp_path / n for n in ("lower", "upper", "work"))
    for d in (lower, upper, work):
        d.mkdir()
    (lower / "l").write_text("lower\n")
    b = bundle(args=["sh", "-c", "cat /tmp/ov/l; echo up > /tmp/ov/u"])
    add_mount(b, "/tmp", "tmpfs", "tmpfs")
    add_mount(b, "/tmp/ov", "overlay", "overlay",
              [f"lowerdir={lower}", f"upperdir={upper}", f"workdir={work}"])
    assert go(cinch, b, cid).stdout == "lower\n"
    assert (upper / "u").read_text() == "up\n"
    assert not (lower / "u").exists()


def test_sysfs_is_read_only_and_proc_is_the_containers(cinch, bundle, cid):
    script = "(echo x > /sys/kernel/uevent_helper) 2>&1; tr '\\0' ' ' < /proc/1/cmdline; echo"
    out = go(cinch, bundle(args=["sh", "-c", script]), cid).stdout
    assert "Read-only file system" in out
    # pid 1 of the container's procfs is our own shell
    assert out.splitlines()[-1].startswith("sh -c (echo x")


def test_cgroup_mount_read_only(cinch, bundle, cid):
    b = bundle(args=["sh", "-c", "ls /sys/fs/cgroup; touch /sys/fs/cgroup/x 2>&1; true"])
    add_mount(b, "/sys/fs/cgroup", "cgroup", "cgroup",
              ["nosuid", "noexec", "nodev", "relatime", "ro"])
    b.config["linux"]["namespaces"].append({"type": "cgroup"})
    out = go(cinch, b, cid).stdout
    assert "Read-only file system" in out
    names = out.split()
    if helpers.layout() == "v2":
        assert "cgroup.controllers" in names
    else:
        for ctrl in ("memory", "pids", "cpu"):
            assert ctrl in names, out


def test_cgroup_mount_shows_the_containers_own_cgroup(cinch, bundle, cid):
    ctrl = "pids"
    probe = "cat /sys/fs/cgroup/cgroup.procs" if helpers.layout() == "v2" else \
        f"cat /sys/fs/cgroup/{ctrl}/cgroup.procs"
    b = bundle(args=["sh", "-c", probe])
    add_mount(b, "/sys/fs/cgroup", "cgroup", "cgroup", ["nosuid", "noexec", "nodev", "ro"])
    b.config["linux"]["namespaces"].append({"type": "cgroup"})
    out = go(cinch, b, cid).stdout.split()
    # only the container's processes: sh (pid 1) and cat
    assert "1" in out and len(out) <= 3, out


def test_cgroup_mount_without_cgroupns_binds_only_the_own_cgroup(cinch, bundle, cid):
    probe = "cat /sys/fs/cgroup/cgroup.procs" if helpers.layout() == "v2" else \
        "cat /sys/fs/cgroup/pids/cgroup.procs; ls /sys/fs/cgroup/pids"
    b = bundle(args=["sh", "-c", probe])
    add_mount(b, "/sys/fs/cgroup", "cgroup", "cgroup", ["nosuid", "noexec", "nodev", "ro"])
    out = go(cinch, b, cid).stdout.split()
    pids = [w for w in out if w.isdigit()]
    # host pids of sh and cat only; no child cgroups of other containers
    assert 1 <= len(pids) <= 2, out
    assert not any(w.startswith("cinch-") for w in out), out


def test_dev_has_the_default_devices_and_links(cinch, bundle, cid):
    script = ("ls /dev; stat -c '%n %F %t:%T %a' /dev/null /dev/zero /dev/full /dev/random "
              "/dev/urandom /dev/tty; for l in fd stdin stdout stderr ptmx; do readlink /dev/$l; done;"
              " (echo x > /dev/full) 2>&1; head -c 4 /dev/zero | wc -c")
    out = go(cinch, bundle(args=["sh", "-c", script]), cid).stdout
    lines = out.splitlines()
    names = set(lines[:lines.index("/dev/null character special file 1:3 666")])
    assert names == {"fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr",
                     "stdin", "stdout", "tty", "urandom", "zero"}
    for dev in ("/dev/zero character special file 1:5 666", "/dev/full character special file 1:7 666",
                "/dev/random character special file 1:8 666",
                "/dev/urandom character special file 1:9 666",
                "/dev/tty character special file 5:0 666"):
        assert dev in lines
    for link in ("/proc/self/fd", "/proc/self/fd/0", "/proc/self/fd/1", "/proc/self/fd/2",
                 "pts/ptmx"):
        assert link in lines
    assert "No space left on device" in out
    assert lines[-1] == "4"


def test_linux_devices_are_created(cinch, bundle, cid):
    b = bundle(args=["stat", "-c", "%n %F %t:%T %a %u %g", "/dev/mynull", "/dev/sub/myzero"])
    b.config["linux"]["devices"] = [
        {"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 0o600,
         "uid": 7, "gid": 8},
        {"path": "/dev/sub/myzero", "type": "c", "major": 1, "minor": 5, "fileMode": 0o640},
    ]
    out = go(cinch, b, cid).stdout.splitlines()
    assert out == ["/dev/mynull character special file 1:3 600 7 8",
                   "/dev/sub/myzero character special file 1:5 640 0 0"]


def test_devices_in_a_user_namespace_are_bound_from_the_host(cinch, bundle, cid):
    b = bundle(args=["sh", "-c", "echo ok > /dev/null && head -c 3 /dev/zero | wc -c"])
    b.config["linux"]["namespaces"].append({"type": "user"})
    b.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    assert go(cinch, b, cid).stdout == "3\n"


def test_masked_paths_read_empty(cinch, bundle, cid):
    b = bundle(args=["sh", "-c", "cat /etc/hostname | wc -c; ls -A /etc/secret | wc -l; "
                                 "cat /proc/keys | wc -c; ls /sys/firmware | wc -l"],
               copy_rootfs=True)
    (b.rootfs / "etc" / "secret").mkdir()
    (b.rootfs / "etc" / "secret" / "key").write_text("k")
    b.config["linux"]["maskedPaths"] += ["/etc/hostname", "/etc/secret", "/does/not/exist"]
    assert go(cinch, b, cid).stdout.split() == ["0", "0", "0", "0"]


def test_readonly_paths_refuse_writes(cinch, bundle, cid):
    script = "(echo x > /tmp/ro/f) 2>&1; echo rc=$?; echo y > /tmp/rw/f; echo rc=$?"
    b = bundle(args=["sh", "-c", script])
    add_mount(b, "/tmp", "tmpfs", "tmpfs")
    add_mount(b, "/tmp/ro", "tmpfs", "tmpfs")
    add_mount(b, "/tmp/rw", "tmpfs", "tmpfs")
    b.config["linux"]["readonlyPaths"].append("/tmp/ro")
    out = go(cinch, b, cid).stdout
    assert "Read-only file system" in out
    assert out.splitlines()[-2:] == ["rc=1", "rc=0"]


def test_proc_sys_is_read_only(cinch, bundle, cid):
    out = go(cinch, bundle(args=["sh", "-c", "(echo 1 > /proc/sys/kernel/ns_last_pid) 2>&1"]),
             cid, check=False).stdout
    assert "Read-only file system" in out


def test_symlink_in_rootfs_cannot_redirect_a_mount_to_the_host(cinch, bundle, cid, tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious").write_text("host data\n")
    b = bundle(args=["sh", "-c", "ls /escape; echo --; ls /rel"], copy_rootfs=True)
    # absolute and relative links that point at the host dir when followed on the host
    os.symlink(str(victim), b.rootfs / "escape")
    os.symlink("../" * 20 + str(victim).lstrip("/"), b.rootfs / "rel")
    # the same path inside the rootfs, where a safe resolver must land
    (b.rootfs / str(victim).lstrip("/")).mkdir(parents=True)
    add_mount(b, "/escape", "tmpfs", "tmpfs")
    add_mount(b, "/rel/inner", "tmpfs", "tmpfs")
    out = go(cinch, b, cid).stdout
    assert out == "inner\n--\ninner\n" or out == "--\n"
    # the host directory got no mount and no new entry
    assert sorted(os.listdir(victim)) == ["precious"]
    assert not helpers.mounts_mentioning(str(victim))
    assert (victim / "precious").read_text() == "host data\n"


def test_dangling_symlink_target_fails_without_touching_the_host(cinch, bundle, cid, tmp_path):
    victim = tmp_path / "victim2"
    victim.mkdir()
    b = bundle(args=["true"], copy_rootfs=True)
    os.symlink(str(victim / "made"), b.rootfs / "escape")
    add_mount(b, "/escape", "tmpfs", "tmpfs")
    p = go(cinch, b, cid, check=False)
    # cinch refuses the dangling link; a runtime may also create the target
    # inside the rootfs (runc does).  Either way the host stays untouched.
    if p.returncode != 0:
        assert "/escape" in p.stderr
        assert cinch.ids() == []
    else:
        assert (b.rootfs / str(victim / "made").lstrip("/")).is_dir()
    assert os.listdir(victim) == []
    assert not helpers.mounts_mentioning(str(victim))


def test_no_pivot_runs_with_chroot(cinch, bundle, cid):
    b = bundle(args=["sh", "-c", "cat /etc/hostname >/dev/null && ls / | wc -l"])
    b.save()
    out = cinch.run("run", "--no-pivot", "--bundle", b.path, cid).stdout
    entries = [e for e in os.listdir(b.config["root"]["path"]) if not e.startswith(".")]
    assert int(out) == len(entries)


@pytest.fixture
def shared_dir(tmp_path):
    d = tmp_path / "shared"
    d.mkdir()
    subprocess.run(["mount", "--bind", str(d), str(d)], check=True)
    subprocess.run(["mount", "--make-shared", str(d)], check=True)
    yield d
    subprocess.run(["umount", "-R", "-l", str(d)], check=False)


@pytest.mark.parametrize("prop,seen", [("rslave", True), ("rprivate", False)])
def test_mount_propagation_from_host(cinch, bundle, cid, shared_dir, prop, seen):
    b = bundle(args=["sleep-forever"])
    add_mount(b, "/tmp", "tmpfs", "tmpfs")
    add_mount(b, "/tmp/s", "bind", shared_dir, ["rbind", prop])
    b.config["linux"]["rootfsPropagation"] = prop
    b.save()
    cinch.run("run", "-d", "--bundle", b.path, cid)
    (shared_dir / "late").mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(shared_dir / "late")],
                   check=True)
    try:
        out = cinch.run("exec", cid, "sh", "-c", "grep -c ' /tmp/s/late ' /proc/self/mountinfo",
                        check=False).stdout.strip()
        assert out == ("1" if seen else "0")
    finally:
        subprocess.run(["umount", "-l", str(shared_dir / "late")], check=False)


@pytest.mark.parametrize("prop,flag", [("rshared", "shared:"), ("runbindable", "unbindable"),
                                       ("rprivate", None)])
def test_rootfs_propagation_applies_to_the_root(cinch, bundle, cid, prop, flag):
    b = bundle(args=["awk", "$5 == \"/\" || $5 == \"/proc\"", "/proc/self/mountinfo"])
    b.linux["rootfsPropagation"] = prop
    lines = go(cinch, b, cid).stdout.splitlines()
    assert len(lines) == 2
    for line in lines:
        opt = line.split(" - ")[0].split()[6:]
        if flag:
            assert any(o.startswith(flag) for o in opt), line
        else:
            assert opt == [], line
