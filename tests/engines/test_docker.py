"""dockerd (Debian docker.io) with the runtime under test registered as "cinch"."""

import json
import os
import shutil
import subprocess
import time

import pytest

from checks import (MiB, assert_gone, assert_pid_gone, bomb_script, features_cover_config, features_json,
                    features_well_formed)
from engines import DOCKER_CLI, IMAGE, Docker, need
from enginelib import (cgroup_dirs_of_pid, freezer_state, host_can_fork, layout, limits_of_pid, pids_events_max,
                       read_file, wait_for)

RUN = ["run", "--runtime", "cinch", "--network", "none"]
LOOP = "trap 'echo got-term; exit 0' TERM; while :; do sleep 0.2; done"


def running_pid(docker, name, timeout=20):
    def pid():
        p = docker.docker("inspect", "-f", "{{.State.Running}} {{.State.Pid}}", name, check=False)
        f = p.stdout.split()
        return int(f[1]) if p.returncode == 0 and f and f[0] == "true" and int(f[1]) > 0 else None
    pid_ = wait_for(pid, timeout)
    assert pid_, f"{name} never ran:\n{docker.sb.argv_tail()}"
    return pid_


def test_forkbomb_contained(docker):
    sb = docker.sb
    sb.mark("docker run --rm --cpus 0.5 -m 256M --pids-limit 50 (fork bomb)")
    p = sb.popen(docker.argv(*RUN, "--rm", "--name", "bomb", "--cpus", "0.5", "-m", "256M", "--pids-limit", "50",
                             IMAGE, "sh", "-c", bomb_script()),
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        pid = running_pid(docker, "bomb")
        lim = limits_of_pid(pid)
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
    assert "pids.max=50" in out
    assert "survived" in out
    ev = [l for l in out.splitlines() if l.startswith("pids.events=")]
    assert ev and int(ev[0].split()[-1]) > 0, out
    assert_gone(lim["dirs"], "fork bomb container (--rm)")
    assert "bomb" not in docker.docker("ps", "-a", "--format", "{{.Names}}").stdout
    assert host_can_fork()


def test_oom_killed(docker):
    docker.sb.mark("docker run -m 32m memhog 200 (OOM)")
    p = docker.docker(*RUN, "--name", "oom", "-m", "32m", IMAGE, "memhog", "200", check=False, timeout=120)
    assert p.returncode == 137, f"exit {p.returncode}: {p.stdout} {p.stderr}"
    assert docker.inspect("oom", "{{.State.OOMKilled}}") == "true"
    docker.sb.mark("docker rm oom")
    docker.docker("rm", "oom")


def test_exec_and_exec_tty(docker):
    sb = docker.sb
    sb.mark("docker run -d (exec)")
    docker.docker(*RUN, "-d", "--name", "ex", IMAGE, "sh", "-c", LOOP)
    pid = running_pid(docker, "ex")
    sb.mark("docker exec")
    out = docker.docker("exec", "-e", "FOO=bar", "-w", "/tmp", "ex", "sh", "-c", 'echo "$FOO $(pwd)"').stdout
    assert out.strip() == "bar /tmp"
    p = docker.docker("exec", "ex", "sh", "-c", "exit 7", check=False)
    assert p.returncode == 7
    sb.mark("docker exec -t")
    rc, out = sb.run_tty(docker.argv("exec", "-t", "ex", "sh", "-c", "tty; [ -t 0 ] && [ -t 1 ] && echo both-tty"))
    assert rc == 0, out
    assert "/dev/pts/" in out and "both-tty" in out, out
    # an exec'd process lives in the container's cgroups
    sb.mark("docker exec (cgroup)")
    out = docker.docker("exec", "ex", "cat", "/proc/self/cgroup").stdout
    assert out.strip()
    dirs = cgroup_dirs_of_pid(pid)
    sb.mark("docker rm -f")
    docker.docker("rm", "-f", "ex")
    assert_pid_gone(pid)
    assert_gone(dirs, "ex (rm -f)")


def test_run_tty_and_exit_code(docker):
    sb = docker.sb
    sb.mark("docker run -t --rm (console socket)")
    rc, out = sb.run_tty(docker.argv(*RUN, "-t", "--rm", IMAGE, "sh", "-c", "tty; [ -t 1 ] && echo is-tty; exit 5"))
    assert rc == 5, out
    assert "/dev/pts/0" in out and "is-tty" in out, out
    sb.mark("docker run --rm exit 3")
    assert docker.docker(*RUN, "--rm", IMAGE, "sh", "-c", "exit 3", check=False).returncode == 3


def test_common_run_options(docker):
    """The options people put on `docker run`, each visible from inside."""
    sb = docker.sb
    data = f"{sb.dir}/data"
    os.makedirs(data, exist_ok=True)
    os.chmod(data, 0o777)
    with open(f"{data}/hello", "w") as f:
        f.write("from-host\n")
    sb.mark("docker run --read-only --tmpfs -v -u -w -e --ulimit --hostname --cap-drop/--cap-add")
    script = ("id -u; id -g; pwd; echo X=$X; ulimit -n; hostname; cat /data/hello; "
              "touch /rootfile 2>/dev/null && echo root-rw || echo root-ro; "
              "touch /scratch/a && echo tmpfs-rw; echo w > /data/w && echo data-rw; "
              "grep CapEff /proc/self/status")
    out = docker.docker(*RUN, "--rm", "--read-only", "--tmpfs", "/scratch", "-v", f"{data}:/data",
                        "-u", "1000:1000", "-w", "/home/app", "-e", "X=1", "--ulimit", "nofile=1000:1000",
                        "--hostname", "h1", "--cap-drop", "ALL", "--cap-add", "CHOWN", IMAGE, "sh", "-c",
                        script, check=False)
    lines = out.stdout.split("\n")
    assert out.returncode == 0 or lines, out.stderr
    assert lines[:9] == ["1000", "1000", "/home/app", "X=1", "1000", "h1", "from-host", "root-ro",
                         "tmpfs-rw"], out.stdout + out.stderr
    assert "data-rw" in lines, out.stdout + out.stderr
    # uid 1000 without CAP_DAC_OVERRIDE: the effective set is empty, the bounding set only CHOWN
    assert "CapEff:\t0000000000000000" in out.stdout, out.stdout
    assert open(f"{data}/w").read() == "w\n"


# `docker run --privileged` (and --cap-add ALL) cannot work on this host with any runtime:
# dockerd 20.10 asks for every capability it knows, CAP_SYS_RESOURCE is missing from the
# host's bounding set, and capset refuses (runc: "unable to apply caps: operation not
# permitted"; cinch: "process.capabilities: capset: Operation not permitted").


def test_init(docker):
    if not shutil.which("docker-init"):
        pytest.skip("docker-init not installed")
    sb = docker.sb
    sb.mark("docker run --init (docker-init bind-mounted as pid 1)")
    out = docker.docker(*RUN, "--rm", "--init", IMAGE, "sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline; echo").stdout
    assert out.split()[0] == "/sbin/docker-init", out


def test_missing_command_is_127_and_leaves_nothing(docker):
    """dockerd maps a runtime's start error to an exit code by its text ("no such file or
    directory" / "executable file not found" -> 127, "permission denied" -> 126)."""
    sb = docker.sb
    sb.mark("docker run /nonexistent (runtime error text -> 127)")
    p = docker.docker(*RUN, "--name", "nx", IMAGE, "/nonexistent", check=False)
    assert p.returncode == 127, (p.returncode, p.stderr)
    assert "/nonexistent" in p.stderr, p.stderr
    sb.mark("docker run /etc/passwd (not executable -> 126)")
    p = docker.docker(*RUN, "--rm", IMAGE, "/etc/passwd", check=False)
    assert p.returncode == 126, (p.returncode, p.stderr)
    docker.docker("rm", "-f", "nx")
    dirs, pids = sb.cgroup_leftovers()
    assert not [d for d in dirs if os.path.basename(d) != "conmon"], dirs


def test_privileged_starts_without_caps_the_host_withholds(docker, runtime):
    """--privileged asks for every capability the kernel knows; this host's bounding
    set lacks CAP_SYS_RESOURCE, which no runtime can grant. cinch leaves such caps
    out with a warning (runc 1.1 fails with "unable to apply caps")."""
    if "runc" in os.path.basename(str(runtime)):
        pytest.skip("runc 1.1 refuses caps outside its own bounding set")
    sb = docker.sb
    sb.mark("docker run --privileged")
    out = docker.docker(*RUN, "--rm", "--privileged", IMAGE, "sh", "-c",
                        "grep CapEff /proc/self/status").stdout
    eff = int(out.split()[1], 16)
    bnd = int([l for l in open("/proc/self/status") if l.startswith("CapBnd:")][0].split()[1], 16)
    # Privileged has CAP_SYS_ADMIN and everything else dockerd knows, but
    # nothing the runtime's own bounding set lacks.
    assert eff & (1 << 21) and eff & (1 << 0), hex(eff)
    assert not eff & ~bnd, (hex(eff), hex(bnd))


def test_update(docker):
    sb = docker.sb
    sb.mark("docker run -d -m 64m --pids-limit 20 --cpus 0.5 (update)")
    docker.docker(*RUN, "-d", "--name", "up", "-m", "64m", "--pids-limit", "20", "--cpus", "0.5", IMAGE, "sh", "-c",
                  LOOP)
    pid = running_pid(docker, "up")
    assert limits_of_pid(pid)["memory"] == 64 * MiB
    sb.mark("docker update --memory 96m --pids-limit 30 --cpus 0.25")
    docker.docker("update", "--memory", "96m", "--memory-swap", "-1", "--pids-limit", "30", "--cpus", "0.25", "up")
    lim = limits_of_pid(pid)
    assert lim["memory"] == 96 * MiB
    assert lim["pids"] == 30
    assert (lim["cpu_quota"], lim["cpu_period"]) == (25000, 100000)
    assert docker.inspect("up", "{{.HostConfig.Memory}}") == str(96 * MiB)
    sb.mark("docker rm -f")
    docker.docker("rm", "-f", "up")
    assert_gone(lim["dirs"])


def test_resource_flags(docker):
    """docker run's other resource flags reach their cgroup files (v1 or v2 by layout)."""
    sb = docker.sb
    sb.mark("docker run -d --cpu-shares --cpuset-cpus --cpu-period/--cpu-quota -m --memory-swap "
            "--memory-reservation --oom-kill-disable --memory-swappiness")
    docker.docker(*RUN, "-d", "--name", "res", "--cpu-shares", "512", "--cpuset-cpus", "0", "--cpu-period", "50000",
                  "--cpu-quota", "25000", "-m", "128m", "--memory-swap", "192m", "--memory-reservation", "64m",
                  "--oom-kill-disable", "--memory-swappiness", "10", IMAGE, "sh", "-c", LOOP)
    pid = running_pid(docker, "res")
    lim = limits_of_pid(pid)
    d = lim["dirs"]
    assert (lim["cpu_quota"], lim["cpu_period"]) == (25000, 50000)
    assert lim["memory"] == 128 * MiB
    assert lim["memory_low"] == 64 * MiB
    if layout() == "v2":
        assert read_file(f"{d['']}/cpu.weight") == str(1 + ((512 - 2) * 9999) // 262142)
        assert read_file(f"{d['']}/cpuset.cpus") == "0"
        assert read_file(f"{d['']}/memory.swap.max") == str(64 * MiB)
    else:
        assert read_file(f"{d['cpu']}/cpu.shares") == "512"
        assert read_file(f"{d['cpuset']}/cpuset.cpus") == "0"
        assert "oom_kill_disable 1" in read_file(f"{d['memory']}/memory.oom_control")
        assert read_file(f"{d['memory']}/memory.swappiness") == "10"
        if os.path.exists(f"{d['memory']}/memory.memsw.limit_in_bytes"):
            assert read_file(f"{d['memory']}/memory.memsw.limit_in_bytes") == str(192 * MiB)
    docker.docker("rm", "-f", "res")
    assert_gone(d)


def test_pause_unpause_top_stats(docker):
    sb = docker.sb
    sb.mark("docker run -d -m 64m (pause/top/stats)")
    docker.docker(*RUN, "-d", "--name", "pz", "-m", "64m", IMAGE, "sh", "-c", LOOP)
    pid = running_pid(docker, "pz")
    sb.mark("docker pause")
    docker.docker("pause", "pz")
    assert freezer_state(pid) == "FROZEN"
    assert docker.inspect("pz", "{{.State.Status}}") == "paused"
    sb.mark("docker unpause")
    docker.docker("unpause", "pz")
    assert freezer_state(pid) == "THAWED"
    assert docker.inspect("pz", "{{.State.Status}}") == "running"
    sb.mark("docker top")
    out = docker.docker("top", "pz").stdout
    assert str(pid) in out.split(), out
    assert "while" in out or "sh" in out
    sb.mark("docker stats --no-stream")
    out = docker.docker("stats", "--no-stream", "--format", "{{.PIDs}}|{{.MemUsage}}", "pz").stdout.strip()
    pids, mem = out.split("|")
    assert int(pids) >= 1, out
    assert mem.strip().endswith("64MiB"), out
    docker.docker("rm", "-f", "pz")


def test_kill_stop_rm(docker):
    sb = docker.sb
    sb.mark("docker run -d (kill)")
    docker.docker(*RUN, "-d", "--name", "kl", IMAGE, "sleep", "1000")
    pid = running_pid(docker, "kl")
    dirs = cgroup_dirs_of_pid(pid)
    sb.mark("docker kill")
    docker.docker("kill", "kl")
    assert wait_for(lambda: docker.inspect("kl", "{{.State.Status}}") == "exited", 20)
    assert docker.inspect("kl", "{{.State.ExitCode}}") == "137"
    assert_pid_gone(pid)
    assert_gone(dirs, "killed container")
    sb.mark("docker rm")
    docker.docker("rm", "kl")

    sb.mark("docker run -d (stop: SIGTERM handled by pid 1)")
    docker.docker(*RUN, "-d", "--name", "st", IMAGE, "sh", "-c", LOOP)
    pid = running_pid(docker, "st")
    dirs = cgroup_dirs_of_pid(pid)
    sb.mark("docker stop -t 10")
    t0 = time.monotonic()
    docker.docker("stop", "-t", "10", "st")
    assert time.monotonic() - t0 < 8, "stop needed the SIGKILL fallback: SIGTERM not delivered"
    assert docker.inspect("st", "{{.State.ExitCode}}") == "0"
    assert "got-term" in docker.docker("logs", "st").stdout
    assert_gone(dirs, "stopped container")
    sb.mark("docker start (restart a stopped container)")
    docker.docker("start", "st")
    pid = running_pid(docker, "st")
    dirs = cgroup_dirs_of_pid(pid)
    sb.mark("docker rm -f (running)")
    docker.docker("rm", "-f", "st")
    assert_pid_gone(pid)
    assert_gone(dirs, "rm -f container")
    assert "st" not in docker.docker("ps", "-a", "--format", "{{.Names}}").stdout.split()


def test_seccomp_profiles(docker):
    """`features` claims seccomp: dockerd's default profile (keyctl -> EPERM) and a
    custom one (mkdir -> EPERM) are enforced; seccomp=unconfined sends none."""
    sb = docker.sb
    sb.mark("docker run (default seccomp profile)")
    out = docker.docker(*RUN, "--rm", IMAGE, "trysyscall", "keyctl").stdout
    assert "keyctl: errno 1 (EPERM)" in out, out
    sb.mark("docker run --security-opt seccomp=unconfined")
    out = docker.docker(*RUN, "--rm", "--security-opt", "seccomp=unconfined", IMAGE, "trysyscall", "keyctl").stdout
    assert "keyctl: ok" in out, out
    prof = f"{sb.dir}/seccomp.json"
    with open(prof, "w") as f:
        json.dump({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
                   "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}, f)
    sb.mark("docker run --security-opt seccomp=custom.json")
    p = docker.docker(*RUN, "--rm", "--security-opt", f"seccomp={prof}", IMAGE, "sh", "-c",
                      "mkdir /tmp/x 2>&1; echo rc=$?; touch /tmp/y && echo touched", check=False)
    assert "Operation not permitted" in p.stdout and "rc=1" in p.stdout and "touched" in p.stdout, p.stdout


def test_features_cover_what_dockerd_sends(docker, runtime):
    """dockerd 20.10, podman 4.3 and containerd 1.6 never call `features` themselves (see
    the argv logs), so its consistency is judged against what they do send:
    every namespace, capability, mount flag, seccomp action/operator/arch and hook
    in the config.json dockerd sent is declared by `features`; the runtime ran them all."""
    if not docker.sb.specs_of("create", "config"):
        docker.docker(*RUN, "--rm", IMAGE, "true")
    configs = docker.sb.specs_of("create", "config")
    assert configs, "no config.json captured from dockerd"
    feat = features_json(runtime)
    assert not features_well_formed(feat)
    missing = set()
    for c in configs:
        missing.update(features_cover_config(feat, c))
    assert not missing, f"dockerd sent what `features` does not declare: {sorted(missing)}"


# ---------------------------------------------------------------- swarm and compose

def _give_address(sb):
    """Swarm needs a non-loopback-interface address to advertise. Inside the sandbox's
    own network namespace: a veth pair holding 127.0.0.2 (never routed anywhere)."""
    sb.run(["sh", "-c", "ip link add cinch0 type veth peer name cinch1 && ip addr add 127.0.0.2/8 dev cinch0"
            " && ip link set cinch0 up && ip link set cinch1 up"])
    return "127.0.0.2"


def test_swarm_service_limits(sandbox_factory, images):
    need("dockerd", DOCKER_CLI, "containerd", "ctr", "containerd-shim-runc-v2")
    sb = sandbox_factory("docker-swarm")
    d = Docker(sb, default_runtime=True)
    sandbox_factory.set_engine(sb, d)
    d.import_image(images["tar"])
    addr = _give_address(sb)
    sb.mark("docker swarm init")
    p = d.docker("swarm", "init", "--advertise-addr", addr, "--listen-addr", f"{addr}:2377", check=False,
                 timeout=120)
    if p.returncode != 0:
        pytest.skip(f"docker swarm init failed offline: {p.stderr.strip()}")
    sb.mark("docker service create --limit-cpu 0.5 --limit-memory 256M --reserve-memory 128M")
    d.docker("service", "create", "--detach", "--name", "svc", "--limit-cpu", "0.5", "--limit-memory", "256M",
             "--reserve-memory", "128M", "--stop-grace-period", "1s", IMAGE, "sleep", "1000", timeout=120)

    def task_pid():
        ids = d.docker("ps", "-q", "--filter", "label=com.docker.swarm.service.name=svc", check=False).stdout.split()
        if not ids:
            return None
        f = d.docker("inspect", "-f", "{{.State.Running}} {{.State.Pid}}", ids[0], check=False).stdout.split()
        return (ids[0], int(f[1])) if f and f[0] == "true" else None
    got = wait_for(task_pid, 90, 0.5)
    assert got, ("service task never ran: " + d.docker("service", "ps", "--no-trunc", "svc", check=False).stdout
                 + "\n" + sb.argv_tail())
    cid, pid = got
    assert d.inspect(cid, "{{.HostConfig.Runtime}}") == "cinch"
    lim = limits_of_pid(pid)
    assert lim["memory"] == 256 * MiB
    assert (lim["cpu_quota"], lim["cpu_period"]) == (50000, 100000)
    # swarmkit uses reservations for scheduling only: dockerd puts no soft limit into the
    # spec (so the runtime must not invent one), while the service keeps the reservation.
    assert lim["memory_low"] is None
    res = json.loads(d.docker("service", "inspect", "-f", "{{json .Spec.TaskTemplate.Resources}}", "svc").stdout)
    assert res["Reservations"]["MemoryBytes"] == 128 * MiB
    cfg = sb.specs_of("create", "config")[-1]
    mem = cfg["linux"]["resources"]["memory"]
    assert mem["limit"] == 256 * MiB and "reservation" not in mem
    sb.mark("docker service rm")
    d.docker("service", "rm", "svc")
    assert_pid_gone(pid)
    assert_gone(lim["dirs"], "service task")


COMPOSE = """version: "3.8"
services:
  web:
    image: localhost/cinch-busybox:test
    command: ["sleep", "1000"]
    network_mode: none
    runtime: cinch
    deploy:
      resources:
        limits: {cpus: "0.5", memory: 256M}
        reservations: {memory: 128M}
"""


def test_compose_deploy_resources(docker):
    """Debian's docker-compose 1.29 applies deploy.resources limits outside swarm
    (limits -> Memory/NanoCpus, reservations.memory -> MemoryReservation)."""
    if not shutil.which("docker-compose"):
        pytest.skip("docker-compose not installed")
    sb = docker.sb
    proj = f"{sb.dir}/compose"
    os.makedirs(proj, exist_ok=True)
    with open(f"{proj}/docker-compose.yml", "w") as f:
        f.write(COMPOSE)
    env = {"DOCKER_HOST": f"unix://{docker.sock}", "COMPOSE_PROJECT_NAME": "cinchc"}
    sb.mark("docker-compose up -d (deploy.resources)")
    p = sb.run(["docker-compose", "-f", f"{proj}/docker-compose.yml", "up", "-d"], env=env, check=False, timeout=120)
    assert p.returncode == 0, p.stderr
    try:
        pid = running_pid(docker, "cinchc_web_1")
        assert docker.inspect("cinchc_web_1", "{{.HostConfig.Runtime}}") == "cinch"
        lim = limits_of_pid(pid)
        assert lim["memory"] == 256 * MiB
        assert (lim["cpu_quota"], lim["cpu_period"]) == (50000, 100000)
        assert lim["memory_low"] == 128 * MiB
    finally:
        sb.mark("docker-compose down")
        sb.run(["docker-compose", "-f", f"{proj}/docker-compose.yml", "down", "-t", "1"], env=env, check=False,
               timeout=120)
