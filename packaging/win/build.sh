#!/bin/sh
# packaging/win/build.sh (make win): build the libraries cdesk needs on
# Windows from Debian's own source packages, cross-compiled with Debian's
# mingw-w64 toolchain, into a prefix cached outside the clone.
#
# Usage: packaging/win/build.sh [--gtk] [OUTDIR]
#   OUTDIR (default build-win) receives $HOST-pkg-config, a pkg-config that
#   sees only the cached prefix, and prefix, a link to that prefix.
#   --gtk builds the start of the GTK3 stack (GTK_LIBS in libs.sh) instead
#   of the default set, to measure it.
#
# Sources come from a private apt configuration (deb-src entries copied
# from the machine's Debian entries, in the cache; /etc/apt is untouched):
# the newest version of each source package whose files download, else
# the newest of the next Debian release ($NEXT_SUITE). Downloads are kept
# in $CACHE/src.
#
# Cache: $CACHE/k-KEY/ holds prefix/ (include, lib, lib/pkgconfig),
# stamp/NAME (wall and CPU seconds of each finished library), log/NAME.log,
# manifest (NAME SOURCE VERSION of each library) and probe.exe (probe.c,
# linked against everything; run under wine when wine is installed). KEY
# hashes the files of packaging/win/, the host triplet and the manifest, so
# a new Debian version or a script change builds a new prefix; a killed
# build resumes at the first library without a stamp. $CACHE/current links
# the last prefix built; the three newest prefixes are kept.
#
# Environment: CDESK_WIN_CACHE (default /var/cache/cdesk-win as root, else
# $XDG_CACHE_HOME/cdesk-win), HOST (x86_64-w64-mingw32), JOBS (nproc),
# NEXT_SUITE (trixie), CDESK_WIN_OFFLINE (set: no apt-get update).
set -eu
umask 022
LC_ALL=C
export LC_ALL
HOST=${HOST:-x86_64-w64-mingw32}
JOBS=${JOBS:-$(nproc)}
NEXT_SUITE=${NEXT_SUITE:-trixie}
HERE=$(cd "$(dirname "$0")" && pwd)
if [ -n "${CDESK_WIN_CACHE:-}" ]; then
	CACHE=$CDESK_WIN_CACHE
elif [ "$(id -u)" -eq 0 ]; then
	CACHE=/var/cache/cdesk-win
else
	CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/cdesk-win
fi
SRC="$CACHE/src"
APT="$CACHE/apt"
. "$HERE/libs.sh"

die() {
	echo "win: $*" >&2
	exit 1
}

say() {
	echo "win: $*" >&2
}

# apt_stanzas MODE: print deb-src entries made from the machine's Debian
# entries of this release (MODE same) or one entry of the next release on
# the main archive's first address (MODE next).
apt_stanzas() {
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[ -n "$codename" ] || die "no VERSION_CODENAME in /etc/os-release"
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v c="$codename" -v mode="$1" -v next_suite="$NEXT_SUITE" '
		BEGIN { RS = ""; FS = "\n" }
		{
			types = suites = uris = signed = rest = ""; off = 0
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^#/)
					continue
				if ($i ~ /^[ \t]/) {	# continuation line
					if (k == "signed-by")
						signed = signed "\n" $i
					else
						rest = rest $i "\n"
					continue
				}
				split($i, kv, ":")
				k = tolower(kv[1]); v = substr($i, index($i, ":") + 1)
				if (k == "types") types = v
				else if (k == "suites") suites = v
				else if (k == "uris") uris = v
				else if (k == "signed-by") signed = v
				else if (k == "enabled" && v ~ /no/) off = 1
				else rest = rest $i "\n"
			}
			if (off || (" " types " ") !~ / deb /)
				next
			n = split(suites, s, " "); same = 0; main = 0
			for (i = 1; i <= n; i++) {
				if (s[i] == c || index(s[i], c "-") == 1) same = 1
				if (s[i] == c) main = 1
			}
			sb = signed == "" ? "" : "Signed-By:" signed "\n"
			if (mode == "same" && same)
				printf "Types: deb-src\nURIs:%s\nSuites:%s\n%s%s\n",
				    uris, suites, sb, rest
			if (mode == "next" && main && !done) {
				split(uris, u, " "); done = 1
				printf "Types: deb-src\nURIs: %s\nSuites: %s\n%s%s\n",
				    u[1], next_suite, "Components: main\n", sb
			}
		}' "$f"
	done
}

