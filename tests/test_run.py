"""`cbcc run` on the host lane: every attach kind this kernel has, events,
trace_printk, JSON, and every bad input of the foundation issue."""
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import Tracer, ndjson, run

PROGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs")
PY = "/usr/bin/python3"
# The workload names itself (prctl PR_SET_NAME), so counts by comm are its
# own, not every python3's on the machine.
WL = "cbcc-wl"
GETPPID3 = (f"{PY} -c 'import ctypes, os; "
            f"ctypes.CDLL(None).prctl(15, b\"{WL}\", 0, 0, 0); "
            f"[os.getppid() for i in range(3)]'")


def prog(name):
    return os.path.join(PROGS, name)


def records(result, kind, **match):
    return [r for r in ndjson(result.stdout) if r["type"] == kind
            and all(r.get(k) == v for k, v in match.items())]


def only_error_line(stderr):
    """Our own lines on stderr, minus the expected headers warning."""
    return [l for l in stderr.splitlines()
            if l.startswith("cbcc run:") and "warning: kernel headers" not in l]


@pytest.mark.san
def test_tracepoint_probe_counts_and_trace(cbcc, no_leaks):
    r = run([cbcc, "run", "--json", prog("tp_count.c"), "-c", GETPPID3])
    assert r.returncode == 0, r.stderr
    traces = records(r, "trace")
    python = [t for t in traces if t["comm"] == WL]
    assert len(python) >= 3
    assert all(re.fullmatch(r"getppid from \d+", t["msg"]) for t in python)
    pid = python[0]["pid"]
    counts = records(r, "map", name="counts")[0]["entries"]
    assert {"key": pid, "value": 3} in counts
    dist = records(r, "map", name="dist")[0]["entries"]
    assert sum(e["value"] for e in dist) >= 4


def test_text_output_has_log2_histogram(cbcc, no_leaks):
    r = run([cbcc, "run", prog("tp_count.c"), "-c", GETPPID3])
    assert r.returncode == 0, r.stderr
    assert "     value               : count     distribution" in r.stdout
    assert re.search(r"^counts:$", r.stdout, re.M)
    assert re.search(r"getppid from \d+", r.stdout)


def test_raw_tracepoint_probe(cbcc, no_leaks):
    r = run([cbcc, "run", "--json", prog("raw_tp.c"), "-c", GETPPID3])
    assert r.returncode == 0, r.stderr
    entries = records(r, "map", name="nr_calls")[0]["entries"]
    getppid_nr = 110  # x86_64
    assert any(e["key"] == getppid_nr and e["value"] >= 3 for e in entries)


def test_perf_output_decoded_by_field(cbcc, no_leaks):
    r = run([cbcc, "run", "--json", prog("perf_events.c"), "-c", GETPPID3])
    assert r.returncode == 0, r.stderr
    evs = [e for e in records(r, "event", map="events")
           if e["data"]["comm"] == WL]
    assert len(evs) == 3
    assert all(isinstance(e["cpu"], int) and e["cpu"] >= 0 for e in evs)
    seqs = [e["data"]["seq"] for e in evs]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert not records(r, "lost")


def test_ringbuf_output_decoded_by_field(cbcc, no_leaks):
    r = run([cbcc, "run", "--json", prog("ringbuf_events.c"), "-c", GETPPID3])
    assert r.returncode == 0, r.stderr
    evs = [e for e in records(r, "event", map="events")
           if e["data"]["comm"] == WL]
    assert len(evs) == 3
    assert len({e["data"]["pid"] for e in evs}) == 1


def test_uprobe_and_uretprobe(cbcc, no_leaks):
    r = run([cbcc, "run", "--json", prog("uprobe.c"),
             "-a", "uprobe:c:getppid=on_entry",
             "-a", "uretprobe:c:getppid=on_return", "-c", GETPPID3])
    assert r.returncode == 0, r.stderr
    calls = {e["key"]: e["value"]
             for e in records(r, "map", name="calls")[0]["entries"]}
    assert calls[0] >= 3 and calls[1] >= 3


def test_uprobe_unknown_symbol(cbcc, no_leaks):
    r = run([cbcc, "run", prog("uprobe.c"),
             "-a", "uprobe:c:no_such_symbol_xyz=on_entry", "-d", "1"])
    assert r.returncode == 1
    assert only_error_line(r.stderr) == [
        "cbcc run: error: could not determine address of symbol "
        "no_such_symbol_xyz in c"]


