"""cbcc xdpcount: exact counts over a veth pair, modes, actions, safety.

Traffic goes from the netns end of the pair to the host end, where
xdpcount counts it.  The fixture sets static neighbours, so no ARP adds
packets; IPv6 housekeeping of the fresh link (router solicitations, MLD)
shows up under its own keys, so assertions look at the key they test.
"""
import json
import os
import random
import signal
import subprocess
import time

import pytest

from conftest import Netns, Tracer, cbcc_core_path, cbcc_path, ndjson, run

PING_FRAME = 98         # 14 Ethernet + 20 IPv4 + 8 ICMP + 56 payload
UDP_OVERHEAD = 42       # 14 Ethernet + 20 IPv4 + 8 UDP
PIN_ROOT = "/sys/fs/bpf/cbcc/xdpcount"


@pytest.fixture(params=["cbcc", "cbcc-core"])
def xc(request):
    """The binary under test: each test runs against both engines."""
    path = cbcc_path() if request.param == "cbcc" else cbcc_core_path()
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is not built: run 'make' first")
    return path


def prefix(binary):
    """The "PROG xdpcount: " every message of that binary starts with."""
    return f"{os.path.basename(binary)} xdpcount: "


def ping_cmd(netns, count, wait=None):
    w = f" -W {wait}" if wait else ""
    return netns.exec(f"ping -c {count} -i 0.01 -q{w} {netns.host_ip}")


def py_cmd(netns, path, script):
    """Command running a python script inside the netns (no quoting)."""
    path.write_text(script)
    return netns.exec(f"/usr/bin/python3 {path}")


def udp_cmd(netns, path, count, payload, port=4242, sport=None):
    bind = f"s.bind(('{netns.peer_ip}', {sport}))\n" if sport else ""
    return py_cmd(netns, path, (
        "import socket\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        f"{bind}"
        f"for _ in range({count}):\n"
        f"    s.sendto(b'x' * {payload}, ('{netns.host_ip}', {port}))\n"))


def xdpcount(xc, *args, env=None):
    return run([xc, "xdpcount", *args], env=env)


def totals(stdout, iface):
    """{key: (packets, bytes)} from the --json total objects of iface."""
    out = {}
    for o in ndjson(stdout):
        assert o["type"] in ("interval", "total"), o
        if o["type"] == "total" and o["iface"] == iface:
            assert set(o) == {"type", "iface", "key", "packets", "bytes"}
            assert o["key"] not in out, f"key {o['key']!r} twice"
            out[o["key"]] = (o["packets"], o["bytes"])
    return out


def xdp_attached(iface):
    """Program ids XDP has on iface, from ip's own view of the link."""
    info = json.loads(run(["ip", "-j", "-d", "link", "show", "dev",
                           iface]).stdout)[0]
    xdp = info.get("xdp") or {}
    ids = set()
    if "prog" in xdp:
        ids.add(xdp["prog"]["id"])
    for a in xdp.get("attached", []):
        ids.add(a["prog"]["id"])
    return sorted(ids)


