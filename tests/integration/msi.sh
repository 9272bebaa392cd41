#!/bin/sh
# msi.sh: compile packaging/msi/cdesk.wxs with wixl (Debian package wixl)
# around a dummy cdesk.exe and check the tables of the .msi: the file in
# Program Files\cdesk, the "cdesk" service (cdesk.exe --server, LocalSystem,
# auto start, started on install, stopped and deleted on uninstall), the
# Start menu shortcut, the version and the upgrade code.
set -u
: "${WORK:?}"
D="$WORK/msi"
rm -rf "$D"
mkdir -p "$D/src"

fail() {
	echo "FAIL: $*"
	exit 1
}

command -v wixl >/dev/null 2>&1 || { echo "no wixl (package wixl)"; exit 77; }
command -v msiinfo >/dev/null 2>&1 || { echo "no msiinfo (msitools)"; exit 77; }

VERSION=$(cat VERSION)
printf 'MZ cdesk test stand-in\n' >"$D/src/cdesk.exe"
# wixl takes Source paths relative to the current folder only.
WXS="$(pwd)/packaging/msi/cdesk.wxs"
(cd "$D" && wixl -a x64 -D Version="$VERSION" -D SourceDir=src \
    -o cdesk.msi "$WXS") >"$D/wixl.log" 2>&1 ||
    fail "wixl: $(cat "$D/wixl.log")"
grep -i -E 'error|warning' "$D/wixl.log" && fail "wixl complained"
[ -s "$D/cdesk.msi" ] || fail "no cdesk.msi"

# table NAME: the rows of an MSI table (after its three header lines),
# tab-separated.
table() {
	msiinfo export "$D/cdesk.msi" "$1" 2>/dev/null | tr -d '\r' |
	    tail -n +4
}
# row TABLE AWK-CONDITION: fail unless some row of TABLE matches.
row() {
	table "$1" | awk -F '\t' "$2 { found = 1 } END { exit !found }" ||
	    fail "$1 has no row with $2: $(table "$1")"
}

row File '$3 == "cdesk.exe" && $2 == "CdeskExe"'
row Directory '$1 == "INSTALLDIR" && $2 == "ProgramFiles64Folder" && $3 == "cdesk"'
row Component '$1 == "CdeskExe" && $3 == "INSTALLDIR"'
# Service: own process (16), auto start (2), LocalSystem, --server.
row ServiceInstall '$2 == "cdesk" && $4 == 16 && $5 == 2 && $9 == "LocalSystem" && $11 == "--server" && $12 == "CdeskExe"'
# Events: start on install (1), stop on install (2) and uninstall (32),
# delete on uninstall (128).
row ServiceControl '$2 == "cdesk" && $3 == 163 && $6 == "CdeskExe"'
for a in InstallServices StartServices StopServices DeleteServices; do
	row InstallExecuteSequence "\$1 == \"$a\""
done
row Shortcut '$2 == "ProgramMenuFolder" && $3 == "cdesk" && $5 == "[INSTALLDIR]cdesk.exe"'
row Property "\$1 == \"ProductVersion\" && \$2 == \"$VERSION\""
row Property '$1 == "UpgradeCode" && tolower($2) == "{ad16fe10-046e-428f-ba8f-ac57f1e39c2a}"'
row Property '$1 == "ALLUSERS" && $2 == 1'
row Upgrade "\$7 == \"WIX_UPGRADE_DETECTED\" && \$3 == \"$VERSION\""
msiinfo suminfo "$D/cdesk.msi" | grep -qx 'Template: x64;1033' ||
    fail "not an x64 package: $(msiinfo suminfo "$D/cdesk.msi")"
# The cabinet holds the file we gave it.
mkdir "$D/x"
msiextract -C "$D/x" "$D/cdesk.msi" >/dev/null 2>&1 || fail "msiextract failed"
f=$(find "$D/x" -name cdesk.exe)
[ -n "$f" ] && cmp -s "$f" "$D/src/cdesk.exe" || fail "cdesk.exe not in the cabinet"
echo "ok: cdesk.msi $(stat -c %s "$D/cdesk.msi") bytes"
exit 0
