# packaging/win/win.mk: what the Windows host (make win: build-win/cdesk.exe)
# is made of, included by the Makefile when WIN=1, after its wildcards.
#
# Left out of the Windows link (Linux only): the session source and its
# backends (session_src.c with logind, X11, /proc and the headless Xvfb;
# server/win/session_win.c follows the console session instead),
# session.c (fork, setuid; session_win.c starts programs), server/x11/
# (server/win/ has the same tables: capture, input, clipboard, cursor),
# PulseAudio capture (audio_pulse.c; server/win/audio_wasapi.c: WASAPI)
# and voice-call playback (aplay.c; svc_win.c plays nothing of a call),
# PTY terminals' platform part (term_pty.c; server/win/term_conpty.c
# runs them in a pseudoconsole), vpx_mem.c (glibc malloc hooks) and
# the logind wake lock and its sd-bus plumbing (awake.c, sdev.c;
# server/win/awake_win.c uses the power manager).
# File transfer is built: the helper (server/helper/, `cdesk.exe --helper`,
# started in the desktop user's session as that user) with its system
# calls on paths taken by server/win/helper_win.c (helper_win.h, included
# in each of its files: UTF-16 paths, reparse points refused), its link
# fsh.c with server/win/fsh_win.c (a loopback socket the helper proves
# with a key; files go as handles the server moves out of the helper's
# process), and the I/O threads fio.c with server/win/fio_win.c
# (positioned ReadFile/WriteFile, fio_win.h, included in fio.c); both
# keep offsets in 64 bits where the C runtime's off_t has 32.
# The GTK windows are not built; their native Win32 twins are, on the
# message-loop IPC client ipc/ipc_wmsg.c and the control helpers
# gui/win/wctl.c: the CM (cm/win/cm_win32.c with the shared
# cm/cm_core.c), `cdesk.exe --cm`, which the server starts in the desktop
# user's session as the Linux one starts `cdesk-gui --cm`; and the main
# window (ui/win/ui_win32.c with the shared ui/ui_core.c), `cdesk.exe`
# with no mode, which the installer's Start menu entry opens.
#
# Every file is compiled with common/compat_win.h included first and
# common/compat_win/ (small headers in place of the POSIX ones mingw
# lacks) on the include path;
# server/ files also see server/win/platform.h, which binds the platform
# table names the services use to the Windows ones.

WIN_NOT_SERVER	:= server/x11/% server/session.c server/session_src.c \
		   server/session_logind.c server/session_x11.c \
		   server/session_proc.c server/session_headless.c \
		   server/svc/term_pty.c server/svc/audio_pulse.c \
		   server/media/vpx_mem.c \
		   server/media/aplay.c \
		   server/awake.c server/sdev.c
COMMON_SRCS	:= $(wildcard common/*.c)
IPC_SRCS	:= ipc/ipc.c ipc/ipc_event.c ipc/ipc_win32.c ipc/ipc_wmsg.c
GUIWIN_SRCS	:= cm/cm_core.c cm/win/cm_win32.c ui/ui_core.c \
		   ui/win/ui_win32.c ui/win/ui_win32_tfa.c gui/win/wctl.c
SERVER_SRCS	:= $(filter-out $(WIN_NOT_SERVER),\
		   $(wildcard server/*.c server/*/*.c))

COMMON_PKGS	:= libsodium libprotobuf-c inih
SERVER_PKGS	:= libevent libavcodec libavutil libswscale vpx opus libzstd \
		   libpng
CPPFLAGS	+= -include common/compat_win.h -Icommon/compat_win \
		   -DCDESK_NO_GUI
$(B)/server/%.o: CPPFLAGS += -include server/win/platform.h
$(B)/server/helper/%.o: CPPFLAGS += -include server/win/helper_win.h
$(B)/server/fio.o: CPPFLAGS += -include server/win/fio_win.h
HARDEN		:= -fstack-protector-strong
HARDEN_LD	:= -static -Wl,--dynamicbase -Wl,--nxcompat \
		   -Wl,--high-entropy-va
WIN_SYSLIBS	:= -lws2_32 -liphlpapi -lwtsapi32 -luserenv -ld3d11 -ldxgi \
		   -lgdi32 -luser32 -ladvapi32 -lole32 -luuid -lbcrypt \
		   -lmfplat -lmfuuid -lstrmiids -lssp

$(B)/libguiwin.a: $(patsubst %.c,$(B)/%.o,$(GUIWIN_SRCS))
	@mkdir -p $(@D)
	$(Q)rm -f $@; $(AR) rcs $@ $^

$(B)/cdesk.exe: $(B)/cdesk.o $(B)/libguiwin.a $(B)/libserver.a $(B)/libipc.a \
    $(B)/libcommon.a
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(B)/libguiwin.a $(B)/libserver.a \
	    $(B)/libipc.a $(B)/libcommon.a \
	    $(call pc_libs,$(SERVER_PKGS) $(COMMON_PKGS)) \
	    -lyuv -lstdc++ -lm $(WIN_SYSLIBS)

# The installer around it (packaging/msi/cdesk.wxs; wixl takes Source
# paths relative to the current folder only). cdesk.exe is linked
# statically: no DLL goes with it.
$(B)/cdesk.msi: $(B)/cdesk.exe packaging/msi/cdesk.wxs
	@echo "  WIXL    $@"
	$(Q)wixl -a x64 -D Version=$(VERSION) -D SourceDir=$(B) -o $@ \
	    packaging/msi/cdesk.wxs

# The named-pipe transport's own test (tests/win/test_ipc_win.c), which
# tests/integration/win.sh runs under wine.
$(B)/tests/win/test_ipc_win.exe: $(B)/tests/win/test_ipc_win.o \
    $(B)/libipc.a $(B)/libcommon.a
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(B)/libipc.a $(B)/libcommon.a \
	    $(call pc_libs,libevent $(COMMON_PKGS)) $(WIN_SYSLIBS)

# The media backends' own test (tests/win/test_media_win.c: the cursor
# service over cursor_win.c), which tests/integration/win_media.sh runs.
$(B)/tests/win/test_media_win.exe: $(B)/tests/win/test_media_win.o \
    $(B)/libserver.a $(B)/libipc.a $(B)/libcommon.a
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(B)/libserver.a $(B)/libipc.a \
	    $(B)/libcommon.a $(call pc_libs,$(SERVER_PKGS) $(COMMON_PKGS)) \
	    -lyuv -lstdc++ -lm $(WIN_SYSLIBS)

# The file helper's Windows calls and fio's positioned I/O
# (tests/win/test_helper_win.c), which tests/integration/win_files.sh runs.
$(B)/tests/win/test_helper_win.exe: $(B)/tests/win/test_helper_win.o \
    $(B)/libserver.a $(B)/libipc.a $(B)/libcommon.a
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(B)/libserver.a $(B)/libipc.a \
	    $(B)/libcommon.a $(call pc_libs,$(SERVER_PKGS) $(COMMON_PKGS)) \
	    -lyuv -lstdc++ -lm $(WIN_SYSLIBS)
