#!/bin/sh
# deb.sh: build the .deb with packaging/deb.sh from $B/cdesk and check it:
# control fields (Depends against the binary's libraries), the file list
# and modes, the shipped config (every option, the right defaults, parsed
# by the packaged binary), the unit (systemd-analyze verify), the desktop
# entry (desktop-file-validate) and lintian (errors and warnings fail).
# The maintainer scripts run with logging fakes of systemctl,
# deb-systemd-invoke and deb-systemd-helper, as on a system where systemd
# runs and where it does not, and the calls they make are compared with
# what they must do. Then the package is installed, removed, reinstalled
# and purged in a throw-away root (dpkg --root, scripts run chrootless
# with DPKG_ROOT; the real deb-systemd-helper behind a logging wrapper)
# and the installed binary runs. Two builds must give the same bytes.
# Every check runs: a missing tool fails the test (packaging/deps.sh
# installs them all). The real system is never touched, and the test
# checks that.
set -u
: "${CDESK:?}" "${WORK:?}" "${B:?}"
D="$WORK/deb"
rm -rf "$D"
mkdir -p "$D"

fail() {
	echo "FAIL: $*"
	exit 1
}

# No check is skipped: each tool, and the Debian package that has it.
for t in dpkg-deb:dpkg dpkg-shlibdeps:dpkg-dev lintian:lintian \
    desktop-file-validate:desktop-file-utils systemd-analyze:systemd \
    deb-systemd-helper:init-system-helpers objdump:binutils \
    readelf:binutils python3:python3; do
	command -v "${t%%:*}" >/dev/null 2>&1 ||
	    fail "${t%%:*} not found: install ${t#*:} (packaging/deps.sh)"
done

# What the real system looks like, to compare at the end.
real_state() {
	ls -la /etc/systemd/system /etc/systemd/system/multi-user.target.wants \
	    2>/dev/null
	dpkg-query -W -f='${Status} ${Version}\n' cdesk 2>/dev/null
	ls -la /etc/cdesk /var/lib/cdesk 2>/dev/null
}
real_state >"$D/real.before"

# ---- build ----
VERSION=$(cat VERSION)
ARCH=$(dpkg --print-architecture)
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null) ||
    SOURCE_DATE_EPOCH=$(date +%s)
export SOURCE_DATE_EPOCH
out=$(B=$B DEB_OUTDIR="$D" sh packaging/deb.sh) || fail "packaging/deb.sh failed"
DEB="$D/cdesk_${VERSION}_${ARCH}.deb"
[ "$out" = "$DEB" ] || fail "deb.sh printed '$out', want '$DEB'"
[ -s "$DEB" ] || fail "$DEB missing"
# Reproducible: a second build with the same SOURCE_DATE_EPOCH is the same
# bytes.
mkdir "$D/again"
B=$B DEB_OUTDIR="$D/again" sh packaging/deb.sh >/dev/null ||
    fail "second packaging/deb.sh failed"
cmp "$DEB" "$D/again/${DEB##*/}" || fail "two builds differ"
rm -rf "$D/again"

# ---- control fields ----
field() {
	dpkg-deb -f "$DEB" "$1"
}
[ "$(field Package)" = cdesk ] || fail "Package '$(field Package)'"
[ "$(field Version)" = "$VERSION" ] || fail "Version '$(field Version)'"
[ "$(field Architecture)" = "$ARCH" ] || fail "Architecture '$(field Architecture)'"
[ "$(field Section)" = net ] || fail "Section '$(field Section)'"
field Maintainer | grep -Eq '^[^<]+ <[^@ ]+@[^> ]+>$' ||
    fail "Maintainer '$(field Maintainer)'"
size=$(field Installed-Size)
GUI="${CDESK%/*}/cdesk-gui"
bin_kib=$(( ($(stat -c %s "$CDESK") + $(stat -c %s "$GUI") + 2047) / 1024 ))
echo "$size" | grep -Eq '^[0-9]+$' || fail "Installed-Size '$size'"
# At least the stripped binaries, at most the unstripped ones plus extras.
[ "$size" -gt 50 ] && [ "$size" -le $((bin_kib + 200)) ] ||
    fail "Installed-Size $size KiB (binary $bin_kib KiB)"