def test_xdp_counts_exactly_and_detaches(cbcc, netns, no_leaks):
    r = run([cbcc, "run", "--json", prog("xdp_count.c"),
             "-a", f"xdp:{netns.host_if}=xdp_count", "--xdp-mode", "generic",
             "-c", netns.exec(f"ping -c 4 -i 0.2 -W 1 {netns.host_ip}")])
    assert r.returncode == 0, r.stderr
    entries = records(r, "map", name="proto_count")[0]["entries"]
    icmp = [e for e in entries if e["key"] == 1]
    assert icmp and icmp[0]["value"] == 4
    assert len(icmp[0]["percpu"]) == os.sysconf("SC_NPROCESSORS_CONF") or \
        len(icmp[0]["percpu"]) >= 1
    link = run(["ip", "link", "show", netns.host_if]).stdout
    assert "xdp" not in link


def test_xdp_drop_action(cbcc, netns, no_leaks):
    r = run([cbcc, "run", "--json", prog("xdp_count.c"), "-D",
             "ACTION=XDP_DROP", "-a", f"xdp:{netns.host_if}=xdp_count",
             "-c", netns.exec(f"ping -c 2 -i 0.2 -W 1 {netns.host_ip}")])
    # ping fails: every echo request was dropped
    assert r.returncode == 1, r.stderr


def test_xdp_already_attached_refused_then_forced(cbcc, netns, no_leaks):
    first = Tracer([cbcc, "run", prog("xdp_count.c"), "-a",
                    f"xdp:{netns.host_if}=xdp_count", "--no-maps"])
    try:
        deadline = time.time() + 60
        while "xdp" not in run(["ip", "link", "show", netns.host_if]).stdout:
            assert time.time() < deadline, "first run never attached"
            assert first.proc.poll() is None, first.proc.stderr.read()
            time.sleep(0.2)
        r = run([cbcc, "run", prog("xdp_count.c"), "-a",
                 f"xdp:{netns.host_if}=xdp_count", "-d", "1"])
        assert r.returncode != 0
        assert re.search(r"already|attached", " ".join(
            only_error_line(r.stderr))), r.stderr
    finally:
        rc, _, err = first.stop(signal.SIGTERM)
    assert rc == 0, err
    assert "xdp" not in run(["ip", "link", "show", netns.host_if]).stdout


def test_xdp_unknown_interface(cbcc, no_leaks):
    r = run([cbcc, "run", prog("xdp_count.c"), "-a", "xdp:nosuch0=xdp_count",
             "-d", "1"])
    assert r.returncode != 0
    lines = only_error_line(r.stderr)
    assert len(lines) == 1 and "nosuch0" in lines[0], r.stderr


def test_invalid_c_shows_clang_diagnostics(cbcc, no_leaks):
    r = run([cbcc, "run", prog("invalid.c")])
    assert r.returncode == 1
    assert re.search(r"invalid\.c:4:\d+: error: use of undeclared identifier "
                     r"'undeclared_variable'", r.stderr), r.stderr
    assert only_error_line(r.stderr) == [
        f"cbcc run: error: failed to compile {prog('invalid.c')} "
        "(diagnostics above)"]


def test_unknown_tracepoint_is_named(cbcc, no_leaks):
    r = run([cbcc, "run", prog("bad_tracepoint.c")])
    assert r.returncode == 1
    assert only_error_line(r.stderr) == [
        "cbcc run: error: tracepoint syscalls:sys_enter_no_such_call does not "
        "exist on this kernel (see /sys/kernel/tracing/available_events)"]


def test_unknown_tracepoint_in_attach_spec(cbcc, no_leaks):
    r = run([cbcc, "run", prog("uprobe.c"),
             "-a", "tracepoint:sched:no_such_event=on_entry"])
    assert r.returncode == 1
    assert "sched:no_such_event does not exist" in r.stderr


def test_bad_attach_spec_is_usage_error(cbcc, no_leaks):
    r = run([cbcc, "run", prog("uprobe.c"), "-a", "kprobe-vfs_read"])
    assert r.returncode != 0
    assert "is not KIND:TARGET=PROG" in r.stderr


@pytest.mark.skipif(os.path.exists("/sys/bus/event_source/devices/kprobe"),
                    reason="this kernel has kprobes")
def test_kernel_without_kprobes(cbcc, no_leaks):
    r = run([cbcc, "run", prog("kprobe.c")])
    assert r.returncode == 3
    assert only_error_line(r.stderr) == [
        "cbcc run: error: this kernel has no kprobes (CONFIG_KPROBES is off): "
        "use a tracepoint or raw tracepoint instead "
        "(e.g. -a tracepoint:syscalls:sys_enter_NAME=PROG)"]


def test_kfunc_refused_says_so(cbcc, no_leaks):
    r = run([cbcc, "run", prog("kfunc.c"), "-d", "1"])
    if r.returncode == 0:
        pytest.skip("this kernel allows fentry")
    assert r.returncode == 3
    assert "does not allow kfunc probes" in r.stderr


