# cdesk: one GNU Makefile, out-of-tree builds into $(B)/.
#   make          build $(B)/cdesk, $(B)/cdesk-gui and the test programs
#   make check    run every test; last line "N passed, N failed"
#   make asan     the same tests under AddressSanitizer + UBSan (build-asan/)
#   make fuzz     libFuzzer runs of every tests/fuzz target (build-fuzz/)
#   make run      install missing packages, build, start a host and print
#                 its ID, port and one-time password
#   make bench    benchmarks; make deb: the Debian package; make clean

B		?= build
CC		?= cc
PKG_CONFIG	?= pkg-config
V		?= 0
ifeq ($(V),0)
Q		:= @
endif

COMMON_PKGS	:= libsodium libprotobuf-c inih
SERVER_PKGS	:= libevent libevent_pthreads libavcodec libavutil libswscale \
		   vpx opus xcb xcb-shm xcb-damage xcb-xfixes xcb-randr \
		   xcb-xtest xcb-xinput libpulse libpulse-simple libzstd libpng \
		   libsystemd
GUI_PKGS	:= gtk+-3.0 libqrencode
TEST_PKGS	:= xkbcommon-x11 xcb-xkb

pc_cflags	= $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pc_libs		= $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

WARN		:= -Wall -Wextra -Wformat=2 -Wmissing-prototypes \
		   -Wstrict-prototypes -Wshadow -Wpointer-arith -Wwrite-strings \
		   -Wsign-compare -Wundef -Wimplicit-fallthrough \
		   -Wmisleading-indentation -Werror
HARDEN		:= -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
HARDEN_LD	:= -pie -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack
OPT		?= -O2
CPPFLAGS	+= -D_GNU_SOURCE -I. -I$(B)/proto
CFLAGS_BASE	:= -std=c11 -g $(OPT) -pthread
CFLAGS		+= $(CFLAGS_BASE) $(WARN) $(HARDEN) $(XCFLAGS)
LDFLAGS		+= -pthread $(HARDEN_LD) -Wl,--as-needed $(XLDFLAGS)

VERSION		:= $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CPPFLAGS	+= -DCDESK_VERSION='"$(VERSION)"'

