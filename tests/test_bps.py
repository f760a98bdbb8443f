"""`cbcc bps`: BPF programs, maps, links, pins, holders, attach points,
and a live top, on both binaries; ids, types, names and map_ids
cross-checked against `bpftool -j` for the same objects."""
import json
import os
import pty
import signal
import subprocess
import threading
import time

import pytest

from conftest import Tracer, ndjson, run, text_patching
# cbcc-core's BPF objects, built as test_core.py builds them (fixtures)

HERE = os.path.dirname(os.path.abspath(__file__))
PROG = os.path.join(HERE, "programs", "tp_count.c")
HELPER = os.path.join(HERE, "helpers", "bps_load.c")
PINDIR = "/sys/fs/bpf"


@pytest.fixture(params=["cbcc", "cbcc_core"])
def bin(request):
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="session")
def bps_load(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("bps") / "bps_load")
    r = run(["gcc", "-O2", "-Wall", "-Werror", "-o", out, HELPER, "-lbpf"])
    assert r.returncode == 0, r.stderr
    return out


class Loaded:
    """bps_load running: its ids, stopped (and cleaned up) on exit."""

    def __init__(self, exe, *args):
        self.proc = subprocess.Popen([exe, *map(str, args)],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.ids = json.loads(self.proc.stdout.readline())

    def stop(self):
        self.proc.stdin.close()
        assert self.proc.wait(timeout=30) == 0


@pytest.fixture
def loaded(bps_load):
    tag = "cbcc_bps_%d" % os.getpid()
    pins = os.path.join(PINDIR, tag)
    os.makedirs(pins, exist_ok=True)
    try:
        l = Loaded(bps_load, 3, 2, "-p", pins, "-r", "-t")
        l.pins = pins
        yield l
        l.stop()
    finally:
        os.rmdir(pins)


def name(bin):
    return os.path.basename(bin)


def bpftool(*args):
    r = run(["bpftool", "-j", *args])
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def bps_json(bin, *args):
    r = run([bin, "bps", "--json", *map(str, args)])
    assert r.returncode == 0, r.stderr
    return ndjson(r.stdout)


def test_bps_programs_match_bpftool(bin, loaded, no_leaks):
    ids = loaded.ids
    mine = {p["id"]: p for p in bps_json(bin)}
    theirs = {p["id"]: p for p in bpftool("prog", "show")}
    for pid in ids["progs"] + [ids["rawtp"], ids["tp"]]:
        assert pid in mine and pid in theirs
        for key in ("id", "type", "name", "tag", "uid", "bytes_xlated",
                    "bytes_jited"):
            assert mine[pid][key] == theirs[pid][key], key
        # wall clock from boot time, read by two processes at two moments:
        # a second boundary can fall between them
        assert abs(mine[pid]["loaded_at"] - theirs[pid]["loaded_at"]) <= 1
        assert mine[pid]["map_ids"] == theirs[pid].get("map_ids", [])
    p0 = mine[ids["progs"][0]]
    assert sorted(p0["map_ids"]) == sorted([ids["shared"], ids["own"]])
    assert p0["pinned"] == [os.path.join(loaded.pins, "prog0")]
    holders = {h["pid"] for h in p0["pids"]}
    # the loader, and the first forked holder (which kept program 0 only)
    assert holders == {ids["pid"], ids["holders"][0]}
    assert all(h["comm"] == "bps_load" for h in p0["pids"])
    p2 = mine[ids["progs"][2]]
    assert {h["pid"] for h in p2["pids"]} == {ids["pid"]}


def test_bps_text_columns(bin, loaded):
    text = run([bin, "bps"]).stdout.splitlines()
    assert text[0].split() == ["BID", "TYPE", "UID", "#MAPS", "LoadTime",
                               "NAME", "PROCESSES"]
    row = [l for l in text if l.split()[0].rstrip("-") ==
           str(loaded.ids["progs"][0])]
    assert len(row) == 1
    f = row[0].split()
    assert f[1:4] == ["socket_filter", "0", "2"] and f[5] == "bps_p0"
    assert f"bps_load({loaded.ids['pid']})" in f[6]


def test_bps_one_program(bin, loaded):
    ids = loaded.ids
    (p,) = bps_json(bin, ids["progs"][0])
    assert sorted(m["id"] for m in p["maps"]) == sorted([ids["shared"],
                                                          ids["own"]])
    shared = [m for m in p["maps"] if m["id"] == ids["shared"]][0]
    assert (shared["type"], shared["name"], shared["bytes_key"],
            shared["bytes_value"], shared["max_entries"]) == \
        ("hash", "bps_shared", 4, 8, 16)
    assert shared["pinned"] == [os.path.join(loaded.pins, "shared")]
    # the tracepoint program: attached through perf events held by the
    # loader and its holders (bpf_task_fd_query)
    (tp,) = bps_json(bin, "--stats", ids["tp"])
    att = [a for a in tp["attached"] if a["kind"] == "tracepoint"]
    assert {a["name"] for a in att} == {"sched_switch"}
    assert ids["pid"] in {a["pid"] for a in att}
    assert "run_cnt" in tp and "run_time_ns" in tp
    # the raw tracepoint program: through its link
    (rt,) = bps_json(bin, ids["rawtp"])
    links = [a for a in rt["attached"] if a["kind"] == "link"]
    assert [(l["id"], l["tp_name"]) for l in links] == \
        [(ids["rawlink"], "sched_switch")]
    text = run([bin, "bps", str(ids["progs"][0])]).stdout
    assert "MID TYPE            FLAGS         KeySz  ValueSz  MaxEnts " \
           "NAME" in text
    assert "bps_shared" in text
    fields = dict(l.split(":", 1) for l in text.splitlines()
                  if l[:1].isalpha() and ":" in l and not l.startswith(" "))
    assert fields["tag"].strip() == p["tag"]
    assert fields["verified insns"].strip() == str(p["verified_insns"])
    assert fields["loaded at"].strip() == time.strftime(
        "%Y-%m-%dT%H:%M:%S%z", time.localtime(p["loaded_at"]))


def test_bps_xdp_attach_point(bin, bps_load, netns):
    idx = int(open(f"/sys/class/net/{netns.host_if}/ifindex").read())
    l = Loaded(bps_load, 1, 0, "-x", idx)
    try:
        (p,) = bps_json(bin, l.ids["xdp"])
        assert {"kind": "xdp", "devname": netns.host_if, "ifindex": idx,
                "mode": "generic"} in p["attached"]
        xdp = bpftool("net", "show", "dev", netns.host_if)
        assert xdp[0]["xdp"][0]["id"] == l.ids["xdp"]
    finally:
        l.stop()


def test_bps_tc_tcx_cgroup_attach_points(bin, bps_load, netns):
    """Programs attached without links (netlink, BPF_PROG_ATTACH)."""
    idx = int(open(f"/sys/class/net/{netns.host_if}/ifindex").read())
    root = [l.split()[1] for l in open("/proc/mounts")
            if l.split()[2] == "cgroup2"][0]
    cg = os.path.join(root, "cbcc_bps_%d" % os.getpid())
    os.mkdir(cg)
    try:
        l = Loaded(bps_load, 1, 0, "-c", idx, "-e", idx, "-g", cg)
        try:
            ids = l.ids
            (tc,) = bps_json(bin, ids["tc"])
            assert tc["attached"] == [
                {"kind": "tc", "devname": netns.host_if, "ifindex": idx,
                 "direction": "ingress", "how": "cls_bpf"}]
            (tcx,) = bps_json(bin, ids["tcx"])
            assert tcx["attached"] == [
                {"kind": "tc", "devname": netns.host_if, "ifindex": idx,
                 "direction": "egress", "how": "tcx"}]
            (c,) = bps_json(bin, ids["cg"])
            assert c["attached"] == [
                {"kind": "cgroup", "cgroup": cg[len(root):],
                 "attach_type": "cgroup_inet_ingress"}]
            text = run([bin, "bps", str(ids["tc"])]).stdout
            assert f"  tc {netns.host_if} (ifindex {idx}) ingress " \
                   "(cls_bpf)\n" in text
        finally:
            l.stop()
    finally:
        os.rmdir(cg)


def test_bps_maps_links_pins_tree(bin, loaded):
    ids = loaded.ids
    maps = {m["id"]: m for m in bps_json(bin, "maps")}
    theirs = {m["id"]: m for m in bpftool("map", "show")}
    for mid in (ids["shared"], ids["own"]):
        for key in ("id", "type", "name", "bytes_key", "bytes_value",
                    "max_entries", "flags"):
            assert maps[mid][key] == theirs[mid][key], key
    assert sorted(maps[ids["shared"]]["prog_ids"]) == sorted(ids["progs"])
    assert maps[ids["own"]]["prog_ids"] == [ids["progs"][0]]
    links = {l["id"]: l for l in bps_json(bin, "links")}
    lk = links[ids["rawlink"]]
    assert (lk["type"], lk["prog_id"], lk["tp_name"]) == \
        ("raw_tracepoint", ids["rawtp"], "sched_switch")
    assert ids["pid"] in {h["pid"] for h in lk["pids"]}
    pins = {p["path"]: p for p in bps_json(bin, "pins")}
    p0 = pins[os.path.join(loaded.pins, "prog0")]
    assert (p0["kind"], p0["id"], p0["name"]) == \
        ("prog", ids["progs"][0], "bps_p0")
    sh = pins[os.path.join(loaded.pins, "shared")]
    assert (sh["kind"], sh["id"], sh["type"]) == ("map", ids["shared"],
                                                 "hash")
    tree = {t["id"]: t for t in bps_json(bin, "tree") if "id" in t}
    t0 = tree[ids["progs"][0]]
    shared = [m for m in t0["maps"] if m["id"] == ids["shared"]][0]
    assert sorted(shared["shared_with"]) == sorted(ids["progs"][1:])
    assert tree[ids["rawtp"]]["link_ids"] == [ids["rawlink"]]
    text = run([bin, "bps", "tree"]).stdout
    assert f"map {ids['shared']} hash bps_shared (shared with prog " in text


def test_bps_tolerates_objects_and_processes_going_away(bin, bps_load):
    """Loaders come and go while bps scans: every run still succeeds."""
    stop = threading.Event()

    def churn():
        while not stop.is_set():
            Loaded(bps_load, 20, 10, "-r", "-T").stop()

    t = threading.Thread(target=churn)
    t.start()
    try:
        for i in range(8):
            for view in ([], ["maps"], ["links"], ["tree"]):
                r = run([bin, "bps", "--json", *view])
                assert r.returncode == 0, r.stderr
                assert r.stderr == ""
                ndjson(r.stdout)
    finally:
        stop.set()
        t.join()


def test_bps_perf_link(bin, bps_load):
    """A perf link (libbpf's way to attach a tracepoint on 5.15+): its
    info union overlaps a raw tracepoint's tp_name buffer, which once made
    bps drop every such link."""
    l = Loaded(bps_load, 1, 0, "-T")
    try:
        links = {k["id"]: k for k in bps_json(bin, "links")}
        lk = links[l.ids["perf_link"]]
        assert (lk["type"], lk["prog_id"]) == ("perf_event", l.ids["tp"])
        (tp,) = bps_json(bin, l.ids["tp"])
        assert l.ids["perf_link"] in [a["id"] for a in tp["attached"]
                                      if a["kind"] == "link"]
        assert theirs_link(l.ids["perf_link"])["prog_id"] == l.ids["tp"]
    finally:
        l.stop()


def theirs_link(lid):
    return [k for k in bpftool("link", "show") if k["id"] == lid][0]


def test_bps_pins_mounts_a_missing_bpffs(bin):
    """In a mount namespace of its own without /sys/fs/bpf mounted, bps
    pins mounts a bpffs there and says so; other views leave it alone."""
    script = ("umount /sys/fs/bpf && "
              f"{bin} bps >/dev/null && stat -f -c %T /sys/fs/bpf && "
              f"{bin} bps pins && stat -f -c %T /sys/fs/bpf")
    r = run(["unshare", "-m", "--propagation", "private", "sh", "-c",
             script])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "sysfs" and lines[-1] == "bpf_fs"
    assert lines[1].split() == ["KIND", "ID", "TYPE", "NAME", "PATH"]
    assert r.stderr.strip() == (f"{name(bin)} bps: warning: mounted bpffs "
                                "on /sys/fs/bpf (it was not mounted)")
    # this namespace's bpffs was never touched
    assert run(["stat", "-f", "-c", "%T", PINDIR]).stdout.strip() == \
        "bpf_fs"


def stats_sysctl():
    with open("/proc/sys/kernel/bpf_stats_enabled") as f:
        return f.read().strip()


def test_bps_top_busy_above_idle(bin, bps_load, no_leaks):
    before = stats_sysctl()
    # the raw tracepoint on sched_switch runs on every context switch;
    # socket filters attached nowhere never run
    l = Loaded(bps_load, 1, 0, "-r")
    work = subprocess.Popen(["sh", "-c", "while :; do sleep 0.001; done"])
    try:
        r = run([bin, "bps", "top", "--json", "-n", "2"], timeout=30)
    finally:
        work.kill()
        work.wait()
        l.stop()
    assert r.returncode == 0, r.stderr
    recs = ndjson(r.stdout)
    assert len(recs) == 2
    last = {p["id"]: p for p in recs[-1]["progs"]}
    busy, idle = last[l.ids["rawtp"]], last[l.ids["progs"][0]]
    assert busy["runs_per_sec"] > 0 and busy["cpu_percent"] > 0
    assert idle["run_cnt"] == 0 and idle["cpu_percent"] == 0
    order = [p["id"] for p in recs[-1]["progs"]]
    assert order.index(busy["id"]) < order.index(idle["id"])
    assert stats_sysctl() == before


def test_bps_top_text_and_sigterm(bin):
    before = stats_sysctl()
    t = Tracer([bin, "bps", "top", "-i", "1"])
    t.wait_stderr("Sampling")
    time.sleep(1.5)
    rc, out, err = t.stop(signal.SIGTERM)
    assert rc == 0, err
    assert "BID TYPE            NAME                   RUNS/s     AVG ns" \
           "    CPU%" in out
    assert stats_sysctl() == before


@pytest.fixture(scope="session")
def no_enable_stats(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("bps") / "no_enable_stats.so")
    r = run(["gcc", "-O2", "-Wall", "-Werror", "-shared", "-fPIC", "-o",
             out, os.path.join(HERE, "helpers", "no_enable_stats.c"),
             "-ldl"])
    assert r.returncode == 0, r.stderr
    return out


def test_bps_top_sysctl_fallback_restored_on_sigterm(bin, no_enable_stats):
    """Without BPF_ENABLE_STATS, top turns the sysctl on while it runs
    and puts it back as it was when stopped by SIGTERM."""
    before = stats_sysctl()
    env = dict(os.environ, LD_PRELOAD=no_enable_stats)
    # the sanitizer build: ASan wants to be first, the shim is harmless
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + \
        ":verify_asan_link_order=0"
    t = Tracer([bin, "bps", "top", "-i", "1"], env=env)
    try:
        t.wait_stderr("Sampling")
        assert stats_sysctl() == "1"
    finally:
        rc, out, err = t.stop(signal.SIGTERM)
    assert rc == 0, err
    assert stats_sysctl() == before


def test_bps_top_redraws_a_terminal(bin):
    """On a terminal each refresh clears the screen and draws in place."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(bin, [bin, "bps", "top", "-n", "2"])
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:     # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, out
    assert out.count(b"\x1b[H\x1b[2J") == 2
    assert b"Sampling" not in out    # no banner under the screen


def test_bps_top_options_only_for_top(bin):
    r = run([bin, "bps", "maps", "-n", "2"])
    assert r.returncode == 2
    assert r.stderr.strip() == f"{name(bin)} bps: error: -d and -n only apply to " \
                               "'bps top'"


def test_bps_cbcc_run_program(cbcc, no_leaks):
    t = Tracer([cbcc, "run", "--no-maps", PROG])
    try:
        t.wait_stderr("Tracing")
        ours = [p for p in bps_json(cbcc)
                if any(h["pid"] == t.proc.pid for h in p["pids"])]
        assert len(ours) == 1
        assert ours[0]["type"] == "tracepoint"
        (one,) = bps_json(cbcc, ours[0]["id"])
        assert sorted(m["name"] for m in one["maps"]) == ["counts", "dist"]
        theirs = bpftool("prog", "show", "id", str(ours[0]["id"]))
        assert sorted(theirs["map_ids"]) == sorted(ours[0]["map_ids"])
    finally:
        rc, _, err = t.stop(signal.SIGINT)
    assert rc == 0, err


def test_bps_verbose_says_what_it_scanned(bin, loaded):
    r = run([bin, "bps", "-v", "pins"])
    assert r.returncode == 0, r.stderr
    (line,) = r.stderr.splitlines()
    words = line.split()
    assert words[:3] == [f"{name(bin)}", "bps:", "scanned"]
    # our 5 programs, 2 maps, 1 link and 2 pins at least
    assert int(words[3]) >= 5 and int(words[5]) >= 2
    assert int(words[7]) >= 1 and int(words[17]) >= 2


def test_bps_top_duration(bin):
    start = time.monotonic()
    r = run([bin, "bps", "top", "--json", "-d", "2"])
    assert r.returncode == 0, r.stderr
    assert 1.9 < time.monotonic() - start < 10
    assert 1 <= len(ndjson(r.stdout)) <= 2


def test_bps_cbcc_core_run_program(cbcc_core, obj, no_leaks):
    t = Tracer([cbcc_core, "run", obj("tp_count")])
    try:
        t.wait_stderr("Tracing")
        ours = [p for p in bps_json(cbcc_core)
                if any(h["pid"] == t.proc.pid for h in p["pids"])]
        assert [(p["type"], p["name"]) for p in ours] == \
            [("tracepoint", "count_getppid")]
        (one,) = bps_json(cbcc_core, ours[0]["id"])
        assert {"counts", "dist"} <= {m["name"] for m in one["maps"]}
        assert sorted(m["id"] for m in one["maps"]) == \
            sorted(ours[0]["map_ids"])
    finally:
        rc, _, err = t.stop(signal.SIGINT)
    assert rc == 0, err


def test_bps_uprobe_attach_points(cbcc_core, obj, no_leaks):
    """libbpf attaches a uprobe through a perf link: bps BID shows the
    link with its target and the perf event fd the process holds."""
    t = Tracer([cbcc_core, "run", obj("uprobe"),
                "-a", "uprobe:c:getppid=on_entry"])
    try:
        t.wait_stderr("Tracing")
        ours = {p["name"]: p for p in bps_json(cbcc_core)
                if any(h["pid"] == t.proc.pid for h in p["pids"])}
        (entry,) = bps_json(cbcc_core, ours["on_entry"]["id"])
        probes = [a for a in entry["attached"] if a["kind"] == "uprobe"]
        assert len(probes) == 1 and probes[0]["pid"] == t.proc.pid
        assert "/libc" in probes[0]["name"] and probes[0]["offset"] > 0
        links = [a for a in entry["attached"] if a["kind"] == "link"]
        assert [l["type"] for l in links] == ["perf_event"]
        assert links[0]["target"] == "uprobe %s+0x%x" % (
            probes[0]["name"], probes[0]["offset"])
        (ret,) = bps_json(cbcc_core, ours["on_return"]["id"])
        assert [a["kind"] for a in ret["attached"]
                if a["kind"] != "link"] == ["uretprobe"]
    finally:
        rc, _, err = t.stop(signal.SIGINT)
    assert rc == 0, err


@pytest.mark.vm
@pytest.mark.vm_serial(phase=True)
def test_vm_bps_kprobe_attach_point(cbcc, no_leaks):
    """A kprobe attached through a perf event fd (kernels with kprobes:
    the VM lane): bps BID names the function, through the holder."""
    src = os.path.join(HERE, "programs", "kprobe.c")
    # The compile before the text-patching turn, the run from the cache.
    r = run([cbcc, "run", "--compile-only", src], timeout=300)
    assert r.returncode == 0, r.stderr
    with text_patching():
        t = Tracer([cbcc, "run", "--no-maps", src])
        try:
            t.wait_stderr("Tracing")
            ours = [p for p in bps_json(cbcc)
                    if any(h["pid"] == t.proc.pid for h in p["pids"])]
            assert [p["type"] for p in ours] == ["kprobe"]
            (one,) = bps_json(cbcc, ours[0]["id"])
            probes = [a for a in one["attached"] if a["kind"] == "kprobe"]
            assert [(a["name"], a["pid"]) for a in probes] == \
                [("vfs_read", t.proc.pid)]
        finally:
            rc, _, err = t.stop(signal.SIGINT)
    assert rc == 0, err


def test_bps_bpftool_pinned_program_without_holder(bin, obj):
    """Loaded and pinned by bpftool, held by no process: found through
    its pin, with bpftool's own view of it."""
    d = os.path.join(PINDIR, "cbcc_bps_bt_%d" % os.getpid())
    path = os.path.join(d, "prog")
    os.mkdir(d)
    try:
        r = run(["bpftool", "prog", "load", obj("tp_count"), path])
        assert r.returncode == 0, r.stderr
        theirs = bpftool("prog", "show", "pinned", path)
        pins = {p["path"]: p for p in bps_json(bin, "pins")}
        assert (pins[path]["kind"], pins[path]["id"], pins[path]["name"]) \
            == ("prog", theirs["id"], theirs["name"])
        mine = {p["id"]: p for p in bps_json(bin)}[theirs["id"]]
        assert mine["pinned"] == [path] and mine["pids"] == []
        for key in ("type", "name", "tag", "map_ids", "btf_id"):
            assert mine[key] == theirs[key], key
        tree = {t["id"]: t for t in bps_json(bin, "tree") if "id" in t}
        assert sorted(m["id"] for m in tree[theirs["id"]]["maps"]) == \
            sorted(theirs["map_ids"])
    finally:
        if os.path.exists(path):
            os.unlink(path)
        os.rmdir(d)


def test_bps_unknown_id(bin):
    r = run([bin, "bps", "4294967295"])
    assert r.returncode == 1
    assert r.stderr.strip() == (f"{name(bin)} bps: error: BPF program 4294967295: "
                                "no such program")


def test_bps_bad_id_is_usage_error(bin):
    r = run([bin, "bps", "12x"])
    assert r.returncode == 2


def test_bps_two_args_is_one_usage_line(bin):
    r = run([bin, "bps", "1", "2"])
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert "unexpected argument '2'" in r.stderr


def test_bps_not_root_is_one_line(bin):
    r = run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             "--inh-caps=-all", "--bounding-set=-all", bin, "bps"])
    assert r.returncode == 1
    assert r.stderr.strip() == (
        f"{name(bin)} bps: error: listing BPF objects (BPF_*_GET_NEXT_ID) needs "
        "CAP_SYS_ADMIN (run as root, or grant it with setcap/capsh)")