field Description | sed -n 2p | grep -q RustDesk ||
    fail "Description has no long text about RustDesk"
deps=$(field Depends)
echo "$deps" | grep -Eq '(^|, )libc6 \(>= [0-9.]+\)' ||
    fail "Depends lacks a versioned libc6: '$deps'"
# Every library the binaries need is owned by a package in Depends, and
# so is libavcodec, which the server loads with dlopen (avlib.c).
objdump -p "$CDESK" "$GUI" | awk '$1 == "NEEDED" { print $2 }' |
    sort -u >"$D/needed"
[ -s "$D/needed" ] || fail "objdump found no NEEDED libraries"
objdump -p "$CDESK" | grep -q 'NEEDED.*libavcodec' &&
    fail "cdesk links libavcodec: it should load it on first use"
objdump -p "$CDESK" | grep -q 'NEEDED.*libgtk' &&
    fail "cdesk links GTK: only cdesk-gui should"
ldd "$CDESK" "$GUI" >"$D/ldd"
avc="$(pkg-config --variable=libdir libavcodec)/libavcodec.so.$(pkg-config \
    --modversion libavcodec | cut -d. -f1)"
echo "${avc##*/} => $avc (0x0)" >>"$D/ldd"
echo "${avc##*/}" >>"$D/needed"
while read -r lib; do
	path=$(awk -v l="$lib" '$1 == l && $2 == "=>" { print $3; exit }' "$D/ldd")
	case "$lib" in libasan* | libubsan*) continue ;; esac
	[ -n "$path" ] || fail "ldd does not resolve $lib"
	pkg=$(dpkg -S "$path" 2>/dev/null ||
	    dpkg -S "$(readlink -f "$path")" 2>/dev/null) ||
	    fail "no package owns $path"
	pkg=${pkg%%:*}
	echo "$deps" | tr ',' '\n' | sed 's/^ *//; s/ .*//' | grep -qx "$pkg" ||
	    fail "Depends lacks $pkg (for $lib): '$deps'"
done <"$D/needed"
# The fallback without dpkg-shlibdeps names the same packages, unversioned.
mkdir "$D/fallback"
B=$B DEB_OUTDIR="$D/fallback" DEB_NO_SHLIBDEPS=1 sh packaging/deb.sh \
    >/dev/null || fail "packaging/deb.sh with DEB_NO_SHLIBDEPS failed"
fdeps=$(dpkg-deb -f "$D/fallback/${DEB##*/}" Depends)
[ "$fdeps" = "$(echo "$deps" | sed 's/ ([^)]*)//g')" ] ||
    fail "fallback Depends '$fdeps', dpkg-shlibdeps '$deps'"
rm -rf "$D/fallback"

# ---- files and modes ----
dpkg-deb -c "$DEB" >"$D/contents" || fail "dpkg-deb -c failed"
awk '$2 != "root/root" { print }' "$D/contents" | grep . &&
    fail "entries not owned by root/root"
awk '$1 !~ /^d/ { print $1, $6 }' "$D/contents" | sort >"$D/files"
sort >"$D/files.want" <<'EOF'
-rw-r--r-- ./etc/cdesk/cdesk.conf
-rw-r--r-- ./lib/systemd/system/cdesk.service
-rw-r--r-- ./usr/share/applications/cdesk.desktop
-rw-r--r-- ./usr/share/doc/cdesk/changelog.gz
-rw-r--r-- ./usr/share/doc/cdesk/copyright
-rw-r--r-- ./usr/share/icons/hicolor/scalable/apps/cdesk.svg
-rw-r--r-- ./usr/share/man/man1/cdesk.1.gz
-rwxr-xr-x ./usr/bin/cdesk
-rwxr-xr-x ./usr/lib/cdesk/cdesk-gui
EOF
diff -u "$D/files.want" "$D/files" || fail "file list or modes differ"
awk '$1 ~ /^d/ && $1 != "drwxr-xr-x" { print }' "$D/contents" | grep . &&
    fail "folders not 0755"

