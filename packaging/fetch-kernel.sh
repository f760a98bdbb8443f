#!/bin/sh
# fetch-kernel.sh [--refresh] [SUITE] - a Debian kernel for the VM lane,
# fetched without installing it.
#
# Downloads the newest linux-image-amd64 of SUITE (default
# bookworm-backports: Debian's 6.12 for bookworm) with its headers
# (linux-headers-R, -common, linux-kbuild) and unpacks them with dpkg-deb
# into CACHE/R/root, laid out as on an installed system (boot/, usr/lib/
# modules/R with its modules.dep, usr/src/linux-headers-*, usr/lib/
# linux-kbuild-*; lib -> usr/lib as on the host).  The VM lane lays that
# tree over the guest's root (runtime/vm/init).  The host's kernel packages,
# apt sources, lists and caches are never touched: apt runs on a private
# sources list and lists directory under CACHE/apt.
#
# Idempotent: a release already unpacked for SUITE is reused without a
# network access; --refresh asks the registry for a newer one.  Prints the
# release on its last line.
#
# Environment: CBCC_KERNEL_CACHE (default /var/cache/cbcc/kernels),
# CBCC_KERNEL_MIRROR (default: the URI the host's apt uses for Debian).
set -eu

cache=${CBCC_KERNEL_CACHE:-/var/cache/cbcc/kernels}
refresh=0
if [ "${1:-}" = --refresh ]; then
	refresh=1
	shift
fi
suite=${1:-bookworm-backports}

die() {
	echo "fetch-kernel: error: $*" >&2
	exit 1
}

say() {
	echo "fetch-kernel: $*" >&2
}

[ "$(id -u)" -eq 0 ] || die "must run as root (writes $cache)"
for c in apt-get apt-cache dpkg-deb depmod; do
	command -v "$c" >/dev/null || die "$c not found"
done

# A release unpacked from SUITE earlier: CACHE/R/suite names it.
cached_release() {
	for d in "$cache"/*/; do
		d=${d%/}
		[ -f "$d/complete" ] && [ "$(cat "$d/suite" 2>/dev/null)" = "$suite" ] &&
			basename "$d"
	done | sort -V | tail -n 1
}

if [ "$refresh" = 0 ]; then
	r=$(cached_release)
	if [ -n "$r" ]; then
		say "$suite: $r (cached in $cache/$r)"
		echo "$r"
		exit 0
	fi
fi

# The Debian mirror the host already uses (first URI serving bookworm).
mirror=${CBCC_KERNEL_MIRROR:-}
if [ -z "$mirror" ]; then
	mirror=$(apt-cache policy 2>/dev/null |
		awk '$2 ~ /^https?:/ && $3 ~ /^bookworm\/main$/ { print $2; exit }')
fi
[ -n "$mirror" ] || die "no Debian mirror in the host's apt sources:" \
	"set CBCC_KERNEL_MIRROR"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || die "$keyring missing: apt-get install debian-archive-keyring"

apt=$cache/apt
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/parts" \
	"$apt/prefs"
echo "deb [signed-by=$keyring] $mirror $suite main" >"$apt/sources.list"
# Private sources, lists and caches: the host's apt state is left as is.
set -- -o "Dir::Etc::SourceList=$apt/sources.list" \
	-o "Dir::Etc::SourceParts=$apt/parts" \
	-o "Dir::Etc::PreferencesParts=$apt/prefs" \
	-o "Dir::State::Lists=$apt/lists" \
	-o "Dir::Cache=$apt/cache" \
	-o "APT::Get::List-Cleanup=0" \
	-o APT::Sandbox::User=root

say "$suite: asking $mirror"
if ! out=$(apt-get "$@" -qq update 2>&1) ||
	printf '%s\n' "$out" | grep -qE '^(W|E): (Failed|Some index)'; then
	r=$(cached_release)
	if [ -n "$r" ]; then
		say "registry unreachable; keeping cached $r"
		echo "$r"
		exit 0
	fi
	die "cannot reach the Debian registry for $suite ($(printf '%s\n' "$out" |
		grep -E '^(W|E):' | head -n 1))"
fi

# linux-image-amd64 -> linux-image-R (signed or unsigned) -> R.
field() {
	apt-cache "$@" show "$pkg" 2>/dev/null |
		awk -v f="$field:" '$1 == f { sub(/^[^:]*: */, ""); print; exit }'
}
pkg=linux-image-amd64 field=Depends
deps=$(field "$@")
img=$(printf '%s\n' "$deps" | tr ',' '\n' |
	sed -n 's/^ *\(linux-image-[0-9][^ ]*-amd64\)\(-unsigned\)\{0,1\}\b.*/\1\2/p' |
	head -n 1)
[ -n "$img" ] || die "linux-image-amd64 of $suite depends on no kernel image: $deps"
r=${img#linux-image-}
r=${r%-unsigned}
pkg=linux-headers-$r
hdeps=$(field "$@")
[ -n "$hdeps" ] || die "$pkg not found in $suite"
# The headers' own dependencies: -common and linux-kbuild.
extra=$(printf '%s\n' "$hdeps" | tr ',' '\n' |
	sed -n 's/^ *\(linux-\(headers\|kbuild\)-[^ ]*\).*/\1/p')
pkgs=$(printf '%s\n' "$img" "linux-headers-$r" "$extra" | tr '\n' ' ')
pkgs=${pkgs% }

dest=$cache/$r
if [ -f "$dest/complete" ]; then
	say "$suite: $r already unpacked in $dest"
	echo "$suite" >"$dest/suite"
	echo "$r"
	exit 0
fi

say "$suite: downloading $pkgs"
rm -rf "$dest"
mkdir -p "$dest/debs" "$dest/root"
# shellcheck disable=SC2086
(cd "$dest/debs" && apt-get "$@" -qq download $pkgs) ||
	die "could not download $pkgs from $suite"
for deb in "$dest"/debs/*.deb; do
	dpkg-deb -x "$deb" "$dest/root" || die "dpkg-deb -x $deb failed"
done
# usr-merged like the host (the guest lays this tree over the host's root,
# where a directory /lib would hide the host's lib -> usr/lib).
for d in bin sbin lib lib64; do
	if [ ! -d "$dest/root/$d" ] || [ -L "$dest/root/$d" ]; then
		continue
	fi
	t=$(readlink "/$d") || continue
	mkdir -p "$dest/root/$t"
	cp -a "$dest/root/$d/." "$dest/root/$t/"
	rm -rf "${dest:?}/root/$d"
	ln -s "$t" "$dest/root/$d"
done
[ -f "$dest/root/boot/vmlinuz-$r" ] || die "no boot/vmlinuz-$r in $img"
[ -d "$dest/root/usr/lib/modules/$r/kernel" ] || die "no modules for $r in $img"
# What the package's postinst would do: modules.dep for modprobe.
depmod -b "$dest/root" "$r" || die "depmod for $r failed"
rm -rf "$dest/debs"
echo "$suite" >"$dest/suite"
echo "$pkgs" >"$dest/packages"
: >"$dest/complete"
say "$suite: $r unpacked in $dest ($(du -sh "$dest" | cut -f1))"
echo "$r"
