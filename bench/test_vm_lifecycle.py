"""The lifecycle benchmark inside the cgroup v2 guest.

Not part of any test suite: bench.py boots tests/vm/run-v2.sh with this file
as the pytest target, so the guest is the very one the v2 tests use. The host
prepared the rootfs and bundle under build/bench/vm/ (the guest sees the
host's root read-only with a memory overlay); this prints one line
`CBENCH-VM-RESULT {json}` on the guest console, which the host picks out.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import report  # noqa: E402


def test_lifecycle_v2():
    # The guest's runner starts with a clean environment: settings come in a
    # file the host wrote next to the bundle.
    with open(os.path.join(REPO, "build/bench/vm/params.json")) as f:
        params = json.load(f)
    iters, warmup = params["iters"], str(params.get("warmup", 1))
    bundle = os.path.join(REPO, "build/bench/vm/bundle-true")
    cbench = os.path.join(REPO, "build/bench/cbench")
    work = tempfile.mkdtemp(prefix="cbench-vm.")
    res = {"iters": iters, "skipped_runtimes": {}, "accel": params.get("accel", "tcg")}
    bins = {"cinch": os.environ.get("CINCH") or os.path.join(REPO, "build/cinch"),
            "runc": shutil.which("runc"), "crun": shutil.which("crun")}
    contenders = []
    for name, b in bins.items():
        if not b:
            res["skipped_runtimes"][name] = "not installed"
            continue
        root = os.path.join(work, "root-" + name)
        os.makedirs(root)
        r = subprocess.run([b, "--root", root, "run", "--bundle", bundle, "cbench-vm-probe"],
                           capture_output=True, text=True, timeout=120)
        subprocess.run([b, "--root", root, "delete", "-f", "cbench-vm-probe"],
                       capture_output=True, timeout=120)
        if r.returncode != 0:
            res["skipped_runtimes"][name] = (r.stderr.strip().splitlines() or ["exit %d" %
                                                                              r.returncode])[0]
            continue
        contenders += [f"rt:{name}:{b}:{root}", f"run:{name}-run:{b}:{root}"]
    # unshare(CLONE_NEWCGROUP) fails with EPERM inside the guest runner's
    # chroot (as in any chroot whose root is not the real one); the runtimes
    # pivot_root and are not affected. Then the floor drops -C.
    unshare = [shutil.which("unshare"), "-fpmnuic", "--mount-proc", "/bin/true"]
    if subprocess.run(unshare, capture_output=True).returncode != 0:
        unshare[1] = "-fpmnui"
        res["unshare_floor"] = "unshare -fpmnui --mount-proc /bin/true (no -C: EPERM in a chroot)"
    contenders += ["cmd:exec:/bin/true", "cmd:unshare:" + " ".join(unshare), "cg:cgroup:"]
    out = os.path.join(work, "lifecycle.tsv")
    rundir = os.path.join(work, "run")
    os.makedirs(rundir)
    subprocess.run([cbench, "lifecycle", str(iters), warmup, out, bundle, rundir, *contenders],
                   timeout=3000)
    res["lifecycle"] = report.summarize_lifecycle(report.read_tsv(out))
    print("\nCBENCH-VM-RESULT " + json.dumps(res, separators=(",", ":")), flush=True)
    shutil.rmtree(work, ignore_errors=True)
    assert res["lifecycle"]
