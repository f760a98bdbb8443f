#!/bin/sh
# run.sh - every benchmark in tests/bench, one after another.  Figures and
# ratios against bcc/bpftrace measured in the same run; never pass/fail on
# timing, only on a benchmark that could not run at all.
set -u
here=$(cd "$(dirname "$0")" && pwd)
export CBCC_BIN="${CBCC_BIN:-$here/../../build/cbcc}"
status=0
for b in "$here"/*.sh "$here"/*.py; do
	[ -e "$b" ] || continue
	case "$(basename "$b")" in run.sh | compare.py) continue ;; esac
	echo "== $(basename "$b")"
	case "$b" in
	*.py) /usr/bin/python3 "$b" || status=1 ;;
	*) sh "$b" || status=1 ;;
	esac
	echo
done
exit $status
