"""An example suite for pytest-cbcc: runs with cbcc and cbcc-core alike
(pytest -p pytest_cbcc.plugin --cbcc-binary PATH examples/)."""
import os
import subprocess
import sys

import pytest

from pytest_cbcc import (assert_count, assert_executed, assert_opened,
                         assert_packets)


def test_opens_a_file(cbcc_opensnoop, tmp_path, no_bpf_leaks):
    path = tmp_path / "hello"
    with cbcc_opensnoop(p=os.getpid()) as snoop:
        path.write_text("hi")
    snoop.check_exit(0)
    assert_opened(snoop, str(path), pid=os.getpid(), err=0, count=1)


def test_execs_a_program(cbcc_execsnoop, no_bpf_leaks):
    with cbcc_execsnoop(P=os.getpid()) as snoop:
        subprocess.run(["/bin/true", "pytest-cbcc", "example"], check=True)
    snoop.check_exit(0)
    assert_executed(snoop, ["/bin/true", "pytest-cbcc", "example"],
                    comm="true", ret=0, ppid=os.getpid())


@pytest.mark.cbcc_requires(syscall_tracepoints=True)
def test_calls_getppid_n_times(cbcc_funccount, no_bpf_leaks):
    with cbcc_funccount("t:syscalls:sys_enter_getppid",
                        p=os.getpid()) as fc:
        for _ in range(7):
            os.getppid()
    fc.check_exit(0)
    assert_count(fc, "syscalls:sys_enter_getppid", 7)


@pytest.fixture
def veth():
    """A netns holding one end of a veth pair, static neighbours (no ARP:
    packet counts are exact)."""
    tag = f"{os.getpid() % 100000:05d}"
    ns, host, peer = f"cbccex{tag}", f"cbxh{tag}", f"cbxp{tag}"
    sub = os.getpid() % 250 + 1
    hip, pip = f"10.252.{sub}.1", f"10.252.{sub}.2"

    def sh(cmd):
        subprocess.run(cmd, shell=True, check=True, capture_output=True)
    try:
        sh(f"ip netns add {ns}")
        sh(f"ip link add {host} type veth peer name {peer} netns {ns}")
        sh(f"ip addr add {hip}/24 dev {host} && ip link set {host} up")
        sh(f"ip -n {ns} addr add {pip}/24 dev {peer}")
        sh(f"ip -n {ns} link set {peer} up")
        mh = open(f"/sys/class/net/{host}/address").read().strip()
        mp = subprocess.run(f"ip netns exec {ns} cat /sys/class/net/{peer}"
                            "/address", shell=True, capture_output=True,
                            text=True).stdout.strip()
        sh(f"ip -n {ns} neigh replace {hip} lladdr {mh} dev {peer}")
        sh(f"ip neigh replace {pip} lladdr {mp} dev {host}")
        yield ns, host, hip
    finally:
        subprocess.run(f"ip link del {host}; ip netns del {ns}",
                       shell=True, capture_output=True)


@pytest.mark.cbcc_requires(xdp_generic=True)
def test_counts_packets_over_veth(cbcc_xdpcount, veth, no_bpf_leaks):
    ns, host, hip = veth
    with cbcc_xdpcount(host, mode="generic") as xdp:
        subprocess.run(["ip", "netns", "exec", ns, "ping", "-q", "-c", "3",
                        "-i", "0.2", "-W", "1", hip], check=True,
                       capture_output=True)
    xdp.check_exit(0)
    assert_packets(xdp, host, "icmp", 3)
