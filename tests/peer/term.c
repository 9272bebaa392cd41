/*
 * term.c: the test peer as the stock client's terminal window (PROTOCOL.md
 * §11): LoginRequest.terminal (with option terminal_persistent when asked),
 * then TerminalAction from stdin lines:
 *
 *   open ID ROWS COLS     resize ID ROWS COLS     close ID
 *   send ID TEXT          TEXT and a carriage return, as typed
 *   ctrl ID LETTER        one control character (ctrl 1 c: ^C)
 *   persistent yes|no     Misc.option terminal_persistent
 *   pause MS              read nothing from the host for MS milliseconds
 *   ping N                a TestDelay; the host's echo prints PONG N (a
 *                         round-trip marker)
 *   quit
 *
 * Events on stdout: PEERINFO terminal=<0|1> ..., ERROR <text>, OPENED <id>
 * ok=<0|1> pid=<n> service=<id> replay=<0|1> others=<ids> msg=<text>,
 * TCLOSED <id> <code>, TERROR <id> <text>, COMPRESSED <id> (the first
 * compressed chunk), PONG <n>, CLOSED <reason>, EOF. Output is appended,
 * decompressed, to OUT.<id>.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "common/xmalloc.h"
#include "tests/peer/term.h"

#define TERM_OUT_MAX	(16 * 1024 * 1024)	/* one decompressed chunk */

/* What the login asks for. */
struct term_login {
	const char		*service_id;
	int			 persistent;
	Hbb__Terminal		 term;
	Hbb__OptionMessage	 opt;
};

/* The session's state. */
struct term_peer {
	struct pconn	*pc;
	const char	*out;		/* output file prefix */
	int		 compressed;	/* a compressed chunk was reported */
};

/* LoginRequest.terminal; the option only for persistence, as the client. */
static void
term_fill(Hbb__LoginRequest *lr, void *arg)
{
	struct term_login *tl = arg;

	hbb__terminal__init(&tl->term);
	tl->term.service_id = (char *)tl->service_id;
	lr->union_case = HBB__LOGIN_REQUEST__UNION_TERMINAL;
	lr->terminal = &tl->term;
	lr->option = NULL;
	if (tl->persistent) {
		hbb__option_message__init(&tl->opt);
		tl->opt.terminal_persistent =
		    HBB__OPTION_MESSAGE__BOOL_OPTION__Yes;
		lr->option = &tl->opt;
	}
}

/* Send one TerminalAction (a borrowed). */
static void
term_action(struct pconn *pc, Hbb__TerminalAction *a)
{
	Hbb__Message m = HBB__MESSAGE__INIT;

	m.union_case = HBB__MESSAGE__UNION_TERMINAL_ACTION;
	m.terminal_action = a;
	pc_send(pc, &m);
}

/* Append terminal output to OUT.<id>. */
static void
term_save(struct term_peer *tp, const Hbb__TerminalData *d)
{
	char path[512];
	uint8_t *buf = NULL;
	const uint8_t *p = d->data.data;
	size_t n = d->data.len;
	unsigned long long want;
	FILE *f;

	if (d->compressed) {
		if (!tp->compressed)
			printf("COMPRESSED %d\n", d->terminal_id);
		tp->compressed = 1;
		want = ZSTD_getFrameContentSize(p, n);
		if (want == ZSTD_CONTENTSIZE_ERROR || want > TERM_OUT_MAX)
			want = TERM_OUT_MAX;
		buf = xmalloc(want ? want : 1);
		n = ZSTD_decompress(buf, want, p, n);
		if (ZSTD_isError(n)) {
			printf("BADZSTD %d\n", d->terminal_id);
			free(buf);
			return;
		}
		p = buf;
	}
	snprintf(path, sizeof path, "%s.%d", tp->out, d->terminal_id);
	if ((f = fopen(path, "ab")) != NULL) {
		fwrite(p, 1, n, f);
		fclose(f);
	}
	free(buf);
}

