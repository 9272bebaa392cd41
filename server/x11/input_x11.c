/*
 * input_x11.c: the X11 input backend (struct input_impl in svc_input.h):
 * XTest for injection, the core protocol for the keymap and lock state,
 * XInput 2 device properties for blocking local input, and root window
 * properties that let an instance started after a crash undo what a
 * crashed one left (temporary keysyms, disabled devices).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xcb/xcb.h>
#include <xcb/xinput.h>
#include <xcb/xtest.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/svc/svc_input.h"
#include "server/x11/x11_auth.h"

#define INX11_BLOCK_MAX	64	/* devices block input can disable */

struct input_be {
	xcb_connection_t *xc;		/* owned */
	xcb_window_t	 root;
	int		 w, h;		/* root size */
	xcb_keycode_t	 kmin, kmax;
	char		 desc[64];	/* "XTest on screen 0" */
	xcb_atom_t	 slots_atom;	/* root property: mapped slots */

	/* Block input through XInput 2 device properties. */
	int		 xi2;
	xcb_atom_t	 enabled_atom;	/* "Device Enabled" */
	xcb_atom_t	 blocked_atom;	/* root property: devices we disabled */
	int		 blocking;
	uint32_t	 blocked[INX11_BLOCK_MAX];
	int		 nblocked;
	struct log_ratelimit rl;
};

/* Interns an atom; XCB_NONE on failure. */
static xcb_atom_t
inx11_intern(struct input_be *be, const char *name)
{
	xcb_intern_atom_reply_t *a;
	xcb_atom_t atom = XCB_NONE;

	a = xcb_intern_atom_reply(be->xc, xcb_intern_atom(be->xc, 0,
	    (uint16_t)strlen(name), name), NULL);
	if (a != NULL)
		atom = a->atom;
	free(a);
	return atom;
}

/* Sends one XTest event. */
static void
inx11_fake(struct input_be *be, uint8_t type, uint8_t detail, int x, int y)
{
	xcb_test_fake_input(be->xc, type, detail, XCB_CURRENT_TIME,
	    type == XCB_MOTION_NOTIFY ? be->root : XCB_NONE,
	    (int16_t)x, (int16_t)y, 0);
}

/* Presses or releases a keycode. */
static void
inx11_key(struct input_be *be, unsigned kc, int down)
{
	inx11_fake(be, down ? XCB_KEY_PRESS : XCB_KEY_RELEASE, (uint8_t)kc,
	    0, 0);
}

/* Presses or releases a button. */
static void
inx11_button(struct input_be *be, unsigned b, int down)
{
	inx11_fake(be, down ? XCB_BUTTON_PRESS : XCB_BUTTON_RELEASE,
	    (uint8_t)b, 0, 0);
}

/* Moves the pointer to root coordinates x, y. */
static void
inx11_move(struct input_be *be, int x, int y)
{
	inx11_fake(be, XCB_MOTION_NOTIFY, 0, x, y);
}

/* Moves the pointer by dx, dy (detail 1: relative). */
static void
inx11_move_rel(struct input_be *be, int dx, int dy)
{
	inx11_fake(be, XCB_MOTION_NOTIFY, 1, dx, dy);
}

/* Clicks wheel button b n times. */
static void
inx11_clicks(struct input_be *be, unsigned b, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		inx11_fake(be, XCB_BUTTON_PRESS, (uint8_t)b, 0, 0);
		inx11_fake(be, XCB_BUTTON_RELEASE, (uint8_t)b, 0, 0);
	}
}

/* Turns the wheel: buttons 4/5 vertically, then 6/7 horizontally. */
static void
inx11_wheel(struct input_be *be, int dx, int dy)
{
	inx11_clicks(be, dy > 0 ? 4 : 5, dy > 0 ? dy : -dy);
	inx11_clicks(be, dx > 0 ? 6 : 7, dx > 0 ? dx : -dx);
}

/* Reads whatever events and errors the X server sent us. */
static int
inx11_poll(struct input_be *be)
{
	xcb_generic_event_t *e;
	xcb_configure_notify_event_t *c;
	int r = 0;

	while ((e = xcb_poll_for_event(be->xc)) != NULL) {
		switch (e->response_type & 0x7f) {
		case 0:
			if (log_ratelimit_ok(&be->rl, 10, 5))
				log_debug("input: X error %u on request %u",
				    ((xcb_generic_error_t *)e)->error_code,
				    ((xcb_generic_error_t *)e)->major_code);
			break;
		case XCB_MAPPING_NOTIFY:
			r |= INPUT_EV_KEYMAP;
			break;
		case XCB_CONFIGURE_NOTIFY:
			c = (void *)e;
			if (c->window == be->root) {
				be->w = c->width;
				be->h = c->height;
			}
			break;
		default:
			break;
		}
		free(e);
	}
	return r;
}

