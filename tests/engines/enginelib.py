"""Harness for driving cinch (or any OCI runtime) from real engines.

Every engine test runs inside a Sandbox: a temporary directory plus a holder
process that owns a private mount and network namespace, with fresh tmpfs on
/run and /var/tmp.  Daemons, shims, conmon and every client command are run in
those namespaces (nsenter), so whatever the engines mount or configure
(overlay mounts, bridges, swarm's vxlan, runtime state under /run, dockerd's
/etc/docker/key.json, podman's /var/lib/containers/cache) disappears
with the holder, and the host's mount table, network and /run stay untouched.
Containers are put under a cgroup parent named after the sandbox, so a stray
cgroup or process of a test is found by walking one directory per controller.

The runtime the engines call is a logging wrapper (like runc-logwrap in
shared/reference/engines): it appends each argv and exit code to
<sandbox>/argv.log and keeps a copy of the --process/--resources JSON it was
given, then runs the runtime under test (ENGINE_RUNTIME, else $CINCH).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time
import uuid
import hashlib
import io

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CGROOT = "/sys/fs/cgroup"


# ---------------------------------------------------------------- small helpers

def wait_for(pred, timeout=10.0, interval=0.1):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            return v
        time.sleep(interval)


def tail(path, n=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError as e:
        return f"<{path}: {e}>"


def runtime_under_test():
    """The binary the engines are pointed at: ENGINE_RUNTIME, else $CINCH."""
    rt = os.environ.get("ENGINE_RUNTIME") or os.environ.get("CINCH") or os.path.join(REPO, "build/cinch")
    return os.path.abspath(rt)


def is_cinch(runtime):
    return os.path.basename(runtime).startswith("cinch")


# ---------------------------------------------------------------- cgroups

def layout():
    if os.path.exists(f"{CGROOT}/cgroup.controllers"):
        return "v2"
    if os.path.exists(f"{CGROOT}/unified/cgroup.controllers"):
        return "hybrid"
    return "v1"


def _cgroup_mounts():
    """controller name -> mountpoint for v1; "" -> the cgroup2 mountpoint."""
    out = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, post = line.rstrip("\n").split(" - ", 1)
            fstype, _src, opts = post.split(" ", 2)
            mnt = pre.split(" ")[4]
            if fstype == "cgroup2":
                out.setdefault("", mnt)
            elif fstype == "cgroup":
                for o in opts.split(","):
                    if o in ("rw", "ro") or "=" in o and not o.startswith("name="):
                        continue
                    out.setdefault(o, mnt)
    return out


def cgroup_dirs_of_pid(pid):
    """controller -> absolute cgroup directory of a process ("" for v2)."""
    mounts = _cgroup_mounts()
    dirs = {}
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _hid, ctrls, path = line.rstrip("\n").split(":", 2)
            if path == "/":
                continue  # the hierarchy's root: the container is not in this one
            for c in ctrls.split(",") if ctrls else [""]:
                if c in mounts:
                    dirs[c] = mounts[c] + path
    return dirs


def read_file(path):
    with open(path) as f:
        return f.read().strip()


def limits_of_pid(pid):
    """The limits the kernel enforces on a process, read from its cgroup files.

    Returns memory/memory_low/pids as int or None (unlimited), cpu_quota/cpu_period
    as ints (quota None when unlimited), checking v1 or v2 files by layout."""
    d = cgroup_dirs_of_pid(pid)
    big = 1 << 62

    def num(v):
        return None if v == "max" or int(v) >= big else int(v)

    if layout() == "v2":
        u = d[""]
        quota, period = read_file(f"{u}/cpu.max").split()
        return {
            "memory": num(read_file(f"{u}/memory.max")),
            "memory_low": num(read_file(f"{u}/memory.low")) or None,
            "pids": num(read_file(f"{u}/pids.max")),
            "cpu_quota": num(quota),
            "cpu_period": int(period),
            "dirs": d,
        }
    return {
        "memory": num(read_file(f"{d['memory']}/memory.limit_in_bytes")),
        "memory_low": num(read_file(f"{d['memory']}/memory.soft_limit_in_bytes")),
        "pids": num(read_file(f"{d['pids']}/pids.max")),
        "cpu_quota": None if int(read_file(f"{d['cpu']}/cpu.cfs_quota_us")) < 0
        else int(read_file(f"{d['cpu']}/cpu.cfs_quota_us")),
        "cpu_period": int(read_file(f"{d['cpu']}/cpu.cfs_period_us")),
        "dirs": d,
    }


def pids_events_max(pid):
    d = cgroup_dirs_of_pid(pid)
    ev = read_file(f"{d['' if layout() == 'v2' else 'pids']}/pids.events")
    return int(dict(l.split() for l in ev.splitlines()).get("max", 0))


def freezer_state(pid):
    d = cgroup_dirs_of_pid(pid)
    if layout() == "v2":
        return "FROZEN" if read_file(f"{d['']}/cgroup.freeze") == "1" else "THAWED"
    return read_file(f"{d['freezer']}/freezer.state")


def cgroup_roots():
    """Every hierarchy root to look for a sandbox's cgroup parent in."""
    return sorted(set(_cgroup_mounts().values()))