# ---- control archive ----
dpkg-deb -I "$DEB" >"$D/info" || fail "dpkg-deb -I failed"
dpkg-deb --ctrl-tarfile "$DEB" | tar -tvf - >"$D/ctrl"
for s in postinst prerm postrm; do
	grep -Eq "^-rwxr-xr-x root/root .* \./$s$" "$D/ctrl" ||
	    fail "$s missing or not 0755"
done
for f in conffiles md5sums control; do
	grep -Eq "^-rw-r--r-- root/root .* \./$f$" "$D/ctrl" ||
	    fail "$f missing or not 0644"
done
mkdir "$D/ctl"
dpkg-deb -e "$DEB" "$D/ctl"
[ "$(cat "$D/ctl/conffiles")" = /etc/cdesk/cdesk.conf ] ||
    fail "conffiles is '$(cat "$D/ctl/conffiles")'"
for s in postinst prerm postrm; do
	sh -n "$D/ctl/$s" || fail "$s: syntax error"
	# Every path a script deletes must be under DPKG_ROOT.
	grep -E '^[^#]*rm -' "$D/ctl/$s" | grep -v '"\$ROOT/' | grep . &&
	    fail "$s deletes outside \$DPKG_ROOT"
done
grep -q pkill "$D/ctl/"* && fail "a maintainer script uses pkill"

# ---- extracted files ----
X="$D/x"
dpkg-deb -x "$DEB" "$X" || fail "dpkg-deb -x failed"
# md5sums covers every file but the conffile, and matches.
(cd "$X" && find . -type f | sed 's|^\./||' | grep -vx etc/cdesk/cdesk.conf |
    sort) >"$D/sums.want"
awk '{ print $2 }' "$D/ctl/md5sums" | sort | diff -u "$D/sums.want" - ||
    fail "md5sums does not list exactly the non-conffiles"
(cd "$X" && md5sum --quiet -c "$D/ctl/md5sums") || fail "md5sums mismatch"
v=$("$X/usr/bin/cdesk" --version) || fail "extracted cdesk --version failed"
[ "$v" = "cdesk $VERSION" ] || fail "--version printed '$v'"
readelf -S "$X/usr/bin/cdesk" | grep -q '\.symtab' && fail "binary not stripped"
readelf -S "$X/usr/bin/cdesk" | grep -q '\.debug_' && fail "binary has debug info"
readelf -S "$X/usr/lib/cdesk/cdesk-gui" | grep -q '\.symtab' &&
    fail "cdesk-gui not stripped"

# The config: every known option is there (commented), non-empty defaults
# match the binary's, and with every line uncommented it parses cleanly.
C="$X/etc/cdesk/cdesk.conf"
grep -qx '\[options\]' "$C" || fail "cdesk.conf has no [options] line"
grep -Ev '^(#.*|\[options\]|)$' "$C" | grep . &&
    fail "cdesk.conf sets something (only comments expected)"
awk 'length > 196 { print FILENAME ":" NR ": too long"; bad = 1 }
    END { exit bad }' "$C" || fail "cdesk.conf has lines over 196 characters"
"$CDESK" --help | awk '$2 == "default" { print $1, $3 }' >"$D/defaults"
[ "$(wc -l <"$D/defaults")" -ge 30 ] || fail "cdesk --help lists few options"
while read -r key def; do
	line=$(grep -E "^# $key =( |$)" "$C") || fail "cdesk.conf lacks '# $key ='"
	[ "$(echo "$line" | wc -l)" -eq 1 ] || fail "cdesk.conf has $key twice"
	val=$(echo "$line" | sed 's/^[^=]*= *//')
	def=$(echo "$def" | tr -d '"')
	[ -z "$def" ] || [ "$val" = "$def" ] ||
	    fail "cdesk.conf: $key = '$val', but the default is '$def'"
done <"$D/defaults"
mkdir "$D/conf"
awk '/^\[options\]$/ { print; next }
    /^# [a-z][a-z-]* =/ { sub(/^# /, ""); print }' "$C" >"$D/conf/cdesk.conf"
