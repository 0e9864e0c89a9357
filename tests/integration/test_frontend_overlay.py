"""A store image as a container's root: each container writes to its own
overlay of the shared, read-only image (no per-container copy), and the host
keeps no mount of it, neither while the container runs nor after."""

import os
from pathlib import Path

import pytest

import helpers


@pytest.fixture
def fe(cinch):
    yield cinch
    ids = cinch.run("ps", "-a", "-q", "--no-trunc", check=False).stdout.split()
    if ids:
        cinch.run("rm", "-f", *ids, check=False)


def image_dir(cinch):
    out = cinch.run("images").stdout.splitlines()
    return Path(next(l.split()[2] for l in out[1:] if l.split()[0] == "busybox"))


def record_mounts(cinch):
    return helpers.mounts_mentioning(os.path.join(cinch.root, ".frontend"))


def test_writes_stay_in_the_container(fe):
    img = image_dir(fe)
    before = sorted(os.listdir(img / "etc"))
    a = fe.run("run", "-d", "busybox", "sh", "-c",
               "echo a > /etc/only-a; rm /etc/group; sleep 30").stdout.strip()
    b = fe.run("run", "-d", "busybox", "sleep", "30").stdout.strip()
    helpers.wait_for(lambda: fe.run("exec", a, "test", "-e", "/etc/only-a",
                                    check=False).returncode == 0, 10)
    assert fe.run("exec", a, "test", "-e", "/etc/group", check=False).returncode == 1
    # The other container and the image itself see none of it.
    assert fe.run("exec", b, "test", "-e", "/etc/only-a", check=False).returncode == 1
    assert fe.run("exec", b, "test", "-e", "/etc/group", check=False).returncode == 0
    assert sorted(os.listdir(img / "etc")) == before
    # Nothing of the overlay is mounted on the host while they run.
    assert record_mounts(fe) == []
    # exec -u still reads the container's own /etc files.
    fe.run("exec", a, "sh", "-c", "echo 'zed:x:4242:4242::/:/bin/sh' >> /etc/passwd")
    assert fe.run("exec", "-u", "zed", a, "id", "-u").stdout.strip() == "4242"
    fe.run("rm", "-f", a, b)
    assert not (Path(fe.root) / ".frontend" / a).exists()
    assert record_mounts(fe) == []


def test_run_rm_leaves_no_record_and_no_mount(fe):
    r = fe.run("run", "--rm", "busybox", "sh", "-c", "touch /new && ls /new")
    assert r.stdout.strip() == "/new"
    assert [e for e in os.listdir(Path(fe.root) / ".frontend") if len(e) == 64] == []
    assert record_mounts(fe) == []
    assert not (image_dir(fe) / "new").exists()


def test_read_only_root_refuses_writes(fe):
    r = fe.run("run", "--rm", "--read-only", "busybox", "touch", "/x", check=False)
    assert r.returncode == 1 and "Read-only file system" in r.stderr
    assert not (image_dir(fe) / "x").exists()


def test_failed_create_leaves_no_mount(fe):
    r = fe.run("run", "--rm", "-w", "/etc/passwd", "busybox", "true", check=False)
    assert r.returncode == 125
    assert record_mounts(fe) == []
    assert [e for e in os.listdir(Path(fe.root) / ".frontend") if len(e) == 64] == []
