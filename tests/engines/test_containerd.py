"""containerd 1.6 + ctr: the runc.v2 shim calling the runtime under test (--runc-binary)."""

import json
import os
import subprocess

from checks import (MiB, assert_gone, assert_pid_gone, bomb_script, features_cover_config, features_json,
                    features_well_formed)
from engines import IMAGE
from enginelib import (cgroup_dirs_of_pid, freezer_state, host_can_fork, limits_of_pid, pids_events_max,
                       read_file, wait_for)

LOOP = "trap 'echo got-term; exit 0' TERM; sleep 1000 & while :; do sleep 0.2; done"


def rb(c):
    return ["--runc-binary", c.sb.wrapper]


def task_status(c, cid):
    for line in c.ctr("task", "ls", check=False).stdout.splitlines()[1:]:
        f = line.split()
        if f and f[0] == cid:
            return f[2]
    return None


def cgroup_pids(dirs):
    d = dirs.get("pids") or dirs.get("")
    return [int(x) for x in read_file(f"{d}/cgroup.procs").split()]


def test_run_limits_exec_pause_killall_delete(containerd):
    c, sb = containerd, containerd.sb
    sb.mark("ctr run -d --runc-binary --memory-limit 256M --cpus 0.5")
    c.ctr("run", "-d", "--null-io", *rb(c), "--memory-limit", str(256 * MiB), "--cpus", "0.5", IMAGE, "c1",
          "sh", "-c", LOOP)
    pid = wait_for(lambda: c.task_pid("c1"), 20)
    assert pid, sb.argv_tail()
    lim = limits_of_pid(pid)
    assert lim["memory"] == 256 * MiB
    assert (lim["cpu_quota"], lim["cpu_period"]) == (50000, 100000)
    assert task_status(c, "c1") == "RUNNING"

    sb.mark("ctr task exec")
    p = c.ctr("task", "exec", "--exec-id", "e1", "c1", "sh", "-c", "echo exec-ok; exit 6", check=False)
    assert p.returncode == 6 and "exec-ok" in p.stdout, (p.returncode, p.stdout, p.stderr)
    sb.mark("ctr task exec -t")
    rc, out = sb.run_tty(c.ctr_argv("task", "exec", "-t", "--exec-id", "e2", "c1", "sh", "-c",
                                    "tty; [ -t 1 ] && echo is-tty"))
    assert rc == 0 and "/dev/pts/" in out and "is-tty" in out, out

    sb.mark("ctr task ps")
    out = c.ctr("task", "ps", "c1").stdout
    assert str(pid) in out.split(), out

    sb.mark("ctr task pause")
    c.ctr("task", "pause", "c1")
    assert freezer_state(pid) == "FROZEN"
    assert task_status(c, "c1") == "PAUSED"
    sb.mark("ctr task resume")
    c.ctr("task", "resume", "c1")
    assert freezer_state(pid) == "THAWED"
    assert task_status(c, "c1") == "RUNNING"

    sb.mark("ctr task metrics")
    m = c.ctr("task", "metrics", "--format", "json", "c1", check=False)
    assert m.returncode == 0, m.stderr

    dirs = cgroup_dirs_of_pid(pid)
    procs = cgroup_pids(dirs)
    assert len(procs) >= 2, procs  # sh and its background sleep
    sb.mark("ctr task kill -a -s SIGKILL")
    c.ctr("task", "kill", "-a", "-s", "SIGKILL", "c1")
    assert wait_for(lambda: task_status(c, "c1") == "STOPPED", 20), task_status(c, "c1")
    for p_ in procs:
        assert_pid_gone(p_)

    sb.mark("ctr task delete")
    c.ctr("task", "delete", "c1")
    assert_gone(dirs, "c1 after task delete")
    sb.mark("ctr container delete")
    c.ctr("container", "delete", "c1")
    # The shim's cleanup calls `delete --force` for a container the runtime has already
    # deleted; that must succeed (runc: exit 0), or the shim logs a failed cleanup.
    calls = sb.calls("delete")
    forced = [rc for argv, rc in calls if "--force" in argv and argv[-1] == "c1"]
    assert forced and all(rc == 0 for rc in forced), f"delete --force of a gone container: {calls}"
    assert any(rc == 0 for argv, rc in calls if "--force" not in argv and argv[-1] == "c1")


