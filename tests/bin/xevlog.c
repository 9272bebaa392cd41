/*
 * xevlog: a tiny X client for the input tests. It maps an override-redirect
 * window over the whole screen, takes the input focus, and prints one line
 * per pointer or key event to stdout, each stamped with the CLOCK_MONOTONIC
 * microsecond at which it was read:
 *
 *	ready <width> <height>
 *	motion <us> <x> <y>
 *	bpress|brelease <us> <button> <x> <y> <state>
 *	kpress|krelease <us> <keycode> <keysym hex> <state> <utf-8 hex or ->
 *
 * Keycodes become keysyms and text through xkbcommon-x11, with the keymap
 * reloaded on every XKB map change, the way toolkits do it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xcb/xcb.h>
#include <xcb/xkb.h>
#include <xkbcommon/xkbcommon-x11.h>
#include <xkbcommon/xkbcommon.h>

static struct xkb_context *ctx;
static struct xkb_keymap *keymap;
static struct xkb_state *kstate;
static int32_t kbd_id;

/* Microseconds of the monotonic clock. */
static long long
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* (Re)loads the core keyboard's keymap from the server. */
static int
load_keymap(xcb_connection_t *c)
{
	struct xkb_keymap *km;
	struct xkb_state *st;

	km = xkb_x11_keymap_new_from_device(ctx, c, kbd_id,
	    XKB_KEYMAP_COMPILE_NO_FLAGS);
	if (km == NULL)
		return -1;
	st = xkb_x11_state_new_from_device(km, c, kbd_id);
	if (st == NULL) {
		xkb_keymap_unref(km);
		return -1;
	}
	xkb_state_unref(kstate);
	xkb_keymap_unref(keymap);
	keymap = km;
	kstate = st;
	return 0;
}

/* Asks for XKB new-keyboard and map notifications. */
static void
select_xkb(xcb_connection_t *c)
{
	static const uint16_t parts = XCB_XKB_MAP_PART_KEY_TYPES |
	    XCB_XKB_MAP_PART_KEY_SYMS | XCB_XKB_MAP_PART_MODIFIER_MAP |
	    XCB_XKB_MAP_PART_EXPLICIT_COMPONENTS |
	    XCB_XKB_MAP_PART_KEY_ACTIONS | XCB_XKB_MAP_PART_VIRTUAL_MODS |
	    XCB_XKB_MAP_PART_VIRTUAL_MOD_MAP;
	xcb_xkb_select_events_details_t d;

	memset(&d, 0, sizeof(d));
	d.affectNewKeyboard = XCB_XKB_NKN_DETAIL_KEYCODES;
	d.newKeyboardDetails = XCB_XKB_NKN_DETAIL_KEYCODES;
	xcb_xkb_select_events_aux(c, (xcb_xkb_device_spec_t)kbd_id,
	    XCB_XKB_EVENT_TYPE_NEW_KEYBOARD_NOTIFY |
	    XCB_XKB_EVENT_TYPE_MAP_NOTIFY, 0, 0, parts, parts, &d);
}

/* Prints a key event with its keysym and text under the event's state. */
static void
print_key(const char *what, long long t, xcb_key_press_event_t *k)
{
	char text[64], hex[2 * sizeof(text) + 1];
	xkb_keysym_t ks;
	int n, i;

	xkb_state_update_mask(kstate, k->state & 0xff, 0, 0, 0, 0,
	    (k->state >> 13) & 3);
	ks = xkb_state_key_get_one_sym(kstate, k->detail);
	n = xkb_state_key_get_utf8(kstate, k->detail, text, sizeof(text));
	if (n <= 0 || n >= (int)sizeof(text))
		strcpy(hex, "-");
	else
		for (i = 0; i < n; i++)
			snprintf(hex + 2 * i, 3, "%02x",
			    (unsigned char)text[i]);
	printf("%s %lld %u %x %u %s\n", what, t, k->detail, (unsigned)ks,
	    k->state, hex);
}