def host_can_fork(n=20):
    for _ in range(n):
        subprocess.run(["true"], check=True, timeout=10)
    return True


# ---------------------------------------------------------------- images

def make_rootfs(dest):
    """busybox image (make image) plus the static test payload, as a directory."""
    mk = os.path.join(REPO, "scripts/mkimage.sh")
    payload = os.path.join(REPO, "build/payload")
    args = [mk]
    if os.path.exists(payload):
        args += ["--payload", payload]
    subprocess.run(args + [dest], check=True, capture_output=True, timeout=120)
    return dest


def make_rootfs_tar(rootfs, tar_path):
    subprocess.run(["tar", "--numeric-owner", "-C", rootfs, "-cf", tar_path, "."], check=True, timeout=120)
    return tar_path


def make_oci_archive(layer_tar, out, ref):
    """A one-layer OCI image archive, as `ctr images import` reads it."""
    def blob(data):
        d = hashlib.sha256(data).hexdigest()
        return d, data

    with open(layer_tar, "rb") as f:
        layer = f.read()
    ld, _ = blob(layer)
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + ld]},
    }).encode()
    cd, _ = blob(config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + cd,
                   "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + ld,
                    "size": len(layer)}],
    }).encode()
    md, _ = blob(manifest)
    index = json.dumps({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + md,
                       "size": len(manifest),
                       "platform": {"architecture": "amd64", "os": "linux"},
                       "annotations": {"io.containerd.image.name": ref,
                                       "org.opencontainers.image.ref.name": ref.rsplit(":", 1)[1]}}],
    }).encode()
    with tarfile.open(out, "w") as t:
        def add(name, data):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add("index.json", index)
        add(f"blobs/sha256/{ld}", layer)
        add(f"blobs/sha256/{cd}", config)
        add(f"blobs/sha256/{md}", manifest)
    return out


# ---------------------------------------------------------------- the logging wrapper

LOGWRAP = r"""#!/bin/sh
# Generated by tests/engines: log argv and exit code, keep JSON inputs, run the runtime.
LOG=@LOG@
SPECS=@SPECS@
REAL=@REAL@
{ printf 'CALL %s ppid=%s(%s):' "$(date +%s.%N)" "$PPID" "$(cat /proc/$PPID/comm 2>/dev/null)"
  for a in "$@"; do printf " '%s'" "$a"; done; printf '\n'; } >> "$LOG"
sub=; skip=
for a in "$@"; do
  if [ -n "$skip" ]; then skip=; continue; fi
  case "$a" in --root|--log|--log-format|--criu) skip=1;; -*) ;; *) sub=$a; break;; esac
done
prev=; n=$(date +%s%N)
for a in "$@"; do
  case "$prev" in
    --process|--resources|-r|-p) [ -f "$a" ] && cp -f "$a" "$SPECS/$n.$sub.${prev#--}.json";;
    --bundle|-b) [ -f "$a/config.json" ] && cp -f "$a/config.json" "$SPECS/$n.$sub.config.json";;
  esac
  case "$a" in
    --resources=*) cp -f "${a#--resources=}" "$SPECS/$n.$sub.resources.json" 2>/dev/null;;
    --bundle=*) cp -f "${a#--bundle=}/config.json" "$SPECS/$n.$sub.config.json" 2>/dev/null;;
  esac
  prev=$a
done
if [ "$sub" = update ] && [ "$prev" != "" ]; then
  case " $* " in *" --resources - "*|*" -r - "*)
    tmp="$SPECS/$n.update.resources.json"; cat > "$tmp"; "$REAL" "$@" < "$tmp"; rc=$?
    printf 'RC %s %s %s\n' "$rc" "$sub" "$prev" >> "$LOG"; exit $rc;;
  esac
fi
"$REAL" "$@"; rc=$?
printf 'RC %s %s %s\n' "$rc" "$sub" "$prev" >> "$LOG"
exit $rc
"""


