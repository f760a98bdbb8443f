#!/bin/sh
# guest-pytest.sh PYTEST_ARGS... - the VM lane's tests, run by run.sh as
# `cbcc vm ... -- sh tests/vm/guest-pytest.sh ...` inside the guest.
#
# One pytest process per vCPU (CBCC_VM_JOBS), sharing the tests through
# claim files (vm_jobs.py): each writes its own log and JUnit file to
# CBCC_VM_RESULTS (run.sh shares it back with --rwdir) and one
# `vm-test:` line per test to our stdout, which cbcc vm streams.  Exits
# with the lane's status: the first failure; 5 (nothing ran) only if
# every process ran nothing (one may find the queue empty).
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
res=${CBCC_VM_RESULTS:?run by tests/vm/run.sh}
cd "$repo" || exit 1
export CBCC_LANE=vm PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1

jobs=${CBCC_VM_JOBS:-1}
queue=$(mktemp -d /tmp/cbcc-vm-queue.XXXXXX) || exit 1
exec 5>&1
export CBCC_VM_QUEUE="$queue" CBCC_VM_CONSOLE=/dev/fd/5
# One program cache for every pytest process (conftest would give each
# its own): what one compiled, the other loads.
export CBCC_CACHE_DIR="$queue/progs"
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
# A shell starts background commands with SIGINT ignored, and python then
# never turns SIGINT into KeyboardInterrupt: bcc's tools, which the tests
# stop with SIGINT, would not stop.  env gives the tests its default back.
j=1
while [ "$j" -le "$jobs" ]; do
	CBCC_VM_JOB=$j env --default-signal=INT,QUIT \
		/usr/bin/python3 -m pytest -p vm_jobs -v -m vm \
		--junitxml="$res/junit-$j.xml" "$@" >"$res/pytest-$j.log" 2>&1 &&
		echo 0 >"$res/pytest-$j.rc" || echo $? >"$res/pytest-$j.rc" &
	j=$((j + 1))
done
wait
cat "$res"/pytest-*.log >"$res/pytest.log" 2>/dev/null
echo "vm-guest: tests done, up $(cut -d' ' -f1 /proc/uptime)s"
# The guest's program cache lives in its tmpfs overlay: what it saved
# this run (each distinct program compiles once, under TCG 10-70 s each).
"${CBCC_BIN:-$repo/build/cbcc}" cache 2>/dev/null |
	awk '$1 == "hits:" { h = $2 } $1 == "stores:" { s = $2 }
	     END { if (s != "") printf "vm-guest: program cache: %d hits, " \
	           "%d compiled and stored\n", h, s }'
rc=5
j=1
while [ "$j" -le "$jobs" ]; do
	r=$(cat "$res/pytest-$j.rc" 2>/dev/null || echo 1)
	case $r in
	0) [ "$rc" = 5 ] && rc=0 ;;
	5) ;;
	*)
		[ "$rc" = 0 ] || [ "$rc" = 5 ] && rc=$r
		echo "vm-guest: pytest job $j failed (status $r): its log follows"
		cat "$res/pytest-$j.log"
		;;
	esac
	j=$((j + 1))
done
exit "$rc"