"$X/usr/bin/cdesk" --config "$D/conf" --option approve-mode \
    >"$D/conf.out" 2>"$D/conf.err" || fail "uncommented cdesk.conf: $(cat "$D/conf.err")"
[ -s "$D/conf.err" ] && fail "uncommented cdesk.conf warns: $(cat "$D/conf.err")"
[ "$(cat "$D/conf.out")" = both ] || fail "approve-mode '$(cat "$D/conf.out")'"

# The unit.
U="$X/lib/systemd/system/cdesk.service"
for want in 'ExecStart=/usr/bin/cdesk --server' 'Restart=on-failure' \
    'RuntimeDirectory=cdesk' 'StateDirectory=cdesk' 'StateDirectoryMode=0700' \
    'ConfigurationDirectory=cdesk' 'WantedBy=multi-user.target' \
    'KillMode=control-group'; do
	grep -qx "$want" "$U" || fail "unit lacks '$want'"
done
# The stop (prerm, on remove) ends every process in the unit's cgroup,
# whatever its uid or session id: the server, the CM it started in the
# user's session, the workers. So: one KillMode, and SIGKILL for what
# outlives SIGTERM by TimeoutStopSec.
[ "$(grep -c '^KillMode=' "$U")" -eq 1 ] || fail "unit sets KillMode twice"
# Options that would cut it off from X sockets, /run/user or devices.
for bad in 'PrivateTmp=yes' 'ProtectHome=yes' 'ProtectHome=read-only' \
    'ProtectHome=tmpfs' 'PrivateDevices=yes' 'ProtectClock=yes' 'User=' \
    'DynamicUser=yes' 'ExecStop=' 'ExecStopPost=' 'SendSIGKILL=no'; do
	grep -q "^$bad" "$U" && fail "unit has '$bad'"
done
grep -v '^#' "$U" | grep -q pkill && fail "unit uses pkill"
mkdir "$D/unit"
sed "s|=/usr/bin/cdesk|=$X/usr/bin/cdesk|" "$U" >"$D/unit/cdesk.service"
systemd-analyze verify --man=no "$D/unit/cdesk.service" \
    >"$D/verify" 2>&1 || fail "systemd-analyze verify: $(cat "$D/verify")"
[ -s "$D/verify" ] && fail "systemd-analyze verify: $(cat "$D/verify")"
# The sandbox (issue 14): 8.8 "EXPOSED" without it, 3.9 with it.
systemd-analyze security --offline=true --no-pager "$D/unit/cdesk.service" \
    >"$D/security" 2>&1 || fail "systemd-analyze security: $(tail -n 5 "$D/security")"
exposure=$(sed -n 's/.*Overall exposure level for cdesk.service: \([0-9.]*\).*/\1/p' \
    "$D/security")
echo "systemd-analyze security: exposure ${exposure:-?}"
[ -n "$exposure" ] || fail "no exposure level: $(tail -n 3 "$D/security")"
awk "BEGIN { exit !($exposure <= 4.2) }" ||
    fail "the unit's exposure is $exposure (ceiling 4.2)"
for want in 'NoNewPrivileges=yes' 'ProtectSystem=strict' \
    'SystemCallFilter=@system-service' 'PrivateMounts=yes'; do
	grep -qx "$want" "$U" || fail "unit lacks '$want'"
done

# Desktop entry and icon.
E="$X/usr/share/applications/cdesk.desktop"
grep -qx 'Exec=cdesk' "$E" || fail "desktop entry Exec is not 'cdesk'"
grep -qx 'Icon=cdesk' "$E" || fail "desktop entry Icon is not 'cdesk'"
grep -qx 'Categories=Network;RemoteAccess;GTK;' "$E" ||
    fail "desktop entry Categories"
desktop-file-validate "$E" >"$D/dfv" 2>&1 ||
    fail "desktop-file-validate: $(cat "$D/dfv")"
[ -s "$D/dfv" ] && fail "desktop-file-validate: $(cat "$D/dfv")"
python3 - "$X/usr/share/icons/hicolor/scalable/apps/cdesk.svg" <<'EOF' ||
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
assert root.get("viewBox") and len(list(root.iter())) > 5
EOF
    fail "the icon is not a well-formed SVG"
