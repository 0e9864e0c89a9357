"""`spec` writes a usable default bundle config; `features` is valid JSON that
matches this host and claims nothing the runtime refuses."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import helpers
from conftest import is_runc

# ---- spec ------------------------------------------------------------------------


def test_spec_bundle_option(cinch, tmp_path):
    cinch.run("spec", "--bundle", tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["process"]["terminal"] is True
    assert config["process"]["cwd"] == "/"
    assert config["root"] == {"path": "rootfs", "readonly": True}
    assert [m["destination"] for m in config["mounts"]] == [
        "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"]
    assert "/proc/kcore" in config["linux"]["maskedPaths"]
    assert "/proc/sys" in config["linux"]["readonlyPaths"]
    caps = config["process"]["capabilities"]
    assert caps["bounding"] == ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    assert config["process"]["noNewPrivileges"] is True


def test_spec_refuses_overwrite_with_bundle(cinch, tmp_path):
    (tmp_path / "config.json").write_text('{"mine": true}')
    p = cinch.run("spec", "-b", tmp_path, check=False)
    assert p.returncode != 0
    if not is_runc():
        assert "exists" in p.stderr and "Remove it first" in p.stderr
    assert json.loads((tmp_path / "config.json").read_text()) == {"mine": True}


def test_spec_missing_bundle_dir(cinch, tmp_path):
    missing = tmp_path / "no" / "such"
    p = cinch.run("spec", "-b", missing, check=False)
    assert p.returncode != 0
    assert not missing.exists()
    if not is_runc():
        assert str(missing) in p.stderr


@pytest.mark.skipif(not shutil.which("runc"), reason="needs runc to compare with")
@pytest.mark.parametrize("rootless", [False, True])
def test_spec_matches_runc(cinch, tmp_path, rootless):
    # Same defaults as runc, apart from the name and the spec version.
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    ours.mkdir()
    theirs.mkdir()
    flags = ["--rootless"] if rootless else []
    cinch.run("spec", *flags, cwd=ours)
    subprocess.run(["runc", "spec", *flags], cwd=theirs, check=True)
    a = json.loads((ours / "config.json").read_text())
    b = json.loads((theirs / "config.json").read_text())
    for d in (a, b):
        d.pop("ociVersion")
        d.pop("hostname")
    assert a == b


def test_spec_output_runs_unchanged(cinch, bundle, cid, tmp_path):
    # Everything `spec` writes, mounts included (the cgroup mount too), is
    # honoured; only the rootfs, the terminal and the command are changed.
    cinch.run("spec", cwd=tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["process"]["terminal"] = False
    config["process"]["args"] = ["sh", "-c", "cat /proc/self/status | grep ^CapBnd; "
                                 "grep ' /sys/fs/cgroup ' /proc/self/mountinfo | wc -l; ulimit -n"]
    config["root"]["path"] = str(bundle().rootfs)
    (tmp_path / "config.json").write_text(json.dumps(config))
    p = cinch.run("run", "--bundle", tmp_path, cid)
    lines = p.stdout.split()
    # AUDIT_WRITE(29) KILL(5) NET_BIND_SERVICE(10)
    assert lines[1] == f"{(1 << 29) | (1 << 5) | (1 << 10):016x}", p.stdout
    assert int(lines[2]) >= 1, p.stdout
    assert lines[3] == "1024", p.stdout


def test_spec_rootless_maps_caller(cinch, tmp_path):
    cinch.run("spec", "--rootless", cwd=tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["linux"]["uidMappings"] == [
        {"containerID": 0, "hostID": os.geteuid(), "size": 1}]
    assert config["linux"]["gidMappings"] == [
        {"containerID": 0, "hostID": os.getegid(), "size": 1}]
    types = [n["type"] for n in config["linux"]["namespaces"]]
    assert "user" in types and "network" not in types
    assert "resources" not in config["linux"]


# ---- features --------------------------------------------------------------------

@pytest.fixture
def features(cinch):
    return json.loads(cinch.run("features", root=False).stdout)


NS_FILES = {"pid": "pid", "network": "net", "mount": "mnt", "ipc": "ipc", "uts": "uts",
            "user": "user", "cgroup": "cgroup", "time": "time"}


def test_features_shape(features):
    assert features["ociVersionMin"] == "1.0.0"
    assert re.fullmatch(r"1\.\d+\.\d+", features["ociVersionMax"])
    assert set(features["hooks"]) == {"prestart", "createRuntime", "createContainer",
                                      "startContainer", "poststart", "poststop"}
    assert {"ro", "rw", "nosuid", "nodev", "noexec", "bind", "rbind", "rprivate"} <= set(
        features["mountOptions"])
    assert len(features["mountOptions"]) == len(set(features["mountOptions"]))
    linux = features["linux"]
    assert {"namespaces", "capabilities", "cgroup", "seccomp", "apparmor", "selinux"} <= set(linux)
    assert features["annotations"]["io.github.seccomp.libseccomp.version"]


def test_features_namespaces_match_host(features):
    have = {n for n, f in NS_FILES.items() if os.path.exists(f"/proc/self/ns/{f}")}
    assert set(features["linux"]["namespaces"]) == have


def test_features_capabilities_match_kernel(features):
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    caps = features["linux"]["capabilities"]
    assert len(caps) == min(last, 40) + 1
    assert caps[0] == "CAP_CHOWN" and caps[5] == "CAP_KILL" and caps[21] == "CAP_SYS_ADMIN"
    assert all(c.startswith("CAP_") for c in caps)


def test_features_cgroup_matches_layout(features):
    cg = features["linux"]["cgroup"]
    lay = helpers.layout()
    assert cg["v1"] == (lay in ("v1", "hybrid"))
    assert cg["v2"] == (lay in ("v2", "hybrid"))
    # Refused with a clear error until a systemd driver exists.
    assert cg["systemd"] is False and cg["systemdUser"] is False
    rdma = os.path.exists("/sys/fs/cgroup/rdma") or any(
        "rdma" in Path(p).read_text().split()
        for p in ("/sys/fs/cgroup/cgroup.controllers", "/sys/fs/cgroup/unified/cgroup.controllers")
        if os.path.exists(p))
    assert cg.get("rdma", False) == rdma


def test_features_lsm_match_host(features):
    if not os.path.exists("/sys/kernel/security/apparmor"):
        assert features["linux"]["apparmor"]["enabled"] is False
    if not os.path.exists("/sys/fs/selinux/enforce"):
        assert features["linux"]["selinux"]["enabled"] is False


def test_features_libseccomp_version(features):
    v = features["annotations"]["io.github.seccomp.libseccomp.version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", v)
    q = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "libseccomp-dev"],
                       capture_output=True, text=True)
    if q.returncode == 0 and q.stdout:
        # The binary is static: it carries the -dev package's library.
        assert q.stdout.startswith(v), (v, q.stdout)


def test_features_seccomp_lists(features):
    sc = features["linux"]["seccomp"]
    status = Path("/proc/self/status").read_text()
    assert sc["enabled"] == ("Seccomp:" in status)
    assert "SCMP_ACT_ERRNO" in sc["actions"] and "SCMP_ACT_ALLOW" in sc["actions"]
    assert set(sc["operators"]) == {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
                                    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"}
    assert "SCMP_ARCH_X86_64" in sc["archs"]
    assert set(sc["supportedFlags"]) <= set(sc["knownFlags"])


# ---- features claims nothing the runtime refuses -----------------------------------

def _create(cinch, bundle, cid, change, args=None):
    b = bundle(args=args)
    change(b.config)
    b.save()
    return cinch.run("create", "--bundle", b.path, cid, check=False)


def _run(cinch, bundle, cid, change, args):
    """Runs to completion: what is applied only at exec (caps, seccomp) counts."""
    b = bundle(args=args)
    change(b.config)
    b.save()
    return cinch.run("run", "--bundle", b.path, cid, check=False)


def _host_bounding():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapBnd:"):
            return int(line.split()[1], 16)
    return 0


def test_features_every_capability_recognised(cinch, bundle, cid, features):
    # "Recognised" (features.md): each is accepted; those this host lets us hold
    # (CAP_SYS_RESOURCE is missing from the bounding set here) are granted.
    caps = features["linux"]["capabilities"]
    grantable = [c for i, c in enumerate(caps) if _host_bounding() >> i & 1]

    def change(c):
        for k in c["process"]["capabilities"]:
            c["process"]["capabilities"][k] = list(grantable)

    p = _run(cinch, bundle, cid, change, ["sh", "-c", "grep CapBnd /proc/self/status"])
    assert p.returncode == 0, p.stderr
    want = sum(1 << caps.index(c) for c in grantable)
    assert int(p.stdout.split()[1], 16) == want, p.stdout
    cinch.run("delete", "--force", cid, check=False)


def test_features_every_namespace_usable(cinch, bundle, cid, features):
    # user needs mappings; it has its own tests.
    wanted = [n for n in features["linux"]["namespaces"] if n != "user"]
    p = _create(cinch, bundle, cid,
                lambda c: c["linux"].__setitem__("namespaces", [{"type": n} for n in wanted]))
    assert p.returncode == 0, p.stderr
    pid = cinch.state(cid)["pid"]
    for n in wanted:
        f = NS_FILES[n]
        assert os.readlink(f"/proc/{pid}/ns/{f}") != os.readlink(f"/proc/self/ns/{f}"), n
    cinch.run("delete", "--force", cid)


def test_features_seccomp_actions_usable(cinch, bundle, cid, features):
    sc = features["linux"]["seccomp"]
    # NOTIFY needs a listener of its own; every other action is applied for real.
    for action in [a for a in sc["actions"] if a != "SCMP_ACT_NOTIFY"]:
        rule = {"names": ["mknodat"], "action": action}
        p = _run(cinch, bundle, cid, lambda c: c["linux"].__setitem__(
            "seccomp", {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [rule]}), ["showcaps"])
        assert p.returncode == 0, f"{action}: {p.stderr}"
        assert re.search(r"^Seccomp:\s+2$", p.stdout, re.M), f"{action}: no filter: {p.stdout}"
        cinch.run("delete", "--force", cid, check=False)


def test_features_seccomp_flags_honest(cinch, bundle, cid, features):
    sc = features["linux"]["seccomp"]
    supported = sc.get("supportedFlags", [])
    for flag in sc.get("knownFlags", []):
        p = _run(cinch, bundle, cid, lambda c: c["linux"].__setitem__(
            "seccomp", {"defaultAction": "SCMP_ACT_ALLOW", "flags": [flag],
                        "syscalls": [{"names": ["mknodat"], "action": "SCMP_ACT_ERRNO"}]}),
            ["showcaps"])
        if flag in supported:
            assert p.returncode == 0, f"{flag}: {p.stderr}"
            assert re.search(r"^Seccomp:\s+2$", p.stdout, re.M), f"{flag}: {p.stdout}"
        else:
            assert p.returncode != 0, f"{flag} is not in supportedFlags but was accepted"
            assert flag in p.stderr or is_runc(), p.stderr
        cinch.run("delete", "--force", cid, check=False)
        assert cid not in cinch.ids()


def test_features_mount_options_accepted(cinch, bundle, cid, features):
    # Every option listed is understood: a tmpfs mount carrying each one that
    # makes sense on a fresh tmpfs is accepted.
    skip = {"remount", "bind", "rbind", "tmpcopyup", "idmap", "ridmap", "mand", "rmand",
            "rro", "rrw", "rnosuid", "rsuid", "rnodev", "rdev", "rnoexec", "rexec",
            "rnoatime", "ratime", "rnodiratime", "rdiratime", "rrelatime", "rnorelatime",
            "rstrictatime", "rnostrictatime", "rnosymfollow", "rsymfollow",
            "acl", "noacl", "iversion", "noiversion", "loud", "silent",
            "sync", "dirsync", "lazytime", "nolazytime"}
    opts = [o for o in features["mountOptions"] if o not in skip]

    def change(c):
        for o in opts:
            c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                                "options": [o]})

    p = _create(cinch, bundle, cid, change)
    assert p.returncode == 0, p.stderr
    cinch.run("delete", "--force", cid)
