"""The compiled-program cache (issue 10): a warm start loads what a cold
one compiled, with the same output, and never starts the compiler; any
change of an input misses; a damaged or foreign entry is dropped and the
program recompiled; the cache's own failures never fail the run.

Every test has a cache directory of its own (CBCC_CACHE_DIR)."""
import glob
import os
import re
import subprocess
import sys

import pytest

from conftest import REPO, ndjson, run

PY = sys.executable
WL = "cbcc-cache-wl"
# Three getppid() calls from a process named WL, on CPU 0 (--json names
# the CPU of each event): nothing else counts.
WORKLOAD = (f"taskset -c 0 {PY} -c 'import ctypes, os; "
            f"ctypes.CDLL(None).prctl(15, b\"{WL}\", 0, 0, 0); "
            f"[os.getppid() for i in range(3)]'")
PROGRAM = r"""
struct event { u32 seq; char comm[16]; };
BPF_PERF_OUTPUT(events);
BPF_HASH(counts, u32, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
	struct event ev = {};
	u32 one = 1;
	u64 *n;

	bpf_get_current_comm(&ev.comm, sizeof(ev.comm));
	if (ev.comm[0] != 'c' || ev.comm[5] != 'c' || ev.comm[11] != 'w')
		return 0;
	counts.increment(one);
	n = counts.lookup(&one);
	ev.seq = n ? *n : 0;
	events.perf_submit(args, &ev, sizeof(ev));
	return 0;
}
"""


@pytest.fixture
def cache(tmp_path):
    d = tmp_path / "cache"
    env = dict(os.environ, CBCC_CACHE_DIR=str(d))
    env.pop("CBCC_CACHE", None)
    return d, env


@pytest.fixture
def program(tmp_path):
    p = tmp_path / "prog.c"
    p.write_text(PROGRAM)
    return p


def entries(d):
    return sorted(f for f in os.listdir(d) if len(f) == 64) \
        if os.path.isdir(d) else []


def cbcc_run(cbcc, env, *args):
    return run([cbcc, "run", "-v", *args, "-c",
                WORKLOAD], env=env)


def notes(r):
    return [l for l in r.stderr.splitlines() if ": cache: " in l]


def test_stored_cold_then_hit_warm_same_output(cbcc, cache, program,
                                               no_leaks):
    d, env = cache
    for fmt in ([], ["--json"]):
        for f in entries(d):
            os.unlink(d / f)
        cold = cbcc_run(cbcc, env, *fmt, str(program))
        assert cold.returncode == 0, cold.stderr
        assert any("cache: stored" in n for n in notes(cold)), cold.stderr
        assert len(entries(d)) == 1
        warm = cbcc_run(cbcc, env, *fmt, str(program))
        assert warm.returncode == 0, warm.stderr
        assert any("cache: hit" in n for n in notes(warm)), warm.stderr
        assert warm.stdout == cold.stdout
        assert WL in cold.stdout
    recs = [r["data"] for r in ndjson(warm.stdout) if r["type"] == "event"]
    assert recs == [{"seq": i, "comm": WL} for i in (1, 2, 3)], warm.stdout


@pytest.mark.parametrize("name", ["tp_count.c", "perf_events.c",
                                  "ringbuf_events.c", "bucket_hist.c"])
def test_test_programs_load_warm(cbcc, cache, name, no_leaks):
    d, env = cache
    path = os.path.join(REPO, "tests", "programs", name)
    cold = run([cbcc, "run", "-v", "--compile-only", path], env=env)
    assert cold.returncode == 0, cold.stderr
    warm = run([cbcc, "run", "-v", path, "-d", "1"], env=env)
    assert warm.returncode == 0, warm.stderr
    assert any("cache: hit" in n for n in notes(warm)), warm.stderr


def test_tool_hits_with_same_flags(cbcc, cache, no_leaks):
    d, env = cache
    argv = [cbcc, "opensnoop", "-v", "-d", "1", "-n", WL]
    first = run(argv, env=env)
    assert first.returncode == 0, first.stderr
    second = run(argv, env=env)
    assert second.returncode == 0, second.stderr
    assert any("cache: hit" in n for n in notes(second)), second.stderr
    assert second.stdout == first.stdout
    # Another per-invocation -D value: another key.
    third = run([cbcc, "opensnoop", "-v", "-d", "1", "-p", "1"], env=env)
    assert third.returncode == 0, third.stderr
    assert not any("cache: hit" in n for n in notes(third)), third.stderr


