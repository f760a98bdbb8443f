"""A cbcc tool as a live object: started in its own process group, ready
once it says it is attached, stopped with SIGINT (then SIGTERM, SIGKILL),
its output decoded from the NDJSON contract (``--json``; README.md,
"Output") or, for the two tools without ``--json`` (funccount, trace),
from bcc's text format, which cbcc's golden tests pin.
"""
import json
import os
import re
import signal
import subprocess
import threading
import time


class CbccError(AssertionError):
    """The tool did not start, or did not stop as it should."""


class CbccStartError(CbccError):
    """The tool exited before it was attached (``returncode``, ``stderr``)."""

    def __init__(self, tool, msg):
        super().__init__(msg)
        self.tool = tool
        self.returncode = tool.returncode
        self.stderr = tool.stderr


class _Reader(threading.Thread):
    """Reads one pipe to its end, line by line, so the tool never blocks
    on a full pipe and readiness is seen as soon as the line is written."""

    def __init__(self, stream, lines, cond):
        super().__init__(daemon=True)
        self.stream, self.lines, self.cond = stream, lines, cond

    def run(self):
        fd = self.stream.fileno()
        buf = b""
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buf += chunk
            *done, buf = buf.split(b"\n")
            with self.cond:
                self.lines.extend(x.decode(errors="replace") for x in done)
                self.cond.notify_all()
        with self.cond:
            if buf:
                self.lines.append(buf.decode(errors="replace"))
            self.cond.notify_all()


