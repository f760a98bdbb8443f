"""cbcc-core's start-up costs: what keeps the kernel's BTF out of a load.

libbpf parses /sys/kernel/btf/vmlinux (5 MB here) only for an object with
CO-RE relocations (or a program bound to a kernel function); that parse is
most of a tool's start-up CPU and memory (README: "Start-up").  Figures
live in `make compare`; these tests pin the facts behind them.
"""
import json
import os
import struct
import subprocess
import time

import pytest

from conftest import Tracer, cbcc_core_path, run


def core_relo_bytes(obj, tmp_path):
    """Bytes of CO-RE relocation records in obj's .BTF.ext section."""
    ext = tmp_path / "btf.ext"
    subprocess.run(["llvm-objcopy", "--dump-section", f".BTF.ext={ext}",
                    obj, str(tmp_path / "copy.o")], check=True)
    data = ext.read_bytes()
    magic, _, _, hdr_len = struct.unpack_from("<HBBI", data, 0)
    assert magic == 0xEB9F
    # struct btf_ext_header: core_relo_off and _len follow line_info's.
    if hdr_len < 32:
        return 0
    return struct.unpack_from("<II", data, 24)[1]


def built_object(name):
    obj = os.path.join(os.path.dirname(cbcc_core_path()), "bpf",
                       f"{name}.bpf.o")
    if not os.path.exists(obj):
        pytest.fail(f"{obj} is not built (run make)")
    return obj


def test_xdpcount_needs_no_kernel_btf(tmp_path):
    """Packets and UAPI context only: nothing for CO-RE to relocate."""
    assert core_relo_bytes(built_object("xdpcount"), tmp_path) == 0


def test_snoops_are_relocated(tmp_path):
    """The check above can see relocations: the snoops read kernel structs
    through CO-RE and have them."""
    for name in ("opensnoop", "execsnoop"):
        assert core_relo_bytes(built_object(name), tmp_path) > 0


def maps_of_xdp_prog(iface):
    """bpftool's records of the maps of the XDP program on iface."""
    link = json.loads(run(["ip", "-j", "link", "show", "dev",
                           iface]).stdout)[0]
    prog = link.get("xdp", {}).get("prog", {}).get("id")
    if not prog:
        return []
    info = json.loads(run(["bpftool", "-j", "prog", "show", "id",
                           str(prog)]).stdout)
    return [json.loads(run(["bpftool", "-j", "map", "show", "id",
                            str(i)]).stdout)
            for i in info.get("map_ids", [])]


def test_xdpcount_allocates_hash_entries_on_demand(cbcc_core, netns,
                                                   no_leaks):
    """The per-CPU hash map is BPF_F_NO_PREALLOC: preallocating all its
    entries at load was half of the start-up CPU left."""
    t = Tracer([cbcc_core, "xdpcount", "-m", "generic", netns.host_if])
    counts = []
    try:
        deadline = time.monotonic() + 60
        while not counts and time.monotonic() < deadline:
            assert t.proc.poll() is None, "xdpcount exited"
            counts = [m for m in maps_of_xdp_prog(netns.host_if)
                      if m.get("name") == "counts"]
            time.sleep(0.05)
    finally:
        rc, _, err = t.stop()
    assert rc == 0, err
    assert len(counts) == 1, "no map 'counts' on the interface's program"
    assert counts[0]["flags"] & 1, counts  # BPF_F_NO_PREALLOC


def start_verbose(cbcc_core, tool, env):
    """stderr of a -v start, stopped once it has printed its header."""
    t = Tracer([cbcc_core, tool, "-v", "-n", "cbcc_no_such_comm"], env=env)
    try:
        t.wait_stderr(r"[Tt]racing")
    finally:
        rc, _, err = t.stop()
    assert rc == 0, err
    return err


@pytest.mark.parametrize("tool", ["opensnoop", "execsnoop"])
def test_second_start_relocates_against_minimal_btf(cbcc_core, tool,
                                                    tmp_path):
    """The first start on a kernel keeps the few types the object relocates
    against; the next one hands that file to libbpf instead of the kernel's
    whole BTF (the unit test test_min_btf proves the relocations equal)."""
    env = dict(os.environ, CBCC_BTF_CACHE_DIR=str(tmp_path / "btf"))
    env.pop("CBCC_CACHE", None)
    first = start_verbose(cbcc_core, tool, env)
    assert "BTF types relocate this object" in first, first
    cache = tmp_path / "btf"
    entries = list(cache.glob("*.btf"))
    assert len(entries) == 1, list(cache.iterdir())
    # The kernel-function index that resolves attach targets sits beside it.
    assert len(list(cache.glob("*.funcs"))) == 1, list(cache.iterdir())
    # A few KiB, where the kernel's is megabytes.
    assert entries[0].stat().st_size < 64 << 10
    assert entries[0].stat().st_mode & 0o777 == 0o600
    second = start_verbose(cbcc_core, tool, env)
    assert f"relocating against {entries[0]}" in second, second

    env["CBCC_CACHE"] = "0"
    off = start_verbose(cbcc_core, tool, env)
    assert "CO-RE:" not in off, off
