#!/bin/sh
# packaging/deb.sh (make deb): build $B/cdesk_<VERSION>_<arch>.deb from an
# already built $B/cdesk and $B/cdesk-gui (installed as
# /usr/lib/cdesk/cdesk-gui, which cdesk execs for its windows) with dpkg-deb alone (no debian/ folder, no
# debhelper). Depends is computed from the binary's shared libraries with
# dpkg-shlibdeps (dpkg-dev), or, without it, with dpkg -S over ldd.
# Run from the top of the tree. Prints the path of the package.
#
# Environment: B (build folder, default build), DEB_OUTDIR (where the
# package and its staging folder go, default $B), VERSION (default: the
# VERSION file), DEB_ARCH (default: dpkg --print-architecture),
# DEB_MAINTAINER (default: the last commit's author), SOURCE_DATE_EPOCH
# (default: the last commit's time; makes the package reproducible),
# DEB_NO_SHLIBDEPS (set: use the dpkg -S fallback even with dpkg-shlibdeps).
set -eu
umask 022
LC_ALL=C
export LC_ALL
B=${B:-build}
P=packaging/deb
BIN="$B/cdesk"
GUI="$B/cdesk-gui"
VERSION=${VERSION:-$(cat VERSION)}
ARCH=${DEB_ARCH:-$(dpkg --print-architecture)}
OUTDIR=${DEB_OUTDIR:-$B}
OUT="$OUTDIR/cdesk_${VERSION}_${ARCH}.deb"
ROOT="$OUTDIR/deb/root"

die() {
	echo "deb.sh: $*" >&2
	exit 1
}

[ -x "$BIN" ] || die "$BIN not found: build it first (make)"
[ -x "$GUI" ] || die "$GUI not found: build it first (make)"
[ -f "$P/cdesk.service" ] || die "run me from the top of the source tree"
dpkg --compare-versions "$VERSION" ge 0 2>/dev/null ||
    die "VERSION '$VERSION' is not a Debian version"
if [ -z "${DEB_MAINTAINER:-}" ]; then
	DEB_MAINTAINER=$(git log -1 --format='%an <%ae>' 2>/dev/null) || true
	[ -n "$DEB_MAINTAINER" ] ||
	    DEB_MAINTAINER="cdesk developers <cdesk@localhost>"
fi
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null) ||
	    SOURCE_DATE_EPOCH=$(date +%s)
fi
export SOURCE_DATE_EPOCH

# shlib_depends BINARY...: print the Depends value for the BINARYs'
# libraries.
shlib_depends() {
	if [ -z "${DEB_NO_SHLIBDEPS:-}" ] &&
	    command -v dpkg-shlibdeps >/dev/null 2>&1; then
		# dpkg-shlibdeps wants a debian/control naming the package.
		t=$(mktemp -d)
		mkdir "$t/debian"
		printf 'Source: cdesk\n\nPackage: cdesk\nArchitecture: any\n' \
		    >"$t/debian/control"
		es=""
		for b in "$@"; do
			es="$es -e$(cd "$(dirname "$b")" && pwd)/$(basename "$b")"
		done
		# shellcheck disable=SC2086
		dep=$(cd "$t" && dpkg-shlibdeps -O $es 2>"$t/err") || {
			cat "$t/err" >&2
			rm -rf "$t"
			return 1
		}
		cat "$t/err" >&2
		rm -rf "$t"
		echo "$dep" | sed -n 's/^shlibs:Depends=//p'
		return 0
	fi
	# Unversioned fallback: the packages owning the libraries the binary
	# names (NEEDED), where ldd finds them.
	ldd "$@" >"$ROOT.ldd"
	objdump -p "$@" | awk '$1 == "NEEDED" { print $2 }' | sort -u |
	    while read -r lib; do
		path=$(awk -v l="$lib" '$1 == l && $2 == "=>" { print $3; exit }' \
		    "$ROOT.ldd")
		dpkg -S "$path" 2>/dev/null ||
		    dpkg -S "$(readlink -f "$path")" 2>/dev/null ||
		    echo "deb.sh: warning: no package owns $lib" >&2
	    done | sed 's/:.*//' | sort -u | paste -sd, - | sed 's/,/, /g'
	rm -f "$ROOT.ldd"
}

rm -rf "$OUTDIR/deb"
mkdir -p "$ROOT/DEBIAN"

install -d "$ROOT/usr/bin" "$ROOT/usr/lib/cdesk" "$ROOT/lib/systemd/system" "$ROOT/etc/cdesk" \
    "$ROOT/usr/share/applications" \
    "$ROOT/usr/share/icons/hicolor/scalable/apps" \
    "$ROOT/usr/share/man/man1" "$ROOT/usr/share/doc/cdesk"