def wait_attached(iface, proc=None, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if xdp_attached(iface):
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError("xdpcount exited: "
                                 + proc.stderr.read())
        time.sleep(0.1)
    raise AssertionError(f"no XDP program attached to {iface}")


def errors(stderr):
    """stderr lines other than the header-mismatch warning."""
    return [line for line in stderr.splitlines()
            if line and "kernel headers" not in line]


@pytest.mark.parametrize("mode", ["native", "generic"])
def test_icmp_exact(xc, netns, no_leaks, mode):
    n = 7
    r = xdpcount(xc, "--json", "-m", mode, "-c", ping_cmd(netns, n),
                 netns.host_if)
    assert r.returncode == 0, r.stderr
    t = totals(r.stdout, netns.host_if)
    assert t["icmp"] == (n, n * PING_FRAME), t
    assert not xdp_attached(netns.host_if)


@pytest.mark.san
def test_icmp_exact_san(xc, netns, no_leaks):
    r = xdpcount(xc, "--json", "-m", "generic", "-c", ping_cmd(netns, 3),
                 netns.host_if)
    assert r.returncode == 0, r.stderr
    assert totals(r.stdout, netns.host_if)["icmp"] == (3, 3 * PING_FRAME)


@pytest.mark.parametrize("mode", ["native", "generic"])
def test_udp_exact(xc, netns, no_leaks, tmp_path, mode):
    m, size = 25, 333
    cmd = udp_cmd(netns, tmp_path / "udp.py", m, size)
    r = xdpcount(xc, "--json", "-m", mode, "-c", cmd, netns.host_if)
    assert r.returncode == 0, r.stderr
    t = totals(r.stdout, netns.host_if)
    assert t["udp"] == (m, m * (size + UDP_OVERHEAD)), t


@pytest.mark.parametrize("key,expect", [
    ("dport", 4242),
    ("sport", 40123),
    ("saddr", "PEER"),
    ("daddr", "HOST"),
])
def test_keys(xc, netns, no_leaks, tmp_path, key, expect):
    m, size = 9, 100
    expect = {"PEER": netns.peer_ip, "HOST": netns.host_ip}.get(expect,
                                                                  expect)
    udp = udp_cmd(netns, tmp_path / "udp.py", m, size, sport=40123)
    cmd = f"sh -c '{udp}; " \
          f"{ping_cmd(netns, 2)} >/dev/null'"
    r = xdpcount(xc, "--json", "-k", key, "-c", cmd, netns.host_if)
    assert r.returncode == 0, r.stderr
    t = totals(r.stdout, netns.host_if)
    if key in ("saddr", "daddr"):
        # UDP and ICMP from the same address: one row.
        assert t[expect] == (m + 2, m * (size + UDP_OVERHEAD)
                             + 2 * PING_FRAME), t
    else:
        assert t[expect] == (m, m * (size + UDP_OVERHEAD)), t
        # ICMP has no ports: counted under a null key, not as port 0.
        assert t[None][0] >= 2 and 0 not in t, t


def test_vlan_key(xc, netns, no_leaks, tmp_path):
    """Raw tagged frames (AF_PACKET, so the tags are in the data)."""
    mac_h = open(f"/sys/class/net/{netns.host_if}/address").read().strip()
    script = (
        "import socket, struct\n"
        "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n"
        f"s.bind(('{netns.peer_if}', 0))\n"
        f"dst = bytes.fromhex('{mac_h.replace(':', '')}')\n"
        "src = bytes(6)\n"
        "pad = bytes(46)\n"
        "for _ in range(3):\n"
        "    s.send(dst + src + struct.pack('!HHH', 0x8100, 100, 0x0800)"
        " + pad)\n"
        "for _ in range(2):\n"
        "    s.send(dst + src + struct.pack('!HHHHH', 0x88a8, 7, 0x8100,"
        " 200, 0x86dd) + pad)\n")
    cmd = py_cmd(netns, tmp_path / "vlan.py", script)
    r = xdpcount(xc, "--json", "-k", "vlan", "-m", "generic", "-c", cmd,
                 netns.host_if)
    assert r.returncode == 0, r.stderr
    t = totals(r.stdout, netns.host_if)
    assert t["100"] == (3, 3 * 64), t
    assert t["7.200"] == (2, 2 * 68), t


def test_drop(xc, netns, no_leaks):
    r = xdpcount(xc, "--json", "-A", "drop", "-c",
                 ping_cmd(netns, 3, wait=1), netns.host_if)
    # ping got no reply: it fails, and xdpcount exits with its status.
    assert r.returncode == 1, r.stderr
    assert totals(r.stdout, netns.host_if)["icmp"] == (3, 3 * PING_FRAME)
    # Without xdpcount the same ping is answered.
    assert subprocess.run(ping_cmd(netns, 1, wait=1), shell=True,
                          capture_output=True).returncode == 0


def test_command_status_passed_through(xc, netns, no_leaks):
    r = xdpcount(xc, "-c", "exit 7", netns.host_if)
    assert r.returncode == 7, r.stderr
    assert "total" in r.stdout


def test_table_output(xc, netns, no_leaks):
    r = xdpcount(xc, "-c", ping_cmd(netns, 4), netns.host_if)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    head = [i for i, ln in enumerate(lines) if ln.split()[:5] ==
            ["KEY", "PKTS", "BYTES", "PKT/s", "BYTES/s"]]
    assert len(head) == 1, r.stdout
    rows = [ln.split() for ln in lines[head[0] + 1:]]
    assert rows[-1][0] == "total"
    by_key = {row[0]: row for row in rows}
    assert by_key["icmp"][1:3] == ["4", str(4 * PING_FRAME)]
    pkts = [int(row[1]) for row in rows[:-1]]
    assert pkts == sorted(pkts, reverse=True)
    assert int(rows[-1][1]) == sum(pkts)


def test_interval_json(xc, netns, no_leaks):
    cmd = f"sh -c '{ping_cmd(netns, 3)} >/dev/null; sleep 2.3'"
    r = xdpcount(xc, "--json", "-i", "1", "-c", cmd, netns.host_if)
    assert r.returncode == 0, r.stderr
    objs = ndjson(r.stdout)
    iv = [o for o in objs if o["type"] == "interval"]
    assert iv, r.stdout
    for o in iv:
        assert set(o) == {"type", "iface", "key", "packets", "bytes",
                          "pps", "bps"}
        assert o["pps"] > 0 and o["bps"] > 0
    # The pings fall in the first interval; the intervals add up.
    icmp = sum(o["packets"] for o in iv if o["key"] == "icmp")
    assert icmp == 3, iv
    assert totals(r.stdout, netns.host_if)["icmp"][0] == 3


def test_pin_readable_by_bpftool(xc, netns, no_leaks, tmp_path):
    d = f"{PIN_ROOT}/{netns.host_if}"
    cmd = (f"sh -c '{ping_cmd(netns, 5)} >/dev/null && "
           f"bpftool -j map dump pinned {d}/proto_counts > {tmp_path}/a && "
           f"bpftool -j map dump pinned {d}/counts > {tmp_path}/h'")
    r = xdpcount(xc, "--json", "--pin", "-c", cmd, netns.host_if)
    assert r.returncode == 0, r.stderr
    # -k proto: ICMP is class 1 of interface slot 0 in the per-CPU array.
    array = json.loads((tmp_path / "a").read_text())
    icmp = [e["formatted"] for e in array if e["formatted"]["key"] == 1]
    assert len(icmp) == 1, array
    assert sum(v["value"]["packets"] for v in icmp[0]["values"]) == 5
    assert sum(v["value"]["bytes"] for v in icmp[0]["values"]) == \
        5 * PING_FRAME
    # The hash map (other ethertypes) is pinned too, and BTF-typed.
    assert isinstance(json.loads((tmp_path / "h").read_text()), list)
    assert not os.path.exists(d)
    assert not os.path.exists(PIN_ROOT)


def test_pin_hash_key(xc, netns, no_leaks, tmp_path):
    d = f"{PIN_ROOT}/{netns.host_if}"
    cmd = (f"sh -c '{ping_cmd(netns, 3)} >/dev/null && "
           f"bpftool -j map dump pinned {d}/counts > {tmp_path}/h'")
    r = xdpcount(xc, "-k", "saddr", "--pin", "-c", cmd, netns.host_if)
    assert r.returncode == 0, r.stderr
    rows = [e["formatted"] for e in json.loads((tmp_path / "h").read_text())]
    peer = [int(x) for x in netns.peer_ip.split(".")]
    mine = [e for e in rows if e["key"]["family"] == 4
            and e["key"]["addr"][:4] == peer]
    assert len(mine) == 1, rows
    assert sum(v["value"]["packets"] for v in mine[0]["values"]) == 3
    assert not os.path.exists(d)


def test_pin_dir_keep(xc, netns, no_leaks):
    d = f"/sys/fs/bpf/cbcc-test-{random.randrange(10**6)}"
    try:
        r = xdpcount(xc, "--pin", d, "--keep-pin", "-c",
                     ping_cmd(netns, 2), netns.host_if)
        assert r.returncode == 0, r.stderr
        dump = run(["bpftool", "-j", "map", "dump", "pinned",
                    f"{d}/counts"])
        assert dump.returncode == 0, dump.stderr
        # A second run refuses to clobber the kept pin.
        r = xdpcount(xc, "--pin", d, "-d", "1", netns.host_if)
        assert r.returncode != 0
        assert "already exists" in r.stderr
    finally:
        subprocess.run(["rm", "-rf", d])
    assert not xdp_attached(netns.host_if)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM,
                                 signal.SIGHUP])