# apt_lines: one-line deb entries of this release, as deb-src.
apt_lines() {
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
	    awk -v c="$codename" '$1 == "deb" {
		s = $2 ~ /^\[/ ? $4 : $3
		if (s == c || index(s, c "-") == 1) { $1 = "deb-src"; print }
	    }'
}

# apt_run CONF CMD ARGS: run apt-get or apt-cache on the private
# configuration CONF (same or next).
apt_run() {
	d="$APT/$1"
	cmd=$2
	shift 2
	"$cmd" -q -o Dir::Etc::SourceList="$d/sources.list" \
	    -o Dir::Etc::SourceParts="$d/parts" \
	    -o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" \
	    -o APT::Sandbox::User="$(id -un)" "$@"
}

# apt_setup: write both private configurations and refresh their lists
# (kept as they are when offline or when the refresh fails).
apt_setup() {
	for conf in same next; do
		d="$APT/$conf"
		mkdir -p "$d/parts" "$d/lists/partial" \
		    "$d/cache/archives/partial"
		: >"$d/sources.list"
		apt_stanzas $conf >"$d/parts/debian.sources.new"
		mv "$d/parts/debian.sources.new" "$d/parts/debian.sources"
		if [ $conf = same ]; then
			apt_lines >"$d/sources.list"
		fi
		[ -s "$d/parts/debian.sources" ] || [ -s "$d/sources.list" ] ||
		    die "no Debian entry in /etc/apt to copy for $conf"
		[ -n "${CDESK_WIN_OFFLINE:-}" ] && continue
		apt_run $conf apt-get update >"$APT/update-$conf.log" 2>&1 ||
		    say "apt-get update ($conf) failed; using the old lists"
	done
}

# versions CONF PKG: the versions of source package PKG, newest first.
versions() {
	apt_run "$1" apt-cache showsrc "$2" 2>/dev/null | awk -v p="$2" '
	    /^Package: / { ours = ($2 == p) }
	    /^Version: / && ours { print $2 }' | sort -u -r -V
}

# fetch PKG: download the source of PKG into $SRC (unless there already)
# and set VER to its version; tries each version of this release, newest
# first, then the next release. A version whose files failed to download
# is not tried again for a day.
fetch() {
	mkdir -p "$SRC/ok" "$SRC/missing"
	for conf in same next; do
		for v in $(versions $conf "$1"); do
			m="$1_${v#*:}"
			if [ -e "$SRC/ok/$m" ]; then
				VER=$v
				return 0
			fi
			[ -n "$(find "$SRC/missing/$m" -mmin -1440 \
			    2>/dev/null)" ] && continue
			[ -n "${CDESK_WIN_OFFLINE:-}" ] && continue
			if (cd "$SRC" && apt_run $conf apt-get source \
			    --download-only "$1=$v") >>"$SRC/fetch.log" 2>&1; then
				touch "$SRC/ok/$m"
				VER=$v
				return 0
			fi
			touch "$SRC/missing/$m"
			say "$1 $v: source not available, trying older"
		done
	done
	die "no source of $1 could be downloaded (see $SRC/fetch.log)"
}

# toolchain_files: the CMake toolchain file and the meson cross file for
# $HOST, with pkg-config limited to $PREFIX.
toolchain_files() {
	cat >"$CMAKE_TOOLCHAIN" <<-EOF
	set(CMAKE_SYSTEM_NAME Windows)
	set(CMAKE_SYSTEM_PROCESSOR x86_64)
	set(CMAKE_C_COMPILER $HOST-gcc)
	set(CMAKE_CXX_COMPILER $HOST-g++)
	set(CMAKE_RC_COMPILER $HOST-windres)
	set(CMAKE_FIND_ROOT_PATH $PREFIX /usr/$HOST)
	set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
	set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
	set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
	set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
	EOF
	cat >"$MESON_CROSS" <<-EOF
	[binaries]
	c = '$HOST-gcc'
	cpp = '$HOST-g++'
	ar = '$HOST-ar'
	strip = '$HOST-strip'
	windres = '$HOST-windres'
	pkgconfig = 'pkg-config'
	[properties]
	pkg_config_libdir = '$PREFIX/lib/pkgconfig'
	[host_machine]
	system = 'windows'
	cpu_family = 'x86_64'
	cpu = 'x86_64'
	endian = 'little'
	EOF
}