/* Whether the X connection broke. */
static int
inx11_broken(struct input_be *be)
{
	return xcb_connection_has_error(be->xc) != 0;
}

/* Sends the queued requests. */
static void
inx11_flush(struct input_be *be)
{
	xcb_flush(be->xc);
}

/* The X connection's descriptor. */
static int
inx11_fd(struct input_be *be)
{
	return xcb_get_file_descriptor(be->xc);
}

/* The root window size. */
static void
inx11_size(struct input_be *be, int *w, int *h)
{
	*w = be->w;
	*h = be->h;
}

/* What the start-up log line says. */
static const char *
inx11_describe(struct input_be *be)
{
	return be->desc;
}

/* Reads the keyboard and modifier mappings. */
static int
inx11_keymap(struct input_be *be, struct input_keymap *km)
{
	xcb_get_keyboard_mapping_cookie_t kck;
	xcb_get_modifier_mapping_cookie_t mck;
	xcb_get_keyboard_mapping_reply_t *kr;
	xcb_get_modifier_mapping_reply_t *mr;
	xcb_keysym_t *syms;
	xcb_keycode_t *mk;
	unsigned n;

	n = (unsigned)be->kmax - be->kmin + 1;
	kck = xcb_get_keyboard_mapping(be->xc, be->kmin, (uint8_t)n);
	mck = xcb_get_modifier_mapping(be->xc);
	kr = xcb_get_keyboard_mapping_reply(be->xc, kck, NULL);
	mr = xcb_get_modifier_mapping_reply(be->xc, mck, NULL);
	if (kr == NULL || mr == NULL ||
	    xcb_get_keyboard_mapping_keysyms_length(kr) <
	    (int)(n * kr->keysyms_per_keycode) ||
	    xcb_get_modifier_mapping_keycodes_length(mr) <
	    8 * mr->keycodes_per_modifier) {
		free(kr);
		free(mr);
		return ERR_IO;
	}
	km->kmin = be->kmin;
	km->kmax = be->kmax;
	km->kpk = kr->keysyms_per_keycode;
	syms = xcb_get_keyboard_mapping_keysyms(kr);
	km->syms = xcalloc(n * (km->kpk ? km->kpk : 1), sizeof(*km->syms));
	memcpy(km->syms, syms, n * km->kpk * sizeof(*syms));
	km->kpm = mr->keycodes_per_modifier;
	mk = xcb_get_modifier_mapping_keycodes(mr);
	km->modkc = xcalloc(8 * (km->kpm ? km->kpm : 1), sizeof(*mk));
	memcpy(km->modkc, mk, 8 * km->kpm * sizeof(*mk));
	free(kr);
	free(mr);
	return 0;
}

/* Writes a row of keysyms onto keycode kc. */
static void
inx11_remap(struct input_be *be, unsigned kc, const uint32_t *row,
    unsigned n)
{
	xcb_change_keyboard_mapping(be->xc, 1, (xcb_keycode_t)kc, (uint8_t)n,
	    row);
}

/* The modifier mask of the pointer's device (lock state). */
static int
inx11_mods(struct input_be *be, uint16_t *mask)
{
	xcb_query_pointer_reply_t *r;

	*mask = 0;
	r = xcb_query_pointer_reply(be->xc,
	    xcb_query_pointer(be->xc, be->root), NULL);
	if (r == NULL)
		return ERR_IO;
	*mask = r->mask;
	free(r);
	return 0;
}

/* Records the keycodes holding temporary mappings in a root property. */
static void
inx11_slots_save(struct input_be *be, const uint8_t *kcs, int n)
{
	if (be->slots_atom == XCB_NONE)
		return;
	if (n == 0)
		xcb_delete_property(be->xc, be->root, be->slots_atom);
	else
		xcb_change_property(be->xc, XCB_PROP_MODE_REPLACE, be->root,
		    be->slots_atom, XCB_ATOM_CARDINAL, 8, (uint32_t)n, kcs);
}

