/*
 * pctl.c: the test peer's toolbar controls, as a stock 1.4 client sends
 * them (issue 13). Session commands:
 *   switch N             Misc.switch_display to display N
 *   show N [W H]         switch N (with a custom resolution W x H), then
 *                        capture_displays{set: [N]}
 *   fps N                Misc.option{custom_fps} (the client's automatic cap)
 *   screenshot N PATH    ScreenshotRequest for display N; the PNG goes to
 *                        PATH. Prints SCREENSHOT ok <bytes> | SCREENSHOT
 *                        error <text>
 *   clippng PATH         MultiClipboards with PATH's PNG (ImagePng)
 *   cliphtml HTML        MultiClipboards with HTML and its text
 *   restart              Misc.restart_remote_device (a MessageBox the host
 *                        sends prints MSGBOX <title>: <text>)
 *   ping N               a client TestDelay{time N}; the host's echo prints
 *                        PONG N: a round-trip marker (whatever the host
 *                        queued before it has arrived)
 *   lock                 "Insert Lock": KeyEvent{control_key LockScreen},
 *                        down then up, legacy mode
 *   set NAME 0|1         Misc.option with one BoolOption: lock (lock after
 *                        session end), cursor (show remote cursor), follow
 *                        (follow remote cursor), window (follow remote
 *                        window)
 *   resolution D W H     change_display_resolution (hosts >= 1.2.4), else
 *                        change_resolution of the display shown
 *   privacy 0|1          Misc.toggle_privacy_mode (prints PRIVACY <state>
 *                        <impl_key>: <details>)
 *   record 0|1           Misc.client_record_status (recording stopped or
 *                        started)
 *   switchsides          Misc.switch_sides_request with a uuid
 *   elevate              Misc.elevation_request{direct}; the answer prints
 *                        ELEVATION <text>
 * It prints FOLLOW N for follow_current_display, CURPOS X Y for a
 * CursorPosition (sent with show remote cursor on), and RESOLUTIONS D
 * WxH,... orig=WxH for the modes a PeerInfo (D: its current display) or a
 * SwitchDisplay (D: its display) offers.
 * As a stock client, it sends each only to hosts whose PeerInfo.version
 * passes upstream's gate (MultiClipboards 1.3.0, screenshots 1.4.0,
 * relative mouse "mouse 5 DX DY" 1.4.5), and prints NOTSENT <what> else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "tests/peer/peer.h"

static char pctl_shot_path[1024];
static long pctl_host_version;	/* get_version_number of PeerInfo.version */

/* hbb_common's get_version_number (PROTOCOL.md §14). */
static long
pctl_version_number(const char *v)
{
	long n = 0, last = 0;
	const char *p = v;

	while (*p != '\0' && *p != '-') {
		last = strtol(p, (char **)&p, 10);
		n = n * 1000 + last;
		if (*p == '.')
			p++;
		else if (*p != '\0' && *p != '-')
			break;
	}
	n += last * 9;
	if (*p == '-')
		n += strtol(p + 1, NULL, 10);
	return n;
}

/* 1 if the host's version passes the gate; else prints NOTSENT what. */
static int
pctl_gate(const char *min, const char *what)
{
	if (pctl_host_version >= pctl_version_number(min))
		return 1;
	printf("NOTSENT %s\n", what);
	return 0;
}

/* Sends a Misc message. */
static void
pctl_misc(struct pconn *pc, Hbb__Misc *misc)
{
	Hbb__Message m = HBB__MESSAGE__INIT;

	m.union_case = HBB__MESSAGE__UNION_MISC;
	m.misc = misc;
	pc_send(pc, &m);
}

/* switch_display N (with the client's custom resolution for it, or 0x0),
 * as the client's monitor buttons send it. */
static void
pctl_switch(struct pconn *pc, int display, int w, int h)
{
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__SwitchDisplay sd = HBB__SWITCH_DISPLAY__INIT;

	sd.display = display;
	sd.width = w;
	sd.height = h;
	misc.union_case = HBB__MISC__UNION_SWITCH_DISPLAY;
	misc.switch_display = &sd;
	pctl_misc(pc, &misc);
}

/* A single-window client showing only display N: switch_display, then
 * (hosts >= 1.2.4) capture_displays{set: [N]}, as the mobile client. */
static void
pctl_show(struct pconn *pc, int display, int w, int h)
{
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__CaptureDisplays cd = HBB__CAPTURE_DISPLAYS__INIT;
	int32_t set[1];

	pctl_switch(pc, display, w, h);
	if (pctl_host_version < pctl_version_number("1.2.4"))
		return;
	set[0] = display;
	cd.set = set;
	cd.n_set = 1;
	misc.union_case = HBB__MISC__UNION_CAPTURE_DISPLAYS;
	misc.capture_displays = &cd;
	pctl_misc(pc, &misc);
}