# cputime: set CPU to the user and system seconds of this shell's
# finished children (times must run in this shell, not a subshell).
cputime() {
	times >"$KDIR/times"
	CPU=$(awk 'NR == 2 {
		t = 0
		for (i = 1; i <= 2; i++) {
			split($i, p, "m"); t += p[1] * 60 + p[2]
		}
		printf "%d\n", t
	}' "$KDIR/times")
}

# build_lib NAME PKG: build library NAME from the fetched source of PKG
# (version $VER) unless its stamp says it is done.
build_lib() {
	stamp="$KDIR/stamp/$1"
	if [ -f "$stamp" ]; then
		ROWS="$ROWS$1 $2 $VER $(cat "$stamp") cached\n"
		return 0
	fi
	w="$KDIR/work/$1"
	rm -rf "$w"
	mkdir -p "$w" "$KDIR/stamp" "$KDIR/log"
	say "building $1 ($2 $VER)"
	t0=$(date +%s)
	cputime
	c0=$CPU
	dpkg-source -x "$SRC/$2_${VER#*:}.dsc" "$w/src" \
	    >"$KDIR/log/$1.log" 2>&1 || die "$2: dpkg-source failed"
	# A shell of its own: set -e is off inside an if condition.
	if ! sh -e -c '. "$1"; cd "$2"; "lib_$3"' sh "$HERE/libs.sh" \
	    "$w/src" "$1" >>"$KDIR/log/$1.log" 2>&1; then
		tail -n 30 "$KDIR/log/$1.log" >&2
		die "$1 failed: $KDIR/log/$1.log"
	fi
	cputime
	s="$(($(date +%s) - t0)) $((CPU - c0))"
	echo "$s" >"$stamp"
	rm -rf "$w"
	ROWS="$ROWS$1 $2 $VER $s built\n"
}

# pkgconfig_wrapper DIR: write DIR/$HOST-pkg-config (pkg-config over the
# cached prefix only, static link lines, its headers as system headers
# the way /usr/include is natively) and DIR/prefix.
pkgconfig_wrapper() {
	mkdir -p "$1"
	cat >"$1/$HOST-pkg-config.new" <<-EOF
	#!/bin/sh
	# Written by packaging/win/build.sh: pkg-config for $HOST.
	PKG_CONFIG_LIBDIR='$PREFIX/lib/pkgconfig'
	export PKG_CONFIG_LIBDIR
	unset PKG_CONFIG_PATH
	out=\$(pkg-config --static "\$@") || exit
	[ -z "\$out" ] || printf '%s\\n' "\$out" |
	    sed 's/\\(^\\| \\)-I/\\1-isystem/g'
	EOF
	chmod 755 "$1/$HOST-pkg-config.new"
	mv "$1/$HOST-pkg-config.new" "$1/$HOST-pkg-config"
	ln -sfn "$PREFIX" "$1/prefix"
}