zcat "$X/usr/share/man/man1/cdesk.1.gz" | grep -q '^\.TH CDESK 1' ||
    fail "man page"

# ---- lintian: errors and warnings fail (sanitizer builds too) ----
lintian --fail-on error,warning "$DEB" >"$D/lintian" 2>&1 ||
    fail "lintian: $(grep -v 'root privileges' "$D/lintian")"

# ---- the maintainer scripts, with and without systemd running ----
# Fakes of the commands the scripts drive systemd with: each logs its call
# to $FAKE_LOG; was-enabled answers $FAKE_ENABLED (1: yes).
# With $FAKE_HELPER set, deb-systemd-helper logs and runs the real one.
FB="$D/fakebin"
mkdir "$FB"
for c in systemctl deb-systemd-invoke deb-systemd-helper; do
	cat >"$FB/$c" <<'EOF'
#!/bin/sh
echo "${0##*/} $*" >>"${FAKE_LOG:?}"
[ "${0##*/}" = deb-systemd-helper ] && [ -n "${FAKE_HELPER:-}" ] &&
    exec "$FAKE_HELPER" "$@"
case " $* " in
*" was-enabled "*) [ "${FAKE_ENABLED:-1}" = 1 ] ;;
esac
EOF
	chmod 0755 "$FB/$c"
	[ "$(PATH="$FB:$PATH" command -v "$c")" = "$FB/$c" ] ||
	    fail "the fake $c is not the one the scripts would run"
done
REAL_HELPER=$(command -v deb-systemd-helper)
FAKE_LOG="$D/calls"
export FAKE_LOG

# calls_were WHAT: the calls logged since the last check are stdin's lines.
calls_were() {
	touch "$FAKE_LOG"
	diff -u - "$FAKE_LOG" >"$D/calls.diff" ||
	    fail "$1: calls differ (- expected, + made):
$(cat "$D/calls.diff")"
	: >"$FAKE_LOG"
}

# script SYSTEMD ENABLED NAME ARGS...: run the package's maintainer script
# NAME on this system (no DPKG_ROOT) with the fakes first in PATH, as
# where systemd runs (SYSTEMD 1) or not (0): in a copy of the script, the
# /run/systemd/system it tests (as debhelper's snippets do) becomes an
# existing folder of ours, or a missing one. Nothing here deletes: postrm
# purge runs only with a DPKG_ROOT of ours.
mkdir -p "$D/sd1/run/systemd/system" "$D/sd0"
script() {
	sd=$1 en=$2 name=$3
	shift 3
	[ -f "$D/sd$sd/$name" ] || {
		grep -q '\[ -d /run/systemd/system \]' "$D/ctl/$name" ||
		    fail "$name does not look for /run/systemd/system"
		sed "s|/run/systemd/system|$D/sd$sd&|g" "$D/ctl/$name" \
		    >"$D/sd$sd/$name"
	}
	env -u DPKG_ROOT PATH="$FB:$PATH" FAKE_ENABLED="$en" \
	    sh "$D/sd$sd/$name" "$@" >"$D/script.out" 2>&1 ||
	    fail "$name $* (systemd $sd) failed: $(cat "$D/script.out")"
	[ -s "$D/script.out" ] &&
	    fail "$name $* (systemd $sd) printed: $(cat "$D/script.out")"
	return 0
}

