"""Turns the harness's raw results into docs/BENCHMARKS.md.

Kept apart from bench.py so that the guest run (test_vm_lifecycle.py) can
summarize its lifecycle numbers with the very same code, and so that the
document can be re-rendered from a saved JSON (`python3 bench/report.py R.json`).
"""
import datetime
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = ("create", "start", "wait", "delete", "total")

# The targets of issue 7.
T_CRUN, T_RUNC, T_FLOOR, T_RSS_KB = 0.6, 0.2, 2.0, 2048
CPU_NOISE = 0.05  # relative error below which two CPU shares count as equal
BOMB_SLACK_MS = 5.0


def quantile(values, q):
    v = sorted(values)
    if not v:
        return None
    k = max(0, min(len(v) - 1, int(-(-q * len(v) // 1)) - 1))
    return v[k]


# --- parsers -----------------------------------------------------------------

def read_tsv(path):
    rows = []
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            d = dict(zip(header, line.rstrip("\n").split("\t")))
            for k in ("iter", "ns", "maxrss_kb", "cpu_us", "status"):
                if k in d:
                    d[k] = int(d[k])
            rows.append(d)
    return rows


def read_kv(path):
    out = {"leftovers": []}
    try:
        with open(path) as f:
            for line in f:
                k, _, v = line.strip().partition(" ")
                if k == "leftover_process":
                    out["leftovers"].append(v)
                elif k:
                    out[k] = int(v) if v.lstrip("-").isdigit() else v
    except OSError as e:
        out["error"] = str(e)
    return out


def parse_strace(path, by="calls"):
    """strace -c output -> (total calls, top five rows)."""
    rows, total = [], 0
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return 0, []
    for line in lines:
        t = line.split()
        if len(t) < 5 or not t[0].replace(".", "").isdigit():
            continue
        name = t[-1]
        calls = int(t[3])
        if name == "total":
            total = calls
            continue
        rows.append({"syscall": name, "calls": calls, "seconds": float(t[1])})
    key = "calls" if by == "calls" else "seconds"
    rows.sort(key=lambda r: -r[key])
    return total, rows[:5]


WAITS = {"recvfrom", "recvmsg", "read", "poll", "ppoll", "wait4", "waitid", "epoll_wait",
         "epoll_pwait", "futex", "nanosleep", "clock_nanosleep", "select", "pselect6"}
MOUNTS = {"mount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen", "fsmount",
          "fsconfig", "mount_setattr", "fspick"}
DATA_CALLS = {"read", "write", "pread64", "pwrite64", "readv", "writev", "recvfrom", "sendto",
              "recvmsg", "sendmsg"}
PROCS = {"clone", "clone3", "fork", "vfork", "unshare", "setns", "execve", "execveat",
         "exit_group", "exit"}


def classify_strace(path, state_root, rootfs):
    """Yields (category, seconds) per syscall of an `strace -f -T -y` log."""
    import re
    pat = re.compile(r"^\d+ +(?:<\.\.\. )?(\w+)(?:\(| resumed>)(.*) <([0-9.]+)>$")
    try:
        f = open(path)
    except OSError:
        return
    with f:
        for line in f:
            m = pat.match(line.strip())
            if not m:
                continue
            name, args, secs = m.group(1), m.group(2), float(m.group(3))
            if name in DATA_CALLS:
                # Only the fd (with -y, its path): the data may quote paths.
                args = args.split(", ")[0]
            if "/sys/fs/cgroup" in args:
                cat = "cgroup files (mkdir, limits, attach, rmdir)"
            elif name in MOUNTS:
                cat = "mounts, pivot_root, umount"
            elif name in PROCS:
                cat = "clone/exec/namespaces"
            elif name in WAITS and "/" not in args.split(",")[0]:
                cat = "blocked waiting (overlaps the other process's work)"
            elif rootfs in args:
                cat = "rootfs lookups and device nodes"
            elif state_root in args:
                cat = "state directory"
            elif "/proc" in args:
                cat = "procfs"
            else:
                cat = "other syscalls"
            yield cat, secs


def parse_perf_trace(path, cid):
    """`perf trace --duration N` lines -> (what, ms). `what` is the syscall
    and the file it touched, with the container id and pids normalized."""
    import re
    pat = re.compile(r"\(\s*([0-9.]+) ms\): ([^/]+)/\d+ (\w+)\((.*)$")
    try:
        f = open(path, errors="replace")
    except OSError:
        return
    with f:
        for line in f:
            m = pat.search(line)
            if not m:
                continue
            dur, call, args = float(m.group(1)), m.group(3), m.group(4)
            if dur > 1e6:  # perf trace's wrapped negative durations
                continue
            p = re.search(r"<([^>]*)>", args)
            target = p.group(1) if p else ""
            target = target.replace(cid, "<id>")
            target = re.sub(r"(socket|pipe):\[\d+\]", r"\1", target)
            target = re.sub(r"\.creating-<id>-\d+", ".creating-<id>", target)
            target = re.sub(r"\.tmp\.\d+", ".tmp", target)
            target = re.sub(r"/process_api/[0-9a-f]+", "", target)
            yield (f"{call} {target}".strip(), dur)


def summarize_lifecycle(rows):
    out = {}
    for r in rows:
        s = out.setdefault(r["name"], {"failures": 0, "steps": {}, "rss": [], "cpu": []})
        if r["step"] == "total" and r["status"] != 0:
            s["failures"] += 1
            continue
        s["steps"].setdefault(r["step"], []).append(r["ns"])
        if r["step"] == "total":
            s["rss"].append(r["maxrss_kb"])
            s["cpu"].append(r["cpu_us"])
    for s in out.values():
        s["steps"] = {k: {"n": len(v), "median_ns": statistics.median(v),
                          "p90_ns": quantile(v, 0.9)} for k, v in s["steps"].items()}
        rss, cpu = s.pop("rss"), s.pop("cpu")
        s["maxrss_kb_median"] = statistics.median(rss) if rss else None
        s["maxrss_kb_max"] = max(rss) if rss else None
        s["cpu_us_median"] = statistics.median(cpu) if cpu else None
    return out


# --- rendering ---------------------------------------------------------------

def ms(ns):
    return "–" if ns is None else f"{ns / 1e6:.2f}"


def ratio(a, b):
    return None if not a or not b else a / b


def fmt_ratio(r):
    return "–" if r is None else f"{r:.2f}x"


def verdict(ok):
    return "n/a" if ok is None else ("**met**" if ok else "**missed**")


def med(lc, name, step="total"):
    try:
        return lc[name]["steps"][step]["median_ns"]
    except KeyError:
        return None


def p90(lc, name, step="total"):
    try:
        return lc[name]["steps"][step]["p90_ns"]
    except KeyError:
        return None


def render(res):
    L = []
    w = L.append
    now = res.get("finished_at") or datetime.datetime.now(
        datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    m, v = res.get("machine", {}), res.get("versions", {})
    load = res.get("host_load", {})
    w("# cinch benchmarks")
    w("")
    w(f"Written by `bench/run.sh --{res.get('mode')}` (`make bench` runs `--full`) on {now}, "
      f"cinch commit `{v.get('cinch_commit', '?')}`. Absolute times drift on shared machines; "
      "the ratios are between contenders measured in the same run, interleaved.")
    w("")
    w("## Machine and versions")
    w("")
    w(f"- {m.get('os', '?')}, kernel {m.get('kernel')}, {m.get('cores')} CPUs "
      f"({m.get('cpu', '?')}), {m.get('mem_gib')} GiB RAM, no swap.")
    w("- cgroups: hybrid host; every contender runs in one private mount namespace with "
      "`/sys/fs/cgroup/unified` unmounted, i.e. a plain cgroup v1 layout (crun 1.8.1 refuses "
      "hybrid hosts).")
    for k in ("cinch", "runc", "crun", "strace", "podman", "docker"):
        if k in v:
            w(f"- {k}: `{v[k]}`")
    for k, why in res.get("skipped_runtimes", {}).items():
        w(f"- {k}: **skipped**: {why}")
    if load:
        other = load.get("other_cpus", 0)
        w(f"- Other work on the machine: during this {load.get('wall_s', 0):.0f} s run, processes "
          f"other than the harness used {other:.2f} of {m.get('cores')} CPUs on average (load "
          f"average {load['loadavg_start'][0]:.2f} at start, {load['loadavg_end'][0]:.2f} at end)"
          + (". Other agents were building and testing on the same 2 cores, so absolute times "
             "are noisy; ratios are what to read." if other > 0.3 else
             "; the machine was nearly idle, though other agents' sessions were open."))
    w("")
    targets = []
    render_lifecycle(res, w, targets)
    render_ablation(res, w)
    render_density(res, w, targets)
    render_syscalls(res, w)
    render_where(res, w)
    render_slow(res, w)
    render_enforce(res, w, targets)
    render_frontend(res, w)
    render_vm(res, w)
    render_leaks(res, w)
    w("## Targets")
    w("")
    w("| target | measured | verdict |")
    w("|---|---|---|")
    for t, meas, ok in targets:
        w(f"| {t} | {meas} | {verdict(ok)} |")
    w("")
    for n in res.get("notes", []):
        w(f"- {n}")
    notes = os.path.join(HERE, "NOTES.md")
    if os.path.exists(notes):
        w("")
        with open(notes) as f:
            w(f.read().rstrip())
    w("")
    w(METHOD)
    return "\n".join(L) + "\n"


def render_lifecycle(res, w, targets):
    lc = res.get("lifecycle")
    if not lc:
        return
    w("## Lifecycle latency")
    w("")
    n = max((s["steps"].get("total", {}).get("n", 0) for s in lc.values() if "steps" in s),
            default=0)
    w(f"`/bin/true` in runc's default spec plus memory (256 MiB), pids (128) and cpu "
      f"(quota 100000/100000, shares 1024) limits; {n} runs each, interleaved, after warm-up. "
      "`4-step` is create, start, wait (waitpid on the container's init), delete, each a "
      "separate runtime invocation; `run` is one foreground `run` (which deletes on exit). "
      "Times in ms.")
    w("")
    w("| contender | median | p90 | create | start | wait | delete | CPU ms (user+sys, "
      "incl. the container's init) "
      "| failures |")
    w("|---|---|---|---|---|---|---|---|---|")
    order = [k for k in ("cinch", "crun", "runc", "cinch-run", "crun-run", "runc-run", "exec",
                         "unshare", "cgroup", "cgroup-min") if k in lc]
    for k in order:
        s = lc[k]
        label = {"exec": "floor: exec /bin/true",
                 "unshare": "floor: unshare -fpmnuic --mount-proc /bin/true",
                 "cgroup": "floor: cgroups only (mkdir in each hierarchy, attach via "
                           "cgroup.procs, exec /bin/true, rmdir)",
                 "cgroup-min": "floor: the same in cpu, memory, pids, devices and freezer "
                               "only"}.get(
            k, f"{k.replace('-run', '')} {'run' if k.endswith('-run') else '4-step'}")
        steps = [ms(med(lc, k, st)) if st in s["steps"] else "" for st in STEPS[:4]]
        cpu = s.get("cpu_us_median")
        w(f"| {label} | {ms(med(lc, k))} | {ms(p90(lc, k))} | " + " | ".join(steps) +
          f" | {'' if cpu is None else f'{cpu / 1000:.1f}'} | {s['failures']} |")
    w("")
    w("Ratios (median / median; p90 / p90 in brackets):")
    w("")
    w("| | cinch 4-step | cinch run |")
    w("|---|---|---|")
    for other, label in (("crun", "vs crun"), ("runc", "vs runc"), ("unshare", "vs unshare floor"),
                         ("exec", "vs exec floor")):
        cells = []
        for mine, theirs in (("cinch", other if other in ("exec", "unshare") else other),
                             ("cinch-run", other if other in ("exec", "unshare")
                              else other + "-run")):
            r, rp = ratio(med(lc, mine), med(lc, theirs)), ratio(p90(lc, mine), p90(lc, theirs))
            cells.append(f"{fmt_ratio(r)} ({fmt_ratio(rp)})")
        w(f"| {label} | " + " | ".join(cells) + " |")
    u, g, c = med(lc, "unshare"), med(lc, "cgroup"), med(lc, "cinch")
    if u and g and c:
        w("")
        w(f"Namespaces and cgroups together (unshare floor + cgroup floor, medians: "
          f"{ms(u + g)} ms): cinch 4-step is {c / (u + g):.2f}x that; the rest is cinch's own "
          "work (rootfs and mounts, devices, state, four process starts) and waiting.")
    w("")
    w("Runtime peak RSS (ru_maxrss of each runtime invocation, the largest of create/start/"
      "delete in a run; median and max over runs):")
    w("")
    w("| runtime | median kB | max kB |")
    w("|---|---|---|")
    for k in ("cinch", "crun", "runc"):
        if k in lc and lc[k].get("maxrss_kb_max"):
            w(f"| {k} | {lc[k]['maxrss_kb_median']:.0f} | {lc[k]['maxrss_kb_max']} |")
    w("")
    c = med(lc, "cinch")
    have = c is not None

    def both(other, other_run):
        r1, r2 = ratio(c, med(lc, other)), ratio(med(lc, "cinch-run"), med(lc, other_run))
        return (f"{'–' if r1 is None else f'{r1:.3f}x'} (4-step); "
                f"{'–' if r2 is None else f'{r2:.3f}x'} (run)")
    targets.append(("cinch lifecycle <= 0.6x crun (judged on the 4-step medians)",
                    both("crun", "crun-run"),
                    None if not have or med(lc, "crun") is None else c <= T_CRUN * med(lc, "crun")))
    targets.append(("cinch lifecycle <= 0.2x runc", both("runc", "runc-run"),
                    None if not have or med(lc, "runc") is None else c <= T_RUNC * med(lc, "runc")))
    targets.append(("cinch lifecycle <= 2x the unshare floor", both("unshare", "unshare"),
                    None if not have or med(lc, "unshare") is None
                    else c <= T_FLOOR * med(lc, "unshare")))
    rss = lc.get("cinch", {}).get("maxrss_kb_max")
    targets.append(("cinch peak RSS <= 2 MB", f"{rss} kB" if rss else "–",
                    None if not rss else rss <= T_RSS_KB))


def render_ablation(res, w):
    ab = res.get("ablation")
    if not ab:
        return
    base = (ab.get("spec as above") or {}).get("steps", {}).get("total", {}).get("median_ns")
    w("What parts of the spec cost cinch (4-step lifecycle of variants of the bundle above, "
      "cinch only, interleaved; medians in ms):")
    w("")
    w("| variant | median | create | delete | saves |")
    w("|---|---|---|---|---|")
    for label, s in ab.items():
        if not s or "total" not in s.get("steps", {}):
            w(f"| {label} | failed | | | |")
            continue
        st = s["steps"]
        t = st["total"]["median_ns"]
        save = "" if not base or label == "spec as above" else f"{(base - t) / 1e6:+.2f} ms"
        w(f"| {label} | {ms(t)} | {ms(st['create']['median_ns'])} | "
          f"{ms(st['delete']['median_ns'])} | {save} |")
    w("")


def render_density(res, w, targets):
    d = res.get("density")
    if not d:
        return
    w("## Density")
    w("")
    w("N containers (`sleep 3600`, same bundle and limits) started at once with `run -d`; wall "
      "time until every `run -d` returned, failures, then `delete -f` of all of them, one "
      "after the other.")
    w("")
    w("| runtime | N | wall ms | per container ms | failures | teardown ms | peak RSS kB |")
    w("|---|---|---|---|---|---|---|")
    ns = sorted({int(n) for r in d.values() for n in r if n != "1"})
    for n in ns:
        for k in ("cinch", "crun", "runc"):
            r = d.get(k, {}).get(str(n))
            if not r or "wall_ns" not in r:
                continue
            w(f"| {k} | {n} | {ms(r['wall_ns'])} | {ms(r['wall_ns'] / n)} | {r['failures']} | "
              f"{ms(r.get('teardown_ns'))} | {r.get('maxrss_kb')} |")
    w("")
    if ns:
        top = max(ns)
        c = d.get("cinch", {}).get(str(top), {})
        for other in ("crun", "runc"):
            o = d.get(other, {}).get(str(top), {})
            if c.get("wall_ns") and o.get("wall_ns"):
                w(f"- N={top}: cinch wall time {c['wall_ns'] / o['wall_ns']:.2f}x {other}.")
        if c:
            targets.append((f"no failure at N = {top}", f"{c.get('failures')} failures",
                            c.get("failures") == 0 if top >= 100 else None))
    w("")
    w("Memory that stays behind for one idle container (processes descending from the caller "
      "that are not the container's own; the container process itself is the same `sleep` "
      "for all):")
    w("")
    w("| runtime | processes left | their RSS kB | container's own RSS kB |")
    w("|---|---|---|---|")
    for k in ("cinch", "crun", "runc"):
        r = d.get(k, {}).get("1")
        if r and "leftover_count" in r:
            extra = (" (" + ", ".join(r["leftovers"]) + ")") if r["leftovers"] else ""
            w(f"| {k} | {r['leftover_count']}{extra} | {r['leftover_rss_kb']} | "
              f"{r.get('container_rss_kb')} |")
    w("")


def render_syscalls(res, w):
    s = res.get("syscalls")
    if not s:
        return
    w("## Syscalls per container")
    w("")
    w("`strace -f -c` over one foreground `run` of `/bin/true` (create, start, wait and delete "
      "in one invocation; plus `delete` if the runtime keeps state), median of the repeats. "
      "The container's own `/bin/true` is in every count alike.")
    w("")
    w("| runtime | syscalls | top by count | top by wall time (strace -w) |")
    w("|---|---|---|---|")
    for k in ("cinch", "crun", "runc"):
        if k not in s:
            continue
        top = ", ".join(f"{r['syscall']} {r['calls']}" for r in s[k]["top"])
        wall = ", ".join(f"{r['syscall']} {r['seconds'] * 1000:.1f} ms"
                         for r in s[k].get("wall_top", [])[:4])
        w(f"| {k} | {s[k]['calls']} | {top} | {wall} |")
    w("")


def render_where(res, w):
    wh = res.get("where")
    if not wh:
        return
    w("Where the time goes: time inside syscalls (`strace -f -T -y`, all processes of one "
      "foreground `run`, mean of the repeats), by what the call touches. strace inflates "
      "every call; compare shares, not absolute values.")
    w("")
    names = [n for n in ("cinch", "crun") if n in wh]
    cats = sorted({c for n in names for c in wh[n]},
                  key=lambda c: -max(wh[n].get(c, {}).get("ms", 0) for n in names))
    w("| category | " + " | ".join(f"{n} calls | {n} ms" for n in names) + " |")
    w("|---|" + "---|---|" * len(names))
    for c in cats:
        cells = []
        for n in names:
            v = wh[n].get(c)
            cells += [f"{v['calls']:.0f}", f"{v['ms']:.1f}"] if v else ["", ""]
        w(f"| {c} | " + " | ".join(cells) + " |")
    w("")


def render_slow(res, w):
    sl = res.get("slow_syscalls")
    if not sl:
        return
    w("Syscalls that blocked for more than 1 ms (`perf trace --duration 1` over foreground "
      "`run`s; how often per run, and how long; container id shown as `<id>`). "
      "Waits on a socket or pipe are one process waiting for the other.")
    w("")
    w("| runtime | syscall and file | per run | median ms | max ms |")
    w("|---|---|---|---|---|")
    for name in ("cinch", "crun", "runc"):
        if name not in sl:
            continue
        items = sorted(sl[name]["slow"].items(), key=lambda kv: -kv[1]["n"] * kv[1]["median_ms"])
        for k, v in items[:8]:
            w(f"| {name} | `{k}` | {v['n'] / sl[name]['runs']:.1f} | {v['median_ms']:.1f} | "
              f"{v['max_ms']:.1f} |")
    w("")


def render_enforce(res, w, targets):
    e = res.get("enforce")
    if not e:
        return
    wl = e.get("workloads", {})
    w("## Enforcement fidelity (cinch vs runc)")
    w("")
    if e.get("cpu"):
        w(f"CPU share achieved (`--cpus` as quota/period 100000, plus cpu.shares 262144 so that "
          "other work on this shared machine does not crowd the container out and the quota is "
          f"what binds; workload: {wl.get('cpu')}); "
          "measured from cpuacct.usage (v1) or cpu.stat (v2) over the window; `other` is what "
          "the rest of the machine used meanwhile, in CPUs.")
        w("")
        w("| --cpus | runtime | achieved CPUs | error | other |")
        w("|---|---|---|---|---|")
        for cpus, per in e["cpu"].items():
            for k, r in per.items():
                if "error" in r:
                    w(f"| {cpus} | {k} | failed: {r['error']} | | |")
                    continue
                err = r["achieved"] / r["target"] - 1
                w(f"| {cpus} | {k} | {r['achieved']:.3f} | {err * 100:+.1f}% | "
                  f"{r['other_load']:.2f} |")
            c, rr = per.get("cinch", {}), per.get("runc", {})
            if "achieved" in c and "achieved" in rr:
                ec = abs(c["achieved"] / c["target"] - 1)
                er = abs(rr["achieved"] / rr["target"] - 1)
                targets.append((f"CPU share at --cpus {cpus} within runc's error (or "
                                f"{CPU_NOISE:.0%})", f"cinch {ec:.1%} vs runc {er:.1%}",
                                ec <= max(er, CPU_NOISE)))
        w("")
    if e.get("io") or e.get("io_skipped"):
        w(f"Direct-I/O write rate under `throttleWriteBpsDevice` (workload: {wl.get('io')}); "
          "rate as the workload reports it.")
        w("")
        if e.get("io_skipped"):
            w(f"Skipped: {e['io_skipped']}")
        w("| limit MiB/s | runtime | achieved MiB/s | error |")
        w("|---|---|---|---|")
        for mbps, per in e.get("io", {}).items():
            for k, r in per.items():
                if "achieved_mibs" not in r:
                    w(f"| {mbps} | {k} | failed: {r.get('error')} | |")
                    continue
                w(f"| {mbps} | {k} | {r['achieved_mibs']:.2f} | "
                  f"{(r['achieved_mibs'] / r['target_mibs'] - 1) * 100:+.1f}% |")
            c, rr = per.get("cinch", {}), per.get("runc", {})
            if "achieved_mibs" in c and "achieved_mibs" in rr:
                ec = abs(c["achieved_mibs"] / c["target_mibs"] - 1)
                er = abs(rr["achieved_mibs"] / rr["target_mibs"] - 1)
                targets.append((f"write rate at {mbps} MiB/s within runc's error (or "
                                f"{CPU_NOISE:.0%})", f"cinch {ec:.1%} vs runc {er:.1%}",
                                ec <= max(er, CPU_NOISE)))
        w("")
    if e.get("pids"):
        w(f"Fork bomb under pids.limit 50 (workload: {wl.get('pids')}): from the moment the "
          "container's init has exec'd the bomb (its comm changes) to pids.current reaching the limit, polled from the host; the "
          "bracket counts from the moment `start` was spawned. `rejected` is the pids.events "
          "`max` counter after 0.5 s; teardown is `delete -f`.")
        w("")
        w("| runtime | contained ms | (from start cmd) | peak pids | rejected forks "
          "| teardown ms |")
        w("|---|---|---|---|---|---|")
        best = {}
        for k, runs in e["pids"].items():
            for r in runs:
                if "contained_ms" not in r:
                    w(f"| {k} | failed: {r.get('error')} | | {r.get('peak', '')} | | "
                      f"{r.get('teardown_ms', 0):.0f} |")
                    continue
                bound = "<= " if r.get("upper_bound") else ""
                w(f"| {k} | {bound}{r['contained_ms']:.1f} | ({r['from_start_cmd_ms']:.1f}) | "
                  f"{r['peak']} | {r['rejected']} | {r['teardown_ms']:.0f}"
                  f"{'' if r['teardown_ok'] else ' (delete failed)'} |")
            ok = [r["contained_ms"] for r in runs if "contained_ms" in r]
            if ok and len(ok) == len(runs):
                best[k] = (statistics.median(ok), max(r["peak"] for r in runs))
        if "cinch" in best and "runc" in best:
            (c, cp), (r, _) = best["cinch"], best["runc"]
            targets.append(("fork bomb contained as fast as runc (+5 ms), never above the limit",
                            f"cinch {c:.1f} ms vs runc {r:.1f} ms, peak {cp}",
                            c <= max(r * 1.5, r + BOMB_SLACK_MS) and cp <= 50))
        w("")


def render_frontend(res, w):
    f = res.get("frontend")
    if not f:
        return
    w("## Front end")
    w("")
    w(f"End to end, `<engine> run --rm busybox true`, {f['runs']} runs each, interleaved, after "
      "one untimed run. Times in ms. The engines are tests/engines' private offline setups "
      "(own containerd/dockerd or podman config, busybox imported from the same rootfs); the "
      "runtime is given to them by path, without tests/engines' logging wrapper.")
    if f.get("podman_runs"):
        w("")
        w(f"Podman gets {f['podman_runs']} runs and no warm-up: podman 4.3 in this sandbox waits "
          "~20 s for conmon's exit report (`Exceeded conmon timeout waiting for container ... "
          "to exit` in its debug log), with runc as well as with cinch, so its numbers measure "
          "that timeout, not the runtime.")
    w("")
    w("| command | median | p90 |")
    w("|---|---|---|")
    for k, r in f["results"].items():
        if isinstance(r, dict):
            w(f"| {k} | {ms(r['median_ns'])} | {ms(r['p90_ns'])} |")
        else:
            w(f"| {k} | failed {len(r)} times: {r[0]} | |")
    for k, why in f["skipped"].items():
        w(f"| {k} | skipped: {why} | |")
    w("")
    res_ = f["results"]
    lines = []
    for eng in ("podman run --rm", "docker run --rm"):
        a, b = res_.get(f"{eng} (cinch)"), res_.get(f"{eng} (runc)")
        if isinstance(a, dict) and isinstance(b, dict):
            lines.append(f"- {eng}: with cinch {a['median_ns'] / b['median_ns']:.2f}x the time "
                         "with runc (medians).")
    c = res_.get("cinch run --rm busybox true")
    for k, r in res_.items():
        if isinstance(c, dict) and isinstance(r, dict) and k.startswith("docker") and \
                k.endswith("(runc)"):
            lines.append(f"- `cinch run --rm` is {c['median_ns'] / r['median_ns']:.2f}x "
                         "`docker run --rm` with runc.")
    if lines:
        w("\n".join(lines))
        w("")


def render_vm(res, w):
    vm = res.get("vm")
    if vm is None:
        return
    w("## Lifecycle in the cgroup v2 guest")
    w("")
    if "skipped" in vm:
        w(f"Not run: {vm['skipped']}")
        w("")
        return
    w(f"The same lifecycle driver in a pure cgroup v2 guest (tests/vm's Debian kernel under qemu "
      f"{vm.get('accel', 'tcg')}), {vm.get('iters')} interleaved runs; software emulation "
      "inflates absolute times, so only ratios are given.")
    w("")
    lc = vm.get("lifecycle", {})
    w("| ratio (median, p90 in brackets) | 4-step | run |")
    w("|---|---|---|")
    for other in ("crun", "runc", "unshare", "cgroup", "exec"):
        if other not in ("crun", "runc") and not lc.get(other, {}).get("steps"):
            w(f"| cinch / {other} | floor failed in the guest "
              f"({lc.get(other, {}).get('failures')} failures) | |")
            continue
        cells = []
        for mine, theirs in (("cinch", other), ("cinch-run", other if other not in ("crun", "runc")
                                                 else other + "-run")):
            cells.append(f"{fmt_ratio(ratio(med(lc, mine), med(lc, theirs)))} "
                         f"({fmt_ratio(ratio(p90(lc, mine), p90(lc, theirs)))})")
        w(f"| cinch / {other} | " + " | ".join(cells) + " |")
    w("")
    w("Under software emulation the dynamic loader dominates short commands (a dynamically "
      "linked `/bin/true` takes ~150 ms there), so the floors (dynamically linked `true` and "
      "`unshare`) and crun (a dozen shared libraries) look slow next to cinch's static binary; "
      "the guest's ratios say more about linking than about the container work.")
    if vm.get("unshare_floor"):
        w("")
        w(f"The unshare floor in the guest is `{vm['unshare_floor']}`.")
    fails = {k: s["failures"] for k, s in lc.items() if s.get("failures")}
    if fails:
        w("")
        w(f"Failures in the guest: {fails}")
    for k, why in vm.get("skipped_runtimes", {}).items():
        w(f"- {k} skipped in the guest: {why}")
    w("")


def render_leaks(res, w):
    leaks = res.get("leaks")
    if not leaks:
        return
    w("## Left behind")
    w("")
    w("cgroup directories found after a section (the harness removed them):")
    w("")
    for lk in leaks:
        w(f"- after {lk['after']}: " + ", ".join(f"`{c}`" for c in lk["cgroups"][:10]))
    w("")


METHOD = """## Method

- `bench/run.sh` builds `bench/cbench.c`, enters a private mount namespace (`unshare -m`),
  unmounts `/sys/fs/cgroup/unified` there, and runs `bench/bench.py`. Each runtime gets its
  own `--root` in a temp dir; bundles are runc's `runc spec` output with a busybox rootfs
  from `scripts/mkimage.sh` (plus the test payload when it has the applets).
- The lifecycle driver is C (`posix_spawn`, `wait4`, `CLOCK_MONOTONIC`) rather than Python:
  the fast contenders take a few ms per container and four commands each, and Python's
  `subprocess` adds ~1 ms of fork/exec and GC jitter per command. The driver is a child
  subreaper, so the container's init is re-parented to it after `create` and `wait` is a
  real `waitpid`; `ru_maxrss` and CPU time come from `wait4` of each runtime invocation.
- Interleaving: every iteration runs each contender once, in a fresh random order, with 50 ms
  between contenders, so load from other processes falls on all of them alike. Not a fixed
  rotation: a cgroup attach waits for an RCU grace period unless another attach happened
  just before, so a fixed neighbour would hand one runtime free grace periods (an earlier
  version of this harness had that bias). Medians and p90 are nearest-rank.
- Syscall counts use `strace -f -c`; time per syscall `strace -f -w -c` (wall clock, so
  blocking waits show up).
- Nothing is left behind: containers are force-deleted, leftover `cbench-*` cgroups are
  reported above and removed, the loop device is detached, the temp dir removed.
- Rerun: `make bench` (full, ~10 min), `bench/run.sh --quick`, `bench/run.sh --smoke`
  (a seconds-long check that the harness runs; writes to build/bench/ instead of docs/)."""


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        sys.stdout.write(render(json.load(f)))
