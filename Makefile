# cbcc - BCC-compatible runtime-compiling eBPF tracer.
# make [all] | deps | demo | test | test-host | test-vm | fuzz | bench |
#      compare | man | install | deb | clean
# Builds two binaries: cbcc (libbcc, compiles BPF C at run time) and
# cbcc-core (libbpf CO-RE objects built here, needs only libc at run time).
# V=1 shows commands; SANITIZE=1 builds with ASan+UBSan into build/san;
# FUZZ_SECONDS=N sets how long `make fuzz` runs each harness.

prefix ?= /usr/local
libexecdir ?= $(prefix)/libexec
DESTDIR ?=
PYTHON ?= /usr/bin/python3
KERNEL ?=
# The one place the version is written: --version of both binaries, the
# man pages and the Debian packages (make deb checks debian/changelog).
VERSION := $(shell cat VERSION)

ifeq ($(SANITIZE),1)
OUT ?= build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	    -fno-sanitize-recover=undefined
else
OUT ?= build
SANFLAGS :=
endif

CC ?= gcc
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' \
	  -e 's/ppc64le/powerpc/' -e 's/s390x/s390/' -e 's/riscv64/riscv/')
# The BTF vmlinux.h is generated from (see README: "vmlinux.h").
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
CFLAGS ?= -O2 -g
WARNFLAGS := -Wall -Wextra -Werror -Wno-missing-field-initializers \
	     -Wno-format-truncation
ALL_CFLAGS := -std=gnu11 $(CPPFLAGS) $(CFLAGS) $(WARNFLAGS) $(SANFLAGS) -D_GNU_SOURCE \
	      -Iruntime -Iruntime/common -Iruntime/bcc -Iruntime/core -I$(OUT) $(EXTRA_CFLAGS)
ALL_LDFLAGS := $(LDFLAGS) $(SANFLAGS) $(EXTRA_LDFLAGS)
# cbcc itself links no libbcc: only cbcc-compile does (COMPILE_LIBS), so
# the tracer never maps clang or LLVM.
LIBS := -lbpf -ljson-c -ldw -lelf -lz -lmicrohttpd -lyaml -lnettle
COMPILE_LIBS := -lbcc -lz -lpthread
# cbcc-port (`cbcc port`) alone links libclang (Debian's libclang-14-dev).
LLVM_DIR ?= /usr/lib/llvm-14
PORT_CFLAGS := -I$(LLVM_DIR)/include
PORT_LIBS := -L$(LLVM_DIR)/lib -lclang
# cbcc-core: everything but libc linked in, so it runs where no libbpf,
# libelf or json-c is installed (Debian ships the .a files; libdw's needs
# the compressors elfutils is built with).
CORE_LIBS := -Wl,-Bstatic -lbpf -ljson-c -ldw -lelf -lz -llzma -lbz2 -lzstd \
	     -lyaml -Wl,-Bdynamic
# <bpf/usdt.bpf.h> (funccount's USDT program) includes <linux/errno.h>,
# which wants <asm/errno.h> from the host's multiarch directory.
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(OUT) -Ibpf_src \
	      $(if $(MULTIARCH),-idirafter /usr/include/$(MULTIARCH)) \
	      -Wall -Werror $(EXTRA_BPF_CFLAGS)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' '$(1)' '$(2)';
endif