/* Print TerminalOpened. */
static void
term_print_opened(const Hbb__TerminalOpened *o)
{
	size_t i;

	printf("OPENED %d ok=%d pid=%u service=%s replay=%d others=",
	    o->terminal_id, (int)o->success, o->pid, o->service_id,
	    (int)o->replay_terminal_output);
	for (i = 0; i < o->n_persistent_sessions; i++)
		printf("%s%d", i ? "," : "", o->persistent_sessions[i]);
	printf(" msg=%s\n", o->message);
}

/* Report one message from the host; returns 0 when the session ended. */
static int
term_event(struct term_peer *tp, Hbb__Message *m)
{
	Hbb__TerminalResponse *r;
	Hbb__PeerInfo *pi;
	int go_on = 1;

	switch (m->union_case) {
	case HBB__MESSAGE__UNION_TERMINAL_RESPONSE:
		r = m->terminal_response;
		if (r->union_case == HBB__TERMINAL_RESPONSE__UNION_OPENED)
			term_print_opened(r->opened);
		else if (r->union_case == HBB__TERMINAL_RESPONSE__UNION_DATA)
			term_save(tp, r->data);
		else if (r->union_case == HBB__TERMINAL_RESPONSE__UNION_CLOSED)
			printf("TCLOSED %d %d\n", r->closed->terminal_id,
			    r->closed->exit_code);
		else if (r->union_case == HBB__TERMINAL_RESPONSE__UNION_ERROR)
			printf("TERROR %d %s\n", r->error->terminal_id,
			    r->error->message);
		break;
	case HBB__MESSAGE__UNION_LOGIN_RESPONSE:
		if (m->login_response->union_case ==
		    HBB__LOGIN_RESPONSE__UNION_ERROR) {
			printf("ERROR %s\n", m->login_response->error);
			break;
		}
		pi = m->login_response->peer_info;
		printf("PEERINFO terminal=%d username=%s platform=%s\n",
		    pi->features != NULL && pi->features->terminal,
		    pi->username, pi->platform);
		break;
	case HBB__MESSAGE__UNION_TEST_DELAY:
		if (m->test_delay->from_client)
			printf("PONG %lld\n", (long long)m->test_delay->time);
		break;
	case HBB__MESSAGE__UNION_MISC:
		if (m->misc->union_case == HBB__MISC__UNION_CLOSE_REASON) {
			printf("CLOSED %s\n", m->misc->close_reason);
			go_on = 0;
		}
		break;
	default:
		break;
	}
	hbb__message__free_unpacked(m, NULL);
	return go_on;
}

/* Send Misc.option terminal_persistent. */
static void
term_persistent(struct pconn *pc, int yes)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__OptionMessage o = HBB__OPTION_MESSAGE__INIT;

	o.terminal_persistent = yes ? HBB__OPTION_MESSAGE__BOOL_OPTION__Yes :
	    HBB__OPTION_MESSAGE__BOOL_OPTION__No;
	misc.union_case = HBB__MISC__UNION_OPTION;
	misc.option = &o;
	m.union_case = HBB__MESSAGE__UNION_MISC;
	m.misc = &misc;
	pc_send(pc, &m);
}

/* Send bytes typed into terminal id. */
static void
term_type(struct pconn *pc, int id, const void *p, size_t n)
{
	Hbb__TerminalAction a = HBB__TERMINAL_ACTION__INIT;
	Hbb__TerminalData d = HBB__TERMINAL_DATA__INIT;

	d.terminal_id = id;
	d.data.data = (uint8_t *)p;
	d.data.len = n;
	a.union_case = HBB__TERMINAL_ACTION__UNION_DATA;
	a.data = &d;
	term_action(pc, &a);
}