@pytest.mark.parametrize("argv", [
    ["opensnoop", "-n", WL],
    ["funccount", "-p", "1", "t:syscalls:sys_enter_getppid"],
    ["argdist", "-C", "t:syscalls:sys_enter_read():int:args->count"],
], ids=["opensnoop", "funccount", "argdist"])
def test_global_compile_only_warms_the_cache(cbcc, cache, argv, no_leaks):
    """`cbcc --compile-only TOOL ARGS` compiles into the cache and exits
    0 having loaded nothing (no program appears: bpftool, no_leaks); the
    run with the same ARGS then starts from the cache."""
    d, env = cache

    def counts():
        out = run([cbcc, "cache"], env=env).stdout
        return {k: int(v) for k, v in
                re.findall(r"^(hits|stores): +(\d+)", out, re.M)}

    before = run(["bpftool", "-j", "prog", "show"]).stdout
    warm = run([cbcc, "--compile-only"] + argv, env=env)
    assert warm.returncode == 0, warm.stderr
    assert counts() == {"hits": 0, "stores": 1}
    assert run(["bpftool", "-j", "prog", "show"]).stdout == before
    hit = run([cbcc, argv[0], "-d", "1"] + argv[1:], env=env)
    assert hit.returncode == 0, hit.stderr
    assert counts() == {"hits": 1, "stores": 1}


def test_global_compile_only_refuses_what_compiles_nothing(cbcc):
    for cmd in (["bps"], ["cache"], ["export", "x.yaml"]):
        r = run([cbcc, "--compile-only"] + cmd)
        assert r.returncode == 2, r.stderr
        assert r.stderr.splitlines() == [
            f"cbcc {cmd[0]}: error: --compile-only: '{cmd[0]}' compiles "
            "no single BPF program"], r.stderr
        assert r.stdout == ""


def changed_inputs(tmp_path, program):
    byte = tmp_path / "byte.c"
    byte.write_text(PROGRAM + " ")
    return [[str(byte)], ["--cflag=-DCBCC_CACHE_TEST=1", str(program)]]


def test_any_changed_input_misses(cbcc, cache, program, tmp_path,
                                  no_leaks):
    d, env = cache
    r = cbcc_run(cbcc, env, str(program))
    assert r.returncode == 0, r.stderr
    for args in changed_inputs(tmp_path, program):
        n = len(entries(d))
        r = cbcc_run(cbcc, env, *args)
        assert r.returncode == 0, r.stderr
        assert not any("cache: hit" in x for x in notes(r)), (args, r.stderr)
        assert len(entries(d)) == n + 1, args


VERSION_FILE = "include/generated/utsrelease.h"


def headers_tree(dest, real):
    """A kernel headers tree at dest that is real's files (symlinks), but
    for its own include/generated/utsrelease.h, the version file."""
    for sub in ("", "include", "include/generated"):
        os.makedirs(os.path.join(dest, sub))
        for name in os.listdir(os.path.join(real, sub)):
            if os.path.join(sub, name) not in ("include",
                                               "include/generated",
                                               VERSION_FILE):
                os.symlink(os.path.join(real, sub, name),
                           os.path.join(dest, sub, name))
    with open(os.path.join(real, VERSION_FILE)) as f:
        version = f.read()
    with open(os.path.join(dest, VERSION_FILE), "w") as f:
        f.write(version)


def real_headers():
    """The complete tree cbcc compiles against here: the kernel's own, or
    the merge of Debian's split arch and common trees cbcc made."""
    build = "/lib/modules/%s/build" % os.uname().release
    trees = [build] + sorted(glob.glob("/var/cache/cbcc/headers/*"))
    return next(t for t in trees
                if os.path.exists(os.path.join(t, "include/linux/kconfig.h"))
                and os.path.exists(os.path.join(t, VERSION_FILE)))


