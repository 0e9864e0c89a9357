"""Engine front ends for the benchmark, set up with tests/engines' own code.

tests/engines already knows how to start private, offline podman and docker
setups (a sandbox with its own mount and network namespace, config files and
an imported busybox image); this module only borrows that and builds the
`run --rm busybox true` command lines. The runtime is passed to the engines
directly, not through tests/engines' logging wrapper, so that a shell script
does not sit in the measured path.
"""
import contextlib
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ENGINES = os.path.join(os.path.dirname(HERE), "tests/engines")


def _skip_types():
    try:
        import pytest
        return (Exception, pytest.skip.Exception)
    except ImportError:
        return (Exception,)


@contextlib.contextmanager
def engines(runtimes, rootfs_tar):
    """Yields (commands, skipped): label -> (argv, env) and label -> reason.
    runtimes: name -> binary path, e.g. {"cinch": ..., "runc": ...}."""
    cmds, skipped, closers = {}, {}, []
    if not runtimes:
        yield cmds, {"podman, docker": "not in this mode"}
        return
    if not os.path.isdir(ENGINES):
        for k in ("podman", "docker"):
            skipped[k] = "tests/engines does not exist yet"
        yield cmds, skipped
        return
    sys.path.insert(0, ENGINES)
    try:
        import engines as eng
        from enginelib import Sandbox
    except ImportError as e:
        skipped["podman"] = skipped["docker"] = f"cannot load tests/engines: {e}"
        yield cmds, skipped
        return
    skip = _skip_types()
    first = runtimes.get("cinch") or next(iter(runtimes.values()))
    try:
        # Podman: one sandbox; the runtime is chosen per command.
        try:
            sb = Sandbox("bench-podman", first)
            closers.append((sb, None))
            pm = eng.Podman(sb)
            closers[-1] = (sb, pm)
            pm.import_image(rootfs_tar)
            for name, binary in runtimes.items():
                cmds[f"podman run --rm ({name})"] = (
                    sb.nsenter() + ["podman", "--runtime", binary, "--cgroup-manager", "cgroupfs",
                                    "run", "--rm", eng.IMAGE, "true"], sb.env)
        except skip as e:
            skipped["podman"] = _reason(e)
        # Docker: its own containerd and dockerd; runc is built in, cinch is
        # registered by path.
        try:
            sb = Sandbox("bench-docker", first)
            closers.append((sb, None))
            extra = {"runtimes": {n: {"path": b} for n, b in runtimes.items() if n != "runc"}}
            dk = eng.Docker(sb, extra=extra)
            closers[-1] = (sb, dk)
            dk.import_image(rootfs_tar)
            for name in runtimes:
                cmds[f"docker run --rm ({name})"] = (
                    sb.nsenter() + dk.argv("run", "--rm", "--runtime", name, eng.IMAGE, "true"),
                    sb.env)
        except skip as e:
            skipped["docker"] = _reason(e)
        yield cmds, skipped
    finally:
        for sb, engine in reversed(closers):
            try:
                if engine is not None:
                    engine.cleanup()
            except skip:
                pass
            try:
                problems = sb.close()
                if problems:
                    skipped.setdefault("left behind", "; ".join(problems))
            except skip:
                pass
            shutil.rmtree(sb.dir, ignore_errors=True)


def _reason(e):
    msg = str(getattr(e, "msg", "") or e).strip()
    return msg.splitlines()[0][:300] if msg else type(e).__name__
