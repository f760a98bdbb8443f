"""bcc_turn.py TOOL [ARGS...] - run one of bcc's python tools (the
oracle) so that, in the VM lane, it patches kernel text only in its turn.

bcc's tools compile (under TCG: 30-90 s of clang) and then attach in one
BPF() call, and detach at exit.  A test beside bcc used to hold the
lane's text-patching turn (vm_jobs.py) for all of it, compile included,
so no other test could attach meanwhile.  Here the tool runs as
__main__ in this interpreter with bcc.BPF's attach and detach methods
wrapped: each takes the turn (the flock of vm_jobs.TextLock, on its own
open file description) around what patches text, the compile before it
runs with no turn at all.

Outside the lane's scheduler (no CBCC_VM_QUEUE) nothing is wrapped.  A
test must not wait for such a tool inside its own text_patching() block:
the tool would wait for that turn to end.  argv keeps the tool's path, so
conftest's is_bcc_tool() still knows it for bcc's swallowed SIGINTs.
"""
import fcntl
import functools
import os
import runpy
import signal
import sys

WRAPPED = ("attach_kprobe", "attach_kretprobe", "attach_tracepoint",
           "attach_raw_tracepoint", "attach_kfunc", "attach_kretfunc",
           "attach_lsm", "_trace_autoload",
           "detach_kprobe", "detach_kretprobe", "detach_tracepoint",
           "detach_raw_tracepoint", "cleanup")


class Turn:
    """Re-entrant within this process: cleanup() calls detach_*()."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
        self.depth = 0

    def __enter__(self):
        if self.depth == 0:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        self.depth += 1

    def __exit__(self, *exc):
        self.depth -= 1
        if self.depth == 0:
            fcntl.flock(self.fd, fcntl.LOCK_UN)


def wrap(cls, turn):
    def taking_turn(name, fn):
        @functools.wraps(fn)
        def call(*args, **kw):
            if name == "cleanup":
                # The tool is ending: a second SIGINT (conftest repeats
                # them for bcc) must not abort a detach half done, while
                # waiting for the turn or in it, and leave probes behind.
                signal.signal(signal.SIGINT, signal.SIG_IGN)
            with turn:
                return fn(*args, **kw)
        return call
    for name in WRAPPED:
        fn = getattr(cls, name, None)
        if fn is not None:
            setattr(cls, name, taking_turn(name, fn))


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: bcc_turn.py TOOL [ARGS...]")
    queue = os.environ.get("CBCC_VM_QUEUE")
    if queue:
        import bcc
        wrap(bcc.BPF, Turn(os.path.join(queue, "text-patching.lock")))
    tool = sys.argv[1]
    sys.argv = sys.argv[1:]
    runpy.run_path(tool, run_name="__main__")


if __name__ == "__main__":
    main()
