/*
 * test_cm_core.c: the CM's toolkit-free rules (cm/cm_core.c), which the
 * GTK and the Win32 front ends share: the click-time guard (a click right
 * after a peer's injected one is void, HOST.md §3.4; answers in order),
 * the message each action sends, and what the options mean (the CM is
 * hidden only when the admin's file sets all three options).
 * ipc_client_send is this file's own: it keeps what would go out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm/cm_core.h"
#include "common/err.h"
#include "tests/tst.h"

int main(void);

static Ipc__Data	*sent[16];
static int		 nsent;
static int		 send_fails;

/* The test's stand-in for the adapters: keep a decoded copy of d. */
int
ipc_client_send(struct ipc_client *c, const Ipc__Data *d)
{
	uint8_t *frame;
	size_t len;

	(void)c;
	if (send_fails)
		return ERR_STATE;
	if (ipc_pack(d, &frame, &len) != 0 || nsent == 16)
		TST_FAIL("cannot pack %s", ipc_data_name(d->union_case));
	if (ipc_decode(frame, len, &sent[nsent]) <= 0)
		TST_FAIL("cannot decode");
	nsent++;
	free(frame);
	return 0;
}

/* Forget what was sent. */
static void
sent_clear(void)
{
	while (nsent > 0)
		ipc_data_free(sent[--nsent]);
}

/* Actions pass in order unless a peer clicked just before the click. */
static void
test_guard(void)
{
	struct ipc_client *c = (struct ipc_client *)&nsent;	/* opaque */
	Ipc__ClickTime ct = IPC__CLICK_TIME__INIT;
	struct cm_guard g;
	struct cm_action *a;
	int pass;

	cm_guard_init(&g);
	ASSERT_INT_EQ(cm_guard_ask(&g, c, CM_ACT_ACCEPT, 3, NULL, 0,
	    1000000), 0);
	ASSERT_INT_EQ(cm_guard_ask(&g, c, CM_ACT_PERMISSION, 4, "keyboard",
	    0, 1000000), 0);
	ASSERT_INT_EQ(nsent, 2);
	ASSERT_INT_EQ(sent[0]->union_case, IPC__DATA__UNION_CLICK_TIME);
	ASSERT_INT_EQ(sent[0]->click_time->conn_id, 3);
	ASSERT_INT_EQ(sent[1]->click_time->conn_id, 4);
	/* Answered 50 ms after the click; no peer click ever: passes. */
	ct.since_ms = -1;
	a = cm_guard_answer(&g, &ct, 1050000, &pass);
	ASSERT_TRUE(a != NULL && a->kind == CM_ACT_ACCEPT && pass);
	cm_action_free(a);
	/* A peer clicked 100 ms before the answer, 50 ms before ours: void. */
	ct.since_ms = 100;
	a = cm_guard_answer(&g, &ct, 1050000, &pass);
	ASSERT_TRUE(a != NULL && a->conn_id == 4 && !pass);
	ASSERT_STR_EQ(a->text, "keyboard");
	cm_action_free(a);
	ASSERT_TRUE(cm_guard_answer(&g, &ct, 1050000, &pass) == NULL);
	/* A peer click well before ours (> CM_CLICK_GAP_MS): passes. */
	cm_guard_ask(&g, c, CM_ACT_CHAT, 5, "hi", 0, 1000000);
	ct.since_ms = 50 + CM_CLICK_GAP_MS + 1;
	a = cm_guard_answer(&g, &ct, 1050000, &pass);
	ASSERT_TRUE(a != NULL && pass);
	cm_action_free(a);
	/* Nothing is queued when the question cannot be sent. */
	send_fails = 1;
	ASSERT_INT_NE(cm_guard_ask(&g, c, CM_ACT_ACCEPT, 3, NULL, 0, 0), 0);
	send_fails = 0;
	ASSERT_TRUE(cm_guard_answer(&g, &ct, 0, &pass) == NULL);
	cm_guard_ask(&g, c, CM_ACT_ACCEPT, 3, NULL, 0, 0);
	cm_guard_clear(&g);
	ASSERT_TRUE(cm_guard_answer(&g, &ct, 0, &pass) == NULL);
	sent_clear();
}