def test_signal_prints_totals_and_detaches(xc, netns, no_leaks, sig):
    t = Tracer([xc, "xdpcount", "--json", netns.host_if])
    wait_attached(netns.host_if, t.proc)
    assert subprocess.run(ping_cmd(netns, 3), shell=True).returncode == 0
    rc, out, err = t.stop(sig)
    assert rc == 0, err
    assert totals(out, netns.host_if)["icmp"] == (3, 3 * PING_FRAME)
    assert not xdp_attached(netns.host_if)


def test_sigkill_leaves_nothing(xc, netns, no_leaks):
    t = Tracer([xc, "xdpcount", netns.host_if])
    wait_attached(netns.host_if, t.proc)
    t.stop(signal.SIGKILL)
    # The BPF link dies with the process: the kernel detaches.
    deadline = time.time() + 5
    while xdp_attached(netns.host_if) and time.time() < deadline:
        time.sleep(0.1)
    assert not xdp_attached(netns.host_if)


def test_netlink_fallback_detaches(xc, netns, no_leaks):
    env = dict(os.environ, CBCC_XDP_NO_LINK="1")
    t = Tracer([xc, "xdpcount", "-v", "-m", "generic", netns.host_if],
               env=env)
    wait_attached(netns.host_if, t.proc)
    assert not run(["bpftool", "-j", "link", "show"]).stdout.count(
        '"xdp"'), "expected a netlink attach, not a link"
    rc, out, err = t.stop(signal.SIGTERM)
    assert rc == 0, err
    assert "attached through netlink" in err
    assert not xdp_attached(netns.host_if)


