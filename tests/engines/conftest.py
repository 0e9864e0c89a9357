"""Fixtures for the engine tests (docker, podman, containerd driving cinch).

Environment:
  ENGINE_RUNTIME  the OCI runtime the engines call (default: $CINCH, else build/cinch);
                  e.g. ENGINE_RUNTIME=/usr/sbin/runc validates the harness itself.
  ENGINE_KEEP=1   keep a failing sandbox's directory (logs) for inspection.

Each engine fixture is module-scoped: one test file starts its own daemons in its
own Sandbox and stops them at its end, then fails if anything was left behind.
The runtime command lines each engine sent are printed at the end of the run and
written to build/engines/<sandbox>-argv.log."""

import os
import sys
import tempfile
import shutil

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import enginelib  # noqa: E402
from enginelib import Sandbox, runtime_under_test  # noqa: E402
from engines import DOCKER_CLI, Containerd, Docker, Podman, need  # noqa: E402

ARGV_REPORT = {}  # sandbox name -> {distinct runtime command line: count}


def pytest_report_header(config):
    return f"engine runtime: {runtime_under_test()} (layout {enginelib.layout()})"


@pytest.fixture(scope="session")
def runtime():
    rt = runtime_under_test()
    if not os.access(rt, os.X_OK):
        pytest.skip(f"runtime {rt} not built")
    if os.geteuid() != 0:
        pytest.skip("engine tests need root")
    need("unshare", "nsenter", "ip")
    return rt


@pytest.fixture(scope="session")
def images(runtime):
    """busybox rootfs (+ test payload) as a directory, a tarball and an OCI archive."""
    d = tempfile.mkdtemp(prefix="cinch-eng-img-", dir="/tmp")
    os.chmod(d, 0o755)
    try:
        rootfs = enginelib.make_rootfs(f"{d}/rootfs")
        tar = enginelib.make_rootfs_tar(rootfs, f"{d}/rootfs.tar")
        oci = enginelib.make_oci_archive(tar, f"{d}/oci.tar", "localhost/cinch-busybox:test")
        yield {"rootfs": rootfs, "tar": tar, "oci": oci, "dir": d}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def open_sandbox(name, runtime):
    try:
        return Sandbox(name, runtime)
    except (OSError, enginelib.EngineError) as e:
        pytest.skip(f"cannot make the namespace sandbox for {name}: {e}")


def close_sandbox(sb, engine):
    try:
        if engine is not None:
            engine.cleanup()
    finally:
        ARGV_REPORT[sb.name] = sb.shapes()
        full = sb.normalized()
        problems = sb.close()
        os.makedirs(os.path.join(enginelib.REPO, "build/engines"), exist_ok=True)
        with open(os.path.join(enginelib.REPO, f"build/engines/{sb.name}-argv.log"), "w") as f:
            f.write("\n".join(full) + "\n")
    if problems:
        pytest.fail(f"{sb.name} sandbox left things behind:\n  " + "\n  ".join(problems))


@pytest.fixture(scope="module")
def docker(runtime, images):
    need("dockerd", DOCKER_CLI, "containerd", "ctr", "containerd-shim-runc-v2")
    sb = open_sandbox("docker", runtime)
    eng = None
    try:
        eng = Docker(sb)
        eng.import_image(images["tar"])
        yield eng
    finally:
        close_sandbox(sb, eng)


@pytest.fixture(scope="module")
def podman(runtime, images):
    need("podman", "conmon")
    sb = open_sandbox("podman", runtime)
    eng = None
    try:
        eng = Podman(sb)
        eng.import_image(images["tar"])
        yield eng
    finally:
        close_sandbox(sb, eng)


@pytest.fixture(scope="module")
def containerd(runtime, images):
    need("containerd", "ctr", "containerd-shim-runc-v2")
    sb = open_sandbox("containerd", runtime)
    eng = None
    try:
        eng = Containerd(sb)
        eng.import_image(images["oci"])
        yield eng
    finally:
        close_sandbox(sb, eng)


@pytest.fixture
def sandbox_factory(runtime):
    """For tests that need their own daemons (swarm, compose): sandbox_factory(name)."""
    opened = []

    def make(name):
        sb = open_sandbox(name, runtime)
        opened.append([sb, None])
        return sb

    def set_engine(sb, eng):
        for o in opened:
            if o[0] is sb:
                o[1] = eng

    make.set_engine = set_engine
    yield make
    for sb, eng in opened:
        close_sandbox(sb, eng)


def pytest_collection_modifyitems(config, items):
    # A hung daemon or runtime must not hang `make check`: with pytest-timeout
    # installed (install-deps does), every engine test gets a ceiling.
    if config.pluginmanager.hasplugin("timeout"):
        for item in items:
            if "engines" in str(item.fspath) and not item.get_closest_marker("timeout"):
                item.add_marker(pytest.mark.timeout(600))


def pytest_terminal_summary(terminalreporter):
    if not ARGV_REPORT:
        return
    tr = terminalreporter
    tr.section(f"runtime command lines sent by the engines (runtime {runtime_under_test()})")
    for name, shapes in ARGV_REPORT.items():
        tr.write_line(f"--- {name}: distinct command lines x times sent "
                      f"(in order with exit codes: build/engines/{name}-argv.log)")
        for l, n in sorted(shapes.items(), key=lambda kv: -kv[1]):
            tr.write_line(f"  {n:3d}x {l}")
