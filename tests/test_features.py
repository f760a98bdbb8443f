"""`cbcc features [--json]` (issue 18), cross-checked against what the
tools do on this kernel: every "no" must be a refusal the tools meet, and
every "yes" something they can use.  Each check asserts whichever way the
kernel answered (kprobes: exit 3 here, working in the VM lane)."""
import json
import os
import platform
import re

import pytest

from conftest import Netns, precompile, run, text_patching

FEATURES = {"tracefs", "tracepoints", "syscall_tracepoints", "kprobes",
            "kprobe_multi", "fentry", "uprobes", "ringbuf", "btf",
            "xdp_generic", "xdp_native", "lsm_bpf", "bpf_stats", "lockdown",
            "unprivileged_bpf", "kernel_headers", "kernel_headers_match"}


@pytest.fixture(params=["cbcc", "cbcc-core"])
def binary(request, cbcc):
    if request.param == "cbcc":
        return cbcc
    return request.getfixturevalue("cbcc_core")


_cache = {}


def features(binary):
    if binary not in _cache:
        r = run([binary, "features", "--json"])
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert len(lines) == 1, r.stdout     # one object, one line
        _cache[binary] = json.loads(lines[0])
    return _cache[binary]


def test_json_has_every_feature_with_a_reason(binary, no_leaks):
    f = features(binary)
    assert set(f) == FEATURES
    for name, v in f.items():
        assert set(v) == {"available", "reason"}, name
        assert isinstance(v["available"], bool), name
        assert isinstance(v["reason"], str) and v["reason"], name


def test_text_is_an_aligned_table_of_the_same_answers(binary, no_leaks):
    r = run([binary, "features"])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert re.match(r"^FEATURE\s+AVAIL\s+REASON$", lines[0])
    col = lines[0].index("AVAIL")
    reason_col = lines[0].index("REASON")
    f = features(binary)
    got = {}
    for line in lines[1:]:
        name = line[:col].strip()
        assert line[col:reason_col].strip() in ("yes", "no"), line
        got[name] = (line[col:reason_col].strip() == "yes",
                     line[reason_col:])
    assert got == {k: (v["available"], v["reason"]) for k, v in f.items()}


def test_both_binaries_agree_on_the_kernel(cbcc, cbcc_core):
    a, b = features(cbcc), features(cbcc_core)
    for name in FEATURES - {"kernel_headers", "kernel_headers_match"}:
        assert a[name]["available"] == b[name]["available"], name


def test_core_needs_no_headers(cbcc_core):
    f = features(cbcc_core)
    for k in ("kernel_headers", "kernel_headers_match"):
        assert f[k]["available"] and f[k]["reason"].startswith("not needed")


def test_cbcc_headers_match_is_uname(cbcc):
    f = features(cbcc)["kernel_headers_match"]
    found = features(cbcc)["kernel_headers"]
    if f["available"]:
        assert f["reason"] == (f"{found['reason']} matches the running "
                               f"kernel {platform.release()}")
    elif found["available"]:
        # Development machine: Debian's 6.1 headers under a 6.18 kernel.
        assert f"the running kernel {platform.release()}" in f["reason"]


def test_kprobes_answer_is_what_funccount_meets(binary, no_leaks):
    f = features(binary)["kprobes"]
    r = run([binary, "funccount", "-d", "1", "vfs_read"])
    if f["available"]:
        assert r.returncode == 0, r.stderr
    else:
        assert "CONFIG_KPROBES" in f["reason"]
        assert r.returncode == 3, r.stderr
        assert "no kprobes" in r.stderr


def test_kprobe_multi_needs_kprobes(binary):
    f = features(binary)
    if not f["kprobes"]["available"]:
        assert not f["kprobe_multi"]["available"]


def test_fentry_answer_is_what_opensnoop_meets(binary, no_leaks):
    f = features(binary)["fentry"]
    r = run([binary, "opensnoop", "--attach", "fentry", "-d", "1"])
    if f["available"]:
        assert r.returncode == 0, r.stderr
    else:
        assert r.returncode == 3, r.stderr
        assert "refused" in f["reason"] or "BTF" in f["reason"]


def test_tracepoints_answer_is_what_funccount_meets(binary, no_leaks):
    f = features(binary)
    r = run([binary, "funccount", "-d", "1",
             "t:syscalls:sys_enter_getppid"])
    assert f["tracepoints"]["available"] and \
        f["syscall_tracepoints"]["available"]
    assert r.returncode == 0, r.stderr


def test_ringbuf_answer_is_what_the_core_engine_picks(cbcc_core, no_leaks):
    f = features(cbcc_core)["ringbuf"]
    r = run([cbcc_core, "opensnoop", "-v", "-d", "1"])
    assert r.returncode == 0, r.stderr
    if f["available"]:
        assert "events: ring buffer" in r.stderr
    else:
        assert "events: perf buffer" in r.stderr


def test_btf_answer_is_sysfs(binary):
    assert features(binary)["btf"]["available"] == \
        os.path.exists("/sys/kernel/btf/vmlinux")


