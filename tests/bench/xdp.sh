#!/bin/sh
# xdp.sh [CBCC [CBCC_CORE]] - what xdpcount costs per packet, in one run,
# in both binaries: cbcc (BCC C compiled for the key) and cbcc-core (one
# CO-RE object, configured through .rodata).
#
# 1. BPF_PROG_TEST_RUN, REPEAT packets per call, best of ROUNDS calls,
#    interleaved: an empty XDP_PASS program vs xdpcount's program as
#    loaded by a running `cbcc xdpcount` and by a running `cbcc-core
#    xdpcount`, side by side, on the same 64-byte UDP frame.  Prints ns
#    per packet, the ratio to empty (target <= 1.2x) and the verified
#    instruction counts.
# 2. End to end: a UDP flood between two network namespaces over a veth
#    pair, best of E2E_ROUNDS runs of SECS seconds; datagrams/s that the
#    receiving namespace's UDP handled (its own /proc/net/snmp, so nothing
#    else on the host counts): without XDP, then in generic and in native
#    mode with the empty program and with each binary's xdpcount.  Prints
#    xdpcount's ratio to the empty program (its own cost) and to no XDP.
# Figures only: nothing here fails on them.
#
# Environment: CBCC or CBCC_BIN (default build/cbcc), CBCC_CORE or
# CBCC_CORE_BIN (default: cbcc-core beside CBCC), REPEAT (2000000), ROUNDS
# (7), SECS (1), E2E_ROUNDS (5); XDP_BENCH_DEBUG=1 shows xdpcount's own
# output.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cbcc=${1:-${CBCC:-${CBCC_BIN:-$repo/build/cbcc}}}
core=${2:-${CBCC_CORE:-${CBCC_CORE_BIN:-$(dirname "$cbcc")/cbcc-core}}}
repeat=${REPEAT:-2000000}
rounds=${ROUNDS:-7}
secs=${SECS:-1}
e2e_rounds=${E2E_ROUNDS:-5}

