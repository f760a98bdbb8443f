#!/bin/sh
# deps.sh - install every Debian package cbcc's build, tests, VM lane,
# benchmarks and demo need.  Idempotent.  Why each is here: README.md.
set -eu
PKGS="
	build-essential pkg-config
	libbpfcc-dev libbpf-dev libjson-c-dev libelf-dev zlib1g-dev
	libdw-dev liblzma-dev libbz2-dev libzstd-dev
	libcmocka-dev systemtap-sdt-dev
	libmicrohttpd-dev libyaml-dev nettle-dev prometheus
	clang llvm libclang-rt-14-dev libclang-14-dev
	bpfcc-tools python3-bpfcc bpftool bpftrace
	linux-headers-amd64
	python3-pytest python3-setuptools
	iproute2 iputils-ping kmod procps netcat-openbsd
	qemu-system-x86 linux-image-amd64 busybox-static cpio
	hyperfine
	debhelper dpkg-dev git lintian man-db bash-completion
"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: must run as root (apt-get install)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# The VM lane's second kernel, Debian's 6.12 from bookworm-backports,
# unpacked into a cache, never installed (packaging/fetch-kernel.sh).
# make test runs the lane on it (VM_KERNELS in the Makefile), so a kernel
# that cannot be fetched fails here, naming the cause, not an hour later.
fetch_kernels() {
	if ! sh "$(dirname "$0")/fetch-kernel.sh" bookworm-backports \
			>/dev/null; then
		echo "deps: error: Debian 6.12 not fetched (the VM lane's" \
		     "second kernel): see fetch-kernel's error above" >&2
		exit 1
	fi
}
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: all packages installed"
	fetch_kernels
	exit 0
fi
echo "deps: installing$missing"
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
fetch_kernels
