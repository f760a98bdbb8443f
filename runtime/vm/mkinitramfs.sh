#!/bin/sh
# mkinitramfs.sh RELEASE OUT.cpio.gz ROOT FILE... - cbcc vm's initramfs.
#
# busybox-static, init (beside this script) as /init, each FILE at the
# top (cbcc vm's vm.conf and vm.env), and the guest kernel's own modules
# needed to reach the root (virtio-pci, 9p over virtio, overlayfs) with
# their dependencies, listed in load order in /modules.order.  ROOT is
# where the kernel's lib/modules/RELEASE is: / for an installed kernel, a
# fetched kernel's unpacked tree.  Built fresh per run: nothing to keep
# in sync with the installed kernel.
set -eu

release=$1
out=$2
root=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)

# What the guest's /init needs before switch_root; the rest (veth, ...) is
# loaded later by modprobe from the real root.
ROOT_MODULES="virtio_pci 9pnet_virtio 9p overlay"

die() {
	echo "cbcc vm: error: $*" >&2
	exit 1
}

# A tool of the host missing: cbcc vm exits 3 for it, as for qemu.
missing() {
	echo "cbcc vm: error: $*" >&2
	exit 3
}

busybox=
for b in /bin/busybox /usr/bin/busybox; do
	if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then
		busybox=$b
		break
	fi
done
[ -n "$busybox" ] ||
	missing "no static busybox: apt-get install busybox-static"
command -v cpio >/dev/null || missing "no cpio: apt-get install cpio"
command -v modprobe >/dev/null ||
	missing "no modprobe: apt-get install kmod"
[ -d "$root/lib/modules/$release" ] ||
	die "no $root/lib/modules/$release: the kernel's modules are missing"

tmp=$(mktemp -d /tmp/cbcc-vm-initrd.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/lower" \
	"$tmp/rw" "$tmp/newroot" "$tmp/modules"
cp "$busybox" "$tmp/bin/busybox"
ln -s busybox "$tmp/bin/sh"
cp "$here/init" "$tmp/init"
chmod 0755 "$tmp/init"
cp "$@" "$tmp/"

# modprobe prints "insmod PATH" in load order (or "builtin NAME"); a
# module shared by two chains is loaded once.
: >"$tmp/modules.order"
for m in $ROOT_MODULES; do
	deps=$(modprobe -d "$root" -S "$release" --show-depends "$m" 2>&1) ||
		die "module $m for $release: $deps"
	echo "$deps" | while read -r verb path _; do
		[ "$verb" = insmod ] || continue
		name=$(basename "$path")
		name=${name%%.ko*}.ko
		grep -qx "$name" "$tmp/modules.order" && continue
		# busybox insmod takes plain .ko only.
		case $path in
		*.ko) cp "$path" "$tmp/modules/$name" ;;
		*.ko.xz) xz -dc "$path" >"$tmp/modules/$name" ;;
		*.ko.zst) zstd -qdc "$path" >"$tmp/modules/$name" ;;
		*.ko.gz) gzip -dc "$path" >"$tmp/modules/$name" ;;
		*) die "unknown module format: $path" ;;
		esac
		echo "$name" >>"$tmp/modules.order"
	done
done

(cd "$tmp" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out"
