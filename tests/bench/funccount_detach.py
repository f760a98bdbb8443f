#!/usr/bin/python3
"""funccount_detach.py - how long funccount takes to attach and detach
many tracepoints, beside bcc's funccount-bpfcc (about a minute to detach
't:syscalls:*').

For each binary built (cbcc, cbcc-core) and bcc's funccount, and each
pattern, runs `funccount -d 1 PATTERN` and prints: start to the
"Tracing N functions" header (compile, load, attach), and
"Detaching..." to the exit (detach; target <= 3 s for the 720
tracepoints of 't:syscalls:*'), then bcc's detach time over ours.
cbcc counts syscall tracepoints from two raw_syscalls programs (README,
funccount); CBCC_FUNCCOUNT_SYSCALLS=each measures one attach per
tracepoint instead.  Figures only: fails only when a run fails.

Environment: CBCC_BIN (default build/cbcc); CBCC_CORE_BIN (default
cbcc-core beside it); PATTERNS (space separated); BCC_FUNCCOUNT (default
/usr/sbin/funccount-bpfcc; empty: not measured).
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
bcc = os.environ.get("BCC_FUNCCOUNT", "/usr/sbin/funccount-bpfcc")
patterns = os.environ.get(
    "PATTERNS", "t:syscalls:sys_enter_* t:syscalls:*").split()


def bcc_env():
    """bcc's python holds its lines in a pipe's buffer without
    PYTHONUNBUFFERED; and it finds no headers of a kernel Debian does not
    ship: it gets the tree cbcc built (as run_vs_bcc.py does)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    cache = "/var/cache/cbcc/headers"
    hdrs = sorted(os.listdir(cache)) if os.path.isdir(cache) else []
    if hdrs and "BCC_KERNEL_SOURCE" not in env:
        env["BCC_KERNEL_SOURCE"] = os.path.join(cache, hdrs[-1])
    return env


def measure(cmd, pattern):
    """(attach s, detach s), or None after a line saying why."""
    start = time.monotonic()
    p = subprocess.Popen(cmd + ["-d", "1", pattern],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=bcc_env())
    attached = detaching = table = None
    n = "?"
    for line in p.stdout:
        if line.startswith("Tracing "):
            attached = time.monotonic()
            n = line.split()[1]
        elif line.startswith("FUNC "):
            table = time.monotonic()
        elif line.startswith("Detaching..."):
            detaching = time.monotonic()
    # bcc 0.26 stops printing tracepoint rows at an exception ("'str'
    # object has no attribute 'decode'") and exits without the line:
    # its detach is timed from the table's header.
    detaching = detaching or table
    err = p.stderr.read()
    rc = p.wait()
    end = time.monotonic()
    if rc or attached is None or detaching is None:
        print(f"  {pattern}: failed (exit {rc}): {err.strip()}")
        return None
    print(f"  {pattern:26s} {n:>4s} probes  attach {attached - start:6.2f} s"
          f"  detach {end - detaching:6.2f} s")
    return attached - start, end - detaching


runs = []
if bcc and os.access(bcc, os.X_OK):
    runs.append(("bcc " + os.path.basename(bcc), [bcc]))
for b in (cbcc, core):
    if os.access(b, os.X_OK):
        runs.append((os.path.basename(b), [b, "funccount"]))
    else:
        print(f"{os.path.basename(b)}: not built, skipped")

ok = True
detach = {}
for name, cmd in runs:
    print(f"{name} -d 1:")
    for pat in patterns:
        r = measure(cmd, pat)
        ok = ok and r is not None
        if r:
            detach[(name, pat)] = r[1]
bname = runs[0][0] if runs and runs[0][0].startswith("bcc ") else None
for name, _ in runs:
    for pat in patterns:
        if (not bname or name == bname or (name, pat) not in detach or
                (bname, pat) not in detach):
            continue
        print(f"  {pat}: {name} detaches {detach[(bname, pat)] / detach[(name, pat)]:.0f}x "
              f"faster than bcc (target: <= 3 s)")
sys.exit(0 if ok else 1)