/* Reads the keycodes an earlier instance recorded (and keeps them there:
 * the next save replaces them). */
static int
inx11_slots_load(struct input_be *be, uint8_t *kcs, int max)
{
	xcb_get_property_reply_t *p;
	int n = 0;

	if (be->slots_atom == XCB_NONE)
		return 0;
	/* The length is in 4-byte units. */
	p = xcb_get_property_reply(be->xc, xcb_get_property(be->xc, 1,
	    be->root, be->slots_atom, XCB_ATOM_CARDINAL, 0,
	    (uint32_t)max / 4), NULL);
	if (p == NULL)
		return 0;
	if (p->format == 8) {
		n = xcb_get_property_value_length(p);
		if (n > max)
			n = max;
		memcpy(kcs, xcb_get_property_value(p), (size_t)n);
	}
	free(p);
	return n;
}

/* Sets the "Device Enabled" property of XInput device id. */
static void
inx11_device_enable(struct input_be *be, uint32_t id, int on)
{
	uint8_t v[4] = { on ? 1 : 0, 0, 0, 0 };	/* xcb copies 4 bytes */

	xcb_input_xi_change_property(be->xc, (xcb_input_device_id_t)id,
	    XCB_PROP_MODE_REPLACE, 8, be->enabled_atom, XCB_ATOM_INTEGER, 1,
	    v);
}

/* Records the devices block input disabled in a root property. */
static void
inx11_blocked_record(struct input_be *be)
{
	if (be->nblocked == 0)
		xcb_delete_property(be->xc, be->root, be->blocked_atom);
	else
		xcb_change_property(be->xc, XCB_PROP_MODE_REPLACE, be->root,
		    be->blocked_atom, XCB_ATOM_CARDINAL, 32,
		    (uint32_t)be->nblocked, be->blocked);
}

/* Sets up XInput 2 for block input and re-enables the devices a crashed
 * instance left disabled. */
static void
inx11_block_init(struct input_be *be)
{
	const xcb_query_extension_reply_t *ext;
	xcb_input_xi_query_version_reply_t *v;
	xcb_get_property_reply_t *p;
	const uint32_t *ids;
	int i, n;

	ext = xcb_get_extension_data(be->xc, &xcb_input_id);
	if (ext == NULL || !ext->present)
		return;
	v = xcb_input_xi_query_version_reply(be->xc,
	    xcb_input_xi_query_version(be->xc, 2, 0), NULL);
	if (v == NULL || v->major_version < 2) {
		free(v);
		return;
	}
	free(v);
	be->enabled_atom = inx11_intern(be, "Device Enabled");
	be->blocked_atom = inx11_intern(be, "_CDESK_INPUT_BLOCKED");
	if (be->enabled_atom == XCB_NONE || be->blocked_atom == XCB_NONE)
		return;
	be->xi2 = 1;
	p = xcb_get_property_reply(be->xc, xcb_get_property(be->xc, 1,
	    be->root, be->blocked_atom, XCB_ATOM_CARDINAL, 0,
	    INX11_BLOCK_MAX), NULL);
	if (p == NULL)
		return;
	if (p->format == 32) {
		ids = xcb_get_property_value(p);
		n = xcb_get_property_value_length(p) / 4;
		for (i = 0; i < n; i++) {
			inx11_device_enable(be, ids[i], 1);
			log_info("input: re-enabled device %u an earlier "
			    "instance blocked", ids[i]);
		}
	}
	free(p);
}

/* Whether block input leaves device d alone: masters, the XTest devices
 * (peers' input) and devices already disabled. */
static int
inx11_block_skip(xcb_input_xi_device_info_t *d)
{
	const char *name;
	int len;

	if (d->type != XCB_INPUT_DEVICE_TYPE_SLAVE_POINTER &&
	    d->type != XCB_INPUT_DEVICE_TYPE_SLAVE_KEYBOARD &&
	    d->type != XCB_INPUT_DEVICE_TYPE_FLOATING_SLAVE)
		return 1;
	name = xcb_input_xi_device_info_name(d);
	len = xcb_input_xi_device_info_name_length(d);
	return !d->enabled || memmem(name, (size_t)len, "XTEST", 5) != NULL;
}

