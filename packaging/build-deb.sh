#!/bin/sh
# build-deb.sh OUTDIR - the cbcc and cbcc-core Debian packages (and the
# source package) of the committed tree, built by dpkg-buildpackage.
#
# HEAD is exported with git archive into a temporary directory, so a dirty
# checkout cannot leak into a package; packaging/debian becomes debian/
# there.  The outputs land in OUTDIR, with lintian's verdict in
# OUTDIR/lintian.txt.  A second run for the same tree (and the same
# DEB_BUILD_OPTIONS) does nothing: the tree's hash is kept in OUTDIR/.tree.
set -eu
out=${1:?usage: build-deb.sh OUTDIR}
top=$(git rev-parse --show-toplevel)
cd "$top"
mkdir -p "$out"
out=$(cd "$out" && pwd)

version=$(git show HEAD:VERSION)
deb_version=$(git show HEAD:packaging/debian/changelog |
	dpkg-parsechangelog -l- -SVersion)
if [ "$version" != "$deb_version" ]; then
	echo "build-deb: VERSION says $version, packaging/debian/changelog" \
	     "says $deb_version: add a changelog entry (dch -v $version)" >&2
	exit 1
fi
if ! git diff --quiet HEAD -- 2>/dev/null; then
	echo "build-deb: uncommitted changes are not packaged (HEAD is)" >&2
fi

export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS-nocheck}"
stamp="$(git rev-parse 'HEAD^{tree}') $DEB_BUILD_OPTIONS"
if [ -f "$out/.tree" ] && [ "$(cat "$out/.tree")" = "$stamp" ] &&
   ls "$out"/cbcc_"$version"_*.deb "$out"/cbcc-core_"$version"_*.deb \
	>/dev/null 2>&1; then
	echo "build-deb: $out is up to date for $(git rev-parse --short HEAD)"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cbcc-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
src="$tmp/cbcc-$version"
mkdir "$src"
git archive HEAD | tar -x -C "$src"
cp -a "$src/packaging/debian" "$src/debian"
(cd "$src" && dpkg-buildpackage -us -uc -j2 --build=full)

rm -f "$out"/*.deb "$out"/*.ddeb "$out"/*.dsc "$out"/*.tar.* \
	"$out"/*.buildinfo "$out"/*.changes "$out/.tree"
for f in "$tmp"/*; do
	[ -f "$f" ] && mv "$f" "$out/"
done
echo "$stamp" > "$out/.tree"
if command -v lintian >/dev/null; then
	lintian --info "$out"/cbcc_"$version"_*.changes | tee "$out/lintian.txt"
fi
ls -l "$out"
