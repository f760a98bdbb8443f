#!/bin/sh
# lanes.sh [KERNEL...] - the VM lane (run.sh) on each kernel in turn, one
# qemu at a time; `make test-vm` runs it on every configured kernel.
#
# Each kernel's run prints its own wall time and counts; at the end one
# line per kernel and the totals (`N passed, N failed, N skipped`).  The
# status is 1 if the lane failed on any kernel, and the kernels are named.
# CBCC_VM_RESULTS=DIR keeps each kernel's results in DIR/KERNEL.
set -u
here=$(cd "$(dirname "$0")" && pwd)
[ $# -gt 0 ] || set -- 6.1 6.12

tmp=$(mktemp -d /tmp/cbcc-vm-lanes.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
results=${CBCC_VM_RESULTS:-}
failed=
passed=0 nfailed=0 skipped=0
: >"$tmp/lines"
for k in "$@"; do
	echo "vm: ==== kernel $k ===="
	if [ -n "$results" ]; then
		CBCC_VM_RESULTS=$results/$k
		export CBCC_VM_RESULTS
	fi
	rm -f "$tmp/rc"
	{
		sh "$here/run.sh" "$k"
		echo $? >"$tmp/rc"
	} 2>&1 | tee "$tmp/out"
	rc=$(cat "$tmp/rc" 2>/dev/null || echo 1)
	line=$(grep '^vm: lane ' "$tmp/out" | tail -n 1)
	if [ -z "$line" ]; then
		why=$(grep '^vm: error: ' "$tmp/out" | tail -n 1)
		line="vm: lane FAILED on kernel $k: ${why#vm: error: }"
	fi
	echo "$line" >>"$tmp/lines"
	[ "$rc" = 0 ] || failed="$failed $k"
	# The counts at the end of run.sh's last line.
	counts=$(echo "$line" | sed -n \
		's/.*: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p')
	if [ -n "$counts" ]; then
		read -r np nf ns <<-EOF
			$counts
		EOF
		passed=$((passed + np)) nfailed=$((nfailed + nf))
		skipped=$((skipped + ns))
	elif [ "$rc" != 0 ]; then
		nfailed=$((nfailed + 1))	# the lane itself failed
	fi
done
echo "vm: ==== summary ===="
cat "$tmp/lines"
echo "vm: $passed passed, $nfailed failed, $skipped skipped"
if [ -n "$failed" ]; then
	echo "vm: error: the VM lane failed on kernel(s):$failed" >&2
	exit 1
fi
