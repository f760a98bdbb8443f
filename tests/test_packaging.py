"""The Debian packages (make deb), their man pages and bash completion.

`make deb` builds both packages once per session (from the committed tree,
and not again while HEAD's tree is unchanged).  They are installed with
dpkg itself into a scratch root (`dpkg --root`), which proves the files,
the package database entries and the purge; dpkg cannot check Depends
there (the root holds no libc), so Depends are checked against this host
instead (apt-get resolves them, every one is installed here) and the
installed cbcc runs on the host's libraries (ldd finds all of them).
cbcc-core is run from a chroot that holds nothing but the package and
libc, which is what "depends on libc only" means.  Nothing is installed
on the host.
"""
import glob
import gzip
import os
import re
import shutil
import subprocess
import time

import pytest

from conftest import IN_VM, REPO, ndjson, run

pytestmark = pytest.mark.skipif(IN_VM, reason="host lane only")

OUT = os.path.join(REPO, "build", "deb")
PROGS = os.path.join(REPO, "tests", "programs")
BINARIES = ("cbcc", "cbcc-core")
PLUGIN = "python3-pytest-cbcc"
PACKAGES = BINARIES + (PLUGIN,)


def version():
    with open(os.path.join(REPO, "VERSION")) as f:
        return f.read().strip()


