#!/bin/sh
# funccount.sh [CBCC] - per-event overhead of counting, in one run
# (CBCC: cbcc or cbcc-core).
#
# A C loop calls getppid() N times (best of REPS rounds, ns per call):
#   untraced                  no program on sys_enter_getppid
#   empty program             cbcc run, TRACEPOINT_PROBE that returns 0
#   funccount                 cbcc funccount t:syscalls:sys_enter_getppid
# and prints each cost and funccount's added cost over the empty
# program's (target <= 1.10).  The three are measured in turn ROUNDS
# times and each keeps its best, so a noisy neighbour skews none of them
# more than the others.  A last round with kernel.bpf_stats_enabled
# reads each program's own run time from the kernel (run_time_ns /
# run_cnt), a figure a busy machine hardly disturbs.  Figures only:
# nothing here fails on them.
#
# Environment: CBCC_BIN or CBCC (binary, default build/cbcc),
# N (500000), REPS (5), ROUNDS (3).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cbcc=${1:-${CBCC_BIN:-${CBCC:-$repo/build/cbcc}}}
n=${N:-500000}
reps=${REPS:-5}
rounds=${ROUNDS:-3}

[ -x "$cbcc" ] || { echo "bench: $cbcc is not built" >&2; exit 1; }
# cbcc generates count_0 for the one tracepoint; cbcc-core's precompiled
# program counts by attach cookie.
case $(basename "$cbcc") in
*core*) fcprog=count_tracepoint ;;
*) fcprog=count_0 ;;
esac
# The empty program is BCC C: always run by cbcc (beside cbcc-core).
runner=$(dirname "$cbcc")/cbcc
tmp=$(mktemp -d)
fcpid=
stats=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
cleanup() {
	[ -n "$fcpid" ] && kill -INT "$fcpid" 2>/dev/null && wait "$fcpid" || :
	sysctl -qw kernel.bpf_stats_enabled="$stats" 2>/dev/null || :
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

cat >"$tmp/loop.c" <<'EOC'
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Best-of-reps cost of one getppid() system call, in ns. */
int main(int argc, char **argv)
{
	long n = atol(argv[1]), i;
	int reps = atoi(argv[2]), r;
	double best = 1e30, ns;
	struct timespec a, b;

	(void)argc;
	for (r = 0; r < reps; r++) {
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (i = 0; i < n; i++)
			syscall(SYS_getppid);
		clock_gettime(CLOCK_MONOTONIC, &b);
		ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n;
		if (ns < best)
			best = ns;
	}
	printf("ns_per_call %.1f\n", best);
	return 0;
}
EOC
cc -O2 -o "$tmp/loop" "$tmp/loop.c"

cat >"$tmp/empty.c" <<'EOC'
TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
	return 0;
}
EOC

loop() {
	"$tmp/loop" "$n" "$reps" | sed -n 's/^ns_per_call //p'
}

min() {
	if [ -z "$1" ]; then echo "$2"; else
		awk -v a="$1" -v b="$2" 'BEGIN { print (b < a ? b : a) }'
	fi
}

# ns per run of the loaded program named $1, from bpftool (stats on).
prog_ns() {
	bpftool prog show name "$1" 2>/dev/null | awk '
		{ for (i = 1; i < NF; i++) {
			if ($i == "run_time_ns") t = $(i + 1)
			if ($i == "run_cnt") c = $(i + 1) } }
		END { if (c > 0) printf "%.1f", t / c; else print "?" }'
}

empty_run() {
	"$runner" run --no-maps -c "${1:-$tmp/loop $n $reps}" "$tmp/empty.c" \
		>"$tmp/empty.out" 2>"$tmp/empty.err" ||
		{ cat "$tmp/empty.err" >&2; exit 1; }
	v=$(sed -n 's/^ns_per_call //p' "$tmp/empty.out")
	[ -n "$v" ] || { cat "$tmp/empty.out" "$tmp/empty.err" >&2; exit 1; }
	echo "$v"
}

funccount_run() {
	"$cbcc" funccount t:syscalls:sys_enter_getppid >"$tmp/fc.out" \
		2>"$tmp/fc.err" &
	fcpid=$!
	i=0
	until grep -q '^Tracing' "$tmp/fc.out"; do
		i=$((i + 1))
		if [ $i -gt 600 ] || ! kill -0 "$fcpid" 2>/dev/null; then
			cat "$tmp/fc.err" >&2
			exit 1
		fi
		sleep 0.1
	done
	v=$(loop)
	[ -n "${1:-}" ] && v="$v $(prog_ns "$fcprog")"
	kill -INT "$fcpid"
	wait "$fcpid"
	fcpid=
	c=$(awk '$1 == "syscalls:sys_enter_getppid" { print $2 }' \
		"$tmp/fc.out")
	echo "$v ${c:-0}"
}

cat >"$tmp/stats.sh" <<EOC
#!/bin/sh
"$tmp/loop" "$n" 1 >/dev/null
echo "prog_ns \$(bpftool prog show name tracepoint__syscalls__sys_enter_getppid |
	awk '{ for (i = 1; i < NF; i++) {
		if (\$i == "run_time_ns") t = \$(i + 1)
		if (\$i == "run_cnt") c = \$(i + 1) } }
	END { if (c > 0) printf "%.1f", t / c; else print "?" }')"
EOC
chmod +x "$tmp/stats.sh"

untraced= empty= counted= calls=0
r=0
while [ $r -lt "$rounds" ]; do
	r=$((r + 1))
	untraced=$(min "$untraced" "$(loop)")
	empty=$(min "$empty" "$(empty_run)")
	set -- $(funccount_run)
	counted=$(min "$counted" "$1")
	calls=$2
done

empty_prog=? count_prog=?
if command -v bpftool >/dev/null &&
    sysctl -qw kernel.bpf_stats_enabled=1 2>/dev/null; then
	"$runner" run --no-maps -c "$tmp/stats.sh" "$tmp/empty.c" \
		>"$tmp/stats.out" 2>&1 || :
	empty_prog=$(sed -n 's/^prog_ns //p' "$tmp/stats.out")
	reps_saved=$reps
	reps=1
	set -- $(funccount_run stats)
	count_prog=${2:-?}
	reps=$reps_saved
	sysctl -qw kernel.bpf_stats_enabled="$stats"
fi

awk -v b="$(basename "$cbcc")" -v u="$untraced" -v e="$empty" -v f="$counted" -v n="$n" \
	-v r="$reps" -v rr="$rounds" -v c="${calls:-0}" \
	-v ep="${empty_prog:-?}" -v cp="${count_prog:-?}" 'BEGIN {
	printf "funccount overhead: getppid() x %d, best of %d x %d loops\n", n, rr, r
	printf "  %-28s %8.1f ns/call\n", "untraced", u
	printf "  %-28s %8.1f ns/call  (+%.1f)\n", "empty TRACEPOINT_PROBE", e, e - u
	printf "  %-28s %8.1f ns/call  (+%.1f)\n", b " funccount", f, f - u
	if (e - u > 0)
		printf "  funccount added cost / empty program added cost: %.2fx (target <= 1.10x)\n", (f - u) / (e - u)
	printf "  funccount counted %d calls in its last round (expected >= %d)\n", c, n * r
	printf "  program run time (bpf_stats): empty %s ns, funccount %s ns\n", ep, cp
}'
