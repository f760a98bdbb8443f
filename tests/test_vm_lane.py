"""The VM lane itself (issue 3): kprobes, kfuncs and header-matched struct
reads on a stock Debian kernel booted by tests/vm/run.sh.

`vm`-marked tests run only in the guest (CBCC_LANE=vm); the host lane
runs the unmarked ones and skips the rest.
"""
import os

import pytest

from conftest import run

PY = "/usr/bin/python3"

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
def test_bcc_python_kprobe_fires():
    """The lane works: bcc attaches a kprobe and counts exact hits."""
    p = run([PY, "-c", BCC_KPROBE], timeout=300)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["hits", "17"], p.stdout + p.stderr