@pytest.fixture(scope="session")
def debs():
    if not os.path.isdir(os.path.join(REPO, ".git")) and \
            not os.path.isfile(os.path.join(REPO, ".git")):
        pytest.skip("make deb packages the git HEAD: not a git checkout")
    r = run(["make", "-C", REPO, "deb"], timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    v = version()
    paths = {}
    for name in PACKAGES:
        found = glob.glob(os.path.join(OUT, f"{name}_{v}_*.deb"))
        assert len(found) == 1, (name, found)
        paths[name] = found[0]
    return paths


@pytest.fixture(scope="session")
def root(debs, tmp_path_factory):
    """The packages installed by dpkg into an empty root."""
    r = str(tmp_path_factory.mktemp("dpkgroot"))
    for d in ("info", "updates", "triggers"):
        os.makedirs(os.path.join(r, "var/lib/dpkg", d))
    for f in ("status", "available"):
        open(os.path.join(r, "var/lib/dpkg", f), "w").close()
    res = run(["dpkg", f"--root={r}", "--force-depends", "--install",
               *(debs[p] for p in PACKAGES)])
    assert res.returncode == 0, res.stdout + res.stderr
    yield r
    shutil.rmtree(r, ignore_errors=True)


def dpkg_status(root, pkg):
    return run(["dpkg-query", f"--admindir={root}/var/lib/dpkg", "-W",
                "-f=${Status} ${Version}", pkg]).stdout


def field(deb, name):
    return run(["dpkg-deb", "-f", deb, name]).stdout.strip()


# -- the packages ----------------------------------------------------------

def test_versions_agree(debs, root):
    v = version()
    for name in BINARIES:
        assert field(debs[name], "Version") == v
        assert dpkg_status(root, name) == f"install ok installed {v}"
        out = run([os.path.join(root, "usr/bin", name), "--version"])
        assert out.stdout == f"{name} {v}\n"
    changelog = run(["dpkg-parsechangelog", "-l",
                     os.path.join(REPO, "packaging/debian/changelog"),
                     "-SVersion"]).stdout.strip()
    assert changelog == v


def test_source_package_built(debs):
    v = version()
    assert os.path.exists(os.path.join(OUT, f"cbcc_{v}.dsc"))
    assert glob.glob(os.path.join(OUT, f"cbcc_{v}.tar.*"))


def test_lintian_clean(debs):
    """No error or warning; overrides carry their reason in the file."""
    with open(os.path.join(OUT, "lintian.txt")) as f:
        tags = [l for l in f if re.match(r"^[EW]: ", l)]
    assert not tags, "".join(tags)


def test_cbcc_depends(debs, root):
    """dh_shlibdeps' Depends hold libbcc's library and are met here."""
    deps = field(debs["cbcc"], "Depends")
    assert "libbpfcc" in deps and "libc6" in deps, deps
    assert field(debs["cbcc"], "Recommends") == "linux-headers-amd64"
    for alt in deps.split(","):
        names = [a.split()[0].split(":")[0] for a in alt.split("|")]
        assert any("ok installed" in run(["dpkg-query", "-W",
                                          "-f=${Status}", n]).stdout
                   for n in names), f"{alt.strip()} is not installed here"
    # The compiler helper links libbcc; the tracer itself does not.
    ldd = run(["ldd", os.path.join(root, "usr/libexec/cbcc/cbcc-compile")]
              ).stdout
    assert "libbcc.so" in ldd and "not found" not in ldd, ldd
    ldd = run(["ldd", os.path.join(root, "usr/bin/cbcc")]).stdout
    assert "libbcc.so" not in ldd and "not found" not in ldd, ldd


def test_apt_resolves_the_packages(debs):
    """What `apt install ./cbcc_*.deb` would do, without doing it."""
    if not glob.glob("/var/lib/apt/lists/*Packages*"):
        pytest.skip("no apt lists (apt-get update)")
    r = run(["apt-get", "install", "--simulate", "--no-install-recommends",
             *(debs[p] for p in PACKAGES)])
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(rf"^Inst {PLUGIN} ", r.stdout, re.M), r.stdout
    assert re.search(r"^Inst cbcc ", r.stdout, re.M), r.stdout
    assert re.search(r"^Inst cbcc-core ", r.stdout, re.M), r.stdout


def test_cbcc_core_depends_on_libc_only(debs, root):
    assert re.fullmatch(r"libc6 \(>= [0-9.]+\)",
                        field(debs["cbcc-core"], "Depends"))
    built_using = field(debs["cbcc-core"], "Built-Using")
    for src in ("libbpf", "elfutils", "zlib", "json-c"):
        assert re.search(rf"\b{src} \(= ", built_using), built_using
    ldd = run(["ldd", os.path.join(root, "usr/bin/cbcc-core")]).stdout
    libs = [line.split()[0] for line in ldd.splitlines() if line.strip()]
    assert all(re.match(r"(linux-vdso\.so|libc\.so|/lib64/ld-linux)", l)
               for l in libs), ldd


# -- the installed binaries at work ---------------------------------------

def test_installed_cbcc_runs_a_tracepoint_program(root, no_leaks):
    py = "/usr/bin/python3 -c 'import os; [os.getppid() for i in range(3)]'"
    r = run([os.path.join(root, "usr/bin/cbcc"), "run", "--json",
             os.path.join(PROGS, "tp_count.c"), "-c", py])
    assert r.returncode == 0, r.stderr
    maps = [m for m in ndjson(r.stdout)
            if m["type"] == "map" and m["name"] == "counts"]
    assert any(e["value"] == 3 for e in maps[0]["entries"]), maps


def test_installed_cbcc_port_uses_installed_headers(root, tmp_path):
    """cbcc port runs the packaged helper, which parses against the
    packaged vmlinux.h; the port compiles against /usr/share/cbcc/include."""
    src = tmp_path / "tp_count.c"
    with open(os.path.join(PROGS, "tp_count.c")) as f:
        src.write_text(f.read())
    r = run([os.path.join(root, "usr/bin/cbcc"), "port", str(src)])
    assert r.returncode == 0, r.stderr
    c = run(["clang", "-g", "-O2", "-target", "bpf", "-I",
             os.path.join(root, "usr/share/cbcc/include"), "-c",
             str(tmp_path / "tp_count.bpf.c"), "-o", str(tmp_path / "p.o")])
    assert c.returncode == 0, c.stderr


def xdp_attached(iface):
    return " xdp" in run(["ip", "-d", "link", "show", "dev", iface]).stdout


def test_installed_cbcc_core_xdpcount_in_libc_only_chroot(root, netns,
                                                          no_leaks, tmp_path):
    """cbcc-core from a root holding only the package and libc."""
    ch = str(tmp_path / "chroot")
    shutil.copytree(root, ch, symlinks=True,
                    ignore=shutil.ignore_patterns("dpkg"))
    ldd = run(["ldd", os.path.join(root, "usr/bin/cbcc-core")]).stdout
    for lib in re.findall(r"(/\S+\.so[.0-9]*)", ldd):
        dst = ch + lib
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(os.path.realpath(lib), dst)
    for d in ("proc", "sys"):
        os.makedirs(os.path.join(ch, d), exist_ok=True)
    n = 5
    # A private mount namespace: the mounts go away with the process.
    script = (f"mount -t proc proc {ch}/proc && "
              f"mount --rbind -o ro /sys {ch}/sys && "
              f"exec chroot {ch} /usr/bin/cbcc-core xdpcount --json -m generic "
              f"-d 8 {netns.host_if}")
    p = subprocess.Popen(["unshare", "-m", "--propagation", "private",
                          "sh", "-c", script], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 6
    while not xdp_attached(netns.host_if) and time.time() < deadline:
        assert p.poll() is None, p.communicate()
        time.sleep(0.1)
    assert xdp_attached(netns.host_if), "cbcc-core never attached"
    ping = run(["sh", "-c", netns.exec(f"ping -c {n} -i 0.05 -q "
                                       f"{netns.host_ip}")])
    assert ping.returncode == 0, ping.stdout + ping.stderr
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    totals = {r["key"]: r["packets"] for r in ndjson(out)
              if r["type"] == "total"}
    assert totals.get("icmp") == n, out
    assert not xdp_attached(netns.host_if)


# -- man pages -------------------------------------------------------------

def pages(root):
    return sorted(glob.glob(os.path.join(root, "usr/share/man/man8/*.8.gz")))


def test_man_pages_render_without_warnings(root):
    assert len(pages(root)) >= 4
    env = dict(os.environ, MANWIDTH="80")
    for page in pages(root):
        r = run(["man", "--warnings", "-l", page], env=env)
        assert r.returncode == 0 and r.stderr == "", (page, r.stderr)
        assert "EXAMPLES" in r.stdout, f"{page} has no examples"


def commands(binary):
    out = run([binary, "--help"]).stdout
    return re.findall(r"^  (\S+) ", out.split("Commands:\n")[1].split("\n\n")[0],
                      re.M)


def help_options(text):
    """Option names in --help: the words starting with '-' before the
    two-space gap of each line that starts with an option."""
    names = set()
    for line in text.splitlines():
        m = re.match(r"^ {1,8}(-\S.*?)(?:  |$)", line)
        if m:
            names.update(re.findall(r"(?:^|[ ,])(--?[\w-]+)", m.group(1)))
    return names


def man_options(page):
    """Option names in the OPTIONS section's .TP tags of a page."""
    with gzip.open(page, "rt") as f:
        text = f.read()
    opts = text.split(".SH OPTIONS\n", 1)[1].split("\n.SH ", 1)[0]
    names = set()
    for tag in re.findall(r"^\.TP\n(.*)$", opts, re.M):
        names.update(re.findall(r"\\fB((?:\\-)+[\w\\-]+)\\fR", tag))
    return {n.replace("\\-", "-") for n in names}


@pytest.mark.parametrize("name", BINARIES)
def test_every_command_has_a_page_with_its_help_options(root, name):
    binary = os.path.join(root, "usr/bin", name)
    cmds = commands(binary)
    assert "xdpcount" in cmds and "run" in cmds, cmds
    man8 = os.path.join(root, "usr/share/man/man8")
    assert os.path.exists(os.path.join(man8, f"{name}.8.gz"))
    for cmd in cmds:
        page = os.path.join(man8, f"{name}-{cmd}.8.gz")
        assert os.path.exists(page), f"no man page for {name} {cmd}"
        want = help_options(run([binary, cmd, "--help"]).stdout)
        assert "--help" in want, cmd
        assert man_options(page) == want, f"{name} {cmd}"


# -- bash completion -------------------------------------------------------

def complete(root, *words, loader=False):
    """COMPREPLY for the command line WORDS (the last is completed)."""
    comp = os.path.join(root, "usr/share/bash-completion/completions")
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    if loader:
        # bash-completion's own loader finds the file by command name.
        setup = (". /usr/share/bash-completion/bash_completion; "
                 f"_completion_loader {words[0]}; ")
    else:
        setup = f". {comp}/{words[0]}; "
    script = (setup + f"COMP_WORDS=({quoted}); "
              f"COMP_CWORD={len(words) - 1}; _cbcc; "
              "printf '%s\\n' \"${COMPREPLY[@]}\"")
    env = dict(os.environ, PATH=f"{root}/usr/bin:" + os.environ["PATH"],
               XDG_DATA_DIRS=f"{root}/usr/share")
    r = run(["bash", "-c", script], env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout.split()


@pytest.mark.parametrize("name", BINARIES)
def test_completion_subcommands_and_flags(root, name):
    assert complete(root, name, "xd") == ["xdpcount"]
    assert complete(root, name, "") == commands(
        os.path.join(root, "usr/bin", name))
    keys = complete(root, name, "xdpcount", "--ke")
    assert "--key" in keys and "--keep-pin" in keys, keys
    assert all(k.startswith("--ke") for k in keys), keys
    assert complete(root, name, "xdpcount", "-k", "s") == \
        ["saddr", "sport"]


def test_completion_port(root, tmp_path):
    assert complete(root, "cbcc", "port", "--ch") == ["--check"]
    (tmp_path / "a.c").write_text("")
    (tmp_path / "b.txt").write_text("")
    assert complete(root, "cbcc", "port", f"{tmp_path}/") == \
        [f"{tmp_path}/a.c"]


@pytest.mark.parametrize("name", BINARIES)
def test_completion_found_by_bash_completion(root, name):
    if not os.path.exists("/usr/share/bash-completion/bash_completion"):
        pytest.skip("bash-completion is not installed")
    assert complete(root, name, "xd", loader=True) == ["xdpcount"]


def test_completion_interfaces_tracepoints_programs(root, netns):
    assert netns.host_if in complete(root, "cbcc-core", "xdpcount",
                                     netns.host_if[:4])
    # Bash splits at ':', as COMP_WORDBREAKS says.
    got = complete(root, "cbcc", "funccount", "t", ":", "syscalls", ":",
                   "sys_enter_getpp")
    assert got == ["sys_enter_getppid"], got
    got = complete(root, "cbcc", "trace", "t", ":", "sche")
    assert "sched:sched_process_exec" in got, got
    # A program of our own, so there is one to complete on a quiet host.
    pin = f"/sys/fs/bpf/cbcc-pkgtest-{os.getpid()}"
    obj = os.path.join(REPO, "build", "bpf", "netrx.bpf.o")
    r = run(["bpftool", "prog", "load", obj, pin])
    assert r.returncode == 0, r.stderr
    try:
        ids = complete(root, "cbcc", "bps", "")
        loaded = run(["bpftool", "prog", "show"]).stdout
    finally:
        os.unlink(pin)
    assert ids and all(re.search(rf"^{i}: ", loaded, re.M) for i in ids[:5])


# -- install and purge -----------------------------------------------------

def test_make_install_matches_the_packages(root, tmp_path):
    dest = str(tmp_path / "dest")
    r = run(["make", "-C", REPO, "install", f"DESTDIR={dest}",
             "prefix=/usr"], timeout=900)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    installed = {os.path.relpath(os.path.join(d, f), dest)
                 for d, _, fs in os.walk(dest) for f in fs}
    packaged = set()
    for name in PACKAGES:
        lst = run(["dpkg-query", f"--admindir={root}/var/lib/dpkg", "-L",
                   name]).stdout.split()
        packaged |= {p.lstrip("/").removesuffix(".gz") for p in lst
                     if os.path.isfile(root + p)
                     and not p.startswith(("/usr/share/doc/",
                                           "/usr/share/lintian/"))}
    assert installed == packaged


def test_purge_leaves_nothing(debs, tmp_path):
    """Its own root: install, purge, and only dpkg's database remains."""
    r = str(tmp_path / "root")
    for d in ("info", "updates", "triggers"):
        os.makedirs(os.path.join(r, "var/lib/dpkg", d))
    for f in ("status", "available"):
        open(os.path.join(r, "var/lib/dpkg", f), "w").close()
    res = run(["dpkg", f"--root={r}", "--force-depends", "--install",
               *(debs[p] for p in PACKAGES)])
    assert res.returncode == 0, res.stderr
    assert os.path.exists(os.path.join(r, "usr/bin/cbcc-core"))
    res = run(["dpkg", f"--root={r}", "--purge", *PACKAGES])
    assert res.returncode == 0, res.stderr
    left = [os.path.relpath(os.path.join(d, f), r)
            for d, ds, fs in os.walk(r) for f in fs + ds]
    left = [p for p in left if not p.startswith("var/lib/dpkg")
            and p not in ("var", "var/lib")]
    assert not left, left
    ours = [f for f in os.listdir(os.path.join(r, "var/lib/dpkg/info"))
            if f.startswith(("cbcc", PLUGIN))]
    assert not ours, ours
    status = open(os.path.join(r, "var/lib/dpkg/status")).read()
    assert "Package: cbcc" not in status
    # Nothing of them on the host.
    for name in PACKAGES:
        assert "ok installed" not in run(["dpkg-query", "-W",
                                          "-f=${Status}", name]).stdout


def test_installed_plugin_loads_by_its_entry_point(root, pytester_dir):
    """python3-pytest-cbcc's files alone (no -p): pytest finds the plugin
    through the pytest11 entry point of its dist-info, and its fixtures
    run the packaged cbcc-core."""
    site = os.path.join(root, "usr/lib/python3/dist-packages")
    test = os.path.join(pytester_dir, "test_installed_plugin.py")
    with open(test, "w") as f:
        f.write("def test_btf(cbcc_features):\n"
                "    assert cbcc_features['btf']['available']\n")
    r = run(["/usr/bin/python3", "-m", "pytest", "-q", "-p",
             "no:cacheprovider", f"--rootdir={pytester_dir}",
             f"--cbcc-binary={root}/usr/bin/cbcc-core", test],
            env={**os.environ, "PYTHONPATH": site}, cwd=pytester_dir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 passed" in r.stdout


@pytest.fixture
def pytester_dir(tmp_path):
    return str(tmp_path)