class Tool:
    """One run of a cbcc command.

    ready: a regex searched in stdout lines (ready_stream="stdout") or
    stderr lines, or a callable(tool) -> bool polled every 50 ms, that
    holds once the tool is attached.
    """

    def __init__(self, argv, ready, ready_stream="stderr", timeout=120,
                 stop_timeout=30, env=None):
        self.argv = list(argv)
        self.ready = ready
        self.ready_stream = ready_stream
        self.timeout = timeout
        self.stop_timeout = stop_timeout
        self.env = env
        self.proc = None
        self.returncode = None
        self.stopped_by = None      # the signal that ended it, or None
        self.stdout_lines = []
        self.stderr_lines = []
        self._cond = threading.Condition()
        self._readers = []

    # -- life cycle ----------------------------------------------------
    def start(self):
        self.proc = subprocess.Popen(
            self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True, env=self.env)
        for stream, lines in ((self.proc.stdout, self.stdout_lines),
                              (self.proc.stderr, self.stderr_lines)):
            r = _Reader(stream, lines, self._cond)
            r.start()
            self._readers.append(r)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _is_ready(self):
        if callable(self.ready):
            return self.ready(self)
        lines = (self.stdout_lines if self.ready_stream == "stdout"
                 else self.stderr_lines)
        return any(re.search(self.ready, line) for line in lines)

    def _wait_ready(self):
        deadline = time.monotonic() + self.timeout
        with self._cond:
            while True:
                if self._is_ready():
                    return
                if self.proc.poll() is not None:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.05))
        if self.proc.poll() is None:
            self.stop()
            raise CbccStartError(self, (
                f"{self.command} was not attached after {self.timeout} s "
                f"(waiting for {self._ready_text()})\n{self._tail()}"))
        self._finish()
        raise CbccStartError(self, (
            f"{self.command} exited with status {self.returncode} before "
            f"it was attached\n{self._tail()}"))

    def _ready_text(self):
        if callable(self.ready):
            return getattr(self.ready, "__doc__", None) or repr(self.ready)
        return f"{self.ready!r} on {self.ready_stream}"

    def _finish(self):
        self.proc.wait()
        for r in self._readers:
            r.join(10)
        self.returncode = self.proc.returncode

    def stop(self):
        """SIGINT to the group; SIGTERM, then SIGKILL, if it does not end
        within stop_timeout.  Returns the exit status."""
        if self.proc is None or self.returncode is not None:
            return self.returncode
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            self.stopped_by = sig
            try:
                self.proc.wait(self.stop_timeout)
                break
            except subprocess.TimeoutExpired:
                continue
        self._finish()
        return self.returncode

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- while running -------------------------------------------------
    def wait_for(self, predicate, timeout=30):
        """Waits until predicate(record) holds for a decoded record (the
        tool still running); returns it.  Raises CbccError with the
        records seen otherwise."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for r in self.records:
                    if predicate(r):
                        return r
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and
                                 all(not t.is_alive()
                                     for t in self._readers)):
                    break
                self._cond.wait(min(left, 0.1))
        raise CbccError(f"no record matched within {timeout} s\n"
                        + format_records(self.records))

    # -- results -------------------------------------------------------
    @property
    def command(self):
        return " ".join(self.argv[:2])

    @property
    def stdout(self):
        return "\n".join(self.stdout_lines)

    @property
    def stderr(self):
        return "\n".join(self.stderr_lines)

    def _tail(self, n=20):
        err = self.stderr_lines[-n:]
        return "stderr:\n  " + "\n  ".join(err) if err else "stderr: (empty)"

    @property
    def records(self):
        """Every record of the output, decoded (a snapshot)."""
        out = []
        for line in list(self.stdout_lines):
            r = self.parse_line(line)
            if r is not None:
                out.append(r)
        return out

    def parse_line(self, line):
        """NDJSON: one JSON object per non-empty line."""
        if not line.strip():
            return None
        return json.loads(line)

    @property
    def events(self):
        return [r for r in self.records if r.get("type") == "event"]

    @property
    def lost(self):
        """Records lost, as the tool reported them (``lost`` records)."""
        return sum(r.get("count", 0) for r in self.records
                   if r.get("type") == "lost")

    @property
    def maps(self):
        """{map name: [{"key": K, "value": V}, ...]} printed at exit."""
        return {r["name"]: r["entries"] for r in self.records
                if r.get("type") == "map"}

    def check_exit(self, expected=0):
        """Asserts the exit status after stop(), with stderr if not."""
        if self.returncode != expected:
            raise CbccError(
                f"{self.command} exited with status {self.returncode} "
                f"(expected {expected}, stopped by "
                f"{getattr(self.stopped_by, 'name', None)})\n"
                + self._tail())


class Run(Tool):
    """cbcc run --json: event, trace, lost and map records."""

    @property
    def traces(self):
        return [r for r in self.records if r.get("type") == "trace"]

    def map_values(self, name):
        """{key: value} of one map printed at exit."""
        entries = self.maps.get(name)
        if entries is None:
            raise CbccError(f"no map {name!r} in the output; maps: "
                            f"{sorted(self.maps)}\n" + self._tail())
        return {json.dumps(e["key"]) if isinstance(e["key"], (dict, list))
                else e["key"]: e["value"] for e in entries}


class Snoop(Tool):
    """opensnoop/execsnoop --json: one record per event, plus ``lost``."""

    @property
    def events(self):
        return [r for r in self.records if "type" not in r]


class XdpCount(Tool):
    """xdpcount --json: interval and total records."""

    @property
    def events(self):
        return [r for r in self.records if r.get("type") == "interval"]

    @property
    def totals(self):
        """{iface: {key: (packets, bytes)}} printed at exit."""
        out = {}
        for r in self.records:
            if r.get("type") == "total":
                out.setdefault(r["iface"], {})[r["key"]] = (r["packets"],
                                                           r["bytes"])
        return out


_TABLE_HEAD = re.compile(r"^FUNC\s+COUNT$")
_TABLE_ROW = re.compile(r"^(\S.*?)\s+(\d+)$")


class FuncCount(Tool):
    """funccount has no --json: its bcc text table, `FUNC  COUNT` rows
    after a header, every -i interval and at exit."""

    def parse_line(self, line):
        return None

    @property
    def tables(self):
        """Each printed table, as {func: count}, in order."""
        tables, cur = [], None
        for line in list(self.stdout_lines):
            if _TABLE_HEAD.match(line):
                cur = {}
                tables.append(cur)
                continue
            m = _TABLE_ROW.match(line)
            if cur is not None and m:
                cur[m.group(1)] = int(m.group(2))
            elif line.strip():
                cur = None
        return tables

    @property
    def counts(self):
        """The last table printed (at exit: the whole run)."""
        t = self.tables
        return t[-1] if t else {}

    @property
    def records(self):
        return [{"func": f, "count": n} for f, n in self.counts.items()]

    @property
    def events(self):
        return self.records


class Trace(Tool):
    """trace has no --json: its text lines `PID TID COMM FUNC MSG` (bcc's
    columns), cut at the header's column positions.  Lines that are not
    such rows (stacks with -K/-U) are in ``other``."""

    _header = None

    def _columns(self):
        for line in self.stdout_lines:
            m = re.search(r"PID\s+TID\s+COMM\s+FUNC", line)
            if m:
                h = line
                return (m.start(), h.index("COMM"), h.index("FUNC"),
                        h.index("FUNC") + 17)
        return None

    def parse_line(self, line):
        cols = self._columns()
        if cols is None:
            return None
        pid_at, comm_at, func_at, msg_at = cols
        head = line[pid_at:comm_at].split()
        if len(head) != 2 or not all(x.isdigit() for x in head):
            return None
        comm = line[comm_at:func_at].rstrip()
        rest = line[func_at:]
        func, _, msg = rest.partition(" ")
        return {"pid": int(head[0]), "tid": int(head[1]), "comm": comm,
                "func": func, "msg": msg.lstrip(" ") if len(func) >= 16
                else rest[msg_at - func_at:]}

    @property
    def records(self):
        out = []
        for line in list(self.stdout_lines):
            if re.search(r"PID\s+TID\s+COMM\s+FUNC", line):
                continue
            r = self.parse_line(line)
            if r is not None:
                out.append(r)
        return out

    @property
    def events(self):
        return self.records

    @property
    def other(self):
        hdr = False
        out = []
        for line in list(self.stdout_lines):
            if re.search(r"PID\s+TID\s+COMM\s+FUNC", line):
                hdr = True
                continue
            if hdr and line and self.parse_line(line) is None:
                out.append(line)
        return out


def format_records(records, limit=40):
    """The records, one JSON object per line, for failure messages."""
    if not records:
        return "records: none"
    lines = [json.dumps(r, sort_keys=True) for r in records[:limit]]
    more = len(records) - limit
    if more > 0:
        lines.append(f"... and {more} more")
    return f"records ({len(records)}):\n  " + "\n  ".join(lines)
