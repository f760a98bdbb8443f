"""runtime/common/typedesc.c against bcc's own decoding, on random C structs.

Random struct types are compiled by libbcc (python3-bpfcc's BPF(text=...),
no program is loaded); for each, libbcc's leaf description and, for flat
ones, its perf event field list go to tests/unit/typedesc_dump.c, which
decodes bytes with runtime/common/typedesc.c.  Two oracles:
 - bcc's python: BPF._decode_table_type() builds the ctypes class its
   tables use; random bytes read through it, mapped to cbcc's JSON
   conventions (char arrays as strings decoded with errors="replace",
   padding left out, anonymous members lifted), must decode the same;
 - the C compiler, for structs with bitfields, which ctypes places unlike
   clang and gcc (after a short, an int bitfield shares its unit in C and
   starts a new one in ctypes): a generated C program sets each bitfield
   and dumps the bytes, which must decode to the values set.
Types bcc's python decodes wrongly on its own (multi-dimensional arrays,
__int128 in ctypes) are not generated; the unit tests cover them.
"""
import ctypes as ct
import glob
import json
import os
import platform
import random
import subprocess

import pytest

from conftest import REPO

bcc = pytest.importorskip("bcc")
from bcc.libbcc import lib  # noqa: E402

SCALARS = ["u8", "u16", "u32", "u64", "char", "short", "int", "long",
           "unsigned long", "long long", "_Bool", "void *", "enum color"]
BITFIELD_TYPES = [("unsigned int", 32, False), ("int", 32, True),
                  ("u64", 64, False), ("u16", 16, False), ("u8", 8, False),
                  ("short", 16, True)]
PRELUDE = """#include <stdint.h>
typedef uint8_t u8; typedef uint16_t u16; typedef uint32_t u32;
typedef uint64_t u64;
"""
ENUM = "enum color { RED, GREEN = 5, BLUE = 0x7fffffff };"


def kernel_source(tmp_path_factory):
    """Headers for libbcc: the running kernel's, else a merged Debian pair
    (libbcc takes one directory, Debian splits them in two)."""
    if os.environ.get("BCC_KERNEL_SOURCE"):
        return os.environ["BCC_KERNEL_SOURCE"]
    if os.path.isdir("/lib/modules/%s/build" % platform.release()):
        return None
    arch = sorted(glob.glob("/usr/src/linux-headers-*-amd64"))
    if not arch:
        pytest.fail("no kernel headers: run make deps")
    # the merged tree cbcc itself keeps (runtime/bcc/headers.c), if made
    cached = os.path.join("/var/cache/cbcc/headers",
                          os.path.basename(arch[-1]))
    if os.path.exists(os.path.join(cached, ".cbcc-complete")):
        return cached
    common = arch[-1][:-len("amd64")] + "common"
    tree = tmp_path_factory.mktemp("headers")
    for src in (common, arch[-1]):
        subprocess.run(["cp", "-rsf", src + "/.", str(tree)], check=True)
    return str(tree)


class Gen:
    """Random struct definitions; flat ones can also be perf events."""

    def __init__(self, rng):
        self.rng = rng
        self.defs = []
        self.flat = []          # flat structs: perf events too
        self.records = []       # named structs/unions usable as members
        self.bitfields = {}     # record -> [(field, signed, width)]
        self.has_bf = {}        # record -> bitfields anywhere inside

    def member(self, i, rec, flat, allow_bitfield):
        r = self.rng.random()
        name = "f%d" % i
        if allow_bitfield and self.rng.random() < 0.5:
            r = 1.0
        if r < 0.40 or (flat and r < 0.55):
            return "%s %s;" % (self.rng.choice(SCALARS), name)
        if r < 0.55:
            return "char %s[%d];" % (name, self.rng.randrange(1, 20))
        if r < 0.65 or flat:
            return "%s %s[%d];" % (self.rng.choice(["int", "u16", "u64", "u8"]),
                                   name, self.rng.randrange(1, 5))
        if r < 0.75 and self.records:
            sub = self.rng.choice(self.records)
            self.has_bf[rec] |= self.has_bf[sub]
            return "%s %s;" % (sub, name)
        if r < 0.82:
            kind = self.rng.choice(["union", "struct"])
            return "%s { u32 %sa; u64 %sb; char %sc[3]; };" % (
                kind, name, name, name)
        if allow_bitfield:
            t, bits, signed = self.rng.choice(BITFIELD_TYPES)
            width = self.rng.randrange(1, bits)
            self.has_bf[rec] = True
            if self.rng.random() < 0.15:
                return "%s :%d;" % (t, width)       # unnamed: padding
            self.bitfields[rec].append((name, signed, width))
            return "%s %s:%d;" % (t, name, width)
        return "u32 %s;" % name

    def record(self, idx):
        flat = self.rng.random() < 0.35
        kind = "union" if not flat and self.rng.random() < 0.15 else "struct"
        bitfields = not flat and self.rng.random() < 0.4
        name = "%s s%d" % (kind, idx)
        self.bitfields[name] = []
        self.has_bf[name] = False
        n = self.rng.randrange(1, 8)
        body = " ".join(self.member(i, name, flat, bitfields)
                        for i in range(n))
        self.defs.append("%s { %s };" % (name, body))
        if flat and kind == "struct":
            self.flat.append(name)
        self.records.append(name)
        return name


