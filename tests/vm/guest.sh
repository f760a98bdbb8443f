#!/bin/sh
# The VM lane inside the guest (PID 1 after switch_root, on the host's
# root with a tmpfs overlay): set up the mounts a tracer expects, run the
# `vm`-marked tests, leave the exit status in /cbcc-results, power off.
# Settings come from run.sh through /etc/cbcc-vm.env.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8
. /etc/cbcc-vm.env
res=/cbcc-results

say() {
	echo "vm-guest: $*"
}

finish() {
	echo "$1" >"$res/status"
	sync
	busybox poweroff -f
	# Not reached; if it were, PID 1 exiting panics and the host sees it.
	sleep 10
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# Fresh /tmp and /run, unless the repo or the binary lives there (CI may
# clone into /tmp): the overlay root is writable either way.
fresh_tmpfs() {
	case "$CBCC_REPO/ $CBCC_BIN" in
	"$1"/* | *" $1"/*) say "keeping the host's $1 (the repo is there)" ;;
	*) mount -t tmpfs -o "mode=$2" tmpfs "$1" ;;
	esac
}
fresh_tmpfs /tmp 1777
fresh_tmpfs /run 0755
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
ip link set lo up
hostname cbcc-vm

# Headers for BCC: Debian splits them into -ARCH (build) and -common
# (source); libbcc needs both links or './include/linux/kconfig.h' is not
# found.  Made in the overlay, never on the host.
rel=$(uname -r)
mods=/lib/modules/$rel
[ -e "$mods/build" ] || ln -sfn "/usr/src/linux-headers-$rel" "$mods/build"
common=/usr/src/linux-headers-${rel%-*}-common
if [ ! -e "$mods/source" ] && [ -d "$common" ]; then
	ln -sfn "$common" "$mods/source"
fi
[ -d "$mods/build/" ] ||
	say "warning: no headers for $rel (apt-get install linux-headers-$rel)"

say "kernel $rel, $(nproc) cpus, up $(cut -d' ' -f1 /proc/uptime)s"
cd "$CBCC_REPO" || finish 1
export CBCC_LANE=vm CBCC_BIN PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1

# One pytest process per vCPU (CBCC_VM_JOBS), sharing the tests through
# claim files (tests/vm/vm_jobs.py): each writes its own log and JUnit
# file to the results share and one line per test to the console, which
# the host streams.  Their statuses are kept apart from the pipes'.
eval "set -- $CBCC_PYTEST_ARGS"
jobs=${CBCC_VM_JOBS:-1}
queue=$(mktemp -d /tmp/cbcc-vm-queue.XXXXXX)
export CBCC_VM_QUEUE="$queue" CBCC_VM_CONSOLE=/dev/console
export PYTHONPATH="$CBCC_REPO/tests/vm${PYTHONPATH:+:$PYTHONPATH}"
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
say "tests done, up $(cut -d' ' -f1 /proc/uptime)s"
# The lane's status: the first failure; 5 (nothing ran) only if every
# process ran nothing (one may find the queue empty).
rc=5
j=1
while [ "$j" -le "$jobs" ]; do
	r=$(cat "$res/pytest-$j.rc" 2>/dev/null || echo 1)
	case $r in
	0) [ "$rc" = 5 ] && rc=0 ;;
	5) ;;
	*)
		[ "$rc" = 0 ] || [ "$rc" = 5 ] && rc=$r
		say "pytest job $j failed (status $r): its log follows"
		cat "$res/pytest-$j.log"
		;;
	esac
	j=$((j + 1))
done
echo "$rc" >"$res/pytest.rc"
finish "$rc"
