"""The three engines, each started privately inside a Sandbox.

Docker: a private containerd + dockerd (cgroupfs driver, no iptables, no
bridge, storage and sockets under the sandbox dir) with the logging wrapper
registered as runtime "cinch". Podman: config files in the sandbox, `--runtime`
per command. Containerd: a private containerd driven by ctr with
`--runc-binary` (the runc.v2 shim calls the wrapper)."""

import json
import os
import shutil

import pytest

from enginelib import EngineError, wait_for

IMAGE = "localhost/cinch-busybox:test"
DOCKER_CLI = "/usr/bin/docker"  # not /usr/local/bin/docker, which is not Debian's


def need(*binaries):
    missing = [b for b in binaries if not (shutil.which(b) or os.path.exists(b))]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (scripts/install-deps.sh --engines installs the engines)")


def _ctd_config(sb, sub):
    d = f"{sb.dir}/{sub}"
    os.makedirs(d, exist_ok=True)
    sock = f"{d}/containerd.sock"
    with open(f"{d}/config.toml", "w") as f:
        f.write(f"""version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{sock}"
[ttrpc]
  address = "{sock}.ttrpc"
""")
    return f"{d}/config.toml", sock


def start_containerd(sb, sub="containerd"):
    need("containerd", "ctr", "containerd-shim-runc-v2")
    conf, sock = _ctd_config(sb, sub)
    try:
        sb.spawn(sub, ["containerd", "--config", conf],
                 lambda: sb.run(["ctr", "--address", sock, "version"], check=False, timeout=10).returncode == 0)
    except EngineError as e:
        pytest.skip(f"containerd could not be started: {e}")
    return sock


class Containerd:
    def __init__(self, sb):
        self.sb = sb
        self.sock = start_containerd(sb)
        # The ctr namespace names the cgroup parent: ctr's cgroupsPath is /<ns>/<id>.
        self.ns = sb.tag

    def ctr(self, *args, **kw):
        return self.sb.run(["ctr", "--address", self.sock, "-n", self.ns, *args], **kw)

    def ctr_argv(self, *args):
        return ["ctr", "--address", self.sock, "-n", self.ns, *args]

    def import_image(self, oci_tar):
        self.ctr("images", "import", oci_tar, timeout=120)
        self.ctr("images", "ls")

    def task_pid(self, cid):
        out = self.ctr("task", "ls").stdout
        for line in out.splitlines()[1:]:
            f = line.split()
            if f and f[0] == cid:
                return int(f[1])
        return None

    def cleanup(self):
        for line in self.ctr("task", "ls", "-q", check=False).stdout.split():
            self.ctr("task", "kill", "-a", "-s", "SIGKILL", line, check=False, timeout=20)
        for line in self.ctr("task", "ls", "-q", check=False).stdout.split():
            wait_for(lambda: "STOPPED" in self.ctr("task", "ls", check=False).stdout or True, 5)
            self.ctr("task", "delete", "--force", line, check=False, timeout=30)
        for c in self.ctr("containers", "ls", "-q", check=False).stdout.split():
            self.ctr("containers", "delete", c, check=False, timeout=30)


