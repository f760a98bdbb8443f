"""--prometheus on xdpcount, funccount and run, and `cbcc export`.

Every scrape is checked by Debian's promtool; the end-to-end tests start
Debian's prometheus on 127.0.0.1 (own temp dir, 1 s scrape interval),
generate known traffic on veth pairs and assert what its HTTP API returns.
Only loopback addresses; every wait is bounded.
"""
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import Netns, Tracer, cbcc_core_path, cbcc_path, run

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROGS = os.path.join(REPO, "tests", "programs")
PING_FRAME = 98         # 14 Ethernet + 20 IPv4 + 8 ICMP + 56 payload


@pytest.fixture(params=["cbcc", "cbcc-core"])
def binary(request):
    path = cbcc_path() if request.param == "cbcc" else cbcc_core_path()
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is not built: run 'make' first")
    return path


def is_core(binary):
    return os.path.basename(binary) == "cbcc-core"


@pytest.fixture(scope="session")
def core_obj(tmp_path_factory):
    """tests/programs/core/NAME.bpf.c built against the build's vmlinux.h."""
    out = tmp_path_factory.mktemp("prom_objs")

    def build(name):
        dst = str(out / f"{name}.bpf.o")
        if not os.path.exists(dst):
            r = run(["clang", "-g", "-O2", "-target", "bpf",
                     "-D__TARGET_ARCH_x86", "-I", os.path.join(REPO, "build"),
                     "-I", os.path.join(REPO, "bpf_src"), "-c",
                     os.path.join(PROGS, "core", f"{name}.bpf.c"), "-o", dst])
            assert r.returncode == 0, r.stderr
            subprocess.run(["llvm-strip", "-g", dst], check=True)
        return dst
    return build