/* Each action's message. */
static void
test_do(void)
{
	struct ipc_client *c = (struct ipc_client *)&nsent;
	struct cm_action a = { .conn_id = 7 };

	a.kind = CM_ACT_ACCEPT;
	cm_core_do(c, &a);
	a.kind = CM_ACT_DISMISS;
	cm_core_do(c, &a);
	a.kind = CM_ACT_PERMISSION;
	a.text = (char *)"clipboard";
	a.enabled = 1;
	cm_core_do(c, &a);
	a.kind = CM_ACT_CHAT;
	a.text = (char *)"hello";
	cm_core_do(c, &a);
	a.kind = CM_ACT_VOICE_ANSWER;
	a.enabled = 0;
	cm_core_do(c, &a);
	ASSERT_INT_EQ(nsent, 5);
	ASSERT_INT_EQ(sent[0]->union_case, IPC__DATA__UNION_AUTHORIZE);
	ASSERT_INT_EQ(sent[0]->authorize->conn_id, 7);
	ASSERT_INT_EQ(sent[1]->union_case, IPC__DATA__UNION_CLOSE);
	ASSERT_INT_EQ(sent[1]->close->conn_id, 7);
	ASSERT_INT_EQ(sent[2]->union_case,
	    IPC__DATA__UNION_SWITCH_PERMISSION);
	ASSERT_STR_EQ(sent[2]->switch_permission->name, "clipboard");
	ASSERT_TRUE(sent[2]->switch_permission->enabled);
	ASSERT_INT_EQ(sent[3]->union_case, IPC__DATA__UNION_CHAT);
	ASSERT_STR_EQ(sent[3]->chat->text, "hello");
	ASSERT_INT_EQ(sent[4]->union_case,
	    IPC__DATA__UNION_VOICE_CALL_RESPONSE);
	ASSERT_TRUE(!sent[4]->voice_call_response->accepted);
	sent_clear();
	ASSERT_INT_EQ(cm_core_ask_options(c), 0);
	ASSERT_INT_EQ(sent[0]->union_case, IPC__DATA__UNION_OPTIONS_GET);
	ASSERT_INT_EQ(sent[0]->options_get->n_keys, 4);
	sent_clear();
}

/* Options: the CM is hidden only when the admin locks all three. */
static void
test_options(void)
{
	Ipc__OptionEntry e[4] = { IPC__OPTION_ENTRY__INIT,
	    IPC__OPTION_ENTRY__INIT, IPC__OPTION_ENTRY__INIT,
	    IPC__OPTION_ENTRY__INIT };
	Ipc__OptionEntry *ep[4] = { &e[0], &e[1], &e[2], &e[3] };
	Ipc__Options m = IPC__OPTIONS__INIT;
	struct cm_opts o = { 0, 0, 0 };

	e[0].key = (char *)"approve-mode";
	e[0].value = (char *)"password";
	e[1].key = (char *)"verification-method";
	e[1].value = (char *)"use-permanent-password";
	e[2].key = (char *)"allow-hide-cm";
	e[2].value = (char *)"Y";
	e[3].key = (char *)"enable-perm-change-in-accept-window";
	e[3].value = (char *)"N";
	m.options = ep;
	m.n_options = 4;
	cm_core_options(&m, &o);
	ASSERT_TRUE(o.password_only && o.perm_locked && !o.hidden);
	e[0].locked_by = e[1].locked_by = (char *)"/etc/cdesk/admin.conf";
	cm_core_options(&m, &o);
	ASSERT_TRUE(!o.hidden);
	e[2].locked_by = e[0].locked_by;
	cm_core_options(&m, &o);
	ASSERT_TRUE(o.hidden);
	e[0].value = (char *)"both";
	cm_core_options(&m, &o);
	ASSERT_TRUE(!o.password_only && !o.hidden);
	ASSERT_STR_EQ(cm_core_mode_text(IPC__CONN_MODE__MODE_TERMINAL),
	    "Terminal");
	ASSERT_STR_EQ(cm_core_mode_text(IPC__CONN_MODE__MODE_REMOTE),
	    "Remote control");
}

int
main(void)
{
	TST_RUN(test_guard);
	TST_RUN(test_do);
	TST_RUN(test_options);
	return 0;
}
