#!/usr/bin/python3
"""The benchmark harness: cinch against runc and crun, results as ratios.

bench/run.sh builds the timing driver (bench/cbench.c) and starts this file
inside a private mount namespace with /sys/fs/cgroup/unified unmounted, so
that all three runtimes see the same cgroup layout (crun 1.8 refuses the
hybrid one). Every section records raw numbers into a results dict; report.py
turns them into docs/BENCHMARKS.md. Latency-critical loops run in cbench (C);
this file only orchestrates, so its own overhead stays outside the timings.
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import report  # noqa: E402

PREFIX = "cbench-"
RUNTIMES = ("cinch", "runc", "crun")

MODES = {
    # iterations, warm-up, density Ns, enforcement seconds, strace reps, front-end runs
    "smoke": dict(iters=3, warmup=1, density=[2], enforce_s=0, strace=1, frontend=2, vm=False,
                  engines=False),
    "quick": dict(iters=20, warmup=2, density=[10], enforce_s=2, strace=1, frontend=5, vm=False,
                  engines=True),
    "full": dict(iters=100, warmup=5, density=[10, 100], enforce_s=5, strace=3, frontend=20,
                 vm=True, engines=True),
}


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def sh(*argv, check=True, timeout=120, **kw):
    """Runs a command and captures its output through files, not pipes: a
    container started by `create` or `run -d` inherits the runtime's stdio and
    would hold a pipe open long after the runtime exited."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        kw.setdefault("stdout", out)
        kw.setdefault("stderr", err)
        kw.setdefault("stdin", subprocess.DEVNULL)
        try:
            p = subprocess.run([str(a) for a in argv], timeout=timeout, text=True, **kw)
        except OSError as e:  # e.g. a binary being rebuilt right now
            p = subprocess.CompletedProcess([str(a) for a in argv], 127)
            err.write(f"{argv[0]}: {e}\n")
        out.seek(0)
        err.seek(0)
        p.stdout = out.read() if kw["stdout"] is out else None
        p.stderr = err.read() if kw["stderr"] is err else None
    if check and p.returncode != 0:
        raise subprocess.CalledProcessError(p.returncode, p.args, p.stdout, p.stderr)
    return p


def first_line(text):
    text = (text or "").strip()
    return text.splitlines()[0] if text else ""