/* Act on one stdin line. */
static void
term_command(struct term_peer *tp, const char *line)
{
	Hbb__TerminalAction a = HBB__TERMINAL_ACTION__INIT;
	Hbb__OpenTerminal o = HBB__OPEN_TERMINAL__INIT;
	Hbb__ResizeTerminal rs = HBB__RESIZE_TERMINAL__INIT;
	Hbb__CloseTerminal cl = HBB__CLOSE_TERMINAL__INIT;
	char word[16], *text;
	int id, n = 0;
	unsigned rows, cols;

	if (sscanf(line, "open %d %u %u", &id, &rows, &cols) == 3) {
		o.terminal_id = id;
		o.rows = rows;
		o.cols = cols;
		a.union_case = HBB__TERMINAL_ACTION__UNION_OPEN;
		a.open = &o;
		term_action(tp->pc, &a);
	} else if (sscanf(line, "resize %d %u %u", &id, &rows, &cols) == 3) {
		rs.terminal_id = id;
		rs.rows = rows;
		rs.cols = cols;
		a.union_case = HBB__TERMINAL_ACTION__UNION_RESIZE;
		a.resize = &rs;
		term_action(tp->pc, &a);
	} else if (sscanf(line, "close %d", &id) == 1) {
		cl.terminal_id = id;
		a.union_case = HBB__TERMINAL_ACTION__UNION_CLOSE;
		a.close = &cl;
		term_action(tp->pc, &a);
	} else if (sscanf(line, "send %d %n", &id, &n) == 1 && n > 0) {
		xasprintf(&text, "%s\r", line + n);
		term_type(tp->pc, id, text, strlen(text));
		free(text);
	} else if (sscanf(line, "ctrl %d %15s", &id, word) == 2) {
		word[0] = (char)(word[0] & 0x1f);
		term_type(tp->pc, id, word, 1);
	} else if (sscanf(line, "persistent %15s", word) == 1)
		term_persistent(tp->pc, strcmp(word, "yes") == 0);
	else if (sscanf(line, "pause %d", &n) == 1)
		usleep((useconds_t)n * 1000);
	else if (sscanf(line, "ping %d", &n) == 1)
		pc_ping(tp->pc, n);
	else
		printf("UNKNOWN %s\n", line);
}

/* Take whole lines from stdin; returns 0 at quit or end of input. */
static int
term_stdin(struct term_peer *tp, char *line, size_t cap, size_t *have)
{
	ssize_t got = read(0, line + *have, cap - 1 - *have);
	char *nl;

	if (got <= 0)
		return 0;
	*have += (size_t)got;
	line[*have] = '\0';
	while ((nl = strchr(line, '\n')) != NULL) {
		*nl = '\0';
		if (strncmp(line, "quit", 4) == 0)
			return 0;
		term_command(tp, line);
		*have -= (size_t)(nl + 1 - line);
		memmove(line, nl + 1, *have + 1);
	}
	if (*have == cap - 1)
		*have = 0;
	return 1;
}

/* The terminal session. */
int
peer_term(struct pconn *pc, const char *username, const char *password,
    int timeout_ms, int argc, char **argv)
{
	struct term_login tl;
	struct term_peer tp;
	Hbb__Message *m;
	char line[4096];
	size_t have = 0;
	int eof = 0, go_on;

	if (argc < 1)
		return 2;
	memset(&tl, 0, sizeof tl);
	memset(&tp, 0, sizeof tp);
	tl.service_id = argc > 1 && strcmp(argv[1], "-") != 0 ? argv[1] : "";
	tl.persistent = argc > 2 && strcmp(argv[2], "persistent") == 0;
	tp.pc = pc;
	tp.out = argv[0];
	setvbuf(stdout, NULL, _IOLBF, 0);
	pc_set_login_fill(pc, term_fill, &tl);
	if ((m = pc_login(pc, username, password, timeout_ms)) == NULL) {
		printf("EOF\n");
		pc_free(pc);
		return 0;
	}
	go_on = term_event(&tp, m);
	while (go_on && !eof) {
		struct pollfd pfd[2] = {
			{ 0, POLLIN, 0 }, { pc_fd(pc), POLLIN, 0 },
		};

		if (poll(pfd, 2, 1000) < 0)
			break;
		if ((pfd[0].revents & (POLLIN | POLLHUP)) &&
		    !term_stdin(&tp, line, sizeof line, &have))
			break;
		if (pfd[1].revents & (POLLIN | POLLHUP))
			while ((m = pc_recv(pc, 20, &eof)) != NULL &&
			    (go_on = term_event(&tp, m)))
				;
	}
	if (eof)
		printf("EOF\n");
	pc_free(pc);
	return 0;
}