def test_changed_headers_dir_misses(cbcc, cache, program, tmp_path,
                                    no_leaks):
    """The key covers which headers tree compiled the program (its path)
    and its version file: another tree, or the same path upgraded,
    misses."""
    d, env = cache
    assert cbcc_run(cbcc, env, str(program)).returncode == 0
    a = str(tmp_path / "hdrs-a")
    headers_tree(a, real_headers())
    argv = ["--kernel-source", a, str(program)]
    for hit in (False, True):
        r = cbcc_run(cbcc, env, *argv)
        assert r.returncode == 0, r.stderr
        assert any("cache: hit" in n for n in notes(r)) == hit, r.stderr
    assert len(entries(d)) == 2
    with open(os.path.join(a, VERSION_FILE), "a") as f:
        f.write("/* upgraded */\n")
    r = cbcc_run(cbcc, env, *argv)
    assert r.returncode == 0, r.stderr
    assert not any("cache: hit" in n for n in notes(r)), r.stderr
    assert len(entries(d)) == 3
    b = str(tmp_path / "hdrs-b")
    os.rename(a, b)
    r = cbcc_run(cbcc, env, "--kernel-source", b, str(program))
    assert r.returncode == 0, r.stderr
    assert not any("cache: hit" in n for n in notes(r)), r.stderr
    assert len(entries(d)) == 4
    assert WL in r.stdout


def test_own_headers_are_not_cached(cbcc, cache, tmp_path, no_leaks):
    d, env = cache
    (tmp_path / "mine.h").write_text("#define LIMIT 1\n")
    p = tmp_path / "inc.c"
    p.write_text('#include "mine.h"\n' + PROGRAM)
    for _ in range(2):
        r = run([cbcc, "run", "-v", "--cflag=-I" + str(tmp_path),
                 "--compile-only", str(p)], env=env)
        assert r.returncode == 0, r.stderr
        assert any("not caching" in n and "header" in n for n in notes(r))
    assert entries(d) == []


@pytest.mark.parametrize("damage", ["flip", "truncate", "chown",
                                    "group-writable"])
def test_damaged_entry_dropped_and_recompiled(cbcc, cache, program, damage,
                                              no_leaks):
    d, env = cache
    cold = cbcc_run(cbcc, env, str(program))
    assert cold.returncode == 0, cold.stderr
    [name] = entries(d)
    path = d / name
    data = path.read_bytes()
    if damage == "flip":
        i = len(data) // 2
        path.write_bytes(data[:i] + bytes([data[i] ^ 0x40]) + data[i + 1:])
    elif damage == "truncate":
        path.write_bytes(data[:len(data) - 9])
    elif damage == "chown":
        os.chown(path, 65534, 65534)
    else:
        os.chmod(path, 0o660)
    r = cbcc_run(cbcc, env, str(program))
    assert r.returncode == 0, r.stderr
    assert any("cache: dropped" in n for n in notes(r)), r.stderr
    assert any("cache: stored" in n for n in notes(r)), r.stderr
    assert r.stdout == cold.stdout
    st = os.stat(path)
    assert st.st_uid == os.geteuid() and not st.st_mode & 0o022
    assert path.read_bytes() == data


