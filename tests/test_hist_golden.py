"""runtime/common/hist.c against bcc's own histogram printer, on random tables.

bcc's python (python3-bpfcc's bcc.table._print_log2_hist and
_print_linear_hist, the helpers behind print_log2_hist/print_linear_hist)
prints each table; tests/unit/hist_dump.c prints the same with
runtime/common/hist.c; the text must be identical byte for byte.  The cmocka test
tests/unit/test_hist.c pins a few such outputs; this one covers many.
"""
import contextlib
import io
import os
import random
import subprocess

import pytest

from conftest import REPO

table = pytest.importorskip("bcc.table")


@pytest.fixture(scope="module")
def hist_dump(tmp_path_factory):
    exe = str(tmp_path_factory.mktemp("hist") / "hist_dump")
    subprocess.run(
        [os.environ.get("CC", "cc"), "-std=gnu11", "-O1", "-Wall", "-Werror",
         "-D_GNU_SOURCE", "-I" + os.path.join(REPO, "runtime"),
         "-I" + os.path.join(REPO, "runtime/common"), "-o", exe,
         os.path.join(REPO, "tests/unit/hist_dump.c"),
         os.path.join(REPO, "runtime/common/hist.c"), "-ljson-c"],
        check=True)
    return exe


def bcc_text(kind, vals, val_type, strip):
    fn = table._print_log2_hist if kind == "log2" else table._print_linear_hist
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        fn(vals, val_type, strip)
    return out.getvalue()


def random_count(rng):
    pick = rng.random()
    if pick < 0.3:
        return 0
    if pick < 0.7:
        return rng.randrange(1, 100)
    if pick < 0.9:
        return rng.randrange(1, 1 << 32)
    return rng.randrange(1, 1 << 64)


def random_case(rng):
    kind = rng.choice(["log2", "linear"])
    n = 65 if kind == "log2" else rng.randrange(1, 120)
    vals = [0] * n
    # a run of buckets somewhere, like real latency tables; the log2 end
    # crosses bcc's narrow/wide layout switch at slot 32
    top = rng.randrange(0, n)
    for i in range(rng.randrange(0, top + 1), top + 1):
        vals[i] = random_count(rng)
    if kind == "log2" and rng.random() < 0.2:
        vals[rng.choice([32, 33, 64])] = random_count(rng) or 1
    strip = rng.random() < 0.5
    val_type = rng.choice(["usecs", "nsecs", "kbytes", "value",
                           "a_long_value_type_name_here"])
    return kind, vals, val_type, strip


def rounding_edge_cases():
    """Counts whose bar python rounds up through float division."""
    v_max = 9223372036854788153
    yield "log2", [0, 230584300921369703, v_max] + [0] * 62, "usecs", False
    yield "linear", [230584300921369703, v_max], "value", False


def test_matches_bcc_python(hist_dump):
    rng = random.Random(20261125)
    cases = list(rounding_edge_cases())
    cases += [random_case(rng) for _ in range(400)]
    cases += [("log2", [0] * 65, "usecs", False),
              ("linear", [0] * 5, "value", True)]
    stdin = "".join("%s %d %s %s\n" % (k, s, vt, " ".join(map(str, v)))
                    for k, v, vt, s in cases)
    res = subprocess.run([hist_dump], input=stdin, capture_output=True,
                         text=True, check=True)
    ours = res.stdout.split("\x1e\n")
    assert ours[-1] == ""
    assert len(ours) - 1 == len(cases)
    for (kind, vals, vt, strip), got in zip(cases, ours):
        assert got == bcc_text(kind, vals, vt, strip), (kind, vals, strip)