/* The fps cap the client sends every second from its decode speed. */
static void
pctl_fps(struct pconn *pc, int fps)
{
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__OptionMessage o = HBB__OPTION_MESSAGE__INIT;

	o.custom_fps = fps;
	misc.union_case = HBB__MISC__UNION_OPTION;
	misc.option = &o;
	pctl_misc(pc, &misc);
}

/* ScreenshotRequest for a display. */
static void
pctl_screenshot(struct pconn *pc, int display, const char *path)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__ScreenshotRequest rq = HBB__SCREENSHOT_REQUEST__INIT;

	snprintf(pctl_shot_path, sizeof pctl_shot_path, "%s", path);
	rq.display = display;
	rq.sid = (char *)"test-sid";
	m.union_case = HBB__MESSAGE__UNION_SCREENSHOT_REQUEST;
	m.screenshot_request = &rq;
	pc_send(pc, &m);
}

/* Reads a whole file; NULL if it cannot. */
static uint8_t *
pctl_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = xmalloc(n > 0 ? (size_t)n : 1);
	*len = fread(p, 1, n > 0 ? (size_t)n : 0, f);
	fclose(f);
	return p;
}

/* MultiClipboards with up to two entries, uncompressed. */
static void
pctl_multi(struct pconn *pc, int fmt1, const void *p1, size_t n1, int fmt2,
    const void *p2, size_t n2)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__MultiClipboards mc = HBB__MULTI_CLIPBOARDS__INIT;
	Hbb__Clipboard c[2] = { HBB__CLIPBOARD__INIT, HBB__CLIPBOARD__INIT };
	Hbb__Clipboard *cs[2] = { &c[0], &c[1] };

	c[0].format = fmt1;
	c[0].content.data = (uint8_t *)p1;
	c[0].content.len = n1;
	c[1].format = fmt2;
	c[1].content.data = (uint8_t *)p2;
	c[1].content.len = n2;
	mc.clipboards = cs;
	mc.n_clipboards = p2 != NULL ? 2 : 1;
	m.union_case = HBB__MESSAGE__UNION_MULTI_CLIPBOARDS;
	m.multi_clipboards = &mc;
	pc_send(pc, &m);
}

/* "Insert Lock": LockScreen down and up, as the client's menu sends it. */
static void
pctl_lock(struct pconn *pc)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__KeyEvent ke = HBB__KEY_EVENT__INIT;

	ke.union_case = HBB__KEY_EVENT__UNION_CONTROL_KEY;
	ke.control_key = HBB__CONTROL_KEY__LockScreen;
	ke.mode = HBB__KEYBOARD_MODE__Legacy;
	m.union_case = HBB__MESSAGE__UNION_KEY_EVENT;
	m.key_event = &ke;
	ke.down = 1;
	pc_send(pc, &m);
	ke.down = 0;
	pc_send(pc, &m);
}

/* Misc.option with one of the toolbar's BoolOptions; 0 if unknown. */
static int
pctl_set(struct pconn *pc, const char *name, int yes)
{
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__OptionMessage o = HBB__OPTION_MESSAGE__INIT;
	int v = yes ? HBB__OPTION_MESSAGE__BOOL_OPTION__Yes :
	    HBB__OPTION_MESSAGE__BOOL_OPTION__No;

	if (strcmp(name, "lock") == 0)
		o.lock_after_session_end = v;
	else if (strcmp(name, "cursor") == 0)
		o.show_remote_cursor = v;
	else if (strcmp(name, "follow") == 0)
		o.follow_remote_cursor = v;
	else if (strcmp(name, "window") == 0)
		o.follow_remote_window = v;
	else
		return 0;
	misc.union_case = HBB__MISC__UNION_OPTION;
	misc.option = &o;
	pctl_misc(pc, &misc);
	return 1;
}

/* The client's resolution menu: per display from 1.2.4 on. */
static void
pctl_resolution(struct pconn *pc, int display, int w, int h)
{
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__Resolution r = HBB__RESOLUTION__INIT;
	Hbb__DisplayResolution dr = HBB__DISPLAY_RESOLUTION__INIT;

	r.width = w;
	r.height = h;
	if (pctl_host_version >= pctl_version_number("1.2.4")) {
		dr.display = display;
		dr.resolution = &r;
		misc.union_case =
		    HBB__MISC__UNION_CHANGE_DISPLAY_RESOLUTION;
		misc.change_display_resolution = &dr;
	} else {
		misc.union_case = HBB__MISC__UNION_CHANGE_RESOLUTION;
		misc.change_resolution = &r;
	}
	pctl_misc(pc, &misc);
}

