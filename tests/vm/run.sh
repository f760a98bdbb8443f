#!/bin/sh
# run.sh [KERNEL] [-- PYTEST_ARGS...] - the VM lane on one kernel.
#
# Boots a Debian kernel under qemu with the host's root as the guest's root
# (9p, read-only, tmpfs overlay), runs the tests marked `vm` there once,
# streams their output, exits with pytest's status.  KERNEL is a release
# (6.1.0-57-amd64) or a series (6.12: its newest release), installed in
# /boot or fetched by packaging/fetch-kernel.sh into the kernel cache; it
# defaults to the newest installed kernel that is not the running one.
# PYTEST_ARGS replace the default target (the test files with `vm` tests).
#
# Environment:
#   CBCC_BIN          binary under test (default REPO/build/cbcc); every
#                     other CBCC_* variable but CBCC_VM_* (CBCC_CORE_BIN,
#                     ...) is passed to the guest's tests as it is
#   CBCC_VM_TIMEOUT   seconds before qemu is killed (1200; the budget is 600)
#   CBCC_VM_ACCEL     tcg (default), kvm or auto: kvm and auto probe KVM
#                     with a short boot first and fall back to TCG
#   CBCC_VM_CPUS      guest CPUs (2), CBCC_VM_MEM guest memory (4G)
#   CBCC_VM_JOBS      tests run at once in the guest (default: its CPUs)
#   CBCC_VM_RESULTS   keep console log, pytest log, junit XML here
#   CBCC_KERNEL_CACHE fetched kernels (/var/cache/cbcc/kernels)
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
start=$(date +%s)

say() {
	echo "vm: $*"
}

die() {
	echo "vm: error: $*" >&2
	exit 1
}

# Shell-quote one word for the env file the guest sources.
quote() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

elapsed() {
	echo $(($(date +%s) - start))
}

