/*
 * pctl.c: the test peer's toolbar controls, as a stock 1.4 client sends
 * them (issue 13). Session commands:
 *   switch N             Misc.switch_display to display N
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

/* switch_display N, as the client's monitor buttons send it. */
static void
pctl_switch(struct pconn *pc, int display)
{
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__SwitchDisplay sd = HBB__SWITCH_DISPLAY__INIT;

	sd.display = display;
	misc.union_case = HBB__MISC__UNION_SWITCH_DISPLAY;
	misc.switch_display = &sd;
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

/* Takes a session command line if it is one of ours. */
int
pctl_command(struct pconn *pc, const char *line)
{
	char path[1024];
	uint8_t *p;
	size_t n;
	int a;

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
		Hbb__Message m = HBB__MESSAGE__INIT;
		Hbb__TestDelay td = HBB__TEST_DELAY__INIT;

		td.from_client = 1;
		td.time = a;
		m.union_case = HBB__MESSAGE__UNION_TEST_DELAY;
		m.test_delay = &td;
		pc_send(pc, &m);
		return 1;
	}
	if (sscanf(line, "switch %d", &a) == 1)
		pctl_switch(pc, a);
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

/* Prints a ScreenshotResponse (saving its PNG), a message box or a PONG. */
int
pctl_event(const Hbb__Message *m)
{
	const Hbb__ScreenshotResponse *rs;
	FILE *f;

	if (m->union_case == HBB__MESSAGE__UNION_LOGIN_RESPONSE &&
	    m->login_response->union_case ==
	    HBB__LOGIN_RESPONSE__UNION_PEER_INFO)
		pctl_host_version = pctl_version_number(
		    m->login_response->peer_info->version);
	if (m->union_case == HBB__MESSAGE__UNION_TEST_DELAY &&
	    m->test_delay->from_client) {
		printf("PONG %lld\n", (long long)m->test_delay->time);
		return 1;
	}
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