def bcc_program(gen, count):
    names = [gen.record(i) for i in range(count)]
    text = [ENUM] + gen.defs
    for i, name in enumerate(names):
        text.append("BPF_HASH(m%d, u32, %s);" % (i, name))
        if name in gen.flat:
            text.append("BPF_PERF_OUTPUT(ev%d);" % i)
            text.append("int fn%d(void *ctx) { %s e = {}; "
                        "ev%d.perf_submit(ctx, &e, sizeof(e)); return 0; }"
                        % (i, name, i))
    return "\n".join(text), names


def compiler_bitfields(gen, names, tmp_path):
    """{record: (bytes, {field: value})}: bitfields set by the C compiler."""
    rng = random.Random(7)
    body, want = [], {}
    for name in names:
        fields = gen.bitfields[name]
        if not fields:
            continue
        if name.startswith("union"):
            fields = fields[:1]     # members overlap
        values = {}
        body.append("{ %s v; memset(&v, 0, sizeof(v));" % name)
        for f, signed, width in fields:
            if signed:
                val = rng.randrange(-(1 << (width - 1)), 1 << (width - 1))
            else:
                val = rng.randrange(0, 1 << width)
            values[f] = val
            body.append("v.%s = %dLL;" % (f, val))
        body.append("dump(&v, sizeof(v)); }")
        want[name] = values
    src = tmp_path / "bitfields.c"
    src.write_text(PRELUDE + "#include <stdio.h>\n#include <string.h>\n" +
                   ENUM + "\n" + "\n".join(gen.defs) + """
static void dump(const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", ((const unsigned char *)p)[i]);
	printf("\\n");
}
int main(void)
{
""" + "\n".join(body) + "\nreturn 0;\n}\n")
    exe = str(tmp_path / "bitfields")
    subprocess.run([os.environ.get("CC", "cc"), "-std=gnu11", "-w", "-o",
                    exe, str(src)], check=True)
    out = subprocess.run([exe], capture_output=True, text=True,
                         check=True).stdout.split()
    assert len(out) == len(want)
    return {name: (bytes.fromhex(h), want[name])
            for name, h in zip(want, out)}


def to_cbcc(val, ctype):
    """A value read through bcc's ctypes class, in cbcc's JSON form."""
    if isinstance(ctype, type) and issubclass(ctype, (ct.Structure,
                                                      ct.Union)):
        out = {}
        anon = getattr(ctype, "_anonymous_", [])
        for f in ctype._fields_:
            name, ftype = f[0], f[1]
            if name.startswith("__pad_") or name == "":
                continue
            v = getattr(val, name)
            if name in anon:
                out.update(to_cbcc(v, ftype))
            else:
                out[name] = to_cbcc(v, ftype)
        return out
    if isinstance(ctype, type) and issubclass(ctype, ct.Array):
        if ctype._type_ is ct.c_char:
            return val.decode("utf-8", "replace")
        return [to_cbcc(x, ctype._type_) for x in val]
    if ctype is ct.c_char:
        return int.from_bytes(val, "little", signed=True)
    return val


