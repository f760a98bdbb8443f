#!/bin/sh
# run.sh [RELEASE] [-- PYTEST_ARGS...] - the VM lane.
#
# Boots an installed Debian kernel (/boot/vmlinuz-RELEASE) under qemu with
# the host's root as the guest's root (9p, read-only, tmpfs overlay), runs
# the tests marked `vm` there once, streams their output, exits with
# pytest's status.  RELEASE defaults to the newest installed kernel that is
# not the running one.  PYTEST_ARGS replace the default target `tests`.
#
# Environment:
#   CBCC_BIN          binary under test (default REPO/build/cbcc)
#   CBCC_VM_TIMEOUT   lane budget in seconds (900)
#   CBCC_VM_ACCEL     tcg (default), kvm or auto: kvm and auto probe KVM
#                     with a short boot first and fall back to TCG
#   CBCC_VM_CPUS      guest CPUs (2), CBCC_VM_MEM guest memory (4G)
#   CBCC_VM_RESULTS   keep console log, pytest log, junit XML here
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
-*) die "usage: run.sh [RELEASE] [-- PYTEST_ARGS...]" ;;
*) release=$1 ;;
esac
[ $# -gt 0 ] && shift
[ "${1:-}" = -- ] && shift
pytest_args=
if [ $# -eq 0 ]; then
	set -- tests
fi
for a in "$@"; do
	pytest_args="$pytest_args $(quote "$a")"
done

timeout_s=${CBCC_VM_TIMEOUT:-900}
accel=${CBCC_VM_ACCEL:-tcg}
cpus=${CBCC_VM_CPUS:-2}
mem=${CBCC_VM_MEM:-4G}
bin=${CBCC_BIN:-$repo/build/cbcc}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac

qemu=$(command -v qemu-system-x86_64) ||
	die "qemu-system-x86_64 not found: apt-get install qemu-system-x86"
command -v timeout >/dev/null || die "timeout not found (coreutils)"

# Installed kernel images, one release a line.
installed_kernels() {
	for k in /boot/vmlinuz-*; do
		[ -e "$k" ] && echo "${k#/boot/vmlinuz-}"
	done
}

# The newest installed kernel other than the running one: the lane exists
# to test a kernel the host is not running.
if [ -z "$release" ]; then
	release=$(installed_kernels | grep -vx "$(uname -r)" | sort -V |
		tail -n 1)
	[ -n "$release" ] || die "no kernel in /boot to boot:" \
		"apt-get install linux-image-amd64"
fi
kernel=/boot/vmlinuz-$release
[ -r "$kernel" ] || die "$kernel not found: apt-get install" \
	"linux-image-amd64 (installed: $(installed_kernels | tr '\n' ' '))"
[ -d "/lib/modules/$release/kernel" ] ||
	die "/lib/modules/$release missing: its linux-image package is broken"
[ -x "$bin" ] || die "$bin is not built: run 'make' first"
[ -d "/usr/src/linux-headers-$release" ] ||
	say "warning: no headers for $release (apt-get install" \
		"linux-headers-$release): programs compile against others"

if [ -n "${CBCC_VM_RESULTS:-}" ]; then
	results=$CBCC_VM_RESULTS
	mkdir -p "$results" || die "cannot create $results"
	rm -f "$results/status" "$results/pytest.rc" "$results/pytest.log" \
		"$results/junit.xml" "$results/console.log"
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

{
	echo "CBCC_REPO=$(quote "$repo")"
	echo "CBCC_BIN=$(quote "$bin")"
	echo "CBCC_PYTEST_ARGS=$(quote "$pytest_args")"
} >"$work/lane.env"
sh "$here/mkinitramfs.sh" "$release" "$work/initrd.gz" "$work/lane.env" ||
	die "could not build the initramfs for $release"

# Arguments common to the probe and the lane; "$@" is the accelerator.
# Run in the background only: exec makes $! qemu's own pid.
boot() {
	_log=$1
	_append=$2
	shift 2
	exec "$qemu" "$@" -nodefaults -no-user-config -no-reboot \
		-machine pc -smp "$cpus" -m "$mem" \
		-display none -monitor none -serial "file:$_log" \
		-kernel "$kernel" -initrd "$work/initrd.gz" \
		-append "console=ttyS0 quiet loglevel=4 panic=-1 $_append" \
		-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
		-virtfs "local,path=$results,mount_tag=results,security_model=none" \
		</dev/null
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
tcg) accel_args="-accel tcg,thread=multi -cpu ${CBCC_VM_CPU:-qemu64}" ;;
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

# The last pytest -v line without a verdict names the test that ran.
running_test() {
	tr -d '\r' <"$console" | grep -E '^tests/[^ ]*::' | tail -n 1 |
		grep -vE ' (PASSED|FAILED|SKIPPED|ERROR|XFAIL|XPASS)' |
		cut -d' ' -f1
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
	t=$(running_test)
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
	t=$(running_test)
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
say "lane $verdict in ${total}s (kernel $release, $accel)"
# The issue's budget for the whole lane on a 2-core machine.
[ "$total" -gt 600 ] &&
	say "warning: the lane took over 600 s, its budget on 2 cores"
exit "$rc"