/* Switch sides and elevation requests, as the toolbar sends them. */
static void
pctl_request(struct pconn *pc, int elevate)
{
	static uint8_t uuid[16] = { 0x5c, 0xde, 0x5c, 0x01, 0, 0, 0x40, 0,
	    0x80, 0, 0, 0, 0, 0, 0, 1 };
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__SwitchSidesRequest ss = HBB__SWITCH_SIDES_REQUEST__INIT;
	Hbb__ElevationRequest er = HBB__ELEVATION_REQUEST__INIT;

	if (elevate) {
		er.union_case = HBB__ELEVATION_REQUEST__UNION_DIRECT;
		er.direct = 1;
		misc.union_case = HBB__MISC__UNION_ELEVATION_REQUEST;
		misc.elevation_request = &er;
	} else {
		ss.uuid.data = uuid;
		ss.uuid.len = sizeof uuid;
		misc.union_case = HBB__MISC__UNION_SWITCH_SIDES_REQUEST;
		misc.switch_sides_request = &ss;
	}
	pctl_misc(pc, &misc);
}

/* Takes a session command line if it is one of ours. */
int
pctl_command(struct pconn *pc, const char *line)
{
	char path[1024], word[16];
	uint8_t *p;
	size_t n;
	int a, w, h;

	if (sscanf(line, "mouse 5 %d", &a) == 1)
		return !pctl_gate("1.4.5", "relative mouse");
	if (strcmp(line, "restart") == 0) {
		Hbb__Misc misc = HBB__MISC__INIT;

		misc.union_case = HBB__MISC__UNION_RESTART_REMOTE_DEVICE;
		misc.restart_remote_device = 1;
		pctl_misc(pc, &misc);
		return 1;
	}
	if (sscanf(line, "ping %d", &a) == 1) {
		pc_ping(pc, a);
		return 1;
	}
	if (strcmp(line, "lock") == 0)
		pctl_lock(pc);
	else if (sscanf(line, "set %15s %d", word, &a) == 2)
		return pctl_set(pc, word, a);
	else if (sscanf(line, "resolution %d %d %d", &a, &w, &h) == 3)
		pctl_resolution(pc, a, w, h);
	else if (sscanf(line, "privacy %d", &a) == 1) {
		Hbb__Misc misc = HBB__MISC__INIT;
		Hbb__TogglePrivacyMode t = HBB__TOGGLE_PRIVACY_MODE__INIT;

		t.impl_key = (char *)"privacy_mode_impl_mag";
		t.on = a != 0;
		misc.union_case = HBB__MISC__UNION_TOGGLE_PRIVACY_MODE;
		misc.toggle_privacy_mode = &t;
		pctl_misc(pc, &misc);
	} else if (sscanf(line, "record %d", &a) == 1) {
		Hbb__Misc misc = HBB__MISC__INIT;

		misc.union_case = HBB__MISC__UNION_CLIENT_RECORD_STATUS;
		misc.client_record_status = a != 0;
		pctl_misc(pc, &misc);
	} else if (strcmp(line, "switchsides") == 0 ||
	    strcmp(line, "elevate") == 0)
		pctl_request(pc, line[0] == 'e');
	else if (sscanf(line, "switch %d", &a) == 1)
		pctl_switch(pc, a, 0, 0);
	else if (sscanf(line, "show %d", &a) == 1) {
		w = h = 0;
		sscanf(line, "show %d %d %d", &a, &w, &h);
		pctl_show(pc, a, w, h);
	}
	else if (sscanf(line, "fps %d", &a) == 1)
		pctl_fps(pc, a);
	else if (sscanf(line, "screenshot %d %1023s", &a, path) == 2) {
		if (pctl_gate("1.4.0", "screenshot"))
			pctl_screenshot(pc, a, path);
	} else if (strncmp(line, "clip", 4) == 0 && strncmp(line, "clip ", 5) &&
	    !pctl_gate("1.3.0", "multiclipboards"))
		return 1;	/* a pre-1.3.0 host gets the text entry only */
	else if (sscanf(line, "clippng %1023s", path) == 1) {
		if ((p = pctl_slurp(path, &n)) == NULL) {
			printf("CLIPPNG cannot read %s\n", path);
			return 1;
		}
		pctl_multi(pc, HBB__CLIPBOARD_FORMAT__ImagePng, p, n, 0, NULL,
		    0);
		free(p);
	} else if (strncmp(line, "cliphtml ", 9) == 0)
		pctl_multi(pc, HBB__CLIPBOARD_FORMAT__Html, line + 9,
		    strlen(line + 9), HBB__CLIPBOARD_FORMAT__Text, "html",
		    4);
	else
		return 0;
	return 1;
}

