"""Miss and hit start-up of `cbcc run --load-only` over the parity corpus
(every program an installed `*-bpfcc` tool prints with --ebpf that cbcc
loads here): CPU (user + system, cbcc and the cbcc-compile it waited for)
and peak RSS per program, cold (`--no-cache`) then warm (a cache hit),
with the medians and totals.  Issue 10 asks for these figures; nothing
is asserted on them."""
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

CBCC = os.environ.get("CBCC_BIN", "build/cbcc")
# The corpus is the parity test's: its ebpf_text() says what a tool prints.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
from test_parity import ebpf_text  # noqa: E402


def measure(argv, env):
    """(exit status, CPU s, peak RSS MiB) of one run."""
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=env)
    _, status, ru = os.wait4(p.pid, 0)
    return (os.waitstatus_to_exitcode(status), ru.ru_utime + ru.ru_stime,
            ru.ru_maxrss / 1024)


def main():
    tmp = tempfile.mkdtemp(prefix="cbcc-bench-parity-")
    env = dict(os.environ, CBCC_CACHE_DIR=os.path.join(tmp, "cache"))
    env.pop("CBCC_CACHE", None)
    rows = []
    try:
        for tool in sorted(glob.glob("/usr/sbin/*-bpfcc")):
            text = ebpf_text(tool)
            if text is None:
                continue
            src = os.path.join(tmp, os.path.basename(tool) + ".c")
            with open(src, "w") as f:
                f.write(text)
            run = [CBCC, "run", "--load-only", src]
            # The first load stores the entry; then one cold, one warm.
            if measure(run, env)[0] != 0:
                continue
            cold = measure([CBCC, "--no-cache"] + run[1:], env)
            warm = measure(run, env)
            rows.append((os.path.basename(tool), cold, warm))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not rows:
        sys.exit("no program of bpfcc-tools loads: is it installed?")
    print(f"cbcc run --load-only, {len(rows)} bcc tool programs")
    print(f"{'program':24} {'miss CPU s':>10} {'RSS MiB':>8} "
          f"{'hit CPU s':>10} {'RSS MiB':>8}")
    for name, c, w in rows:
        print(f"{name:24} {c[1]:10.3f} {c[2]:8.1f} {w[1]:10.3f} {w[2]:8.1f}")
    med = statistics.median
    print(f"{'median':24} {med(r[1][1] for r in rows):10.3f} "
          f"{med(r[1][2] for r in rows):8.1f} "
          f"{med(r[2][1] for r in rows):10.3f} "
          f"{med(r[2][2] for r in rows):8.1f}")
    print(f"{'total CPU':24} {sum(r[1][1] for r in rows):10.3f} "
          f"{'':8} {sum(r[2][1] for r in rows):10.3f}")


if __name__ == "__main__":
    main()