@pytest.fixture
def xdp_obj(tmp_path):
    """A tiny XDP_PASS object for bpftool to load."""
    src = tmp_path / "pass.c"
    src.write_text(
        '__attribute__((section("xdp"), used))\n'
        "int xdp_test_pass(void *ctx) { return 2; }\n"
        'char _license[] __attribute__((section("license"), used)) '
        '= "GPL";\n')
    obj = tmp_path / "pass.o"
    r = run(["clang", "-O2", "-target", "bpf", "-c", str(src), "-o",
             str(obj)])
    assert r.returncode == 0, r.stderr
    return obj


def test_refuses_attached_then_force_replaces(xc, netns, no_leaks,
                                              xdp_obj):
    # bpftool, not `ip ... obj`: ip leaves its own dirs in /sys/fs/bpf.
    pin = f"/sys/fs/bpf/cbcc-test-pass-{random.randrange(10**6)}"
    r = run(["bpftool", "prog", "load", str(xdp_obj), pin, "type", "xdp"])
    assert r.returncode == 0, r.stderr
    r = run(["bpftool", "net", "attach", "xdpgeneric", "pinned", pin,
             "dev", netns.host_if])
    os.unlink(pin)      # the attachment holds the program now
    assert r.returncode == 0, r.stderr
    try:
        old = xdp_attached(netns.host_if)
        assert len(old) == 1
        r = xdpcount(xc, "-d", "1", netns.host_if)
        assert r.returncode == 1
        msg = errors(r.stderr)
        assert len(msg) == 1, r.stderr
        assert f"id {old[0]} 'xdp_test_pass'" in msg[0]
        assert "generic mode" in msg[0] and "--force" in msg[0]
        assert xdp_attached(netns.host_if) == old

        r = xdpcount(xc, "--json", "--force", "-c", ping_cmd(netns, 2),
                     netns.host_if)
        assert r.returncode == 0, r.stderr
        assert totals(r.stdout, netns.host_if)["icmp"] == (2,
                                                            2 * PING_FRAME)
        # Replaced, then detached at exit: nothing left.
        assert not xdp_attached(netns.host_if)
    finally:
        run(["ip", "link", "set", "dev", netns.host_if, "xdpgeneric",
             "off"])


def test_link_attached_cannot_be_forced(xc, netns, no_leaks):
    t = Tracer([xc, "xdpcount", netns.host_if])
    try:
        wait_attached(netns.host_if, t.proc)
        for extra in ([], ["--force"]):
            r = xdpcount(xc, *extra, "-d", "1", netns.host_if)
            assert r.returncode == 1
            msg = errors(r.stderr)
            assert len(msg) == 1, r.stderr
            assert "through BPF link id" in msg[0]
            comm = os.path.basename(xc)[:15]
            assert f"held by pid {t.proc.pid} '{comm}'" in msg[0]
        assert t.proc.poll() is None
    finally:
        rc, out, err = t.stop(signal.SIGINT)
    assert rc == 0, err