# probe OUTDIR: link probe.c against every library of the prefix and,
# where wine is installed, run it (once per prefix).
probe() {
	exe="$KDIR/probe.exe"
	pc="$1/$HOST-pkg-config"
	mods="libsodium libevent libprotobuf-c opus vpx libzstd zlib libpng
	    inih libavcodec libswscale"
	[ -f "$exe" ] && return 0
	# shellcheck disable=SC2046,SC2086
	$CC -std=c11 -O2 -Wall -Wextra -Werror $("$pc" --cflags $mods) \
	    "$HERE/probe.c" -o "$exe.new" $("$pc" --libs $mods) \
	    -lyuv -lstdc++ -static >"$KDIR/log/probe.log" 2>&1 || {
		cat "$KDIR/log/probe.log" >&2
		die "probe.c does not link against the prefix"
	}
	for w in wine64 wine /usr/lib/wine/wine64; do
		command -v $w >/dev/null 2>&1 || continue
		# A wine prefix of its own (700 MB), removed after the run.
		WINEPREFIX="$KDIR/wine"
		export WINEPREFIX
		r=0
		WINEDEBUG=-all $w "$exe.new" >"$KDIR/log/probe-run.log" 2>&1 ||
		    r=$?
		"$(dirname "$(command -v $w)")/wineserver" -k 2>/dev/null ||
		    true
		rm -rf "$WINEPREFIX"
		unset WINEPREFIX
		if [ $r -ne 0 ]; then
			cat "$KDIR/log/probe-run.log" >&2
			die "probe.exe failed under $w"
		fi
		say "probe.exe under $w: $(tail -n 1 "$KDIR/log/probe-run.log")"
		break
	done
	mv "$exe.new" "$exe"
}

# prune: keep the three newest keyed prefixes.
prune() {
	ls -1dt "$CACHE"/k-* 2>/dev/null | tail -n +4 | while read -r d; do
		say "removing old prefix $d"
		rm -rf "$d"
	done
}

# main ARGS: resolve the sources, derive the key, build what is missing.
main() {
	set_libs=$LIBS
	gtk=""
	if [ "${1:-}" = "--gtk" ]; then
		set_libs=$GTK_LIBS
		gtk=1
		shift
	fi
	out=${1:-build-win}
	command -v "$HOST-gcc" >/dev/null ||
	    die "$HOST-gcc missing: sh packaging/deps.sh --win"
	mkdir -p "$CACHE"
	exec 9>"$CACHE/lock"
	flock 9
	t_start=$(date +%s)
	apt_setup
	manifest=""
	for l in $set_libs; do
		fetch "${l#*:}"
		manifest="$manifest${l%%:*} ${l#*:} $VER\n"
	done
	key=$( (cat "$HERE"/*.sh "$HERE/probe.c"; echo "$HOST"
	    printf %b "$manifest") | sha256sum | cut -c1-16)
	KDIR="$CACHE/k-$key"
	PREFIX="$KDIR/prefix"
	CMAKE_TOOLCHAIN="$KDIR/toolchain.cmake"
	MESON_CROSS="$KDIR/cross.txt"
	mkdir -p "$PREFIX/lib/pkgconfig" "$PREFIX/include"
	printf %b "$manifest" >"$KDIR/manifest"
	toolchain_files
	CC=$HOST-gcc CXX=$HOST-g++ AR=$HOST-ar RANLIB=$HOST-ranlib
	STRIP=$HOST-strip WINDRES=$HOST-windres NM=$HOST-nm
	CFLAGS=-O2 CXXFLAGS=-O2 CPPFLAGS="-I$PREFIX/include"
	LDFLAGS="-L$PREFIX/lib" PKG_CONFIG_LIBDIR="$PREFIX/lib/pkgconfig"
	export HOST PREFIX JOBS CC CXX AR RANLIB STRIP WINDRES NM CFLAGS \
	    CXXFLAGS CPPFLAGS LDFLAGS PKG_CONFIG_LIBDIR CMAKE_TOOLCHAIN \
	    MESON_CROSS
	unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
	ROWS=""
	for l in $set_libs; do
		VER=$(printf %b "$manifest" | awk -v n="${l%%:*}" '$1 == n { print $3 }')
		build_lib "${l%%:*}" "${l#*:}"
	done
	rmdir "$KDIR/work" 2>/dev/null || true
	touch "$KDIR"
	ln -sfn "$KDIR" "$CACHE/current"
	pkgconfig_wrapper "$out"
	[ -n "$gtk" ] || probe "$out"
	prune
	printf "%-11s %-12s %-32s %5s %5s\n" library source version wall cpu
	printf %b "$ROWS" | awk '{ printf "%-11s %-12s %-32s %5s %5s %s\n",
	    $1, $2, $3, $4, $5, $6 }'
	echo "prefix $PREFIX ($(du -sh "$PREFIX" | cut -f1)), $(($(date +%s) - \
	    t_start)) s in all"
}

main "$@"