def quantile(values, q):
    """Nearest-rank quantile: a value that was actually measured."""
    v = sorted(values)
    if not v:
        return None
    k = max(0, min(len(v) - 1, int(-(-q * len(v) // 1)) - 1))
    return v[k]


# --- cgroups -------------------------------------------------------------

def layout():
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        return "v2"
    if os.path.exists("/sys/fs/cgroup/unified/cgroup.controllers"):
        return "hybrid"
    return "v1"


def cgroup_dir(pid, controller):
    """The directory of PID's cgroup for CONTROLLER (v1) or the unified one."""
    with open(f"/proc/{pid}/cgroup") as f:
        lines = [ln.rstrip("\n").split(":", 2) for ln in f]
    if layout() == "v2":
        for hid, _, path in lines:
            if hid == "0":
                return "/sys/fs/cgroup" + path
    for _, ctrls, path in lines:
        if controller in ctrls.split(","):
            base = "/sys/fs/cgroup/" + ctrls
            if not os.path.isdir(base):
                base = "/sys/fs/cgroup/" + controller
            return base + path
    raise RuntimeError(f"pid {pid} has no {controller} cgroup")


def read_int(path, key=None):
    with open(path) as f:
        text = f.read()
    if key is None:
        return int(text.split()[0])
    for line in text.splitlines():
        k, _, v = line.partition(" ")
        if k == key:
            return int(v)
    return 0


def cpu_usage_ns(pid_or_dir, is_dir=False):
    d = pid_or_dir if is_dir else cgroup_dir(pid_or_dir, "cpuacct")
    if layout() == "v2":
        return read_int(d + "/cpu.stat", "usage_usec") * 1000
    return read_int(d + "/cpuacct.usage")


def cgroup_mounts():
    """Mount points of real cgroup file systems. The tmpfs under them does not
    count: with unified unmounted, crun 1.8 still mkdirs (and writes a plain
    cgroup.procs file) under the now-empty /sys/fs/cgroup/unified, which is
    harmless and vanishes with our mount namespace."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            if right.split()[0] in ("cgroup", "cgroup2"):
                out.append(left.split()[4])
    return out


def leaked_cgroups():
    found = []
    for mnt in cgroup_mounts():
        for top, dirs, _ in os.walk(mnt):
            for d in dirs:
                if d.startswith(PREFIX):
                    found.append(os.path.join(top, d))
            dirs[:] = [d for d in dirs if not d.startswith(PREFIX)]
    return found


def kill_cgroup_tree(path):
    """Last resort for a cgroup a runtime failed to empty: SIGKILL its
    processes until none are left (a fork bomb refills between reads), then
    remove it, children first."""
    for top, dirs, _ in os.walk(path, topdown=False):
        for _ in range(200):
            try:
                with open(os.path.join(top, "cgroup.procs")) as f:
                    pids = [int(x) for x in f.read().split()]
            except OSError:
                break
            alive = 0
            for p in pids:
                try:
                    os.kill(p, signal.SIGKILL)
                    alive += 1
                except OSError:
                    pass
            if not alive:
                break
            time.sleep(0.01)
        try:
            os.rmdir(top)
        except OSError:
            pass


# --- the bench context -------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        self.mode = MODES[args.mode]
        self.work = tempfile.mkdtemp(prefix="cbench.", dir=args.workdir)
        self.rundir = os.path.join(self.work, "run")
        os.makedirs(self.rundir)
        self.cbench = os.path.join(REPO, "build/bench/cbench")
        self.rt = {}  # name -> binary, for usable runtimes
        self.skipped = {}  # name -> reason
        self.loops = []
        self.res = {"mode": args.mode, "notes": [], "leaks": []}

    # runtimes

    def root(self, name):
        d = os.path.join(self.work, "root-" + name)
        os.makedirs(d, exist_ok=True)
        return d

    def rtcmd(self, name, *args):
        return [self.rt[name], "--root", self.root(name), *[str(a) for a in args]]

    def find_runtimes(self):
        cands = {
            "cinch": os.environ.get("CINCH") or os.path.join(REPO, "build/cinch"),
            "runc": shutil.which("runc"),
            "crun": shutil.which("crun"),
        }
        for name in RUNTIMES:
            if self.args.runtimes and name not in self.args.runtimes:
                continue
            binary = cands[name]
            if not binary or not os.access(binary, os.X_OK):
                self.skipped[name] = "not installed"
                continue
            self.rt[name] = os.path.abspath(binary)
            why = self.probe(name)
            if why:
                del self.rt[name]
                self.skipped[name] = why
                log(f"{name}: skipped: {why}")

    def probe(self, name):
        """A runtime joins only if one plain create/start/delete works here."""
        cid = f"{PREFIX}probe-{name}"
        b = self.bundles["true"]
        steps = [("create", "--bundle", b, cid), ("start", cid)]
        try:
            for step in steps:
                r = sh(*self.rtcmd(name, *step), check=False, timeout=30)
                if r.returncode != 0:
                    return f"`{step[0]}` fails: {first_line(r.stderr) or 'exit %d' % r.returncode}"
            time.sleep(0.2)
            r = sh(*self.rtcmd(name, "delete", cid), check=False, timeout=30)
            if r.returncode != 0:
                return f"`delete` fails: {first_line(r.stderr)}"
        except subprocess.TimeoutExpired as e:
            return f"`{e.cmd[3]}` hangs (> 30 s)"
        finally:
            sh(*self.rtcmd(name, "delete", "-f", cid), check=False, timeout=30)
        return None

    def versions(self):
        v = {}
        for name, binary in self.rt.items():
            r = sh(binary, "--version", check=False)
            v[name] = " ".join((r.stdout or r.stderr).strip().splitlines()[:2])
        for tool in ("strace", "podman", "docker"):
            p = shutil.which(tool)
            if p:
                r = sh(p, "--version", check=False)
                v[tool] = first_line(r.stdout or r.stderr)
        r = sh("git", "-C", REPO, "rev-parse", "--short", "HEAD", check=False)
        v["cinch_commit"] = r.stdout.strip()
        return v

    # bundles

    def make_rootfs(self):
        """A busybox rootfs (plus the test payload when it has applets),
        cached in build/bench/rootfs and rebuilt when its inputs change: the
        v2 guest reads it from there too (it has its own /tmp)."""
        rootfs = os.path.join(REPO, "build/bench/rootfs")
        payload = os.path.join(REPO, "build/payload")
        mkimage = os.path.join(REPO, "scripts/mkimage.sh")
        stamp = os.path.join(REPO, "build/bench/rootfs.done")
        inputs = [p for p in (payload, mkimage, "/bin/busybox") if os.path.exists(p)]
        if os.path.exists(stamp) and all(os.path.getmtime(p) <= os.path.getmtime(stamp)
                                         for p in inputs):
            return rootfs
        shutil.rmtree(rootfs, ignore_errors=True)
        argv = [mkimage]
        if self.payload_applets(payload):
            argv += ["--payload", payload]
        if os.path.exists(mkimage):
            sh(*argv, rootfs)
        else:
            # Before scripts/mkimage.sh existed: the least a busybox rootfs needs.
            os.makedirs(rootfs + "/bin")
            for d in ("proc", "sys", "dev", "tmp", "etc"):
                os.makedirs(os.path.join(rootfs, d))
            shutil.copy("/bin/busybox", rootfs + "/bin/busybox")
            for a in sh("/bin/busybox", "--list").stdout.split():
                if a != "busybox":
                    os.symlink("busybox", os.path.join(rootfs, "bin", a))
        with open(stamp, "w"):
            pass
        return rootfs

    @staticmethod
    def payload_applets(payload):
        if not os.access(payload, os.X_OK):
            return []
        r = sh(payload, "--list", check=False)
        return r.stdout.split() if r.returncode == 0 else []

    def base_spec(self):
        d = os.path.join(self.work, "spec")
        if not os.path.exists(os.path.join(d, "config.json")):
            os.makedirs(d, exist_ok=True)
            # runc's own default spec, so that nobody's defaults are favoured.
            sh(shutil.which("runc") or "runc", "spec", cwd=d)
        with open(os.path.join(d, "config.json")) as f:
            spec = json.load(f)
        spec["process"]["terminal"] = False
        spec["root"]["path"] = self.rootfs
        res = spec["linux"].setdefault("resources", {})
        res["memory"] = {"limit": 256 << 20}
        res["pids"] = {"limit": 128}
        res["cpu"] = {"shares": 1024, "quota": 100000, "period": 100000}
        return spec

    def bundle(self, name, args, edit=None):
        spec = self.base_spec()
        spec["process"]["args"] = args
        if edit:
            edit(spec)
        d = os.path.join(self.work, "bundle-" + name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(spec, f, indent=1)
        return d

    def prepare(self):
        self.rootfs = self.make_rootfs()
        self.applets = self.payload_applets(os.path.join(self.rootfs, "bin/payload"))
        self.bundles = {
            "true": self.bundle("true", ["/bin/true"]),
            "sleep": self.bundle("sleep", ["/bin/sleep", "3600"]),
        }

    # sections

    def lifecycle(self):
        names = list(self.rt)
        contenders = [f"rt:{n}:{self.rt[n]}:{self.root(n)}" for n in names]
        contenders += [f"run:{n}-run:{self.rt[n]}:{self.root(n)}" for n in names]
        contenders += ["cmd:exec:/bin/true",
                       "cmd:unshare:" + shutil.which("unshare") + " -fpmnuic --mount-proc /bin/true",
                       "cg:cgroup:"]
        if layout() != "v2":
            # The v1 hierarchies a runtime cannot do without for this spec.
            contenders.append("cg:cgroup-min:cpu,memory,pids,devices,freezer")
        out = os.path.join(self.work, "lifecycle.tsv")
        iters, warm = self.mode["iters"], self.mode["warmup"]
        log(f"lifecycle: {iters} interleaved runs of {len(contenders)} contenders")
        r = sh(self.cbench, "lifecycle", iters, warm, out, self.bundles["true"], self.rundir,
               *contenders, check=False, timeout=3600, stdout=None, stderr=None)
        rows = report.read_tsv(out)
        self.res["lifecycle"] = report.summarize_lifecycle(rows)
        self.res["lifecycle_driver_status"] = r.returncode
        if self.args.keep_raw:
            shutil.copy(out, self.args.keep_raw)

    def ablation(self):
        """cinch alone on variants of the lifecycle bundle, interleaved: what
        each part of the spec costs, to say where the time goes."""
        if "cinch" not in self.rt:
            return

        def no_net(spec):
            spec["linux"]["namespaces"] = [n for n in spec["linux"]["namespaces"]
                                           if n["type"] != "network"]

        def no_limits(spec):
            spec["linux"]["resources"] = {"devices": spec["linux"]["resources"]["devices"]}

        def no_masks(spec):
            spec["linux"].pop("maskedPaths", None)
            spec["linux"].pop("readonlyPaths", None)

        def proc_only(spec):
            spec["mounts"] = [m for m in spec["mounts"] if m["destination"] == "/proc"]

        def bare(spec):
            for f in (no_net, no_masks, proc_only):
                f(spec)
        variants = {"spec as above": None, "no network namespace": no_net,
                    "no resource limits": no_limits,
                    "no masked/readonly paths": no_masks,
                    "only the /proc mount": proc_only,
                    "no netns, masks or mounts but /proc": bare}
        contenders = []
        for i, (label, edit) in enumerate(variants.items()):
            b = self.bundle(f"abl{i}", ["/bin/true"], edit)
            contenders.append(f"rt:abl{i}:{self.rt['cinch']}:{self.root('cinch')}:{b}")
        out = os.path.join(self.work, "ablation.tsv")
        iters = max(5, self.mode["iters"] // 2)
        log(f"ablation: {iters} interleaved runs of {len(contenders)} cinch variants")
        sh(self.cbench, "lifecycle", iters, 1, out, self.bundles["true"], self.rundir,
           *contenders, check=False, timeout=1800, stdout=None, stderr=None)
        summ = report.summarize_lifecycle(report.read_tsv(out))
        self.res["ablation"] = {label: summ.get(f"abl{i}") for i, label in enumerate(variants)}

    def density(self):
        out = {}
        ns = [1] + self.mode["density"]
        for n in ns:
            for name in self.rotated(n):
                f = os.path.join(self.work, f"density-{name}-{n}.txt")
                log(f"density: {name} N={n}")
                sh(self.cbench, "density", n, f, self.bundles["sleep"], self.rundir,
                   f"rt:{name}:{self.rt[name]}:{self.root(name)}", check=False, timeout=900,
                   stdout=None, stderr=None)
                out.setdefault(name, {})[str(n)] = report.read_kv(f)
                self.check_leaks(f"density {name} N={n}")
        self.res["density"] = out

    def rotated(self, k):
        names = list(self.rt)
        k %= max(1, len(names))
        return names[k:] + names[:k]

    def syscalls(self):
        out = {}
        for name in self.rt:
            runs = []
            for i in range(self.mode["strace"]):
                cid = f"{PREFIX}strace-{name}-{i}"
                f = os.path.join(self.work, f"strace-{name}-{i}.txt")
                sh("strace", "-f", "-c", "-o", f, *self.rtcmd(name, "run", "--bundle",
                                                             self.bundles["true"], cid),
                   check=False, timeout=120)
                calls, top = report.parse_strace(f)
                # runc and crun delete on exit; count a runtime's own delete if
                # it kept the state.
                if sh(*self.rtcmd(name, "state", cid), check=False).returncode == 0:
                    g = f + ".delete"
                    sh("strace", "-f", "-c", "-o", g, *self.rtcmd(name, "delete", "-f", cid),
                       check=False)
                    dcalls, _ = report.parse_strace(g)
                    calls += dcalls
                runs.append((calls, top))
            runs.sort(key=lambda x: x[0])
            calls, top = runs[len(runs) // 2]
            out[name] = {"calls": calls, "top": top}
            # Where the time goes: the same run with wall time per syscall.
            cid = f"{PREFIX}stracew-{name}"
            f = os.path.join(self.work, f"stracew-{name}.txt")
            sh("strace", "-f", "-w", "-c", "-o", f, *self.rtcmd(name, "run", "--bundle",
                                                                self.bundles["true"], cid),
               check=False, timeout=120)
            sh(*self.rtcmd(name, "delete", "-f", cid), check=False)
            out[name]["wall_top"] = report.parse_strace(f, by="time")[1]
        self.res["syscalls"] = out
        self.check_leaks("syscalls")
        self.where()

    def where(self):
        """Where a runtime's time goes: `strace -f -T -y` over a few foreground
        runs, the time inside syscalls summed by what they touch. strace slows
        every call, and on a busy machine preemption lands anywhere, so read
        the shares, not the absolute numbers."""
        reps = 5 if self.args.mode == "full" else 2
        out = {}
        for name in [n for n in ("cinch", "crun") if n in self.rt]:
            cats = {}
            for i in range(reps):
                cid = f"{PREFIX}where-{name}-{i}"
                f = os.path.join(self.work, f"where-{name}-{i}.txt")
                sh("strace", "-f", "-T", "-y", "-o", f, *self.rtcmd(name, "run", "--bundle",
                                                                     self.bundles["true"], cid),
                   check=False, timeout=120)
                sh(*self.rtcmd(name, "delete", "-f", cid), check=False)
                for cat, secs in report.classify_strace(f, self.root(name), self.rootfs):
                    c = cats.setdefault(cat, [0, 0.0])
                    c[0] += 1
                    c[1] += secs
            out[name] = {k: {"calls": v[0] / reps, "ms": v[1] * 1000 / reps}
                         for k, v in cats.items()}
        self.res["where"] = out
        if shutil.which("perf"):
            self.slow_syscalls(reps)

    def slow_syscalls(self, reps):
        """The individual syscalls that block for more than 1 ms, from `perf
        trace --duration 1` (far lighter than strace), over a few foreground
        runs: this is where the kernel makes a runtime wait."""
        out = {}
        # runc left out: its Go runtime's futex and nanosleep waits swamp the table.
        for name in [n for n in ("cinch", "crun") if n in self.rt]:
            seen = {}
            for i in range(reps):
                cid = f"{PREFIX}perf-{name}-{i}"
                f = os.path.join(self.work, f"perf-{name}-{i}.txt")
                sh("perf", "trace", "--duration", "1", "-o", f, "--",
                   *self.rtcmd(name, "run", "--bundle", self.bundles["true"], cid),
                   check=False, timeout=120)
                sh(*self.rtcmd(name, "delete", "-f", cid), check=False)
                for key, dur in report.parse_perf_trace(f, cid):
                    seen.setdefault(key, []).append(dur)
            out[name] = {"runs": reps, "slow": {k: {"n": len(v), "median_ms": statistics.median(v),
                                                     "max_ms": max(v)}
                                                 for k, v in seen.items()}}
        self.res["slow_syscalls"] = out

    # enforcement

    def enforcement(self):
        if not self.mode["enforce_s"]:
            return
        names = [n for n in ("cinch", "runc") if n in self.rt]
        if not names:
            return
        self.res["enforce"] = {"cpu": {}, "io": {}, "pids": {}, "workloads": {}}
        self.enforce_cpu(names)
        self.enforce_io(names)
        self.enforce_pids(names)

    def start_detached(self, name, bundle, cid):
        pidfile = os.path.join(self.rundir, cid + ".pid")
        sh(*self.rtcmd(name, "run", "-d", "--pid-file", pidfile, "--bundle", bundle, cid),
           timeout=60)
        with open(pidfile) as f:
            return int(f.read().strip())

    def stop(self, name, cid):
        r = sh(*self.rtcmd(name, "delete", "-f", cid), check=False, timeout=60)
        reap_orphans()
        return r.returncode == 0

    def enforce_cpu(self, names):
        burn = ["/bin/sh", "-c", "for i in 1 2; do (while :; do :; done) & done; wait"]
        label = "busybox sh: two busy loops"
        if "cpuburn" in self.applets:
            burn, label = ["/bin/cpuburn", "--threads", "2"], "payload cpuburn --threads 2"
        self.res["enforce"]["workloads"]["cpu"] = label
        secs = self.mode["enforce_s"]
        for cpus in (0.25, 0.5, 1.5):
            quota = int(cpus * 100000)

            # The largest cpu.shares, so that on a machine shared with other
            # work the quota, not the competition, is what holds the container.
            def edit(spec, quota=quota):
                spec["linux"]["resources"]["cpu"] = {"quota": quota, "period": 100000,
                                                     "shares": 262144}
            b = self.bundle(f"cpu-{quota}", burn, edit)
            for name in names:
                cid = f"{PREFIX}cpu-{name}-{quota}"
                try:
                    pid = self.start_detached(name, b, cid)
                    cg = cgroup_dir(pid, "cpuacct")
                    time.sleep(0.5)
                    u0, t0, h0 = cpu_usage_ns(cg, True), time.monotonic_ns(), host_busy_ns()
                    time.sleep(secs)
                    u1, t1, h1 = cpu_usage_ns(cg, True), time.monotonic_ns(), host_busy_ns()
                    got = (u1 - u0) / (t1 - t0)
                    other = max(0.0, ((h1 - h0) - (u1 - u0)) / (t1 - t0))
                    self.res["enforce"]["cpu"].setdefault(str(cpus), {})[name] = {
                        "achieved": got, "target": cpus, "other_load": other}
                except Exception as e:  # noqa: BLE001 - report, do not abort the run
                    self.res["enforce"]["cpu"].setdefault(str(cpus), {})[name] = {"error": str(e)}
                finally:
                    self.stop(name, cid)
        self.check_leaks("enforcement cpu")

    def loop_device(self, size_mb):
        img = os.path.join(self.work, "disk.img")
        with open(img, "wb") as f:
            f.truncate(size_mb << 20)
        dev = sh("losetup", "--find", "--show", img).stdout.strip()
        self.loops.append(dev)
        st = os.stat(dev)
        return dev, os.major(st.st_rdev), os.minor(st.st_rdev)

    def enforce_io(self, names):
        secs = self.mode["enforce_s"]
        try:
            dev, major, minor = self.loop_device(64 + 50 * secs + 16)
        except Exception as e:  # noqa: BLE001
            self.res["enforce"]["io_skipped"] = f"no loop device: {e}"
            return
        for mbps in (10, 50):
            rate = mbps << 20
            count = mbps * secs
            if "iowrite" in self.applets:
                io_argv = ["/bin/iowrite", "/dev/cbenchdisk", str(count), "--direct"]
                label = f"payload iowrite --direct (1 MiB writes, then fsync) to {dev}"
            else:
                io_argv = ["/bin/dd", "if=/dev/zero", "of=/dev/cbenchdisk", "bs=1M",
                           f"count={count}", "oflag=direct"]
                label = f"busybox dd bs=1M oflag=direct to {dev}"
            self.res["enforce"]["workloads"]["io"] = label

            def edit(spec, rate=rate):
                lin = spec["linux"]
                lin.setdefault("devices", []).append({
                    "path": "/dev/cbenchdisk", "type": "b", "major": major, "minor": minor,
                    "fileMode": 0o660, "uid": 0, "gid": 0})
                lin["resources"]["devices"].append({
                    "allow": True, "type": "b", "major": major, "minor": minor,
                    "access": "rwm"})
                lin["resources"]["blockIO"] = {"throttleWriteBpsDevice": [
                    {"major": major, "minor": minor, "rate": rate}]}
            b = self.bundle(f"io-{mbps}", io_argv, edit)
            for name in names:
                cid = f"{PREFIX}io-{name}-{mbps}"
                t0 = time.monotonic_ns()
                r = sh(*self.rtcmd(name, "run", "--bundle", b, cid), check=False,
                       timeout=secs * 10 + 60, stdin=subprocess.DEVNULL)
                wall = (time.monotonic_ns() - t0) / 1e9
                sh(*self.rtcmd(name, "delete", "-f", cid), check=False)
                m = re.search(r"(\d+) bytes (?:in|.*copied,) ([0-9.]+) s", r.stdout + r.stderr)
                entry = {"target_mibs": mbps, "wall_s": wall, "status": r.returncode}
                if m and r.returncode == 0:
                    entry["achieved_mibs"] = int(m.group(1)) / float(m.group(2)) / (1 << 20)
                else:
                    entry["error"] = (f"exit {r.returncode}: " +
                                      " / ".join((r.stdout + r.stderr).strip().splitlines()[-2:]))
                self.res["enforce"]["io"].setdefault(str(mbps), {})[name] = entry
        self.check_leaks("enforcement io")

    def enforce_pids(self, names):
        limit = 50
        bomb = ["/bin/sh", "-c", "f() { f | f & }; f; exec sleep 600"]  # comm stays "sh"
        label = "busybox sh: f() { f | f & }; f"
        if "forkbomb" in self.applets:
            bomb, label = ["/bin/forkbomb", "--hold"], "payload forkbomb --hold (forks until refused)"
        self.res["enforce"]["workloads"]["pids"] = label

        def edit(spec):
            spec["linux"]["resources"]["pids"] = {"limit": limit}
        b = self.bundle("forkbomb", bomb, edit)
        reps = 5 if self.args.mode == "full" else 2
        for rep in range(reps):
            for name in names:
                self.res["enforce"]["pids"].setdefault(name, []).append(
                    self.one_forkbomb(name, b, f"{PREFIX}bomb-{name}-{rep}", limit, bomb[0]))
        self.check_leaks("enforcement pids")

    def one_forkbomb(self, name, bundle, cid, limit, bomb_argv0):
        pidfile = os.path.join(self.rundir, cid + ".pid")
        entry = {"limit": limit}
        try:
            sh(*self.rtcmd(name, "create", "--pid-file", pidfile, "--bundle", bundle, cid),
               timeout=60)
            with open(pidfile) as f:
                pid = int(f.read().strip())
            cg = cgroup_dir(pid, "pids")
            cur = cg + "/pids.current"
            t_cmd = time.monotonic_ns()
            starter = subprocess.Popen(self.rtcmd(name, "start", cid), stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            t_first = t_full = None
            peak = 0
            deadline = t_cmd + 10 * 10**9
            # Poll as fast as the host lets us. The bomb starts when the init
            # has exec'd it (its comm changes; counting tasks would not do,
            # as a Go runtime's init has several threads before the exec);
            # reaching the limit marks it contained.
            # On a busy 2-CPU machine a plain poller can miss the whole bomb
            # (a few ms), so it runs SCHED_FIFO, sleeping 50 us between reads.
            fd = os.open(cur, os.O_RDONLY)
            comm = f"/proc/{pid}/comm"
            target = os.path.basename(bomb_argv0)[:15]
            try:
                os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
            except OSError:
                entry["note"] = "poller could not use SCHED_FIFO"
            polls, t_before = 0, t_cmd
            try:
                while time.monotonic_ns() < deadline:
                    time.sleep(0.00005)
                    polls += 1
                    n = int(os.pread(fd, 32, 0))
                    if t_first is None:
                        try:
                            with open(comm) as f:
                                seen = f.read().strip() == target
                        except OSError:
                            seen = False
                        if seen:
                            t_first = time.monotonic_ns()
                        else:
                            t_before = time.monotonic_ns()
                    now = time.monotonic_ns()
                    peak = max(peak, n)
                    if n >= limit:
                        t_full = now
                        break
            finally:
                os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
                os.close(fd)
            starter.wait(timeout=60)
            time.sleep(0.5)
            peak = max(peak, read_int(cur))
            entry.update(peak=peak, rejected=read_int(cg + "/pids.events", "max"))
            entry["polls"] = polls
            if t_full is not None:
                entry["contained_ms"] = (t_full - (t_first or t_cmd)) / 1e6
                if t_first is None or t_full - t_first < 100000:
                    # The exec and the limit fell between two polls: all we
                    # know is an upper bound.
                    entry["contained_ms"] = (t_full - t_before) / 1e6
                    entry["upper_bound"] = True
                entry["from_start_cmd_ms"] = (t_full - t_cmd) / 1e6
            else:
                entry["error"] = f"pids.current stayed below {limit} for 10 s (peak {peak})"
        except Exception as e:  # noqa: BLE001
            entry["error"] = str(e)
        finally:
            t0 = time.monotonic_ns()
            ok = self.stop(name, cid)
            entry["teardown_ms"] = (time.monotonic_ns() - t0) / 1e6
            entry["teardown_ok"] = ok
        return entry

    # front end

    def frontend(self):
        import frontend
        out = {"runs": self.mode["frontend"], "results": {}, "skipped": {}}
        cmds = {}
        if "cinch" in self.rt:
            argv = [self.rt["cinch"], "--root", self.root("cinch-fe"), "run", "--rm", "busybox",
                    "true"]
            r = sh(*argv, check=False, timeout=60)
            if r.returncode == 0:
                cmds["cinch run --rm busybox true"] = (argv, None)
            else:
                out["skipped"]["cinch run --rm"] = first_line(r.stderr) or f"exit {r.returncode}"
        else:
            out["skipped"]["cinch run --rm"] = "cinch not usable: " + self.skipped.get("cinch", "")
        rts = {n: self.rt[n] for n in ("cinch", "runc") if n in self.rt}
        tar = os.path.join(self.work, "rootfs.tar")
        sh("tar", "--numeric-owner", "-C", self.rootfs, "-cf", tar, ".")
        if not self.mode["engines"]:
            rts = {}
        with frontend.engines(rts, tar) as (eng_cmds, eng_skipped):
            cmds.update(eng_cmds)
            out["skipped"].update(eng_skipped)
            labels = list(cmds)
            times = {k: [] for k in labels}
            # Podman 4.3 waits ~20 s for conmon's exit report in this sandbox
            # (with runc as well), so it gets fewer runs and no warm-up.
            slow = {k for k in labels if k.startswith("podman")}
            if slow:
                out["podman_runs"] = min(3, self.mode["frontend"])
            # One untimed run each: image layers, caches.
            for label in labels:
                if label not in slow:
                    sh(*cmds[label][0], env=cmds[label][1], check=False, timeout=120)
            for i in range(self.mode["frontend"]):
                k = i % max(1, len(labels))
                for label in labels[k:] + labels[:k]:
                    if label in slow and i >= out["podman_runs"]:
                        continue
                    argv, env = cmds[label]
                    t0 = time.perf_counter_ns()
                    r = sh(*argv, env=env, check=False, timeout=120)
                    dt = time.perf_counter_ns() - t0
                    if r.returncode == 0:
                        times[label].append(dt)
                    else:
                        tail = (r.stderr or "").strip().splitlines()
                        out["results"].setdefault(label + " (failures)", []).append(
                            tail[-1] if tail else f"exit {r.returncode}")
        for label, t in times.items():
            if t:
                out["results"][label] = {"n": len(t), "median_ns": statistics.median(t),
                                         "p90_ns": quantile(t, 0.9)}
        self.res["frontend"] = out
        self.check_leaks("front end")

    # VM

    def vm(self):
        script = os.path.join(REPO, "tests/vm/run-v2.sh")
        if not os.path.exists(script):
            self.res["vm"] = {"skipped": "tests/vm/run-v2.sh does not exist yet"}
            return
        # The guest sees the host's root but has its own /tmp, so the rootfs
        # and bundle it uses live under build/.
        vmdir = os.path.join(REPO, "build/bench/vm")
        shutil.rmtree(vmdir, ignore_errors=True)
        spec = self.base_spec()
        spec["process"]["args"] = ["/bin/true"]
        os.makedirs(os.path.join(vmdir, "bundle-true"))
        with open(os.path.join(vmdir, "bundle-true", "config.json"), "w") as f:
            json.dump(spec, f, indent=1)
        iters = self.args.vm_iters or (15 if self.args.mode == "full" else 2)
        with open(os.path.join(vmdir, "params.json"), "w") as f:
            json.dump({"iters": iters, "warmup": 1,
                       "accel": os.environ.get("CINCH_VM_ACCEL", "tcg")}, f)
        log("v2 guest: booting (software emulation, a few minutes)")
        env = dict(os.environ, CINCH_VM_TIMEOUT=str(self.args.vm_timeout),
                   CINCH_VM_TEST_TIMEOUT=str(self.args.vm_timeout))
        t0 = time.monotonic()
        console = os.path.join(self.work, "vm.log")
        with open(console, "w") as f:
            r = subprocess.run([script, "-q", "-s", "-p", "no:cacheprovider",
                                os.path.join(HERE, "test_vm_lifecycle.py")],
                               env=env, cwd=REPO, text=True,
                               stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                               timeout=self.args.vm_timeout + 120)
        with open(console, errors="replace") as f:
            r.stdout = f.read()
        shutil.copy(console, os.path.join(REPO, "build/bench/vm-console.log"))
        # The guest's pytest prints the summary on its console, which the
        # script streams; the host side only has to find it.
        m = re.findall(r"CBENCH-VM-RESULT (\{.*\})", r.stdout)
        if m:
            self.res["vm"] = json.loads(m[-1])
            self.res["vm"]["wall_s"] = time.monotonic() - t0
        else:
            tail = "\n".join(r.stdout.strip().splitlines()[-5:])
            self.res["vm"] = {"skipped": f"the guest run gave no result (exit {r.returncode}): "
                                         f"{tail}"}

    # bookkeeping

    def check_leaks(self, where):
        reap_orphans()
        left = leaked_cgroups()
        if left:
            self.res["leaks"].append({"after": where, "cgroups": left})
            for d in left:
                kill_cgroup_tree(d)

    def cleanup(self):
        """Every step on its own: one failing must not keep the others (the
        loop device above all) from running."""
        for name in list(self.rt) + ["cinch-fe"]:
            root = os.path.join(self.work, "root-" + name)
            binary = self.rt.get(name) or self.rt.get("cinch")
            if not os.path.isdir(root) or not binary:
                continue
            for cid in os.listdir(root):
                try:
                    sh(binary, "--root", root, "delete", "-f", cid, check=False, timeout=60)
                except Exception as e:  # noqa: BLE001
                    log(f"cleanup: delete {cid}: {e}")
        try:
            self.check_leaks("cleanup")
        except Exception as e:  # noqa: BLE001
            log(f"cleanup: cgroups: {e}")
        for dev in self.loops:
            try:
                sh("losetup", "-d", dev, check=False)
            except Exception as e:  # noqa: BLE001
                log(f"cleanup: losetup -d {dev}: {e}")
        shutil.rmtree(self.work, ignore_errors=True)


def become_subreaper():
    """Containers started with `run -d` are re-parented to us rather than to
    the host's init, so that their CPU time shows up in RUSAGE_CHILDREN and is
    not mistaken for other work on the machine."""
    import ctypes
    PR_SET_CHILD_SUBREAPER = 36
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def reap_orphans():
    """Reaps exited orphans. Only called while no subprocess.Popen of ours is
    running, so it cannot steal the status of a command we wait for."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def host_busy_ns():
    """CPU time the whole host spent busy (all CPUs), from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(fields[:8]) - idle) * 10**9 // hz


def machine():
    m = {}
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                m["cpu"] = line.split(":", 1)[1].strip()
                break
    m["cores"] = os.cpu_count()
    m["kernel"] = os.uname().release
    with open("/proc/meminfo") as f:
        m["mem_gib"] = round(int(f.readline().split()[1]) / (1 << 20), 1)
    m["layout_host"] = "hybrid"  # we run in a namespace with unified unmounted
    try:
        with open("/etc/debian_version") as f:
            m["os"] = "Debian " + f.read().strip()
    except OSError:
        pass
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=MODES, default="quick")
    ap.add_argument("--out", default=os.path.join(REPO, "docs/BENCHMARKS.md"))
    ap.add_argument("--json", help="also write the raw results here")
    ap.add_argument("--keep-raw", help="copy the lifecycle TSV here")
    ap.add_argument("--only", help="comma list: lifecycle,ablation,density,syscalls,enforce,"
                                   "frontend,vm")
    ap.add_argument("--runtimes", help="comma list, default all of cinch,runc,crun")
    ap.add_argument("--no-vm", action="store_true")
    ap.add_argument("--vm", action="store_true", help="run the v2 guest in --quick mode too")
    ap.add_argument("--vm-timeout", type=int, default=600)
    ap.add_argument("--vm-iters", type=int, default=0)
    ap.add_argument("--density", help="comma list of N, overrides the mode's")
    ap.add_argument("--iters", type=int, help="lifecycle runs, overrides the mode's")
    ap.add_argument("--workdir", default="/tmp")
    args = ap.parse_args()
    args.runtimes = args.runtimes.split(",") if args.runtimes else None
    only = set(args.only.split(",")) if args.only else None

    def want(s):
        return only is None or s in only

    become_subreaper()
    b = Bench(args)
    if args.density:
        b.mode = dict(b.mode, density=[int(n) for n in args.density.split(",")])
    if args.iters:
        b.mode = dict(b.mode, iters=args.iters)
    interrupted = []

    def on_signal(signum, _frame):
        interrupted.append(signum)
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    t_start = time.monotonic_ns()
    h0 = host_busy_ns()
    load0 = os.getloadavg()
    try:
        b.prepare()
        b.find_runtimes()
        b.res["machine"] = machine()
        b.res["versions"] = b.versions()
        b.res["skipped_runtimes"] = b.skipped
        b.res["payload_applets"] = b.applets
        b.check_leaks("start (left by an earlier, interrupted run)")
        if want("lifecycle"):
            b.lifecycle()
        if want("ablation"):
            b.ablation()
        if want("density"):
            b.density()
        if want("syscalls") and shutil.which("strace"):
            b.syscalls()
        if want("enforce"):
            b.enforcement()
        if want("frontend"):
            b.frontend()
        if want("vm") and (b.mode["vm"] or args.vm) and not args.no_vm:
            b.vm()
    except KeyboardInterrupt:
        b.res["notes"].append("the run was interrupted; results are partial")
    finally:
        b.cleanup()
    wall = time.monotonic_ns() - t_start
    own = resource_children_ns()
    b.res["host_load"] = {
        "wall_s": wall / 1e9,
        "loadavg_start": load0, "loadavg_end": os.getloadavg(),
        # Host CPU time not spent by this harness or what it started.
        "other_cpus": max(0.0, (host_busy_ns() - h0 - own) / wall),
    }
    left = leaked_cgroups()
    if left:
        b.res["leaks"].append({"after": "end", "cgroups": left})
    b.res["finished_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    # The raw results, so that the document can be re-rendered
    # (`python3 bench/report.py build/bench/results-full.json`).
    raw = args.json or os.path.join(REPO, f"build/bench/results-{args.mode}.json")
    with open(raw, "w") as f:
        json.dump(b.res, f, indent=1, default=str)
    text = report.render(b.res)
    with open(args.out, "w") as f:
        f.write(text)
    log(f"wrote {args.out}")
    return 130 if interrupted else 0


def resource_children_ns():
    import resource
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    return int((ru.ru_utime + ru.ru_stime + own.ru_utime + own.ru_stime) * 1e9)


if __name__ == "__main__":
    sys.exit(main())