def prog_for(binary, core_obj, name):
    return core_obj(name) if is_core(binary) else os.path.join(PROGS,
                                                               name + ".c")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_get(port, path="/metrics", timeout=10, method="GET"):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                 method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def promtool_ok(text):
    r = subprocess.run(["promtool", "check", "metrics"], input=text,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"promtool: {r.stdout}{r.stderr}\n{text}"


def samples(text):
    """{'name{labels}': value} of an exposition (no escapes in tests)."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def scrape_until(port, key, want, timeout=30):
    """Scrapes (each checked by promtool) until sample key == want."""
    deadline = time.time() + timeout
    text = ""
    while time.time() < deadline:
        status, text = http_get(port)
        assert status == 200
        if samples(text).get(key) == want:
            promtool_ok(text)
            return text
        time.sleep(0.3)
    raise AssertionError(f"{key} never became {want}:\n{text}")


def wait_serving(port, tracer, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert tracer.proc.poll() is None, tracer.stop()[2]
        try:
            status, text = http_get(port, timeout=2)
            if status == 200 and "cbcc_exporter_scrape_duration" in text:
                return text
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.2)
    raise AssertionError("never served /metrics")


def stop_ok(tracer):
    code, out, err = tracer.stop()
    assert code == 0, err
    return out, err


def ping(netns, count, size=56):
    subprocess.run(netns.exec(f"ping -c {count} -i 0.01 -s {size} -q "
                              f"{netns.host_ip}"), shell=True, check=True,
                   capture_output=True, timeout=60)


# ---- usage and errors ----

@pytest.mark.parametrize("args", [
    ["--prometheus", "localhost:9"],
    ["--prometheus", "127.0.0.1:99999"],
    ["--prometheus", "1.2.3.4.5:80"],
    ["--prometheus", "[::1:80"],
    ["-q"],
])
def test_bad_prometheus_args_are_usage_errors(binary, args, no_leaks):
    r = run([binary, "funccount", *args, "t:syscalls:sys_enter_getppid"])
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = run([binary, "xdpcount", *args, "lo"])
    assert r.returncode == 2, r.stderr


def test_port_in_use_leaves_nothing_attached(binary, netns, no_leaks):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    try:
        r = run([binary, "xdpcount", "--prometheus", f"127.0.0.1:{port}",
                 netns.host_if], timeout=120)
    finally:
        s.close()
    assert r.returncode == 1, r.stderr
    assert f"127.0.0.1:{port}" in r.stderr
    link = subprocess.run(["ip", "link", "show", netns.host_if],
                          capture_output=True, text=True).stdout
    assert "xdp" not in link


# ---- xdpcount ----

def test_xdpcount_metrics_exact(binary, netns, no_leaks):
    port = free_port()
    t = Tracer([binary, "xdpcount", "-m", "generic", "--prometheus",
                str(port), netns.host_if])
    try:
        wait_serving(port, t)
        ping(netns, 7)
        key = f'cbcc_xdp_packets_total{{iface="{netns.host_if}",key="icmp"}}'
        text = scrape_until(port, key, 7)
        s = samples(text)
        assert s[f'cbcc_xdp_bytes_total{{iface="{netns.host_if}",'
                 f'key="icmp"}}'] == 7 * PING_FRAME
        assert s["cbcc_exporter_map_read_errors_total"] == 0
        # Only /metrics; HEAD answers without a body.
        assert http_get(port, "/")[0] == 404
        assert http_get(port, "/metricsx")[0] == 404
        assert http_get(port, "/metrics", method="HEAD") == (200, "")
        assert http_get(port, "/metrics", method="POST")[0] == 405
    finally:
        out, _ = stop_ok(t)
    # The normal report is still printed without -q.
    assert "icmp" in out and "totals" in out


def test_xdpcount_quiet_prints_nothing(binary, netns, no_leaks):
    port = free_port()
    t = Tracer([binary, "xdpcount", "-q", "-m", "generic", "-i", "1",
                "--prometheus", f"127.0.0.1:{port}", netns.host_if])
    try:
        wait_serving(port, t)
        ping(netns, 3)
        scrape_until(port, f'cbcc_xdp_packets_total{{iface='
                     f'"{netns.host_if}",key="icmp"}}', 3)
        time.sleep(1.2)
    finally:
        out, _ = stop_ok(t)
    assert out == ""


# ---- funccount ----

GETPPID_CHILD = (
    "import os, sys\n"
    "print('ready', flush=True)\n"
    "for line in sys.stdin:\n"
    "    for _ in range(int(line)):\n"
    "        os.getppid()\n"
    "    print('done', flush=True)\n")


def getppid_child():
    """A process that calls getppid() N times per line N it reads.

    /usr/bin/python3 itself (a wrapper script, such as pyenv's, calls
    getppid() for $PPID), and only once it is ready: its start-up calls
    nothing that is counted.
    """
    child = subprocess.Popen(["/usr/bin/python3", "-c", GETPPID_CHILD],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    assert child.stdout.readline() == "ready\n"
    return child


def test_funccount_counter_survives_interval_clearing(binary, no_leaks):
    """-i clears the map for its report; the counter must not go back."""
    child = getppid_child()
    port = free_port()
    t = Tracer([binary, "funccount", "-i", "1", "-p", str(child.pid),
                "--prometheus", str(port), "t:syscalls:sys_enter_getppid"])
    key = 'cbcc_func_calls_total{func="syscalls:sys_enter_getppid"}'
    try:
        wait_serving(port, t)
        child.stdin.write("50\n")
        child.stdin.flush()
        assert child.stdout.readline() == "done\n"
        scrape_until(port, key, 50)
        time.sleep(2.5)         # two interval reports clear the map
        child.stdin.write("30\n")
        child.stdin.flush()
        assert child.stdout.readline() == "done\n"
        scrape_until(port, key, 80)
    finally:
        child.stdin.close()
        child.wait(timeout=10)
        out, _ = stop_ok(t)
    assert "FUNC" in out


# ---- run: any map ----

def test_run_exports_maps_and_histograms(binary, core_obj, netns, no_leaks):
    port = free_port()
    prog = prog_for(binary, core_obj, "prom_xdp")
    t = Tracer([binary, "run", prog, "-a", f"xdp:{netns.host_if}=prom_xdp",
                "--xdp-mode", "generic", "-q", "--prometheus", str(port)])
    try:
        t.wait_stderr("Tracing")
        wait_serving(port, t)
        ping(netns, 6, size=200)        # 242-byte frames: slot 8
        text = scrape_until(
            port, 'cbcc_pkts_total{proto="1",family="ipv4"}', 6)
        s = samples(text)
        assert s['cbcc_frame_len_bucket{le="127"}'] == 0
        assert s['cbcc_frame_len_bucket{le="255"}'] == 6
        assert s['cbcc_frame_len_bucket{le="+Inf"}'] == 6
        assert s["cbcc_frame_len_count"] == 6
        assert "# TYPE cbcc_frame_len histogram" in text
        assert "# TYPE cbcc_pkts_total counter" in text
    finally:
        out, _ = stop_ok(t)
    assert out == ""


def test_series_cap_counts_what_it_drops(binary, core_obj, netns, no_leaks,
                                         tmp_path):
    port = free_port()
    prog = prog_for(binary, core_obj, "prom_xdp")
    t = Tracer([binary, "run", prog, "-a", f"xdp:{netns.host_if}=prom_xdp",
                "--xdp-mode", "generic", "-q", "--prometheus", str(port),
                "--prometheus-max-series", "1"])
    script = tmp_path / "udp.py"
    script.write_text(
        "import socket\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        f"s.sendto(b'x', ('{netns.host_ip}', 4242))\n")
    try:
        t.wait_stderr("Tracing")
        wait_serving(port, t)
        ping(netns, 2)
        subprocess.run(netns.exec(f"python3 {script}"), shell=True,
                       check=True, timeout=30)
        text = scrape_until(
            port, 'cbcc_exporter_series_dropped{metric="cbcc_pkts_total"}', 1)
        assert len([k for k in samples(text)
                    if k.startswith("cbcc_pkts_total{")]) == 1
    finally:
        stop_ok(t)


# ---- a real Prometheus ----

class Prometheus:
    def __init__(self, tmp, targets):
        self.port = free_port()
        cfg = tmp / "prometheus.yml"
        cfg.write_text(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
            "scrape_configs:\n" + "".join(
                f"  - job_name: {job}\n    static_configs:\n"
                f"      - targets: ['127.0.0.1:{port}']\n"
                for job, port in targets.items()))
        self.proc = subprocess.Popen(
            ["prometheus", f"--config.file={cfg}",
             f"--storage.tsdb.path={tmp / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL, stderr=open(tmp / "prom.log", "w"),
            start_new_session=True)

    def query(self, q):
        url = (f"http://127.0.0.1:{self.port}/api/v1/query?"
               + urllib.parse.urlencode({"query": q}))
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                res = json.load(r)
        except (urllib.error.URLError, ConnectionError, OSError):
            return None
        assert res["status"] == "success", res
        return res["data"]["result"]

    def wait_value(self, q, want, timeout=60):
        deadline = time.time() + timeout
        got = None
        while time.time() < deadline:
            got = self.query(q)
            if got and len(got) == 1 and float(got[0]["value"][1]) == want:
                return
            time.sleep(0.5)
        raise AssertionError(f"{q}: {got!r}, want {want}")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def test_real_prometheus_scrapes_xdpcount_and_run(binary, core_obj, netns,
                                                 no_leaks, tmp_path):
    other = Netns().up()
    px, pr = free_port(), free_port()
    prom = Prometheus(tmp_path, {"xdpcount": px, "run": pr})
    xc = Tracer([binary, "xdpcount", "-q", "-m", "generic", "--prometheus",
                 str(px), netns.host_if])
    rn = Tracer([binary, "run", prog_for(binary, core_obj, "prom_xdp"),
                 "-a", f"xdp:{other.host_if}=prom_xdp", "--xdp-mode",
                 "generic", "-q", "--prometheus", str(pr)])
    try:
        rn.wait_stderr("Tracing")
        wait_serving(px, xc)
        wait_serving(pr, rn)
        ping(netns, 9)
        ping(other, 4, size=200)
        prom.wait_value(f'cbcc_xdp_packets_total{{iface="{netns.host_if}",'
                        f'key="icmp",job="xdpcount"}}', 9)
        prom.wait_value('cbcc_xdp_bytes_total{key="icmp"}',
                        9 * PING_FRAME)
        prom.wait_value('cbcc_pkts_total{job="run",proto="1"}', 4)
        prom.wait_value('cbcc_frame_len_bucket{le="255"}', 4)
        prom.wait_value('cbcc_frame_len_bucket{le="127"}', 0)
        prom.wait_value('cbcc_frame_len_count', 4)
        prom.wait_value('histogram_quantile(1, cbcc_frame_len_bucket)', 255)
        prom.wait_value('sum(up)', 2)
    finally:
        prom.stop()
        stop_ok(xc)
        stop_ok(rn)
        other.down()


# ---- robustness ----

def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_hostile_clients_do_not_stop_tracing(binary, netns, no_leaks):
    port = free_port()
    t = Tracer([binary, "xdpcount", "-q", "-m", "generic", "--prometheus",
                str(port), netns.host_if])
    key = f'cbcc_xdp_packets_total{{iface="{netns.host_if}",key="icmp"}}'
    try:
        wait_serving(port, t)
        # A client that connects and says nothing, and one that sends a
        # 1 MB request line: neither holds the server or the tracer.
        silent = socket.create_connection(("127.0.0.1", port))
        big = socket.create_connection(("127.0.0.1", port))
        try:
            big.sendall(b"GET /" + b"a" * (1 << 20) + b" HTTP/1.0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass        # closed on us mid-way: as good as an error status
        big.settimeout(10)
        try:
            reply = big.recv(4096)
            assert not reply or reply.split()[1] in (b"414", b"431", b"400")
        except ConnectionResetError:
            pass
        big.close()
        t0 = time.time()
        assert http_get(port, timeout=5)[0] == 200
        assert time.time() - t0 < 2
        base = rss_kb(t.proc.pid)
        # 100 concurrent scrapes, five rounds, while packets are counted.
        errors = []

        def scrape():
            try:
                status, text = http_get(port, timeout=30)
                if status != 200 or "cbcc_xdp" not in text:
                    errors.append(status)
            except Exception as e:      # noqa: BLE001 - reported below
                errors.append(repr(e))

        flood = subprocess.Popen(
            netns.exec(f"ping -f -c 3000 -q {netns.host_ip}"), shell=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(5):
            threads = [threading.Thread(target=scrape) for _ in range(100)]
            for th in threads:
                th.start()
            for th in threads:
                th.join(timeout=60)
        assert flood.wait(timeout=120) == 0
        assert not errors, errors[:5]
        # The tracer kept up: every flood packet counted.
        scrape_until(port, key, 3000)
        # Bounded memory: snapshots and connections are freed.
        assert rss_kb(t.proc.pid) - base < 20 * 1024
        silent.close()
    finally:
        stop_ok(t)


# ---- cbcc export ----

def export_config(path, port, net_prog, calls_prog, bad_prog, iface,
                  changed=False):
    path.write_text(f"""\
listen: 127.0.0.1:{port}
programs:
  - name: net
    file: {net_prog}
    attach: ["xdp:{iface}=prom_xdp"]
    xdp_mode: generic
    metrics:
      - map: pkts
        name: export_packets_total
        help: "IPv4 packets by \\"protocol\\"."
        labels:
          - name: protocol
            field: proto
            decoder: static_map
            static_map: {{1: icmp, 6: tcp, 17: udp}}
      - map: frame_len
        type: histogram
  - name: calls
    file: {calls_prog}
{"    xdp_mode: native" + chr(10) if changed else ""}\
    metrics:
      - map: calls
        name: getppid_calls_total
        labels:
          - name: pid
  - name: bad
    file: {bad_prog}
""")


def test_export_two_programs_reload_and_a_bad_one(binary, core_obj, netns,
                                                   no_leaks, tmp_path):
    port = free_port()
    cfg = tmp_path / "export.yaml"
    bad = (core_obj("verifier_reject") if is_core(binary)
           else os.path.join(PROGS, "verifier_reject.c"))
    args = (port, prog_for(binary, core_obj, "prom_xdp"),
            prog_for(binary, core_obj, "prom_calls"), bad, netns.host_if)
    export_config(cfg, *args)
    child = getppid_child()

    def calls(n):
        child.stdin.write(f"{n}\n")
        child.stdin.flush()
        assert child.stdout.readline() == "done\n"

    t = Tracer([binary, "export", str(cfg)])
    pkts = 'export_packets_total{program="net",protocol="icmp"}'
    mine = f'getppid_calls_total{{program="calls",pid="{child.pid}"}}'
    try:
        t.wait_stderr("Serving")
        wait_serving(port, t)
        ping(netns, 3)
        calls(20)
        text = scrape_until(port, pkts, 3)
        text = scrape_until(port, mine, 20)
        s = samples(text)
        assert s['cbcc_export_program_up{program="net"}'] == 1
        assert s['cbcc_export_program_up{program="calls"}'] == 1
        assert s['cbcc_export_program_up{program="bad"}'] == 0
        assert s['cbcc_net_frame_len_count'] == 3
        assert 'IPv4 packets by \\"protocol\\".' not in text  # HELP: raw
        # Reload with `calls` changed: `net` keeps its counts, `calls`
        # starts again from zero.
        export_config(cfg, *args, changed=True)
        os.killpg(t.proc.pid, signal.SIGHUP)
        text = scrape_until(port, "cbcc_export_reloads_total", 1)
        deadline = time.time() + 60
        while mine in samples(text) and time.time() < deadline:
            time.sleep(0.3)
            text = http_get(port)[1]
        s = samples(text)
        assert mine not in s, text
        assert s[pkts] == 3
        assert s['cbcc_export_program_up{program="bad"}'] == 0
        calls(5)
        ping(netns, 2)
        scrape_until(port, mine, 5)
        scrape_until(port, pkts, 5)
        # A configuration that does not parse keeps everything running.
        cfg.write_text("programs: [\n")
        os.killpg(t.proc.pid, signal.SIGHUP)
        text = scrape_until(port, "cbcc_export_reload_failures_total", 1)
        assert samples(text)[pkts] == 5
    finally:
        child.stdin.close()
        child.wait(timeout=10)
        _, err = stop_ok(t)
    assert "program bad: not loaded" in err


def test_export_bad_config_is_a_usage_error(binary, tmp_path, no_leaks):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("programs:\n  - name: x\n    nosuch: 1\n")
    r = run([binary, "export", str(cfg)])
    assert r.returncode == 2, r.stderr
    assert f"{cfg}:3:" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


# ---- cbcc export: decoders and the program label ----

USYM_TARGET = r"""
#include <stdio.h>
#include <stdlib.h>

/* The function the uprobe hits; its address is printed for the test. */
__attribute__((noinline)) void cbcc_export_usym_target(void)
{
	__asm__ volatile("");
}

int main(void)
{
	char line[32];
	int i, n;

	printf("%p\n", (void *)cbcc_export_usym_target);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		n = atoi(line);
		for (i = 0; i < n; i++)
			cbcc_export_usym_target();
		puts("done");
		fflush(stdout);
	}
	return 0;
}
"""


def cgroup2_mount():
    with open("/proc/self/mounts") as f:
        for line in f:
            fields = line.split()
            if fields[2] == "cgroup2":
                return fields[1]
    raise AssertionError("no cgroup2 mount: the cgroup decoder needs one")


def decoders_config(path, port, calls_prog, cgroup_prog, usym_prog, target):
    path.write_text(f"""\
