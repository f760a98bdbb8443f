#!/usr/bin/python3
"""funccount_detach.py - how long funccount takes to attach and detach
many tracepoints (bcc's funccount: about a minute for 't:syscalls:*').

For each binary built (cbcc, cbcc-core) and each pattern, runs
`funccount -d 1 PATTERN` and prints three figures: start to the
"Tracing N functions" header (compile, load, attach), and "Detaching..."
to the exit (detach; target <= 3 s for 720 tracepoints).  Figures only:
fails only when a run fails.

Environment: CBCC_BIN (default build/cbcc); CBCC_CORE_BIN (default
cbcc-core beside it); PATTERNS (space separated).
"""
import os
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
cbcc = os.environ.get("CBCC_BIN",
                      os.path.join(here, "..", "..", "build", "cbcc"))
core = os.environ.get("CBCC_CORE_BIN",
                      os.path.join(os.path.dirname(cbcc), "cbcc-core"))
patterns = os.environ.get(
    "PATTERNS", "t:syscalls:sys_enter_* t:syscalls:*").split()


def measure(binary, pattern):
    start = time.monotonic()
    p = subprocess.Popen([binary, "funccount", "-d", "1", pattern],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    attached = detaching = None
    n = "?"
    for line in p.stdout:
        if line.startswith("Tracing "):
            attached = time.monotonic()
            n = line.split()[1]
        elif line.startswith("Detaching..."):
            detaching = time.monotonic()
    err = p.stderr.read()
    rc = p.wait()
    end = time.monotonic()
    if rc or attached is None or detaching is None:
        print(f"  {pattern}: failed (exit {rc}): {err.strip()}")
        return False
    print(f"  {pattern:26s} {n:>4s} probes  attach {attached - start:6.2f} s"
          f"  detach {end - detaching:6.2f} s")
    return True


ok = True
for b in (cbcc, core):
    if not os.access(b, os.X_OK):
        print(f"{os.path.basename(b)}: not built, skipped")
        continue
    print(f"{os.path.basename(b)} funccount -d 1:")
    for pat in patterns:
        ok = measure(b, pat) and ok
sys.exit(0 if ok else 1)
