# packaging/win/libs.sh: one function per library cdesk needs on Windows,
# sourced by packaging/win/build.sh. Each lib_NAME runs in the extracted
# Debian source tree of its package (the current folder), builds a static
# library for $HOST and installs it into $PREFIX. The environment is set by
# build.sh: HOST, PREFIX, JOBS, CC, CXX, AR, RANLIB, STRIP, WINDRES, CFLAGS,
# CPPFLAGS, LDFLAGS, PKG_CONFIG_LIBDIR, and the files $CMAKE_TOOLCHAIN and
# $MESON_CROSS.
#
# LIBS lists NAME:SOURCE-PACKAGE in build order (a library comes after the
# ones it links). GTK_LIBS is the start of the GTK3 stack for the CM (GLib
# and what it links), built into a prefix of its own only on request
# (build.sh --gtk) to measure it: the whole stack does not fit CI's budget.
# shellcheck disable=SC2034 # both used by build.sh
LIBS="zlib:zlib libpng:libpng1.6 sodium:libsodium event:libevent
protobuf_c:protobuf-c opus:opus vpx:libvpx zstd:libzstd yuv:libyuv
inih:libinih ffmpeg:ffmpeg"
# shellcheck disable=SC2034
GTK_LIBS="zlib:zlib intl:gettext ffi:libffi pcre2:pcre2 glib:glib2.0"

