"""pytest plugin for the cgroup v2 guest: selects the tests whose outcome can
depend on the cgroup version, because the whole integration suite (550+ tests)
does not fit in the 10-minute budget under software emulation.

Loaded by tests/vm/run-v2.sh with `-p v2_select` (unless CINCH_VM_SUITE=full).
A test is selected when
  - its file is about cgroups as a whole (CGROUP_FILES), or
  - it carries a `cgroup` or `v2` mark, or
  - its own source, or its id, names a cgroup concept (RX below): the docker
    flags that become cgroup values, kill --all, pause, update, events...
Everything else (argument parsing, mounts, capabilities, consoles) runs on the
host, where the cgroup layout does not change it. The counts are written to
/run/cinch-vm/selection for the summary line."""

import inspect
import os
import re

CGROUP_FILES = {
    "test_resources.py", "test_resources_destroy.py", "test_update.py", "test_oom.py",
    "test_pause.py", "test_events.py", "test_enforce.py", "test_v2_only.py", "test_ps.py",
    "test_fixtures.py",
    # runc's own defaults change on v2 (`runc spec` adds a cgroup namespace).
    "test_spec_features.py",
}
RX = re.compile(r"cgroup|resources|memory|cpu|pids|blkio|blockIO|oom|pause|resume|freez|"
                r"update|events|devices?\b|hugetlb|swap|--all|kill_all|CLONE_INTO|"
                r"--device|--memory|--cpus|--pids|--blkio|--oom")
SELECTION = "/run/cinch-vm/selection"


def wanted(item):
    if os.path.basename(str(item.fspath)) in CGROUP_FILES:
        return True
    if item.get_closest_marker("cgroup") or item.get_closest_marker("v2"):
        return True
    if RX.search(item.nodeid):
        return True
    try:
        return bool(RX.search(inspect.getsource(item.function)))
    except (OSError, TypeError):
        return True  # cannot tell: keep it


def pytest_configure(config):
    config.addinivalue_line("markers", "cgroup: run in the cgroup v2 guest's subset")
    config.addinivalue_line("markers", "v2: run in the cgroup v2 guest's subset")


def pytest_collection_modifyitems(config, items):
    keep = [i for i in items if wanted(i)]
    drop = [i for i in items if not wanted(i)]
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    try:
        os.makedirs(os.path.dirname(SELECTION), exist_ok=True)
        with open(SELECTION, "w") as f:
            f.write(f"{len(keep)} {len(keep) + len(drop)}\n")
    except OSError:
        pass