# runtime/common: what both engines use; runtime/bcc: what only the
# runtime-compiling engine needs; runtime/compile: cbcc-compile, the helper
# that alone links libbcc; runtime/core: the libbpf engine.
RUNTIME_SRCS := $(wildcard runtime/common/*.c)
BCC_SRCS := $(wildcard runtime/bcc/*.c)
COMPILE_OBJS := $(patsubst %.c,$(OUT)/%.o,$(wildcard runtime/compile/*.c)) \
		$(OUT)/runtime/common/loadable.o $(OUT)/runtime/common/log.o
PORT_OBJS := $(patsubst %.c,$(OUT)/%.o,$(wildcard runtime/port/*.c))
CORE_SRCS := $(wildcard runtime/core/*.c)
TOOL_SRCS := $(wildcard tools/*.c)
BPF_SRCS := $(wildcard bpf_src/*.bcc.c)
BPF_HDRS := $(wildcard bpf_src/*.h)
# CO-RE tools: adding bpf_src/X.bpf.c beside tools/X.c is all it takes to
# embed X in cbcc-core (a skeleton, X_bpf__elf_bytes(), behind
# embedded_module("X")).  A bpf_src/X.bpf.c without a tool (netrx, the
# demo's hand port) is built as $(OUT)/bpf/X.bpf.o for `cbcc-core run`.
CORE_BPF_SRCS := $(wildcard bpf_src/*.bpf.c)
CORE_ALL_NAMES := $(patsubst bpf_src/%.bpf.c,%,$(CORE_BPF_SRCS))
CORE_NAMES := $(foreach n,$(CORE_ALL_NAMES),$(if $(wildcard tools/$(n).c),$(n)))
CORE_EXAMPLES := $(patsubst %,$(OUT)/bpf/%.bpf.o,\
		 $(filter-out $(CORE_NAMES),$(CORE_ALL_NAMES)))
CORE_SKELS := $(patsubst %,$(OUT)/%.skel.h,$(CORE_NAMES))

RUNTIME_OBJS := $(patsubst %.c,$(OUT)/%.o,$(RUNTIME_SRCS))
TOOL_OBJS := $(patsubst %.c,$(OUT)/%.o,$(TOOL_SRCS))
BCC_OBJS := $(patsubst %.c,$(OUT)/%.o,$(BCC_SRCS)) $(OUT)/embedded.o
CORE_ELF_OBJS := $(patsubst %,$(OUT)/core_obj/%.o,$(CORE_NAMES))
CORE_OBJS := $(patsubst %.c,$(OUT)/%.o,$(CORE_SRCS)) $(OUT)/embedded_core.o \
	     $(CORE_ELF_OBJS)
# main.c is built once per binary; every other tool object is shared, and
# cbcc-core takes them from an archive so that tools its command table
# leaves out (those that compile at run time) are not linked in.
CORE_TOOL_OBJS := $(filter-out $(OUT)/tools/main.o,$(TOOL_OBJS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))

# libFuzzer harnesses (tests/fuzz): clang, ASan + UBSan, over the
# engine-neutral parsers (plus probe_gen, which turns parsed probes to C).
FUZZ_SECONDS ?= 60
FUZZ_SHORT := 10
FUZZ_OUT := build/fuzz
FUZZ_CC := clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	    -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu11 -O1 -g $(WARNFLAGS) -Wno-unknown-warning-option \
	       $(FUZZ_SAN) -D_GNU_SOURCE -Iruntime -Iruntime/common \
	       -Iruntime/bcc -Itests/fuzz
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(FUZZ_OUT)/%,$(FUZZ_SRCS))
FUZZ_OBJS := $(patsubst %.c,$(FUZZ_OUT)/%.o,$(RUNTIME_SRCS) \
	       runtime/bcc/probe_gen.c runtime/bcc/argdist_gen.c \
	       runtime/bcc/usdt_gen.c)

.DELETE_ON_ERROR:
.PHONY: all deps demo test test-host test-unit test-san test-vm bench \
	compare man install deb clean fuzz fuzz-build test-fuzz FORCE

# vmlinux.h too: the tests compile CO-RE programs against it.
all: $(OUT)/cbcc $(OUT)/cbcc-compile $(OUT)/cbcc-port $(OUT)/cbcc-core \
     $(OUT)/vmlinux.h $(CORE_EXAMPLES)

$(OUT)/cbcc: $(TOOL_OBJS) $(RUNTIME_OBJS) $(BCC_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(OUT)/cbcc-compile: $(COMPILE_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(COMPILE_LIBS)

$(OUT)/cbcc-port: $(PORT_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PORT_LIBS)

# Where cbcc-port looks for vmlinux.h and cbcc's BPF headers when not in a
# build tree (`make install` puts them there).
$(PORT_OBJS): ALL_CFLAGS += $(PORT_CFLAGS) \
	-DCBCC_DATADIR='"$(prefix)/share"'

# Where cbcc looks for cbcc-compile when it is not beside it.
$(OUT)/runtime/bcc/compile_client.o: \
	ALL_CFLAGS += -DCBCC_LIBEXECDIR='"$(libexecdir)"'

$(OUT)/cbcc-core: $(OUT)/tools/main-core.o $(CORE_OBJS) $(OUT)/libtools.a \
		  $(OUT)/libruntime.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CORE_LIBS)

# main.c prints the version (and progcache.c keys on it, below): only they
# are rebuilt when VERSION changes.
$(OUT)/tools/main.o $(OUT)/tools/main-core.o: VERSION
$(OUT)/tools/main.o $(OUT)/tools/main-core.o: \
	ALL_CFLAGS += -DCBCC_VERSION='"$(VERSION)"'
# The program cache's key holds the version too (a new cbcc, a new key).
$(OUT)/runtime/bcc/progcache.o: VERSION
$(OUT)/runtime/bcc/progcache.o: ALL_CFLAGS += -DCBCC_VERSION='"$(VERSION)"'

$(OUT)/tools/main-core.o: tools/main.c tools/cmd.h runtime/common/log.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -DCBCC_CORE -c -o $@ $<

$(OUT)/libtools.a: $(CORE_TOOL_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

# CO-RE objects: vmlinux.h from the build machine's BTF, each bpf_src/X.bpf.c
# compiled for BPF, its DWARF stripped (.BTF and .BTF.ext stay: CO-RE and
# the map descriptions need them), and a skeleton generated from it.
$(OUT)/vmlinux.h:
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)test -r $(VMLINUX_BTF) || { echo "no BTF at $(VMLINUX_BTF): set VMLINUX_BTF=FILE (a vmlinux with BTF, or /sys/kernel/btf/vmlinux of a BTF kernel)" >&2; exit 1; }
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@

$(OUT)/bpf/%.bpf.o: bpf_src/%.bpf.c $(OUT)/vmlinux.h $(BPF_HDRS)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUT)/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# Rewritten only when the set of tools changes (a file added or removed).
$(OUT)/core_names: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)echo '$(CORE_NAMES)' | cmp -s - $@ 2>/dev/null || \
		echo '$(CORE_NAMES)' > $@

FORCE:

$(OUT)/embedded_core.c: tools/gen-embedded-core.sh $(OUT)/core_names
	$(call msg,GEN,$@)
	$(Q)sh tools/gen-embedded-core.sh $@ $(CORE_NAMES)

# Kept (not removed as intermediates): `cbcc-core run build/bpf/X.bpf.o`
# runs a tool's object by hand, and bpftool can inspect it.
.SECONDARY: $(patsubst %,$(OUT)/bpf/%.bpf.o,$(CORE_NAMES)) \
	    $(patsubst %,$(OUT)/core_obj/%.c,$(CORE_NAMES))

# One file per skeleton, compiled after bpf_src/X.h (see the script).
$(OUT)/core_obj/%.c: $(OUT)/%.skel.h tools/gen-embedded-core.sh
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)sh tools/gen-embedded-core.sh --obj $@ $*

$(CORE_ELF_OBJS): $(OUT)/core_obj/%.o: $(OUT)/core_obj/%.c $(BPF_HDRS)
	$(call msg,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -Ibpf_src -c -o $@ $<

$(OUT)/embedded_core.o: $(OUT)/embedded_core.c runtime/common/embedded.h \
			runtime/engine.h
	$(call msg,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# A tool that includes its skeleton is rebuilt when its BPF side changes.
$(foreach n,$(CORE_NAMES),$(if $(wildcard tools/$(n).c),\
	$(eval $(OUT)/tools/$(n).o: $(OUT)/$(n).skel.h)))

$(OUT)/%.o: %.c $(wildcard runtime/*.h runtime/*/*.h tools/*.h bpf_src/*.h) | $(OUT)/embedded.c
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(OUT)/embedded.c: tools/gen-embedded.sh $(BPF_SRCS) $(BPF_HDRS)
	$(call msg,EMBED,$@)
	$(Q)mkdir -p $(@D)
	$(Q)sh tools/gen-embedded.sh $@ $(BPF_SRCS)

$(OUT)/embedded.o: $(OUT)/embedded.c runtime/common/embedded.h runtime/engine.h
	$(call msg,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The target's system call numbers (funccount counts syscall tracepoints
# from raw_syscalls by number), from its <asm/unistd.h>.
$(OUT)/syscall_table.h: tools/gen-syscall-table.sh
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)sh tools/gen-syscall-table.sh $@ '$(CC)'

$(OUT)/runtime/common/syscall_nr.o: $(OUT)/syscall_table.h
$(FUZZ_OUT)/runtime/common/syscall_nr.o: $(OUT)/syscall_table.h
$(FUZZ_OUT)/runtime/common/syscall_nr.o: FUZZ_CFLAGS += -I$(OUT)

# C unit tests: cmocka, linked against the engine-neutral runtime only.
# Through an archive, so a test pulls in just the objects it uses (engine.o
# needs an engine_*.o that tests do not link).
$(OUT)/libruntime.a: $(RUNTIME_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(OUT)/tests/%: tests/unit/%.c $(OUT)/libruntime.a
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ -lcmocka $(LIBS)

# The core engine's own units (BTF -> type descriptions) need its objects.
$(OUT)/tests/test_btf_desc: tests/unit/test_btf_desc.c \
			    $(OUT)/runtime/core/btf_desc.o $(OUT)/libruntime.a
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ -lcmocka $(LIBS)

# Minimal BTF: relocations through it are compared with the whole BTF's
# on the tools' own objects.
$(OUT)/tests/test_min_btf: tests/unit/test_min_btf.c \
			   $(OUT)/runtime/core/min_btf.o \
			   $(OUT)/runtime/core/min_btf_cache.o $(OUT)/libruntime.a \
			   | $(patsubst %,$(OUT)/bpf/%.bpf.o,$(CORE_NAMES))
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -DBPF_OBJ_DIR='"$(abspath $(OUT))/bpf"' \
		$(ALL_LDFLAGS) -o $@ $(filter %.c %.o %.a,$^) -lcmocka $(LIBS)

test-unit: $(UNIT_BINS)
	$(Q)set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

$(FUZZ_OUT)/%.o: %.c $(wildcard runtime/*.h runtime/*/*.h)
	$(call msg,FUZZCC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_OUT)/libruntime.a: $(FUZZ_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_OUT)/libruntime.a
	$(call msg,FUZZLD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_OUT)/libruntime.a -lbpf -ljson-c -lelf -lz