def test_verifier_rejection_names_program(cbcc, no_leaks):
    r = run([cbcc, "run", prog("verifier_reject.c"), "-d", "1"])
    assert r.returncode == 1
    assert "invalid mem access" in r.stderr
    assert only_error_line(r.stderr) == [
        "cbcc run: error: the kernel rejected program "
        "'tracepoint__syscalls__sys_enter_getppid': Permission denied "
        "(verifier log above)"]


def test_not_root(cbcc, tmp_path, no_leaks):
    r = run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             "--inh-caps=-all", "--bounding-set=-all", cbcc, "run",
             prog("tp_count.c")])
    assert r.returncode == 1
    assert r.stderr.strip() == ("cbcc run: error: loading BPF programs needs "
                                "CAP_BPF (run as root, or grant it with "
                                "setcap/capsh)")


def test_missing_headers(cbcc, tmp_path, no_leaks):
    r = run([cbcc, "run", "--kernel-source", str(tmp_path / "none"),
             prog("tp_count.c")])
    assert r.returncode == 1
    assert only_error_line(r.stderr) == [
        f"cbcc run: error: kernel headers directory {tmp_path / 'none'} "
        "does not exist"]


def test_headers_mismatch_warned_once(cbcc, no_leaks):
    # Only programs that read a kernel struct are warned about (see
    # test_engine_bcc.py for the ones that are not).
    r = run([cbcc, "run", prog("task_parent.c"), "-d", "1", "--no-maps"])
    release = os.uname().release
    warn = [l for l in r.stderr.splitlines() if "kernel headers" in l]
    if "6.1.0" in release:
        assert not warn
    else:
        assert len(warn) == 1 and release in warn[0], r.stderr


def test_duration_ends_run(cbcc, no_leaks):
    t = time.time()
    r = run([cbcc, "run", prog("raw_tp.c"), "-d", "2", "--no-maps"])
    assert r.returncode == 0, r.stderr
    assert 2 <= time.time() - t < 30


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM,
                                 signal.SIGHUP])
def test_signal_prints_maps_and_exits_zero(cbcc, sig, no_leaks):
    t = Tracer([cbcc, "run", "--json", prog("tp_count.c")])
    t.wait_stderr("Tracing")
    for _ in range(3):
        os.getppid()
    rc, out, err = t.stop(sig)
    assert rc == 0, err
    counts = [r for r in ndjson(out) if r["type"] == "map"
              and r["name"] == "counts"]
    assert {"key": os.getpid(), "value": 3} in counts[0]["entries"]


def test_command_exit_status_is_returned(cbcc, no_leaks):
    r = run([cbcc, "run", prog("raw_tp.c"), "--no-maps", "-c", "exit 7"])
    assert r.returncode == 7


def test_load_only_prints_insn_counts(cbcc, no_leaks):
    r = run([cbcc, "run", "--json", "--load-only", prog("perf_events.c")])
    assert r.returncode == 0, r.stderr
    progs = records(r, "program")
    assert [p["name"] for p in progs] == [
        "tracepoint__syscalls__sys_enter_getppid"]
    assert progs[0]["insns"] > 5


def test_compile_only_from_stdin(cbcc, no_leaks):
    with open(prog("raw_tp.c")) as f:
        r = subprocess.run([cbcc, "run", "--compile-only", "-"], stdin=f,
                           capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_json_escapes_control_characters(cbcc, tmp_path, no_leaks):
    src = tmp_path / "ctl.c"
    # The kernel refuses control characters in the format itself, not in
    # a %s argument.
    src.write_text('TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {\n'
                   '  char s[] = {\'b\', 1, \'c\', 0};\n'
                   '  bpf_trace_printk("a\\t%s\\n", s); return 0; }\n')
    r = run([cbcc, "run", "--json", str(src), "-c", GETPPID3])
    assert r.returncode == 0, r.stderr
    msgs = [t["msg"] for t in records(r, "trace")]
    assert "a\tb\x01c" in msgs, r.stdout
    for line in r.stdout.splitlines():
        assert not re.search(r"[\x00-\x1f]", line)


def test_bucketed_histogram_sections_as_bcc(cbcc, no_leaks):
    r = run([cbcc, "run", prog("bucket_hist.c"), "-c", GETPPID3])
    assert r.returncode == 0, r.stderr
    assert f"\nBucket ptr = b'{WL}'\n     value               : count" \
        in r.stdout, r.stdout


def test_stops_when_reader_goes_away(cbcc, no_leaks):
    """`cbcc run X.c | head`: it used to run until Ctrl-C once head had
    gone (SIGPIPE is ignored and nothing noticed the closed pipe)."""
    t = Tracer([cbcc, "run", prog("tp_count.c")])
    t.wait_stderr("Tracing")
    t.proc.stdout.close()       # the reader goes away
    try:
        rc = t.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(t.proc.pid, signal.SIGKILL)
        t.proc.wait()
        raise AssertionError("still running 10 s after its reader left")
    assert rc == 0, t.proc.stderr.read()
