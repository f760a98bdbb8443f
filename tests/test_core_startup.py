"""cbcc-core's start-up costs: what keeps the kernel's BTF out of a load.

libbpf parses /sys/kernel/btf/vmlinux (5 MB here) only for an object with
CO-RE relocations (or a program bound to a kernel function); that parse is
most of a tool's start-up CPU and memory (README: "Start-up").  Figures
live in `make compare`; these tests pin the facts behind them.
"""
import os
import struct
import subprocess

import pytest

from conftest import cbcc_core_path


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