def test_uprobes_answer_is_what_funccount_meets(binary, no_leaks):
    f = features(binary)["uprobes"]
    r = run([binary, "funccount", "-d", "1", "c:getppid"])
    assert r.returncode == (0 if f["available"] else 3), r.stderr


@pytest.mark.parametrize("mode", ["generic", "native"])
def test_xdp_answer_is_what_xdpcount_meets_on_veth(binary, mode, no_leaks):
    f = features(binary)[f"xdp_{mode}"]
    n = Netns().up()
    try:
        r = run([binary, "xdpcount", "-m", mode, "-d", "1", n.host_if])
    finally:
        n.down()
    assert r.returncode == (0 if f["available"] else 3), r.stderr


def securityfs(name):
    """A file of securityfs, read in a private mount namespace."""
    r = run(["unshare", "-m", "sh", "-c",
             "mount -t securityfs securityfs /sys/kernel/security 2>/dev/null;"
             f"cat /sys/kernel/security/{name}"])
    return r.stdout.strip() if r.returncode == 0 else None


def test_lockdown_answer_is_securityfs(binary):
    f = features(binary)["lockdown"]
    text = securityfs("lockdown")
    if text is None:
        assert f["available"] and "no lockdown LSM" in f["reason"]
        return
    mode = re.search(r"\[(\w+)\]", text).group(1)
    assert f"lockdown is {mode}" in f["reason"]
    assert f["available"] == (mode != "confidentiality")


def test_lsm_answer_names_securityfs_list(binary):
    f = features(binary)["lsm_bpf"]
    lsms = (securityfs("lsm") or "").split(",")
    if "bpf" not in lsms:
        assert not f["available"] and "not in" in f["reason"]
    elif not f["available"]:
        # Listed but refused: the reason is the kernel's refusal.
        assert "refused" in f["reason"], f


def test_lsm_answer_is_what_an_fentry_refusal_implies(binary):
    """This kernel refuses tracing programs (fentry); LSM programs are
    tracing programs too, so it cannot say yes to one and no to the
    other for the same reason."""
    f = features(binary)
    if not f["fentry"]["available"] and "EPERM" in f["fentry"]["reason"]:
        assert not f["lsm_bpf"]["available"]


def test_sysctl_answers(binary):
    f = features(binary)
    with open("/proc/sys/kernel/unprivileged_bpf_disabled") as fh:
        v = int(fh.read())
    assert f["unprivileged_bpf"]["available"] == (v == 0)
    assert f"is {v}" in f["unprivileged_bpf"]["reason"]
    assert f["bpf_stats"]["available"]
    with open("/proc/sys/kernel/bpf_stats_enabled") as fh:
        assert f"is {int(fh.read())}" in f["bpf_stats"]["reason"]


def test_tracefs_location(binary):
    f = features(binary)["tracefs"]
    assert f["available"] and f["reason"] == "mounted at /sys/kernel/tracing"


def test_unprivileged_user_gets_reasons_not_a_crash(binary):
    r = run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             "--inh-caps=-all", binary, "features", "--json"])
    assert r.returncode == 0, r.stderr
    assert "without CAP_BPF" in r.stderr
    f = json.loads(r.stdout)
    assert not f["fentry"]["available"]
    assert "lacks CAP_BPF" in f["ringbuf"]["reason"]
    assert not f["xdp_generic"]["available"]
    assert "cannot ask" in f["xdp_generic"]["reason"]


@pytest.mark.parametrize("args", [["extra"], ["--nope"]])
def test_usage_errors(binary, args):
    r = run([binary, "features"] + args)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) >= 1 and r.stdout == ""


def test_features_leaves_nothing(binary, no_leaks):
    """The XDP, LSM and fentry probes run and are gone; no netns or veth
    named cbcc0 is left in this namespace."""
    mounted = os.path.ismount("/sys/kernel/security")
    r = run([binary, "features"])
    assert r.returncode == 0, r.stderr
    assert "cbcc0" not in run(["ip", "-o", "link"]).stdout
    # securityfs was mounted in the probe's own mount namespace only.
    assert os.path.ismount("/sys/kernel/security") == mounted


@pytest.mark.vm
@pytest.mark.vm_serial(phase=True)
def test_vm_stock_kernel_says_yes_and_the_tools_agree(binary, no_leaks):
    """Debian's stock kernel has kprobes and allows fentry: the answers
    flip, and the same cross-checks hold the other way round.  The tools
    the checks run are compiled first, outside the text-patching turn."""
    for args in (["funccount", "-d", "1", "vfs_read"],
                 ["opensnoop", "--attach", "fentry", "-d", "1"],
                 ["funccount", "-d", "1", "t:syscalls:sys_enter_getppid"]):
        precompile([binary] + args)
    with text_patching():   # its probes attach too
        f = features(binary)
        test_kprobes_answer_is_what_funccount_meets(binary, None)
        test_fentry_answer_is_what_opensnoop_meets(binary, None)
        test_kprobe_multi_needs_kprobes(binary)
        test_tracepoints_answer_is_what_funccount_meets(binary, None)
    assert f["kprobes"]["available"], f["kprobes"]
    assert f["fentry"]["available"], f["fentry"]
