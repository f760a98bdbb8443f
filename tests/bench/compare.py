"""make compare: the BCC-to-libbpf port made visible and measured.

For each ported tool, cbcc (libbcc, runtime compilation) against cbcc-core
(libbpf CO-RE skeletons), measured in one run on this machine.  cbcc is
measured twice: cold (`--no-cache`: cbcc-compile runs clang, what the BCC
engine costs) and warm (a hit in its compiled-program cache):

- start -> attached: wall time until the tool says it is tracing, the
  CPU time of a run that stops right after attaching, and its peak RSS
  when attached (VmHWM: wait4's ru_maxrss would report at least the
  RSS of this Python process, which the child had before its exec);
- binary size and the size of its run-time dependency closure (ldd);
- BPF instructions (xlated) and JIT size per program (bpftool);
- per-event cost on the same workload (the kernel's bpf_stats);
- the side-by-side diff of each pair of BPF sources;
- one BCC example program ported by hand (bpf_src/netrx) run through
  `cbcc run` and `cbcc-core run`, outputs compared.

Writes build/compare.md and build/compare.svg.  Figures are printed, never
asserted: the machine's load shows in them.
"""
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.environ.get("OUT", os.path.join(REPO, "build"))
BINS = {
    "cbcc": os.environ.get("CBCC_BIN", os.path.join(OUT, "cbcc")),
    "cbcc-core": os.environ.get("CBCC_CORE_BIN",
                                os.path.join(OUT, "cbcc-core")),
}
# The start-up variants: name, binary, leading arguments.
VARIANTS = (
    ("cbcc cold", "cbcc", ["--no-cache"]),
    ("cbcc warm", "cbcc", []),
    ("cbcc-core", "cbcc-core", []),
)
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
NS = "cbcc-cmp"
HOST_IF, PEER_IF = "cbcc-cmp0", "cbcc-cmp1"
HOST_IP, PEER_IP = "10.251.251.1", "10.251.251.2"
PY = "/usr/bin/python3"


def sh(cmd, check=True):
    return subprocess.run(cmd, shell=True, check=check,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)


def netns_up():
    netns_down()
    sh(f"ip netns add {NS}")
    sh(f"ip link add {HOST_IF} type veth peer name {PEER_IF}")
    sh(f"ip link set {PEER_IF} netns {NS}")
    sh(f"ip addr add {HOST_IP}/24 dev {HOST_IF}")
    sh(f"ip link set {HOST_IF} up")
    sh(f"ip -n {NS} addr add {PEER_IP}/24 dev {PEER_IF}")
    sh(f"ip -n {NS} link set {PEER_IF} up")
    # Only the workload's packets: no IPv6 chatter, no ARP on the wire.
    for ns in ("", f"ip netns exec {NS} "):
        for dev in (HOST_IF, PEER_IF):
            sh(f"{ns}sysctl -qw net.ipv6.conf.{dev}.disable_ipv6=1",
               check=False)
    mac = lambda dev, ns="": json.loads(sh(f"ip {ns} -j link show {dev}")
                                        .stdout)[0]["address"]
    sh(f"ip neigh replace {PEER_IP} lladdr {mac(PEER_IF, f'-n {NS}')} "
       f"dev {HOST_IF} nud permanent")
    sh(f"ip -n {NS} neigh replace {HOST_IP} lladdr {mac(HOST_IF)} "
       f"dev {PEER_IF} nud permanent")


def netns_down():
    sh(f"ip link del {HOST_IF}", check=False)
    sh(f"ip netns del {NS}", check=False)


def traffic(n=2000):
    """n UDP datagrams from the namespace to the host end."""
    code = ("import socket\n"
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            f"for i in range({n}):\n"
            f"    s.sendto(bytes(100 + i % 900), ('{HOST_IP}', 9999))\n")
    subprocess.run(["ip", "netns", "exec", NS, PY, "-c", code], check=True)


def getppid_loop(n=200000):
    subprocess.run([PY, "-c", f"import os\nfor _ in range({n}): os.getppid()"],
                   check=True)


def open_loop(n=20000):
    subprocess.run([PY, "-c", "import os\n"
                    f"for _ in range({n}): os.close(os.open('/etc/hostname', 0))"],
                   check=True)


def exec_loop(n=300):
    subprocess.run(["sh", "-c", f"i=0; while [ $i -lt {n} ]; do /bin/true; "
                    "i=$((i+1)); done"], check=True)


