"""podman (Debian 4.3, conmon, cgroupfs) with `--runtime` pointing at the runtime under test."""

import json
import os
import subprocess
import time

from checks import (MiB, assert_gone, assert_pid_gone, bomb_script, cgroup_file_in_container, features_cover_config, features_json,
                    features_well_formed)
from engines import IMAGE
from enginelib import (layout, cgroup_dirs_of_pid, freezer_state, host_can_fork, limits_of_pid, pids_events_max, wait_for)

LOOP = "trap 'echo got-term; exit 0' TERM; while :; do sleep 0.2; done"


def run_args(podman):
    return ["run", "--network", "none", "--cgroup-parent", podman.cgparent]


def running_pid(podman, name, timeout=20):
    def pid():
        p = podman.podman("inspect", "-f", "{{.State.Running}} {{.State.Pid}}", name, check=False)
        f = p.stdout.split()
        return int(f[1]) if p.returncode == 0 and f and f[0] == "true" and int(f[1]) > 0 else None
    pid_ = wait_for(pid, timeout, 0.2)
    assert pid_, f"{name} never ran:\n{podman.sb.argv_tail()}"
    return pid_


def test_limits_and_forkbomb(podman):
    sb = podman.sb
    sb.mark("podman run --rm --cpus 0.5 -m 256M --pids-limit 50 (fork bomb)")
    p = sb.popen(podman.argv(*run_args(podman), "--rm", "--name", "bomb", "--cpus", "0.5", "-m", "256M",
                             "--pids-limit", "50", IMAGE, "sh", "-c", bomb_script()),
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        pid = running_pid(podman, "bomb")
        lim = limits_of_pid(pid)
        print("DEBUGDIRS", pid, lim["dirs"], open(f"/proc/{pid}/cmdline").read())
        assert lim["memory"] == 256 * MiB
        assert lim["pids"] == 50
        assert (lim["cpu_quota"], lim["cpu_period"]) == (50000, 100000)
        assert wait_for(lambda: pids_events_max(pid) > 0, 30), "pids limit never hit by the bomb"
        assert host_can_fork()
        out, err = p.communicate(timeout=120)
    except FileNotFoundError:  # /proc/<pid> gone: the container ended before the checks
        out, err = p.communicate(timeout=60)
        raise AssertionError(f"bomb container ended early (exit {p.returncode}): {out} {err}\n{sb.argv_tail()}")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, f"exit {p.returncode}: {out} {err}\n{sb.argv_tail()}"
    assert "pids.max=50" in out and "survived" in out, out
    assert_gone(lim["dirs"], "fork bomb container (--rm)")
    assert host_can_fork()


def test_exit_code_and_oom(podman):
    sb = podman.sb
    sb.mark("podman run --rm exit 3")
    p = podman.podman(*run_args(podman), "--rm", IMAGE, "sh", "-c", "exit 3", check=False)
    assert p.returncode == 3, p.stderr
    # podman 4.3 + conmon 2.1.6 report State.OOMKilled=false here even with runc, so the
    # OOM kill is read from the container's own memory cgroup instead.
    sb.mark("podman run -m 32m memhog 200 (OOM)")
    ev = cgroup_file_in_container("memory.events" if layout() == "v2" else "memory.oom_control")
    p = podman.podman(*run_args(podman), "--rm", "-m", "32m", IMAGE, "sh", "-c",
                      f"memhog 200 >/dev/null; echo rc=$?; cat {ev}", check=False, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "rc=137" in p.stdout, p.stdout
    kills = [l.split()[1] for l in p.stdout.splitlines() if l.startswith("oom_kill ")]
    assert kills and int(kills[0]) >= 1, p.stdout


def test_exec_tty_update_pause_stop(podman):
    sb = podman.sb
    sb.mark("podman run -d -m 64m --pids-limit 20")
    podman.podman(*run_args(podman), "-d", "--name", "pw", "-m", "64m", "--pids-limit", "20", IMAGE, "sh", "-c",
                  LOOP)
    pid = running_pid(podman, "pw")
    dirs = cgroup_dirs_of_pid(pid)

    sb.mark("podman exec")
    out = podman.podman("exec", "-e", "FOO=bar", "-w", "/tmp", "pw", "sh", "-c", 'echo "$FOO $(pwd)"').stdout
    assert out.strip() == "bar /tmp"
    assert podman.podman("exec", "pw", "sh", "-c", "exit 5", check=False).returncode == 5

    sb.mark("podman exec -t")
    rc, out = sb.run_tty(podman.argv("exec", "-t", "pw", "sh", "-c", "tty; [ -t 1 ] && echo is-tty"))
    assert rc == 0, out
    assert "/dev/pts/" in out and "is-tty" in out, out

    sb.mark("podman update --memory 128m")
    # podman 4.3's `update` takes --cpus/--memory/... and passes --resources=FILE
    podman.podman("update", "--memory", "128m", "pw")
    assert limits_of_pid(pid)["memory"] == 128 * MiB

    sb.mark("podman pause")
    podman.podman("pause", "pw")
    assert freezer_state(pid) == "FROZEN"
    assert podman.inspect("pw", "{{.State.Status}}") == "paused"
    sb.mark("podman unpause")
    podman.podman("unpause", "pw")
    assert freezer_state(pid) == "THAWED"

    sb.mark("podman top")
    out = podman.podman("top", "pw").stdout
    assert "sleep" in out or "sh" in out, out

    sb.mark("podman kill -s USR1 (pid 1 has no handler: default action ignored for pid 1)")
    podman.podman("kill", "-s", "USR1", "pw")
    time.sleep(0.3)
    assert podman.inspect("pw", "{{.State.Running}}") == "true"

    sb.mark("podman stop -t 10")
    t0 = time.monotonic()
    podman.podman("stop", "-t", "10", "pw")
    assert time.monotonic() - t0 < 8, "stop needed the SIGKILL fallback: SIGTERM not delivered"
    assert podman.inspect("pw", "{{.State.ExitCode}}") == "0"
    assert_pid_gone(pid)
    assert_gone(dirs, "stopped container")

    sb.mark("podman start")
    podman.podman("start", "pw")
    pid = running_pid(podman, "pw")
    dirs = cgroup_dirs_of_pid(pid)
    assert limits_of_pid(pid)["pids"] == 20
    sb.mark("podman rm -f -t 0")
    podman.podman("rm", "-f", "-t", "0", "pw")
    assert_pid_gone(pid)
    assert_gone(dirs, "rm -f container")


def test_run_interactive_tty(podman):
    sb = podman.sb
    sb.mark("podman run --rm -it")
    rc, out = sb.run_tty(podman.argv(*run_args(podman), "--rm", "-it", IMAGE, "sh", "-c",
                                     "tty; [ -t 0 ] && echo stdin-tty; exit 4"))
    assert rc == 4, out
    assert "/dev/pts/0" in out and "stdin-tty" in out, out


def test_features_cover_what_podman_sends(podman, runtime):
    if not podman.sb.specs_of("create", "config"):
        podman.podman(*run_args(podman), "--rm", IMAGE, "true")
    configs = podman.sb.specs_of("create", "config")
    assert configs, "no config.json captured from podman"
    feat = features_json(runtime)
    assert not features_well_formed(feat)
    missing = set()
    for c in configs:
        missing.update(features_cover_config(feat, c))
    assert not missing, f"podman sent what `features` does not declare: {sorted(missing)}"


def test_user_and_cgroup_namespaces(podman):
    """`features` claims user and cgroup namespaces: podman asks for both (--uidmap,
    --cgroupns private) and the container gets them."""
    sb = podman.sb
    sb.mark("podman run --uidmap --gidmap --cgroupns private --uts private --ipc private")
    p = podman.podman(*run_args(podman), "--rm", "--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536",
                      "--cgroupns", "private", "--hostname", "inside", IMAGE, "sh", "-c",
                      "cat /proc/self/uid_map; cat /proc/self/cgroup; hostname; id -u", timeout=180)
    lines = p.stdout.split()
    assert lines[:3] == ["0", "100000", "65536"], p.stdout
    cg = [l for l in p.stdout.splitlines() if l.count(":") >= 2]
    assert cg and all(l.split(":", 2)[2] == "/" for l in cg), p.stdout  # own cgroup is the ns root
    assert "inside" in lines and lines[-1] == "0", p.stdout


def test_oci_hooks_from_hooks_dir(podman):
    """`features` claims the OCI hooks: podman turns hooks-dir entries into prestart and
    poststart hooks of the config, and the runtime runs them with the state on stdin.
    (podman runs poststop hooks itself, so they are not the runtime's.)"""
    sb = podman.sb
    hooks = f"{sb.dir}/hooks.d"
    out = f"{sb.dir}/hook.out"
    os.makedirs(hooks, exist_ok=True)
    for stage in ("prestart", "poststart"):
        with open(f"{hooks}/cinch-{stage}.json", "w") as f:
            json.dump({"version": "1.0.0",
                       "hook": {"path": "/bin/sh", "args": ["sh", "-c", f'read -r s; echo "{stage} $s" >> {out}']},
                       "when": {"always": True}, "stages": [stage]}, f)
    sb.mark("podman --hooks-dir run --rm (prestart + poststart hooks)")
    sb.run(podman.argv("--hooks-dir", hooks, *run_args(podman), "--rm", IMAGE, "true"))
    cfg = sb.specs_of("create", "config")[-1]
    assert cfg["hooks"]["prestart"] and cfg["hooks"]["poststart"], cfg.get("hooks")
    assert wait_for(lambda: os.path.exists(out) and len(open(out).read().splitlines()) >= 2, 10)
    text = open(out).read().splitlines()
    assert [l.split()[0] for l in text] == ["prestart", "poststart"], text
    for l in text:
        state = json.loads(l.split(" ", 1)[1])
        assert state["id"] and state["bundle"] and state["pid"] > 0, l


def test_missing_command_is_127(podman):
    sb = podman.sb
    sb.mark("podman run /nonexistent (runtime error text -> 127)")
    p = podman.podman(*run_args(podman), "--rm", IMAGE, "/nonexistent", check=False)
    assert p.returncode == 127, (p.returncode, p.stderr)
    assert "/nonexistent" in p.stderr, p.stderr
