"""The VM lane itself (issues 3 and 11): kprobes, kfuncs, ring buffers,
kprobe.multi and header-matched struct reads on stock Debian kernels (6.1,
6.12) booted by tests/vm/run.sh.

`vm`-marked tests run only in the guest (CBCC_LANE=vm); the host lane
runs the unmarked ones and skips the rest.  A test that needs a kernel
feature asks the running kernel (kallsyms, BTF) and skips with what it
found missing; never its version.
"""
import functools
import glob
import os
import re
import time

import pytest

from conftest import bcc_cmd, ndjson, precompile, run, run_patching, \
    text_patching

PY = "/usr/bin/python3"
PROGS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                     "vm", "programs")


def prog(name):
    return os.path.join(PROGS, name)


@functools.lru_cache(maxsize=None)
def kernel_symbols():
    """Every symbol name in /proc/kallsyms (the kernel's own word)."""
    with open("/proc/kallsyms") as f:
        return frozenset(line.split()[2] for line in f)


def kernel_allows_fentry():
    """bcc's own test (BPF.support_kfunc): BTF and BPF trampolines."""
    return os.path.exists("/sys/kernel/btf/vmlinux") and \
        "bpf_trampoline_link_prog" in kernel_symbols()


def need_symbol(name, why):
    if name not in kernel_symbols():
        pytest.skip(f"{why}: this kernel has no {name} in /proc/kallsyms")


def bpf_links(pid):
    """The BPF links process pid holds: one dict per fd, from fdinfo."""
    links = []
    d = f"/proc/{pid}/fdinfo"
    for fd in os.listdir(d):
        try:
            with open(os.path.join(d, fd)) as f:
                info = dict(line.rstrip("\n").split(":\t", 1)
                            for line in f if ":\t" in line)
        except OSError:
            continue
        if "link_type" in info:
            links.append(info)
    return links


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
@pytest.mark.vm_serial(phase=True)
def test_bcc_python_kprobe_fires(tmp_path, no_leaks):
    """The lane works: bcc attaches a kprobe and counts exact hits (its
    attach and detach in the text-patching turn: conftest.bcc_cmd)."""
    script = tmp_path / "bcc_kprobe.py"
    script.write_text(BCC_KPROBE)
    p = run(bcc_cmd(str(script)), timeout=300)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["hits", "17"], p.stdout + p.stderr


@pytest.mark.vm
@pytest.mark.vm_serial(phase=True)
def test_kfunc_auto_attached(cbcc, tmp_path, no_leaks):
    """KFUNC_PROBE/KRETFUNC_PROBE attach by name; cat's reads are seen."""
    data = tmp_path / "data"
    data.write_bytes(b"x" * 5000)
    pidfile = tmp_path / "pid"
    cmd = f"sh -c 'echo $$ >{pidfile}; exec cat {data} >/dev/null'"
    r = run_patching([cbcc, "run", "--json", prog("kfunc_read.c"),
                      "-c", cmd])
    assert r.returncode == 0, r.stderr
    pid = int(pidfile.read_text())
    calls = map_entries(r.stdout, "calls")
    nbytes = map_entries(r.stdout, "bytes")
    # ld.so reads libc's ELF header, cat reads the file and then EOF.
    assert calls.get(pid, 0) >= 3, (pid, calls)
    assert nbytes.get(pid, 0) >= 5000, (pid, nbytes)


def read_task_ids(cbcc, tmp_path):
    out = tmp_path / "ids"
    r = run_patching([cbcc, "run", "--json", prog("task_ids.c"),
                      "-c", ids_workload(out)])
    assert r.returncode == 0, r.stderr
    pid, ppid = map(int, out.read_text().split())
    return r, pid, ppid


@pytest.mark.vm
@pytest.mark.vm_serial(phase=True)
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


@pytest.mark.vm
@pytest.mark.vm_serial(phase=True)
def test_ring_buffer_events(cbcc, tmp_path, no_leaks):
    """BPF_RINGBUF_OUTPUT records arrive whole, in order, with cpu -1."""
    need_symbol("bpf_ringbuf_output", "no BPF ring buffers")
    n = 7
    pidfile = tmp_path / "pid"
    code = (f"import os; open({str(pidfile)!r}, 'w').write(str(os.getpid()));"
            f" [os.getppid() for _ in range({n})]")
    r = run_patching([cbcc, "run", "--json", prog("ringbuf_getppid.c"),
                      "-c", f"{PY} -c \"{code}\""])
    assert r.returncode == 0, r.stderr
    pid = int(pidfile.read_text())
    evs = [e for e in ndjson(r.stdout)
           if e["type"] == "event" and e["map"] == "events"]
    mine = [e for e in evs if e["data"]["pid"] == pid]
    assert len(mine) == n, r.stdout
    assert all(e["cpu"] == -1 for e in evs), evs
    stamps = [e["data"]["ts"] for e in mine]
    assert stamps == sorted(stamps), stamps
    assert not [e for e in ndjson(r.stdout) if e["type"] == "lost"]


@pytest.mark.vm
@pytest.mark.vm_serial(phase=True)
def test_funccount_uses_one_kprobe_multi_link(cbcc, no_leaks):
    """Where the kernel has fprobe, a wildcard is one kprobe.multi link:
    seen in funccount's fdinfo while it runs, and said by -v."""
    need_symbol("register_fprobe",
                "no fprobe (CONFIG_FPROBE), which kprobe.multi links need")
    import test_funccount as fc

    n = 500
    w = fc.Workload(fc.READ_WORKLOAD, n)
    args = [cbcc, "funccount", "-v", "-p", str(w.pid), "vfs_*"]
    try:
        precompile(args)
        with text_patching():
            t = fc.Tool(args)
            t.wait_for(fc.HEADER_RE)
            links = bpf_links(t.proc.pid)
            w.go()
            time.sleep(0.5)
            rc, out, err = t.stop()
    except BaseException:
        w.proc.kill()
        raise
    assert rc == 0, err
    attached = int(re.match(fc.HEADER_RE, out.splitlines()[0]).group(1))
    assert attached > 20, out
    assert [ln["link_type"] for ln in links] == ["kprobe_multi"], links
    # Kernels since 6.9 print the count in fdinfo.
    if "kprobe_cnt" in links[0]:
        assert int(links[0]["kprobe_cnt"]) == attached, links
    assert f"attached {attached} functions with one kprobe.multi link" \
        in err, err
    assert fc.table(out).get("vfs_read", 0) >= n, out
