#!/bin/sh
# cbcc vm inside the guest (PID 1 after switch_root, on the host's root
# with a tmpfs overlay): set up the mounts a tracer expects, run the
# command in the caller's directory and environment with its stdout on
# ttyS1 and its stderr on ttyS2 (cbcc vm relays both), print its status
# on the console for cbcc vm to return, power off.
# Settings: /etc/cbcc-vm/vm.conf (tools/vm_files.c).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8
. /etc/cbcc-vm/vm.conf

say() {
	echo "vm-guest: $*"
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
# What udev would add to devtmpfs: commands use /dev/fd/N and /dev/stdout.
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# Fresh /tmp and /run, unless the command's directory, --rwdir or this
# script is there (CI may clone into /tmp): the overlay root is writable
# either way.
fresh_tmpfs() {
	for p in "$CBCC_VM_CWD" "$CBCC_VM_RWDIR" "$CBCC_VM_GUEST"; do
		case $p/ in
		"$1"/*)
			say "keeping the host's $1 ($p is there)"
			return
			;;
		esac
	done
	mount -t tmpfs -o "mode=$2" tmpfs "$1"
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

# The command's streams: raw, so that its bytes reach the host as written
# (no CR added before each LF).  Held open here so that the settings stay.
exec 3>/dev/ttyS1 4>/dev/ttyS2
stty -F /dev/ttyS1 raw -echo
stty -F /dev/ttyS2 raw -echo

say "kernel $rel, $(nproc) cpus, up $(cut -d' ' -f1 /proc/uptime)s"
# A subshell: the caller's environment (vm.env) is the command's only.
# exec: a command that cannot run gives sh's 126/127.
(
	. /etc/cbcc-vm/vm.env
	cd "$CBCC_VM_CWD" || exit 125
	eval "exec $CBCC_VM_ARGV"
) </dev/null >&3 2>&4 3>&- 4>&-
rc=$?
exec 3>&- 4>&-
say "command done, up $(cut -d' ' -f1 /proc/uptime)s"
echo "cbcc-vm: exit $rc"
sync
busybox poweroff -f
# Not reached; if it were, PID 1 exiting panics and the host sees it.
sleep 10
