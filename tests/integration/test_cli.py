"""The runc-compatible command line (issue 2): global options, --log and
--log-format, --debug, --version, --help for every command, usage errors."""

import json
import os
import re

import pytest

import helpers
from conftest import is_runc

COMMANDS = ["create", "start", "state", "kill", "delete", "run", "list", "spec", "exec", "ps",
            "pause", "resume", "update", "events", "features"]

# runc's urfave/cli only takes global options before the subcommand.
after_ok = pytest.mark.skipif(is_runc(), reason="runc refuses global options after the "
                              "subcommand; cinch accepts both places (engines differ)")


def refused(p, *words):
    assert p.returncode != 0, f"{p.args} succeeded: {p.stdout}"
    assert p.stderr.strip(), f"{p.args} failed silently"
    if not is_runc():  # runc adds logrus noise; cinch says it in one line
        assert len(p.stderr.strip().splitlines()) == 1, p.stderr
    for w in [] if is_runc() else words:
        assert w in p.stderr, f"{w!r} not in {p.stderr!r}"


# ---- global options ------------------------------------------------------------

def test_root_before_subcommand(cinch, bundle, cid):
    cinch.run("create", "--bundle", bundle().path, cid)
    # Fixture calls already pass --root first; the entry is under that root.
    assert os.path.isdir(os.path.join(cinch.root, cid))
    assert cinch.run("list", "-q").stdout.split() == [cid]


@after_ok
def test_global_options_after_subcommand(cinch, bundle, cid):
    b = bundle()
    cinch.run("create", "--root", cinch.root, "--bundle", b.path, cid, root=False)
    assert os.path.isdir(os.path.join(cinch.root, cid))
    assert cinch.run("list", "-q", "--root", cinch.root, root=False).stdout.split() == [cid]
    st = json.loads(cinch.run("state", "--root", cinch.root, "--debug", cid, root=False).stdout)
    assert st["id"] == cid
    cinch.run("delete", "--force", "--root", cinch.root, cid, root=False)
    assert cinch.ids() == []


def test_separate_roots_do_not_see_each_other(cinch, bundle, cid, tmp_path):
    cinch.run("create", "--bundle", bundle().path, cid)
    other = tmp_path / "other-root"
    p = cinch.run("--root", other, "list", "-q", root=False)
    assert p.stdout.strip() == ""
    assert cinch.run("--root", other, "state", cid, root=False, check=False).returncode != 0


def _log_lines(path):
    text = path.read_text()
    return [json.loads(l) for l in text.splitlines() if l.strip()]


def test_log_json_on_error(cinch, cid, tmp_path):
    log = tmp_path / "runtime.log"
    p = cinch.run("--log", log, "--log-format", "json", "state", cid, check=False)
    assert p.returncode != 0
    lines = _log_lines(log)
    assert lines, "nothing logged"
    errors = [l for l in lines if l.get("level") == "error"]
    assert errors, lines
    for l in errors:
        assert {"level", "msg", "time"} <= set(l)
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", l["time"]), l["time"]
        assert l["msg"]
    if not is_runc():
        assert any(cid in l["msg"] for l in errors)


def test_log_text_on_error(cinch, cid, tmp_path):
    log = tmp_path / "runtime.log"
    p = cinch.run("--log", log, "--log-format", "text", "state", cid, check=False)
    assert p.returncode != 0
    text = log.read_text()
    assert text.strip(), "nothing logged"
    assert "does not exist" in text or cid in text, text


def test_log_appends(cinch, cid, tmp_path):
    # Engines keep one log file per container across calls.
    log = tmp_path / "runtime.log"
    log.write_text('{"level":"info","msg":"earlier","time":"2020-01-01T00:00:00Z"}\n')
    cinch.run("--log", log, "--log-format", "json", "state", cid, check=False)
    lines = _log_lines(log)
    assert lines[0]["msg"] == "earlier" and len(lines) >= 2


def test_bad_log_format_refused(cinch):
    refused(cinch.run("--log-format", "yaml", "list", check=False), "yaml")


def test_debug_keeps_stdout_clean(cinch, bundle, cid, tmp_path):
    cinch.run("create", "--bundle", bundle().path, cid)
    log = tmp_path / "debug.log"
    p = cinch.run("--debug", "--log", log, "--log-format", "json", "state", cid)
    # State JSON alone on stdout, whatever --debug says goes to the log.
    assert json.loads(p.stdout)["id"] == cid
    for l in _log_lines(log):
        assert {"level", "msg", "time"} <= set(l)


