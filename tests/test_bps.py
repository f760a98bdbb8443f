"""`cbcc bps`: loaded BPF programs, who holds them, and their maps."""
import os
import signal

from conftest import Tracer, ndjson, run

PROG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs",
                    "tp_count.c")


def test_bps_lists_a_running_program_and_its_maps(cbcc, no_leaks):
    t = Tracer([cbcc, "run", "--no-maps", PROG])
    try:
        t.wait_stderr("Tracing")
        r = run([cbcc, "bps", "--json"])
        assert r.returncode == 0, r.stderr
        ours = [p for p in ndjson(r.stdout)
                if any(h["pid"] == t.proc.pid for h in p["pids"])]
        assert len(ours) == 1, r.stdout
        prog = ours[0]
        assert prog["prog_type"] == "tracepoint" and prog["nr_maps"] == 2
        text = run([cbcc, "bps"]).stdout.splitlines()
        assert text[0].split() == ["BID", "TYPE", "UID", "#MAPS", "LoadTime",
                                   "NAME", "PROCESSES"]
        assert any(l.split()[0] == str(prog["id"]) and
                   f"cbcc({t.proc.pid})" in l for l in text[1:])
        one = ndjson(run([cbcc, "bps", "--json", str(prog["id"])]).stdout)
        maps = sorted(m["name"] for m in one if m["type"] == "map")
        assert maps == ["counts", "dist"]
    finally:
        rc, _, err = t.stop(signal.SIGINT)
    assert rc == 0, err


def test_bps_unknown_id(cbcc):
    r = run([cbcc, "bps", "4294967295"])
    assert r.returncode == 1
    assert r.stderr.strip() == ("cbcc bps: error: BPF program 4294967295: "
                                "no such program")


def test_bps_bad_id_is_usage_error(cbcc):
    r = run([cbcc, "bps", "12x"])
    assert r.returncode == 2