def as_event(want, fields):
    """bcc's event decoder reads enums as int, its map decoder as the
    type clang gives them (unsigned int here); cbcc does the same."""
    out = dict(want)
    for f in fields:
        name, typ = f.split("#", 1)
        if typ.startswith("enum ") and out[name] >= 1 << 31:
            out[name] -= 1 << 32
    return out


@pytest.fixture(scope="module")
def typedesc_dump(tmp_path_factory):
    exe = str(tmp_path_factory.mktemp("td") / "typedesc_dump")
    subprocess.run(
        [os.environ.get("CC", "cc"), "-std=gnu11", "-O1", "-Wall", "-Werror",
         "-D_GNU_SOURCE", "-I" + os.path.join(REPO, "runtime"),
         "-I" + os.path.join(REPO, "runtime/common"), "-o", exe,
         os.path.join(REPO, "tests/unit/typedesc_dump.c"),
         os.path.join(REPO, "runtime/common/typedesc.c"),
         # typedesc's strings: U+FFFD in JSON, escapes in text
         os.path.join(REPO, "runtime/common/ndjson.c"),
         os.path.join(REPO, "runtime/common/textesc.c"), "-ljson-c"],
        check=True)
    return exe


def test_matches_bcc_and_compiler(typedesc_dump, tmp_path_factory):
    rng = random.Random(4242)
    gen = Gen(rng)
    text, names = bcc_program(gen, 90)
    src = kernel_source(tmp_path_factory)
    if src:
        os.environ["BCC_KERNEL_SOURCE"] = src
    b = bcc.BPF(text=text.encode())
    truth = compiler_bitfields(gen, names, tmp_path_factory.mktemp("cc"))
    cases, expect = [], []
    by_python = by_compiler = by_perf = bitfields = 0
    for i, name in enumerate(names):
        m = ("m%d" % i).encode()
        desc = lib.bpf_table_leaf_desc(b.module, m).decode()
        size = lib.bpf_table_leaf_size(b.module, m)
        if gen.has_bf[name]:
            raw, values = truth.get(name, (b"\0" * size, {}))
            assert len(raw) == size
            cases.append("D\t%s\t%d\t%s\n" % (desc, size, raw.hex()))
            expect.append((name, desc, size, values, True))
            by_compiler += 1
            bitfields += len(values)
            continue
        cls = bcc.BPF._decode_table_type(json.loads(desc))
        assert ct.sizeof(cls) == size, (name, desc)   # the oracle is sound
        fields = None
        if name in gen.flat:
            ev = ("ev%d" % i).encode()
            nf = lib.bpf_perf_event_fields(b.module, ev)
            fields = [lib.bpf_perf_event_field(b.module, ev, k).decode()
                      for k in range(nf)]
        for _ in range(3):
            raw = bytes(rng.choice([0, 0, 0x41, 0xff, rng.randrange(256)])
                        for _ in range(size))
            want = to_cbcc(cls.from_buffer_copy(raw), cls)
            cases.append("D\t%s\t%d\t%s\n" % (desc, size, raw.hex()))
            expect.append((name, desc, size, want, False))
            by_python += 1
            if fields:
                cases.append("P\t%s\t%d\t%s\n" % ("|".join(fields), size,
                                                  raw.hex()))
                expect.append((name, fields, size, as_event(want, fields),
                               False))
                by_perf += 1
    res = subprocess.run([typedesc_dump], input="".join(cases),
                         capture_output=True, text=True, check=True)
    lines = res.stdout.splitlines()
    assert len(lines) == len(expect)
    for (name, desc, size, want, subset), line in zip(expect, lines):
        got_size, got = line.split("\t", 1)
        assert got_size != "error", (name, desc, got)
        assert int(got_size) == size, (name, desc)
        got = json.loads(got)
        if subset:
            assert {k: got.get(k) for k in want} == want, (name, desc)
        else:
            assert got == want, (name, desc)
    counts = (by_python, by_perf, by_compiler, bitfields)
    assert by_python >= 150 and by_perf >= 40 and by_compiler >= 15 and \
        bitfields >= 30, counts
    b.cleanup()