def test_version(cinch):
    for flag in ("--version", "-v"):
        p = cinch.run(flag, root=False)
        assert re.search(r"version \d+\.\d+", p.stdout), p.stdout
        # runc's format: engines and users read the OCI spec version from it.
        assert re.search(r"^spec: 1\.\d+\.\d+", p.stdout, re.M), p.stdout


# ---- help ------------------------------------------------------------------------

def test_help(cinch):
    for flag in ("--help", "-h"):
        p = cinch.run(flag, root=False)
        for c in ("create", "start", "state", "kill", "delete", "run", "list"):
            assert re.search(rf"^\s+{c}\b", p.stdout, re.M), f"{c} missing from {flag}"


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help(cinch, command):
    p = cinch.run(command, "--help")
    assert command in p.stdout and p.stdout.count("\n") >= 2, p.stdout
    assert cinch.ids() == []


# ---- usage errors --------------------------------------------------------------

def test_unknown_command(cinch):
    refused(cinch.run("frobnicate", check=False), "frobnicate")


def test_unknown_global_option(cinch):
    refused(cinch.run("--frobnicate", "list", check=False), "frobnicate")


def test_unknown_command_option(cinch, bundle, cid):
    refused(cinch.run("create", "--frobnicate", "--bundle", bundle().path, cid, check=False),
            "frobnicate")
    assert cinch.ids() == []


@pytest.mark.parametrize("command", ["start", "state", "kill", "delete", "create", "run"])
def test_missing_id(cinch, command):
    refused(cinch.run(command, check=False))


@pytest.mark.parametrize("command", ["start", "state", "delete"])
def test_extra_arguments(cinch, bundle, cid, command):
    cinch.run("create", "--bundle", bundle().path, cid)
    refused(cinch.run(command, cid, "surplus", check=False))
    assert cinch.state(cid)["status"] == "created"


def test_option_missing_value(cinch, cid):
    refused(cinch.run("create", "--bundle", check=False), "bundle")
    assert cinch.ids() == []


# ---- cgroup manager --------------------------------------------------------------

@pytest.mark.skipif(is_runc(), reason="runc has systemd support; cinch refuses it for now")
@pytest.mark.parametrize("opts", [["--systemd-cgroup"], ["--cgroup-manager", "systemd"]])
def test_systemd_cgroup_not_supported(cinch, bundle, cid, opts):
    p = cinch.run(*opts, "create", "--bundle", bundle().path, cid, check=False)
    refused(p, "systemd")
    assert cinch.ids() == []


@pytest.mark.skipif(is_runc(), reason="crun's --cgroup-manager spelling; runc lacks it")
def test_cgroup_manager_cgroupfs(cinch, bundle, cid):
    cinch.run("--cgroup-manager", "cgroupfs", "create", "--bundle", bundle().path, cid)
    assert cinch.state(cid)["status"] == "created"


@pytest.mark.skipif(is_runc(), reason="crun's --cgroup-manager spelling; runc lacks it")
def test_cgroup_manager_bad_value(cinch, bundle, cid):
    p = cinch.run("--cgroup-manager", "bogus", "create", "--bundle", bundle().path, cid,
                  check=False)
    refused(p, "bogus")
    assert cinch.ids() == []


# ---- spec --------------------------------------------------------------------------

def test_spec_writes_default_config(cinch, tmp_path):
    cinch.run("spec", cwd=tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["ociVersion"].startswith("1.")
    assert config["process"]["args"] == ["sh"]
    assert config["root"]["path"] == "rootfs"
    types = {n["type"] for n in config["linux"]["namespaces"]}
    assert {"pid", "mount", "ipc", "uts", "network"} <= types
    # It does not clobber a config that is already there.
    (tmp_path / "config.json").write_text("{}")
    refused(cinch.run("spec", cwd=tmp_path, check=False))
    assert (tmp_path / "config.json").read_text() == "{}"


def test_spec_rootless(cinch, tmp_path):
    cinch.run("spec", "--rootless", cwd=tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert "user" in {n["type"] for n in config["linux"]["namespaces"]}
    assert config["linux"]["uidMappings"] and config["linux"]["gidMappings"]


def test_spec_output_runs(cinch, bundle, cid, tmp_path):
    # What `spec` writes is a working bundle once a rootfs is there.
    cinch.run("spec", cwd=tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["process"]["terminal"] = False
    config["process"]["args"] = ["sh", "-c", "echo spec-ok"]
    config["root"] = {"path": str(bundle().rootfs), "readonly": True}
    (tmp_path / "config.json").write_text(json.dumps(config))
    p = cinch.run("run", "--bundle", tmp_path, cid)
    assert p.stdout == "spec-ok\n"
