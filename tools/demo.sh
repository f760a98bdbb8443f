#!/bin/sh
# demo.sh [CBCC] - cbcc's main job on an embedded default: a network
# namespace joined to this one by a veth pair, generated traffic, XDP
# packet counting on the veth and a receive-path trace on it.  Everything
# it creates is removed on exit, whatever happens.
set -eu
CBCC=${1:-build/cbcc}
# cbcc-core beside it, when built: the same tools through libbpf CO-RE.
CORE=${CBCC_CORE:-$(dirname "$CBCC")/cbcc-core}
NS=cbcc-demo
HOST_IF=cbcc-demo0
PEER_IF=cbcc-demo1
HOST_IP=10.251.250.1
PEER_IP=10.251.250.2

cleanup() {
	ip link del "$HOST_IF" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: must run as root (network namespaces, BPF)" >&2
	exit 1
fi
cleanup
ip netns add "$NS"
ip link add "$HOST_IF" type veth peer name "$PEER_IF"
ip link set "$PEER_IF" netns "$NS"
ip addr add "$HOST_IP/24" dev "$HOST_IF"
ip link set "$HOST_IF" up
ip -n "$NS" addr add "$PEER_IP/24" dev "$PEER_IF"
ip -n "$NS" link set "$PEER_IF" up
ip -n "$NS" link set lo up

# Traffic from the namespace to the host end: pings and UDP datagrams.
TRAFFIC="ip netns exec $NS sh -c '
	ping -q -c 20 -i 0.05 $HOST_IP >/dev/null &
	/usr/bin/python3 -c \"
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(200):
    s.sendto(bytes(100 + i % 900), (\\\"$HOST_IP\\\", 9999))
    time.sleep(0.005)
\"
	wait'"

echo "== 1. cbcc xdpcount: packets arriving on $HOST_IF, by protocol (XDP)"
echo "   $CBCC xdpcount -i 1 -c <traffic> $HOST_IF"
"$CBCC" xdpcount -i 1 -c "$TRAFFIC" "$HOST_IF"
echo
if [ -x "$CORE" ]; then
	echo "== 1b. the same count through cbcc-core: a CO-RE object built"
	echo "   beforehand, configured at load, nothing compiled now"
	echo "   $CORE xdpcount -c <traffic> $HOST_IF"
	"$CORE" xdpcount -c "$TRAFFIC" "$HOST_IF"
	echo
fi
echo "== 2. cbcc run: a BCC program compiled now, tracing the receive path"
echo "   $CBCC run bpf_src/netrx.bcc.c -D 'IFNAME=\"$HOST_IF\"' -c <traffic>"
"$CBCC" run bpf_src/netrx.bcc.c -D "IFNAME=\"$HOST_IF\"" -c "$TRAFFIC"
echo
NETRX_OBJ=$(dirname "$CORE")/bpf/netrx.bpf.o
if [ -x "$CORE" ] && [ -f "$NETRX_OBJ" ]; then
	echo "== 2b. the same program ported by hand to CO-RE (bpf_src/netrx.bpf.c),"
	echo "   the interface set in .rodata instead of a macro"
	echo "   $CORE run $NETRX_OBJ -D ifname=$HOST_IF -c <traffic>"
	"$CORE" run "$NETRX_OBJ" -D "ifname=$HOST_IF" -c "$TRAFFIC"
	echo
fi
echo "== 3. cbcc funccount: network tracepoints hit by the same traffic"
echo "   $CBCC funccount -d 3 't:net:*'  (traffic sent meanwhile)"
"$CBCC" funccount -d 3 't:net:*' &
fc=$!
sleep 2
sh -c "$TRAFFIC"
wait $fc || true
echo
if [ -x "$CORE" ]; then
	echo "== 4. the port, measured: start -> attached -> Ctrl-C of the same"
	echo "   xdpcount on $HOST_IF through both engines (make compare: all tools)"
	/usr/bin/python3 - "$CBCC" "$CORE" "$HOST_IF" "$(dirname "$0")/../tests/bench" <<'EOPY'
import os, sys
sys.path.insert(0, sys.argv[4])
from compare import Running  # measures as make compare does
print(f"   {'':10} {'CPU ms':>8} {'peak RSS MiB':>13}")
for b in sys.argv[1:3]:
    cpu, mib = Running([b, "xdpcount", "-m", "generic", sys.argv[3]]).stop()
    print(f"   {os.path.basename(b):10} {cpu * 1000:8.0f} {mib:13.1f}")
EOPY
	echo
fi
echo "demo: done; the namespace and the veth pair are removed."
