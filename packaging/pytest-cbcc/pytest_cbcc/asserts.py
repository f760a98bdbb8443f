"""Assertions over a stopped (or live) tool's records.  Each failure
prints the records that disproved it, so a red test says what the tool
did see."""
from .tool import format_records


def _fail(msg, records):
    raise AssertionError(f"{msg}\n{format_records(records)}")


def _match(record, **want):
    return all(record.get(k) == v for k, v in want.items()
               if v is not None)


def assert_opened(snoop, path, pid=None, err=None, count=None):
    """opensnoop saw `path` opened (by `pid`, with `err`, `count` times
    when given); returns the matching records."""
    recs = snoop.events
    hits = [r for r in recs if r.get("path") == path
            and _match(r, pid=pid, err=err)]
    what = f"open of {path!r}" + (f" by pid {pid}" if pid else "") + \
        (f" with err {err}" if err is not None else "")
    if not hits:
        _fail(f"opensnoop saw no {what}", recs)
    if count is not None and len(hits) != count:
        _fail(f"opensnoop saw {len(hits)} {what}, expected {count}", hits)
    return hits


def assert_not_opened(snoop, path):
    """opensnoop saw no open of `path`."""
    hits = [r for r in snoop.events if r.get("path") == path]
    if hits:
        _fail(f"opensnoop saw {path!r} opened", hits)


def assert_executed(snoop, argv=None, comm=None, ret=None, ppid=None):
    """execsnoop saw an exec whose arguments start with `argv` (a list, or
    a string compared with the space-joined args), of `comm`, returning
    `ret`, from parent `ppid`; returns the matching records."""
    recs = snoop.events

    def args_match(r):
        if argv is None:
            return True
        got = r.get("args") or []
        if isinstance(argv, str):
            return " ".join(got).startswith(argv)
        return list(got[:len(argv)]) == list(argv)

    hits = [r for r in recs if args_match(r)
            and _match(r, comm=comm, ret=ret, ppid=ppid)]
    if not hits:
        want = ", ".join(f"{k}={v!r}" for k, v in
                         (("argv", argv), ("comm", comm), ("ret", ret),
                          ("ppid", ppid)) if v is not None)
        _fail(f"execsnoop saw no exec with {want}", recs)
    return hits


def assert_count(tool, func, n, at_least=False):
    """funccount counted `func` exactly `n` times (or at least, with
    at_least); cbcc run: `func` is "MAP[KEY]" of a map printed at exit."""
    if hasattr(tool, "counts"):
        counts, recs = tool.counts, tool.records
    else:
        name, _, key = func.partition("[")
        entries = tool.maps.get(name, [])
        key = key.rstrip("]")
        counts = {f"{name}[{e['key']}]": e["value"] for e in entries}
        recs = [{"map": name, **e} for e in entries] or tool.records
        func = f"{name}[{key}]"
    got = counts.get(func, 0)
    ok = got >= n if at_least else got == n
    if not ok:
        _fail(f"{func} counted {got} times, expected "
              f"{'at least ' if at_least else ''}{n}", recs)
    return got


def assert_packets(xdp, iface, key, packets, nbytes=None):
    """xdpcount's totals for `iface` give `key` exactly `packets` (and
    `nbytes`) at exit."""
    totals = xdp.totals.get(iface, {})
    got = totals.get(key, (0, 0))
    if got[0] != packets or (nbytes is not None and got[1] != nbytes):
        _fail(f"xdpcount on {iface} counted {got[0]} {key} packets "
              f"({got[1]} bytes), expected {packets}"
              + (f" ({nbytes} bytes)" if nbytes is not None else ""),
              [r for r in xdp.records if r.get("iface") == iface]
              or xdp.records)
    return got
