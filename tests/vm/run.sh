#!/bin/sh
# run.sh [KERNEL] [-- PYTEST_ARGS...] - the VM lane on one kernel.
#
# Runs the tests marked `vm` once inside `cbcc vm` (tools/vm.c: a stock
# Debian kernel under qemu, the host's root as the guest's root), with
# tests/vm/guest-pytest.sh as the command, streams their output, prints
# the counts and the slowest tests, exits with pytest's status.  KERNEL
# is a release (6.1.0-57-amd64) or a series (6.12: its newest release),
# installed in /boot or fetched by packaging/fetch-kernel.sh into the
# kernel cache; it defaults to the newest kernel that is not the running
# one.  PYTEST_ARGS replace the default target (the files with vm tests).
#
# Environment (tests/vm/README.md): CBCC_BIN, the binary under test and
# the one whose `vm` boots the guest; CBCC_VM_TIMEOUT, CBCC_VM_ACCEL,
# CBCC_VM_CPUS, CBCC_VM_MEM, CBCC_VM_APPEND become cbcc vm's options;
# CBCC_VM_RESULTS keeps the results; CBCC_VM_JOBS, CBCC_VM_CPU,
# CBCC_VM_TCG_THREAD, CBCC_KERNEL_CACHE and every other variable reach
# cbcc vm and the guest's tests as they are.
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

elapsed() {
	echo $(($(date +%s) - start))
}

kernel=
case ${1:-} in
'' | --) ;;
-*) die "usage: run.sh [KERNEL] [-- PYTEST_ARGS...]" ;;
*) kernel=$1 ;;
esac
[ $# -gt 0 ] && shift
[ "${1:-}" = -- ] && shift
if [ $# -eq 0 ]; then
	# The files that have vm tests: collecting the rest costs seconds
	# under TCG, in each of the guest's pytest processes.
	# shellcheck disable=SC2046
	set -- $(cd "$repo" && grep -lE 'mark\.vm(\W|$)' tests/test_*.py)
	[ $# -gt 0 ] || die "no test file in $repo/tests has a vm test"
fi

timeout_s=${CBCC_VM_TIMEOUT:-1200}
cpus=${CBCC_VM_CPUS:-2}
bin=${CBCC_BIN:-$repo/build/cbcc}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
[ -x "$bin" ] || die "$bin is not built: run 'make' first"
# qemu's size suffixes, as the lane took them: 4G, 4096M, 4096 (MiB).
mem=${CBCC_VM_MEM:-4G}
case $mem in
*[Gg]) mem=$((${mem%?} * 1024)) ;;
*[Mm]) mem=${mem%?} ;;
esac

if [ -n "${CBCC_VM_RESULTS:-}" ]; then
	results=$CBCC_VM_RESULTS
	mkdir -p "$results" || die "cannot create $results"
	rm -f "$results/pytest"* "$results/junit"* "$results/console.log" \
		"$results/durations.json"
	keep=1
else
	results=$(mktemp -d /tmp/cbcc-vm.XXXXXX) || die "mktemp failed"
	keep=0
fi
results=$(cd "$results" && pwd)
out=$(mktemp /tmp/cbcc-vm-out.XXXXXX) || die "mktemp failed"
cleanup() {
	rm -f "$out" "$out.rc"
	[ "$keep" = 1 ] || rm -rf "$results"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
console=$results/console.log

export CBCC_BIN="$bin" CBCC_VM_RESULTS="$results"
export CBCC_VM_JOBS="${CBCC_VM_JOBS:-$cpus}"
say "booting ${kernel:-the newest kernel} (${CBCC_VM_ACCEL:-tcg}," \
	"$cpus cpus, ${mem} MiB) for: pytest -m vm $*"
say "budget ${timeout_s}s; console log: $console"
# cbcc vm streams the guest's stdout (the `vm-test:` lines, then a failing
# job's log), kept in $out for the tests still running at a timeout, and
# with -v its console on stderr (kernel messages: an oops as it happens).
{
	"$bin" vm -v ${kernel:+--kernel "$kernel"} --timeout "$timeout_s" \
		--cpus "$cpus" --mem "$mem" --accel "${CBCC_VM_ACCEL:-tcg}" \
		--rwdir "$results" --console "$console" \
		${CBCC_VM_APPEND:+--append "$CBCC_VM_APPEND"} \
		-- sh "$here/guest-pytest.sh" "$@"
	echo $? >"$out.rc"
} | tee "$out"
rc=$(cat "$out.rc" 2>/dev/null || echo 125)
# guest.sh names the kernel on the console: "vm-guest: kernel R, ...".
release=$(tr -d '\r' <"$console" 2>/dev/null |
	sed -n 's/.*vm-guest: kernel \([^,]*\),.*/\1/p' | head -n 1)

# Tests started and not finished, from the guest's `vm-test:` lines
# (tests/vm/vm_jobs.py).
running_tests() {
	awk '$1 == "vm-test:" {
		if ($2 == "START") run[$3] = 1; else delete run[$3] }
		END { for (t in run) printf "%s ", t }' "$out"
}

total=$(elapsed)
# Nothing on the console: cbcc vm stopped before qemu (its error line is
# above), whatever its status says.
if [ ! -s "$console" ]; then
	keep=1
	die "cbcc vm did not start the VM (status $rc)"
fi
case $rc in
0 | 1 | 2 | 3 | 4 | 5) ;;
124)
	keep=1
	t=$(running_tests)
	die "timeout: lane exceeded ${timeout_s}s, qemu killed;" \
		"running: ${t:-no test started}; results kept in $results"
	;;
*)
	keep=1
	t=$(running_tests)
	die "the VM failed (cbcc vm status $rc); running: ${t:-none};" \
		"results kept in $results"
	;;
esac
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
	--durations "$results/durations.json" >"$out" 2>&1 ||
	echo "0 passed, 0 failed (no summary: $(tail -n 1 "$out"))" >"$out"
sed -n '2,$s/^/vm: /p' "$out"
counts=$(head -n 1 "$out")
say "lane $verdict in ${total}s (kernel ${release:-$kernel}," \
	"${CBCC_VM_ACCEL:-tcg}): $counts"
# The issue's budget for the whole lane on a 2-core machine.
[ "$total" -gt 600 ] &&
	say "warning: the lane took over 600 s, its budget on 2 cores"
exit "$rc"