strip --strip-unneeded --remove-section=.comment --remove-section=.note \
    -o "$ROOT/usr/bin/cdesk" "$BIN"
strip --strip-unneeded --remove-section=.comment --remove-section=.note \
    -o "$ROOT/usr/lib/cdesk/cdesk-gui" "$GUI"
chmod 0755 "$ROOT/usr/bin/cdesk" "$ROOT/usr/lib/cdesk/cdesk-gui"
install -m 0644 "$P/cdesk.service" "$ROOT/lib/systemd/system/cdesk.service"
install -m 0644 "$P/cdesk.conf" "$ROOT/etc/cdesk/cdesk.conf"
install -m 0644 "$P/cdesk.desktop" "$ROOT/usr/share/applications/"
install -m 0644 "$P/cdesk.svg" "$ROOT/usr/share/icons/hicolor/scalable/apps/"
install -m 0644 "$P/copyright" "$ROOT/usr/share/doc/cdesk/"
gzip -9n <"$P/cdesk.1" >"$ROOT/usr/share/man/man1/cdesk.1.gz"
# A native package's changelog: this version, dated by its last commit.
{
	printf 'cdesk (%s) unstable; urgency=medium\n\n' "$VERSION"
	printf '  * Package cdesk %s.\n\n' "$VERSION"
	printf ' -- %s  %s\n' "$DEB_MAINTAINER" \
	    "$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$ROOT/usr/share/doc/cdesk/changelog.gz"
chmod 0644 "$ROOT/usr/share/man/man1/cdesk.1.gz" \
    "$ROOT/usr/share/doc/cdesk/changelog.gz"

for s in postinst prerm postrm; do
	install -m 0755 "$P/$s" "$ROOT/DEBIAN/$s"
done
echo /etc/cdesk/cdesk.conf >"$ROOT/DEBIAN/conffiles"
# Checksums of every file but the conffiles (dpkg keeps those itself).
(cd "$ROOT" && find . -path ./DEBIAN -prune -o -type f -print |
    sed 's|^\./||' | grep -vxF "$(sed 's|^/||' DEBIAN/conffiles)" | sort |
    xargs md5sum) >"$ROOT/DEBIAN/md5sums"
chmod 0644 "$ROOT/DEBIAN/conffiles" "$ROOT/DEBIAN/md5sums"

depends=$(shlib_depends "$ROOT/usr/bin/cdesk" \
    "$ROOT/usr/lib/cdesk/cdesk-gui") ||
    die "cannot compute Depends of $BIN"
[ -n "$depends" ] || die "no Depends found for $BIN"
# libavcodec is loaded with dlopen (server/media/avlib.c), so no NEEDED
# entry names it: the package owning the one the build used.
avc="$(pkg-config --variable=libdir libavcodec)/libavcodec.so.$(pkg-config \
    --modversion libavcodec | cut -d. -f1)"
avpkg=$(dpkg -S "$avc" 2>/dev/null | sed -n '1s/:.*//p')
[ -n "$avpkg" ] || die "no package owns $avc"
depends="$depends, $avpkg"
# Installed-Size as dpkg-gencontrol counts it: KiB per file, rounded up,
# and 1 per folder or link.
size=$(cd "$ROOT" && find . -path ./DEBIAN -prune -o ! -name . -printf '%y %s\n' |
    awk '$1 == "f" { n += int(($2 + 1023) / 1024); next } { n++ }
    END { print n }')

cat >"$ROOT/DEBIAN/control" <<EOF
Package: cdesk
Version: $VERSION
Architecture: $ARCH
Maintainer: $DEB_MAINTAINER
Installed-Size: $size
Depends: $depends
Suggests: xvfb
Section: net
Priority: optional
Description: remote-desktop host for RustDesk clients
 cdesk lets stock RustDesk clients (desktop, mobile and web apps) view and
 control this computer. It speaks RustDesk's protocol: peers reach the
 host by its nine-digit ID through RustDesk's public or your own
 rendezvous and relay servers, or directly by IP address on the local
 network.
 .
 The person at the computer decides who may come in (one-time or
 permanent password, or a click in the connection window) and what each
 peer may do: keyboard and mouse, clipboard, file transfer, sound,
 terminal. The screen is sent as VP9, VP8, AV1 or H.264 video, and
 nothing is encoded while it is still.
 .
 This package runs the host as the systemd service cdesk.service and
 installs the cdesk main window and command line (cdesk --get-id,
 --password, --option). Written in C; contains no RustDesk code.
EOF
chmod 0644 "$ROOT/DEBIAN/control"

dpkg-deb --root-owner-group -Zxz --build "$ROOT" "$OUT" >/dev/null
echo "$OUT"
