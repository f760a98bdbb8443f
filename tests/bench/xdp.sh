#!/bin/sh
# xdp.sh [CBCC] - what xdpcount costs per packet, in one run.
#
# 1. BPF_PROG_TEST_RUN, REPEAT packets per call, best of ROUNDS calls,
#    interleaved: an empty XDP_PASS program vs xdpcount's program (as
#    loaded by a running `cbcc xdpcount`), on the same 64-byte UDP frame.
#    Prints ns per packet and the ratio (target <= 1.2x).
# 2. End to end: a UDP flood between two network namespaces over a veth
#    pair, best of E2E_ROUNDS runs of SECS seconds; datagrams/s that the
#    receiving namespace's UDP handled (its own /proc/net/snmp, so nothing
#    else on the host counts): without XDP, then in generic and in native
#    mode with the empty program and with xdpcount.  Prints xdpcount's
#    ratio to the empty program (its own cost) and to no XDP (all of it).
# Figures only: nothing here fails on them.
#
# Environment: CBCC or CBCC_BIN (binary, default build/cbcc), REPEAT
# (2000000), ROUNDS (7), SECS (1), E2E_ROUNDS (5); XDP_BENCH_DEBUG=1
# shows xdpcount's own output.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cbcc=${1:-${CBCC:-${CBCC_BIN:-$repo/build/cbcc}}}
repeat=${REPEAT:-2000000}
rounds=${ROUNDS:-7}
secs=${SECS:-1}
e2e_rounds=${E2E_ROUNDS:-5}

[ -x "$cbcc" ] || { echo "bench: $cbcc is not built" >&2; exit 1; }
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
sinkpid=

stop_xdpcount() {
	if [ -n "$xcpid" ]; then
		kill -INT "$xcpid" 2>/dev/null || :
		wait "$xcpid" || :
		xcpid=
	fi
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

start_xdpcount() {	# MODE
	ip netns exec "$rx" "$cbcc" xdpcount -m "$1" -k proto "$rif" \
		>"$tmp/xc.out" 2>"$tmp/xc.err" &
	xcpid=$!
	i=0
	until grep -q '^Counting' "$tmp/xc.out"; do
		i=$((i + 1))
		if [ $i -gt 600 ] || ! kill -0 "$xcpid" 2>/dev/null; then
			cat "$tmp/xc.err" >&2
			exit 1
		fi
		sleep 0.1
	done
}

xdp_prog_id() {
	ip -n "$rx" link show dev "$rif" |
		sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'
}

# -- 1. per packet, BPF_PROG_TEST_RUN ---------------------------------------
# ip -n loads the object in a private mount namespace: no pins are left.
ip -n "$tx" link set dev "$tif" xdpgeneric obj "$tmp/pass.o" sec xdp
empty_id=$(ip -n "$tx" link show dev "$tif" |
	sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
start_xdpcount generic
xc_id=$(xdp_prog_id)
empty_best=1e30
xc_best=1e30
r=0
while [ $r -lt "$rounds" ]; do	# interleaved, so drift hits both alike
	e=$("$tmp/testrun" "$empty_id" "$repeat" 1 "$tmp/pkt")
	x=$("$tmp/testrun" "$xc_id" "$repeat" 1 "$tmp/pkt")
	empty_best=$(awk -v a="$empty_best" -v b="$e" 'BEGIN{print (b<a)?b:a}')
	xc_best=$(awk -v a="$xc_best" -v b="$x" 'BEGIN{print (b<a)?b:a}')
	r=$((r + 1))
done
stop_xdpcount
ip -n "$tx" link set dev "$tif" xdpgeneric off

awk -v e="$empty_best" -v x="$xc_best" -v n="$repeat" -v r="$rounds" 'BEGIN {
	printf "xdpcount per packet: BPF_PROG_TEST_RUN, repeat %d, best of %d\n", n, r
	printf "  %-28s %8.1f ns/packet\n", "empty XDP_PASS", e
	printf "  %-28s %8.1f ns/packet\n", "xdpcount (-k proto)", x
	printf "  xdpcount / empty: %.2fx (target <= 1.20x)\n", x / e
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
	start_xdpcount $mode
	eval "xc_$mode=\$(flood)"
	stop_xdpcount
	[ -n "${XDP_BENCH_DEBUG:-}" ] && cat "$tmp/xc.out" "$tmp/xc.err" >&2
	eval "counted_$mode=\$(awk '\$1 == \"udp\" { print \$2 }' \"\$tmp/xc.out\")"
done

awk -v a="$none" -v eg="$empty_generic" -v g="$xc_generic" \
	-v en="$empty_native" -v n="$xc_native" -v s="$secs" \
	-v r="$e2e_rounds" -v gc="${counted_generic:-0}" \
	-v nc="${counted_native:-0}" 'BEGIN {
	printf "xdpcount end to end: UDP flood over veth, best of %d x %s s, datagrams/s handled by UDP\n", r, s
	printf "  %-28s %10d\n", "no XDP", a
	printf "  %-28s %10d  (%.2fx no XDP)\n", "empty XDP_PASS, generic", eg, eg / a
	printf "  %-28s %10d  (%.2fx empty, %.2fx no XDP; counted %d udp)\n", "xdpcount, generic", g, g / eg, g / a, gc
	printf "  %-28s %10d  (%.2fx no XDP)\n", "empty XDP_PASS, native", en, en / a
	printf "  %-28s %10d  (%.2fx empty, %.2fx no XDP; counted %d udp)\n", "xdpcount, native", n, n / en, n / a, nc
}'
