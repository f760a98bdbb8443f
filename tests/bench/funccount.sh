#!/bin/sh
# funccount.sh [CBCC] - per-event overhead of counting, in one run.
#
# A C loop calls getppid() N times (best of REPS rounds, ns per call):
#   untraced                  no program on sys_enter_getppid
#   empty program             cbcc run, TRACEPOINT_PROBE that returns 0
#   funccount                 cbcc funccount t:syscalls:sys_enter_getppid
# and prints each cost and funccount's added cost over the empty
# program's (target <= 1.10).  Figures only: nothing here fails on them.
#
# Environment: CBCC (binary, default build/cbcc), N (1000000), REPS (7).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cbcc=${1:-${CBCC:-$repo/build/cbcc}}
n=${N:-1000000}
reps=${REPS:-7}

[ -x "$cbcc" ] || { echo "bench: $cbcc is not built" >&2; exit 1; }
tmp=$(mktemp -d)
fcpid=
cleanup() {
	[ -n "$fcpid" ] && kill -INT "$fcpid" 2>/dev/null && wait "$fcpid" || :
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

untraced=$(loop)

"$cbcc" run --no-maps -c "$tmp/loop $n $reps" "$tmp/empty.c" \
	>"$tmp/empty.out" 2>"$tmp/empty.err" ||
	{ cat "$tmp/empty.err" >&2; exit 1; }
empty=$(sed -n 's/^ns_per_call //p' "$tmp/empty.out")
[ -n "$empty" ] || { cat "$tmp/empty.out" "$tmp/empty.err" >&2; exit 1; }

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
counted=$(loop)
kill -INT "$fcpid"
wait "$fcpid"
fcpid=
calls=$(awk '$1 == "syscalls:sys_enter_getppid" { print $2 }' "$tmp/fc.out")

awk -v u="$untraced" -v e="$empty" -v f="$counted" -v n="$n" \
	-v r="$reps" -v c="${calls:-0}" 'BEGIN {
	printf "funccount overhead: getppid() x %d, best of %d rounds\n", n, r
	printf "  %-28s %8.1f ns/call\n", "untraced", u
	printf "  %-28s %8.1f ns/call  (+%.1f)\n", "empty TRACEPOINT_PROBE", e, e - u
	printf "  %-28s %8.1f ns/call  (+%.1f)\n", "cbcc funccount", f, f - u
	if (e - u > 0)
		printf "  funccount added cost / empty program added cost: %.2fx (target <= 1.10x)\n", (f - u) / (e - u)
	printf "  funccount counted %d calls (expected >= %d)\n", c, n * r
}'