listen: 127.0.0.1:{port}
programs:
  - name: a
    file: {calls_prog}
    metrics:
      - map: calls
        name: getppid_calls_total
        labels: [{{name: pid}}]
  - name: b
    file: {calls_prog}
    metrics:
      - map: calls
        name: getppid_calls_total
        labels: [{{name: pid}}]
  - name: cg
    file: {cgroup_prog}
    metrics:
      - map: calls
        name: cgroup_getppid_calls_total
        labels:
          - name: cgroup
            decoder: cgroup
            regexps: ["^/cbcc-export-"]
  - name: us
    file: {usym_prog}
    attach: ["uprobe:{target}:cbcc_export_usym_target=on_call"]
    metrics:
      - map: hits
        name: usym_hits_total
        labels:
          - name: pid
            field: pid
          - name: func
            field: ip
            decoder: usym
            pid_field: pid
          - name: ip
            field: ip
""")


def test_export_decoders_and_program_label(binary, core_obj, tmp_path,
                                           no_leaks):
    """Known truth: a cgroup the test makes, a function of a process it
    starts (a PIE: its address differs per run), two programs sharing a
    metric name."""
    port = free_port()
    target = tmp_path / "usym_target"
    src = tmp_path / "usym_target.c"
    src.write_text(USYM_TARGET)
    subprocess.run(["gcc", "-O1", "-g", "-o", str(target), str(src)],
                   check=True)
    cfg = tmp_path / "export.yaml"
    decoders_config(cfg, port, prog_for(binary, core_obj, "prom_calls"),
                    prog_for(binary, core_obj, "prom_cgroup"),
                    prog_for(binary, core_obj, "prom_usym"), target)
    cgdir = os.path.join(cgroup2_mount(), f"cbcc-export-{os.getpid()}")
    os.mkdir(cgdir)
    child = getppid_child()
    prober = subprocess.Popen([str(target)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    t = None
    try:
        # The cgroup (and its inode) is made before the exporter starts,
        # but the first id it sees is looked up then: a cold cache.
        with open(os.path.join(cgdir, "cgroup.procs"), "w") as f:
            f.write(str(child.pid))
        func_addr = int(prober.stdout.readline(), 16)
        t = Tracer([binary, "export", str(cfg)])
        t.wait_stderr("Serving")
        s = samples(wait_serving(port, t))
        for prog in ("a", "b", "cg", "us"):
            assert s[f'cbcc_export_program_up{{program="{prog}"}}'] == 1, \
                t.stop()[2]
        child.stdin.write("20\n")
        child.stdin.flush()
        assert child.stdout.readline() == "done\n"
        prober.stdin.write("7\n")
        prober.stdin.flush()
        assert prober.stdout.readline() == "done\n"
        os.getppid()    # this process's cgroup: filtered out by regexps
        rel = "/" + os.path.basename(cgdir)
        for prog in ("a", "b"):
            scrape_until(port, f'getppid_calls_total{{program="{prog}",'
                               f'pid="{child.pid}"}}', 20)
        text = scrape_until(port, 'cgroup_getppid_calls_total{program="cg",'
                                  f'cgroup="{rel}"}}', 20)
        s = samples(text)
        # Every other cgroup's sample was dropped, and counted.
        cg = [k for k in s if k.startswith("cgroup_getppid_calls_total{")]
        assert cg == ['cgroup_getppid_calls_total{program="cg",'
                      f'cgroup="{rel}"}}'], cg
        assert s['cbcc_exporter_samples_filtered{metric='
                 '"cgroup_getppid_calls_total"}'] >= 1
        # One family, HELP and TYPE once, though two programs fill it.
        assert text.count("# TYPE getppid_calls_total counter") == 1
        deadline = time.time() + 30
        hits = []
        while time.time() < deadline:
            hits = [(k, v) for k, v in samples(http_get(port)[1]).items()
                    if k.startswith("usym_hits_total{") and
                    f'pid="{prober.pid}"' in k]
            if hits and hits[0][1] == 7:
                break
            time.sleep(0.3)
        assert len(hits) == 1 and hits[0][1] == 7, hits
        ip = int(hits[0][0].split('ip="')[1].split('"')[0])
        want = "cbcc_export_usym_target"
        if ip != func_addr:
            want += f"+0x{ip - func_addr:x}"
        assert f'func="{want}"' in hits[0][0], (hits, hex(func_addr))
        promtool_ok(http_get(port)[1])
    finally:
        for p in (child, prober):
            p.stdin.close()
            p.wait(timeout=10)
        if t:
            stop_ok(t)
        os.rmdir(cgdir)


# Label errors, each on line 8 of the file the test writes.
BAD_EXPORT_CONFIGS = {
    "usym without a pid": (
        "          - {name: f, field: ip, decoder: usym}\n", 8,
        "decoder usym needs pid_field"),
    "costly regexp": (
        "          - {name: f, regexps: ['(a)\\1']}\n", 8, "too costly"),
    "bad regexp": (
        "          - {name: f, regexps: ['(']}\n", 8, "regexps: '('"),
    "program label on a named metric": (
        "          - {name: program}\n", 8, "label 'program'"),
    "unknown decoder": (
        "          - {name: f, decoder: dname}\n", 8, "decoder: ksym, inet"),
}


@pytest.mark.parametrize("case", sorted(BAD_EXPORT_CONFIGS))
def test_export_bad_labels_are_usage_errors(binary, tmp_path, no_leaks,
                                            case):
    label, line, why = BAD_EXPORT_CONFIGS[case]
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("programs:\n  - name: x\n    file: x.c\n"
                   "    metrics:\n      - map: m\n        name: m_total\n"
                   "        labels:\n" + label)
    r = run([binary, "export", str(cfg)])
    assert r.returncode == 2, r.stderr
    assert f"{cfg}:{line}: " in r.stderr and why in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


NAMED_M = "    metrics:\n      - {map: m, name: m_total}\n"


@pytest.mark.parametrize("rest,why", [
    ("  - name: x\n    file: x.c\n" + NAMED_M, "used twice"),
    ("      - {map: n, name: m_total}\n", "twice in program"),
    ("  - name: y\n    file: y.c\n    metrics:\n"
     "      - {map: n, name: m_total, type: gauge}\n", "another type"),
])
def test_export_metric_name_clashes_are_usage_errors(binary, tmp_path,
                                                     no_leaks, rest, why):
    """One name in two programs is fine (the program label parts them),
    not twice in one, nor with two types."""
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("programs:\n  - name: x\n    file: x.c\n" + NAMED_M +
                   rest)
    r = run([binary, "export", str(cfg)])
    assert r.returncode == 2, r.stderr
    assert why in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