# First install, systemd running: enable, then start.
script 1 1 postinst configure ""
calls_were "postinst configure (install, systemd)" <<'EOF'
deb-systemd-helper unmask cdesk.service
deb-systemd-helper --quiet was-enabled cdesk.service
deb-systemd-helper enable cdesk.service
systemctl --system daemon-reload
deb-systemd-invoke start cdesk.service
EOF
# Upgrade, or reinstall after a remove (dpkg passes the version of the
# config files): restart, which also starts the unit the remove stopped.
script 1 1 postinst configure 0.0.1
calls_were "postinst configure 0.0.1 (upgrade, systemd)" <<'EOF'
deb-systemd-helper unmask cdesk.service
deb-systemd-helper --quiet was-enabled cdesk.service
deb-systemd-helper enable cdesk.service
systemctl --system daemon-reload
deb-systemd-invoke restart cdesk.service
EOF
# The admin disabled it: stays disabled (deb-systemd-invoke itself does
# not start a disabled unit).
script 1 0 postinst configure 0.0.1
calls_were "postinst configure 0.0.1 (disabled, systemd)" <<'EOF'
deb-systemd-helper unmask cdesk.service
deb-systemd-helper --quiet was-enabled cdesk.service
deb-systemd-helper update-state cdesk.service
systemctl --system daemon-reload
deb-systemd-invoke restart cdesk.service
EOF
# A failed remove: prerm stopped it, start it again.
script 1 1 postinst abort-remove
calls_were "postinst abort-remove (systemd)" <<'EOF'
deb-systemd-helper unmask cdesk.service
deb-systemd-helper --quiet was-enabled cdesk.service
deb-systemd-helper enable cdesk.service
systemctl --system daemon-reload
deb-systemd-invoke start cdesk.service
EOF
# No systemd running (this container, sysvinit, a chroot): only the
# enable links, no systemctl, nothing started, no failure.
script 0 1 postinst configure ""
calls_were "postinst configure (install, no systemd)" <<'EOF'
deb-systemd-helper unmask cdesk.service
deb-systemd-helper --quiet was-enabled cdesk.service
deb-systemd-helper enable cdesk.service
EOF
# Remove: stop (the unit's KillMode takes the CM and workers with it).
script 1 1 prerm remove
calls_were "prerm remove (systemd)" <<'EOF'
deb-systemd-invoke stop cdesk.service
EOF
script 0 1 prerm remove
calls_were "prerm remove (no systemd)" </dev/null
# Upgrade: keeps running until postinst's restart.
script 1 1 prerm upgrade 0.2.0
calls_were "prerm upgrade (systemd)" </dev/null
script 1 1 postrm remove
calls_were "postrm remove (systemd)" <<'EOF'
deb-systemd-helper mask cdesk.service
systemctl --system daemon-reload
EOF
script 0 1 postrm remove
calls_were "postrm remove (no systemd)" <<'EOF'
deb-systemd-helper mask cdesk.service
EOF
script 1 1 postrm upgrade 0.2.0
calls_were "postrm upgrade (systemd)" </dev/null
# Purge, into a root of our own: forget the unit, delete the state and
# the temporary files of a config write; an admin's own file stays.
P="$D/purge"
mkdir -p "$P/var/lib/cdesk/sub" "$P/etc/cdesk"
echo state >"$P/var/lib/cdesk/sub/state"
echo tmp >"$P/etc/cdesk/cdesk.conf.tmp.AbC123"
echo mine >"$P/etc/cdesk/local.note"
env DPKG_ROOT="$P" PATH="$FB:$PATH" sh "$D/ctl/postrm" purge \
    >"$D/script.out" 2>&1 || fail "postrm purge failed: $(cat "$D/script.out")"
[ -s "$D/script.out" ] && fail "postrm purge printed: $(cat "$D/script.out")"
calls_were "postrm purge" <<'EOF'
deb-systemd-helper purge cdesk.service
deb-systemd-helper unmask cdesk.service
EOF
[ -e "$P/var/lib/cdesk" ] && fail "postrm purge left /var/lib/cdesk"
[ -e "$P/etc/cdesk/cdesk.conf.tmp.AbC123" ] &&
    fail "postrm purge left a config write's temporary file"
[ "$(cat "$P/etc/cdesk/local.note" 2>/dev/null)" = mine ] ||
    fail "postrm purge deleted a file the admin put in /etc/cdesk"

# ---- install, remove, reinstall, purge in a throw-away root ----
# dpkg runs the scripts with DPKG_ROOT: no systemctl, no
# deb-systemd-invoke; the real deb-systemd-helper makes the links in $R.
R="$D/root"
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" \
    "$R/var/lib/dpkg/triggers"
