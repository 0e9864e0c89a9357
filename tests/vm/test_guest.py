"""Checks that the v2 guest is what the suite expects, so that a misbuilt guest
cannot pass by skipping: pure cgroup v2, every controller enabled for
children of the root, a real block device and swap. Runs only in the guest."""

import os

import pytest

pytestmark = pytest.mark.skipif(
    os.environ.get("CINCH_VM") != "1", reason="only inside the tests/vm guest"
)

CG = "/sys/fs/cgroup"
WANTED = {"cpuset", "cpu", "io", "memory", "hugetlb", "pids"}


def test_pure_cgroup_v2():
    mounts = [line.split() for line in open("/proc/self/mounts")]
    cg = [m for m in mounts if m[2] in ("cgroup", "cgroup2")]
    assert [(m[1], m[2]) for m in cg] == [(CG, "cgroup2")]


def test_all_controllers_enabled():
    available = set(open(f"{CG}/cgroup.controllers").read().split())
    enabled = set(open(f"{CG}/cgroup.subtree_control").read().split())
    assert WANTED <= available
    assert enabled == available


def test_runner_is_in_a_leaf():
    own = open("/proc/self/cgroup").read().strip()
    assert own == "0::/cinch-vm.scope"


def test_real_block_device_and_swap():
    dev = os.environ["CINCH_TEST_BLOCKDEV"]
    name = os.path.basename(dev)
    assert open(f"/sys/block/{name}/dev").read().strip().count(":") == 1
    assert os.path.ismount(os.environ["CINCH_TEST_DISKDIR"])
    swaps = open("/proc/swaps").read().splitlines()[1:]
    assert swaps, "no swap in the guest"


def test_binary_under_test_is_present():
    assert os.access(os.environ["CINCH"], os.X_OK)


def test_runner_root_is_its_namespace_root():
    """A chrooted caller gets EPERM for CLONE_NEWUSER; the runner must not be one."""
    import subprocess

    subprocess.run(["unshare", "--user", "true"], check=True)


def test_dev_fd_links():
    assert os.readlink("/dev/fd") == "/proc/self/fd"