fuzz-build: $(FUZZ_BINS)

# Every harness for FUZZ_SECONDS, after its kept corpus.
fuzz: fuzz-build
	$(Q)set -e; for b in $(FUZZ_BINS); do \
		sh tests/fuzz/run.sh $$b $$(basename $$b) $(FUZZ_SECONDS); done

# The short run `make test` does: the kept corpus plus FUZZ_SHORT seconds.
test-fuzz: fuzz-build
	$(Q)set -e; for b in $(FUZZ_BINS); do \
		sh tests/fuzz/run.sh $$b $$(basename $$b) $(FUZZ_SHORT) 1; done

# The sanitizer build: unit tests, then every host-lane pytest test with
# build/san/cbcc.  Reports (ASan, UBSan, LSan at exit) go to files that
# conftest.py turns into a failure of the test that caused them; LSan
# suppresses libbcc's and LLVM's process-lifetime allocations only
# (tests/lsan.supp says why).  exitcode 86: a sanitizer failure is never
# mistaken for cbcc's own exit status 1.  SAN_TESTS=-m san: the quick
# subset.  The corpus-rate measurement (minutes of clang per program) is
# the normal pass's: what it runs of cbcc-port, the per-construct tests
# run here too.
SAN_REPORTS := $(CURDIR)/build/san/reports
SAN_TESTS ?= -m "not corpus"
SAN_ENV := CBCC_BIN=$(CURDIR)/build/san/cbcc \
	CBCC_CORE_BIN=$(CURDIR)/build/san/cbcc-core CBCC_SAN_REPORTS=$(SAN_REPORTS) \
	ASAN_OPTIONS=detect_leaks=1:exitcode=86:log_path=$(SAN_REPORTS)/asan \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86:log_path=$(SAN_REPORTS)/ubsan \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0