def test_delete_force_gone_container_direct(containerd):
    """The same contract without the shim: `delete --force` on an id the runtime never
    had, under the root the shim uses, exits 0."""
    sb = containerd.sb
    root = f"/run/containerd/runc/{containerd.ns}"
    p = sb.run([sb.wrapper, "--root", root, "delete", "--force", "cinch-never-existed"], check=False)
    assert p.returncode == 0, p.stderr
    p = sb.run([sb.wrapper, "--root", root, "delete", "cinch-never-existed"], check=False)
    assert p.returncode != 0, "plain delete of a missing container must fail"
    assert p.stderr.strip(), "a failing delete must say why"


def test_run_rm_exit_code_and_tty(containerd):
    c, sb = containerd, containerd.sb
    sb.mark("ctr run --rm exit 3")
    p = c.ctr("run", "--rm", *rb(c), IMAGE, "c2", "sh", "-c", "echo out; exit 3", check=False)
    assert p.returncode == 3 and p.stdout.strip() == "out", (p.returncode, p.stdout, p.stderr)
    sb.mark("ctr run -t --rm")
    rc, out = sb.run_tty(c.ctr_argv("run", "-t", "--rm", *rb(c), IMAGE, "c3", "sh", "-c", "tty; exit 0"))
    assert rc == 0 and "/dev/pts/0" in out, out


def test_forkbomb_full_spec(containerd, images):
    """ctr has no pids flag: a full spec (ctr oci spec + resources) goes in with --config."""
    c, sb = containerd, containerd.sb
    spec = json.loads(c.ctr("oci", "spec").stdout)
    spec["root"] = {"path": images["rootfs"], "readonly": True}
    spec["linux"]["cgroupsPath"] = f"/{c.ns}/cbomb"
    spec["linux"]["resources"].update(memory={"limit": 256 * MiB}, cpu={"quota": 50000, "period": 100000},
                                      pids={"limit": 50})
    spec["mounts"].append({"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                           "options": ["ro", "nosuid", "noexec", "nodev"]})
    spec["process"].update(terminal=False, env=["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
                           args=["/bin/sh", "-c", bomb_script()])
    path = f"{sb.dir}/bomb-spec.json"
    with open(path, "w") as f:
        json.dump(spec, f)
    sb.mark("ctr run --rm --config (pids.limit 50, fork bomb)")
    p = sb.popen(c.ctr_argv("run", "--rm", *rb(c), "--config", path, "cbomb"), stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE, text=True)
    try:
        pid = wait_for(lambda: c.task_pid("cbomb"), 20)
        assert pid, sb.argv_tail()
        if not os.path.exists(f"/proc/{pid}"):
            p.wait(30)
            raise AssertionError(f"bomb container exited early: {p.returncode} {p.stdout.read()} {p.stderr.read()}")
        lim = limits_of_pid(pid)
        assert lim["pids"] == 50 and lim["memory"] == 256 * MiB
        assert wait_for(lambda: pids_events_max(pid) > 0, 30)
        assert host_can_fork()
        out, err = p.communicate(timeout=120)
    except FileNotFoundError:  # /proc/<pid> gone: the container ended before the checks
        out, err = p.communicate(timeout=60)
        raise AssertionError(f"bomb container ended early (exit {p.returncode}): {out} {err}\n{sb.argv_tail()}")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, f"{out} {err}\n{sb.argv_tail()}"
    assert "pids.max=50" in out and "survived" in out, out
    assert_gone(lim["dirs"], "fork bomb container")


def test_features_cover_what_containerd_sends(containerd, runtime):
    if not containerd.sb.specs_of("create", "config"):
        containerd.ctr("run", "--rm", *rb(containerd), IMAGE, "cf", "true")
    configs = containerd.sb.specs_of("create", "config")
    assert configs, "no config.json captured from the shim"
    feat = features_json(runtime)
    assert not features_well_formed(feat)
    missing = set()
    for cfg in configs:
        missing.update(features_cover_config(feat, cfg))
    assert not missing, f"containerd sent what `features` does not declare: {sorted(missing)}"