[ -x "$cbcc" ] || { echo "bench: $cbcc is not built" >&2; exit 1; }
[ -x "$core" ] || { echo "bench: $core is not built" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench: xdp.sh needs root" >&2; exit 1; }

tag=$$
tx=cbbtx$tag
rx=cbbrx$tag
tif=cbbt$tag
rif=cbbr$tag
rip=10.251.251.1
tip=10.251.251.2
port=4243
tmp=$(mktemp -d)
xcpid=
xcpid2=
sinkpid=

stop_xdpcount() {
	for p in $xcpid $xcpid2; do
		kill -INT "$p" 2>/dev/null || :
		wait "$p" || :
	done
	xcpid=
	xcpid2=
}

cleanup() {
	stop_xdpcount
	[ -n "$sinkpid" ] && kill "$sinkpid" 2>/dev/null || :
	ip netns del "$tx" 2>/dev/null || :
	ip netns del "$rx" 2>/dev/null || :
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# -- two namespaces, one veth pair, static neighbours (no ARP) --------------
ip netns add "$tx"
ip netns add "$rx"
ip link add "$tif" netns "$tx" type veth peer name "$rif" netns "$rx"
ip -n "$rx" addr add "$rip/24" dev "$rif"
ip -n "$tx" addr add "$tip/24" dev "$tif"
for n in "$tx" "$rx"; do
	ip -n "$n" link set lo up
done
ip -n "$rx" link set "$rif" up
ip -n "$tx" link set "$tif" up
ip -n "$tx" neigh replace "$rip" dev "$tif" lladdr \
	"$(ip netns exec "$rx" cat /sys/class/net/$rif/address)"
ip -n "$rx" neigh replace "$tip" dev "$rif" lladdr \
	"$(ip netns exec "$tx" cat /sys/class/net/$tif/address)"

# -- helpers ----------------------------------------------------------------
cat >"$tmp/testrun.c" <<'EOC'
/*
 * testrun ID REPEAT ROUNDS PKT: best ns/packet of BPF_PROG_TEST_RUN, as
 * the kernel times it: its timer stops while the task is preempted, so
 * the figure holds on a loaded machine where wall time would not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <bpf/bpf.h>

int main(int argc, char **argv)
{
	static char pkt[2048];
	unsigned int best = ~0u;
	size_t len;
	FILE *f;
	int fd, r;

	if (argc != 5)
		return 2;
	f = fopen(argv[4], "rb");
	if (!f)
		return 1;
	len = fread(pkt, 1, sizeof(pkt), f);
	fclose(f);
	fd = bpf_prog_get_fd_by_id(atoi(argv[1]));
	if (fd < 0) {
		perror("prog id");
		return 1;
	}
	for (r = 0; r < atoi(argv[3]); r++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt,
			    .data_size_in = len, .repeat = atoi(argv[2]));

		if (bpf_prog_test_run_opts(fd, &o)) {
			perror("test run");
			return 1;
		}
		if (o.duration < best)
			best = o.duration;
	}
	printf("%u\n", best);
	return 0;
}
EOC

cat >"$tmp/flood.c" <<'EOC'
/*
 * flood send IP PORT SECS: 64-byte UDP datagrams, as fast as sendmmsg
 * goes, for SECS seconds.
 * flood sink IP PORT: a bound socket that never reads, so the receive
 * path runs in full and then drops on the full buffer.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static char buf[BATCH][64 - 42];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	double end;
	int s, i;

	if (argc < 4)
		return 2;
	inet_pton(AF_INET, argv[2], &sa.sin_addr);
	sa.sin_port = htons(atoi(argv[3]));
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (!strcmp(argv[1], "sink")) {
		if (bind(s, (struct sockaddr *)&sa, sizeof(sa)))
			return 1;
		pause();
		return 0;
	}
	memset(msg, 0, sizeof(msg));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = sizeof(buf[i]);
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)))
		return 1;
	for (end = now() + atof(argv[4]); now() < end;)
		sendmmsg(s, msg, BATCH, 0);
	return 0;
}
EOC

cat >"$tmp/pass.c" <<'EOC'
__attribute__((section("xdp"), used)) int bench_xdp_pass(void *ctx)
{
	return 2;	/* XDP_PASS */
}
char _license[] __attribute__((section("license"), used)) = "GPL";
EOC

cc -O2 -o "$tmp/testrun" "$tmp/testrun.c" -lbpf
cc -O2 -o "$tmp/flood" "$tmp/flood.c"
clang -O2 -target bpf -c "$tmp/pass.c" -o "$tmp/pass.o"

# 64-byte Ethernet + IPv4 + UDP frame, 10.251.251.2:5000 -> .1:4243.
printf '\377\377\377\377\377\377\002\000\000\000\000\001\010\000\105\000\000\062\000\000\000\000\100\021\000\000\012\373\373\002\012\373\373\001\023\210\020\223\000\036\000\000xxxxxxxxxxxxxxxxxxxxxx' \
	>"$tmp/pkt"

# start_xdpcount BINARY MODE [NETNS IFACE]: sets $xcpid (once it counts)
start_xdpcount() {
	ip netns exec "${3:-$rx}" "$1" xdpcount -m "$2" -k proto \
		"${4:-$rif}" >"$tmp/xc.out" 2>"$tmp/xc.err" &
	xcpid=$!
	i=0
	until grep -qs '^Counting' "$tmp/xc.out"; do
		i=$((i + 1))
		if [ $i -gt 600 ] || ! kill -0 "$xcpid" 2>/dev/null; then
			cat "$tmp/xc.err" >&2
			exit 1
		fi
		sleep 0.1
	done
}

xdp_prog_id() {	# NETNS IFACE
	ip -n "$1" link show dev "$2" |
		sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'
}

xlated_insns() {	# ID: instructions after verification
	bpftool -j prog show id "$1" |
		sed -n 's/.*"bytes_xlated":\([0-9]*\).*/\1/p' |
		awk '{ print $1 / 8 }'
}

min() { awk -v a="$1" -v b="$2" 'BEGIN { print (b < a) ? b : a }'; }

# -- 1. per packet, BPF_PROG_TEST_RUN ---------------------------------------
# Three programs loaded at once, so the rounds interleave: the empty one on
# the tx namespace's lo, cbcc's xdpcount on rif, cbcc-core's on tif.
# ip -n loads the object in a private mount namespace: no pins are left.
ip -n "$tx" link set dev lo xdpgeneric obj "$tmp/pass.o" sec xdp
empty_id=$(xdp_prog_id "$tx" lo)
start_xdpcount "$cbcc" generic
bcc_id=$(xdp_prog_id "$rx" "$rif")
xcpid2=$xcpid
mv "$tmp/xc.out" "$tmp/xc-bcc.out"	# it keeps writing there
start_xdpcount "$core" generic "$tx" "$tif"
core_id=$(xdp_prog_id "$tx" "$tif")
empty_best=1e30
bcc_best=1e30
core_best=1e30
r=0
while [ $r -lt "$rounds" ]; do	# interleaved, so drift hits all alike
	e=$("$tmp/testrun" "$empty_id" "$repeat" 1 "$tmp/pkt")
	x=$("$tmp/testrun" "$bcc_id" "$repeat" 1 "$tmp/pkt")
	c=$("$tmp/testrun" "$core_id" "$repeat" 1 "$tmp/pkt")
	empty_best=$(min "$empty_best" "$e")
	bcc_best=$(min "$bcc_best" "$x")
	core_best=$(min "$core_best" "$c")
	r=$((r + 1))
done
bcc_insns=$(xlated_insns "$bcc_id")
core_insns=$(xlated_insns "$core_id")
stop_xdpcount
ip -n "$tx" link set dev lo xdpgeneric off

awk -v e="$empty_best" -v x="$bcc_best" -v c="$core_best" -v n="$repeat" \
	-v r="$rounds" -v xi="$bcc_insns" -v ci="$core_insns" 'BEGIN {
	printf "xdpcount per packet: BPF_PROG_TEST_RUN, repeat %d, best of %d, -k proto\n", n, r
	printf "  %-28s %8.1f ns/packet\n", "empty XDP_PASS", e
	printf "  %-28s %8.1f ns/packet  %.2fx empty  %4d insns\n", "cbcc xdpcount", x, x / e, xi
	printf "  %-28s %8.1f ns/packet  %.2fx empty  %4d insns\n", "cbcc-core xdpcount", c, c / e, ci
	printf "  cbcc-core / cbcc: %.2fx (target for each: <= 1.20x empty)\n", c / x
}'

