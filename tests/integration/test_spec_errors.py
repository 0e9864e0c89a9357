"""A malformed or invalid config.json is refused by `create` with one line naming
the JSON path of the bad field and its value, and leaves nothing behind: no
state entry, no cgroup directory on any hierarchy, no process, no mount.

Each row: (name, change to the default config, words the error must contain)."""

import json
import os

import pytest

import helpers
from conftest import is_runc

pytestmark = pytest.mark.skipif(is_runc(), reason="cinch's error messages and refusals")


def ns(cfg, *extra):
    cfg["linux"]["namespaces"] += list(extra)


def seccomp(cfg, **kw):
    s = {"defaultAction": "SCMP_ACT_ALLOW",
         "syscalls": [{"names": ["mknodat"], "action": "SCMP_ACT_ERRNO"}]}
    s.update(kw)
    cfg["linux"]["seccomp"] = s


def syscall_arg(cfg, op):
    seccomp(cfg, syscalls=[{"names": ["personality"], "action": "SCMP_ACT_ERRNO",
                            "args": [{"index": 0, "value": 8, "op": op}]}])


CASES = [
    # the examples of the issue
    ("unknown-namespace",
     lambda c: c["linux"].__setitem__("namespaces", [{"type": "pid"}, {"type": "mount"},
                                                     {"type": "foo"}]),
     ["linux.namespaces[2].type", '"foo"']),
    ("memory-limit-string",
     lambda c: c["linux"]["resources"].__setitem__("memory", {"limit": "12Q"}),
     ["linux.resources.memory.limit", "integer", '"12Q"']),
    ("unknown-capability",
     lambda c: c["process"]["capabilities"].__setitem__(
         "bounding", ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_FOO"]),
     ["process.capabilities.bounding[3]", '"CAP_FOO"']),
    # missing required fields
    ("no-ociVersion", lambda c: c.pop("ociVersion"), ["ociVersion", "missing"]),
    ("no-root", lambda c: c.pop("root"), ["root", "missing"]),
    ("no-root-path", lambda c: c["root"].pop("path"), ["root.path", "missing"]),
    ("no-args", lambda c: c["process"].pop("args"), ["process.args"]),
    ("empty-args", lambda c: c["process"].__setitem__("args", []), ["process.args"]),
    ("no-cwd", lambda c: c["process"].pop("cwd"), ["process.cwd", "missing"]),
    ("relative-cwd", lambda c: c["process"].__setitem__("cwd", "tmp"),
     ["process.cwd", "absolute", '"tmp"']),
    ("no-uid", lambda c: c["process"]["user"].pop("uid"), ["process.user.uid", "missing"]),
    # strict types
    ("uid-string", lambda c: c["process"]["user"].__setitem__("uid", "0"),
     ["process.user.uid", "integer", '"0"']),
    ("terminal-string", lambda c: c["process"].__setitem__("terminal", "no"),
     ["process.terminal", "boolean", '"no"']),
    ("args-number", lambda c: c["process"].__setitem__("args", ["sh", 5]),
     ["process.args[1]", "string", "5"]),
    ("env-no-equals", lambda c: c["process"]["env"].append("FOO"),
     ["process.env[2]", '"FOO"']),
    ("oom-score-range", lambda c: c["process"].__setitem__("oomScoreAdj", 1001),
     ["process.oomScoreAdj", "1001"]),
    ("pids-limit-string",
     lambda c: c["linux"]["resources"].__setitem__("pids", {"limit": "10"}),
     ["linux.resources.pids.limit", '"10"']),
    ("cpu-shares-negative",
     lambda c: c["linux"]["resources"].__setitem__("cpu", {"shares": -5}),
     ["linux.resources.cpu.shares", "-5"]),
    ("cpu-quota-float",
     lambda c: c["linux"]["resources"].__setitem__("cpu", {"quota": 0.5}),
     ["linux.resources.cpu.quota", "0.5"]),
    ("blkio-weight-range",
     lambda c: c["linux"]["resources"].__setitem__("blockIO", {"weight": 70000}),
     ["linux.resources.blockIO.weight", "70000"]),
    ("device-rule-access",
     lambda c: c["linux"]["resources"]["devices"].append({"allow": True, "access": "rwx"}),
     ["linux.resources.devices[1].access", '"rwx"']),
    ("annotation-number", lambda c: c.__setitem__("annotations", {"a": 1}),
     ["annotations.a", "string"]),
    # namespaces, ids, devices, mounts, hooks
    ("duplicate-namespace", lambda c: ns(c, {"type": "pid"}),
     ["linux.namespaces[5].type", "duplicate", '"pid"']),
    ("namespace-relative-path", lambda c: ns(c, {"type": "cgroup", "path": "proc/1/ns/cgroup"}),
     ["linux.namespaces[5].path", '"proc/1/ns/cgroup"']),
    ("uid-mapping-incomplete",
     lambda c: c["linux"].__setitem__("uidMappings", [{"containerID": 0, "hostID": 1000}]),
     ["linux.uidMappings[0].size", "missing"]),
    ("time-offset-clock",
     lambda c: c["linux"].__setitem__("timeOffsets", {"realtime": {"secs": 5}}),
     ["linux.timeOffsets.realtime", '"realtime"']),
    ("device-type",
     lambda c: c["linux"].__setitem__("devices", [{"path": "/dev/xx", "type": "x",
                                                   "major": 1, "minor": 3}]),
     ["linux.devices[0].type", '"x"']),
    ("device-no-major",
     lambda c: c["linux"].__setitem__("devices", [{"path": "/dev/xx", "type": "c",
                                                   "minor": 3}]),
     ["linux.devices[0].major", "missing"]),
    ("rootfs-propagation",
     lambda c: c["linux"].__setitem__("rootfsPropagation", "sideways"),
     ["linux.rootfsPropagation", '"sideways"']),
    ("masked-relative", lambda c: c["linux"]["maskedPaths"].append("proc/kcore"),
     ["linux.maskedPaths[10]", '"proc/kcore"']),
    ("mount-relative",
     lambda c: c["mounts"].append({"destination": "data", "type": "tmpfs", "source": "tmpfs"}),
     ["mounts[6].destination", '"data"']),
    ("mount-options-object",
     lambda c: c["mounts"][0].__setitem__("options", {"ro": True}),
     ["mounts[0].options", "array"]),
    ("hook-timeout-zero",
     lambda c: c.__setitem__("hooks", {"prestart": [{"path": "/bin/true", "timeout": 0}]}),
     ["hooks.prestart[0].timeout", "0"]),
    ("hook-no-path",
     lambda c: c.__setitem__("hooks", {"poststop": [{"args": ["x"]}]}),
     ["hooks.poststop[0].path", "missing"]),
    # rlimits
    ("rlimit-unknown",
     lambda c: c["process"].__setitem__("rlimits", [{"type": "RLIMIT_FOO", "soft": 1,
                                                     "hard": 1}]),
     ["process.rlimits[0].type", '"RLIMIT_FOO"']),
    ("rlimit-duplicate",
     lambda c: c["process"]["rlimits"].append({"type": "RLIMIT_NOFILE", "soft": 5, "hard": 5}),
     ["process.rlimits[1].type", "duplicate", '"RLIMIT_NOFILE"']),
    ("rlimit-soft-above-hard",
     lambda c: c["process"].__setitem__("rlimits", [{"type": "RLIMIT_CORE", "soft": 10,
                                                     "hard": 5}]),
     ["process.rlimits[0]", "10", "5"]),
    # seccomp vocabulary
    ("seccomp-no-default", lambda c: seccomp(c, defaultAction=None),
     ["linux.seccomp.defaultAction", "missing"]),
    ("seccomp-action", lambda c: seccomp(c, defaultAction="SCMP_ACT_NOPE"),
     ["linux.seccomp.defaultAction", '"SCMP_ACT_NOPE"']),
    ("seccomp-syscall-action",
     lambda c: seccomp(c, syscalls=[{"names": ["kill"], "action": "DENY"}]),
     ["linux.seccomp.syscalls[0].action", '"DENY"']),
    ("seccomp-arch", lambda c: seccomp(c, architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"]),
     ["linux.seccomp.architectures[1]", '"SCMP_ARCH_Z80"']),
    ("seccomp-flag", lambda c: seccomp(c, flags=["SECCOMP_FILTER_FLAG_FAST"]),
     ["linux.seccomp.flags[0]", '"SECCOMP_FILTER_FLAG_FAST"']),
    ("seccomp-operator", lambda c: syscall_arg(c, "SCMP_CMP_ABOUT"),
     ["linux.seccomp.syscalls[0].args[0].op", '"SCMP_CMP_ABOUT"']),
    ("seccomp-no-names",
     lambda c: seccomp(c, syscalls=[{"names": [], "action": "SCMP_ACT_ERRNO"}]),
     ["linux.seccomp.syscalls[0].names"]),
    # known keys cinch cannot honour here
    ("apparmor", lambda c: c["process"].__setitem__("apparmorProfile", "docker-default"),
     ["process.apparmorProfile", '"docker-default"']),
    ("selinux",
     lambda c: c["process"].__setitem__("selinuxLabel", "system_u:system_r:container_t:s0"),
     ["process.selinuxLabel", "container_t"]),
    ("scheduler", lambda c: c["process"].__setitem__("scheduler", {"policy": "SCHED_FIFO"}),
     ["process.scheduler"]),
    ("io-priority",
     lambda c: c["process"].__setitem__("ioPriority", {"class": "IOPRIO_CLASS_IDLE"}),
     ["process.ioPriority"]),
    ("intel-rdt", lambda c: c["linux"].__setitem__("intelRdt", {"closID": "x"}),
     ["linux.intelRdt"]),
    ("personality", lambda c: c["linux"].__setitem__("personality", {"domain": "LINUX32"}),
     ["linux.personality"]),
    ("idmapped-mount",
     lambda c: c["mounts"].append({"destination": "/mnt", "type": "bind", "source": "/tmp",
                                   "options": ["rbind"],
                                   "uidMappings": [{"containerID": 0, "hostID": 1000,
                                                    "size": 1}]}),
     ["mounts[6].uidMappings"]),
]


def _drop_nones(d):
    if isinstance(d, dict):
        return {k: _drop_nones(v) for k, v in d.items() if v is not None}
    if isinstance(d, list):
        return [_drop_nones(v) for v in d]
    return d


def assert_refused_cleanly(cinch, cid, p, words):
    assert p.returncode != 0, f"create accepted it: {p.stdout} {p.stderr}"
    err = p.stderr.strip()
    assert err, "failed without a message"
    assert len(err.splitlines()) == 1, f"error is not one line: {err!r}"
    for w in words:
        assert w in err, f"{w!r} not in {err!r}"
    # Nothing left: no state, no cgroup on any hierarchy, no process.
    assert cid not in cinch.ids()
    assert not os.path.exists(os.path.join(cinch.root, cid))
    assert helpers.find_cgroup_dirs(cid) == []
    assert helpers.pids_in_cgroups_named(cid) == []
    assert cinch.run("state", cid, check=False).returncode != 0


@pytest.mark.parametrize("name,change,words", CASES, ids=[c[0] for c in CASES])
def test_invalid_config_refused(cinch, bundle, cid, name, change, words):
    b = bundle()
    change(b.config)
    b.config = _drop_nones(b.config)
    b.save()
    p = cinch.run("create", "--bundle", b.path, cid, check=False)
    assert_refused_cleanly(cinch, cid, p, words)


MALFORMED = [
    ("empty", "", ["config.json", "line 1"]),
    ("truncated", '{\n  "ociVersion": "1.0.2",\n  "process": {\n', ["config.json", "line 4"]),
    ("bad-literal", '{\n"ociVersion": "1.0.2",\n"root": {"path": tru}}', ["config.json", "line 3"]),
    ("trailing-comma", '{"ociVersion": "1.0.2",}', ["config.json", "line 1"]),
    ("trailing-garbage", '{"ociVersion": "1.0.2"} x', ["config.json", "line 1"]),
    ("not-an-object", '["ociVersion"]', ["config.json", "object", "array"]),
]


@pytest.mark.parametrize("name,text,words", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_json_refused(cinch, bundle, cid, name, text, words):
    b = bundle()
    (b.path / "config.json").write_text(text)
    p = cinch.run("create", "--bundle", b.path, cid, check=False)
    assert_refused_cleanly(cinch, cid, p, words)


def test_missing_config_refused(cinch, bundle, cid):
    b = bundle()
    (b.path / "config.json").unlink()
    p = cinch.run("create", "--bundle", b.path, cid, check=False)
    assert_refused_cleanly(cinch, cid, p, ["config.json"])


def test_unknown_keys_ignored(cinch, bundle, cid):
    # runtime-spec: unknown properties are ignored; the container is made.
    b = bundle()
    b.config["someFutureKey"] = {"x": 1}
    b.config["process"]["futureProcessKey"] = [1, 2]
    b.config["linux"]["futureLinuxKey"] = "y"
    b.save()
    cinch.run("create", "--bundle", b.path, cid)
    assert cinch.state(cid)["status"] == "created"


def test_error_json_log_keeps_path(cinch, bundle, cid, tmp_path):
    # Engines read errors from --log in JSON; the path survives the encoding.
    b = bundle()
    b.config["linux"]["namespaces"].append({"type": "foo"})
    b.save()
    log = tmp_path / "log.json"
    p = cinch.run("--log", log, "--log-format", "json", "create", "--bundle", b.path, cid,
                  check=False)
    assert p.returncode != 0
    msgs = [json.loads(l)["msg"] for l in log.read_text().splitlines() if l.strip()]
    assert any('linux.namespaces[5].type: unknown namespace "foo"' in m for m in msgs), msgs
    assert cid not in cinch.ids()