release=
case ${1:-} in
'' | --) ;;
-*) die "usage: run.sh [KERNEL] [-- PYTEST_ARGS...]" ;;
*) release=$1 ;;
esac
[ $# -gt 0 ] && shift
[ "${1:-}" = -- ] && shift
pytest_args=
if [ $# -eq 0 ]; then
	# The files that have vm tests: collecting the rest costs seconds
	# under TCG, in each of the guest's pytest processes.
	# shellcheck disable=SC2046
	set -- $(cd "$repo" && grep -lE 'mark\.vm(\W|$)' tests/test_*.py)
	[ $# -gt 0 ] || die "no test file in $repo/tests has a vm test"
fi
for a in "$@"; do
	pytest_args="$pytest_args $(quote "$a")"
done

timeout_s=${CBCC_VM_TIMEOUT:-1200}
accel=${CBCC_VM_ACCEL:-tcg}
cpus=${CBCC_VM_CPUS:-2}
mem=${CBCC_VM_MEM:-4G}
bin=${CBCC_BIN:-$repo/build/cbcc}
kargs=${CBCC_VM_APPEND-}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac

qemu=$(command -v qemu-system-x86_64) ||
	die "qemu-system-x86_64 not found: apt-get install qemu-system-x86"
command -v timeout >/dev/null || die "timeout not found (coreutils)"

cache=${CBCC_KERNEL_CACHE:-/var/cache/cbcc/kernels}

# Bootable kernels, one "RELEASE ROOT" a line: ROOT is / for a kernel
# installed on the host, the unpacked tree for one fetched into the cache.
kernels() {
	for k in /boot/vmlinuz-*; do
		[ -e "$k" ] && echo "${k#/boot/vmlinuz-} /"
	done
	for d in "$cache"/*/; do
		d=${d%/}
		[ -f "$d/complete" ] && echo "${d##*/} $d/root"
	done
}

# The kernel whose release is $1, else the newest of series $1 (6.12:
# releases starting with "6.12." or "6.12-").
pick() {
	_k=$(kernels | awk -v k="$1" '$1 == k' | head -n 1)
	[ -n "$_k" ] || _k=$(kernels | awk -v k="$1" 'index($1, k ".") == 1 ||
		index($1, k "-") == 1' | sort -V | tail -n 1)
	echo "$_k"
}

if [ -z "$release" ]; then
	release=$(kernels | cut -d' ' -f1 | grep -vx "$(uname -r)" |
		sort -V | tail -n 1)
	[ -n "$release" ] || die "no kernel to boot:" \
		"apt-get install linux-image-amd64, or make deps"
fi
found=$(pick "$release")
[ -n "$found" ] || die "kernel $release not found (have:" \
	"$(kernels | cut -d' ' -f1 | tr '\n' ' ')): make deps installs" \
	"6.1 (linux-image-amd64) and fetches 6.12 (packaging/fetch-kernel.sh)"
release=${found%% *}
kroot=${found#* }
kernel=${kroot%/}/boot/vmlinuz-$release
[ -r "$kernel" ] || die "$kernel not readable"
[ -d "${kroot%/}/lib/modules/$release/kernel" ] ||
	die "${kroot%/}/lib/modules/$release missing: its kernel package is broken"
[ -x "$bin" ] || die "$bin is not built: run 'make' first"
[ -d "${kroot%/}/usr/src/linux-headers-$release" ] ||
	say "warning: no headers for $release (apt-get install" \
		"linux-headers-$release): programs compile against others"

if [ -n "${CBCC_VM_RESULTS:-}" ]; then
	results=$CBCC_VM_RESULTS
	mkdir -p "$results" || die "cannot create $results"
	rm -f "$results/status" "$results/pytest"* "$results/junit"* \
		"$results/console.log" "$results/durations.json"
	keep=1
else
	results=$(mktemp -d /tmp/cbcc-vm.XXXXXX) || die "mktemp failed"
	keep=0
fi
work=$(mktemp -d /tmp/cbcc-vm-boot.XXXXXX) || die "mktemp failed"
qpid=
tpid=
cleanup() {
	[ -n "$qpid" ] && kill -9 "$qpid" 2>/dev/null
	[ -n "$tpid" ] && kill "$tpid" 2>/dev/null
	rm -rf "$work"
	[ "$keep" = 1 ] || rm -rf "$results"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
console=$results/console.log

# The guest's settings.  The tests' own CBCC_* variables go along (a second
# binary, CBCC_CORE_BIN, the compat manifest, ...): paths on the host are
# the same paths in the guest.
{
	echo "CBCC_REPO=$(quote "$repo")"
	echo "CBCC_BIN=$(quote "$bin")"
	echo "CBCC_PYTEST_ARGS=$(quote "$pytest_args")"
	echo "CBCC_KERNEL_ROOT=$(quote "$kroot")"
	echo "CBCC_VM_JOBS=$(quote "${CBCC_VM_JOBS:-$cpus}")"
	env | sed -n 's/^\(CBCC_[A-Za-z0-9_]*\)=.*/\1/p' | sort -u |
		while read -r v; do
			case $v in
			CBCC_VM_* | CBCC_BIN | CBCC_REPO | CBCC_PYTEST_ARGS | \
				CBCC_KERNEL_ROOT | CBCC_LANE) continue ;;
			esac
			eval "val=\${$v}"
			# shellcheck disable=SC2154
			echo "export $v=$(quote "$val")"
		done
} >"$work/lane.env"
sh "$here/mkinitramfs.sh" "$release" "$work/initrd.gz" "$work/lane.env" \
	"$kroot" || die "could not build the initramfs for $release"

kshare=
[ "$kroot" = / ] || kshare="-virtfs local,path=$kroot,mount_tag=kernel,security_model=none,readonly=on,multidevs=remap"

# Arguments common to the probe and the lane; "$@" is the accelerator.
# Run in the background only: exec makes $! qemu's own pid.
# tsc=reliable: under TCG the clocksource watchdog, its timers late on a
# busy host, marks the TSC unstable; the kernel then flips the
# sched_clock static key from a kworker while the other vCPU runs
# sched_clock_cpu(), and Debian 6.12 oopsed on that text patching (int3 at
# sched_clock_cpu+0x9, 13 s after boot, before any test).  TCG's TSC is the
# host's clock on every vCPU.  no_timer_check: on a loaded host the
# kernel's early IO-APIC timer test under TCG can miss its ticks and panic
# ("IO-APIC + timer doesn't work"; seen at load 10).
boot() {
	_log=$1
	_append=$2
	shift 2
	exec "$qemu" "$@" -nodefaults -no-user-config -no-reboot \
		-machine pc -smp "$cpus" -m "$mem" \
		-display none -monitor none -serial "file:$_log" \
		-kernel "$kernel" -initrd "$work/initrd.gz" \
		-append "console=ttyS0 quiet loglevel=4 panic=-1 tsc=reliable no_timer_check $kargs $_append" \
		-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
		-virtfs "local,path=$results,mount_tag=results,security_model=none" \
		${kshare:+$kshare} </dev/null
}

# KVM guests hang on some hosts: only a guest that reaches /init within a
# few seconds proves KVM usable.
if [ "$accel" = kvm ] || [ "$accel" = auto ]; then
	: >"$work/probe.log"
	boot "$work/probe.log" cbcc.probe -accel kvm -cpu host \
		>"$work/probe.out" 2>&1 &
	ppid=$!
	(sleep 20 && kill -9 "$ppid") 2>/dev/null &
	wpid=$!
	wait "$ppid" 2>/dev/null
	kill "$wpid" 2>/dev/null
	if grep -q 'probe ok' "$work/probe.log"; then
		accel=kvm
	else
		say "note: KVM unusable here (no guest in 20 s:" \
			"$(tail -n 1 "$work/probe.out")); using TCG"
		accel=tcg
	fi
fi
case $accel in
kvm) accel_args="-accel kvm -cpu host" ;;
# qemu64, not max: TCG emulates max's AVX at a cost; qemu64 took ~15%
# less CPU time for the same tests here.
tcg) accel_args="-accel tcg,thread=${CBCC_VM_TCG_THREAD:-multi} -cpu ${CBCC_VM_CPU:-qemu64}" ;;
*) die "CBCC_VM_ACCEL=$accel: want tcg, kvm or auto" ;;
esac

say "booting $release ($accel, $cpus cpus, $mem) for: pytest -m vm$pytest_args"
say "budget ${timeout_s}s; console log: $console"
: >"$console"
# shellcheck disable=SC2086
boot "$console" "" $accel_args >"$work/qemu.out" 2>&1 &
qpid=$!
# Stream the console as it is written (serial lines end in CR LF); sed -u
# so that CI logs see each line when it comes.
(tail -n +1 -s 0.5 -f --pid="$qpid" "$console" | sed -u 's/\r$//') &
tpid=$!

timed_out=0
while kill -0 "$qpid" 2>/dev/null; do
	if [ "$(elapsed)" -ge "$timeout_s" ]; then
		timed_out=1
		kill -9 "$qpid" 2>/dev/null
		break
	fi
	sleep 1
done
wait "$qpid" 2>/dev/null
qrc=$?
qpid=
wait "$tpid" 2>/dev/null
tpid=

# Tests started and not finished, from the guest's `vm-test:` lines
# (tests/vm/vm_jobs.py).
running_tests() {
	tr -d '\r' <"$console" | awk '$1 == "vm-test:" {
		if ($2 == "START") run[$3] = 1; else delete run[$3] }
		END { for (t in run) printf "%s ", t }'
}

