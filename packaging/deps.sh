#!/bin/sh
# Install the Debian 12 packages cdesk needs to build and test.
# Usage: packaging/deps.sh [--win] [--check]   (--check: exit 1 if something
# is missing; --win: also what make win needs to cross-build for Windows)
# Runs apt-get only for what is missing; as root, or through sudo.
set -e

BUILD_PKGS="build-essential pkg-config protobuf-c-compiler libprotobuf-c-dev
libsodium-dev libevent-dev libavcodec-dev libavutil-dev libswscale-dev
libopus-dev libgtk-3-dev libxcb1-dev libxcb-shm0-dev libxcb-damage0-dev
libxcb-xfixes0-dev libxcb-randr0-dev libxcb-xtest0-dev libxcb-xinput-dev
libpulse-dev libinih-dev libzstd-dev libpng-dev libyuv-dev libvpx-dev
libsystemd-dev libqrencode-dev"
TEST_PKGS="clang libclang-rt-14-dev xvfb x11-utils x11-xserver-utils xauth
xdotool dbus-x11 at-spi2-core python3 python3-gi gir1.2-atspi-2.0
pulseaudio pulseaudio-utils xclip lintian desktop-file-utils systemd
init-system-helpers wixl msitools gcc-mingw-w64-x86-64
imagemagick libxkbcommon-x11-dev xserver-xorg-core xserver-xorg-video-dummy
x11vnc tigervnc-scraping-server python3-numpy python3-av dbus
python3-dbusmock openbox"
# make win: Debian's mingw-w64 toolchain, the build tools of the Debian
# source packages it cross-compiles (packaging/win/) and wine64 to run it.
WIN_PKGS="gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 dpkg-dev nasm cmake
ninja-build meson autoconf automake libtool pkg-config xz-utils bzip2 wine64"
if [ "$1" = "--win" ]; then
	TEST_PKGS="$TEST_PKGS $WIN_PKGS"
	shift
fi

missing=""
for p in $BUILD_PKGS $TEST_PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
if [ "$1" = "--check" ]; then
	echo "missing packages:$missing"
	exit 1
fi
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