# ---------------------------------------------------------------- the sandbox

class EngineError(AssertionError):
    pass


class Sandbox:
    """Temporary dir + namespace holder + cgroup parent for one engine test."""

    def __init__(self, name, runtime):
        self.name = name
        self.tag = f"cinch-eng-{name}-{uuid.uuid4().hex[:8]}"
        self.dir = tempfile.mkdtemp(prefix=f"cinch-eng-{name}-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.runtime = runtime
        self.log = f"{self.dir}/argv.log"
        self.specs = f"{self.dir}/specs"
        os.makedirs(self.specs)
        open(self.log, "w").close()
        self.wrapper = f"{self.dir}/cinch-logwrap"
        with open(self.wrapper, "w") as f:
            f.write(LOGWRAP.replace("@LOG@", self.log).replace("@SPECS@", self.specs).replace("@REAL@", runtime))
        os.chmod(self.wrapper, 0o755)
        self.daemons = []  # (name, Popen, logpath)
        # cgroup dirs under the parent that belong to the engine, not to a container
        # (podman puts conmon in <parent>/conmon and never removes it)
        self.engine_cgroups = set()
        # an engine's default parents (podman: /libpod_parent), watched for a command that
        # forgot the sandbox's parent: name -> existed before the sandbox
        self.default_parents = {}
        self.host_links = self._links()
        self.holder = subprocess.Popen(
            ["unshare", "--mount", "--net", "--propagation", "private", "sh", "-c",
             # dockerd writes /etc/docker/key.json and podman /var/lib/containers/cache
             # whatever their configured roots: those get a private tmpfs too.
             "mkdir -p /etc/docker /var/lib/containers"
             " && for d in /run /etc/docker /var/lib/containers; do mount -t tmpfs -o mode=755 cinch-eng $d || exit 1; done"
             " && mount -t tmpfs -o mode=1777 cinch-eng /var/tmp"
             " && ip link set lo up && echo ready && exec sleep 100000"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = self.holder.stdout.readline()
        if line.strip() != "ready":
            self.holder.kill()
            raise EngineError(f"namespace holder failed: {line}{self.holder.stdout.read()}")
        self.netns = os.readlink(f"/proc/{self.holder.pid}/ns/net")
        self.env = {
            "PATH": "/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": self.dir, "TMPDIR": "/tmp", "LANG": "C.UTF-8",
            "DOCKER_CONFIG": f"{self.dir}/docker-cli",
        }
        # docker and podman both read $DOCKER_CONFIG/config.json (podman for auth)
        os.makedirs(self.env["DOCKER_CONFIG"])
        with open(f"{self.env['DOCKER_CONFIG']}/config.json", "w") as f:
            f.write("{}\n")

    # -- running things in the namespaces

    def nsenter(self):
        return ["nsenter", "-t", str(self.holder.pid), "-m", "-n", f"--wd={self.dir}", "--"]

    def run(self, args, check=True, timeout=90, input=None, env=None, **kw):
        e = dict(self.env, **(env or {}))
        try:
            p = subprocess.run(self.nsenter() + list(args), capture_output=True, text=True, timeout=timeout,
                               input=input, env=e, **kw)
        except subprocess.TimeoutExpired as ex:
            raise EngineError(f"timed out after {timeout}s: {' '.join(args)}\nstdout: {ex.stdout}\n"
                              f"stderr: {ex.stderr}\n{self.argv_tail()}")
        if check and p.returncode != 0:
            raise EngineError(f"exit {p.returncode}: {' '.join(args)}\nstdout: {p.stdout}\nstderr: {p.stderr}\n"
                              f"{self.argv_tail()}")
        return p

    def popen(self, args, env=None, **kw):
        e = dict(self.env, **(env or {}))
        return subprocess.Popen(self.nsenter() + list(args), env=e, **kw)

    def run_tty(self, args, timeout=60, env=None):
        """Run with stdin/stdout/stderr on a fresh pty (for -t); returns (rc, output)."""
        import pty
        master, slave = pty.openpty()
        e = dict(self.env, **(env or {}), TERM="xterm")
        p = subprocess.Popen(self.nsenter() + list(args), stdin=slave, stdout=slave, stderr=slave, env=e,
                             start_new_session=True)
        os.close(slave)
        out = b""
        end = time.monotonic() + timeout
        import select
        while True:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    chunk = b""
                if not chunk and p.poll() is not None:
                    break
                out += chunk
            elif p.poll() is not None:
                break
            if time.monotonic() > end:
                p.kill()
                p.wait()
                os.close(master)
                raise EngineError(f"tty command timed out: {args}\n{out!r}\n{self.argv_tail()}")
        p.wait()
        os.close(master)
        return p.returncode, out.decode(errors="replace")

    def spawn(self, name, args, ready, timeout=40):
        """Start a daemon in the namespaces; wait until ready() is true."""
        logpath = f"{self.dir}/{name}.log"
        lf = open(logpath, "w")
        p = self.popen(args, stdout=lf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        lf.close()
        self.daemons.append((name, p, logpath))
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if p.poll() is not None:
                raise EngineError(f"{name} exited with {p.returncode} at start:\n{tail(logpath)}")
            if ready():
                return p
            time.sleep(0.2)
        raise EngineError(f"{name} not ready after {timeout}s:\n{tail(logpath)}")

    def stop_daemon(self, name, timeout=20):
        for n, p, logpath in self.daemons:
            if n == name and p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()

    # -- the runtime argv log

    def mark(self, label):
        with open(self.log, "a") as f:
            f.write(f"### {label}\n")

    def argv_lines(self):
        with open(self.log) as f:
            return f.read().splitlines()

    def argv_tail(self, n=12):
        return "runtime calls (last):\n" + "\n".join(self.normalized()[-n:])

    def calls(self, sub=None):
        """[(argv list, rc or None)] of runtime calls, optionally one subcommand."""
        out, lines = [], self.argv_lines()
        for i, l in enumerate(lines):
            if not l.startswith("CALL "):
                continue
            argv = re.findall(r"'([^']*)'", l.split(":", 1)[1])
            s = _subcommand(argv)
            if sub and s != sub:
                continue
            rc = None
            for l2 in lines[i + 1:]:
                m = re.match(r"RC (\d+) (\S*) (.*)$", l2)
                if m and m.group(2) == s and m.group(3) == (argv[-1] if argv else ""):
                    rc = int(m.group(1))
                    break
            out.append((argv, rc))
        return out

    def normalized(self):
        """The log with temp paths, ids and the runtime path made stable for quoting."""
        out, t0 = [], None
        for l in self.argv_lines():
            if l.startswith("CALL "):
                t = float(l.split()[1])
                t0 = t if t0 is None else t0
                l = re.sub(r"^CALL \S+ ", "+%.2fs " % (t - t0), l)
                l = re.sub(r"ppid=\d+", "ppid=", l)
            l = l.replace(self.dir, "$T").replace(self.tag, "$NS")
            l = re.sub(r"[0-9a-f]{64}", "<ID>", l)
            l = re.sub(r"\$T/[\w-]+/state/io\.containerd\.runtime\.v2\.task/[^/']+/[^/']+", "$BUNDLE", l)
            l = re.sub(r"\$T/podman/(graphroot|runroot)/overlay-containers/<ID>", r"$\1/<ID>", l)
            l = re.sub(r"/tmp/(runc-process|pty|conmon-term\.|podman)[\w.]+", r"/tmp/\1*", l)
            l = re.sub(r"/var/tmp/podman\d+", "/var/tmp/podman*", l)
            out.append(l)
        return out

    def shapes(self):
        """Distinct runtime command lines (ids, temp files and --root/--log folded), with
        how often each was sent: the short form for quoting."""
        counts = {}
        for l in self.normalized():
            if l.startswith("+"):
                l = re.sub(r"^\+[\d.]+s ppid=\(([^)]*)\):", r"[\1]", l)
                l = re.sub(r"'--root' '[^']*' '--log' '[^']*' '--log-format' 'json' ", "", l)
                l = re.sub(r"'\$BUNDLE[^']*'", "$BUNDLE", l)
                l = re.sub(r"'\$(graphroot|runroot)/[^']*'", r"$\1", l)
                l = re.sub(r"'(/var)?/tmp/(runc-process|pty|conmon-term\.|podman)[^']*'", r"<tmp \2>", l)
                l = re.sub(r"--resources=[^']+", "--resources=<tmp file>", l)
                l = l.replace("'<ID>'", "ID")
                if " 'kill' " in l:  # kill ID SIGNAL
                    l = re.sub(r"'[\w.-]+' ('\w+')$", r"ID \1", l)
                else:
                    l = re.sub(r"'(?!-)[\w.-]+'$", "ID", l)
                counts[l] = counts.get(l, 0) + 1
        return counts

    def specs_of(self, sub, kind):
        """JSON inputs the engines gave, oldest first (kind: config|process|resources)."""
        names = sorted(n for n in os.listdir(self.specs) if n.endswith(f".{sub}.{kind}.json"))
        res = []
        for n in names:
            with open(f"{self.specs}/{n}") as f:
                try:
                    res.append(json.load(f))
                except ValueError:
                    pass
        return res

    # -- teardown and the leftovers check

    def _links(self):
        return subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout.count("\n")

    def procs_in_netns(self):
        res = []
        for p in os.listdir("/proc"):
            if p.isdigit() and int(p) != self.holder.pid:
                try:
                    if os.readlink(f"/proc/{p}/ns/net") == self.netns:
                        res.append(int(p))
                except OSError:
                    pass
        return res

    def watch_default_parent(self, name):
        self.default_parents[name] = any(os.path.isdir(f"{r}/{name}") for r in cgroup_roots())

    def cgroup_leftovers(self):
        """(dirs below our cgroup parent, pids in them) in every hierarchy."""
        dirs, pids = [], set()
        for root in cgroup_roots():
            top = f"{root}/{self.tag}"
            if not os.path.isdir(top):
                continue
            for d, subdirs, files in os.walk(top):
                if d != top:
                    dirs.append(d)
                for f in ("cgroup.procs",):
                    try:
                        pids.update(int(x) for x in read_file(f"{d}/{f}").split())
                    except (OSError, ValueError):
                        pass
        return dirs, sorted(pids)

    def close(self):
        """Stop everything this sandbox started; return a list of problems found."""
        problems = []
        for name, p, logpath in reversed(self.daemons):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    problems.append(f"{name} ignored SIGTERM for 20 s")
                    p.kill()
                    p.wait()
        # Shims, conmon and anything else that lived in our network namespace.
        left = self.procs_in_netns()
        if left:
            desc = ", ".join(f"{p}({_comm(p)})" for p in left)
            for p in left:
                _kill(p)
            wait_for(lambda: not self.procs_in_netns(), 10)
            if any(_comm(p) not in ("containerd-shim", "containerd-shim-runc-v2", "conmon", "?") for p in left):
                problems.append(f"processes left in the sandbox: {desc}")
        dirs, pids = self.cgroup_leftovers()
        if pids:
            problems.append(f"processes left in cgroups under /{self.tag}: "
                            + ", ".join(f"{p}({_comm(p)})" for p in pids))
            for p in pids:
                _kill(p)
            wait_for(lambda: not self.cgroup_leftovers()[1], 10)
        dirs = [d for d in dirs if os.path.basename(d) not in self.engine_cgroups]
        if dirs:
            problems.append("cgroup directories left: " + ", ".join(sorted(dirs)[:12]))
        for root in cgroup_roots():
            top = f"{root}/{self.tag}"
            for d, _s, _f in sorted(os.walk(top), key=lambda t: -len(t[0])) if os.path.isdir(top) else []:
                try:
                    os.rmdir(d)
                except OSError as e:
                    problems.append(f"rmdir {d}: {e}")
        for name, existed in self.default_parents.items():
            made = [f"{r}/{name}" for r in cgroup_roots() if os.path.isdir(f"{r}/{name}")]
            if made and not existed:
                problems.append(f"cgroups made under the engine's default parent /{name} (a command "
                                f"without the sandbox's cgroup parent): {made[:3]}")
                for top in made:
                    for d, _s, _f in sorted(os.walk(top), key=lambda t: -len(t[0])):
                        try:
                            os.rmdir(d)
                        except OSError:
                            pass
        self.holder.kill()
        self.holder.wait()
        wait_for(lambda: not any(self.dir in l for l in open("/proc/self/mountinfo")), 5)
        mounts = [l.split()[4] for l in open("/proc/self/mountinfo") if self.dir in l]
        if mounts:
            problems.append(f"mounts left on the host: {mounts}")
        if self._links() != self.host_links:
            problems.append("host network links changed")
        if not problems or os.environ.get("ENGINE_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)
        return problems


def _subcommand(argv):
    skip = False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in ("--root", "--log", "--log-format", "--criu"):
            skip = True
        elif not a.startswith("-"):
            return a
    return ""


def _comm(pid):
    try:
        return read_file(f"/proc/{pid}/comm")
    except OSError:
        return "?"


def _kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