test-san:
	$(MAKE) SANITIZE=1 test-unit build/san/cbcc build/san/cbcc-compile \
		build/san/cbcc-port build/san/cbcc-core build/san/vmlinux.h
	rm -rf $(SAN_REPORTS) && mkdir -p $(SAN_REPORTS)
	$(SAN_ENV) $(PYTHON) -m pytest -q $(SAN_TESTS) tests

# VM-lane tests are collected here too and reported as skipped; the VM
# lane (tests/vm) runs them.
test-host: all test-unit test-san test-fuzz
	$(PYTHON) -m pytest -q tests

# The VM lane on each kernel in VM_KERNELS (KERNEL= picks one: a series or
# a release), testing the binaries just built: CBCC_BIN (default
# $(OUT)/cbcc) boots the guest (`cbcc vm`), and it and every other
# variable reach the guest's tests, which see the host's whole root, so
# any binary in $(OUT) is there.
# make test runs both of Debian's stock kernels: 6.1 (kprobes, fentry, no
# fprobe) and 6.12 (kprobe.multi links too).  On a quiet 2-core host each
# lane takes about 6 minutes of its 10 (tests/vm/README.md, "Figures").
VM_KERNELS ?= 6.1 6.12
test-vm: all
	CBCC_BIN=$${CBCC_BIN:-$(CURDIR)/$(OUT)/cbcc} \
	CBCC_CORE_BIN=$${CBCC_CORE_BIN:-$(CURDIR)/$(OUT)/cbcc-core} \
		sh tests/vm/lanes.sh $(or $(KERNEL),$(VM_KERNELS))