: >"$R/var/lib/dpkg/status"
: >"$R/var/lib/dpkg/available"
force="--force-script-chrootless --force-depends"
[ "$(id -u)" -eq 0 ] || force="$force --force-not-root"
rdpkg() {
	# shellcheck disable=SC2086
	PATH="$FB:$PATH" FAKE_HELPER="$REAL_HELPER" \
	    dpkg --root="$R" $force --log=/dev/null "$@" >>"$D/dpkg.log" 2>&1 ||
	    fail "dpkg --root $*: $(tail -n 20 "$D/dpkg.log")"
}
WANTS="$R/etc/systemd/system/multi-user.target.wants/cdesk.service"
MASK="$R/etc/systemd/system/cdesk.service"

rdpkg -i "$DEB"
calls_were "dpkg --root -i" <<'EOF'
deb-systemd-helper unmask cdesk.service
deb-systemd-helper --quiet was-enabled cdesk.service
deb-systemd-helper enable cdesk.service
EOF
[ "$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Status}' cdesk)" = \
    "install ok installed" ] || fail "not installed in the throw-away root"
v=$("$R/usr/bin/cdesk" --version) || fail "installed cdesk --version failed"
[ "$v" = "cdesk $VERSION" ] || fail "installed --version printed '$v'"
[ "$(readlink "$WANTS")" = /lib/systemd/system/cdesk.service ] ||
    fail "postinst did not enable cdesk.service"
# State the service would have made; the config as root's --option edits it.
mkdir -m 0700 "$R/var/lib/cdesk"
echo state >"$R/var/lib/cdesk/state"
"$R/usr/bin/cdesk" --config "$R/etc/cdesk" --option direct-server Y ||
    fail "--option on the installed cdesk.conf failed"
grep -q '^# approve-mode = both' "$R/etc/cdesk/cdesk.conf" ||
    fail "--option lost the comments of cdesk.conf"

rdpkg -r cdesk
calls_were "dpkg --root -r" <<'EOF'
deb-systemd-helper mask cdesk.service
EOF
[ -e "$R/usr/bin/cdesk" ] && fail "remove left /usr/bin/cdesk"
[ -f "$R/etc/cdesk/cdesk.conf" ] || fail "remove deleted the conffile"
[ -f "$R/var/lib/cdesk/state" ] || fail "remove deleted the state"
[ "$(readlink "$MASK")" = /dev/null ] || fail "postrm remove did not mask"

rdpkg -i "$DEB"
calls_were "dpkg --root -i (reinstall)" <<'EOF'
deb-systemd-helper unmask cdesk.service
deb-systemd-helper --quiet was-enabled cdesk.service
deb-systemd-helper enable cdesk.service
EOF
grep -q '^direct-server = Y' "$R/etc/cdesk/cdesk.conf" ||
    fail "reinstall replaced the admin's cdesk.conf"
{ [ -e "$MASK" ] || [ -L "$MASK" ]; } && fail "reinstall left the mask"
[ -L "$WANTS" ] || fail "reinstall did not keep cdesk.service enabled"

# Purge with the admin's edited cdesk.conf and a config write's leftover:
# nothing of cdesk stays, not even the folders.
echo tmp >"$R/etc/cdesk/cdesk.conf.tmp.XyZ789"
rdpkg -P cdesk
calls_were "dpkg --root -P" <<'EOF'
deb-systemd-helper mask cdesk.service
deb-systemd-helper purge cdesk.service
deb-systemd-helper unmask cdesk.service
EOF
for p in /usr/bin/cdesk /etc/cdesk /var/lib/cdesk /lib/systemd/system/cdesk.service \
    /etc/systemd/system/cdesk.service \
    /etc/systemd/system/multi-user.target.wants/cdesk.service; do
	{ [ -e "$R$p" ] || [ -L "$R$p" ]; } && fail "purge left $p"
done
dpkg-query --admindir="$R/var/lib/dpkg" -W cdesk >/dev/null 2>&1 &&
    fail "purge left cdesk in the dpkg database"

real_state >"$D/real.after"
diff -u "$D/real.before" "$D/real.after" || fail "the real system changed"
echo "ok: $DEB ($(stat -c %s "$DEB") bytes), Installed-Size $size KiB"
exit 0