console_tail() {
	echo "vm: ---- last console lines ----" >&2
	tr -d '\r' <"$console" | tail -n 25 >&2
	echo "vm: ----" >&2
}

total=$(elapsed)
if [ "$timed_out" = 1 ] || [ ! -s "$results/status" ]; then
	keep=1
	say "results kept in $results"
fi
if [ "$timed_out" = 1 ]; then
	t=$(running_tests)
	console_tail
	die "timeout: lane exceeded ${timeout_s}s, qemu killed;" \
		"running: ${t:-no test started}"
fi
if [ ! -s "$results/status" ]; then
	console_tail
	if ! grep -q 'vm-guest:' "$console"; then
		[ -s "$work/qemu.out" ] && cat "$work/qemu.out" >&2
		die "guest failed to boot (qemu status $qrc)"
	fi
	t=$(running_tests)
	die "guest died before the tests finished (qemu status $qrc);" \
		"running: ${t:-none}"
fi
rc=$(cat "$results/status")
case $rc in
0) verdict=passed ;;
5)
	verdict="FAILED: no tests collected (the lane must run tests)"
	rc=1
	;;
*) verdict="FAILED (pytest status $rc)" ;;
esac
[ "$rc" != 0 ] && [ "$keep" = 0 ] && keep=1 &&
	say "results kept in $results"
# Counts, skip reasons and the slowest tests, from the JUnit files.
/usr/bin/python3 "$here/summary.py" "$results" \
	--durations "$results/durations.json" >"$work/summary" 2>&1 ||
	echo "0 passed, 0 failed (no summary: $(tail -n 1 "$work/summary"))" \
		>"$work/summary"
sed -n '2,$s/^/vm: /p' "$work/summary"
counts=$(head -n 1 "$work/summary")
say "lane $verdict in ${total}s (kernel $release, $accel): $counts"
# The issue's budget for the whole lane on a 2-core machine.
[ "$total" -gt 600 ] &&
	say "warning: the lane took over 600 s, its budget on 2 cores"
exit "$rc"