class Docker:
    def __init__(self, sb, default_runtime=False, extra=None):
        need("dockerd", DOCKER_CLI)
        self.sb = sb
        ctd = start_containerd(sb, "docker-containerd")
        d = f"{sb.dir}/docker"
        os.makedirs(f"{d}", exist_ok=True)
        self.sock = f"{d}/docker.sock"
        conf = {
            "data-root": f"{d}/root",
            "exec-root": f"{d}/exec",
            "pidfile": f"{d}/dockerd.pid",
            "hosts": [f"unix://{self.sock}"],
            "containerd": ctd,
            "iptables": False, "ip6tables": False, "ip-forward": False, "ip-masq": False,
            "bridge": "none",
            "storage-driver": "overlay2",
            "exec-opts": ["native.cgroupdriver=cgroupfs"],
            "cgroup-parent": f"/{sb.tag}",
            "runtimes": {"cinch": {"path": sb.wrapper}},
            "log-level": "info",
        }
        if default_runtime:
            conf["default-runtime"] = "cinch"
        conf.update(extra or {})
        with open(f"{d}/daemon.json", "w") as f:
            json.dump(conf, f, indent=1)
        try:
            sb.spawn("dockerd", ["dockerd", "--config-file", f"{d}/daemon.json"],
                     lambda: self.docker("version", check=False, timeout=10).returncode == 0, timeout=60)
        except EngineError as e:
            pytest.skip(f"dockerd could not be started: {e}")

    def argv(self, *args):
        return [DOCKER_CLI, "-H", f"unix://{self.sock}", *args]

    def docker(self, *args, **kw):
        return self.sb.run(self.argv(*args), **kw)

    def import_image(self, rootfs_tar):
        self.docker("import", "-c", 'CMD ["/bin/sh"]', "-c", "ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                    rootfs_tar, IMAGE, timeout=120)

    def inspect(self, name, fmt):
        return self.docker("inspect", "-f", fmt, name).stdout.strip()

    def cleanup(self):
        if '"LocalNodeState":"active"' in self.docker("info", "--format", "{{json .Swarm}}", check=False).stdout:
            for s in self.docker("service", "ls", "-q", check=False).stdout.split():
                self.docker("service", "rm", s, check=False)
            self.docker("swarm", "leave", "--force", check=False, timeout=60)
        ids = self.docker("ps", "-aq", check=False).stdout.split()
        if ids:
            self.docker("rm", "-f", *ids, check=False, timeout=60)


class Podman:
    def __init__(self, sb):
        need("podman", "conmon")
        self.sb = sb
        d = f"{sb.dir}/podman"
        os.makedirs(f"{d}/tmp", exist_ok=True)
        with open(f"{d}/storage.conf", "w") as f:
            f.write(f'[storage]\ndriver = "overlay"\nrunroot = "{d}/runroot"\ngraphroot = "{d}/graphroot"\n')
        with open(f"{d}/containers.conf", "w") as f:
            # netns none: neither netavark nor CNI plugins are installed. CAP_SYS_RESOURCE is
            # not in this host's bounding set, so podman's root default ulimits (nofile 1M)
            # cannot be set by any runtime: use limits below the caller's hard limits.
            f.write(f"""[containers]
netns = "none"
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{d}/events.log"
tmp_dir = "{d}/tmp"
volume_path = "{d}/volumes"
""")
        with open(f"{d}/registries.conf", "w") as f:
            f.write('unqualified-search-registries = []\n')
        sb.env.update(CONTAINERS_CONF=f"{d}/containers.conf", CONTAINERS_STORAGE_CONF=f"{d}/storage.conf",
                      CONTAINERS_REGISTRIES_CONF=f"{d}/registries.conf")
        self.cgparent = f"/{sb.tag}"
        sb.engine_cgroups.add("conmon")
        sb.watch_default_parent("libpod_parent")
        p = self.podman("info", "--format", "{{.Host.CgroupManager}} {{.Host.CgroupsVersion}}", check=False)
        if p.returncode != 0:
            pytest.skip(f"podman cannot run here: {p.stderr.strip()[-500:]}")

    def argv(self, *args):
        # `run`/`create` need "--cgroup-parent", self.cgparent: without it podman uses
        # /libpod_parent, which the sandbox's close reports as left behind.
        return ["podman", "--runtime", self.sb.wrapper, "--cgroup-manager", "cgroupfs", *args]

    def podman(self, *args, **kw):
        return self.sb.run(self.argv(*args), **kw)

    def import_image(self, rootfs_tar):
        self.podman("import", "--change", 'CMD ["/bin/sh"]', rootfs_tar, IMAGE, timeout=120)

    def inspect(self, name, fmt):
        return self.podman("inspect", "-f", fmt, name).stdout.strip()

    def cleanup(self):
        self.podman("rm", "-af", "-t", "0", check=False, timeout=60)