test: test-host test-vm

bench: all
	sh tests/bench/run.sh

# cbcc vs cbcc-core per tool, written to $(OUT)/compare.md and compare.svg;
# then the rate of `cbcc port` over real BCC programs (ported, compiles,
# verified), per program with the cause of each failure.
compare: all
	OUT=$(CURDIR)/$(OUT) $(PYTHON) tests/bench/compare.py
	OUT=$(CURDIR)/$(OUT) $(PYTHON) tests/bench/port_rate.py

demo: deps all
	sh tools/demo.sh $(OUT)/cbcc

deps:
	sh packaging/deps.sh

# Section 8 pages, one per binary and one per subcommand, generated from
# the built binaries' --help plus packaging/man/*.man (descriptions,
# examples), so that a page cannot describe options the binary lacks.
MAN_SRCS := packaging/man/genman.py $(wildcard packaging/man/*.man)

$(OUT)/man/.stamp: $(OUT)/cbcc $(OUT)/cbcc-port $(OUT)/cbcc-core $(MAN_SRCS) VERSION
	$(call msg,GEN,$(OUT)/man)
	$(Q)rm -rf $(OUT)/man && mkdir -p $(OUT)/man
	$(Q)$(PYTHON) packaging/man/genman.py --version $(VERSION) \
		--include packaging/man --out $(OUT)/man $(OUT)/cbcc $(OUT)/cbcc-core
	$(Q)touch $@

man: $(OUT)/man/.stamp

# What the Debian packages hold (debian/rules runs this with prefix=/usr):
# the binaries, their man pages, one bash completion file per binary, and
# per binary a copy of what `cbcc vm` runs in its guest (runtime/vm, found
# beside the binary in ../libexec/NAME/vm: each package stands alone).
# pytest-cbcc (packaging/pytest-cbcc): the wheel setuptools builds from
# its pyproject.toml, unpacked where python3 looks (a pure wheel is
# installed by unpacking it), dist-info included: pytest finds the plugin
# through the pytest11 entry point there.  Built from a copy, as
# setuptools writes beside its sources.
PY_VER := $(shell $(PYTHON) -c \
	    'import sys; print("%d.%d" % sys.version_info[:2])')
PYSITE_DEB := $(prefix)/lib/python3/dist-packages
PYSITE_LOCAL := $(prefix)/lib/python$(PY_VER)/dist-packages
PYSITE ?= $(if $(filter /usr,$(prefix)),$(PYSITE_DEB),$(PYSITE_LOCAL))
PLUGIN_WHEEL := $(OUT)/pytest-cbcc/pytest_cbcc-$(VERSION)-py3-none-any.whl

$(PLUGIN_WHEEL): packaging/pytest-cbcc/pyproject.toml VERSION \
		 $(wildcard packaging/pytest-cbcc/pytest_cbcc/*.py)
	$(call msg,WHEEL,$@)
	$(Q)rm -rf $(OUT)/pytest-cbcc && mkdir -p $(OUT)/pytest-cbcc/src
	$(Q)cp -rL packaging/pytest-cbcc/. $(OUT)/pytest-cbcc/src/
	$(Q)cd $(OUT)/pytest-cbcc/src && $(PYTHON) -c \
		'import setuptools.build_meta as b; b.build_wheel("..")' \
		>/dev/null

install: all man $(PLUGIN_WHEEL)
	install -d $(DESTDIR)$(PYSITE)
	$(PYTHON) -m zipfile -e $(PLUGIN_WHEEL) $(DESTDIR)$(PYSITE)
	install -D -m 0755 $(OUT)/cbcc $(DESTDIR)$(prefix)/bin/cbcc
	install -D -m 0755 $(OUT)/cbcc-compile \
		$(DESTDIR)$(libexecdir)/cbcc/cbcc-compile
	install -D -m 0755 $(OUT)/cbcc-port \
		$(DESTDIR)$(libexecdir)/cbcc/cbcc-port
	install -d $(DESTDIR)$(prefix)/share/cbcc/include
	install -m 0644 $(OUT)/vmlinux.h bpf_src/cbcc.bpf.h \
		bpf_src/cbcc_port.bpf.h $(DESTDIR)$(prefix)/share/cbcc/include/
	install -D -m 0755 $(OUT)/cbcc-core $(DESTDIR)$(prefix)/bin/cbcc-core
	install -d $(DESTDIR)$(prefix)/share/man/man8
	install -m 0644 $(OUT)/man/*.8 $(DESTDIR)$(prefix)/share/man/man8/
	for b in cbcc cbcc-core; do \
		install -D -m 0644 packaging/completion/cbcc \
			$(DESTDIR)$(prefix)/share/bash-completion/completions/$$b \
			|| exit 1; \
		install -d $(DESTDIR)$(prefix)/libexec/$$b/vm || exit 1; \
		install -m 0755 runtime/vm/init runtime/vm/guest.sh \
			runtime/vm/mkinitramfs.sh \
			$(DESTDIR)$(prefix)/libexec/$$b/vm/ || exit 1; \
	done

# Source and binary packages of the committed tree (HEAD), built with
# dpkg-buildpackage in a git-archive export; outputs land in $(OUT)/deb.
deb:
	sh packaging/build-deb.sh $(OUT)/deb

clean:
	rm -rf build
