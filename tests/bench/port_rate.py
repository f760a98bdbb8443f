"""The rate of `cbcc port` over real BCC programs (issue 17), measured.

The corpus is the parity test's (every program an installed `*-bpfcc`
tool prints with --ebpf that bcc's own front end compiles here) and the
../shared/compat cases.  Each program goes through three steps, and the
first that fails is its outcome:

- ported: `cbcc port` writes a .bpf.c (else its one-line refusal);
- compiles: clang -target bpf against the build's vmlinux.h, with
  -Werror=implicit-function-declaration (a helper the port does not
  define is an error here, not a verifier failure later);
- verified: `cbcc-core run --load-only` loads every program (programs
  that need an -a spec, uprobes and XDP, are not loaded by it).  A load
  the kernel refuses for want of a feature (exit 3) counts as not
  verified.

Prints one row per program with the cause of its failure, and the
totals.  Nothing is asserted here: tests/test_port.py holds the floor.
"""
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(HERE, ".."))
from test_compat import load_cases, program_text  # noqa: E402
from test_parity import TOOLS, bcc_compiles, ebpf_text  # noqa: E402

OUT = os.environ.get("OUT", os.path.join(REPO, "build"))
CBCC = os.environ.get("CBCC_BIN", os.path.join(OUT, "cbcc"))
CORE = os.environ.get("CBCC_CORE_BIN", os.path.join(OUT, "cbcc-core"))
WORKERS = max(2, os.cpu_count() or 2)
STEPS = ("ported", "compiles", "verified")


def corpus(tmp):
    """[(name, source path, -D flags)]: parity programs, then compat."""
    # cbcc builds the merged header tree bcc is pointed at.
    subprocess.run([CBCC, "run", "--compile-only", "-"], input="int x;\n",
                   text=True, capture_output=True)
    with ThreadPoolExecutor(WORKERS) as ex:
        ok = [t for t, c in zip(TOOLS, ex.map(bcc_compiles, TOOLS)) if c]
    progs = []
    for tool in ok:
        name = os.path.basename(tool)[:-len("-bpfcc")]
        src = os.path.join(tmp, name + ".c")
        with open(src, "w") as f:
            f.write(ebpf_text(tool))
        progs.append((name, src, []))
    for case in load_cases():
        src = os.path.join(tmp, "compat-" + case["name"] + ".c")
        with open(src, "w") as f:
            f.write(program_text(case))
        progs.append(("compat:" + case["name"], src,
                      [d for d in case.get("cflags", [])
                       if d.startswith("-D")]))
    return progs


def first_error(text):
    """The line that says why: clang's first error, libbpf's refusal."""
    lines = text.strip().splitlines()
    for pat in (r"cannot port", r"error:", r"rejected", r"failed",
                r"Error", r"not"):
        for line in lines:
            if re.search(pat, line):
                return line.strip()
    return lines[-1].strip() if lines else "(no message)"


def compile_cmd(src, obj, defs):
    inc = os.path.dirname(CBCC)
    return (["clang", "-g", "-O2", "-target", "bpf",
             "-Werror=implicit-function-declaration",
             "-I", inc, "-I", os.path.join(REPO, "bpf_src")] + defs +
            ["-c", src, "-o", obj])


def one(prog):
    """(name, steps passed 0..3, cause of the failure or '')."""
    name, src, defs = prog
    out = src[:-2] + ".bpf.c"
    obj = src[:-2] + ".bpf.o"
    r = subprocess.run([CBCC, "port", src, "-o", out] + defs,
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        msg = first_error(r.stderr)
        return name, 0, msg.split(": ", 1)[-1]
    r = subprocess.run(compile_cmd(out, obj, defs), capture_output=True,
                       text=True, timeout=300)
    if r.returncode != 0:
        return name, 1, "compile: " + first_error(r.stderr).split(
            "error: ", 1)[-1]
    r = subprocess.run([CORE, "run", "--load-only", obj],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        return name, 2, f"load (exit {r.returncode}): " + \
            first_error(r.stderr)
    return name, 3, ""


def measure():
    """Every program's row, in corpus order."""
    with tempfile.TemporaryDirectory(prefix="cbcc-port-rate-") as tmp:
        progs = corpus(tmp)
        with ThreadPoolExecutor(WORKERS) as ex:
            return list(ex.map(one, progs))


def totals(rows):
    return [sum(1 for r in rows if r[1] > i) for i in range(len(STEPS))]


def main():
    rows = measure()
    if not rows:
        sys.exit("no program: is bpfcc-tools installed?")
    print(f"cbcc port over {len(rows)} BCC programs")
    print(f"{'program':28} {'outcome':9} cause")
    for name, n, cause in rows:
        what = STEPS[n - 1] if n else "-"
        print(f"{name:28} {what:9} {cause[:110]}")
    for label, sel in (("parity", [r for r in rows if ":" not in r[0]]),
                       ("compat", [r for r in rows if ":" in r[0]]),
                       ("all", rows)):
        t = totals(sel)
        print(f"{label}: " + ", ".join(
            f"{s} {v}/{len(sel)}" for s, v in zip(STEPS, t)) +
            f" ({100 * t[2] / max(1, len(sel)):.0f}% verified)")


if __name__ == "__main__":
    main()
