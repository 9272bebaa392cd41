/*
 * platform.h: included first in every server/ file of the Windows build
 * (packaging/win/win.mk). The services name the platform tables of the
 * Linux build (cap_x11, input_x11, clip_x11, cursor_x11, audio_pulse);
 * here those names are the Windows tables of this folder (cap_win.c,
 * input_win.c, clip_win.c, cursor_win.c, audio_wasapi.c), so the services
 * need no #ifdef to pick one.
 */
#ifndef CDESK_WIN_PLATFORM_H
#define CDESK_WIN_PLATFORM_H

#define cap_x11		cap_win
#define input_x11	input_win
#define clip_x11	clip_win
#define cursor_x11	cursor_win
#define audio_pulse	audio_wasapi

#endif
