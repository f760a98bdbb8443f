"""The VM lane itself (issue 3): kprobes, kfuncs and header-matched struct
reads on a stock Debian kernel booted by tests/vm/run.sh.

`vm`-marked tests run only in the guest (CBCC_LANE=vm); the host lane
runs the unmarked ones and skips the rest.
"""
import glob
import os

import pytest

from conftest import ndjson, run

PY = "/usr/bin/python3"
PROGS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                     "vm", "programs")


def prog(name):
    return os.path.join(PROGS, name)


def map_entries(stdout, name):
    maps = [r for r in ndjson(stdout)
            if r["type"] == "map" and r["name"] == name]
    assert len(maps) == 1, f"map {name} printed {len(maps)} times"
    return {e["key"]: e["value"] for e in maps[0]["entries"]}


def ids_workload(out):
    """A python process that calls getppid and records its pid and ppid."""
    code = ("import os; os.getppid(); "
            f"open({str(out)!r}, 'w').write('%d %d' % "
            "(os.getpid(), os.getppid()))")
    return f"{PY} -c \"{code}\""

# bcc's own python front end, as the reference: a kprobe on a syscall
# that counts only this script's calls.
BCC_KPROBE = r'''
import os
from bcc import BPF
prog = """
BPF_ARRAY(hits, u64, 1);
int on_getppid(void *ctx)
{
    u32 key = 0;
    u64 *v;

    if ((bpf_get_current_pid_tgid() >> 32) != TARGET)
        return 0;
    v = hits.lookup(&key);
    if (v)
        __sync_fetch_and_add(v, 1);
    return 0;
}
""".replace("TARGET", str(os.getpid()))
b = BPF(text=prog)
b.attach_kprobe(event=b.get_syscall_fnname("getppid"), fn_name="on_getppid")
for _ in range(17):
    os.getppid()
print("hits", b["hits"][0].value)
'''


@pytest.mark.vm
def test_guest_kernel_has_kprobes():
    assert os.path.exists("/sys/kernel/tracing/kprobe_events"), \
        "the VM lane's kernel must have CONFIG_KPROBES"


@pytest.mark.vm
def test_bcc_python_kprobe_fires(no_leaks):
    """The lane works: bcc attaches a kprobe and counts exact hits."""
    p = run([PY, "-c", BCC_KPROBE], timeout=300)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["hits", "17"], p.stdout + p.stderr


@pytest.mark.vm
def test_kfunc_auto_attached(cbcc, tmp_path, no_leaks):
    """KFUNC_PROBE/KRETFUNC_PROBE attach by name; cat's reads are seen."""
    data = tmp_path / "data"
    data.write_bytes(b"x" * 5000)
    pidfile = tmp_path / "pid"
    cmd = f"sh -c 'echo $$ >{pidfile}; exec cat {data} >/dev/null'"
    r = run([cbcc, "run", "--json", prog("kfunc_read.c"), "-c", cmd],
            timeout=300)
    assert r.returncode == 0, r.stderr
    pid = int(pidfile.read_text())
    calls = map_entries(r.stdout, "calls")
    nbytes = map_entries(r.stdout, "bytes")
    # ld.so reads libc's ELF header, cat reads the file and then EOF.
    assert calls.get(pid, 0) >= 3, (pid, calls)
    assert nbytes.get(pid, 0) >= 5000, (pid, nbytes)


def read_task_ids(cbcc, tmp_path):
    out = tmp_path / "ids"
    r = run([cbcc, "run", "--json", prog("task_ids.c"),
             "-c", ids_workload(out)], timeout=300)
    assert r.returncode == 0, r.stderr
    pid, ppid = map(int, out.read_text().split())
    return r, pid, ppid


@pytest.mark.vm
def test_task_struct_fields_match_headers(cbcc, tmp_path, no_leaks):
    """With headers of the running kernel, task_struct reads are right."""
    r, pid, ppid = read_task_ids(cbcc, tmp_path)
    seen = map_entries(r.stdout, "seen")
    assert seen.get(pid) == {"pid": pid, "tgid": pid,
                             "parent_tgid": ppid}, (pid, ppid, seen)
    assert "headers" not in r.stderr, r.stderr


def test_task_struct_header_mismatch_reported(cbcc, tmp_path, no_leaks):
    """Where the running kernel has no headers of its own (the dev/CI
    kernel) the engine says which it used instead: values read from
    task_struct through them are not asserted."""
    release = os.uname().release
    r, _, _ = read_task_ids(cbcc, tmp_path)
    warn = [line for line in r.stderr.splitlines() if "headers" in line]
    if os.path.exists(f"/lib/modules/{release}/build"):
        assert not warn, f"{release} has its own headers: {warn}"
        return
    assert len(warn) == 1, r.stderr
    assert release in warn[0], warn
    installed = [os.path.basename(d)[len("linux-headers-"):] for d in
                 glob.glob("/usr/src/linux-headers-*")]
    assert any(h in warn[0] for h in installed), (installed, warn)