/* Disables or re-enables the physical input devices. */
static int
inx11_block(struct input_be *be, int on)
{
	xcb_input_xi_query_device_reply_t *r;
	xcb_input_xi_device_info_iterator_t it;
	int i;

	if (!be->xi2)
		return ERR_UNSUPP;
	if (!on) {
		for (i = 0; i < be->nblocked; i++)
			inx11_device_enable(be, be->blocked[i], 1);
		be->nblocked = 0;
		be->blocking = 0;
		inx11_blocked_record(be);
		return 0;
	}
	if (be->blocking)
		return 0;
	r = xcb_input_xi_query_device_reply(be->xc,
	    xcb_input_xi_query_device(be->xc, XCB_INPUT_DEVICE_ALL), NULL);
	if (r == NULL)
		return ERR_IO;
	for (it = xcb_input_xi_query_device_infos_iterator(r); it.rem > 0;
	    xcb_input_xi_device_info_next(&it)) {
		if (inx11_block_skip(it.data))
			continue;
		if (be->nblocked == INX11_BLOCK_MAX)
			break;
		be->blocked[be->nblocked++] = it.data->deviceid;
		inx11_device_enable(be, it.data->deviceid, 0);
	}
	free(r);
	be->blocking = 1;
	inx11_blocked_record(be);
	log_info("input: local input blocked (%d devices)", be->nblocked);
	return 0;
}

/* Waits for the server to handle everything sent, then disconnects. */
static void
inx11_close(struct input_be *be)
{
	if (be == NULL)
		return;
	if (be->xc != NULL) {
		if (!xcb_connection_has_error(be->xc)) {
			/* A round trip, so everything reached the server. */
			free(xcb_get_input_focus_reply(be->xc,
			    xcb_get_input_focus(be->xc), NULL));
		}
		xcb_disconnect(be->xc);
	}
	free(be);
}

/* Connects to the display, checks XTest and watches the root window. */
static int
inx11_open(const char *where, struct input_be **bep, char **cause)
{
	struct input_be *be;
	const xcb_query_extension_reply_t *ext;
	const xcb_setup_t *setup;
	xcb_screen_iterator_t it;
	uint32_t mask = XCB_EVENT_MASK_STRUCTURE_NOTIFY;
	const char *name;
	int screen = 0, i, r = ERR_IO;

	*bep = NULL;
	*cause = NULL;
	be = xcalloc(1, sizeof(*be));
	be->xc = x11_connect(where, &screen);
	if (xcb_connection_has_error(be->xc)) {
		name = where != NULL ? where : getenv("DISPLAY");
		xasprintf(cause, "input: cannot open display %s",
		    name != NULL ? name : "(DISPLAY unset)");
		goto fail;
	}
	ext = xcb_get_extension_data(be->xc, &xcb_test_id);
	if (ext == NULL || !ext->present) {
		xasprintf(cause, "input: the X server has no XTEST extension");
		r = ERR_UNSUPP;
		goto fail;
	}
	setup = xcb_get_setup(be->xc);
	it = xcb_setup_roots_iterator(setup);
	for (i = 0; i < screen && it.rem > 0; i++)
		xcb_screen_next(&it);
	if (it.rem == 0 || it.data == NULL) {
		xasprintf(cause, "input: no X screen %d", screen);
		r = ERR_NOTFOUND;
		goto fail;
	}
	be->root = it.data->root;
	be->w = it.data->width_in_pixels;
	be->h = it.data->height_in_pixels;
	be->kmin = setup->min_keycode;
	be->kmax = setup->max_keycode;
	snprintf(be->desc, sizeof(be->desc), "XTest on screen %d", screen);
	xcb_change_window_attributes(be->xc, be->root, XCB_CW_EVENT_MASK,
	    &mask);
	be->slots_atom = inx11_intern(be, "_CDESK_INPUT_SLOTS");
	inx11_block_init(be);
	*bep = be;
	return 0;
fail:
	inx11_close(be);
	return r;
}

const struct input_impl input_x11 = {
	.name = "x11",
	.open = inx11_open,
	.close = inx11_close,
	.describe = inx11_describe,
	.fd = inx11_fd,
	.poll = inx11_poll,
	.broken = inx11_broken,
	.flush = inx11_flush,
	.size = inx11_size,
	.key = inx11_key,
	.button = inx11_button,
	.move = inx11_move,
	.move_rel = inx11_move_rel,
	.wheel = inx11_wheel,
	.keymap = inx11_keymap,
	.remap = inx11_remap,
	.mods = inx11_mods,
	.slots_save = inx11_slots_save,
	.slots_load = inx11_slots_load,
	.block = inx11_block,
};
