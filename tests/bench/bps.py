#!/usr/bin/python3
"""bps.py - how long `cbcc bps` takes to list a busy machine (target:
well under a second).

Builds tests/helpers/bps_load.c (libbpf), loads NPROGS tiny programs
sharing a map and forks NHOLDERS processes holding one each, then times
each view of `bps` (text and --json), best of RUNS, for each binary
built, beside `bpftool prog show` for scale.  Figures only: fails only
when a run fails.

Environment: CBCC_BIN (default build/cbcc); CBCC_CORE_BIN (default
cbcc-core beside it); NPROGS (1000), NHOLDERS (500), RUNS (3).
"""
import json
import os
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
cbcc = os.environ.get("CBCC_BIN",
                      os.path.join(here, "..", "..", "build", "cbcc"))
core = os.environ.get("CBCC_CORE_BIN",
                      os.path.join(os.path.dirname(cbcc), "cbcc-core"))
nprogs = int(os.environ.get("NPROGS", "1000"))
nholders = int(os.environ.get("NHOLDERS", "500"))
runs = int(os.environ.get("RUNS", "3"))


def best(args):
    t = None
    for _ in range(runs):
        start = time.monotonic()
        r = subprocess.run(args, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        took = time.monotonic() - start
        if r.returncode:
            print(f"  {' '.join(args)}: failed (exit {r.returncode}): "
                  f"{r.stderr.strip()}")
            return None, ""
        t = took if t is None else min(t, took)
    return t, r.stdout


def main():
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, "bps_load")
        src = os.path.join(here, "..", "helpers", "bps_load.c")
        r = subprocess.run(["gcc", "-O2", "-o", exe, src, "-lbpf"],
                           capture_output=True, text=True)
        if r.returncode:
            print("  cannot build bps_load:", r.stderr.strip())
            return 1
        load = subprocess.Popen([exe, str(nprogs), str(nholders)],
                                stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        try:
            ids = json.loads(load.stdout.readline())
            nproc = len([p for p in os.listdir("/proc") if p.isdigit()])
            print(f"  {nprogs} programs of ours, {nholders} holders, "
                  f"{nproc} processes in all; best of {runs}")
            t, _ = best(["bpftool", "prog", "show"])
            if t is not None:
                print(f"  {'bpftool prog show':34s} {t * 1000:8.1f} ms")
            for b in (cbcc, core):
                if not os.access(b, os.X_OK):
                    continue
                name = os.path.basename(b)
                for view in ([], ["--json"], ["maps"], ["links"],
                             ["tree"], [str(ids["progs"][0])]):
                    t, out = best([b, "bps", *view])
                    if t is None:
                        ok = False
                        continue
                    label = " ".join([name, "bps", *view])
                    print(f"  {label:34s} {t * 1000:8.1f} ms"
                          f"  ({len(out.splitlines())} lines)")
        finally:
            load.stdin.close()
            load.wait()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