/* Prints the modes offered for display d. */
static void
pctl_resolutions(int d, const Hbb__SupportedResolutions *sr,
    const Hbb__Resolution *orig)
{
	size_t i;

	printf("RESOLUTIONS %d ", d);
	for (i = 0; sr != NULL && i < sr->n_resolutions; i++)
		printf("%s%dx%d", i > 0 ? "," : "", sr->resolutions[i]->width,
		    sr->resolutions[i]->height);
	printf(" orig=%dx%d\n", orig != NULL ? orig->width : 0,
	    orig != NULL ? orig->height : 0);
}

/* Prints what the host said about displays; 1 if nothing else should. */
static int
pctl_display_event(const Hbb__Misc *misc)
{
	const Hbb__SwitchDisplay *sd;

	switch (misc->union_case) {
	case HBB__MISC__UNION_FOLLOW_CURRENT_DISPLAY:
		printf("FOLLOW %d\n", misc->follow_current_display);
		return 1;
	case HBB__MISC__UNION_BACK_NOTIFICATION:
		if (misc->back_notification->union_case !=
		    HBB__BACK_NOTIFICATION__UNION_PRIVACY_MODE_STATE)
			return 0;
		printf("PRIVACY %d %s: %s\n",
		    (int)misc->back_notification->privacy_mode_state,
		    misc->back_notification->impl_key,
		    misc->back_notification->details);
		return 1;
	case HBB__MISC__UNION_ELEVATION_RESPONSE:
		printf("ELEVATION %s\n", misc->elevation_response);
		return 1;
	case HBB__MISC__UNION_SWITCH_DISPLAY:
		sd = misc->switch_display;
		pctl_resolutions(sd->display, sd->resolutions,
		    sd->original_resolution);
		return 0;
	default:
		return 0;
	}
}

/* Prints a PeerInfo's modes: the display shown and every display's
 * original size. */
static void
pctl_peerinfo(const Hbb__PeerInfo *pi)
{
	size_t i;

	pctl_host_version = pctl_version_number(pi->version);
	pctl_resolutions(pi->current_display, pi->resolutions, NULL);
	for (i = 0; i < pi->n_displays; i++)
		if (pi->displays[i]->original_resolution != NULL)
			printf("ORIGINAL %zu %dx%d\n", i,
			    pi->displays[i]->original_resolution->width,
			    pi->displays[i]->original_resolution->height);
}

/* Prints a ScreenshotResponse (saving its PNG), a message box, a PONG or a
 * CursorPosition. */
int
pctl_event(const Hbb__Message *m)
{
	const Hbb__ScreenshotResponse *rs;
	FILE *f;

	if (m->union_case == HBB__MESSAGE__UNION_LOGIN_RESPONSE &&
	    m->login_response->union_case ==
	    HBB__LOGIN_RESPONSE__UNION_PEER_INFO)
		pctl_peerinfo(m->login_response->peer_info);
	if (m->union_case == HBB__MESSAGE__UNION_TEST_DELAY &&
	    m->test_delay->from_client) {
		printf("PONG %lld\n", (long long)m->test_delay->time);
		return 1;
	}
	if (m->union_case == HBB__MESSAGE__UNION_PEER_INFO)
		pctl_peerinfo(m->peer_info);
	if (m->union_case == HBB__MESSAGE__UNION_CURSOR_POSITION) {
		printf("CURPOS %d %d\n", m->cursor_position->x,
		    m->cursor_position->y);
		return 1;
	}
	if (m->union_case == HBB__MESSAGE__UNION_MISC &&
	    pctl_display_event(m->misc))
		return 1;
	if (m->union_case == HBB__MESSAGE__UNION_MESSAGE_BOX) {
		printf("MSGBOX %s: %s\n", m->message_box->title,
		    m->message_box->text);
		return 1;
	}
	if (m->union_case != HBB__MESSAGE__UNION_SCREENSHOT_RESPONSE)
		return 0;
	rs = m->screenshot_response;
	if (rs->msg[0] != '\0' || rs->data.len == 0) {
		printf("SCREENSHOT error %s\n", rs->msg);
		return 1;
	}
	if ((f = fopen(pctl_shot_path, "wb")) == NULL ||
	    fwrite(rs->data.data, 1, rs->data.len, f) != rs->data.len) {
		printf("SCREENSHOT error cannot write %s\n", pctl_shot_path);
		if (f != NULL)
			fclose(f);
		return 1;
	}
	fclose(f);
	printf("SCREENSHOT ok %zu %s\n", rs->data.len, rs->sid);
	return 1;
}