def test_two_interfaces_counted_apart(xc, netns, no_leaks):
    other = Netns()
    while other.host_ip == netns.host_ip:
        other = Netns()
    other.up()
    try:
        cmd = (f"sh -c '{ping_cmd(netns, 2)} >/dev/null && "
               f"{ping_cmd(other, 5)} >/dev/null'")
        r = xdpcount(xc, "--json", "-c", cmd, netns.host_if,
                     other.host_if)
        assert r.returncode == 0, r.stderr
        assert totals(r.stdout, netns.host_if)["icmp"] == (2,
                                                            2 * PING_FRAME)
        assert totals(r.stdout, other.host_if)["icmp"] == (5,
                                                            5 * PING_FRAME)
        assert not xdp_attached(other.host_if)
    finally:
        other.down()


def test_interface_disappears_others_keep_counting(xc, netns, no_leaks):
    tag = "%05d" % random.randrange(100000)
    gone, gone_peer = f"cbg{tag}", f"cbq{tag}"
    subprocess.run(["ip", "link", "add", gone, "type", "veth", "peer",
                    "name", gone_peer], check=True)
    try:
        subprocess.run(["ip", "link", "set", gone, "up"], check=True)
        cmd = (f"sh -c 'sleep 0.5; ip link del {gone}; sleep 0.5; "
               f"{ping_cmd(netns, 4)} >/dev/null'")
        r = xdpcount(xc, "--json", "-c", cmd, netns.host_if, gone)
        assert r.returncode == 0, r.stderr
        assert f"interface '{gone}' disappeared" in r.stderr
        t = totals(r.stdout, netns.host_if)
        assert t["icmp"] == (4, 4 * PING_FRAME)
        assert not xdp_attached(netns.host_if)
    finally:
        subprocess.run(["ip", "link", "del", gone], capture_output=True)


def test_bad_interface(xc, no_leaks):
    """A usage error (2), as `run -a xdp:IFACE=PROG` says it too."""
    r = xdpcount(xc, "cbnosuch0")
    assert r.returncode == 2
    assert r.stdout == ""
    assert errors(r.stderr) == [
        prefix(xc) + "error: interface 'cbnosuch0' does not exist"]


@pytest.mark.parametrize("form", ["--pin={}", "--pin {}"])
def test_pin_outside_bpffs_creates_nothing(xc, netns, no_leaks, form):
    """Checked before mkdir: nothing on the root filesystem, exit 2."""
    top = f"/nonexistent-cbcc-{random.randrange(10**6)}"
    try:
        r = xdpcount(xc, *form.format(f"{top}/x").split(), "-d", "1",
                     netns.host_if)
        assert r.returncode == 2, r.stderr
        msg = errors(r.stderr)
        assert len(msg) == 1, r.stderr
        assert "not in a BPF filesystem" in msg[0], msg
        assert r.stdout == ""
        assert not os.path.exists(top)
        assert not xdp_attached(netns.host_if)
    finally:
        subprocess.run(["rm", "-rf", top])


def test_pin_tmp_refused(xc, netns, tmp_path):
    """An existing directory elsewhere (tmpfs) is refused as well."""
    r = xdpcount(xc, f"--pin={tmp_path}/maps", "-d", "1", netns.host_if)
    assert r.returncode == 2, r.stderr
    assert f"'{tmp_path}' is not bpffs" in r.stderr
    assert not os.path.exists(tmp_path / "maps")


# The capabilities README's xdpcount section documents, as setpriv names
# them.  Root's uid stays, so only capabilities are in play.
CAPS = ["bpf", "perfmon", "net_admin"]


def with_caps(caps):
    return ["setpriv", "--bounding-set=-all" +
            "".join(f",+{c}" for c in caps), "--inh-caps=-all"]


@pytest.mark.parametrize("caps,missing", [
    ([], "CAP_BPF"),
    (["bpf"], "CAP_PERFMON"),
    (["bpf", "perfmon"], "CAP_NET_ADMIN"),
    (["bpf", "net_admin"], "CAP_PERFMON"),
])
def test_missing_capability_named(xc, netns, no_leaks, caps, missing):
    r = run(with_caps(caps) + [xc, "xdpcount", "-d", "1", netns.host_if])
    assert r.returncode == 1, r.stderr
    assert r.stdout == ""
    assert errors(r.stderr) == [
        prefix(xc) + f"error: xdpcount needs {missing} (run as root, or "
        "grant it with setcap/capsh)"]
    assert not xdp_attached(netns.host_if)