# -- 2. end to end, UDP flood over the veth pair ----------------------------
udp_handled() {	# datagrams the rx namespace's UDP took in or dropped
	ip netns exec "$rx" cat /proc/net/snmp | awk '
		$1 == "Udp:" && !h { for (i = 2; i <= NF; i++) f[$i] = i; h = 1; next }
		$1 == "Udp:" { print $f["InDatagrams"] + $f["InErrors"] }'
}

flood() {	# -> best datagrams/s over e2e_rounds runs
	best=0
	r=0
	while [ $r -lt "$e2e_rounds" ]; do
		a=$(udp_handled)
		ip netns exec "$tx" "$tmp/flood" send "$rip" "$port" "$secs"
		b=$(udp_handled)
		best=$(awk -v a="$a" -v b="$b" -v s="$secs" -v m="$best" \
			'BEGIN { v = (b - a) / s; print (v > m) ? v : m }')
		r=$((r + 1))
	done
	echo "$best"
}

empty_xdp() {	# generic|native [off]
	flag=xdpgeneric
	[ "$1" = native ] && flag=xdpdrv
	if [ "${2:-}" = off ]; then
		ip -n "$rx" link set dev "$rif" "$flag" off
	else
		ip -n "$rx" link set dev "$rif" "$flag" obj "$tmp/pass.o" sec xdp
	fi
}

ip netns exec "$rx" "$tmp/flood" sink "$rip" "$port" &
sinkpid=$!
sleep 0.2
none=$(flood)
for mode in generic native; do
	empty_xdp $mode
	eval "empty_$mode=\$(flood)"
	empty_xdp $mode off
	for bin in bcc core; do
		if [ $bin = bcc ]; then b=$cbcc; else b=$core; fi
		start_xdpcount "$b" $mode
		eval "${bin}_$mode=\$(flood)"
		stop_xdpcount
		[ -n "${XDP_BENCH_DEBUG:-}" ] &&
			cat "$tmp/xc.out" "$tmp/xc.err" >&2
		eval "counted_${bin}_$mode=\$(awk '\$1 == \"udp\" { print \$2 }' \"\$tmp/xc.out\")"
	done
done

awk -v a="$none" -v s="$secs" -v r="$e2e_rounds" \
	-v eg="$empty_generic" -v bg="$bcc_generic" -v cg="$core_generic" \
	-v en="$empty_native" -v bn="$bcc_native" -v cn="$core_native" \
	-v bgc="${counted_bcc_generic:-0}" -v cgc="${counted_core_generic:-0}" \
	-v bnc="${counted_bcc_native:-0}" -v cnc="${counted_core_native:-0}" '
function row(name, v, empty, counted) {
	printf "  %-28s %10d  (%.2fx empty, %.2fx no XDP; counted %d udp)\n", name, v, v / empty, v / a, counted
}
BEGIN {
	printf "xdpcount end to end: UDP flood over veth, best of %d x %s s, datagrams/s handled by UDP\n", r, s
	printf "  %-28s %10d\n", "no XDP", a
	printf "  %-28s %10d  (%.2fx no XDP)\n", "empty XDP_PASS, generic", eg, eg / a
	row("cbcc xdpcount, generic", bg, eg, bgc)
	row("cbcc-core xdpcount, generic", cg, eg, cgc)
	printf "  %-28s %10d  (%.2fx no XDP)\n", "empty XDP_PASS, native", en, en / a
	row("cbcc xdpcount, native", bn, en, bnc)
	row("cbcc-core xdpcount, native", cn, en, cnc)
}'