int
main(void)
{
	xcb_connection_t *c;
	xcb_screen_t *scr;
	xcb_window_t win;
	xcb_generic_event_t *e;
	uint8_t xkb_base;
	uint32_t vals[2];
	long long t;
	int screen = 0, i, ready = 0;
	xcb_screen_iterator_t it;

	setvbuf(stdout, NULL, _IOLBF, 0);
	c = xcb_connect(NULL, &screen);
	if (xcb_connection_has_error(c)) {
		fprintf(stderr, "xevlog: cannot open display\n");
		return 1;
	}
	if (!xkb_x11_setup_xkb_extension(c, XKB_X11_MIN_MAJOR_XKB_VERSION,
	    XKB_X11_MIN_MINOR_XKB_VERSION, XKB_X11_SETUP_XKB_EXTENSION_NO_FLAGS,
	    NULL, NULL, &xkb_base, NULL)) {
		fprintf(stderr, "xevlog: no XKB\n");
		return 1;
	}
	ctx = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	kbd_id = xkb_x11_get_core_keyboard_device_id(c);
	if (ctx == NULL || kbd_id < 0 || load_keymap(c) != 0) {
		fprintf(stderr, "xevlog: cannot load the keymap\n");
		return 1;
	}
	select_xkb(c);

	it = xcb_setup_roots_iterator(xcb_get_setup(c));
	for (i = 0; i < screen; i++)
		xcb_screen_next(&it);
	scr = it.data;
	win = xcb_generate_id(c);
	vals[0] = 1;	/* override-redirect */
	vals[1] = XCB_EVENT_MASK_KEY_PRESS | XCB_EVENT_MASK_KEY_RELEASE |
	    XCB_EVENT_MASK_BUTTON_PRESS | XCB_EVENT_MASK_BUTTON_RELEASE |
	    XCB_EVENT_MASK_POINTER_MOTION | XCB_EVENT_MASK_STRUCTURE_NOTIFY |
	    XCB_EVENT_MASK_EXPOSURE;
	xcb_create_window(c, XCB_COPY_FROM_PARENT, win, scr->root, 0, 0,
	    scr->width_in_pixels, scr->height_in_pixels, 0,
	    XCB_WINDOW_CLASS_INPUT_OUTPUT, scr->root_visual,
	    XCB_CW_OVERRIDE_REDIRECT | XCB_CW_EVENT_MASK, vals);
	xcb_map_window(c, win);
	xcb_flush(c);

	while ((e = xcb_wait_for_event(c)) != NULL) {
		t = mono_us();
		switch (e->response_type & 0x7f) {
		case XCB_MAP_NOTIFY:
			xcb_set_input_focus(c, XCB_INPUT_FOCUS_POINTER_ROOT,
			    win, XCB_CURRENT_TIME);
			free(xcb_get_input_focus_reply(c,
			    xcb_get_input_focus(c), NULL));
			if (!ready)
				printf("ready %u %u\n", scr->width_in_pixels,
				    scr->height_in_pixels);
			ready = 1;
			break;
		case XCB_MOTION_NOTIFY: {
			xcb_motion_notify_event_t *m = (void *)e;

			printf("motion %lld %d %d\n", t, m->root_x, m->root_y);
			break;
		}
		case XCB_BUTTON_PRESS:
		case XCB_BUTTON_RELEASE: {
			xcb_button_press_event_t *b = (void *)e;

			printf("%s %lld %u %d %d %u\n",
			    (e->response_type & 0x7f) == XCB_BUTTON_PRESS ?
			    "bpress" : "brelease", t, b->detail, b->root_x,
			    b->root_y, b->state);
			break;
		}
		case XCB_KEY_PRESS:
			print_key("kpress", t, (void *)e);
			break;
		case XCB_KEY_RELEASE:
			print_key("krelease", t, (void *)e);
			break;
		default:
			if (e->response_type == xkb_base) {
				/* Any map change: reload, as toolkits do. */
				if (load_keymap(c) != 0) {
					fprintf(stderr, "xevlog: keymap "
					    "reload failed\n");
					return 1;
				}
			}
			break;
		}
		free(e);
	}
	xkb_state_unref(kstate);
	xkb_keymap_unref(keymap);
	xkb_context_unref(ctx);
	xcb_disconnect(c);
	return 0;
}