def test_racing_cold_processes_both_succeed(cbcc, cache, program,
                                            no_leaks):
    d, env = cache
    procs = [subprocess.Popen([cbcc, "run", "--compile-only", str(program)],
                              env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    assert len(entries(d)) == 1
    assert [f for f in os.listdir(d) if f.startswith(".tmp-")] == []
    r = cbcc_run(cbcc, env, str(program))
    assert any("cache: hit" in n for n in notes(r)), r.stderr


def test_unusable_directory_costs_only_the_cache(cbcc, program, tmp_path,
                                                 no_leaks):
    bad = tmp_path / "open"
    bad.mkdir(mode=0o777)
    os.chmod(bad, 0o777)
    for where in ("/proc/version/cache", str(bad)):
        env = dict(os.environ, CBCC_CACHE_DIR=where)
        r = cbcc_run(cbcc, env, str(program))
        assert r.returncode == 0, r.stderr
        assert WL in r.stdout
        assert notes(r), r.stderr
    assert os.listdir(bad) == []


@pytest.mark.parametrize("off", [["env"], ["--no-cache"]])
def test_turned_off(cbcc, cache, program, off, no_leaks):
    d, env = cache
    argv = [cbcc, "run", "--compile-only", str(program)]
    if off == ["env"]:
        env = dict(env, CBCC_CACHE="0")
    else:
        argv.insert(1, "--no-cache")
    r = run(argv, env=env)
    assert r.returncode == 0, r.stderr
    assert entries(d) == []


def peak_rss_kib(argv, env):
    """Peak RSS of argv and every process it waited for (the helper)."""
    code = ("import resource, subprocess, sys\n"
            "r = subprocess.run(sys.argv[1:], capture_output=True)\n"
            "print(r.returncode, resource.getrusage("
            "resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    out = subprocess.run([PY, "-c", code] + argv, env=env,
                         capture_output=True, text=True, check=True).stdout
    rc, kib = out.split()
    assert rc == "0"
    return int(kib)


def test_warm_start_never_maps_the_compiler(cbcc, cache, program,
                                            no_leaks):
    """Cold runs cbcc-compile (clang, LLVM: tens of MiB); warm does not."""
    d, env = cache
    argv = [cbcc, "run", "--compile-only", str(program)]
    cold = peak_rss_kib(argv, env)
    warm = peak_rss_kib(argv, env)
    assert len(entries(d)) == 1
    assert warm * 3 < cold, (warm, cold)


def test_cache_command_stats_and_clear(cbcc, cache, program, no_leaks):
    d, env = cache
    r = run([cbcc, "cache", "--json"], env=env)
    assert r.returncode == 0, r.stderr
    assert ndjson(r.stdout) == [{"directory": str(d), "enabled": True,
                                 "entries": 0, "bytes": 0,
                                 "max_bytes": 64 << 20, "hits": 0,
                                 "stores": 0}]
    # One cold start (stored), then three warm ones at once: the hit
    # counter is shared by concurrent processes and loses none.
    assert cbcc_run(cbcc, env, str(program)).returncode == 0
    warm = [subprocess.Popen([cbcc, "run", "--compile-only", str(program)],
                             env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE) for _ in range(3)]
    assert [p.wait(timeout=60) for p in warm] == [0, 0, 0]
    size = os.path.getsize(d / entries(d)[0])
    r = run([cbcc, "cache"], env=dict(env, CBCC_CACHE_MAX="1M"))
    assert r.stdout.splitlines() == [f"directory: {d}", "entries:   1",
                                     f"bytes:     {size} (bound 1048576)",
                                     "hits:      3",
                                     "stores:    1 (compiled on a miss)"]
    r = run([cbcc, "cache", "clear"], env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"removed 1 entries from {d}\n"
    assert entries(d) == []
    r = run([cbcc, "cache", "--json"], env=env)
    assert ndjson(r.stdout)[0]["hits"] == 0
    r = run([cbcc, "cache", "frobnicate"], env=env)
    assert r.returncode == 2
    assert r.stderr == ("cbcc cache: error: unknown cache command "
                        "'frobnicate' (stats or clear)\n")


def test_cache_command_refuses_foreign_directory(cbcc, tmp_path):
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    os.chmod(open_dir, 0o777)
    (open_dir / ("0" * 64)).write_text("not ours")
    r = run([cbcc, "cache", "clear"],
            env=dict(os.environ, CBCC_CACHE_DIR=str(open_dir)))
    assert r.returncode == 1
    assert len(r.stderr.splitlines()) == 1 and "cannot clear" in r.stderr
    assert os.listdir(open_dir) == ["0" * 64]


def test_size_bound_evicts_least_recently_used(cbcc, cache, program,
                                               tmp_path, no_leaks):
    d, env = cache
    assert cbcc_run(cbcc, env, str(program)).returncode == 0
    [first] = entries(d)
    size = os.path.getsize(d / first)
    other = tmp_path / "other.c"
    other.write_text(PROGRAM + "\n/* another key */\n")
    # Room for one entry: storing the second evicts the first.
    r = cbcc_run(cbcc, dict(env, CBCC_CACHE_MAX=str(size + size // 2)),
                 str(other))
    assert r.returncode == 0, r.stderr
    assert any("evicted 1" in n for n in notes(r)), r.stderr
    assert len(entries(d)) == 1 and entries(d) != [first]