def test_unprivileged_user(xc, netns, no_leaks):
    r = run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             xc, "xdpcount", "-d", "1", netns.host_if])
    assert r.returncode == 1, r.stderr
    assert errors(r.stderr) == [
        prefix(xc) + "error: xdpcount needs CAP_BPF (run as root, or "
        "grant it with setcap/capsh)"]


@pytest.mark.parametrize("mode", ["native", "generic"])
def test_documented_capabilities_suffice(xc, netns, no_leaks, mode):
    # No -c: the traffic needs setns (CAP_SYS_ADMIN), which xdpcount
    # does not have and would hand down to the command.
    t = Tracer(with_caps(CAPS) + [xc, "xdpcount", "--json", "-m", mode,
                                  netns.host_if])
    wait_attached(netns.host_if, t.proc)
    assert subprocess.run(ping_cmd(netns, 3), shell=True).returncode == 0
    rc, out, err = t.stop(signal.SIGINT)
    assert rc == 0, err
    assert totals(out, netns.host_if)["icmp"] == (3, 3 * PING_FRAME)
    assert not xdp_attached(netns.host_if)


def sleepers():
    """pids of `sleep 77` processes, wherever they are."""
    r = run(["pgrep", "-x", "-f", "sleep 77"])
    return r.stdout.split()


def wait_sleeper(proc, timeout=60):
    deadline = time.time() + timeout
    while not sleepers():
        if proc.poll() is not None or time.time() > deadline:
            raise AssertionError("-c 'sleep 77' never started: "
                                 + proc.stderr.read())
        time.sleep(0.1)


def wait_no_sleeper(timeout=5):
    deadline = time.time() + timeout
    while sleepers() and time.time() < deadline:
        time.sleep(0.1)
    left = sleepers()
    if left:
        subprocess.run(["kill", "-9", *left])
    return left


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT,
                                 signal.SIGKILL])
def test_command_dies_with_xdpcount(xc, netns, no_leaks, sig):
    """The signal goes to xdpcount alone; its -c command goes with it."""
    assert not sleepers(), "a 'sleep 77' from elsewhere is running"
    t = Tracer([xc, "xdpcount", "-c", "sleep 77", netns.host_if])
    wait_sleeper(t.proc)
    # Not Tracer.stop(): its killpg would reach a command left in
    # xdpcount's own process group, and hide that xdpcount did not.
    os.kill(t.proc.pid, sig)
    try:
        out, err = t.proc.communicate(timeout=60)
    finally:
        if t.proc.poll() is None:
            os.killpg(t.proc.pid, signal.SIGKILL)
    rc = t.proc.returncode
    if sig != signal.SIGKILL:
        assert rc == 0, err
        assert "total" in out
    assert wait_no_sleeper() == [], f"'sleep 77' outlived {sig!r}"
    deadline = time.time() + 5
    while xdp_attached(netns.host_if) and time.time() < deadline:
        time.sleep(0.1)
    assert not xdp_attached(netns.host_if)


def test_offload_refused_names_driver(xc, netns, no_leaks):
    r = xdpcount(xc, "-m", "offload", "-d", "1", netns.host_if)
    assert r.returncode != 0
    msg = errors(r.stderr)
    assert len(msg) == 1, r.stderr
    assert "offload" in msg[0] and "'veth'" in msg[0]
    assert "--mode generic" in msg[0]
    assert not xdp_attached(netns.host_if)


@pytest.mark.parametrize("args,what", [
    (["-m", "turbo", "lo"], "invalid mode 'turbo'"),
    (["-k", "colour", "lo"], "invalid key"),
    (["-A", "reject", "lo"], "invalid action"),
    ([], "no interface given"),
    (["--keep-pin", "lo"], "--keep-pin needs --pin"),
    (["lo", "lo"], "given twice"),
])
def test_usage_errors(xc, args, what):
    r = xdpcount(xc, *args)
    assert r.returncode == 2
    assert what in r.stderr
    assert r.stdout == ""