# autotools ARGS: configure for $HOST into $PREFIX (static only), make and
# install, in the current folder. Regenerates the build system first, as
# Debian does, when there is no configure or a Debian patch changes one
# of its inputs.
autotools() {
	if [ ! -x configure ] || grep -q -E \
	    '^\+\+\+ [^ ]*(configure\.(ac|in)|Makefile\.am|\.m4)' \
	    debian/patches/* 2>/dev/null; then
		autoreconf -fi
	fi
	./configure --host="$HOST" --prefix="$PREFIX" --disable-shared \
	    --enable-static --disable-dependency-tracking "$@"
	make -j"$JOBS"
	make install
}

# cmake_setup SRCDIR ARGS: configure SRCDIR with the mingw toolchain file
# into ./_build (ninja, release, static).
cmake_setup() {
	src=$1
	shift
	cmake -S "$src" -B _build -G Ninja \
	    -DCMAKE_TOOLCHAIN_FILE="$CMAKE_TOOLCHAIN" \
	    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$PREFIX" \
	    -DBUILD_SHARED_LIBS=OFF "$@"
}

# meson_build ARGS: configure the current folder with the mingw cross file
# into ./_build (static, release), build with ninja and install.
meson_build() {
	meson setup _build --cross-file "$MESON_CROSS" --prefix "$PREFIX" \
	    --libdir lib --buildtype release -Ddefault_library=static "$@"
	ninja -C _build -j"$JOBS"
	meson install -C _build --no-rebuild
}

# pc_private NAME LIBS: add LIBS to the Libs.private of $PREFIX's NAME.pc,
# for what a static link needs and the upstream file leaves out.
pc_private() {
	pc="$PREFIX/lib/pkgconfig/$1.pc"
	if grep -q '^Libs.private:' "$pc"; then
		sed -i "s|^Libs.private:.*|& $2|" "$pc"
	else
		echo "Libs.private: $2" >>"$pc"
	fi
}

# zlib: its own configure knows mingw from CHOST; installs zlib.pc.
lib_zlib() {
	CHOST=$HOST ./configure --prefix="$PREFIX" --static
	make -j"$JOBS" libz.a
	make install
}

# libpng, against the zlib above; the png* tools are not needed.
lib_libpng() {
	autotools --disable-tools
}

# libsodium: the orig tarball has no configure, so autotools regenerates
# it (the source's autogen.sh would download config.sub).
lib_sodium() {
	autotools
}

# libevent without OpenSSL (cdesk uses its own crypto), samples or tests.
lib_event() {
	autotools --disable-openssl --disable-samples \
	    --disable-libevent-regress
	# evutil.c calls if_nametoindex (iphlpapi); upstream's CMake build
	# links it, its libevent.pc does not.
	for n in libevent libevent_core libevent_extra; do
		pc_private $n -liphlpapi
	done
}

# protobuf-c: the C runtime only; protoc-c runs natively (Debian's
# protobuf-c-compiler).
lib_protobuf_c() {
	autotools --disable-protoc
}

# Opus with Debian's flags (custom modes), without docs or test programs.
lib_opus() {
	autotools --enable-custom-modes --disable-doc \
	    --disable-extra-programs
	# Its configure adds _FORTIFY_SOURCE, which mingw-w64 implements in
	# libssp.
	pc_private opus -lssp
}

# libvpx: the VP8 and VP9 encoders only (the host never decodes), with
# Debian's encoder options; x86 assembly through nasm.
lib_vpx() {
	CROSS="$HOST-" ./configure --target=x86_64-win64-gcc \
	    --prefix="$PREFIX" --as=nasm --enable-static --disable-shared \
	    --disable-examples --disable-tools --disable-docs \
	    --disable-unit-tests --disable-install-bins \
	    --disable-install-srcs --disable-vp8-decoder \
	    --disable-vp9-decoder --enable-multi-res-encoding \
	    --enable-temporal-denoising --enable-vp9-temporal-denoising
	make -j"$JOBS"
	make install
}

# zstd through its CMake build (as Debian builds it), library only.
lib_zstd() {
	cmake_setup build/cmake -DZSTD_BUILD_PROGRAMS=OFF \
	    -DZSTD_BUILD_SHARED=OFF -DZSTD_BUILD_STATIC=ON \
	    -DZSTD_BUILD_TESTS=OFF -DZSTD_LEGACY_SUPPORT=ON \
	    -DZSTD_MULTITHREAD_SUPPORT=ON
	ninja -C _build -j"$JOBS" install
}

# libyuv (C++) without JPEG support or tests: only the static library and
# the headers (its install rule wants the tools, named without .exe).
# cdesk links it with -lyuv and, being static C++, -lstdc++.
lib_yuv() {
	cmake_setup . -DTEST=OFF -DCMAKE_DISABLE_FIND_PACKAGE_JPEG=ON
	ninja -C _build -j"$JOBS" yuv
	install -D -m 644 _build/libyuv.a "$PREFIX/lib/libyuv.a"
	cp -R include/. "$PREFIX/include/"
}

# inih: the C parser and its inih.pc (distro_install), no C++ reader.
lib_inih() {
	meson_build -Ddistro_install=true -Dwith_INIReader=false
}

# FFmpeg with only what server/media/ uses: libavcodec with the libvpx
# VP8/VP9 encoders and Media Foundation's H.264 encoder (h264_mf: Windows'
# own, so no GPL x264), libswscale for BGRX -> I420, libavutil. Native
# Windows threads; no programs, formats, devices, filters or network.
lib_ffmpeg() {
	./configure --prefix="$PREFIX" --enable-cross-compile \
	    --target-os=mingw32 --arch=x86_64 --cross-prefix="$HOST-" \
	    --pkg-config=pkg-config --pkg-config-flags=--static \
	    --enable-static --disable-shared --disable-debug \
	    --disable-autodetect --disable-everything --disable-programs \
	    --disable-doc --disable-network --disable-avdevice \
	    --disable-avformat --disable-avfilter --disable-swresample \
	    --disable-postproc --enable-w32threads --enable-libvpx \
	    --enable-mediafoundation \
	    --enable-encoder=libvpx_vp8,libvpx_vp9,h264_mf
	make -j"$JOBS"
	make install
}

# libintl from gettext-runtime, for GLib (which calls gettext always).
lib_intl() {
	cd gettext-runtime
	./configure --host="$HOST" --prefix="$PREFIX" --disable-shared \
	    --enable-static --disable-dependency-tracking --disable-java \
	    --disable-csharp --disable-libasprintf --disable-openmp \
	    --disable-curses
	make -C intl -j"$JOBS"
	make -C intl install
}

# libffi, for GLib's GObject closures.
lib_ffi() {
	autotools --disable-docs --disable-multi-os-directory
}

# PCRE2 (8-bit), for GLib's GRegex; static, so its own test programs need
# PCRE2_STATIC too (libpcre2-8.pc gives it to GLib).
lib_pcre2() {
	autotools --disable-pcre2grep-libz --disable-pcre2grep-libbz2 \
	    CPPFLAGS="$CPPFLAGS -DPCRE2_STATIC"
}

# GLib, GObject and GIO: the base of the GTK3 stack. The gettext proxy is
# a meson subproject download, so this builds without NLS.
lib_glib() {
	meson_build -Dtests=false -Dnls=disabled -Dinstalled_tests=false \
	    -Dlibmount=disabled -Dselinux=disabled -Dxattr=false \
	    -Dman=false -Dgtk_doc=false --wrap-mode=nodownload
}