# ---- sources (wildcards, so a new file needs no Makefile change) ----
PROTOS		:= $(wildcard proto/*.proto)
PROTO_C		:= $(PROTOS:proto/%.proto=$(B)/proto/%.pb-c.c)
PROTO_H		:= $(PROTO_C:.c=.h)
COMMON_SRCS	:= $(filter-out common/compat_win.c,$(wildcard common/*.c))
IPC_SRCS	:= $(filter-out ipc/ipc_win32.c ipc/ipc_wmsg.c ipc/ipc_glib.c,$(wildcard ipc/*.c))
# server/ keeps its parts in folders (conn/, rendezvous/, svc/, media/) and
# its platform code in one folder per platform (x11/ here, win/ for make
# win).
SERVER_SRCS	:= $(filter-out server/win/%,$(wildcard server/*.c server/*/*.c))
GUI_SRCS	:= $(wildcard cm/*.c ui/*.c gui/*.c ipc/ipc_glib.c)
UNIT_SRCS	:= $(wildcard tests/unit/test_*.c)
BIN_SRCS	:= $(wildcard tests/bin/*.c)
PEER_SRCS	:= $(wildcard tests/peer/*.c)
FUZZ_SRCS	:= $(wildcard tests/fuzz/fuzz_*.c)
# make win (WIN=1): the Windows host's file selection and flags; the
# Linux-only parts stay out of its link (packaging/win/win.mk says which).
ifeq ($(WIN),1)
include packaging/win/win.mk
endif

obj		= $(patsubst %.c,$(B)/%.o,$(1))
COMMON_OBJS	:= $(call obj,$(COMMON_SRCS)) $(PROTO_C:.c=.o)
IPC_OBJS	:= $(call obj,$(IPC_SRCS))
SERVER_OBJS	:= $(call obj,$(SERVER_SRCS))
GUI_OBJS	:= $(call obj,$(GUI_SRCS))
# GTK templates (cm/*.ui, ui/*.ui) compiled into one GResource in libgui.a.
GRES_XML	:= $(wildcard gui/cdesk.gresource.xml)
ifneq ($(GRES_XML),)
GUI_OBJS	+= $(B)/gen/gui_res.o
endif

LIBS_ALL	:= $(B)/libgui.a $(B)/libserver.a $(B)/libipc.a $(B)/libcommon.a
LDLIBS_ALL	:= $(call pc_libs,$(GUI_PKGS) $(SERVER_PKGS) $(COMMON_PKGS)) -lyuv -lm
LIBS_NOGUI	:= $(B)/libserver.a $(B)/libipc.a $(B)/libcommon.a

UNIT_BINS	:= $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/unit/%)
BIN_BINS	:= $(BIN_SRCS:tests/bin/%.c=$(B)/tests/bin/%)
FUZZ_BINS	:= $(FUZZ_SRCS:tests/fuzz/%.c=$(B)/tests/fuzz/%)
FUZZ_TARGETS	:= $(FUZZ_SRCS:tests/fuzz/%.c=$(B)/fuzz/%)
PEER_BIN	:= $(if $(PEER_SRCS),$(B)/tests/peer/peer)
TEST_BINS	:= $(UNIT_BINS) $(BIN_BINS) $(FUZZ_BINS) $(PEER_BIN)

# ---- what each test program links ----
# A test program links the archives of the part it tests and of the parts
# below it, with only their libraries: a test of common/ cannot reach
# server/ code. PROGS_<group> names programs by file name (the peer is
# "peer"); a program no group names is a server test.
TEST_GROUPS	:= common ipc ipcglib gui xtool peer
PROGS_common	:= test_codec test_config test_mono test_pass test_proto \
		   test_totp test_sstream test_store bench_sstream fuzz_codec \
		   fuzz_config fuzz_message fuzz_sstream fuzz_store
PROGS_ipc	:= ipc_echo ipc_perm ipc_opt fuzz_ipc
PROGS_ipcglib	:= test_ipc
PROGS_gui	:= cm_gui test_cm_core
PROGS_xtool	:= xevlog xrects
PROGS_peer	:= peer

LIBS_common	:= $(B)/libcommon.a
LDLIBS_common	:= $(call pc_libs,$(COMMON_PKGS))
LIBS_ipc	:= $(B)/libipc.a $(LIBS_common)
LDLIBS_ipc	:= $(call pc_libs,libevent $(COMMON_PKGS))
# The GLib adapter (built into libgui.a) and the rest of ipc/.
LIBS_ipcglib	:= $(B)/ipc/ipc_glib.o $(LIBS_ipc)
LDLIBS_ipcglib	:= $(call pc_libs,glib-2.0 libevent $(COMMON_PKGS))
LIBS_gui	:= $(B)/libgui.a $(LIBS_ipc)
LDLIBS_gui	:= $(call pc_libs,$(GUI_PKGS) $(COMMON_PKGS))
LIBS_server	:= $(B)/libserver.a $(LIBS_ipc)
LDLIBS_server	:= $(call pc_libs,$(SERVER_PKGS) $(COMMON_PKGS)) -lyuv -lm
# X clients driving the test display: no archive of ours.
LIBS_xtool	:=
LDLIBS_xtool	:= $(call pc_libs,xcb $(TEST_PKGS))
# The test peer: common/, the rendezvous address parser, a video decoder.
LIBS_peer	:= $(B)/libserver.a $(LIBS_common)
LDLIBS_peer	:= $(call pc_libs,libavcodec libavutil libzstd opus \
		   $(COMMON_PKGS)) -lm

# tgroup PATH: the link group of the test program PATH.
tgroup		= $(or $(firstword $(foreach g,$(TEST_GROUPS),\
		    $(if $(filter $(notdir $(1)),$(PROGS_$(g))),$(g)))),server)
# tlibs PATH, tldlibs PATH: its archives; its archives and libraries.
tlibs		= $(LIBS_$(call tgroup,$(1)))
tldlibs		= $(call tlibs,$(1)) $(LDLIBS_$(call tgroup,$(1)))

# Per-folder compile flags: server/ never sees GTK, cm/ and ui/ never libav.
FLAGS_common	:= $(call pc_cflags,$(COMMON_PKGS))
FLAGS_ipc	:= $(FLAGS_common) $(call pc_cflags,libevent)
FLAGS_server	:= $(FLAGS_common) $(call pc_cflags,$(SERVER_PKGS))
FLAGS_cm	:= $(FLAGS_common) $(call pc_cflags,$(GUI_PKGS))
FLAGS_ui	:= $(FLAGS_cm)
FLAGS_gui	:= $(FLAGS_cm)
# The front door (cdesk.c) sees only common/ and ipc/ headers.
FLAGS_cdesk.c	:= $(FLAGS_common)
# The GLib adapter lives in ipc/ but links into libgui.a.
$(B)/ipc/ipc_glib.o: CPPFLAGS += $(call pc_cflags,$(GUI_PKGS))
FLAGS_tests	:= $(FLAGS_common) \
		   $(call pc_cflags,$(SERVER_PKGS) $(GUI_PKGS) $(TEST_PKGS))
dirflags	= $(FLAGS_$(firstword $(subst /, ,$(1))))

.PHONY: all check asan fuzz fuzz-build fuzz-replays run bench deb clean deps \
		tests
all: $(B)/cdesk $(B)/cdesk-gui $(TEST_BINS)
tests: $(TEST_BINS)

# ---- protobuf-c: generated at build time, never committed ----
$(B)/proto/%.pb-c.c $(B)/proto/%.pb-c.h: proto/%.proto
	@mkdir -p $(@D)
	@echo "  PROTOC  $<"
	$(Q)protoc-c --proto_path=proto --c_out=$(B)/proto $<

# Generated code gets its own flags, without -Werror.
$(B)/proto/%.pb-c.o: $(B)/proto/%.pb-c.c
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_BASE) $(HARDEN) $(XCFLAGS) $(CPPFLAGS) \
	    $(FLAGS_common) -w -c $< -o $@

$(B)/%.o: %.c | $(PROTO_H)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) $(call dirflags,$<) -MMD -MP -c $< -o $@

$(B)/gen/gui_res.c: $(GRES_XML) $(wildcard cm/*.ui ui/*.ui)
	@mkdir -p $(@D)
	@echo "  GRES    $@"
	$(Q)glib-compile-resources --sourcedir=. --target=$@ --generate-source \
	    --manual-register --c-name cdesk $(GRES_XML)
$(B)/gen/gui_res.o: $(B)/gen/gui_res.c
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_BASE) $(HARDEN) $(XCFLAGS) $(call pc_cflags,$(GUI_PKGS)) \
	    -w -c $< -o $@

# An archive needs a member even when its folder has no sources yet.
$(B)/empty.o:
	@mkdir -p $(@D)
	$(Q)echo 'typedef int cdesk_empty;' | $(CC) -x c -c -o $@ -
$(B)/libcommon.a: $(COMMON_OBJS) $(if $(COMMON_OBJS),,$(B)/empty.o)
	@mkdir -p $(@D)
	$(Q)rm -f $@; $(AR) rcs $@ $^
$(B)/libipc.a: $(IPC_OBJS) $(if $(IPC_OBJS),,$(B)/empty.o)
	@mkdir -p $(@D)
	$(Q)rm -f $@; $(AR) rcs $@ $^
$(B)/libserver.a: $(SERVER_OBJS) $(if $(SERVER_OBJS),,$(B)/empty.o)
	@mkdir -p $(@D)
	$(Q)rm -f $@; $(AR) rcs $@ $^
$(B)/libgui.a: $(GUI_OBJS) $(if $(GUI_OBJS),,$(B)/empty.o)
	@mkdir -p $(@D)
	$(Q)rm -f $@; $(AR) rcs $@ $^

# The front door twice (cdesk.c): cdesk without the windows, which execs
# cdesk-gui for --cm and the main window, so the server maps no GTK.
$(B)/cdesk.o: CPPFLAGS += -DCDESK_NO_GUI
$(B)/cdesk: $(B)/cdesk.o $(LIBS_NOGUI)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIBS_NOGUI) $(LDLIBS_server)
$(B)/cdesk-gui.o: cdesk.c | $(PROTO_H)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) $(FLAGS_cdesk.c) -MMD -MP -c $< -o $@
$(B)/cdesk-gui: $(B)/cdesk-gui.o $(LIBS_ALL)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIBS_ALL) $(LDLIBS_ALL)

# Test programs, each with the archives of its group (tgroup above).
$(foreach t,$(TEST_BINS) $(FUZZ_TARGETS),$(eval $(t): $(call tlibs,$(t))))
$(B)/tests/unit/%: $(B)/tests/unit/%.o
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(call tldlibs,$@)
$(B)/tests/bin/%: $(B)/tests/bin/%.o
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(call tldlibs,$@)
$(B)/tests/peer/peer: $(call obj,$(PEER_SRCS))
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $(call obj,$(PEER_SRCS)) $(call tldlibs,$@)
# Fuzz targets replayed over their corpus by a plain main (tests/fuzz/replay.c).
$(B)/tests/fuzz/fuzz_%: $(B)/tests/fuzz/fuzz_%.o $(B)/tests/fuzz/replay.o
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(B)/tests/fuzz/replay.o \
	    $(call tldlibs,$@)
.PRECIOUS: $(B)/tests/%.o $(B)/proto/%.pb-c.c $(B)/proto/%.pb-c.h

# ---- running ----
deps:
	$(Q)sh packaging/deps.sh

# The sanitizer build: make asan, and the corpus replays of make check.
ASAN_B		:= build-asan
ASAN_VARS	:= B=$(ASAN_B) OPT=-O1 HARDEN='-fPIE' \
		   XCFLAGS='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
		   XLDFLAGS='-fsanitize=address,undefined'

# The fuzz corpora are replayed by make check under ASan + UBSan: a finding
# that only a sanitizer sees must fail the check, not only make fuzz.
check: deps
	$(Q)$(MAKE) --no-print-directory all
ifneq ($(B),$(ASAN_B))
	$(Q)$(MAKE) --no-print-directory $(ASAN_VARS) fuzz-replays
endif
	$(Q)B=$(B) REPLAY_B=$(ASAN_B) sh tests/run.sh

fuzz-replays: $(FUZZ_BINS)

asan:
	$(Q)$(MAKE) --no-print-directory $(ASAN_VARS) check

# libFuzzer: everything rebuilt with clang and coverage into build-fuzz/.
FUZZ_SECONDS	?= 60
fuzz:
	$(Q)sh packaging/deps.sh
	$(Q)$(MAKE) --no-print-directory B=build-fuzz CC=clang OPT=-O1 \
	    HARDEN='-fPIE' WARN='-Wall -Wno-unused-command-line-argument' \
	    XCFLAGS='-fsanitize=address,undefined,fuzzer-no-link' \
	    XLDFLAGS='-fsanitize=address,undefined' fuzz-build
	$(Q)B=build-fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh

fuzz-build: $(FUZZ_TARGETS)
$(B)/fuzz/fuzz_%: $(B)/tests/fuzz/fuzz_%.o
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< $(call tldlibs,$@)

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)B=$(B) sh packaging/run.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)B=$(B) sh tests/bench/run.sh

deb: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)B=$(B) sh packaging/deb.sh

# ---- Windows (mingw-w64) ----
# make win: the libraries cdesk needs, built from Debian's source packages
# into a prefix cached outside the clone (packaging/win/build.sh), with
# build-win/$(WIN_HOST)-pkg-config over it, then build-win/cdesk.exe: the
# host cross-compiled against them (what goes in is packaging/win/win.mk),
# and build-win/cdesk.msi, its installer (wixl).
WIN_HOST	:= x86_64-w64-mingw32
.PHONY: win win-libs
win: win-libs
	$(Q)$(MAKE) --no-print-directory WIN=1 B=build-win \
	    CC=$(WIN_HOST)-gcc AR=$(WIN_HOST)-ar \
	    PKG_CONFIG=build-win/$(WIN_HOST)-pkg-config build-win/cdesk.exe \
	    build-win/cdesk.msi build-win/tests/win/test_ipc_win.exe \
	    build-win/tests/win/test_media_win.exe \
	    build-win/tests/win/test_helper_win.exe
win-libs:
	$(Q)sh packaging/deps.sh --win
	$(Q)sh packaging/win/build.sh build-win

clean:
	rm -rf build build-asan build-fuzz build-win

-include $(shell find $(B) -name '*.d' 2>/dev/null)
