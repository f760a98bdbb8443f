"""cbcc run vs bcc's python front end on the same tracepoint-counting
program: start -> compiled, loaded, attached -> exit.  CPU seconds (user +
system) and peak RSS of the whole process, medians of N runs, printed with
ratios (target: cbcc <= 0.8x bcc on both)."""
import os
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
CBCC = os.environ.get("CBCC_BIN", "build/cbcc")
PROG = r"""
BPF_HASH(counts, u32, u64);
TRACEPOINT_PROBE(raw_syscalls, sys_enter)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;

	counts.increment(pid);
	return 0;
}
"""
BCC = r"""
import sys
from bcc import BPF
b = BPF(src_file=sys.argv[1])
"""


def measure(argv, env=None):
    """(cpu seconds, peak RSS MiB, wall seconds) of one run."""
    t = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, env=env)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t
    err = p.stderr.read().decode()
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{argv[0]} failed: {err}")
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, wall


def median_of(argv, env=None):
    runs = [measure(argv, env) for _ in range(RUNS)]
    return tuple(statistics.median(r[i] for r in runs) for i in range(3))


def main():
    with tempfile.NamedTemporaryFile("w", suffix=".c", delete=False) as f:
        f.write(PROG)
        path = f.name
    try:
        # cbcc's first run builds the cached header tree: not measured.
        measure([CBCC, "run", "--no-maps", "-c", "true", path])
        env = dict(os.environ)
        hdrs = [os.path.join("/var/cache/cbcc/headers", d)
                for d in os.listdir("/var/cache/cbcc/headers")]
        if hdrs:
            env["BCC_KERNEL_SOURCE"] = hdrs[0]
        c = median_of([CBCC, "run", "--no-maps", "-c", "true", path])
        b = median_of(["/usr/bin/python3", "-c", BCC, path], env)
    finally:
        os.unlink(path)
    print(f"start->attached->exit, median of {RUNS} runs")
    print(f"{'':12} {'CPU s':>8} {'RSS MiB':>9} {'wall s':>8}")
    print(f"{'cbcc run':12} {c[0]:8.3f} {c[1]:9.1f} {c[2]:8.3f}")
    print(f"{'bcc python':12} {b[0]:8.3f} {b[1]:9.1f} {b[2]:8.3f}")
    print(f"ratio cbcc/bcc: CPU {c[0] / b[0]:.2f}x  RSS {c[1] / b[1]:.2f}x  "
          f"(target <= 0.80x)")


if __name__ == "__main__":
    main()