# Each tool: arguments, the workload that makes events, and what marks
# "attached" (a header on stdout or the Tracing line on stderr).
TOOLS = {
    "xdpcount": (["-m", "generic", HOST_IF], traffic),
    "funccount": (["t:syscalls:sys_enter_getppid"], getppid_loop),
    "opensnoop": (["-n", "nomatch_cmp"], open_loop),
    "execsnoop": (["-n", "nomatch_cmp"], exec_loop),
}


def supported(binary, tool):
    p = subprocess.run([binary, tool, "--help"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return p.returncode == 0


class Running:
    """A tool started in its own process group, until it has attached."""

    def __init__(self, argv):
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE,
                                  start_new_session=True)
        self.attached = None
        self.wait_attached()

    def wait_attached(self, timeout=60):
        # The first line on either stream comes once everything is
        # attached (a header, or "Tracing ..."): the tools print nothing
        # before.  Nonblocking reads so stderr chatter does not stall.
        os.set_blocking(self.p.stdout.fileno(), False)
        os.set_blocking(self.p.stderr.fileno(), False)
        self.out = b""
        self.err = b""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for name in ("out", "err"):
                f = getattr(self.p, "std" + name)
                try:
                    chunk = f.read()
                except BlockingIOError:
                    chunk = None
                if chunk:
                    setattr(self, name, getattr(self, name) + chunk)
            if b"\n" in self.out or re.search(rb"Tracing|tracing", self.err):
                self.attached = time.monotonic() - self.t0
                self.hwm = self.peak_rss()
                return
            if self.p.poll() is not None:
                raise RuntimeError(f"exited: {self.err.decode()[-300:]}")
            time.sleep(0.002)
        raise RuntimeError("never attached")

    def peak_rss(self):
        """MiB: the peak resident set of the tool's own image.  Not
        ru_maxrss: a child of this process starts as a (v)fork of it, and
        the kernel keeps that pre-exec RSS (~13 MiB of Python) as the
        child's maximum, so every tool would weigh at least as much."""
        with open(f"/proc/{self.p.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self):
        """(CPU seconds of the whole run, peak RSS MiB when attached, and
        ru_maxrss in MiB: the largest of the tool and the children it
        waited for, cbcc-compile included, floored by our own RSS)."""
        os.killpg(self.p.pid, signal.SIGINT)
        _, status, ru = os.wait4(self.p.pid, 0)
        self.p.stdout.close()
        self.p.stderr.close()
        return ru.ru_utime + ru.ru_stime, self.hwm, ru.ru_maxrss / 1024


def start_cost(argv, tool, args, with_children):
    """Median wall to attached, CPU and peak RSS of start-attach-stop;
    with_children: the peak of cbcc-compile too (a cold cbcc)."""
    walls, cpus, rss = [], [], []
    for _ in range(RUNS):
        r = Running(argv + [tool] + args)
        cpu, mib, maxrss = r.stop()
        if with_children:
            mib = max(mib, maxrss)
        walls.append(r.attached)
        cpus.append(cpu)
        rss.append(mib)
    return (statistics.median(walls), statistics.median(cpus),
            statistics.median(rss))


def prog_ids_of(pid):
    """Ids of the BPF programs process pid holds (its fdinfo)."""
    ids = set()
    fddir = f"/proc/{pid}/fdinfo"
    for fd in os.listdir(fddir):
        try:
            with open(os.path.join(fddir, fd)) as f:
                m = re.search(r"^prog_id:\s+(\d+)", f.read(), re.M)
        except OSError:
            continue
        if m:
            ids.add(int(m.group(1)))
    return ids


def progs_of(pid):
    """bpftool's records of the programs a process holds."""
    ids = prog_ids_of(pid)
    p = sh("bpftool -j prog show", check=False)
    try:
        progs = json.loads(p.stdout or "[]")
    except json.JSONDecodeError:
        return []
    return [q for q in progs if q.get("id") in ids]


def bpf_stats(enable):
    path = "/proc/sys/kernel/bpf_stats_enabled"
    with open(path) as f:
        old = f.read().strip()
    with open(path, "w") as f:
        f.write("1" if enable else "0")
    return old


def per_event(binary, tool, args, workload):
    """Programs (name, xlated insns, jited bytes) and ns per run."""
    r = Running([binary, tool] + args)
    try:
        before = {q["id"]: q for q in progs_of(r.p.pid)}
        workload()
        after = {q["id"]: q for q in progs_of(r.p.pid)}
    finally:
        r.stop()
    rows = []
    for pid_, q in sorted(after.items()):
        b = before.get(pid_, {})
        cnt = q.get("run_cnt", 0) - b.get("run_cnt", 0)
        ns = q.get("run_time_ns", 0) - b.get("run_time_ns", 0)
        rows.append((q.get("name", "?"), q.get("bytes_xlated", 0) // 8,
                     q.get("bytes_jited", 0), cnt,
                     ns / cnt if cnt else None))
    return rows


def closure(binary):
    """(number of libraries, bytes of binary + libraries) from ldd."""
    p = sh(f"ldd {binary}", check=False)
    libs = re.findall(r"=> (/\S+)", p.stdout)
    total = os.path.getsize(binary)
    for lib in libs:
        total += os.path.getsize(os.path.realpath(lib))
    return len(libs), total


def mib(n):
    return f"{n / 1048576:.1f}"


def netrx_both(md):
    """The demo's BCC program and its hand port, through both run commands."""
    core_obj = os.path.join(OUT, "bpf", "netrx.bpf.o")
    bcc_src = os.path.join(REPO, "bpf_src", "netrx.bcc.c")
    md.append("## netrx: a BCC program and its hand port, through both "
              "`run` commands\n")
    if not os.path.exists(core_obj):
        md.append(f"(no {core_obj}: not built)\n")
        return
    cmd = f"ip netns exec {NS} {PY} -c \"import socket\n" \
          "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n" \
          "for i in range(300):\n" \
          f"    s.sendto(bytes(100 + i % 900), ('{HOST_IP}', 9999))\""
    outs = {}
    for name, argv in (
            ("cbcc run netrx.bcc.c",
             [BINS["cbcc"], "run", "--json", bcc_src,
              "-D", f'IFNAME="{HOST_IF}"', "-c", cmd]),
            ("cbcc-core run netrx.bpf.o",
             [BINS["cbcc-core"], "run", "--json", core_obj,
              "-D", f"ifname={HOST_IF}", "-c", cmd])):
        p = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        recs = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
        maps = {r["name"]: r["entries"] for r in recs
                if r.get("type") == "map"}
        outs[name] = (p.returncode, maps, p.stderr.strip()[-300:])
    for name, (rc, maps, err) in outs.items():
        md.append(f"- `{name}`: exit {rc}; maps "
                  f"`{json.dumps(maps, sort_keys=True)[:400]}`"
                  + (f"; stderr `{err}`" if rc else ""))
    same = len({json.dumps(v[1], sort_keys=True) for v in outs.values()}) == 1
    md.append(f"\nSame maps from both engines: **{'yes' if same else 'NO'}**\n")


def svg_chart(rows, path):
    """Grouped bars: start-up CPU ms and peak RSS MiB per tool, per engine."""
    w, h, pad = 720, 320, 50
    tools = [r[0] for r in rows]
    metrics = (("CPU to attached (ms)", 1), ("peak RSS (MiB)", 2))
    colors = {"cbcc cold": "#c0504d", "cbcc warm": "#f79646",
              "cbcc-core": "#4f81bd"}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" '
             f'height="{h * 2}" font-family="sans-serif" font-size="12">']
    for mi, (title, idx) in enumerate(metrics):
        y0 = mi * h
        vals = [r[3][b][idx] for r in rows for b in r[3] if r[3][b]]
        top = max(vals + [1e-9]) * 1.1
        parts.append(f'<text x="{pad}" y="{y0 + 20}" font-size="14">'
                     f'{title}</text>')
        slot = (w - 2 * pad) / max(len(tools), 1)
        for ti, tool in enumerate(tools):
            bw = (slot - 20) / len(colors)
            for bi, b in enumerate(colors):
                m = dict((r[0], r[3]) for r in rows)[tool].get(b)
                if not m:
                    continue
                v = m[idx]
                bh = (h - 2 * pad) * v / top
                x = pad + ti * slot + 10 + bi * bw
                y = y0 + h - pad - bh
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" '
                             f'width="{bw - 4:.1f}" '
                             f'height="{bh:.1f}" fill="{colors[b]}"/>')
                parts.append(f'<text x="{x:.1f}" y="{y - 3:.1f}">'
                             f'{v:.1f}</text>')
            parts.append(f'<text x="{pad + ti * slot + 10:.1f}" '
                         f'y="{y0 + h - pad + 15}">{tool}</text>')
        for bi, b in enumerate(colors):
            parts.append(f'<rect x="{w - 150}" y="{y0 + 10 + bi * 16}" '
                         f'width="10" height="10" fill="{colors[b]}"/>'
                         f'<text x="{w - 135}" y="{y0 + 19 + bi * 16}">'
                         f'{b}</text>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts))


def main():
    if os.geteuid() != 0:
        sys.exit("compare: must run as root")
    for b in BINS.values():
        if not os.access(b, os.X_OK):
            sys.exit(f"compare: {b} is not built (run make)")
    md = ["# cbcc vs cbcc-core, measured on this machine\n",
          f"`uname -r`: {os.uname().release}; median of {RUNS} runs; "
          "figures, not assertions.\n"]
    md.append("## Binaries\n")
    md.append("| binary | size MiB | ldd libraries | closure MiB |")
    md.append("|---|---|---|---|")
    for name, b in BINS.items():
        n, total = closure(b)
        md.append(f"| {name} | {mib(os.path.getsize(b))} | {n} | "
                  f"{mib(total)} |")
    md.append("")
    rows = []
    old_stats = bpf_stats(True)
    netns_up()
    try:
        md.append("## Start -> attached\n")
        md.append("| tool | engine | wall to attached ms | CPU ms | "
                  "peak RSS MiB |")
        md.append("|---|---|---|---|---|")
        detail = []
        for tool, (args, workload) in TOOLS.items():
            per = {}
            for name, bin_name, lead in VARIANTS:
                b = BINS[bin_name]
                if not supported(b, tool):
                    md.append(f"| {tool} | {name} | n/a | n/a | n/a |")
                    per[name] = None
                    continue
                try:
                    wall, cpu, rss = start_cost([b] + lead, tool, args,
                                                bool(lead))
                except RuntimeError as e:
                    md.append(f"| {tool} | {name} | failed: {e} | | |")
                    per[name] = None
                    continue
                per[name] = (wall * 1000, cpu * 1000, rss)
                md.append(f"| {tool} | {name} | {wall * 1000:.0f} | "
                          f"{cpu * 1000:.0f} | {rss:.1f} |")
                if lead:
                    continue	# the same programs as warm
                try:
                    detail.append((tool, bin_name,
                                   per_event(b, tool, args, workload)))
                except RuntimeError as e:
                    detail.append((tool, bin_name, str(e)))
            rows.append((tool, args, workload, per))
        md.append("")
        md.append("Peak RSS of a cold cbcc is that of cbcc-compile, its "
                  "child; warm, no compiler runs.\n")
        for tool, _, _, per in rows:
            c, w, k = (per.get(v[0]) for v in VARIANTS)
            if c and w and k and k[1] > 0:
                md.append(f"- {tool}: cbcc-core {k[1]:.0f} ms CPU, "
                          f"{k[2]:.1f} MiB; {c[1] / k[1]:.0f}x less start-up "
                          f"CPU than cbcc cold ({w[1] / k[1]:.1f}x less than "
                          f"warm) and {c[2] / k[2]:.0f}x less peak RSS "
                          f"(targets: >= 20x CPU, <= 10 ms CPU, <= 12 MiB)")
        md.append("\n## BPF programs: size and per-event cost "
                  "(bpf_stats, same workload)\n")
        md.append("| tool | engine | program | xlated insns | JIT bytes | "
                  "runs | ns/run |")
        md.append("|---|---|---|---|---|---|---|")
        for tool, name, progs in detail:
            if isinstance(progs, str):
                md.append(f"| {tool} | {name} | failed: {progs} | | | | |")
                continue
            for pname, insns, jit, cnt, ns in progs:
                md.append(f"| {tool} | {name} | {pname} | {insns} | {jit} | "
                          f"{cnt} | {'-' if ns is None else f'{ns:.0f}'} |")
        md.append("")
        netrx_both(md)
    finally:
        netns_down()
        bpf_stats(old_stats == "1")
    md.append("## The port, side by side (`diff -u X.bcc.c X.bpf.c`)\n")
    for f in sorted(os.listdir(os.path.join(REPO, "bpf_src"))):
        if not f.endswith(".bpf.c"):
            continue
        base = f[:-len(".bpf.c")]
        bcc = os.path.join(REPO, "bpf_src", base + ".bcc.c")
        if not os.path.exists(bcc):
            continue
        p = sh(f"diff -u {bcc} {os.path.join(REPO, 'bpf_src', f)}",
               check=False)
        md.append(f"### {base}\n\n```diff\n{p.stdout}```\n")
    os.makedirs(OUT, exist_ok=True)
    chart = [r for r in rows if any(r[3].values())]
    svg_chart([(t, a, w, {k: v for k, v in per.items() if v})
               for t, a, w, per in chart], os.path.join(OUT, "compare.svg"))
    md.insert(2, "![start-up CPU and RSS](compare.svg)\n")
    with open(os.path.join(OUT, "compare.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    # The tables on stdout, the diffs only in the file.
    text = "\n".join(md)
    print(text.split("## The port, side by side")[0])
    print(f"written: {OUT}/compare.md, {OUT}/compare.svg")


if __name__ == "__main__":
    main()
