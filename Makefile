# cbcc - BCC-compatible runtime-compiling eBPF tracer.
# make [all] | deps | demo | test | test-host | test-vm | bench | compare |
#      install | clean
# V=1 shows commands; SANITIZE=1 builds with ASan+UBSan into build/san.

prefix ?= /usr/local
DESTDIR ?=
PYTHON ?= /usr/bin/python3
KERNEL ?=

ifeq ($(SANITIZE),1)
OUT ?= build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	    -fno-sanitize-recover=undefined
else
OUT ?= build
SANFLAGS :=
endif

CC ?= gcc
CFLAGS ?= -O2 -g
WARNFLAGS := -Wall -Wextra -Werror -Wno-missing-field-initializers \
	     -Wno-format-truncation
ALL_CFLAGS := -std=gnu11 $(CFLAGS) $(WARNFLAGS) $(SANFLAGS) -D_GNU_SOURCE \
	      -Iruntime -Iruntime/common -Iruntime/bcc -I$(OUT) $(EXTRA_CFLAGS)
ALL_LDFLAGS := $(LDFLAGS) $(SANFLAGS) $(EXTRA_LDFLAGS)
LIBS := -lbcc -lbpf -ljson-c -lelf -lz

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' '$(1)' '$(2)';
endif

# runtime/common: what both engines use; runtime/bcc: what only the libbcc
# engine needs (runtime compilation); runtime/core: the libbpf engine.
RUNTIME_SRCS := $(wildcard runtime/common/*.c)
BCC_SRCS := $(wildcard runtime/bcc/*.c)
TOOL_SRCS := $(wildcard tools/*.c)
BPF_SRCS := $(wildcard bpf_src/*.bcc.c)
BPF_HDRS := $(wildcard bpf_src/*.h)

RUNTIME_OBJS := $(patsubst %.c,$(OUT)/%.o,$(RUNTIME_SRCS))
TOOL_OBJS := $(patsubst %.c,$(OUT)/%.o,$(TOOL_SRCS))
BCC_OBJS := $(patsubst %.c,$(OUT)/%.o,$(BCC_SRCS)) $(OUT)/embedded.o

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))

.DELETE_ON_ERROR:
.PHONY: all deps demo test test-host test-unit test-san test-vm bench \
	compare install clean

all: $(OUT)/cbcc

$(OUT)/cbcc: $(TOOL_OBJS) $(RUNTIME_OBJS) $(BCC_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(OUT)/%.o: %.c $(wildcard runtime/*.h runtime/*/*.h tools/*.h bpf_src/*.h) | $(OUT)/embedded.c
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(OUT)/embedded.c: tools/gen-embedded.sh $(BPF_SRCS) $(BPF_HDRS)
	$(call msg,EMBED,$@)
	$(Q)mkdir -p $(@D)
	$(Q)sh tools/gen-embedded.sh $@ $(BPF_SRCS)

$(OUT)/embedded.o: $(OUT)/embedded.c runtime/common/embedded.h
	$(call msg,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

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

test-unit: $(UNIT_BINS)
	$(Q)set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

# The sanitizer build: unit tests plus end-to-end cbcc runs under ASan.
test-san:
	$(MAKE) SANITIZE=1 test-unit build/san/cbcc
	CBCC_BIN=$(CURDIR)/build/san/cbcc $(PYTHON) -m pytest -q -m san tests

# VM-lane tests are collected here too and reported as skipped; the VM
# lane (tests/vm) runs them.
test-host: all test-unit test-san
	$(PYTHON) -m pytest -q tests

# The VM lane tests the binary just built (CBCC_BIN overrides it).
test-vm: all
	CBCC_BIN=$${CBCC_BIN:-$(CURDIR)/$(OUT)/cbcc} sh tests/vm/run.sh $(KERNEL)

test: test-host test-vm

bench: all
	sh tests/bench/run.sh

# cbcc vs cbcc-core per tool, written to $(OUT)/compare.md and compare.svg.
compare: all
	OUT=$(CURDIR)/$(OUT) $(PYTHON) tests/bench/compare.py

demo: deps all
	sh tools/demo.sh $(OUT)/cbcc

deps:
	sh packaging/deps.sh

install: all
	install -D -m 0755 $(OUT)/cbcc $(DESTDIR)$(prefix)/bin/cbcc

clean:
	rm -rf build
